"""A hostile HighLevel on loopback: each test scripts what it answers, byte by byte if needed.

The sandbox is a faithful server; this one is not. Tests register replies per path and the server
sends them as told: non-JSON 200s, cut JSON, redirects, pages that never end, bodies that drip one byte
at a time or never stop, token endpoints that answer nonsense. It records every request it got, so a
test can prove that nothing (or exactly what) was sent.

    def test_x(hostile):
        hostile.route("GET", "/contacts/abc", Reply(200, "<html>maintenance</html>", content_type="text/html"))
        hook = hostile.hook()  # a GHLHook on a private-integration connection to this server
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

LOCATION_ID = "hostileLocation0001"
COMPANY_ID = "hostileCompany00001"
TOKEN = "pit-hostile-secret-token-0001"
CLIENT_SECRET = "hostile-client-secret-0001"
REFRESH_TOKEN = "hostile-refresh-token-0001"


@dataclass
class Request:
    method: str
    path: str
    """The raw request path, undecoded (``/contacts/a%2Fb``), without the query."""
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None

    def form(self) -> dict[str, str]:
        return dict(parse_qsl(self.body.decode()))


@dataclass
class Reply:
    status: int = 200
    body: Any = b""
    """bytes/str are sent as they are; anything else as JSON."""
    content_type: str | None = None
    """Default: application/json for JSON bodies, text/plain for str, none for bytes."""
    headers: dict[str, str] = field(default_factory=dict)
    declared_length: int | None = None
    """A Content-Length other than the body's: bigger and the connection closes early (a cut body)."""
    drip_s: float = 0.0
    """Seconds between single bytes of the body (a slow drip)."""
    endless: bool = False
    """Send the body, then keep sending spaces forever (chunked) until the client goes away."""
    pause_s: float = 0.0
    """Seconds to wait before answering at all."""

    def payload(self) -> tuple[bytes, str | None]:
        if isinstance(self.body, bytes):
            return self.body, self.content_type
        if isinstance(self.body, str):
            return self.body.encode(), self.content_type or "text/plain; charset=utf-8"
        return json.dumps(self.body).encode(), self.content_type or "application/json"


Script = Reply | Callable[[Request], Reply]


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        import sys

        # Clients that give up (deadlines, size caps) reset the connection: that is the point, not news.
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)


class HostileServer:
    """A threaded HTTP/1.1 server on 127.0.0.1 with scripted routes; unknown routes answer HighLevel's 404."""

    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], Script] = {}
        self.requests: list[Request] = []
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                request = Request(self.command, parts.path, dict(parse_qsl(parts.query)),
                                  {k.lower(): v for k, v in self.headers.items()}, body)
                with server._lock:
                    server.requests.append(request)
                    script = server.routes.get((self.command, parts.path))
                reply = script(request) if callable(script) else script
                if reply is None:
                    reply = Reply(404, {"statusCode": 404, "message": f"Cannot {self.command} {parts.path}"})
                try:
                    server._send(self, reply)
                except OSError:  # the client went away (timeouts, broken pipes, resets)
                    self.close_connection = True

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _handle

        self._server = _QuietServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @staticmethod
    def _send(handler: BaseHTTPRequestHandler, reply: Reply) -> None:
        if reply.pause_s:
            time.sleep(reply.pause_s)
        payload, content_type = reply.payload()
        handler.send_response(reply.status)
        if content_type:
            handler.send_header("Content-Type", content_type)
        for name, value in reply.headers.items():
            handler.send_header(name, value)
        if reply.endless:
            handler.send_header("Transfer-Encoding", "chunked")
            handler.end_headers()
            chunk = payload + b" " * 65536
            while True:
                handler.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                chunk = b" " * 65536
        length = reply.declared_length if reply.declared_length is not None else len(payload)
        handler.send_header("Content-Length", str(length))
        handler.end_headers()
        if reply.drip_s:
            for byte in payload:
                handler.wfile.write(bytes([byte]))
                handler.wfile.flush()
                time.sleep(reply.drip_s)
        else:
            handler.wfile.write(payload)
        if length != len(payload):
            handler.wfile.flush()
            handler.close_connection = True
            handler.connection.shutdown(socket.SHUT_RDWR)

    # -- scripting ---------------------------------------------------------------------------------
    def route(self, method: str, path: str, script: Script) -> None:
        with self._lock:
            self.routes[(method.upper(), path)] = script

    def clear(self) -> None:
        with self._lock:
            self.routes.clear()
            self.requests.clear()

    def sent(self, method: str | None = None, path: str | None = None) -> list[Request]:
        """The requests received (optionally only those with this method and/or raw path)."""
        with self._lock:
            return [r for r in self.requests if (method is None or r.method == method)
                    and (path is None or r.path == path)]

    # -- connections -------------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def connection(self, auth_type: str = "private_integration", **extra: Any) -> dict[str, Any]:
        """An Airflow connection (JSON form of ``AIRFLOW_CONN_<ID>``) to this server."""
        fields: dict[str, Any] = {"auth_type": auth_type, "location_id": LOCATION_ID}
        if auth_type in ("oauth", "agency"):
            fields.update(client_id="hostile-client", client_secret=CLIENT_SECRET, refresh_token=REFRESH_TOKEN)
        if auth_type == "agency":
            fields["company_id"] = COMPANY_ID
        fields.update(extra)
        connection: dict[str, Any] = {"conn_type": "ghl", "host": self.base_url, "extra": fields}
        if auth_type == "private_integration":
            connection["password"] = TOKEN
        return connection

    def connection_json(self, auth_type: str = "private_integration", **extra: Any) -> str:
        return json.dumps(self.connection(auth_type, **extra))

    def hook(self, conn_id: str = "ghl_hostile", *, cls: Any = None, **kwargs: Any) -> Any:
        """A ``GHLHook`` (or ``cls``) on a connection the ``hostile`` fixture set, with an in-memory token store
        and quick retries (``backoff_base=0.01``) unless ``kwargs`` say otherwise."""
        from airflow_provider_ghl.hooks.ghl import GHLHook, InMemoryTokenStore

        kwargs.setdefault("token_store", InMemoryTokenStore())
        kwargs.setdefault("backoff_base", 0.01)
        return (cls or GHLHook)(conn_id, **kwargs)

    def start(self) -> HostileServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


class RotatingTokens:
    """``POST /oauth/token`` the way HighLevel does it, for ``hostile.route("POST", "/oauth/token", ...)``.

    Each refresh token works once (HighLevel consumes it before answering) and the answer carries a new
    one. ``pause_s`` delays the answer *after* the token was consumed (a slow rotation); ``answer``
    replaces the body of a successful rotation (``answer(access_token, new_refresh_token) -> body``) to
    script an unusable reply that still spent the old token.
    """

    def __init__(self, refresh_token: str = REFRESH_TOKEN, *, pause_s: float = 0.0,
                 answer: Callable[[str, str], Any] | None = None) -> None:
        self.live = {refresh_token}
        self.issued: list[str] = []
        self.pause_s = pause_s
        self.answer = answer
        self._lock = threading.Lock()

    def __call__(self, request: Request) -> Reply:
        form = request.form()
        if form.get("client_secret") != CLIENT_SECRET:
            return Reply(401, {"error": "invalid_client", "error_description": "Invalid client credentials"})
        with self._lock:
            if form.get("refresh_token") not in self.live:
                return Reply(400, {"error": "invalid_grant",
                                   "error_description": "Invalid grant: refresh token is invalid or already used"})
            self.live.discard(form["refresh_token"])
            number = len(self.issued) + 1
            new = f"hostile-refresh-rotated-{number:04d}"
            self.issued.append(new)
            self.live.add(new)
        access = f"hostile-access-token-{number:04d}"
        body = self.answer(access, new) if self.answer else {
            "access_token": access, "refresh_token": new, "token_type": "Bearer", "expires_in": 86399,
            "userType": "Location", "locationId": LOCATION_ID,
        }
        return Reply(200, body, pause_s=self.pause_s)
