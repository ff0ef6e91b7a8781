"""Connection settings, token stores and the token life cycle (refresh, rotation, agency exchange).

HighLevel rotates OAuth refresh tokens on every refresh and treats the old one as used, so the
newest refresh token must be persisted before anything else can lose it, and every worker must
find it. The hook keeps one JSON document per connection (and one per location token) in a
:class:`TokenStore`, by default an Airflow Variable (Fernet-encrypted at rest, readable and
writable from tasks and triggers).

Refresh policy (all in :class:`TokenManager`, shared by the sync and async hooks):

* an access token is reused until shortly before it expires (10% of its lifetime, at most 5 min);
* refreshes are single-flight per connection inside one process (a lock), and
  before refreshing the store is re-read, so a token another worker just refreshed is reused;
* when HighLevel answers ``invalid_grant`` (another worker consumed the refresh token first), the
  store is re-read: a newer pair there is used. If it holds nothing newer than what was refused, it
  is watched for 0.5 s (two round trips, at most 2 s: the time a race's winner needs to save its
  pair), then the refresh fails with one "re-authorize" message;
* every answer of the token endpoints is checked: one that is not a usable token raises
  :class:`GHLAuthError` saying what to do, and a rotated refresh token is saved as soon as it
  arrives (the old one is spent), even when the rest of the answer is unusable;
* a 401 on a request invalidates that access token once (refresh, then retry the request);
* agency connections refresh the Company token the same way and exchange it for a Location token
  (``POST /oauth/locationToken``), cached per location until near expiry and stored too.
"""

from __future__ import annotations

import json
import math
import os
import random
import tempfile
import threading
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

import httpx
import msgspec

from airflow_provider_ghl.exceptions import (
    GHLAuthError,
    GHLInputError,
    GHLNetworkError,
    GHLTokenStoreError,
    register_secret,
)
from airflow_provider_ghl.get_provider_info import AUTH_TYPES, DEFAULT_BASE_URL
from airflow_provider_ghl.hooks.actions import (
    CheckTokenStore,
    DeadlineExceeded,
    LoadToken,
    Lock,
    MaskSecrets,
    SaveToken,
    Send,
    Sleep,
    TooLarge,
)
from airflow_provider_ghl.hooks.policy import RequestPolicy

OAUTH_VERSION = "2021-07-28"
MAX_EXPIRY_MARGIN_S = 300.0
DEFAULT_LIFETIME_S = 86_399.0
MIN_RACE_GRACE_S, MAX_RACE_GRACE_S, RACE_POLL_S = 0.5, 2.0, 0.1
MAX_REFUSED = 8  # refresh tokens tried in one refresh before giving up
HOST_HINT = ("Check the connection's host (HighLevel's API, e.g. https://services.leadconnectorhq.com) and "
             "HighLevel's status page, then run the task again.")


def mask(*secrets: str | None) -> None:
    """Register secrets with Airflow's log masker (and the task supervisor, inside a task), and with the
    errors' redaction (error texts quote servers, which may echo a secret back)."""
    from airflow.sdk.log import mask_secret

    register_secret(*secrets)
    for secret in secrets:
        if secret and len(secret) >= 5:
            mask_secret(secret)


# -- connection settings ------------------------------------------------------------------------
@dataclass(frozen=True)
class Settings:
    """A ``ghl`` connection, validated."""

    conn_id: str
    base_url: str
    auth_type: str
    token: str | None = field(default=None, repr=False)
    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)
    refresh_token: str | None = field(default=None, repr=False)
    location_id: str | None = None
    company_id: str | None = None
    scopes: frozenset[str] | None = None
    api_version: str | None = None
    timeout: float | None = None
    app_url: str | None = None

    @classmethod
    def from_connection(cls, conn: Any) -> Settings:
        extra = conn.extra_dejson or {}
        conn_id = conn.conn_id
        auth_type = (extra.get("auth_type") or "private_integration").strip()
        if auth_type not in AUTH_TYPES:
            raise GHLInputError(f"connection {conn_id!r}: auth_type {auth_type!r} is not one of {AUTH_TYPES}")
        settings = cls(
            conn_id=conn_id,
            base_url=_base_url(conn_id, conn.host, conn.schema, conn.port),
            auth_type=auth_type,
            token=conn.password or extra.get("token") or None,
            client_id=extra.get("client_id") or None,
            client_secret=extra.get("client_secret") or None,
            refresh_token=extra.get("refresh_token") or None,
            location_id=extra.get("location_id") or None,
            company_id=extra.get("company_id") or None,
            scopes=_scopes(extra.get("scopes")),
            api_version=extra.get("api_version") or None,
            timeout=_timeout(conn_id, extra.get("timeout")),
            app_url=extra.get("app_url") or None,
        )
        settings.check()
        mask(settings.token, settings.client_secret, settings.refresh_token)
        return settings

    def check(self) -> None:
        where = f"connection {self.conn_id!r}"
        if self.auth_type == "private_integration" and not self.token:
            raise GHLInputError(f"{where} has no token: put the Private Integration token (pit-...) in Password")
        if self.auth_type in ("oauth", "agency"):
            missing = [name for name in ("client_id", "client_secret") if not getattr(self, name)]
            if missing:
                raise GHLInputError(f"{where} ({self.auth_type}) lacks {' and '.join(missing)} in its extras")
        if self.auth_type == "agency" and not self.company_id:
            raise GHLInputError(f"{where} (agency) needs company_id to exchange the agency token for location tokens")


def _base_url(conn_id: str, host: str | None, schema: str | None, port: int | None) -> str:
    raw = (host or "").strip() or DEFAULT_BASE_URL
    if "://" not in raw:
        raw = f"{schema if schema in ('http', 'https') else 'https'}://{raw}"
    parts = urlsplit(raw)
    try:
        parsed_port = parts.port
    except ValueError:
        parsed_port = -1
    if parts.scheme not in ("http", "https") or not parts.hostname or parsed_port == -1 or " " in raw:
        raise GHLInputError(
            f"connection {conn_id!r}: the base URL {raw!r} is malformed; use e.g. {DEFAULT_BASE_URL}"
        )
    if parts.query or parts.fragment or "?" in raw or "#" in raw or parts.username or parts.password:
        # Every operation's path is appended to the base URL: a query or fragment would swallow it (all requests
        # would go to one route), and credentials in the URL would travel with every request.
        raise GHLInputError(f"connection {conn_id!r}: the base URL may not carry a query, a fragment or credentials; "
                            f"use e.g. {DEFAULT_BASE_URL} (the token goes in Password)")
    if port and not parts.port:
        raw = f"{parts.scheme}://{parts.hostname}:{port}{parts.path}"
    return raw.rstrip("/")


def _scopes(value: Any) -> frozenset[str] | None:
    if not value:
        return None
    items = value if isinstance(value, list | tuple) else str(value).replace(",", " ").split()
    return frozenset(str(item).strip() for item in items if str(item).strip())


def _timeout(conn_id: str, value: Any) -> float | None:
    if value in (None, ""):
        return None
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        raise GHLInputError(f"connection {conn_id!r}: timeout {value!r} is not a number of seconds") from None
    if seconds <= 0:
        raise GHLInputError(f"connection {conn_id!r}: timeout must be positive")
    return seconds


# -- token stores -------------------------------------------------------------------------------
class TokenStore(Protocol):
    """Where rotated tokens live. ``slot`` is ``"oauth"`` or ``"location:<id>"``; states are JSON dicts."""

    def load(self, slot: str) -> dict[str, Any] | None: ...

    def save(self, slot: str, state: dict[str, Any]) -> None: ...


class InMemoryTokenStore:
    """Process-local store (tests, scripts). Share one instance between hooks to share tokens."""

    def __init__(self, initial: dict[str, dict[str, Any]] | None = None) -> None:
        self.states: dict[str, dict[str, Any]] = dict(initial or {})
        self._lock = threading.Lock()

    def load(self, slot: str) -> dict[str, Any] | None:
        with self._lock:
            state = self.states.get(slot)
            return dict(state) if state else None

    def save(self, slot: str, state: dict[str, Any]) -> None:
        with self._lock:
            self.states[slot] = dict(state)


class FileTokenStore:
    """A JSON file per slot in ``directory``, replaced atomically (for scripts outside Airflow).

    Like a Variable it has no cross-process lock: concurrent refreshes are resolved by the
    ``invalid_grant`` re-read, exactly as on Airflow workers.
    """

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)

    def _path(self, slot: str) -> Path:
        return self.directory / (slot.replace(":", "__").replace("/", "_") + ".json")

    def load(self, slot: str) -> dict[str, Any] | None:
        try:
            return json.loads(self._path(slot).read_text())
        except (FileNotFoundError, ValueError):
            return None

    def save(self, slot: str, state: dict[str, Any]) -> None:
        handle, temp = tempfile.mkstemp(dir=self.directory, suffix=".tmp")
        with os.fdopen(handle, "w") as file:
            json.dump(state, file)
        os.replace(temp, self._path(slot))


class VariableTokenStore:
    """One Airflow Variable per connection and slot (``ghl_token__<conn_id>__<slot>``), JSON inside.

    Inside a task or trigger it goes through the Task SDK (``airflow.sdk.Variable``), so it is
    Fernet-encrypted at rest and shared by every worker. Outside one (no task supervisor, e.g. the
    API server running the UI's Test button, or a script) it uses the metadata database directly when
    this process can reach it; otherwise :meth:`check_writable` fails *before* a refresh would
    consume the refresh token.
    """

    def __init__(self, conn_id: str) -> None:
        self.conn_id = conn_id

    def key(self, slot: str) -> str:
        safe_slot = "".join(c if c.isalnum() else "_" for c in slot)
        return f"ghl_token__{self.conn_id}__{safe_slot}"

    @staticmethod
    def _in_task() -> bool:
        from airflow.sdk.execution_time import task_runner

        return getattr(task_runner, "SUPERVISOR_COMMS", None) is not None

    def load(self, slot: str) -> dict[str, Any] | None:
        key = self.key(slot)
        if self._in_task():
            from airflow.sdk import Variable

            raw = Variable.get(key, default=None)
        else:
            raw = self._database_get(key)
        if not raw:
            return None
        return raw if isinstance(raw, dict) else json.loads(raw)

    def save(self, slot: str, state: dict[str, Any]) -> None:
        key, value = self.key(slot), json.dumps(state)
        description = f"HighLevel tokens of connection {self.conn_id} (managed by GHLHook; do not edit)"
        if self._in_task():
            from airflow.sdk import Variable

            Variable.set(key, value, description=description)
            return
        try:
            from airflow.models.variable import Variable as DatabaseVariable

            DatabaseVariable.set(key, value, description=description)
        except Exception as error:
            raise GHLTokenStoreError(
                f"could not store the rotated tokens in Variable {key!r} outside a task: {type(error).__name__}"
            ) from None

    def check_writable(self) -> None:
        if self._in_task():
            return
        try:
            self._database_get(self.key("oauth"))
        except Exception as error:
            raise GHLTokenStoreError(
                "this OAuth connection rotates its refresh token on every refresh, and the new one must be "
                "saved in an Airflow Variable, which is only possible inside a task or trigger or where the "
                f"metadata database is reachable ({type(error).__name__} here). Not refreshing, so the stored "
                "refresh token stays valid. Outside Airflow pass token_store=FileTokenStore(...) to the hook."
            ) from None

    @staticmethod
    def _database_get(key: str) -> str | None:
        from airflow.models.variable import Variable as DatabaseVariable

        return DatabaseVariable.get(key, default_var=None)


# -- token life cycle ---------------------------------------------------------------------------
def fresh(state: dict[str, Any] | None, now: float, rejected: set[str]) -> bool:
    if not state or not state.get("access_token") or state["access_token"] in rejected:
        return False
    lifetime = float(state.get("expires_in") or DEFAULT_LIFETIME_S)
    margin = min(MAX_EXPIRY_MARGIN_S, lifetime * 0.1)
    return float(state.get("expires_at") or 0) - margin > now


class TokenManager:
    """Which bearer token a request uses, and the refresh/exchange steps to get it (sans-I/O: the store,
    the lock, the token endpoints and the log masker are reached only through the actions it yields).

    ``clock`` is wall time (token expiry is stored as epoch seconds, shared with other processes);
    ``monotonic`` times the watch of the store after ``invalid_grant``.
    """

    def __init__(self, settings: Settings, *, policy: RequestPolicy, clock: Callable[[], float] = time.time,
                 monotonic: Callable[[], float] = time.monotonic, rng: random.Random | None = None) -> None:
        self.settings = settings
        self.policy = policy
        self.clock = clock
        self.monotonic = monotonic
        self.rng = rng or random.Random()
        self.cached: dict[str, dict[str, Any]] = {}
        self.rejected: set[str] = set()
        self.lock_name = f"ghl-token:{settings.conn_id}:{settings.base_url}"

    def slot_for(self, uses_company_token: bool, location_id: str | None) -> str:
        if self.settings.auth_type != "agency" or uses_company_token:
            return "oauth"
        if not location_id:
            raise GHLInputError(
                f"connection {self.settings.conn_id!r} (agency) needs a location_id to mint a location token"
            )
        return f"location:{location_id}"

    def token(self, slot: str) -> Generator[Any, Any, str]:
        """The bearer token for ``slot``, refreshing or exchanging when needed."""
        if self.settings.auth_type == "private_integration":
            return self.settings.token
        if fresh(self.cached.get(slot), self.clock(), self.rejected):
            return self.cached[slot]["access_token"]
        yield Lock(self.lock_name, True)
        stored = yield LoadToken(slot)
        if fresh(stored, self.clock(), self.rejected):
            yield MaskSecrets((stored["access_token"], stored.get("refresh_token")))  # another process minted them
            self.cached[slot] = stored
        elif slot == "oauth":
            self.cached[slot] = yield from self._refresh()
        else:
            self.cached[slot] = yield from self._exchange_for_location(slot)
        yield Lock(self.lock_name, False)
        return self.cached[slot]["access_token"]

    def reject(self, token: str) -> None:
        """HighLevel refused ``token`` (401): never use it again; the next ``token()`` refreshes."""
        self.rejected.add(token)

    # -- steps ------------------------------------------------------------------------------
    def _refresh(self) -> Generator[Any, Any, dict[str, Any]]:
        yield CheckTokenStore()
        settings = self.settings
        refused: set[str] = set()
        give_up_at = 0.0
        while len(refused) < MAX_REFUSED:
            stored = yield LoadToken("oauth")
            if fresh(stored, self.clock(), self.rejected):
                yield MaskSecrets((stored["access_token"], stored.get("refresh_token")))
                return stored  # another worker refreshed meanwhile
            candidates = [(stored or {}).get("refresh_token"), settings.refresh_token]
            refresh_token = next((c for c in candidates if c and c not in refused), None)
            if refresh_token is None:
                if not refused:
                    raise GHLAuthError(f"connection {settings.conn_id!r} has no refresh token (extra refresh_token)")
                if self.monotonic() >= give_up_at:
                    break
                # The store holds nothing newer than what HighLevel refused. A worker that won a race for
                # the same token saves its pair right after its answer (a round trip, or a busy machine's
                # scheduling delay), so watch the store briefly; a revoked or lost token then fails within
                # half a second instead of after a long backoff.
                yield Sleep(RACE_POLL_S)
                continue
            started = self.monotonic()
            state = yield from self._rotate(refresh_token)
            if state is not None:
                return state
            refused.add(refresh_token)
            round_trip = self.monotonic() - started
            give_up_at = self.monotonic() + min(MAX_RACE_GRACE_S, max(MIN_RACE_GRACE_S, 2 * round_trip))
        raise GHLAuthError(
            "HighLevel refused the refresh token (invalid_grant): it was revoked, or already used and no newer "
            f"one was saved. Re-authorize the app and put the new refresh token in connection {settings.conn_id!r} "
            "(extra refresh_token)", status=400, hint="",
        )

    def _rotate(self, refresh_token: str) -> Generator[Any, Any, dict[str, Any] | None]:
        """Trade ``refresh_token`` for a new pair and save it; ``None`` when HighLevel says invalid_grant."""
        settings = self.settings
        # It may come from the store: HighLevel may quote the form back in an error.
        yield MaskSecrets((refresh_token,))
        form = {
            "client_id": settings.client_id, "client_secret": settings.client_secret,
            "grant_type": "refresh_token", "refresh_token": refresh_token,
            "user_type": "Company" if settings.auth_type == "agency" else "Location",
        }
        data = yield from self._token_request("/oauth/token", form, headers={})
        if data is None:
            return None
        rotated = data.get("refresh_token")
        rotated = rotated if isinstance(rotated, str) and rotated else None
        state, problem = self._state(data)
        yield MaskSecrets((rotated, state["access_token"]))
        state["refresh_token"] = rotated or refresh_token
        if problem is None or rotated:
            # The old refresh token is spent once a new one arrives: keep the new one whatever else is wrong.
            yield SaveToken("oauth", state)
        if problem is not None:
            kept = " Its new refresh token was saved, so the next run can refresh again." if rotated else ""
            raise GHLAuthError(f"/oauth/token answered without a usable token ({problem}).{kept}",
                               hint=f"This is HighLevel's side (or a proxy's). {HOST_HINT}")
        return state

    def _exchange_for_location(self, slot: str) -> Generator[Any, Any, dict[str, Any]]:
        location_id = slot.split(":", 1)[1]
        company = self.cached.get("oauth")
        if not fresh(company, self.clock(), self.rejected):
            stored = yield LoadToken("oauth")
            company = stored if fresh(stored, self.clock(), self.rejected) else (yield from self._refresh())
            yield MaskSecrets((company["access_token"],))
            self.cached["oauth"] = company
        form = {"companyId": self.settings.company_id, "locationId": location_id}
        headers = {"Authorization": f"Bearer {company['access_token']}", "Version": OAUTH_VERSION}
        data = yield from self._token_request("/oauth/locationToken", form, headers=headers)
        state, problem = self._state(data) if data is not None else ({}, "invalid_grant")
        yield MaskSecrets((state.get("access_token"),))
        if problem is not None:
            raise GHLAuthError(f"the agency token could not be exchanged for a token of location {location_id}: "
                               f"/oauth/locationToken answered without a usable token ({problem})",
                               hint=f"This is HighLevel's side (or a proxy's). {HOST_HINT}")
        yield SaveToken(slot, state)
        return state

    def _state(self, data: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
        """The state to store for a token answer, and what makes it unusable (``None`` when nothing)."""
        access_token = data.get("access_token")
        problem = None
        if not isinstance(access_token, str) or not access_token:
            access_token, problem = None, "no access_token"
        expires_in = _lifetime(data.get("expires_in"))
        if expires_in is None:
            shown = repr(data.get("expires_in"))[:40]
            expires_in, problem = 0.0, problem or f"expires_in {shown} is not a number of seconds"
        now = self.clock()
        return {
            "access_token": access_token, "refresh_token": None,
            "expires_in": expires_in, "expires_at": now + expires_in if access_token else 0, "refreshed_at": now,
            "user_type": data.get("userType"), "location_id": data.get("locationId"), "scope": data.get("scope"),
        }, problem

    def _token_request(self, path: str, form: dict[str, Any],
                       headers: dict[str, str]) -> Generator[Any, Any, dict[str, Any] | None]:
        """POST a form to an OAuth endpoint: its JSON object, or ``None`` for ``invalid_grant``. Network
        errors, overrun deadlines and 5xx are retried (HighLevel either rotated or did not; a consumed
        token then shows up as invalid_grant and the store re-read); any other failure raises."""
        for attempt in range(self.policy.max_retries + 1):
            request = httpx.Request("POST", self.settings.base_url + path, data=form,
                                    headers={"Accept": "application/json", **headers})
            outcome = yield Send(request, self.policy.budget)
            response, error = outcome.response, outcome.error
            if isinstance(error, TooLarge):
                raise GHLAuthError(f"{path}: {error}, which is no token answer", status=error.status, hint=HOST_HINT)
            if response is not None and response.status_code < 500:
                return self._answer(path, response)
            if attempt < self.policy.max_retries:
                yield Sleep(self._backoff(attempt))
        if error is not None:
            why = f"{error} (the connection's timeout)" if isinstance(error, DeadlineExceeded) else type(error).__name__
            raise GHLNetworkError(f"{path} could not be reached: {why}")
        raise GHLAuthError(f"{path} failed with HTTP {response.status_code}", status=response.status_code,
                           trace_id=response.headers.get("traceId"), hint=HOST_HINT)

    @staticmethod
    def _answer(path: str, response: httpx.Response) -> dict[str, Any] | None:
        status, trace = response.status_code, response.headers.get("traceId")
        try:
            data = msgspec.json.decode(response.content)
        except msgspec.DecodeError:
            from airflow_provider_ghl.hooks.answers import excerpt

            media = response.headers.get("content-type", "").split(";")[0] or "no content type"
            shown = f": {excerpt(response)!r}" if response.content else " (empty)"
            raise GHLAuthError(f"{path} answered {media} that is not a token (HTTP {status}){shown}",
                               status=status, trace_id=trace, hint=HOST_HINT) from None
        if not isinstance(data, dict):
            raise GHLAuthError(f"{path} answered a JSON {type(data).__name__}, not a token object (HTTP {status})",
                               status=status, trace_id=trace, hint=HOST_HINT)
        error = data.get("error")
        if error == "invalid_grant":
            return None
        if status >= 300 or error:
            said = data.get("error_description") or data.get("message") or error or response.reason_phrase
            raise GHLAuthError(f"{path} refused the credentials: {said}", status=status, trace_id=trace)
        return data

    def _backoff(self, attempt: int) -> float:
        return min(1.5, 0.25 * 2**attempt) * self.rng.uniform(0.5, 1.0)


def _lifetime(value: Any) -> float | None:
    """``expires_in`` in seconds (HighLevel sends a number; absent means its default day), ``None`` if invalid."""
    if value is None:
        return DEFAULT_LIFETIME_S
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None
    return seconds if math.isfinite(seconds) and seconds > 0 else None
