"""The request flows' rules, in memory: retries, 401, 429, ambiguous writes, non-answers, token rotation.

Every test scripts what HighLevel answers, what the token store holds and the clock (``scripted.py``), and
checks every step the flow asked for. No HTTP, no database, no real time: the module runs in milliseconds.
The end-to-end versions of these rules (real sockets, the sandbox) are in ``test_hook.py``.
"""

from __future__ import annotations

import socket
from urllib.parse import parse_qsl

import httpx
import pytest

from airflow_provider_ghl.exceptions import (
    GHLAmbiguousWriteError,
    GHLAuthError,
    GHLDailyLimitError,
    GHLInputError,
    GHLNotFoundError,
    GHLRateLimitError,
    GHLResponseError,
    GHLScopeError,
    GHLServerError,
    GHLTokenStoreError,
    GHLValidationError,
)
from airflow_provider_ghl.hooks import auth
from airflow_provider_ghl.hooks.actions import Budget, CheckTokenStore, Send, TooLarge
from airflow_provider_ghl.hooks.policy import RequestPolicy
from tests.hooks.scripted import EPOCH, Scripted, reply, run_together, token_answer, token_state

CONTACT = {"contact": {"id": "c1", "email": "ada@example.com"}}
NEW_CONTACT = {"firstName": "Ada", "email": "ada@example.com"}


@pytest.fixture(autouse=True)
def no_io_inside_flows(monkeypatch):
    """A flow that opened a socket or called the log masker itself (instead of yielding the step) fails here."""
    def refuse(*args, **kwargs):
        raise AssertionError("I/O inside a flow")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(auth, "mask", refuse)


def policy(**changes) -> RequestPolicy:
    return RequestPolicy(Budget(30.0), **changes)


def bearer(request: httpx.Request) -> str:
    return request.headers["Authorization"].removeprefix("Bearer ")


def form(request: httpx.Request) -> dict[str, str]:
    return dict(parse_qsl(request.content.decode()))


def expired(access: str = "old-access", refresh: str = "refresh-1") -> dict:
    return token_state(access, refresh, expires_at=EPOCH - 60)


def valid(access: str, refresh: str = "refresh-1") -> dict:
    return token_state(access, refresh, expires_at=EPOCH + 86_399)


# -- retries ----------------------------------------------------------------------------------------
def test_an_idempotent_read_is_retried_with_capped_jittered_backoff():
    run = Scripted(replies=[reply(500), httpx.ReadError("cut"), reply(503), reply(200, CONTACT)],
                   policy=policy(backoff_base=0.5, backoff_cap=1.5))
    assert run.call("get_contact", contact_id="c1") == CONTACT
    assert run.sent() == ["GET /contacts/c1"] * 4
    first, second, third = run.slept()
    assert 0.25 <= first <= 0.5 and 0.5 <= second <= 1.0 and 0.75 <= third <= 1.5  # base * 2**n, capped, jittered


def test_retries_stop_after_max_retries():
    run = Scripted(replies=[reply(502)] * 5, policy=policy(max_retries=2))
    with pytest.raises(GHLServerError):
        run.call("get_contact", contact_id="c1")
    assert len(run.sent()) == 3 and len(run.replies) == 2


@pytest.mark.parametrize(("status", "error"), [(501, GHLServerError), (404, GHLNotFoundError),
                                                (422, GHLValidationError), (403, GHLAuthError)])
def test_permanent_failures_raise_at_once(status, error):
    run = Scripted(replies=[reply(status, {"message": "no"})])
    with pytest.raises(error):
        run.call("get_contact", contact_id="c1")
    assert run.sent() == ["GET /contacts/c1"] and run.slept() == []


def test_a_create_that_never_left_is_sent_again_without_a_duplicate_search():
    run = Scripted(replies=[httpx.ConnectError("refused"), reply(201, CONTACT)])
    assert run.call("create_contact", body=NEW_CONTACT) == CONTACT
    assert run.sent() == ["POST /contacts/", "POST /contacts/"]


# -- 401 --------------------------------------------------------------------------------------------
def test_a_401_refreshes_once_then_sends_again_with_the_new_token():
    run = Scripted(auth_type="oauth", store={"oauth": valid("access-1")},
                   replies=[reply(401, {"message": "Invalid JWT"}), token_answer("access-2", "refresh-2"),
                            reply(200, CONTACT)])
    assert run.call("get_contact", contact_id="c1") == CONTACT
    assert run.sent() == ["GET /contacts/c1", "POST /oauth/token", "GET /contacts/c1"]
    first, refresh, again = run.requests()
    assert bearer(first) == "access-1" and bearer(again) == "access-2"
    assert form(refresh)["refresh_token"] == "refresh-1" and form(refresh)["grant_type"] == "refresh_token"


def test_a_second_401_is_the_error():
    run = Scripted(auth_type="oauth", store={"oauth": valid("access-1")},
                   replies=[reply(401), token_answer("access-2", "refresh-2"), reply(401), reply(200, CONTACT)])
    with pytest.raises(GHLAuthError):
        run.call("get_contact", contact_id="c1")
    assert run.sent() == ["GET /contacts/c1", "POST /oauth/token", "GET /contacts/c1"]


@pytest.mark.parametrize(("auth_type", "message", "error"), [
    ("private_integration", "Invalid JWT", GHLAuthError),  # a Private Integration token cannot be refreshed
    ("oauth", "The token is not authorized for this scope.", GHLScopeError),  # a new token has the same scopes
])
def test_a_401_that_a_refresh_cannot_cure_raises_at_once(auth_type, message, error):
    store = {"oauth": valid("access-1")} if auth_type == "oauth" else {}
    run = Scripted(auth_type=auth_type, store=store, replies=[reply(401, {"message": message})])
    with pytest.raises(error):
        run.call("get_contact", contact_id="c1")
    assert run.sent() == ["GET /contacts/c1"]


# -- 429 --------------------------------------------------------------------------------------------
def test_a_429_waits_out_its_window_then_sends_again():
    run = Scripted(replies=[reply(429, headers={"X-RateLimit-Interval-Milliseconds": "2500"}), reply(200, CONTACT)])
    assert run.call("get_contact", contact_id="c1") == CONTACT
    assert run.sent() == ["GET /contacts/c1"] * 2 and run.slept() == [2.5]


def test_a_spent_daily_limit_raises_without_waiting():
    run = Scripted(replies=[reply(429, {"message": "daily limit"}, headers={"X-RateLimit-Daily-Remaining": "0"})])
    with pytest.raises(GHLDailyLimitError):
        run.call("get_contact", contact_id="c1")
    assert run.sent() == ["GET /contacts/c1"] and run.slept() == []


LIMITS = {"X-RateLimit-Max": "100", "X-RateLimit-Interval-Milliseconds": "10000"}


def test_a_429_waits_for_our_own_slot_to_leave_the_window_not_a_whole_interval():
    run = Scripted(replies=[reply(200, CONTACT, headers={**LIMITS, "X-RateLimit-Remaining": "50"}),
                            reply(429, headers={**LIMITS, "X-RateLimit-Remaining": "0"}), reply(200, CONTACT)])
    run.call("get_contact", contact_id="c1")  # finished at 0: our slot frees at 10
    run.clock.advance(4.0)
    assert run.call("get_contact", contact_id="c1") == CONTACT  # others filled the window meanwhile
    assert run.slept() == [pytest.approx(10.0 + 0.02 - 4.0)]


def test_a_429_waits_what_retry_after_says():
    run = Scripted(replies=[reply(429, headers={**LIMITS, "X-RateLimit-Remaining": "0", "Retry-After": "1.5"}),
                            reply(200, CONTACT)])
    assert run.call("get_contact", contact_id="c1") == CONTACT
    assert run.slept() == [1.5]


def test_429_waits_are_bounded():
    run = Scripted(replies=[reply(429)] * 4, policy=policy(max_rate_limit_waits=2))
    with pytest.raises(GHLRateLimitError):
        run.call("get_contact", contact_id="c1")
    assert len(run.sent()) == 3 and run.slept() == [10.0, 10.0]  # HighLevel's default window when unsaid


# -- ambiguous writes -------------------------------------------------------------------------------
def test_an_ambiguous_create_contact_that_was_created_answers_the_existing_contact():
    run = Scripted(replies=[reply(502), reply(200, CONTACT)])
    assert run.call("create_contact", body=NEW_CONTACT) == CONTACT
    assert run.sent() == ["POST /contacts/", "GET /contacts/search/duplicate"]
    search = run.requests()[1]
    assert search.url.params["email"] == "ada@example.com" and search.url.params["locationId"] == "loc1"


def test_an_ambiguous_create_contact_that_was_not_created_is_sent_again():
    run = Scripted(replies=[httpx.ReadTimeout("late"), reply(200, {"contact": None}), reply(201, CONTACT)])
    assert run.call("create_contact", body=NEW_CONTACT) == CONTACT
    assert run.sent() == ["POST /contacts/", "GET /contacts/search/duplicate", "POST /contacts/"]


@pytest.mark.parametrize(("key", "body"), [
    ("create_opportunity", {"name": "Deal", "pipelineId": "p1"}),
    ("create_contact", {"firstName": "No email or phone"}),  # nothing to search duplicates by
])
def test_other_ambiguous_creates_raise_and_are_never_sent_twice(key, body):
    run = Scripted(replies=[reply(500), reply(201, {})])
    with pytest.raises(GHLAmbiguousWriteError, match="not idempotent"):
        run.call(key, body=body)
    assert len(run.sent()) == 1


# -- answers that are not data ----------------------------------------------------------------------
HTML = reply(200, content=b"<html>maintenance</html>", headers={"content-type": "text/html"})


def test_a_non_answer_to_a_read_is_retried():
    run = Scripted(replies=[HTML, reply(200, CONTACT)])
    assert run.call("get_contact", contact_id="c1") == CONTACT
    assert len(run.sent()) == 2


def test_a_non_answer_to_a_create_is_an_ambiguous_write():
    run = Scripted(replies=[HTML, reply(201, {})])
    with pytest.raises(GHLAmbiguousWriteError):
        run.call("create_opportunity", body={"name": "Deal"})
    assert len(run.sent()) == 1


def test_an_answer_over_the_size_cap_is_never_retried():
    too_large = TooLarge(1024, reply(200, content=b"x"))
    run = Scripted(replies=[too_large, reply(200, CONTACT)])
    with pytest.raises(GHLResponseError, match="cap"):
        run.call("get_contact", contact_id="c1")
    assert len(run.sent()) == 1


# -- token rotation ---------------------------------------------------------------------------------
def test_the_rotated_refresh_token_is_saved_before_the_request_goes_out():
    run = Scripted(auth_type="oauth", store={"oauth": expired()},
                   replies=[token_answer("access-2", "refresh-2"), reply(200, CONTACT)])
    run.call("get_contact", contact_id="c1")
    kinds = run.kinds()
    assert kinds.index("SaveToken") < kinds.index("Send", kinds.index("SaveToken"))
    assert run.store["oauth"]["refresh_token"] == "refresh-2" and run.store["oauth"]["access_token"] == "access-2"
    assert {"refresh-1", "refresh-2", "access-2"} <= run.masked  # masked before anything could log them
    assert kinds[kinds.index("Lock")] == "Lock" and run.locks == {}  # taken and given back


def test_a_rotated_refresh_token_is_kept_even_when_the_rest_of_the_answer_is_unusable():
    run = Scripted(auth_type="oauth", store={"oauth": expired()},
                   replies=[reply(200, {"refresh_token": "refresh-2", "expires_in": 86_399})])
    with pytest.raises(GHLAuthError, match="new refresh token was saved"):
        run.call("get_contact", contact_id="c1")
    assert run.store["oauth"]["refresh_token"] == "refresh-2" and run.sent() == ["POST /oauth/token"]


def test_a_store_that_cannot_save_stops_the_refresh_before_it_spends_the_token():
    run = Scripted(auth_type="oauth", store={"oauth": expired()}, replies=[token_answer("access-2", "refresh-2")],
                   store_error=GHLTokenStoreError("no database here"))
    with pytest.raises(GHLTokenStoreError):
        run.call("get_contact", contact_id="c1")
    assert run.sent() == [] and any(isinstance(action, CheckTokenStore) for action in run.actions)


def test_refreshes_in_one_process_are_single_flight():
    first = Scripted(auth_type="oauth", store={"oauth": expired()},
                     replies=[token_answer("access-2", "refresh-2"), reply(200, CONTACT), reply(200, CONTACT)])
    second = first.sibling()  # another hook on the same connection: its own cache, the same lock and store
    results = run_together([
        (first, first.flows.exchange(first.flows.prepare("get_contact", arguments={"contact_id": "c1"}))),
        (second, second.flows.exchange(second.flows.prepare("get_contact", arguments={"contact_id": "c1"}))),
    ])
    assert results == [CONTACT, CONTACT]
    assert first.sent() == ["POST /oauth/token", "GET /contacts/c1", "GET /contacts/c1"]
    assert [bearer(request) for request in first.requests()[1:]] == ["access-2", "access-2"]
    # The second flow waited for the lock, then re-read the store and found the first one's token.
    kinds = first.kinds()
    assert kinds.count("Lock") == 4 and kinds.index("SaveToken") < [
        i for i, kind in enumerate(kinds) if kind == "LoadToken"][-1]


def test_after_invalid_grant_a_pair_another_worker_saved_is_used():
    run = Scripted(auth_type="oauth", store={"oauth": expired()})

    def raced(request: httpx.Request) -> httpx.Response:
        run.store["oauth"] = valid("their-access", "their-refresh")  # the race's winner saved its pair
        return reply(400, {"error": "invalid_grant", "error_description": "Invalid grant: refresh token is invalid"})

    run.replies.extend([raced, reply(200, CONTACT)])
    assert run.call("get_contact", contact_id="c1") == CONTACT
    assert run.sent() == ["POST /oauth/token", "GET /contacts/c1"] and bearer(run.requests()[1]) == "their-access"
    assert run.saved() == []  # nothing of ours to save: the winner's pair stays


def test_after_invalid_grant_a_newer_refresh_token_in_the_store_is_tried():
    run = Scripted(auth_type="oauth", store={"oauth": expired(refresh="refresh-1")})

    def raced(request: httpx.Request) -> httpx.Response:
        run.store["oauth"] = expired(refresh="refresh-2")  # rotated, its access token already old
        return reply(400, {"error": "invalid_grant"})

    run.replies.extend([raced, token_answer("access-3", "refresh-3"), reply(200, CONTACT)])
    assert run.call("get_contact", contact_id="c1") == CONTACT
    assert [form(r)["refresh_token"] for r in run.requests()[:2]] == ["refresh-1", "refresh-2"]


def test_invalid_grant_with_nothing_newer_watches_the_store_briefly_then_says_reauthorize():
    run = Scripted(auth_type="oauth", replies=[reply(400, {"error": "invalid_grant"})], latency=0.05)
    with pytest.raises(GHLAuthError, match="Re-authorize"):
        run.call("get_contact", contact_id="c1")
    assert run.sent() == ["POST /oauth/token"]
    watched = sum(run.slept())
    assert auth.MIN_RACE_GRACE_S <= watched <= auth.MIN_RACE_GRACE_S + auth.RACE_POLL_S + 1e-9
    assert run.kinds().count("LoadToken") >= 5  # the store re-read on every look


def test_an_agency_connection_exchanges_its_company_token_for_a_location_token_once():
    run = Scripted(auth_type="agency", store={"oauth": valid("company-access")},
                   replies=[token_answer("location-access"), reply(200, CONTACT), reply(200, CONTACT)])
    run.call("get_contact", contact_id="c1")
    run.call("get_contact", contact_id="c1")
    assert run.sent() == ["POST /oauth/locationToken", "GET /contacts/c1", "GET /contacts/c1"]
    exchange, *reads = run.requests()
    assert bearer(exchange) == "company-access"
    assert form(exchange) == {"companyId": "comp1", "locationId": "loc1"}
    assert [bearer(request) for request in reads] == ["location-access", "location-access"]
    assert [slot for slot, _ in run.saved()] == ["location:loc1"] and "location-access" in run.masked


def test_an_agency_connection_refreshes_an_expired_company_token_before_the_exchange():
    run = Scripted(auth_type="agency", store={"oauth": expired()},
                   replies=[token_answer("company-2", "refresh-2"), token_answer("location-access"), reply(200, CONTACT)])
    run.call("get_contact", contact_id="c1")
    assert run.sent() == ["POST /oauth/token", "POST /oauth/locationToken", "GET /contacts/c1"]
    assert form(run.requests()[0])["user_type"] == "Company" and bearer(run.requests()[1]) == "company-2"
    assert [slot for slot, _ in run.saved()] == ["oauth", "location:loc1"]


# -- the policy ---------------------------------------------------------------------
def test_a_flow_sends_with_the_policys_budget():
    run = Scripted(replies=[reply(200, CONTACT)], policy=policy(), latency=0.0)
    run.call("get_contact", contact_id="c1")
    send = next(action for action in run.actions if isinstance(action, Send))
    assert send.budget is run.policy.budget and run.tokens.policy is run.flows.policy


# -- paging by page number ----------------------------------------------------------------------------
def test_page_numbers_are_walked_to_the_total_each_record_once():
    def page(*names: str) -> httpx.Response:
        return reply(200, {"submissions": [{"id": name} for name in names], "meta": {"total": 5}})

    # Page 2 repeats "b" (a submission arrived at the top while paging): it is emitted once.
    run = Scripted(replies=[page("a", "b"), page("b", "c"), page("d", "e")])
    emitted = run.paginate("get_forms_submissions", page_size=2, query={"formId": "f1"})
    assert [record["id"] for record in emitted] == ["a", "b", "c", "d", "e"]
    assert [dict(parse_qsl(request.url.query.decode())) for request in run.requests()] == [
        {"locationId": "loc1", "formId": "f1", "page": str(number), "limit": "2"} for number in (1, 2, 3)]


def sent_queries(run: Scripted) -> list[dict[str, str]]:
    return [dict(parse_qsl(request.url.query.decode())) for request in run.requests()]


def test_a_cursor_is_sent_back_until_the_answer_has_none():
    run = Scripted(replies=[reply(200, {"messages": [{"id": "a"}], "nextCursor": "c2", "total": 3}),
                            reply(200, {"messages": [{"id": "b"}, {"id": "a"}], "nextCursor": "c3", "total": 3}),
                            reply(200, {"messages": [{"id": "c"}], "total": 3})])
    emitted = run.paginate("export_messages_by_location", page_size=10, query={"channel": "SMS"})
    assert [record["id"] for record in emitted] == ["a", "b", "c"]  # short pages go on; "a" again is dropped
    assert [query.get("cursor") for query in sent_queries(run)] == [None, "c2", "c3"]
    assert all(query["channel"] == "SMS" and query["limit"] == "10" for query in sent_queries(run))


def test_a_v3_page_token_is_followed_while_the_answer_has_a_next_page():
    def page(names: str, token: str | None) -> httpx.Response:
        more = {"hasNextPage": token is not None, **({"nextPageToken": token} if token else {})}
        return reply(200, {"items": [{"_id": name} for name in names], "pagination": more})

    run = Scripted(replies=[page("ab", "t2"), page("cd", "t3"), page("e", None)])
    emitted = run.paginate("get_installed_location", page_size=2, api_version="v3",
                           query={"companyId": "comp1", "appId": "app1"})
    assert [record["_id"] for record in emitted] == list("abcde")
    assert run.sent() == ["GET /oauth/installed-locations"] * 3
    assert [(query.get("pageToken"), query["pageSize"]) for query in sent_queries(run)] == [
        (None, "2"), ("t2", "2"), ("t3", "2")]


def test_paging_parameters_a_spec_requires_are_the_styles_to_send():
    """v3's appointment notes require limit and offset, invoices' lists a limit with no maximum: paginate sends them
    (the form's maximum, else 20) where call() still asks the caller for them."""
    run = Scripted(replies=[reply(200, {"notes": [{"id": "n1"}], "hasMore": False}),
                            reply(200, {"invoices": [{"_id": "i1"}], "total": 1})])
    run.paginate("list_appointment_notes", api_version="v3", arguments={"appointment_id": "e1"})
    run.paginate("invoices__list_invoices")
    assert [(query["limit"], query["offset"]) for query in sent_queries(run)] == [("20", "0"), ("20", "0")]
    with pytest.raises(GHLInputError, match=r"missing required query parameter.*limit"):
        run.flows.prepare("invoices__list_invoices")


@pytest.mark.parametrize("version", ["v2", "v3"])
def test_a_page_size_outside_the_specs_range_is_refused_before_any_request(version):
    """The messages export takes ``limit`` from 10 to 500 (HighLevel answers 422 outside): paginate's page_size, the
    caller's own limit (prepare(paging=True) checks it), and a body's page size are refused, each naming the field,
    the operation, the range and the fix. Nothing is clamped, and nothing is sent."""
    run = Scripted()
    export = "export_messages_by_location"
    with pytest.raises(GHLInputError, match=rf"page_size 9 is below HighLevel's minimum of 10: {export} \({version}\) "
                                            r"takes limit from 10 to 500\. Pass page_size= from 10 to 500, or leave it "
                                            r"out \(paginate then asks for 500 per page\)") as raised:
        run.paginate(export, page_size=9, api_version=version)
    assert raised.value.operation == export
    with pytest.raises(GHLInputError, match=r"page_size 501 is above HighLevel's maximum of 500"):
        run.paginate(export, page_size=501, api_version=version)
    with pytest.raises(GHLInputError, match=r"query\.limit 5 is below HighLevel's minimum of 10: .*Give query\.limit a "
                                            r"value from 10 to 500, or leave limit out of it and pass page_size="):
        run.flows.prepare(export, query={"limit": "5"}, paging=True, api_version=version)
    with pytest.raises(GHLInputError, match=r"query\.limit 5 is below"):  # even beside a page_size in the range
        run.paginate(export, page_size=100, query={"limit": 5}, api_version=version)
    with pytest.raises(GHLInputError, match=r"page_size must be a whole number, got 12\.5"):
        run.paginate(export, page_size=12.5, api_version=version)
    if version == "v3":  # the social planner's comments take a body limit from 1 to 100
        with pytest.raises(GHLInputError, match=r"body\.limit 101 is above HighLevel's maximum of 100: get_comment_list"):
            run.paginate("get_comment_list", api_version="v3", arguments={"platform": "google"},
                         body={"originIds": ["o1"], "limit": 101})
    assert run.requests() == []
    run = Scripted(replies=[reply(200, {"messages": [{"id": "m1"}], "nextCursor": None})])
    assert run.paginate(export, page_size=10, api_version=version) == [{"id": "m1"}]  # the minimum itself is sent
    assert sent_queries(run)[0]["limit"] == "10"


def test_records_nested_in_v3s_envelope_are_paged_to_the_total_beside_them():
    def page(*numbers: str) -> httpx.Response:
        return reply(200, {"status": "success", "statusCode": 200, "message": "OK",
                           "data": {"numbers": [{"phoneNumber": n} for n in numbers], "total": 3}})

    run = Scripted(replies=[page("+1", "+2"), page("+3")])
    emitted = run.paginate("active_numbers", page_size=2, api_version="v3")
    assert [record["phoneNumber"] for record in emitted] == ["+1", "+2", "+3"]
    assert [query["page"] for query in sent_queries(run)] == ["0", "1"]


# -- where the location goes ----------------------------------------------------------------------------
def test_alt_id_and_alt_type_are_filled_like_location_id_and_never_over_the_callers():
    flows = Scripted().flows
    assert flows.prepare("get_invoice", arguments={"invoice_id": "i1"}).query == {"altId": "loc1", "altType": "location"}
    assert flows.prepare("get_invoice", arguments={"invoice_id": "i1"}, location_id="loc2").query == {
        "altId": "loc2", "altType": "location"}
    given = flows.prepare("get_invoice", arguments={"invoice_id": "i1"}, query={"altId": "locX", "altType": "location"})
    assert given.query == {"altId": "locX", "altType": "location"} and given.location_id == "locX"
    assert flows.prepare("void_invoice", arguments={"invoice_id": "i1"}, body={"altId": "locX"}).body == {
        "altId": "locX", "altType": "location"}
    # The inbound message's altId is the mail provider's message id, not a location: left alone.
    assert "altId" not in (flows.prepare("add_an_inbound_message", body={"type": "SMS", "conversationId": "c",
                                                                         "conversationProviderId": "p",
                                                                         "contactId": "k"}).body)
