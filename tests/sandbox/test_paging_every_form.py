"""Paging every list operation returns each record once (issue 13): every collection form of both specs.

The 124's lists and searches in their v2 and v3 forms (stateful: the sandbox's seed records) and every second-tier
list form in v2 and v3 (stateless examples, or state where an area keeps it) are paged with ``hook.paginate``
against the session sandbox, at a page size that makes about three pages where the style takes one. Each must
return every record once, as many as the sandbox holds: the answer's total where it reports one, else what one
request at the form's maximum page size (or paging at it) reads. Forms that cannot page by spec (one page, one time
window) must be read in exactly one request. Failures are grouped by paging style.
"""

from __future__ import annotations

import json
import math
from collections import Counter, defaultdict
from typing import Any

import httpx
import pytest

from airflow_provider_ghl.catalog import Operation, all_keys, get_operation, operations, versions_of
from airflow_provider_ghl.hooks.page_sizes import page_size_range
from airflow_provider_ghl.hooks.paging import Pager, records_of, total_of
from tests.sandbox.test_every_operation import a_record_for, forms, request_for, stateful

SINGLE_PAGE = {
    "single_page": "the spec names no paging parameter: the whole list comes in one answer",
    "time_window": "one request per time window (HighLevel requires one; the caller's, else a year around now)",
}
"""Styles that cannot page, with the reason: their forms are read in exactly one request."""
PAGES = 3
"""About this many pages per collection (more where a style re-reads a page at a boundary)."""


def collection_forms() -> list[Operation]:
    """Every collection form (v2, v3) of every operation, the 124's and the second tier's (less the OAuth routes the
    sandbox serves itself, as ``forms()``)."""
    second = {(op.key, op.api) for op in forms()}
    return [op for key in all_keys() for version in versions_of(key)
            if (op := get_operation(key, version)).is_collection and (key in operations() or (key, version) in second)]


def seed_values(sandbox) -> dict[str, Any]:
    """Path arguments and required parameters of the 124's lists, by name: the seed's ids with the most records
    behind them (the contact with the most tasks and notes, the first appointment's pages of notes...)."""

    def most(table: str, field: str) -> str:
        return Counter(row[field] for row in sandbox.control("GET", f"tables/{table}") if row.get(field)).most_common(1)[0][0]

    contacts = Counter(row["contactId"] for table in ("contact_tasks", "contact_notes", "events")
                       for row in sandbox.control("GET", f"tables/{table}") if row.get("contactId"))
    appointments = [row["id"] for row in sandbox.control("GET", "tables/events") if row.get("contactId")]
    return {
        "contact_id": contacts.most_common(1)[0][0], "business_id": most("contacts", "businessId"),
        "appointment_id": appointments[0], "calendar_id": most("calendar_notifications", "calendarId"),
        "resource_type": most("calendar_resources", "resourceType"), "record_id": most("relations", "firstRecordId"),
        "conversation_id": most("messages", "conversationId"), "blogId": most("blog_posts", "blogId"),
        "calendarId": most("events", "calendarId"), "companyId": sandbox.company_id,
        "emails": [row["email"] for row in sandbox.control("GET", "tables/users")],
    }


def arguments(op: Operation, sandbox, seeded: dict[str, Any]) -> dict[str, Any]:
    """``hook.paginate``'s keyword arguments for ``op``: path arguments, the spec's required query parameters and
    body fields (as ``test_every_operation`` builds them), the seed's ids where the 124 need real ones; never the
    paging parameters (the style's to send) nor the location or company (the hook fills them)."""
    _path, query, body = request_for(op, sandbox)
    filled = {name for placement in (op.location, op.company) if placement for name in placement.filled}
    paging = op.paging_parameters
    records = a_record_for(op, sandbox, set()) if stateful(op) else {}  # the reporting areas hold real records
    path = {p.argument: records.get(p.name) or seeded.get(p.argument, "abc123")
            for p in op.path_params if p.name not in filled}
    query = {name: seeded.get(name, value) for name, value in query.items() if name not in filled | paging}
    if op.paging_style == "time_window" and op.query_param("calendarId"):
        query["calendarId"] = seeded["calendarId"]  # HighLevel wants one of calendarId, groupId, userId
    if isinstance(body, dict):
        body = {name: seeded.get(name, value) for name, value in body.items() if name not in filled | paging}
    return {"query": query, "body": body, "api_version": op.api, **path}


@pytest.fixture
def hooks(sandbox, monkeypatch):
    """Hooks on the sandbox's location holding every scope a collection form names: a location token, and an
    agency token for the forms only an agency may call (installed locations...)."""
    from airflow_provider_ghl.hooks.ghl import GHLHook

    scopes = sorted({scope for op in collection_forms() for scope in op.scopes})
    location = sandbox.control("POST", "tokens", {"scopes": scopes})["token"]
    refresh = sandbox.control("POST", "oauth/grants", {"user_type": "Company", "scopes": scopes})["refresh_token"]
    extra = sandbox.connection("oauth")["extra"]
    agency = httpx.post(f"{sandbox.base_url}/oauth/token", data={
        "client_id": extra["client_id"], "client_secret": extra["client_secret"],
        "grant_type": "refresh_token", "refresh_token": refresh}).json()["access_token"]
    made = {}
    for kind, token in (("location", location), ("agency", agency)):
        monkeypatch.setenv(f"AIRFLOW_CONN_GHL_PAGING_{kind.upper()}", json.dumps({
            **sandbox.connection("full"), "password": token,
            "extra": {**sandbox.connection("full")["extra"], "scopes": " ".join(scopes)}}))
        made[kind] = GHLHook(ghl_conn_id=f"ghl_paging_{kind}", max_retries=0)
    yield made
    for hook in made.values():
        hook.close()


def expected(hook, op: Operation, kwargs: dict[str, Any]) -> tuple[set[str] | None, int]:
    """(the ids, how many records) the sandbox holds for ``op``: the answer's total where it reports one, else one
    request at the maximum page size, else (a full page, or no maximum) paging at that size or the default one."""
    largest = op.pagination.get("max_limit")
    request = Pager.start(op, kwargs["query"], kwargs["body"], largest).request  # the style's own first request
    first = hook.call(op.key, **{**kwargs, "query": request.query, "body": request.body})
    total = total_of(first, op)
    records = records_of(op, first)
    if total is None and not (largest and len(records) < largest):  # maybe more than one answer holds
        records = list(hook.paginate(op.key, page_size=largest, **kwargs))  # at the maximum, or HighLevel's default
    ids = {id_of(record) for record in records}
    return ids if total is None and None not in ids else None, total if total is not None else len(records)


def id_of(record: Any) -> str | None:
    """A record's id (``id``, ``_id``); ``None`` for records without one (phone numbers, plain values)."""
    found = record.get("id") or record.get("_id") if isinstance(record, dict) else None
    return None if found is None else str(found)


def test_paging_every_collection_form_returns_each_record_once(sandbox, hooks):
    seeded = seed_values(sandbox)
    failures: dict[str, list[str]] = defaultdict(list)
    single: dict[str, list[str]] = defaultdict(list)
    paged = Counter()
    for op in collection_forms():
        hook = hooks["location" if "location" in op.token_types else "agency"]
        kwargs = arguments(op, sandbox, seeded)
        where = f"{op.key} {op.api}"
        try:
            ids, count = expected(hook, op, kwargs)
            takes_size = bool(op.pagination.get("limit_param")) and op.paging_style not in SINGLE_PAGE
            # About PAGES pages, at no less than the spec's minimum (the messages export's 10).
            size = max(page_size_range(op)[0], math.ceil(count / PAGES)) if takes_size else None
            before = hook.requests_sent
            records = list(hook.paginate(op.key, page_size=size, **kwargs))
            requests = hook.requests_sent - before
        except Exception as error:  # every form's failure is reported, grouped by style
            failures[op.paging_style].append(f"{where}: {type(error).__name__}: {str(error)[:200]}")
            continue
        keys = [key for record in records if (key := id_of(record))]
        twice = sorted(k for k, n in Counter(keys).items() if n > 1)
        problems = []
        if twice:
            problems.append(f"{len(twice)} records read more than once ({twice[:3]})")
        if len(records) != count:
            problems.append(f"{len(records)} records read where the sandbox holds {count}")
        if ids is not None and (len(keys) != len(records) or set(keys) != ids):
            problems.append(f"other records than one request at the maximum page size reads: {sorted(set(keys) ^ ids)[:3]}")
        if op.paging_style in SINGLE_PAGE and requests != 1:
            problems.append(f"{requests} requests for a form that cannot page")
        if size and count > size and requests < 2:
            problems.append(f"{requests} request(s) at page size {size} for {count} records")
        if problems:
            failures[op.paging_style].append(f"{where}: " + "; ".join(problems))
        elif op.paging_style in SINGLE_PAGE:
            single[op.paging_style].append(where)
        else:
            paged[op.paging_style] += 1
    assert not failures, f"{sum(map(len, failures.values()))} forms failed, by paging style:\n" + "\n".join(
        f"[{style}] {len(lines)}:\n  " + "\n  ".join(lines) for style, lines in sorted(failures.items()))
    # Every style of the catalog that pages was read over several pages; the forms that cannot page, with why.
    assert set(paged) >= {"offset", "body_skip_limit", "start_after", "search_after", "start_after_date",
                          "last_message_id", "page", "cursor", "page_token"}, paged
    assert set(single) == set(SINGLE_PAGE), single
    print("paged over several pages:", dict(paged))
    for style, names in single.items():
        print(f"one request ({SINGLE_PAGE[style]}): {len(names)} forms: {', '.join(sorted(names))}")


def test_a_cursor_the_sandbox_never_gave_is_refused(hooks):
    """The second tier's cursors are its own (base64 JSON, as HighLevel's look): anything else is a 422, so a client
    that sends back something other than the answer's cursor finds out."""
    from airflow_provider_ghl.exceptions import GHLValidationError

    first = hooks["location"].call("export_messages_by_location", query={"limit": 10})  # the spec's minimum
    assert len(first["messages"]) == 10 and first["nextCursor"]
    second = hooks["location"].call("export_messages_by_location", query={"limit": 10, "cursor": first["nextCursor"]})
    assert second["messages"] != first["messages"]
    for junk in ("not-a-cursor", "eyJza2lwIjo5OX0"):  # {"skip":99}: past the collection
        with pytest.raises(GHLValidationError, match="cursor is not a cursor this API returned"):
            hooks["location"].call("export_messages_by_location", query={"limit": 10, "cursor": junk})


@pytest.mark.parametrize("version", ["v2", "v3"])
def test_a_page_size_outside_the_specs_range_is_refused_before_any_request(sandbox, hooks, version):
    """paginate refuses the messages export's page size under its spec's 10 (or over its 500), or such a ``limit`` in
    the query, naming the field, the operation, the range and the fix; the sandbox sees no request. At the minimum,
    three pages of 10 read the whole export."""
    from airflow_provider_ghl.exceptions import GHLInputError

    hook = hooks["location"]
    sandbox.control("DELETE", "stats")
    for arguments, refused in (({"page_size": 9}, "page_size 9 is below HighLevel's minimum of 10"),
                               ({"page_size": 501}, "page_size 501 is above HighLevel's maximum of 500"),
                               ({"query": {"limit": 5}}, "query.limit 5 is below HighLevel's minimum of 10")):
        with pytest.raises(GHLInputError, match=refused + r": export_messages_by_location \(" + version +
                           r"\) takes limit from 10 to 500\. (Pass page_size=|Give query\.limit a value) from 10 to 500"):
            list(hook.paginate("export_messages_by_location", api_version=version, **arguments))
    assert sandbox.stats().get("requests", 0) == 0
    records = list(hook.paginate("export_messages_by_location", page_size=10, api_version=version))
    assert len(records) == 21 and sandbox.stats()["op:export_messages_by_location"] == 3  # 10 + 10 + 1


@pytest.mark.parametrize("version", ["v2", "v3"])
def test_the_sandbox_answers_highlevels_422_to_a_page_size_outside_the_specs_range(hooks, version):
    """call() sends what it is given; the sandbox checks every form's page size (query or body) against its spec's
    range, the second tier's too, as HighLevel's validators do."""
    from airflow_provider_ghl.exceptions import GHLValidationError

    hook = hooks["location"]
    refused = [("export_messages_by_location", {"query": {"limit": 9}}, "limit must not be less than 10"),
               ("export_messages_by_location", {"query": {"limit": 501}}, "limit must not be greater than 500"),
               ("voice_ai__get_agents", {"query": {"pageSize": 51}}, "pageSize must not be greater than 50")]
    if version == "v3":  # a body's page size: the social planner's comments take limit from 1 to 100
        comments = {"platform": "google", "body": {"originIds": ["o1"], "limit": 101}}
        refused += [("get_comment_list", comments, "limit must not be greater than 100"),
                    ("get_comment_list", {**comments, "body": {"originIds": ["o1"], "limit": 0}},
                     "limit must not be less than 1")]
    for key, arguments, message in refused:
        with pytest.raises(GHLValidationError) as raised:
            hook.call(key, api_version=version, **arguments)
        assert (raised.value.status, raised.value.message, raised.value.body["error"]) == (
            422, [message], "Unprocessable Entity"), key
    assert len(hook.call("export_messages_by_location", query={"limit": 10}, api_version=version)["messages"]) == 10


def test_the_gate_checks_the_124s_forms_by_the_same_rule():
    """None of the 124's specs names a page-size minimum today; the gate reads every form's range from the catalog,
    so one that did would be enforced like the second tier's."""
    from dataclasses import replace

    from airflow_provider_ghl.sandbox.errors import ApiError
    from airflow_provider_ghl.sandbox.params import page_size_in_range

    contacts = get_operation("list_contacts")
    stricter = replace(contacts, pagination={**contacts.pagination, "min_limit": 10})
    page_size_in_range(stricter, {"limit": "10"}, None)
    page_size_in_range(stricter, {}, None)  # none given: the handler's default
    with pytest.raises(ApiError) as raised:
        page_size_in_range(stricter, {"limit": "9"}, None)
    assert (raised.value.status, raised.value.message) == (422, ["limit must not be less than 10"])
    search = get_operation("search_contacts")  # pageLimit in the body, up to 500
    with pytest.raises(ApiError, match="pageLimit must not be greater than 500"):
        page_size_in_range(search, {}, {"pageLimit": 501})

