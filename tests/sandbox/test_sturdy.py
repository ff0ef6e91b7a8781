"""The sandbox as a sturdy server: raw-path routing, hostile bodies and numbers, body limits, control-surface
validation, the control token off loopback, and no plain-text 500s."""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from airflow_provider_ghl.sandbox import Sandbox
from tests.sandbox.answers import assert_error_shape

MiB = 1024 * 1024


def first_id(sandbox, table: str) -> str:
    return sandbox.control("GET", f"tables/{table}")[0]["id"]


def raw_request(sandbox, method: str, path: str, body: bytes | None = None, headers: dict | None = None,
                token: bool = True) -> tuple[int, dict]:
    """Send ``path`` byte for byte (httpx would normalise dot segments); the status and JSON answer."""
    parts = urlsplit(sandbox.base_url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    sent = {"Version": "2021-07-28", **(headers or {})}
    if token:
        sent["Authorization"] = f"Bearer {sandbox.connection('full')['password']}"
    try:
        connection.request(method, path, body=body, headers=sent)
        response = connection.getresponse()
        text = response.read()
        assert "json" in (response.getheader("content-type") or ""), text[:300]
        return response.status, json.loads(text)
    finally:
        connection.close()


# -- routing on the raw path ------------------------------------------------------------------------
def test_an_encoded_slash_stays_inside_its_path_parameter(fresh_sandbox):
    contact_id = first_id(fresh_sandbox, "contacts")
    status, body = raw_request(fresh_sandbox, "GET", f"/contacts/{contact_id}%2Ftasks")
    assert status == 404 and "tasks" not in body, body
    assert_error_shape(body, 404)
    status, body = raw_request(fresh_sandbox, "GET", "/__sandbox__/tables%2Fcontacts", token=False)
    assert status == 404, body
    assert_error_shape(body, 404)


def test_dot_segments_never_resolve_to_a_route(fresh_sandbox):
    contact_id = first_id(fresh_sandbox, "contacts")
    for template in ("/contacts/x/../{id}", "/contacts/x/%2e%2e/{id}", "/contacts/x/%2E%2E/{id}", "/contacts/./{id}",
                     "/contacts/{id}/tasks/%2e%2e", "/contacts/{id}/tasks/.", "/contacts/%2e%2e", "/contacts/%2E"):
        path = template.format(id=contact_id)
        status, body = raw_request(fresh_sandbox, "GET", path)
        assert status == 404, (path, body)
        assert_error_shape(body, 404, "Cannot GET")


# -- hostile bodies and numbers ---------------------------------------------------------------------------
def search(sandbox, raw: bytes) -> tuple[int, dict]:
    return raw_request(sandbox, "POST", "/contacts/search", raw, {"Content-Type": "application/json"})


def test_deeply_nested_json_is_a_400(fresh_sandbox):
    for depth in (100_000, 2_000, 200):
        status, body = search(fresh_sandbox, b"[" * depth + b"]" * depth)
        assert status == 400, (depth, body)
        assert_error_shape(body, 400, "nest")
    location = fresh_sandbox.location_id.encode()
    nested = b'{"locationId":"%s","filters":' % location + b"[" * 150 + b"]" * 150 + b"}"
    assert search(fresh_sandbox, nested)[0] == 400


def test_overflowing_numbers_are_422_naming_the_field(fresh_sandbox):
    # JavaScript reads these as Infinity: valid JSON, refused by the field's number check.
    for number in (b"1e400", b"-1e400", b"1" + b"0" * 400, b"1" + b"0" * 5000):
        raw = b'{"locationId":"%s","pageLimit":%s}' % (fresh_sandbox.location_id.encode(), number)
        status, body = search(fresh_sandbox, raw)
        assert status == 422, (number[:10], body)
        assert_error_shape(body, 422, "pageLimit")


@pytest.mark.parametrize("literal", [b"NaN", b"Infinity", b"-Infinity"])
def test_json_that_javascript_rejects_is_a_400(fresh_sandbox, literal):
    raw = b'{"locationId":"%s","pageLimit":%s}' % (fresh_sandbox.location_id.encode(), literal)
    status, body = search(fresh_sandbox, raw)
    assert status == 400, body
    assert_error_shape(body, 400)


def test_overflowing_cursor_numbers_in_the_query_are_422(fresh_sandbox, api):
    location = fresh_sandbox.location_id
    contact_id = first_id(fresh_sandbox, "contacts")
    for path, params, name in (
        ("/contacts/", {"locationId": location, "startAfterId": contact_id, "startAfter": "1e400"}, "startAfter"),
        ("/conversations/search", {"locationId": location, "startAfterDate": "1e400"}, "startAfterDate"),
        ("/conversations/search", {"locationId": location, "startDate": "-inf"}, "startDate"),
    ):
        response = api("GET", path, params=params, version="2021-04-15")
        assert response.status_code == 422, (path, response.text)
        assert_error_shape(response.json(), 422, name)


PAGING = [  # (path, query, the offset parameter); every other parameter is valid
    ("/businesses/", {"limit": "10"}, "skip"),
    ("/users/search", {"companyId": "{company}"}, "skip"),
    ("/locations/search", {"companyId": "{company}"}, "skip"),
    ("/associations/", {"skip": "0", "limit": "10"}, "skip"),
    ("/blogs/authors", {"limit": "10", "offset": "0"}, "offset"),
    ("/blogs/site/all", {"limit": "10", "skip": "0"}, "skip"),
    ("/opportunities/search", {"location_id": "{location}"}, "page"),
]


@pytest.mark.parametrize(("path", "query", "offset"), PAGING, ids=[p[0] + p[2] for p in PAGING])
def test_out_of_range_paging_params_are_422(fresh_sandbox, api, path, query, offset):
    values = {"company": fresh_sandbox.company_id, "location": fresh_sandbox.location_id}
    base = {"locationId": fresh_sandbox.location_id, **{k: v.format(**values) for k, v in query.items()}}
    assert api("GET", path, params=base).status_code == 200
    for name, value in ((offset, "-1"), (offset, "1_0"), (offset, "\uff11"), (offset, "1.5"),
                        (offset, str(2**53)), (offset, "9" * 40),
                        ("limit", "0"), ("limit", "-5"), ("limit", "1_0"), ("limit", "101")):
        response = api("GET", path, params={**base, name: value})
        assert response.status_code == 422, (name, value, response.text)
        assert_error_shape(response.json(), 422, name)


# -- the control surface refuses bad input and changes nothing ----------------------------------------------
def control_raw(sandbox, method: str, path: str, raw: bytes) -> tuple[int, dict]:
    return raw_request(sandbox, method, f"/__sandbox__/{path}", raw, {"Content-Type": "application/json"},
                       token=False)


@pytest.mark.parametrize(("method", "path"), [
    ("POST", "reset"), ("PATCH", "config"), ("POST", "tokens"), ("POST", "oauth/grants"), ("POST", "oauth/codes"),
    ("POST", "clock"),
])
def test_malformed_control_bodies_are_400(fresh_sandbox, method, path):
    for raw in (b"{nope", b"[1, 2]", b'"text"', b"[" * 50_000 + b"]" * 50_000, b"\xff\xfe"):
        status, body = control_raw(fresh_sandbox, method, path, raw)
        assert status == 400, (raw[:10], body)
        assert_error_shape(body, 400)
    assert len(fresh_sandbox.control("GET", "tables/contacts")) > 0


@pytest.mark.parametrize(("method", "path", "payload", "field"), [
    ("POST", "reset", {"contacts": "x"}, "contacts"),
    ("POST", "reset", {"contacts": -1}, "contacts"),
    ("POST", "reset", {"seed": 1.5}, "seed"),
    ("POST", "tokens", {"scopes": "contacts.readonly"}, "scopes"),
    ("POST", "tokens", {"scopes": [1]}, "scopes"),
    ("POST", "oauth/grants", {"user_type": "Admin"}, "user_type"),
    ("POST", "oauth/codes", {"scopes": {"a": 1}}, "scopes"),
    ("POST", "clock", {"advance_s": "x"}, "advance_s"),
    ("POST", "clock", {"advance_s": True}, "advance_s"),
])
def test_bad_control_values_are_422_naming_the_field(fresh_sandbox, method, path, payload, field):
    contacts = fresh_sandbox.control("GET", "tables/contacts")
    response = httpx.request(method, f"{fresh_sandbox.base_url}/__sandbox__/{path}", json=payload)
    assert response.status_code == 422, response.text
    assert_error_shape(response.json(), 422, field)
    assert fresh_sandbox.control("GET", "tables/contacts") == contacts
    assert fresh_sandbox.control("POST", "clock", {"advance_s": 0})["offset_s"] == 0


def test_clock_refuses_an_overflowing_advance(fresh_sandbox):
    status, body = control_raw(fresh_sandbox, "POST", "clock", b'{"advance_s": 1e400}')
    assert status == 422, body
    assert_error_shape(body, 422, "advance_s")


@pytest.mark.parametrize(("change", "field"), [
    ({"rate_limits": {"burst_max": "x"}}, "rate_limits.burst_max"),
    ({"rate_limits": {"burst_max": 0}}, "rate_limits.burst_max"),
    ({"rate_limits": {"enabled": "yes"}}, "rate_limits.enabled"),
    ({"rate_limits": {"interval_ms": 1.5}}, "rate_limits.interval_ms"),
    ({"faults": {"rate": 2}}, "faults.rate"),
    ({"faults": {"kinds": {}}}, "faults.kinds"),
    ({"faults": {"kinds": {"500": -1}}}, "faults.kinds"),
    ({"faults": {"kinds": {"500": "x"}}}, "faults.kinds"),
    ({"faults": {"routes": ["no_such_operation"]}}, "faults.routes"),
    ({"faults": {"delay_s": -1}}, "faults.delay_s"),
    ({"access_token_ttl_s": "1 day"}, "access_token_ttl_s"),
    ({"search_index_lag_s": None}, "search_index_lag_s"),
    ({"contacts": -3}, "contacts"),
    ({"max_body_bytes": 0}, "max_body_bytes"),
])
def test_bad_config_is_refused_naming_the_field_and_nothing_changes(fresh_sandbox, api, change, field):
    before = fresh_sandbox.control("GET", "config")
    # A good change next to the bad one: refused together.
    response = httpx.patch(f"{fresh_sandbox.base_url}/__sandbox__/config",
                           json={"search_index_lag_s": 7, **change})
    assert response.status_code == 422, response.text
    assert_error_shape(response.json(), 422, field)
    assert fresh_sandbox.control("GET", "config") == before
    assert api("GET", f"/contacts/{first_id(fresh_sandbox, 'contacts')}").status_code == 200


# -- oversized bodies ---------------------------------------------------------------------------------------
def peak_rss_mb(sandbox) -> float:
    status = Path(f"/proc/{sandbox.process.pid}/status").read_text()
    return int(next(line for line in status.splitlines() if line.startswith("VmHWM:")).split()[1]) / 1024


def chunks(total: int, size: int = MiB, piece: bytes = b" ") -> Iterator[bytes]:
    for _ in range(total // size):
        yield piece * (size // len(piece))


def test_oversized_bodies_are_413_before_they_are_read(fresh_sandbox, api):
    before = peak_rss_mb(fresh_sandbox)
    declared = api("POST", "/contacts/", content=b"{" + b" " * (50 * MiB) + b"}")
    assert declared.status_code == 413, declared.text[:300]
    assert_error_shape(declared.json(), 413, "larger than")
    streamed = api("POST", "/contacts/", content=chunks(12 * MiB))
    assert streamed.status_code == 413, streamed.text[:300]
    assert_error_shape(streamed.json(), 413)
    for path, kind, piece in (("/__sandbox__/tokens", "application/json", b" "),
                              ("/oauth/token", "application/x-www-form-urlencoded", b"a=" + b"x" * 8189 + b"&")):
        refused = httpx.post(fresh_sandbox.base_url + path, content=chunks(12 * MiB, piece=piece), timeout=30,
                             headers={"Content-Type": kind})
        assert refused.status_code == 413, (path, refused.text)
    assert peak_rss_mb(fresh_sandbox) - before < 25
    # The connection survives for the next request.
    assert api("GET", f"/contacts/{first_id(fresh_sandbox, 'contacts')}").status_code == 200


def test_the_body_limit_is_configurable(fresh_sandbox, api):
    default = fresh_sandbox.control("GET", "config")["max_body_bytes"]
    body = {"locationId": fresh_sandbox.location_id, "email": "big@example.com", "firstName": "x" * 3000}
    try:
        fresh_sandbox.configure(max_body_bytes=2048)
        assert api("POST", "/contacts/", json=body).status_code == 413
    finally:
        fresh_sandbox.configure(max_body_bytes=default)
    assert api("POST", "/contacts/", json=body).status_code == 201


# -- no plain-text 500s ---------------------------------------------------------------------------------------
@pytest.fixture
def in_process_server(monkeypatch):
    """The sandbox app served by uvicorn on loopback in this process, so a test can plant a failing handler."""
    import uvicorn

    from airflow_provider_ghl.sandbox.app import create_app
    from airflow_provider_ghl.sandbox.areas import seed_world
    from airflow_provider_ghl.sandbox.config import SandboxConfig
    from airflow_provider_ghl.sandbox.state import SandboxState
    from airflow_provider_ghl.sandbox.webhooks import Webhooks

    state = SandboxState(SandboxConfig(contacts=5), seeder=seed_world, webhooks=Webhooks())
    app = create_app(state)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    server = uvicorn.Server(uvicorn.Config(app, log_level="critical", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    yield state, f"http://127.0.0.1:{sock.getsockname()[1]}"
    server.should_exit = True
    thread.join(10)


def test_unexpected_exceptions_are_highlevel_shaped_500s(in_process_server, monkeypatch):
    from airflow_provider_ghl.sandbox.routing import HANDLERS

    state, base_url = in_process_server

    def broken(call):
        raise RuntimeError("secret detail of a sandbox bug")

    monkeypatch.setitem(HANDLERS, "get_contact", broken)
    monkeypatch.setattr(state, "issue_pit", lambda *a, **k: 1 / 0)
    headers = {"Authorization": f"Bearer {state.pit_full}", "Version": "2021-07-28"}
    contact_id = next(iter(state.table("contacts")))
    for response in (httpx.get(f"{base_url}/contacts/{contact_id}", headers=headers),
                     httpx.post(f"{base_url}/__sandbox__/tokens", json={})):
        assert response.status_code == 500, response.text
        assert response.headers["content-type"].startswith("application/json"), response.text
        assert "secret" not in response.text and "Traceback" not in response.text
        assert_error_shape(response.json(), 500)


# -- the control token ------------------------------------------------------------------------------------------
def test_the_control_token_is_optional_on_loopback_but_checked_when_sent(sandbox):
    assert sandbox.info["control_token"]
    assert httpx.get(f"{sandbox.base_url}/__sandbox__/stats").status_code == 200
    right = {"X-Sandbox-Token": sandbox.info["control_token"]}
    assert httpx.get(f"{sandbox.base_url}/__sandbox__/stats", headers=right).status_code == 200
    wrong = httpx.get(f"{sandbox.base_url}/__sandbox__/stats", headers={"X-Sandbox-Token": "nope"})
    assert wrong.status_code == 401
    assert_error_shape(wrong.json(), 401)


def test_off_loopback_the_control_surface_needs_the_token():
    with Sandbox(contacts=5, rate_limits=False, extra_args=["--host", "0.0.0.0"]) as server:
        token = server.info["control_token"]
        url = f"http://127.0.0.1:{urlsplit(server.base_url).port}"
        for method, path in (("GET", "info"), ("GET", "stats"), ("POST", "reset"), ("PATCH", "config"),
                             ("POST", "tokens"), ("GET", "tables/contacts"), ("GET", "webhooks"),
                             ("POST", "webhooks"), ("DELETE", "webhooks"), ("GET", "webhooks/deliveries")):
            refused = httpx.request(method, f"{url}/__sandbox__/{path}", json={})
            assert refused.status_code == 401, (path, refused.text)
            assert_error_shape(refused.json(), 401, "X-Sandbox-Token")
            wrong = httpx.request(method, f"{url}/__sandbox__/{path}", json={}, headers={"X-Sandbox-Token": "x"})
            assert wrong.status_code == 401
        accepted = httpx.get(f"{url}/__sandbox__/stats", headers={"X-Sandbox-Token": token})
        assert accepted.status_code == 200
        # The Sandbox class sends it by itself, and HighLevel's own routes only need the bearer token.
        contact_id = server.control("GET", "tables/contacts")[0]["id"]
        assert server.configure(search_index_lag_s=0)["search_index_lag_s"] == 0
        full = server.connection("full")["password"]
        got = httpx.get(f"{url}/contacts/{contact_id}", headers={"Authorization": f"Bearer {full}",
                                                                 "Version": "2021-07-28"})
        assert got.status_code == 200
