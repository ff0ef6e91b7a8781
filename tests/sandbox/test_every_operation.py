"""Every operation of HighLevel's v2 and v3 specs outside the 124 answers through the sandbox (the second tier).

One request per form (v2, v3) with minimal valid arguments generated from its spec; each answer is checked
against that version's official response schema. Then the gate's refusals (missing parameter, wrong token,
wrong body type) and ``hook.call`` end to end.
"""

from __future__ import annotations

import json
import re
from functools import cache
from typing import Any

import httpx
import jsonschema
import pytest

from airflow_provider_ghl.catalog import Operation, get_operation
from airflow_provider_ghl.sandbox.examples import COLLECTION_SIZE, spec_name
from airflow_provider_ghl.sandbox.second_tier import second_tier_forms
from tests.openapi import REFERENCE, to_json_schema
from tests.sandbox.answers import assert_error_shape

SPEC_ERRORS: dict[str, str] = {
    r"schema type at \[.*'(code|country)'\]": "store's country codes: `type: number` with "
                                               "`enum: [[\"US\", \"CA\", ...]]` (one list of strings): no value is valid",
    r"schema oneOf at ": "`oneOf` between open objects that require nothing (SMS vs email template, Facebook "
                              "account shapes, email verification results): every object is valid under both, so "
                              "none is valid under `oneOf`",
}
"""Official answer schemas no answer can meet: a pattern of the validation failure -> why the spec is at fault."""

VALUES = {"string": "abc123", "number": 1, "integer": 1, "boolean": True, "array": [], "object": {}}


@cache
def forms() -> list[Operation]:
    """The second tier's forms, less the OAuth routes the sandbox serves itself (tests/sandbox/test_gateway.py)."""
    from airflow_provider_ghl.sandbox import oauth

    own = {(method, route.path) for route in oauth.routes(None) for method in route.methods}
    return [op for op in second_tier_forms() if (op.method, op.path) not in own]


@cache
def _read(path) -> dict:
    return json.loads(path.read_text())


def document(op: Operation) -> dict:
    """The official spec of ``op``'s version, from ``reference/`` (not the sandbox's packaged copy)."""
    return _read(REFERENCE / spec_name(op))


def request_schema(op: Operation) -> dict:
    return document(op)["paths"][op.path][op.method.lower()]["requestBody"]["content"]["application/json"]["schema"]


def schema_of(op: Operation, status: int) -> dict | None:
    responses = document(op)["paths"][op.path][op.method.lower()]["responses"]
    entry = responses.get(str(status)) or next((v for k, v in responses.items() if k.startswith("2")), {})
    schema = (entry.get("content") or {}).get("application/json", {}).get("schema")
    return None if schema is None else to_json_schema(schema, document(op))


def _value(param_type: str, enum: tuple | None) -> Any:
    return enum[0] if enum else VALUES.get(param_type, "abc123")


def stateful(op: Operation) -> bool:
    """Whether a sandbox area serves the form with records (else the second tier's stateless example)."""
    from airflow_provider_ghl.sandbox.areas import load_areas
    from airflow_provider_ghl.sandbox.routing import HANDLERS

    load_areas()
    return op.key in HANDLERS


def example_of(schema: dict, spec: dict) -> Any:
    """A minimal valid value of a request schema of ``spec``: the spec's example where its type fits, an object's
    required properties, else a value of the type (records need real dates, contact details and line items)."""
    while "$ref" in schema or "allOf" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]] if "$ref" in schema \
            else schema["allOf"][0]
    example, kind = schema.get("example"), schema.get("type")
    if example is not None and (kind is None or jsonschema.Draft7Validator({"type": kind}).is_valid(example)):
        return example
    if kind == "object" or "properties" in schema:
        return {name: example_of(schema["properties"].get(name, {}), spec) for name in schema.get("required", ())}
    return VALUES.get(kind, "abc123")


def a_record_for(op: Operation, sandbox, used: set[str]) -> dict[str, str]:
    """Path ids of a stateful form: existing records of its tables; one that a form changes (deletes, voids, payments)
    is used by no other form."""
    chosen: dict[str, str] = {}
    changes = op.method in ("POST", "DELETE")
    for param in sorted(op.path_params, key=lambda p: p.name not in PARENTS):  # a price first, then its product
        if param.name in chosen or param.name not in RECORD_TABLES:
            continue
        table, fits = RECORD_TABLES[param.name]
        record = next(r for r in sandbox.control("GET", f"tables/{table}")
                      if r.get("altId", r.get("locationId")) == sandbox.location_id and fits(r) and r["id"] not in used)
        if changes:
            used.add(record["id"])
        chosen[param.name] = record["id"]
        if param.name in PARENTS:
            parent, field = PARENTS[param.name]
            chosen[parent] = record[field]
    return chosen


def a_contact(sandbox) -> str:
    return next(c["id"] for c in sandbox.control("GET", "tables/contacts") if c["locationId"] == sandbox.location_id)


RECORD_TABLES = {"invoiceId": ("invoices", lambda r: r["status"] == "sent"), "productId": ("products", bool),
                 "transactionId": ("transactions", bool), "orderId": ("orders", bool), "priceId": ("prices", bool)}
"""The reporting areas' path placeholders -> (table, which records suit every operation on them)."""
PARENTS = {"priceId": ("productId", "product")}
"""Placeholders whose record names the record of another placeholder (a price, its product)."""


def request_for(op: Operation, sandbox, ids: dict[str, str] | None = None) -> tuple[str, dict, Any]:
    """(path, query, body) with every required argument, from the form's spec; ``ids`` for path placeholders."""
    path = op.path
    for param in op.path_params:
        value = sandbox.location_id if op.location and op.location.name == param.name else "abc123"
        if op.company and op.company.name == param.name:
            value = sandbox.company_id
        path = path.replace("{" + param.name + "}", (ids or {}).get(param.name, value))
    paging = {op.pagination.get("offset_param"): 0, op.pagination.get("page_param"): 1,
              op.pagination.get("limit_param"): 10}
    query = {p.name: paging[p.name] if p.name in paging else ["abc123"] if p.type == "array" else _value(p.type, p.enum)
             for p in op.query_params if p.required}
    for placement, value in ((op.location, sandbox.location_id), (op.company, sandbox.company_id)):
        if placement is not None and placement.where == "query":
            query.update(zip(placement.filled, (value, placement.type_value), strict=False))
    located = {"altId": sandbox.location_id, "altType": "location"}  # HighLevel's other name for the location
    query = {k: located.get(k, v) for k, v in query.items()}
    query = {k: str(v).lower() if isinstance(v, bool) else v for k, v in query.items()}
    body = None
    if op.body is not None and op.content_type == "application/json":
        if op.body.type == "object":
            body = {name: VALUES.get(op.body.properties.get(name, "string"), "abc123") for name in op.body.required}
            if stateful(op):
                body = {**example_of(request_schema(op), document(op)), **{k: v for k, v in located.items() if k in body}}
                if isinstance(body.get("contactDetails"), dict) and "id" in body["contactDetails"]:
                    body["contactDetails"]["id"] = a_contact(sandbox)  # records point at the location's contacts
            if op.paging_style == "body_skip_limit":  # the page asked for, in the type the spec declares
                for name, number in (("skip", 0), (op.pagination.get("limit_param", "limit"), 10)):
                    if name in body:
                        body[name] = str(number) if op.body.properties.get(name) == "string" else number
            if op.location and op.location.where == "body":
                body.update(zip(op.location.filled, (sandbox.location_id, op.location.type_value), strict=False))
        else:
            body = []
    return path, query, body


@pytest.fixture(scope="module")
def tokens(sandbox) -> dict[str, str]:
    """A location token and an agency token holding every scope the second tier names."""
    scopes = sorted({scope for op in forms() for scope in op.scopes} | {"oauth.readonly", "oauth.write"})
    location = sandbox.control("POST", "tokens", {"scopes": scopes})["token"]
    refresh = sandbox.control("POST", "oauth/grants", {"user_type": "Company", "scopes": scopes})["refresh_token"]
    extra = sandbox.connection("oauth")["extra"]
    company = httpx.post(f"{sandbox.base_url}/oauth/token", data={
        "client_id": extra["client_id"], "client_secret": extra["client_secret"],
        "grant_type": "refresh_token", "refresh_token": refresh}).json()
    return {"location": location, "agency": company["access_token"]}


def send(sandbox, op: Operation, token: str, path: str, query: dict, body: Any, **extra: Any) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}", "Version": "v3" if op.api == "v3" else op.version}
    kwargs: dict[str, Any] = {"json": body} if body is not None else {}
    return httpx.request(op.method, sandbox.base_url + path, params=query, headers=headers, timeout=30,
                         **kwargs, **extra)


def token_for(op: Operation, tokens: dict[str, str]) -> str:
    return tokens["location"] if "location" in op.token_types else tokens["agency"]


def test_every_second_tier_form_answers_its_official_schema(sandbox, tokens):
    failures: dict[tuple[str, str], str] = {}
    used: set[str] = set()
    with httpx.Client(timeout=30) as client:
        for op in forms():
            path, query, body = request_for(op, sandbox, a_record_for(op, sandbox, used) if stateful(op) else None)
            headers = {"Authorization": f"Bearer {token_for(op, tokens)}",
                       "Version": "v3" if op.api == "v3" else op.version}
            response = client.request(op.method, sandbox.base_url + path, params=query, headers=headers,
                                      **({"json": body} if body is not None else {}))
            where = (op.key, op.api)
            if not response.is_success:
                failures[where] = f"{response.status_code} {response.text[:200]}"
                continue
            schema = schema_of(op, response.status_code)
            try:
                if schema is not None:
                    jsonschema.validate(response.json(), schema, cls=jsonschema.Draft7Validator)
            except jsonschema.ValidationError as error:
                failures[where] = f"schema {error.validator} at {list(error.absolute_path)}: {error.message[:150]}"
    unexplained = {where: why for where, why in failures.items() if not any(re.match(known, why) for known in SPEC_ERRORS)}
    assert not unexplained, f"{len(unexplained)} of {len(forms())}: " + "\n".join(
        f"{key} {api}: {why}" for (key, api), why in sorted(unexplained.items())[:40])
    # Each documented spec error still occurs (else it is stale), and they stay few.
    assert all(any(re.match(known, why) for why in failures.values()) for known in SPEC_ERRORS)
    assert len(failures) <= 20 and len(forms()) > 900, (len(failures), len(forms()))


def _with_required_query() -> Operation:
    return next(op for op in forms() if op.method == "GET" and any(
        p.required and not (op.location and op.location.name == p.name) and p.name not in op.pagination.values()
        for p in op.query_params))


def test_a_missing_required_query_parameter_is_a_422(sandbox, tokens):
    op = _with_required_query()
    path, query, body = request_for(op, sandbox)
    missing = next(p.name for p in op.query_params if p.required and p.name in query
                   and not (op.location and op.location.name == p.name) and p.name not in op.pagination.values())
    del query[missing]
    response = send(sandbox, op, token_for(op, tokens), path, query, body)
    assert_error_shape(response.json(), 422, missing)


def test_a_missing_required_body_field_and_a_wrong_type_are_422(sandbox, tokens):
    op = next(o for o in forms() if o.body is not None and o.body.type == "object" and o.required_body_fields
              and o.content_type == "application/json" and "location" in o.token_types
              and o.body.properties.get(o.required_body_fields[0]) == "string")
    path, query, body = request_for(op, sandbox)
    field = op.required_body_fields[0]
    response = send(sandbox, op, tokens["location"], path, query, {k: v for k, v in body.items() if k != field})
    assert_error_shape(response.json(), 422, field)
    response = send(sandbox, op, tokens["location"], path, query, {**body, field: 42})
    assert_error_shape(response.json(), 422, f"{field} must be a string")


def test_a_near_miss_of_a_nested_field_is_a_422_in_the_second_tier_too(sandbox, tokens):
    """The gate's nested-key check (``body_keys``) covers every form, not only the 124's: v2's inbound message
    declares ``call.from``; ``call.From`` is refused with the spelling, an unrelated extra key is let through."""
    op = get_operation("add_an_inbound_message", "v2")
    path, query, body = request_for(op, sandbox)
    base = {**body, "type": "Call", "contactId": "abc123"}
    response = send(sandbox, op, tokens["location"], path, query, {**base, "call": {"From": "+1", "status": "completed"}})
    assert_error_shape(response.json(), 422, "property call.From should not exist (this API version spells it from)")
    response = send(sandbox, op, tokens["location"], path, query, {**base, "call": {"from": "+1", "extra": 1}})
    assert "call." not in response.text, response.text


def test_a_wrong_token_a_missing_scope_and_a_missing_version_are_refused(sandbox):
    op = get_operation("get_invoice_schedule", "v2")
    path, query, body = request_for(op, sandbox)
    assert_error_shape(send(sandbox, op, "not-a-token", path, query, body).json(), 401)
    narrow = sandbox.control("POST", "tokens", {"scopes": ["contacts.readonly"]})["token"]
    assert_error_shape(send(sandbox, op, narrow, path, query, body).json(), 401, "Missing scope")
    response = httpx.get(sandbox.base_url + path, params=query,
                         headers={"Authorization": f"Bearer {narrow}"})
    assert_error_shape(response.json(), 400, "Version header")


def _properties(op: Operation) -> set[str]:
    schema = schema_of(op, op.success_status) or {}
    return set(schema.get("properties") or ())


def test_the_version_header_picks_the_form(sandbox, tokens):
    # A path both specs have, whose answer differs between them: each header gets its own version's shape.
    v2 = {op.key: op for op in forms() if op.api == "v2"}
    op = next(op for op in forms() if op.api == "v3" and op.key in v2 and v2[op.key].path == op.path
              and op.method == "GET" and _properties(op) and _properties(op) != _properties(v2[op.key]))
    path, query, _body = request_for(op, sandbox)
    for version, api in (("v3", "v3"), ("2021-07-28", "v2"), ("legacy", "v2")):
        form = get_operation(op.key, api)
        response = httpx.get(sandbox.base_url + path, params=query,
                             headers={"Authorization": f"Bearer {token_for(op, tokens)}", "Version": version})
        assert response.status_code == form.success_status, (version, response.text)
        assert set(response.json()) == _properties(form), version
        jsonschema.validate(response.json(), schema_of(form, response.status_code), cls=jsonschema.Draft7Validator)


def test_lists_honour_limit_and_offset_and_carry_totals(sandbox, tokens):
    op = get_operation("list_invoice_schedules", "v2")  # stateless: invoices themselves are stored (test_reporting.py)
    path, query, body = request_for(op, sandbox)
    pages = []
    for offset in (0, 2, 4):
        response = send(sandbox, op, tokens["location"], path, {**query, "limit": 2, "offset": offset}, body)
        assert response.status_code == 200, response.text
        pages.append(response.json())
    assert [len(page[op.records_key]) for page in pages] == [2, COLLECTION_SIZE - 2, 0]
    assert pages[0]["total"] == COLLECTION_SIZE
    assert pages[0][op.records_key][0]["_id"] != pages[0][op.records_key][1]["_id"]


def test_hook_call_runs_second_tier_operations_end_to_end(ghl_connections, tokens, monkeypatch):
    from airflow_provider_ghl.hooks.ghl import GHLHook

    sandbox = ghl_connections
    monkeypatch.setenv("AIRFLOW_CONN_GHL_ALL", json.dumps({
        **sandbox.connection("full"), "password": tokens["location"],
        "extra": {**sandbox.connection("full")["extra"], "scopes": " ".join(sorted(
            {s for op in forms() for s in op.scopes}))}}))
    hook = GHLHook(ghl_conn_id="ghl_all")
    query = {"altId": sandbox.location_id, "altType": "location"}
    schedule = hook.call("get_invoice_schedule", schedule_id="sch1", query=query)
    assert schedule["_id"] == "sch1"
    listed = list(hook.paginate("list_invoice_schedules", query={**query, "limit": 2, "offset": 0}, page_size=2))
    assert len(listed) == COLLECTION_SIZE


@pytest.fixture
def every_scope_hook(ghl_connections, tokens, monkeypatch):
    """A hook on the sandbox's location holding every scope the second tier names."""
    from airflow_provider_ghl.hooks.ghl import GHLHook

    sandbox = ghl_connections
    monkeypatch.setenv("AIRFLOW_CONN_GHL_ALL", json.dumps({
        **sandbox.connection("full"), "password": tokens["location"],
        "extra": {**sandbox.connection("full")["extra"], "scopes": " ".join(sorted(
            {s for op in forms() for s in op.scopes}))}}))
    return GHLHook(ghl_conn_id="ghl_all", max_retries=0)


def test_page_number_lists_page_to_their_total_each_record_once(sandbox, every_scope_hook):
    """Forms that page by ``page`` number (forms and surveys submissions, Voice AI agents and call logs, phone
    numbers, crawled URLs): ``paginate`` walks them page by page to the answer's total, in both specs."""
    hook = every_scope_hook
    paged = [op for op in forms() if op.paging_style == "page" and op.is_collection and not stateful(op)]
    assert {op.key for op in paged} >= {"voice_ai__get_agents",
                                        "get_call_logs", "active_numbers", "get_all_website_urls_data_by_knowledge_base"}
    for op in paged:
        sandbox.control("DELETE", "stats")
        _path, query, _body = request_for(op, sandbox)
        given = {k: v for k, v in query.items() if k not in op.pagination.values() and k != op.location.name}
        records = list(hook.paginate(op.key, query=given, page_size=2, api_version=op.api,
                                     **{p.argument: "abc123" for p in op.path_params if p.name != op.location.name}))
        ids = [record.get("id") or record.get("_id") for record in records]
        assert len(records) == COLLECTION_SIZE, (op.key, op.api, records)
        assert None in ids or len(set(ids)) == COLLECTION_SIZE, (op.key, op.api, ids)  # phone numbers carry no id
        assert sandbox.control("GET", "stats")[f"op:{op.key}"] == 2, (op.key, op.api)  # pages 1-2 hold all 3


def test_alt_id_and_alt_type_come_from_the_connection_unless_given(sandbox, every_scope_hook):
    """Invoices, products, payments... name the location as ``altId`` + ``altType=location`` (query or body): the
    hook fills both from the connection (or ``location_id=``) as it fills ``locationId``, never over the caller's."""
    from airflow_provider_ghl.exceptions import GHLAuthError, GHLValidationError

    hook = every_scope_hook
    sandbox.control("DELETE", "stats")
    assert hook.call("get_invoice_schedule", schedule_id="sch1")["_id"] == "sch1"  # query altId + altType
    prepared = hook.prepare("get_invoice", invoice_id="inv1")
    assert prepared.query == {"altId": sandbox.location_id, "altType": "location"}
    assert hook.prepare("cancel_invoice_schedule", schedule_id="s1").body == {  # in the body
        "altId": sandbox.location_id, "altType": "location"}
    hook.call("cancel_invoice_schedule", schedule_id="s1")
    # Payments' transactions take an optional locationId and a required altId: altId is the one filled.
    assert hook.prepare("list_transactions").query == {"altId": sandbox.location_id, "altType": "location"}
    assert hook.prepare("get_invoice", invoice_id="i", location_id="otherLoc").query["altId"] == "otherLoc"
    # Another location's id is refused as HighLevel refuses it; so is an altType that is not the location's.
    with pytest.raises(GHLAuthError) as refused:
        hook.call("get_invoice", invoice_id="inv1", query={"altId": "anotherLocation0001"})
    assert refused.value.status == 403 and "location" in str(refused.value)
    with pytest.raises(GHLAuthError):
        hook.call("cancel_invoice_schedule", schedule_id="s1", body={"altId": "anotherLocation0001"})
    with pytest.raises(GHLValidationError, match="altType must be one of the following values: location"):
        hook.call("get_invoice", invoice_id="inv1", query={"altType": "company"})
    assert sandbox.control("GET", "stats")["status:403"] == 2


def test_another_locations_id_is_a_403(sandbox, tokens):
    op = next(o for o in forms() if o.method == "GET" and o.location and o.location.where == "query"
              and "location" in o.token_types)
    path, query, body = request_for(op, sandbox)
    response = send(sandbox, op, tokens["location"], path, {**query, op.location.name: "anotherLocation0001"}, body)
    assert_error_shape(response.json(), 403, "location")


def test_faults_and_rate_limits_take_second_tier_operations_too(sandbox, tokens):
    from tests.conftest import restore_defaults

    op = get_operation("get_invoice_schedule", "v2")
    path, query, body = request_for(op, sandbox)
    try:
        sandbox.configure(faults={"rate": 1.0, "kinds": {"503": 1}, "routes": [op.key], "seed": 1})
        assert_error_shape(send(sandbox, op, tokens["location"], path, query, body).json(), 503)
        sandbox.configure(faults={"rate": 0.0, "routes": []}, rate_limits={"enabled": True, "burst_max": 1})
        first = send(sandbox, op, tokens["location"], path, query, body)
        assert first.status_code == 200 and first.headers["X-RateLimit-Max"] == "1"
        assert_error_shape(send(sandbox, op, tokens["location"], path, query, body).json(), 429)
    finally:
        restore_defaults(sandbox)


def test_requests_the_124_take_never_reach_the_second_tier(monkeypatch):
    from starlette.testclient import TestClient

    from airflow_provider_ghl.sandbox import second_tier
    from airflow_provider_ghl.sandbox.app import create_app
    from airflow_provider_ghl.sandbox.areas import seed_world
    from airflow_provider_ghl.sandbox.config import SandboxConfig
    from airflow_provider_ghl.sandbox.state import SandboxState
    from airflow_provider_ghl.sandbox.webhooks import Webhooks

    consulted: list[str] = []
    real = second_tier.SecondTier.match
    monkeypatch.setattr(second_tier.SecondTier, "match",
                        lambda self, method, path, version: consulted.append(path) or real(self, method, path, version))
    state = SandboxState(SandboxConfig(contacts=5), seeder=seed_world, webhooks=Webhooks())
    state.config.rate_limits.enabled = False
    client = TestClient(create_app(state))
    headers = {"Authorization": f"Bearer {state.pit_full}", "Version": "2021-07-28"}
    contact = next(iter(state.table("contacts")))
    assert client.get(f"/contacts/{contact}", headers=headers).status_code == 200
    assert client.get(f"/locations/{state.location_id}", headers=headers).status_code == 200
    assert consulted == []
    assert client.get("/invoices/schedule/sch1", params={"altId": state.location_id, "altType": "location"},
                      headers=headers).status_code in (200, 401)
    assert consulted == ["/invoices/schedule/sch1"]


def test_the_packaged_answer_schemas_are_what_the_tool_makes():
    import importlib.util

    from airflow_provider_ghl.sandbox.examples import SCHEMAS_FILE

    tool_file = REFERENCE.parent / "tools" / "build_sandbox_schemas.py"
    spec = importlib.util.spec_from_file_location("build_sandbox_schemas", tool_file)
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    assert SCHEMAS_FILE.read_bytes() == tool.encoded(tool.build()), "run python tools/build_sandbox_schemas.py"
