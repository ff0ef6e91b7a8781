"""Each pagination style's class on its own: first request, advancing, stop condition, time window. No HTTP."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from airflow_provider_ghl.catalog import all_keys, get_operation, versions_of
from airflow_provider_ghl.exceptions import GHLInputError
from airflow_provider_ghl.hooks.paging import (
    DEFAULT_WINDOW,
    PAGINATORS,
    BodySkipLimitPaginator,
    CursorPaginator,
    LastMessageIdPaginator,
    OffsetPaginator,
    PageNumberPaginator,
    Pager,
    PageRequest,
    PageTokenPaginator,
    Paginator,
    SearchAfterPaginator,
    StartAfterDatePaginator,
    StartAfterPaginator,
    TimeWindowPaginator,
    paginator_for,
    records_of,
    total_of,
)


def make(key: str, page_size: int | None = 2, api: str | None = None) -> Paginator:
    paginator = paginator_for(get_operation(key, api))
    paginator.page_size = page_size
    return paginator


def ids(*names: str, **fields: Any) -> list[dict]:
    return [{"id": name, **fields} for name in names]


def catalog_styles() -> set[str]:
    """The paging styles of every form of every operation (both tiers, both specs)."""
    return {get_operation(key, version).paging_style for key in all_keys() for version in versions_of(key)}


def test_every_style_of_the_catalog_has_its_class_in_the_table():
    styles = catalog_styles()
    assert styles <= set(PAGINATORS), styles - set(PAGINATORS)
    for style, paginator in PAGINATORS.items():
        assert paginator.style == style or (style == "none" and paginator is Paginator)


def test_an_unknown_style_is_refused_before_any_request():
    op = get_operation("search_users")
    odd = type(op).__new__(type(op))
    for name in op.__slots__:
        object.__setattr__(odd, name, getattr(op, name))
    object.__setattr__(odd, "pagination", {"style": "telepathy"})
    with pytest.raises(GHLInputError, match="telepathy"):
        paginator_for(odd)


# -- single page and time window -------------------------------------------------------------------------
def test_a_single_page_asks_once_with_its_page_size():
    paginator = make("list_custom_fields", None)
    assert type(paginator) is Paginator
    request = paginator.first({"model": "contact"}, None)
    assert request == PageRequest({"model": "contact"}, None)
    assert paginator.next({"customFields": ids("a")}, ids("a"), request) is None


def test_a_time_window_fills_its_window_only_when_the_caller_gives_none():
    paginator = make("list_calendar_events", None)
    assert isinstance(paginator, TimeWindowPaginator)
    request = paginator.first({"calendarId": "cal"}, None)
    start, end = (datetime.fromtimestamp(request.query[name] / 1000, UTC) for name in ("startTime", "endTime"))
    assert end - start == 2 * DEFAULT_WINDOW
    assert abs((start + DEFAULT_WINDOW) - datetime.now(UTC)) < timedelta(minutes=1)
    assert paginator.first({"startTime": 1, "endTime": 2}, None).query == {"startTime": 1, "endTime": 2}
    assert paginator.next({"events": ids("a", "b")}, ids("a", "b"), request) is None  # one window, one request


def test_a_given_window_goes_into_the_operations_own_parameters():
    day = datetime(2026, 1, 1, tzinfo=UTC)
    window = (day, day + timedelta(days=1))
    assert TimeWindowPaginator.windowed(get_operation("list_calendar_events"), {"calendarId": "c"}, window) == {
        "calendarId": "c", "startTime": 1_767_225_600_000, "endTime": 1_767_312_000_000}
    assert TimeWindowPaginator.windowed(get_operation("get_free_slots"), None, window) == {
        "startDate": 1_767_225_600_000, "endDate": 1_767_312_000_000}
    assert TimeWindowPaginator.windowed(get_operation("get_free_slots"), {"startDate": 5}, window) == {"startDate": 5}
    assert TimeWindowPaginator.windowed(get_operation("search_users"), {"a": 1}, window) == {"a": 1}  # no window


# -- offset and body skip/limit ---------------------------------------------------------------------------
def test_offset_starts_at_zero_and_advances_by_the_records_read():
    paginator = make("search_users")
    assert isinstance(paginator, OffsetPaginator)
    request = paginator.first({"query": "ann"}, None)
    assert request.query == {"query": "ann", "limit": 2, "skip": 0}
    cursor, request = paginator.next({}, ids("a", "b"), request)
    assert cursor == 2 and request.query == {"query": "ann", "limit": 2, "skip": 2}
    assert paginator.next({}, ids("c"), request) is None  # a short page is the last


def test_body_skip_limit_sends_strings_in_the_body():
    paginator = make("filter_users_by_email")
    assert isinstance(paginator, BodySkipLimitPaginator)
    assert paginator.given_page_size({}, {"limit": "7"}) == "7"
    request = paginator.first({}, {"emails": ["a@b.c"]})
    assert request.body == {"emails": ["a@b.c"], "limit": "2", "skip": "0"}
    cursor, request = paginator.next({}, ids("a", "b"), request)
    assert cursor == 2 and request.body == {"emails": ["a@b.c"], "limit": "2", "skip": "2"}
    assert paginator.next({}, ids("c"), request) is None


# -- page numbers ------------------------------------------------------------------------------------------
def test_page_numbers_start_at_the_first_page_and_advance_by_one():
    paginator = make("voice_ai__get_agents")  # GET /voice-ai/agents: page (from 1) + pageSize
    assert isinstance(paginator, PageNumberPaginator)
    request = paginator.first({"query": "sales"}, None)
    assert request.query == {"query": "sales", "page": 1, "pageSize": 2}
    cursor, request = paginator.next({"agents": ids("a", "b")}, ids("a", "b"), request)
    assert cursor == 2 and request.query == {"query": "sales", "page": 2, "pageSize": 2}
    assert paginator.next({}, ids("c"), request) is None  # a short page is the last


def test_page_numbers_stop_once_the_pages_read_hold_the_total():
    paginator = make("get_forms_submissions")  # meta.total, as HighLevel answers it
    request = paginator.first({}, None)
    page = {"submissions": ids("a", "b"), "meta": {"total": 5}}
    cursor, request = paginator.next(page, page["submissions"], request)
    cursor, request = paginator.next(page, ids("c", "d"), request)
    assert cursor == 3  # 4 of 5 read: one more page
    assert paginator.next({"meta": {"total": 6}}, ids("e", "f"), request) is None  # 6 of 6: no empty page asked
    assert paginator.next({"total": 4}, ids("a", "b"), paginator.first({}, None)) == (
        2, PageRequest({"page": 2, "limit": 2}, None))


def test_page_numbers_from_zero_where_the_spec_starts_there():
    paginator = make("active_numbers")  # phone numbers: page 0, 1, ... (the spec's minimum and default are 0)
    assert paginator.op.pagination["first_page"] == 0
    request = paginator.first({}, None)
    assert request.query == {"page": 0, "pageSize": 2}
    assert paginator.next({"total": 4}, ids("a", "b"), request)[0] == 1
    assert paginator.next({"total": 2}, ids("a", "b"), request) is None  # page 0 held both


def test_page_numbers_without_a_page_size_learn_highlevels_default_from_the_first_page():
    paginator = make("get_forms_submissions", None)  # the spec caps no limit: HighLevel's default (20) applies
    request = paginator.first({}, None)
    assert request.query == {"page": 1}
    twenty = ids(*map(str, range(20)))
    cursor, request = paginator.next({}, twenty, request)
    assert cursor == 2 and paginator.page_size == 20
    assert paginator.next({}, ids("x"), request) is None


def test_a_start_page_of_the_caller_is_kept_and_a_bad_one_refused():
    paginator = make("voice_ai__get_agents")
    assert paginator.first({"page": "3"}, None).query == {"page": 3, "pageSize": 2}
    for bad in (0, "two", True, -1):
        with pytest.raises(GHLInputError, match=r"query\.page must be a page number from 1"):
            make("voice_ai__get_agents").first({"page": bad}, None)


# -- cursors -----------------------------------------------------------------------------------------------
def test_start_after_sends_both_cursor_parts_from_meta_or_the_last_record():
    paginator = make("list_contacts")
    assert isinstance(paginator, StartAfterPaginator)
    request = paginator.first({"query": "x"}, None)
    assert request.query == {"query": "x", "limit": 2}
    data = {"contacts": ids("a", "b"), "meta": {"startAfterId": "b", "startAfter": 1700}}
    cursor, request = paginator.next(data, data["contacts"], request)
    assert cursor == ("b", 1700)
    assert request.query == {"query": "x", "limit": 2, "startAfterId": "b", "startAfter": 1700}
    records = ids("c", "d", dateAdded="2026-01-01T00:00:00Z")
    cursor, _ = paginator.next({"contacts": records}, records, request)
    assert cursor == ("d", 1_767_225_600_000)  # no meta: the last record's id and time (epoch ms)
    no_more = {"contacts": ids("e", "f"), "meta": {"startAfterId": None, "startAfter": None}}
    assert paginator.next(no_more, no_more["contacts"], request) is None


def test_search_after_follows_the_last_records_search_after_else_page_numbers():
    paginator = make("search_contacts")
    assert isinstance(paginator, SearchAfterPaginator)
    assert paginator.given_page_size({}, {"pageLimit": 50}) == 50
    request = paginator.first({}, {"filters": []})
    assert request.body == {"filters": [], "pageLimit": 2}
    records = [{"id": "a", "searchAfter": [1, "a"]}, {"id": "b", "searchAfter": [2, "b"]}]
    cursor, after = paginator.next({}, records, PageRequest({}, {**request.body, "page": 1}))
    assert cursor == [2, "b"] and after.body == {"filters": [], "pageLimit": 2, "searchAfter": [2, "b"]}
    cursor, paged = paginator.next({}, ids("a", "b"), request)
    assert cursor == 2 and paged.body["page"] == 2


def test_search_after_page_numbers_stop_at_highlevels_cap():
    paginator = make("search_contacts", 500)
    request = PageRequest({}, {"pageLimit": 500, "page": 20})
    assert paginator.next({}, ids(*map(str, range(500))), request) is None


def test_start_after_date_resumes_after_the_last_different_value():
    paginator = make("search_conversations", 3)
    assert isinstance(paginator, StartAfterDatePaginator)
    request = paginator.first({}, None)
    records = [{"id": "a", "sort": [1]}, {"id": "b", "sort": [2]}, {"id": "c", "sort": [2]}]
    cursor, request = paginator.next({}, records, request)
    assert cursor == 1 and request.query["startAfterDate"] == 1  # b and c's tie is read again on the next page


def test_start_after_date_widens_a_page_of_ties():
    paginator = make("search_conversations", 3)
    request = paginator.first({}, None)
    ties = [{"id": name, "sort": [5]} for name in "abc"]
    cursor, wider = paginator.next({}, ties, request)
    assert cursor == "first page" and "startAfterDate" not in wider.query
    assert wider.query["limit"] == paginator.page_size == 100
    cursor, stuck = paginator.next({}, [{"id": str(i), "sort": [5]} for i in range(100)], wider)
    assert cursor == 5 and stuck.query["startAfterDate"] == 5  # at the maximum: past the ties, with a warning


def test_last_message_id_follows_next_page_even_on_short_pages():
    paginator = make("get_messages_by_conversation", 5)
    assert isinstance(paginator, LastMessageIdPaginator)
    request = paginator.first({}, None)
    data = {"messages": {"messages": ids("m1"), "nextPage": True, "lastMessageId": "m1"}}
    cursor, request = paginator.next(data, ids("m1"), request)
    assert cursor == "m1" and request.query == {"limit": 5, "lastMessageId": "m1"}
    done = {"messages": {"messages": ids("m2"), "nextPage": False}}
    assert paginator.next(done, ids("m2"), request) is None


def test_a_cursor_goes_back_as_given_until_the_answer_has_none():
    paginator = make("export_messages_by_location", 10)  # GET /conversations/messages/export: cursor + nextCursor
    assert isinstance(paginator, CursorPaginator)
    request = paginator.first({"channel": "SMS"}, None)
    assert request.query == {"channel": "SMS", "limit": 10}
    data = {"messages": ids("a"), "nextCursor": "opaque==", "total": 30}
    cursor, request = paginator.next(data, ids("a"), request)  # a short page does not end it: the cursor says
    assert cursor == "opaque==" and request.query == {"channel": "SMS", "limit": 10, "cursor": "opaque=="}
    for last in ({"messages": ids("b")}, {"messages": ids("b"), "nextCursor": None}, {"messages": ids("b"), "nextCursor": ""}):
        assert paginator.next(last, ids("b"), request) is None


def test_a_page_token_follows_the_answers_pagination_while_it_has_a_next_page():
    paginator = make("get_installed_location", 2, api="v3")  # v3's AIP-158: pageToken + pageSize
    assert isinstance(paginator, PageTokenPaginator)
    request = paginator.first({"companyId": "c", "appId": "a"}, None)
    assert request.query == {"companyId": "c", "appId": "a", "pageSize": 2}
    data = {"items": ids("a", "b"), "pagination": {"hasNextPage": True, "nextPageToken": "t2"}}
    cursor, request = paginator.next(data, ids("a", "b"), request)
    assert cursor == "t2" and request.query["pageToken"] == "t2"
    done = {"items": ids("c", "d"), "pagination": {"hasNextPage": False, "nextPageToken": "stale"}}
    assert paginator.next(done, ids("c", "d"), request) is None  # no next page, whatever token comes along
    assert paginator.next({"items": ids("c"), "pagination": {"hasNextPage": False}}, ids("c"), request) is None
    lost = {"items": ids("c"), "pagination": {"hasNextPage": True}}  # a next page but no token: no cursor to send
    assert paginator.next(lost, ids("c"), request) == (None, request)


def test_a_page_token_collection_ends_with_a_warning_when_the_token_is_missing(caplog):
    pager = Pager.start(get_operation("get_installed_location", "v3"), {}, None, 2)
    data = {"items": ids("a", "b"), "pagination": {"hasNextPage": True, "totalRecords": 9}}
    page = pager.take(data)
    assert [r["id"] for r in page.records] == ["a", "b"] and page.total == 9
    assert pager.advance(data) is None and "no page cursor" in caplog.text


def test_records_nested_in_an_envelope_are_found_with_their_total():
    """v3's phone numbers answer {"status", "data": {"numbers": [...], "page", "total"}}: the catalog's records
    path says where the list is, and the total beside it bounds the pages."""
    op = get_operation("active_numbers", "v3")
    assert op.records_key == "data.numbers" and op.is_collection
    paginator = make("active_numbers", 2, api="v3")
    data = {"status": "success", "data": {"numbers": ids("a", "b"), "page": 0, "total": 2}}
    assert records_of(op, data) == ids("a", "b") and total_of(data, op) == 2
    assert paginator.next(data, ids("a", "b"), paginator.first({}, None)) is None  # page 0 held the total
    assert records_of(op, {"data": {}}) == [] and records_of(op, {"data": None}) == []


# -- the Pager: the caller's page size, the shared guards --------------------------------------------------
@pytest.mark.parametrize(("key", "query", "body", "size"), [
    ("search_users", {"limit": "20"}, None, 20),
    ("filter_users_by_email", {}, {"limit": "30"}, 30),
    ("search_contacts", {}, {"pageLimit": 50}, 50),
    ("list_contacts", {"limit": 20}, None, 20),
    ("list_contacts", {}, None, 100),
])
def test_the_pager_takes_the_callers_limit_where_the_style_reads_it(key, query, body, size):
    assert Pager.start(get_operation(key), query, body, None).page_size == size


def test_the_pager_sends_the_callers_limit_even_beside_a_page_size():
    """The caller's ``limit`` is what goes out, so it is the page size (else a page of 20 read as one of 50 would end
    paging after the first page)."""
    pager = Pager.start(get_operation("list_contacts"), {"limit": 20}, None, 50)
    assert pager.request.query["limit"] == 20 and pager.page_size == 20


def test_a_page_size_the_pager_picks_is_within_the_specs_range():
    """Without a caller's page size: the form's maximum; where the spec requires one and names no maximum, 20, or the
    spec's minimum where that is higher (HighLevel would answer 422 to 20)."""
    export = get_operation("export_messages_by_location")  # limit from 10 to 500
    assert Pager.start(export, {}, None, None).request.query["limit"] == 500
    invoices = get_operation("invoices__list_invoices")  # requires limit, names no bounds
    assert Pager.start(invoices, {}, None, None).request.query["limit"] == 20
    larger = replace(invoices, pagination={**invoices.pagination, "min_limit": 50})
    assert Pager.start(larger, {}, None, None).request.query["limit"] == 50
    with pytest.raises(GHLInputError, match="page_size 20 is below HighLevel's minimum of 50: invoices__list_invoices "
                                            r"\(v2\) takes limit of at least 50\. Pass page_size= of at least 50, or "
                                            r"leave it out \(paginate then asks for 50 per page\)"):
        Pager.start(larger, {}, None, 20)


def test_the_pager_keeps_the_callers_request_untouched():
    query, body = {"query": "ann"}, {"filters": []}
    Pager.start(get_operation("search_contacts"), query, body, None)
    assert query == {"query": "ann"} and body == {"filters": []}


def test_every_style_of_the_catalog_has_its_own_unit_tests_here():
    """A new pagination style gets its first/next/stop tests in this module (built with ``make``)."""
    import re
    from pathlib import Path

    made = set(re.findall(r'\bmake\("(\w+)"(?:[^)\n]*api="(v\d)")?', Path(__file__).read_text()))
    styles = catalog_styles() - {"none"}
    assert styles <= {get_operation(key, api or None).paging_style for key, api in made}, "a style without unit tests here"
