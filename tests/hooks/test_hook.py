"""GHLHook / GHLAsyncHook against the sandbox over real HTTP (no mocks)."""

from __future__ import annotations

import json
import logging
import threading
import time

import httpx
import pytest

from airflow_provider_ghl.exceptions import (
    GHLAmbiguousWriteError,
    GHLAuthError,
    GHLDailyLimitError,
    GHLInputError,
    GHLNotFoundError,
    GHLScopeError,
    GHLUnknownOperationError,
    GHLValidationError,
)
from airflow_provider_ghl.hooks.ghl import FileTokenStore, GHLAsyncHook, GHLHook, InMemoryTokenStore


@pytest.fixture(autouse=True)
def default_limits(sandbox):
    """Put back HighLevel's default limits these tests change (``fresh_sandbox`` only switches them off)."""
    yield
    sandbox.configure(rate_limits={"enabled": False, "burst_max": 100, "interval_ms": 10_000, "daily_max": 200_000},
                      faults={"rate": 0.0, "routes": [], "delay_s": 5.0, "kinds": {"500": 1.0}})


@pytest.fixture
def connect(fresh_sandbox, monkeypatch):
    """``connect(kind, **hook_kwargs)``: a hook on a sandbox connection given through AIRFLOW_CONN_*."""
    hooks: list[GHLHook] = []

    def make(kind: str = "full", *, cls=GHLHook, conn: dict | None = None, **kwargs) -> GHLHook:
        conn_id = f"ghl_{kind}_{len(hooks)}"
        monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps(conn or fresh_sandbox.connection(kind)))
        kwargs.setdefault("token_store", InMemoryTokenStore())
        hook = cls(conn_id, **kwargs)
        hooks.append(hook)
        return hook

    yield make
    for hook in hooks:
        if not isinstance(hook, GHLAsyncHook):
            hook.close()


def table(sandbox, name: str) -> list[dict]:
    return [r for r in sandbox.control("GET", f"tables/{name}") if r.get("locationId") == sandbox.location_id]


def ids(records) -> list[str]:
    return [r["id"] for r in records]


# -- calling and paging -------------------------------------------------------------------------
def test_crud_round_trip(connect, fresh_sandbox):
    hook = connect()
    created = hook.call("create_contact", body={"firstName": "Ada", "email": "ada@example.com"})["contact"]
    assert hook.call("get_contact", contact_id=created["id"])["contact"]["email"] == "ada@example.com"
    hook.call("update_contact", contact_id=created["id"], body={"lastName": "Lovelace"})
    assert hook.call("get_contact", contact_id=created["id"])["contact"]["lastName"] == "Lovelace"
    hook.call("delete_contact", contact_id=created["id"])
    with pytest.raises(GHLNotFoundError) as error:
        hook.call("get_contact", contact_id=created["id"])
    assert error.value.status == 404 and error.value.trace_id


@pytest.mark.parametrize(("key", "table_name", "arguments"), [
    ("list_contacts", "contacts", {"page_size": 30}),
    ("search_contacts", "contacts", {"page_size": 30}),
    ("search_conversations", "conversations", {"page_size": 5}),  # many share lastMessageDate
    ("search_opportunities", "opportunities", {"page_size": 13}),
    ("list_businesses_by_location", "businesses", {"page_size": 4}),
])
def test_paginate_returns_every_record_once(connect, fresh_sandbox, key, table_name, arguments):
    got = ids(connect().paginate(key, **arguments))
    assert len(got) == len(set(got))
    assert set(got) == set(ids(table(fresh_sandbox, table_name)))


def test_paginate_cursor_and_message_styles(connect, fresh_sandbox):
    hook = connect()
    conversation = max(table(fresh_sandbox, "conversations"), key=lambda c: len(c.get("_messageIds", [])) or 0)
    messages = ids(hook.paginate("get_messages_by_conversation", conversation_id=conversation["id"], page_size=2))
    expected = hook.call("get_messages_by_conversation", conversation_id=conversation["id"], query={"limit": 100})
    assert len(messages) == len(set(messages)) == len(ids(expected["messages"]["messages"]
                                                           if isinstance(expected["messages"], dict)
                                                           else expected["messages"]))
    assert list(hook.paginate("list_calendars"))  # single page
    assert len(list(hook.paginate("list_contacts", max_records=7, page_size=5))) == 7


def test_records_added_while_paging_are_not_repeated(connect, fresh_sandbox, api):
    hook = connect()
    before = set(ids(table(fresh_sandbox, "contacts")))
    seen = []
    for n, record in enumerate(hook.paginate("get_blog_posts", query={"blogId": "x"}) if False else
                               hook.paginate("list_contacts", page_size=20)):
        seen.append(record["id"])
        if n % 50 == 0:
            api("POST", "/contacts/", json={"locationId": fresh_sandbox.location_id, "firstName": f"New {n}"})
    assert len(seen) == len(set(seen))
    assert before <= set(seen)


async def test_async_twin_matches_sync(connect, fresh_sandbox):
    sync_hook = connect()
    async_hook = connect(cls=GHLAsyncHook)
    expected = ids(sync_hook.paginate("search_contacts", page_size=40))
    got = [r["id"] async for r in async_hook.apaginate("search_contacts", page_size=40)]
    assert got == expected
    contact = await async_hook.acall("get_contact", contact_id=expected[0])
    assert contact["contact"]["id"] == expected[0]
    await async_hook.aclose()


# -- bad input, scopes, errors -------------------------------------------------------------------
def test_bad_input_fails_before_any_request(connect, fresh_sandbox, monkeypatch):
    hook = connect()
    fresh_sandbox.control("DELETE", "stats")
    with pytest.raises(GHLUnknownOperationError, match="get_contact"):
        hook.prepare("get_contacct")
    with pytest.raises(GHLInputError, match="missing path argument contact_id"):
        hook.call("get_contact")
    with pytest.raises(GHLInputError, match="unknown argument"):
        hook.call("get_contact", contactId="x")
    with pytest.raises(GHLInputError, match="str or int"):
        hook.call("get_contact", contact_id=["x"])
    with pytest.raises(GHLInputError, match="query must be a dict"):
        hook.call("list_contacts", query="limit=5")
    with pytest.raises(GHLInputError, match="body must be a dict"):
        hook.call("create_contact", body=[{"firstName": "x"}])
    with pytest.raises(GHLInputError, match="maximum of 100"):
        list(hook.paginate("list_contacts", page_size=500))
    with pytest.raises(GHLInputError, match="no token"):
        connect(conn={**fresh_sandbox.connection("full"), "password": None}).prepare("list_contacts")
    with pytest.raises(GHLInputError, match="malformed"):
        connect(conn={**fresh_sandbox.connection("full"), "host": "http://exa mple:99999"}).prepare("list_contacts")
    for host in (f"{fresh_sandbox.base_url}/?x=", f"{fresh_sandbox.base_url}#", "http://user:pw@example.com"):
        with pytest.raises(GHLInputError, match="query, a fragment or credentials"):
            connect(conn={**fresh_sandbox.connection("full"), "host": host}).prepare("list_contacts")
    assert fresh_sandbox.stats().get("requests", 0) == 0


def test_missing_scope_is_refused_before_any_request(connect, fresh_sandbox):
    hook = connect("readonly")
    fresh_sandbox.control("DELETE", "stats")
    with pytest.raises(GHLScopeError, match=r"contacts\.write") as error:
        hook.prepare("create_contact", body={"firstName": "x"})
    assert error.value.missing == ("contacts.write",)
    assert fresh_sandbox.stats().get("requests", 0) == 0
    assert hook.call("get_contact", contact_id=table(fresh_sandbox, "contacts")[0]["id"])["contact"]


def test_server_validation_error_carries_the_message_list(connect):
    with pytest.raises(GHLValidationError) as error:
        connect().call("search_conversations", query={"limit": 500})
    assert error.value.status == 422 and isinstance(error.value.message, list)


# -- rate limits -----------------------------------------------------------------------------------
def test_pacing_keeps_a_long_export_free_of_429(connect, fresh_sandbox):
    fresh_sandbox.configure(rate_limits={"enabled": True, "burst_max": 10, "interval_ms": 1000})
    started = time.monotonic()
    got = ids(connect().paginate("list_contacts", page_size=10))  # 20 requests at 10 per second
    assert len(set(got)) == 200
    assert fresh_sandbox.stats().get("status:429", 0) == 0
    assert time.monotonic() - started >= 0.9


def test_429_storm_is_waited_out(connect, fresh_sandbox):
    fresh_sandbox.configure(rate_limits={"enabled": True, "burst_max": 5, "interval_ms": 500})
    contact_id = table(fresh_sandbox, "contacts")[0]["id"]
    hooks = [connect() for _ in range(4)]  # separate pacers sharing one budget: they collide
    results, errors = [], []

    def work(hook):
        try:
            results.extend(hook.call("get_contact", contact_id=contact_id) for _ in range(6))
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(hook,)) for hook in hooks]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert not errors and len(results) == 24
    assert fresh_sandbox.stats().get("status:429", 0) > 0


def test_daily_limit_raises_its_own_error(connect, fresh_sandbox):
    fresh_sandbox.configure(rate_limits={"enabled": True, "daily_max": 2})
    hook = connect()
    hook.call("list_contacts", query={"limit": 1})
    hook.call("list_contacts", query={"limit": 1})
    with pytest.raises(GHLDailyLimitError):
        hook.call("list_contacts", query={"limit": 1})


# -- faults and ambiguous writes ---------------------------------------------------------------------
def test_export_of_5000_contacts_with_10_percent_faults(fresh_sandbox, monkeypatch):
    fresh_sandbox.reset(seed=42, contacts=5000)
    try:
        # Limits on (with room) so responses, the injected 429s included, carry X-RateLimit-* headers.
        fresh_sandbox.configure(rate_limits={"enabled": True, "burst_max": 10_000, "interval_ms": 1000})
        fresh_sandbox.configure(faults={"rate": 0.1, "seed": 7, "delay_s": 2, "kinds": {
            "500": 1, "502": 1, "503": 1, "429": 1, "timeout": 1, "disconnect": 1}})
        monkeypatch.setenv("AIRFLOW_CONN_GHL_FAULTY", fresh_sandbox.connection_json("full"))
        hook = GHLHook("ghl_faulty", timeout=1.0, backoff_base=0.05, max_retries=8)
        got = ids(hook.paginate("search_contacts", page_size=100))
        stats = fresh_sandbox.stats()
        fresh_sandbox.configure(faults={"rate": 0.0})
        assert len(got) == len(set(got)) == 5000
        assert set(got) == set(ids(table(fresh_sandbox, "contacts")))
        assert sum(v for k, v in stats.items() if k.startswith("fault:")) >= 3
    finally:
        fresh_sandbox.reset(seed=42, contacts=200)


@pytest.mark.parametrize("fault", ["timeout", "disconnect", "500"])
def test_ambiguous_create_contact_does_not_duplicate(connect, fresh_sandbox, fault):
    hook = connect(timeout=1.0, backoff_base=0.05)
    fresh_sandbox.configure(faults={"rate": 1.0, "kinds": {fault: 1}, "routes": ["create_contact"],
                                    "delay_s": 2, "seed": 1})
    email = f"once-{fault}@example.com"
    if fault == "500":  # refused before the work: the duplicate search finds nothing, the hook re-sends
        fresh_sandbox.configure(faults={"rate": 0.5})
    contact = hook.call("create_contact", body={"firstName": "Once", "email": email})["contact"]
    fresh_sandbox.configure(faults={"rate": 0.0, "routes": []})
    matches = [c for c in table(fresh_sandbox, "contacts") if c.get("email") == email]
    assert len(matches) == 1 and matches[0]["id"] == contact["id"]


def test_other_ambiguous_writes_raise(connect, fresh_sandbox):
    hook = connect()
    contact_id = table(fresh_sandbox, "contacts")[0]["id"]
    fresh_sandbox.configure(faults={"rate": 1.0, "kinds": {"disconnect": 1}, "routes": ["create_contact_note"]})
    with pytest.raises(GHLAmbiguousWriteError, match="Check whether"):
        hook.call("create_contact_note", contact_id=contact_id, body={"body": "hello"})
    assert fresh_sandbox.stats().get("op:create_contact_note") == 1  # never re-sent


# -- OAuth, agency, races ----------------------------------------------------------------------------
def test_oauth_refresh_rotates_and_reuses(connect, fresh_sandbox):
    store = InMemoryTokenStore()
    first = connect("oauth", token_store=store)
    first.call("list_contacts", query={"limit": 1})
    seeded = fresh_sandbox.connection("oauth")["extra"]["refresh_token"]
    rotated = store.states["oauth"]["refresh_token"]
    assert rotated != seeded
    connect("oauth", token_store=store).call("list_contacts", query={"limit": 1})
    assert fresh_sandbox.stats()["oauth:refreshed"] == 1  # the stored access token was reused
    fresh_sandbox.control("POST", "clock", {"advance_s": 90_000})  # HighLevel expires it; the store does not know
    first.call("list_contacts", query={"limit": 1})  # 401 -> refresh -> retry
    assert fresh_sandbox.stats()["oauth:refreshed"] == 2
    assert store.states["oauth"]["refresh_token"] not in (seeded, rotated)


def test_agency_token_is_exchanged_and_cached(connect, fresh_sandbox):
    store = InMemoryTokenStore()
    hook = connect("agency", token_store=store)
    hook.call("list_contacts", query={"limit": 1})
    hook.call("get_contact", contact_id=table(fresh_sandbox, "contacts")[0]["id"])
    assert f"location:{fresh_sandbox.location_id}" in store.states
    stats = fresh_sandbox.stats()
    assert stats["oauth:location_token"] == 1 and stats["oauth:refreshed"] == 1


def _expired_oauth_state(sandbox) -> dict:
    return {"access_token": "expired-token-value", "expires_at": 0, "expires_in": 86_399,
            "refresh_token": sandbox.connection("oauth")["extra"]["refresh_token"]}


def test_thread_race_on_an_expired_token(connect, fresh_sandbox):
    store = InMemoryTokenStore({"oauth": _expired_oauth_state(fresh_sandbox)})
    hooks = [connect("oauth", token_store=store) for _ in range(8)]
    barrier, results = threading.Barrier(8), []

    def work(hook):
        barrier.wait()
        results.append(hook.call("list_contacts", query={"limit": 1}))

    threads = [threading.Thread(target=work, args=(hook,)) for hook in hooks]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert len(results) == 8
    assert fresh_sandbox.stats()["oauth:refreshed"] == 1


def _race_worker(directory: str, barrier, failures) -> None:
    try:
        hook = GHLHook("ghl_race", token_store=FileTokenStore(directory))
        hook.prepare("list_contacts")
        barrier.wait(30)
        hook.call("list_contacts", query={"limit": 1})
    except BaseException as error:
        failures.put(repr(error))
        raise


def test_process_race_on_an_expired_token(fresh_sandbox, tmp_path, monkeypatch):
    import multiprocessing

    store = FileTokenStore(tmp_path)
    store.save("oauth", _expired_oauth_state(fresh_sandbox))
    monkeypatch.setenv("AIRFLOW_CONN_GHL_RACE", fresh_sandbox.connection_json("oauth"))
    context = multiprocessing.get_context("fork")  # forked workers skip re-importing Airflow
    barrier, failures = context.Barrier(8), context.Queue()
    workers = [context.Process(target=_race_worker, args=(str(tmp_path), barrier, failures)) for _ in range(8)]
    [w.start() for w in workers]
    [w.join(60) for w in workers]
    assert [w.exitcode for w in workers] == [0] * 8, failures.get(timeout=1)
    stats = fresh_sandbox.stats()
    assert stats["oauth:refreshed"] >= 1, stats
    # The stored refresh token is the live one: HighLevel accepts it.
    app = fresh_sandbox.connection("oauth")["extra"]
    answer = httpx.post(fresh_sandbox.base_url + "/oauth/token", data={
        "client_id": app["client_id"], "client_secret": app["client_secret"], "grant_type": "refresh_token",
        "refresh_token": store.load("oauth")["refresh_token"]})
    assert answer.status_code == 200, answer.text


def test_refresh_token_revoked_says_reauthorize(connect, fresh_sandbox):
    conn = fresh_sandbox.connection("oauth")
    conn = {**conn, "extra": {**conn["extra"], "refresh_token": "sbx-refresh-revoked"}}
    with pytest.raises(GHLAuthError, match="Re-authorize"):
        connect("oauth", conn=conn).call("list_contacts")


# -- secrets and the Test button ------------------------------------------------------------------------
def test_no_secret_in_logs_or_errors(connect, fresh_sandbox, caplog, capfd):
    caplog.set_level(logging.DEBUG)
    store = InMemoryTokenStore()
    hook = connect("oauth", token_store=store, progress_every_s=0)
    list(hook.paginate("list_contacts", page_size=50))
    fresh_sandbox.control("POST", "clock", {"advance_s": 90_000})
    hook.call("list_contacts", query={"limit": 1})
    printed = capfd.readouterr()
    texts = [caplog.text, printed.out + printed.err]  # the hook logs through Airflow's structlog (stderr)
    for bad in (lambda: hook.call("get_contact", contact_id="nope"),
                lambda: connect("full", conn={**fresh_sandbox.connection("full"), "password": "pit-wrong-token"})
                .call("list_contacts")):
        with pytest.raises(Exception) as error:
            bad()
        texts.append(str(error.value))
    app = fresh_sandbox.connection("oauth")["extra"]
    secrets = [app["client_secret"], app["refresh_token"], store.states["oauth"]["access_token"],
               store.states["oauth"]["refresh_token"], fresh_sandbox.connection("full")["password"], "pit-wrong-token"]
    assert "GHL done list_contacts" in texts[1]
    for text in texts:
        for secret in secrets:
            assert secret not in text


def test_test_connection(connect, fresh_sandbox):
    ok, message = connect().test_connection()
    assert ok is True, message
    ok, message = connect(conn={**fresh_sandbox.connection("full"), "password": "pit-wrong-token"}).test_connection()
    assert ok is False and "401" in message
