"""The token endpoints' answers are checked, against a hostile ``/oauth/token`` and ``/oauth/locationToken``:
nonsense is a GHLAuthError saying what to do, a rotated refresh token is never lost, secrets a server
echoes never reach an error, a refused refresh token fails at once, and a slow rotation succeeds."""

from __future__ import annotations

import json
import logging
import time

import pytest

from airflow_provider_ghl.exceptions import GHLAuthError, GHLNetworkError
from airflow_provider_ghl.hooks.ghl import GHLAsyncHook, InMemoryTokenStore
from tests.hostile import CLIENT_SECRET, REFRESH_TOKEN, Reply, RotatingTokens

CONTACT = {"contact": {"id": "abc", "firstName": "Ada"}}
HTML = "<html><body>502 Bad Gateway (nginx)</body></html>"


@pytest.fixture
def oauth(hostile, monkeypatch):
    """``oauth(**extra)``: a hook on the hostile OAuth connection (extras override), and its token store."""
    hostile.route("GET", "/contacts/abc", Reply(200, CONTACT))

    def make(auth_type: str = "oauth", *, cls=None, store: InMemoryTokenStore | None = None, **extra):
        conn_id = f"ghl_hostile_{auth_type}_x"
        monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", hostile.connection_json(auth_type, **extra))
        store = store or InMemoryTokenStore()
        return hostile.hook(conn_id, cls=cls, token_store=store, max_retries=1), store

    return make


@pytest.mark.parametrize("reply", [
    Reply(200, {}),
    Reply(200, HTML, content_type="text/html"),
    Reply(200, []),
    Reply(200, {"access_token": "hostile-access-soon", "expires_in": "soon"}),
    Reply(302, b"", headers={"Location": "https://login.example/"}),
], ids=["empty-object", "html", "list", "expires-soon", "redirect"])
def test_unusable_token_answers_are_auth_errors_saying_what_to_do(hostile, oauth, reply):
    hostile.route("POST", "/oauth/token", reply)
    hook, _ = oauth()
    with pytest.raises(GHLAuthError) as caught:
        hook.call("get_contact", contact_id="abc")
    assert "Check the connection's host" in str(caught.value)
    assert hostile.sent("GET", "/contacts/abc") == []


@pytest.mark.parametrize("reply", [
    Reply(200, HTML, content_type="text/html"),
    Reply(200, []),
    Reply(200, {"access_token": "hostile-location-soon", "expires_in": "soon"}),
], ids=["html", "list", "expires-soon"])
async def test_unusable_location_token_answers_are_auth_errors(hostile, oauth, reply):
    hostile.route("POST", "/oauth/token", RotatingTokens())
    hostile.route("POST", "/oauth/locationToken", reply)
    hook, _ = oauth("agency", cls=GHLAsyncHook)
    with pytest.raises(GHLAuthError, match="location") as caught:
        await hook.acall("get_contact", contact_id="abc")
    assert "Check the connection's host" in str(caught.value)
    await hook.aclose()


def test_a_rotated_refresh_token_is_saved_even_when_the_rest_is_unusable(hostile, oauth):
    tokens = RotatingTokens(answer=lambda access, new: {"refresh_token": new, "expires_in": 86399})
    hostile.route("POST", "/oauth/token", tokens)
    hook, store = oauth()
    with pytest.raises(GHLAuthError, match="no access_token") as caught:
        hook.call("get_contact", contact_id="abc")
    assert "saved" in str(caught.value)
    assert store.states["oauth"]["refresh_token"] == tokens.issued[0]  # the old one is spent: keep the new one
    tokens.answer = None  # HighLevel recovers: the saved token refreshes
    again, _ = oauth(store=store)
    assert again.call("get_contact", contact_id="abc") == CONTACT
    assert store.states["oauth"]["refresh_token"] == tokens.issued[1]


def test_secrets_a_server_echoes_never_reach_errors_or_logs(hostile, oauth, caplog, capfd):
    caplog.set_level(logging.DEBUG)

    def echo(request):
        form = request.form()
        return Reply(401, {"error": "invalid_client", "error_description": f"bad client for {json.dumps(form)} "
                                                                            f"raw {request.body.decode()}"})

    hostile.route("POST", "/oauth/token", echo)
    stored = {"oauth": {"refresh_token": "hostile-refresh-from-the-store-0001", "access_token": None}}
    hook, _ = oauth(store=InMemoryTokenStore(stored))
    with pytest.raises(GHLAuthError) as caught:
        hook.call("get_contact", contact_id="abc")
    printed = capfd.readouterr()
    assert "bad client for" in str(caught.value)
    for text in (str(caught.value), repr(caught.value.args), str(caught.value.message), caplog.text,
                 printed.out + printed.err):
        for secret in (CLIENT_SECRET, REFRESH_TOKEN, "hostile-refresh-from-the-store-0001"):
            assert secret not in text


def test_a_refused_refresh_token_fails_at_once_with_one_message(hostile, oauth):
    hostile.route("POST", "/oauth/token", Reply(400, {"error": "invalid_grant",
                                                      "error_description": "refresh token is invalid or already used"}))
    stale = {"oauth": {"refresh_token": "hostile-refresh-stale-0001", "access_token": "old", "expires_at": 0}}
    hook, _ = oauth(store=InMemoryTokenStore(stale))
    started = time.monotonic()
    with pytest.raises(GHLAuthError) as caught:
        hook.call("get_contact", contact_id="abc")
    assert time.monotonic() - started < 2
    text = str(caught.value)
    assert text.lower().count("re-authorize") == 1, text
    assert "invalid_grant" in text
    assert len(hostile.sent("POST", "/oauth/token")) == 2  # the stored token, then the connection's


@pytest.mark.timeout(60)
def test_a_slow_rotation_within_the_timeout_succeeds_and_persists(hostile, oauth):
    tokens = RotatingTokens(pause_s=6)  # HighLevel consumed the old token at once, answers 6 s later
    hostile.route("POST", "/oauth/token", tokens)
    hook, store = oauth(timeout=10)
    assert hook.call("get_contact", contact_id="abc") == CONTACT
    assert store.states["oauth"]["refresh_token"] == tokens.issued[0]
    assert len(hostile.sent("POST", "/oauth/token")) == 1


@pytest.mark.timeout(30)
def test_a_dripping_token_endpoint_is_cut_at_the_deadline(hostile, oauth):
    body = json.dumps({"access_token": "hostile-access-drip", "refresh_token": "hostile-refresh-drip"})
    hostile.route("POST", "/oauth/token", Reply(200, body, content_type="application/json", drip_s=1.0))
    hook, _ = oauth(timeout=2)
    hook.max_retries = 0
    started = time.monotonic()
    with pytest.raises(GHLNetworkError, match="within 2 s"):
        hook.call("get_contact", contact_id="abc")
    assert time.monotonic() - started < 6
