"""Paging always ends: a HighLevel that repeats pages, sends back an earlier cursor or outruns its own total
makes the hook raise GHLPaginationError within a few requests, in every pagination style of the catalog."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from airflow_provider_ghl.catalog import get_operation
from airflow_provider_ghl.exceptions import GHLPaginationError
from airflow_provider_ghl.hooks.ghl import GHLHook, InMemoryTokenStore
from airflow_provider_ghl.hooks.page_sizes import page_size_range
from airflow_provider_ghl.hooks.paging import Pager
from tests.conftest import task_context
from tests.hostile import Reply, Request

PAGE = 5
MOST_REQUESTS = 12  # every scenario below must end within this many requests


def record(style: str, name: str, position: int) -> dict[str, Any]:
    """A record carrying whatever cursor its pagination style reads from the last record of a page."""
    moment = 1_700_000_000_000 + position * 1000
    found: dict[str, Any] = {"id": name, "dateAdded": moment, "dateUpdated": moment}
    if style == "search_after":
        found["searchAfter"] = [moment, name]
    if style == "start_after_date":
        found["sort"] = [moment]
    return found


def answer(style: str, records: list[dict], total: int | None) -> dict[str, Any]:
    """One page in the shape HighLevel answers for the style (cursors where HighLevel puts them)."""
    last = records[-1]
    if style == "last_message_id":
        return {"messages": {"messages": records, "nextPage": True, "lastMessageId": last["id"]}}
    if style == "cursor":  # the next page's cursor beside the records, as the messages export answers
        return {"messages": records, "nextCursor": f"after-{last['id']}", **({"total": total} if total else {})}
    if style == "page_token":  # v3's AIP-158 pagination object
        return {"items": records, "pagination": {"hasNextPage": True, "nextPageToken": f"after-{last['id']}",
                                                 **({"totalRecords": total} if total else {})}}
    key = {"offset": "users", "body_skip_limit": "users", "page": "agents"}.get(
        style, "contacts" if style != "start_after_date" else "conversations")
    data: dict[str, Any] = {key: records}
    if style == "start_after":
        data["meta"] = {"startAfterId": last["id"], "startAfter": last["dateAdded"], **({"total": total} if total else {})}
    elif total is not None:
        data["total"] = total
    return data


# style -> (operation, method, path, paginate's arguments); one operation per style of the catalog that pages.
STYLES: dict[str, tuple[str, str, str, dict[str, Any]]] = {
    "offset": ("search_users", "GET", "/users/search", {}),
    "body_skip_limit": ("filter_users_by_email", "POST", "/users/search/filter-by-email", {}),
    "start_after": ("list_contacts", "GET", "/contacts/", {}),
    "search_after": ("search_contacts", "POST", "/contacts/search", {}),
    "start_after_date": ("search_conversations", "GET", "/conversations/search", {}),
    "last_message_id": ("get_messages_by_conversation", "GET", "/conversations/c1/messages", {"conversation_id": "c1"}),
    "page": ("voice_ai__get_agents", "GET", "/voice-ai/agents", {}),
    "cursor": ("export_messages_by_location", "GET", "/conversations/messages/export", {}),
    "page_token": ("get_installed_location", "GET", "/oauth/installed-locations",
                   {"api_version": "v3", "query": {"companyId": "hostileCompany00001", "appId": "app1"}}),
}
ENDS_AT_TOTAL = {"page"}
"""Styles that stop asking once their pages hold the reported total: a server outrunning it is simply not read on."""


def test_every_paging_style_of_the_catalog_is_covered():
    from tests.hooks.test_paginators import catalog_styles

    styles = catalog_styles() - {"none", "single_page", "time_window"}
    assert styles == set(STYLES)
    assert all(get_operation(key, arguments.get("api_version")).paging_style == style
               for style, (key, _method, _path, arguments) in STYLES.items())


def pages(style: str, chooser: Callable[[int], tuple[str, int]], total: int | None) -> Callable[[Request], Reply]:
    """A route answering request ``n`` with the page ``chooser(n)`` names: (page name, first position)."""
    count = [0]

    def reply(request: Request) -> Reply:
        name, start = chooser(count[0])
        count[0] += 1
        body = request.json() if request.body else {}
        size = int(request.query.get("limit") or request.query.get("pageSize") or body.get("pageLimit")
                   or body.get("limit") or PAGE)  # a full page
        records = [record(style, f"{name}{i}", start * size // PAGE + i) for i in range(size)]
        return Reply(200, answer(style, records, total))

    return reply


SCENARIOS: dict[str, tuple[Callable[[int], tuple[str, int]], int | None]] = {
    "the same page forever": (lambda n: ("a", 0), None),
    "pages A, B, A, B, ...": (lambda n: ("ab"[n % 2], PAGE * (n % 2)), None),
    "a cycle of five pages": (lambda n: ("abcde"[n % 5], PAGE * (n % 5)), None),
    "new records past the reported total": (lambda n: (f"p{n}_", PAGE * n), 12),
}


@pytest.fixture
def hostile_hook(hostile):
    hook = GHLHook("ghl_hostile", token_store=InMemoryTokenStore())
    yield hook
    hook.close()


@pytest.mark.parametrize("scenario", list(SCENARIOS))
@pytest.mark.parametrize("style", list(STYLES))
def test_endless_pages_end_with_a_typed_error(hostile, hostile_hook, style, scenario):
    chooser, total = SCENARIOS[scenario]
    if total is not None and style == "last_message_id":
        pytest.skip("messages carry no total: endless new messages cannot be told from a long conversation")
    key, method, path, arguments = STYLES[style]
    hostile.route(method, path, pages(style, chooser, total))
    # PAGE, or the form's minimum above it (the messages export's limit is 10 at least).
    size = max(PAGE, page_size_range(get_operation(key, arguments.get("api_version")))[0])
    if total is not None and style in ENDS_AT_TOTAL:
        got = [r["id"] for r in hostile_hook.paginate(key, page_size=size, **arguments)]
        assert len(hostile.sent(method, path)) == -(-total // size) and len(got) == len(set(got))
        return
    emitted: list[str] = []
    with pytest.raises(GHLPaginationError) as raised:
        emitted.extend(r["id"] for r in hostile_hook.paginate(key, page_size=size, **arguments))
    requests = len(hostile.sent(method, path))
    assert requests <= MOST_REQUESTS, f"{requests} requests before giving up"
    assert raised.value.operation == key and raised.value.pages == requests
    text = str(raised.value)
    assert key in text and f"after {requests} pages" in text and "Run the task again" in text
    assert len(emitted) == len(set(emitted)), "records were emitted twice"


async def test_async_hook_ends_the_same_way(hostile):
    from airflow_provider_ghl.hooks.ghl import GHLAsyncHook

    hostile.route("POST", "/contacts/search", pages("search_after", lambda n: ("ab"[n % 2], PAGE * (n % 2)), None))
    hook = GHLAsyncHook("ghl_hostile", token_store=InMemoryTokenStore())
    with pytest.raises(GHLPaginationError):
        async for _ in hook.apaginate("search_contacts", page_size=PAGE):
            pass
    assert len(hostile.sent("POST", "/contacts/search")) <= MOST_REQUESTS


def test_a_collection_sensor_on_an_endless_collection_fails(hostile, cursor_store):
    from airflow_provider_ghl.sensors.contacts import GHLSearchContactsSensor

    hostile.route("POST", "/contacts/search", pages("search_after", lambda n: ("a", 0), None))
    sensor = GHLSearchContactsSensor(task_id="endless", ghl_conn_id="ghl_hostile", watermark="cursor")
    with pytest.raises(GHLPaginationError):
        sensor.poke(task_context("endless"))
    assert len(hostile.sent("POST", "/contacts/search")) <= MOST_REQUESTS


# -- legit repeats still page through (pure Pager logic) ------------------------------------------------
def feed(pager: Pager, pages_of_ids: list[list[str]], total: int | None = None) -> list[str]:
    out: list[str] = []
    for page in pages_of_ids:
        data = {"users": [{"id": i} for i in page], **({"count": total} if total is not None else {})}
        out += [r["id"] for r in pager.take(data).records]
        pager.advance(data)
    return out


def test_offset_pages_shifted_by_inserts_are_not_an_error():
    pager = Pager.start(get_operation("search_users"), {}, None, 3)
    # Three records inserted at the top between pages 1 and 2: page 2 repeats page 1 entirely, then paging goes on.
    got = feed(pager, [["a", "b", "c"], ["a", "b", "c"], ["d", "e", "f"], ["g"]], total=10)
    assert got == ["a", "b", "c", "d", "e", "f", "g"]


def test_a_few_stale_pages_in_a_row_are_allowed_but_not_more():
    from airflow_provider_ghl.hooks.paging import STALE_PAGES_ALLOWED

    pager = Pager.start(get_operation("search_users"), {}, None, 2)
    stale = [["a", "b"], ["b", "a"]] * 3
    assert feed(pager, [["a", "b"], *stale[:STALE_PAGES_ALLOWED], ["c", "d"]]) == ["a", "b", "c", "d"]
    pager = Pager.start(get_operation("search_users"), {}, None, 2)
    with pytest.raises(GHLPaginationError, match="no new record"):
        feed(pager, [["a", "b"], *stale[: STALE_PAGES_ALLOWED + 1]])


def test_total_grown_by_inserts_while_paging_is_not_an_error():
    pager = Pager.start(get_operation("search_users"), {}, None, 10)
    pages_of_ids = [[f"r{p}_{i}" for i in range(10)] for p in range(8)]
    # The first answer says 20; records keep arriving and later answers say so.
    for number, page in enumerate(pages_of_ids):
        data = {"users": [{"id": i} for i in page], "count": 20 + 10 * number}
        assert len(pager.take(data).records) == 10
        pager.advance(data)


def test_a_limit_in_the_callers_request_is_the_page_size(fresh_sandbox, monkeypatch):
    """A caller's own ``limit``/``pageLimit`` used to be taken for a short last page: paging stopped after it."""
    monkeypatch.setenv("AIRFLOW_CONN_GHL_PAGED", fresh_sandbox.connection_json("full"))
    hook = GHLHook("ghl_paged", token_store=InMemoryTokenStore())
    everyone = {r["id"] for r in hook.paginate("list_contacts")}
    assert len(everyone) > 50
    assert {r["id"] for r in hook.paginate("list_contacts", query={"limit": 20})} == everyone
    assert {r["id"] for r in hook.paginate("search_contacts", body={"pageLimit": 50})} == everyone
