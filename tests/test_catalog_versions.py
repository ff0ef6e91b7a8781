"""Every operation of HighLevel's v2 and v3 specs is in the catalog, keyed stably, and the hook sends each
version's form of it: path, query names, body names and Version header as that version's spec says."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from airflow_provider_ghl.catalog import (
    SPEC_FILE,
    all_keys,
    api_choice,
    get_operation,
    operations,
    versions_of,
)
from airflow_provider_ghl.exceptions import GHLInputError, GHLScopeError, GHLUnknownOperationError
from airflow_provider_ghl.hooks.auth import InMemoryTokenStore
from airflow_provider_ghl.hooks.ghl import GHLHook
from tests.hostile import LOCATION_ID, Reply
from tests.openapi import REFERENCE

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import build_catalog  # noqa: E402
import build_spec_catalog  # noqa: E402

KEY_LIST = ROOT / "tests" / "catalog_keys.txt"


def spec_operations(version: str) -> list[tuple[str, str, str, dict]]:
    """(area, method, path, operation) of every operation of one version's official files."""
    found = build_spec_catalog.load_specs(REFERENCE)[version]
    return [(area, method, path, operation) for area, _, method, path, operation in found]


@pytest.fixture(scope="module")
def built() -> tuple[dict, dict]:
    catalog = build_catalog.build(REFERENCE)
    spec = build_spec_catalog.build(REFERENCE, catalog["operations"], build_catalog.load_overrides(), build_catalog)
    return catalog, spec


def test_the_committed_second_tier_and_key_list_are_what_the_builder_makes(built):
    catalog, spec = built
    assert SPEC_FILE.read_bytes() == build_spec_catalog.render(spec), "run python tools/build_catalog.py"
    # The key list is the stability contract: a rebuild that renames any key fails here, in review.
    assert KEY_LIST.read_text() == build_spec_catalog.key_list(spec, catalog["operations"]), (
        "an operation key changed or appeared: check tests/catalog_keys.txt's diff, then run tools/build_catalog.py"
    )


def test_keys_are_unique_snake_case_and_the_seed_keeps_its_124():
    keys = all_keys()
    assert len(keys) == len(set(keys)) == 660
    assert keys[:124] == list(operations())
    lines = [line.split("\t") for line in KEY_LIST.read_text().splitlines()[1:]]
    assert [line[0] for line in lines] == keys
    for key in keys:
        assert re.fullmatch(r"[a-z][a-z0-9_]*", key), key
    # The rule: an operationId in snake_case, prefixed by its area only where that id is taken.
    assert get_operation("get_invoice").operation_id == "get-invoice"
    assert get_operation("custom_fields__create_custom_field").path == "/custom-fields/"
    assert get_operation("locations__create_custom_field").path == "/locations/{locationId}/customFields"


@pytest.mark.parametrize("version", ["v2", "v3"])
def test_every_operation_of_each_spec_is_in_the_catalog_exactly_once(version):
    in_spec = Counter((method, path) for _, method, path, _ in spec_operations(version))
    assert sum(in_spec.values()) == (576 if version == "v2" else 627)
    in_catalog = Counter()
    for key in all_keys():
        if key == "find_contact":  # a seed product over get_duplicate_contact's endpoint, not another operation
            assert get_operation(key, version).path == get_operation("get_duplicate_contact", version).path
            continue
        if version in versions_of(key):
            op = get_operation(key, version)
            assert op.api == version and op.key == key
            in_catalog[(op.method, op.path)] += 1
    assert in_catalog == in_spec


@pytest.mark.parametrize("version", ["v2", "v3"])
def test_each_form_follows_its_spec(version):
    by_operation = {(method, path): operation for _, method, path, operation in spec_operations(version)}
    for key in all_keys():
        if version not in versions_of(key):
            continue
        op = get_operation(key, version)
        operation = by_operation[(op.method, op.path)]
        declared = {p["name"]: p for p in operation.get("parameters", []) if "name" in p}
        header = declared.get("Version", {}).get("schema", {}).get("enum")
        if header:
            assert op.version == header[0], key
        assert {q.name for q in op.query_params} == {n for n, p in declared.items() if p.get("in") == "query"}, key
        assert [p.name for p in op.path_params] == re.findall(r"{(\w+)}", op.path), key
        spec_scopes = {s for entry in operation.get("security") or [] for names in entry.values() for s in names}
        if spec_scopes and key not in operations():
            assert set(op.scopes) == spec_scopes, key
        if key not in operations():
            searching = "search" in (operation.get("operationId") or "") or "search" in op.path.rsplit("/", 1)[-1]
            assert op.idempotent == (op.method in ("GET", "PUT", "DELETE") or (op.method == "POST" and searching)), key


def test_each_form_keeps_its_specs_page_size_bounds():
    """The bounds of every form's page-size parameter (``limit``, ``pageLimit``, ``pageSize``..., query or body), as
    its own spec gives them: ``min_limit`` beside ``max_limit`` (the seed's maximum may be HighLevel's documented cap
    where the spec names none). HighLevel answers 422 outside them."""
    common = json.loads((REFERENCE / "common" / "common-schemas.json").read_text())
    found = {version: {(method, path): (spec, operation) for _, spec, method, path, operation in ops}
             for version, ops in build_spec_catalog.load_specs(REFERENCE).items()}
    minima: dict[tuple[str, str], int] = {}
    for key in all_keys():
        for version in versions_of(key):
            op = get_operation(key, version)
            name = op.pagination.get("limit_param")
            if name is None:
                assert not {"min_limit", "max_limit"} & set(op.pagination), (key, version)
                continue
            spec, operation = found[version][(op.method, op.path)]
            schema = next((p.get("schema") for p in operation.get("parameters", [])
                           if p.get("in") == "query" and p["name"] == name), None)
            if schema is None:  # a body field (searches, the social planner's lists)
                content = operation.get("requestBody", {}).get("content", {})
                body = build_catalog.resolve(spec, next(iter(content.values()))["schema"], common) if content else {}
                schema = (body or {}).get("properties", {}).get(name)
            schema = build_catalog.resolve(spec, schema, common) or {}
            assert op.pagination.get("min_limit") == schema.get("minimum"), (key, version)
            if "maximum" in schema or key not in operations():
                assert op.pagination.get("max_limit") == schema.get("maximum"), (key, version)
            if "minimum" in schema:
                minima[(key, version)] = schema["minimum"]
    # 16 forms, none of the 124's; all but the messages export's say what a positive page size says anyway.
    assert len(minima) == 16 and not {key for key, _ in minima} & set(operations())
    assert {form: low for form, low in minima.items() if low > 1} == {
        ("export_messages_by_location", "v2"): 10, ("export_messages_by_location", "v3"): 10}
    assert get_operation("export_messages_by_location", "v3").pagination["max_limit"] == 500
    assert get_operation("get_comment_list", "v3").pagination == {  # the body's limit: 1 to 100
        "style": "body_skip_limit", "offset_param": "skip", "limit_param": "limit", "max_limit": 100, "min_limit": 1}


def test_a_seed_v3_form_paged_as_the_seed_keeps_its_own_specs_minimum():
    seeded = {"key": "list_things", "pagination": {"style": "offset", "offset_param": "skip", "limit_param": "limit",
                                                   "max_limit": 100},
              "query_params": [{"name": "skip"}, {"name": "limit"}], "body": None, "scopes": ["a.readonly"]}
    v3 = {**seeded, "pagination": {**seeded["pagination"], "max_limit": 50, "min_limit": 10}}
    merged = build_spec_catalog.seed_form({**seeded, "idempotent": True, "records_key": "things", "record_key": None,
                                           "token_types": ["location"], "record_fields": [], "timestamps": None}, v3)
    assert merged["pagination"] == {**seeded["pagination"], "min_limit": 10}  # the seed's maximum, v3's minimum


def test_argument_names_are_the_v2_forms_in_v3():
    for key in all_keys():
        if versions_of(key) == ("v2", "v3"):
            assert list(get_operation(key, "v2").path_arguments) == list(get_operation(key, "v3").path_arguments), key
    # v3 renamed {adsetId} to {adSetId}: the Python argument stays adset_id.
    v3 = get_operation("fb_pause_adset", "v3")
    assert v3.path_arguments == {"adset_id": "adSetId"}


def test_the_seed_is_read_without_the_second_tier():
    probe = ("import airflow.sdk, importlib, pkgutil, airflow_provider_ghl.operators as o, airflow_provider_ghl.sensors as s\n"
             "for pkg in (o, s):\n"
             "    for info in pkgutil.iter_modules(pkg.__path__): importlib.import_module(f'{pkg.__name__}.{info.name}')\n"
             "from airflow_provider_ghl import catalog\n"
             "catalog.get_operation('get_contact'); catalog.get_operation('get_contact', 'v2')\n"
             "print(catalog._spec_tier.cache_info().currsize)\n")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip().splitlines()[-1] == "0"


# -- the hook: every operation, each version ------------------------------------------------------------------
@pytest.fixture
def hook(hostile) -> GHLHook:
    return GHLHook("ghl_hostile", token_store=InMemoryTokenStore(), max_retries=0)


def sample_per_area(version: str) -> list[str]:
    """The first and the last operation outside the seed of each area, per version (JSON bodies: the others are
    refused, see test_bodies_that_are_not_json_are_refused_not_sent_as_json)."""
    chosen: dict[str, list[str]] = {}
    for key in all_keys()[125:]:
        if version in versions_of(key) and (op := get_operation(key, version)).content_type == "application/json":
            chosen.setdefault(op.area, []).append(key)
    return sorted({k for keys in chosen.values() for k in (keys[0], keys[-1])})


@pytest.mark.parametrize("version", ["v2", "v3"])
def test_prepare_builds_each_areas_request_without_sending(hostile, hook, version):
    keys = sample_per_area(version)
    seed = {(op.method, op.path) for key in operations() if version in versions_of(key)
            for op in [get_operation(key, version)]}
    areas = {area for area, method, path, _ in spec_operations(version) if (method, path) not in seed}
    assert {get_operation(key, version).area for key in keys} == areas and len(areas) >= 33
    for key in keys:
        op = get_operation(key, version)
        path_values = {p.argument: f"id{i}" for i, p in enumerate(op.path_params) if p.argument != "location_id"}
        query = {q.name: "x" for q in op.query_params if q.required}
        body = None
        if op.body is not None:
            body = [] if op.body.type == "array" else {name: "x" for name in op.required_body_fields}
        prepared = hook.prepare(key, query=query, body=body, api_version=version, **path_values)
        request = prepared.build("token")
        expected_path = op.path
        for param in op.path_params:
            value = path_values.get(param.argument, LOCATION_ID)  # location_id: the connection's
            expected_path = expected_path.replace("{" + param.name + "}", value)
        assert (request.method, request.url.path) == (op.method, expected_path), key
        assert request.headers["Version"] == op.version == prepared.headers["Version"], key
        assert set(request.url.params) <= {q.name for q in op.query_params}, key
        assert set(query) <= set(request.url.params), key
    assert hostile.sent() == []


def test_call_sends_exactly_the_operations_request(hostile, hook):
    hostile.route("GET", "/invoices/inv1", Reply(200, {"_id": "inv1"}))
    assert hook.call("get_invoice", invoice_id="inv1", query={"altId": LOCATION_ID, "altType": "location"}) == {
        "_id": "inv1"}
    hostile.route("GET", "/funnels/funnel/list", Reply(200, {"funnels": [], "count": 0}))
    hook.call("get_funnels", query={"limit": 5})
    hostile.route("GET", "/custom-fields/cf1", Reply(200, {"field": {"id": "cf1"}}))
    hook.call("get_custom_field_by_id", id="cf1", api_version="v3")
    first, second, third = hostile.sent()
    assert (first.method, first.path, first.query) == ("GET", "/invoices/inv1", {"altId": LOCATION_ID, "altType": "location"})
    assert first.headers["version"] == "2021-07-28" and first.headers["authorization"].startswith("Bearer pit-")
    assert (second.path, second.query) == ("/funnels/funnel/list", {"limit": "5", "locationId": LOCATION_ID})
    assert (third.path, third.query, third.headers["version"]) == ("/custom-fields/cf1", {}, "v3")
    assert first.body == second.body == third.body == b""


def test_new_operations_are_refused_before_sending(hostile, hook):
    with pytest.raises(GHLInputError, match=r"missing path argument invoice_id="):
        hook.call("get_invoice", query={"altId": "a", "altType": "location"})
    with pytest.raises(GHLInputError, match=r"missing required query parameter.*knowledgeBaseId"):
        hook.call("get_all_website_urls_data_by_knowledge_base")
    with pytest.raises(GHLInputError, match="dot segment"):
        hook.call("get_invoice", invoice_id="..", query={"altId": "a", "altType": "location"})
    with pytest.raises(GHLUnknownOperationError, match="Did you mean get_invoice"):
        hook.call("get_invoce")
    with pytest.raises(GHLUnknownOperationError, match="has no v2 form: it is only in v3"):
        hook.call("chat_widget__delete", id="w1", api_version="v2")
    op = get_operation("custom_fields__create_custom_field")
    with pytest.raises(GHLInputError, match="body is missing required field"):
        hook.call(op.key, body={})
    assert hostile.sent() == []


def test_a_scope_the_token_lacks_is_refused_for_new_operations(hostile, monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_GHL_SCOPED", hostile.connection_json(scopes="contacts.readonly"))
    with pytest.raises(GHLScopeError, match=r"lacks scope invoices\.readonly"):
        GHLHook("ghl_scoped", token_store=InMemoryTokenStore()).call(
            "get_invoice", invoice_id="i", query={"altId": "a", "altType": "location"})
    assert hostile.sent() == []


def test_paginate_walks_new_operations_by_offset_and_by_page_number(hostile, hook):
    op = get_operation("get_forms")  # GET /forms/, skip/limit in the query, records under "forms"
    assert (op.paging_style, op.pagination["offset_param"], op.records_key) == ("offset", "skip", "forms")
    pages = {"0": [{"id": "f1"}, {"id": "f2"}], "2": [{"id": "f3"}]}
    hostile.route("GET", "/forms/", lambda request: Reply(200, {"forms": pages[request.query["skip"]], "total": 3}))
    assert [record["id"] for record in hook.paginate("get_forms", page_size=2)] == ["f1", "f2", "f3"]
    assert [r.query for r in hostile.sent()] == [{"locationId": LOCATION_ID, "limit": "2", "skip": "0"},
                                                 {"locationId": LOCATION_ID, "limit": "2", "skip": "2"}]
    hostile.clear()
    assert get_operation("voice_ai__get_agents").paging_style == "page"  # page + pageSize, the answer's total
    agents = {"1": [{"id": "a1"}, {"id": "a2"}], "2": [{"id": "a3"}]}
    hostile.route("GET", "/voice-ai/agents",
                  lambda request: Reply(200, {"agents": agents[request.query["page"]], "total": 3}))
    assert [record["id"] for record in hook.paginate("voice_ai__get_agents", page_size=2)] == ["a1", "a2", "a3"]
    assert [r.query["page"] for r in hostile.sent()] == ["1", "2"]


# -- the version choice: v2 and v3 forms of the 124 where their shapes differ ------------------------------------
def test_api_choice_reads_highlevels_documented_versions():
    assert api_choice(None) == api_choice("") == (None, None)
    assert api_choice("v3") == ("v3", None) and api_choice("V2") == ("v2", None)
    assert api_choice("legacy") == ("v2", "legacy")
    assert api_choice("2023-02-21") == ("v2", "2023-02-21")
    with pytest.raises(GHLInputError, match="not a HighLevel API version"):
        api_choice("v4")


def test_remove_from_all_campaigns_follows_each_versions_path(hostile, hook):
    hostile.route("DELETE", "/contacts/c1/campaigns/removeAll", Reply(200, {"succeded": True}))
    hostile.route("DELETE", "/contacts/c1/campaigns/remove-all", Reply(200, {"succeded": True}))
    hook.call("remove_contact_from_all_campaigns", contact_id="c1")
    hook.call("remove_contact_from_all_campaigns", contact_id="c1", api_version="v2")
    hook.call("remove_contact_from_all_campaigns", contact_id="c1", api_version="v3")
    hook.call("remove_contact_from_all_campaigns", contact_id="c1", api_version="legacy")
    assert [(r.path, r.headers["version"]) for r in hostile.sent()] == [
        ("/contacts/c1/campaigns/removeAll", "2021-07-28"), ("/contacts/c1/campaigns/removeAll", "2021-07-28"),
        ("/contacts/c1/campaigns/remove-all", "v3"), ("/contacts/c1/campaigns/removeAll", "legacy"),
    ]


def test_opportunity_search_sends_each_versions_query_names(hostile, hook):
    hostile.route("GET", "/opportunities/search", Reply(200, {"opportunities": [], "meta": {"total": 0}}))
    for version in ("v2", "v3"):
        hook.call("search_opportunities", query={"pipeline_id": "p1", "status": "open"}, api_version=version)
    v2, v3 = hostile.sent()
    assert v2.query == {"location_id": LOCATION_ID, "pipeline_id": "p1", "status": "open"}
    assert v2.headers["version"] == "2021-07-28"
    assert v3.query == {"locationId": LOCATION_ID, "pipelineId": "p1", "status": "open"}
    assert v3.headers["version"] == "v3"


def test_the_connections_api_version_picks_the_spec_and_a_call_overrides_it(hostile, monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_GHL_V3", hostile.connection_json(api_version="v3"))
    hostile.route("GET", "/opportunities/search", Reply(200, {"opportunities": [{"id": "o1"}], "meta": {"total": 1}}))
    hook = GHLHook("ghl_v3", token_store=InMemoryTokenStore())
    assert [r["id"] for r in hook.paginate("search_opportunities", query={"contact_id": "c1"})] == ["o1"]
    hook.call("search_opportunities", api_version="v2")
    first, second = hostile.sent()
    assert first.query["locationId"] == LOCATION_ID and first.query["contactId"] == "c1"
    assert first.headers["version"] == "v3" and "location_id" not in first.query
    assert second.query["location_id"] == LOCATION_ID and second.headers["version"] == "2021-07-28"
    with pytest.raises(GHLUnknownOperationError, match="list_contacts' has no v3 form"):
        hook.call("list_contacts")  # GET /contacts/ is deprecated and gone from v3
    assert len(hostile.sent()) == 2


def test_v3_bodies_are_checked_against_v3s_schema(hostile, hook):
    # v3 requires wordCount on a blog post update; v2 does not.
    assert "wordCount" in get_operation("update_blog_post", "v3").body.required
    assert "wordCount" not in get_operation("update_blog_post").body.required
    with pytest.raises(GHLInputError, match="wordCount"):
        hook.prepare("update_blog_post", post_id="p1", body={"title": "t"}, api_version="v3")


def test_the_seeds_differing_shapes_are_the_reported_ones():
    """The 124's v2/v3 differences beyond the Version header, as the report lists them."""
    differ = set()
    for key, v2 in operations().items():
        if "v3" not in versions_of(key):
            continue
        v3 = get_operation(key, "v3")
        if (v2.path, [q.name for q in v2.query_params], v2.body, v2.location) != (
                v3.path, [q.name for q in v3.query_params], v3.body, v3.location):
            differ.add(key)
    assert differ == {"remove_contact_from_all_campaigns", "search_opportunities", "get_contacts_by_business",
                      "create_contact", "update_contact", "upsert_contact", "create_opportunity",
                      "update_opportunity", "upsert_opportunity", "create_user", "update_user",
                      "update_blog_post"}
    assert {key for key in operations() if "v3" not in versions_of(key)} == {"list_contacts", "list_users_by_location"}
    assert json.loads(json.dumps(sorted(differ)))  # plain data, for the report


async def test_the_async_hook_takes_the_same_version_choice(hostile):
    from airflow_provider_ghl.hooks.ghl import GHLAsyncHook

    hostile.route("DELETE", "/contacts/c1/campaigns/remove-all", Reply(200, {"succeded": True}))
    hostile.route("GET", "/opportunities/search", Reply(200, {"opportunities": [{"id": "o1"}], "meta": {"total": 1}}))
    async with GHLAsyncHook("ghl_hostile", token_store=InMemoryTokenStore()) as hook:
        await hook.acall("remove_contact_from_all_campaigns", contact_id="c1", api_version="v3")
        found = [record async for record in hook.apaginate("search_opportunities", api_version="v3")]
    assert found == [{"id": "o1"}]
    removed, searched = hostile.sent()
    assert (removed.path, removed.headers["version"]) == ("/contacts/c1/campaigns/remove-all", "v3")
    assert searched.query["locationId"] == LOCATION_ID and searched.headers["version"] == "v3"


def test_bodies_that_are_not_json_are_refused_not_sent_as_json(hostile, hook):
    assert get_operation("upload_media_content").content_type == "multipart/form-data"
    with pytest.raises(GHLInputError, match="multipart/form-data body"):
        hook.call("upload_media_content", body={"hosted": False})
    assert get_operation("get_access_token", "v3").content_type == "application/json"  # v3 also takes JSON
    assert get_operation("get_access_token", "v3").body_renames["client_id"] == "clientId"
    assert hostile.sent() == []


def test_request_bodies_record_the_names_of_their_nested_objects_in_each_version():
    v2, v3 = get_operation("update_contact", "v2"), get_operation("update_contact", "v3")
    assert v2.body.nested["dndSettings"] == ("Call", "Email", "FB", "GMB", "SMS", "WhatsApp")
    assert v3.body.nested["dndSettings"] == ("call", "email", "fb", "gmb", "sms", "whatsApp")
    assert v2.body.nested["dndSettings.SMS"] == v3.body.nested["dndSettings.sms"] == ("code", "message", "status")
    assert get_operation("create_calendar").body.nested["openHours[].hours[]"] == (
        "closeHour", "closeMinute", "openHour", "openMinute")
    assert get_operation("create_calendar_notification").body.nested["[].afterTime[]"] == ("timeOffset", "unit")
    assert not get_operation("create_opportunity").body.nested  # flat bodies carry nothing more
    seed = json.loads((Path(__file__).parents[1] / "airflow_provider_ghl" / "catalog.json").read_text())
    nested = {op["key"] for op in seed["operations"] if (op["body"] or {}).get("nested")}
    assert nested == {"create_contact", "update_contact", "upsert_contact", "create_calendar", "update_calendar",
                      "create_calendar_notification", "update_calendar_notification", "create_user", "update_user",
                      "update_message_status", "create_location"}
