"""``GHLHook`` (sync, ``httpx.Client``) and ``GHLAsyncHook`` (``httpx.AsyncClient``, for triggers).

Both run the same request flows (:mod:`airflow_provider_ghl.hooks.protocol`: request building,
pacing, token refresh, retries, pagination); they differ only in how they perform their I/O steps
(:mod:`.actions`). Each has its own client attribute, so a hook used both ways never hands an
``AsyncClient`` to sync code or the reverse.

Usage::

    hook = GHLHook("ghl_default")
    contact = hook.call("get_contact", contact_id="abc")["contact"]
    for contact in hook.paginate("search_contacts", body={"filters": [...]}):
        ...
    hook.prepare("create_contact", body={...})  # validates (scopes, arguments) without sending

Errors are typed (:mod:`airflow_provider_ghl.exceptions`). The connection (conn type ``ghl``)
holds the base URL (host), the token (password) and the extras declared in ``get_provider_info``.
"""

from __future__ import annotations

import asyncio
import functools
import ssl
import threading
import time
from collections.abc import AsyncIterator, Generator, Iterator, Mapping
from typing import Any

import httpx
from airflow.sdk import BaseHook

from airflow_provider_ghl.exceptions import GHLError
from airflow_provider_ghl.hooks.actions import (
    DEFAULT_MAX_RESPONSE_BYTES,
    BodyReader,
    CheckTokenStore,
    DeadlineExceeded,
    Emit,
    LoadToken,
    Lock,
    MaskSecrets,
    Outcome,
    SaveToken,
    Send,
    Sleep,
    TooLarge,
)
from airflow_provider_ghl.hooks.auth import (
    FileTokenStore,
    InMemoryTokenStore,
    Settings,
    TokenManager,
    TokenStore,
    VariableTokenStore,
    mask,
)
from airflow_provider_ghl.hooks.policy import RequestPolicy
from airflow_provider_ghl.hooks.protocol import Prepared, RequestFlows

__all__ = [
    "FileTokenStore", "GHLAsyncHook", "GHLHook", "InMemoryTokenStore", "Prepared", "TokenStore", "VariableTokenStore",
]

# Actions that reach the token store or Airflow's supervisor: blocking calls (Variables go through the
# SDK's sync comms or the database), which the async driver runs in a worker thread.
STORE_ACTIONS = (LoadToken, SaveToken, CheckTokenStore, MaskSecrets)
POOL_LIMITS = httpx.Limits(max_connections=20, max_keepalive_connections=10)

# Process-wide named locks: hooks of one connection refresh its token one at a time.
_LOCKS: dict[str, threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """One certificate store per process: each httpx client would otherwise load its own (~0.5 MiB),
    which adds up in a triggerer running hundreds of deferred sensors."""
    import certifi

    return ssl.create_default_context(cafile=certifi.where())


def _named_lock(name: str) -> threading.Lock:
    with _LOCKS_GUARD:
        return _LOCKS.setdefault(name, threading.Lock())


class _Stepper:
    """Steps a request flow and holds its locks; the sync and async drivers only perform its actions."""

    def __init__(self, flow: Generator) -> None:
        self.flow = flow
        self.result: Any = None
        self.value: Any = None
        self.held: list[threading.Lock] = []

    def next(self) -> Any:
        """The next action, or ``None`` when the flow has finished (its return value is then ``value``)."""
        try:
            action = self.flow.send(self.result)
        except StopIteration as stop:
            self.value = stop.value
            return None
        self.result = None
        return action

    def hold(self, lock: threading.Lock) -> None:
        """Remember an acquired lock, so that ``close`` releases it whatever happens."""
        self.held.append(lock)

    def release(self, lock: threading.Lock) -> None:
        self.held.remove(lock)
        lock.release()

    def close(self) -> None:
        self.flow.close()
        for lock in reversed(self.held):
            lock.release()


class GHLHook(BaseHook):
    """Calls HighLevel operations from the catalog; see the module docstring and ``docs/hook.md``.

    :param ghl_conn_id: the ``ghl`` connection.
    :param token_store: where rotated OAuth tokens live (default: an Airflow Variable per connection).
    :param timeout: seconds per request, all included: connecting, sending and reading the whole answer
        (default: the connection's ``timeout``, else 30). Token requests use it too.
    :param max_response_bytes: the largest answer read (default 64 MiB); a bigger one raises ``GHLResponseError``.
    :param max_retries: retries of network errors and 5xx (idempotent operations only).
    :param transport: an httpx transport (tests).
    :param progress_every_s: how often long paginations log progress.
    """

    conn_name_attr = "ghl_conn_id"
    default_conn_name = "ghl_default"
    conn_type = "ghl"
    hook_name = "HighLevel (GoHighLevel)"

    def __init__(self, ghl_conn_id: str = default_conn_name, *, token_store: TokenStore | None = None,
                 timeout: float | None = None, max_retries: int = 5, transport: Any = None,
                 backoff_base: float = 0.5, backoff_cap: float = 30.0, max_rate_limit_waits: int = 30,
                 progress_every_s: float = 30.0, max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES) -> None:
        super().__init__()
        self.ghl_conn_id = ghl_conn_id
        self.token_store = token_store or VariableTokenStore(ghl_conn_id)
        self.timeout = timeout
        self.max_retries = max_retries
        self.transport = transport
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.max_rate_limit_waits = max_rate_limit_waits
        self.progress_every_s = progress_every_s
        self.max_response_bytes = max_response_bytes
        self._flows: RequestFlows | None = None
        self._sync_client: httpx.Client | None = None

    # -- configuration ------------------------------------------------------------------------
    def _setup(self, connection: Any) -> RequestFlows:
        """Read the connection once; the arguments above are what the flows' policy is made of (setting one
        of them on the hook before its first call still counts, as it always has)."""
        settings = Settings.from_connection(connection)
        policy = RequestPolicy.resolve(
            timeout=self.timeout, connection_timeout=settings.timeout, max_response_bytes=self.max_response_bytes,
            max_retries=self.max_retries, backoff_base=self.backoff_base, backoff_cap=self.backoff_cap,
            max_rate_limit_waits=self.max_rate_limit_waits, progress_every_s=self.progress_every_s,
        )
        self._flows = RequestFlows(settings, TokenManager(settings, policy=policy), policy, log=self.log)
        return self._flows

    @property
    def flows(self) -> RequestFlows:
        """The connection's request flows (read from the connection on first use)."""
        return self._flows or self._setup(self.get_connection(self.ghl_conn_id))

    @property
    def protocol(self) -> RequestFlows:
        """Deprecated name of :attr:`flows`."""
        return self.flows

    @property
    def policy(self) -> RequestPolicy:
        """The retry, wait and size settings every request of this hook follows."""
        return self.flows.policy

    @property
    def settings(self) -> Settings:
        return self.flows.settings

    @property
    def location_id(self) -> str | None:
        """The connection's default location."""
        return self.settings.location_id

    @property
    def company_id(self) -> str | None:
        return self.settings.company_id

    @property
    def requests_sent(self) -> int:
        return self.flows.requests

    def prepare(self, key: str, *, query: Mapping[str, Any] | None = None, body: Any = None,
                location_id: str | None = None, api_version: str | None = None, paging: bool = False,
                **path_arguments: Any) -> Prepared:
        """Validate a call and build its request without sending it (raises ``GHLInputError``/``GHLScopeError``).

        ``api_version`` (``v2``, ``v3``, ``legacy``, a dated version) overrides the connection's for this call;
        ``paging=True`` validates it as ``paginate`` sends it (the paging parameters are the style's to send)."""
        return self.flows.prepare(key, query=query, body=body, location_id=location_id, arguments=path_arguments,
                                  api_version=api_version, paging=paging)

    # -- sync I/O -------------------------------------------------------------------------------
    def get_conn(self) -> httpx.Client:
        """The hook's pooled sync client (one per hook)."""
        if self._sync_client is None:
            self._sync_client = httpx.Client(transport=self.transport, limits=POOL_LIMITS, follow_redirects=False,
                                             verify=_tls_context())
        return self._sync_client

    def call(self, key: str, *, query: Mapping[str, Any] | None = None, body: Any = None,
             location_id: str | None = None, api_version: str | None = None, **path_arguments: Any) -> Any:
        """Run one operation; returns its JSON (text or bytes for non-JSON answers)."""
        prepared = self.prepare(key, query=query, body=body, location_id=location_id, api_version=api_version,
                                **path_arguments)
        return self._run(self.flows.exchange(prepared))

    def paginate(self, key: str, *, query: Mapping[str, Any] | None = None, body: Any = None,
                 location_id: str | None = None, page_size: int | None = None, max_records: int | None = None,
                 api_version: str | None = None, **path_arguments: Any) -> Iterator[dict]:
        """Every record of a collection operation, each once, across all pages."""
        prepared = self.prepare(key, query=query, body=body, location_id=location_id, api_version=api_version,
                                paging=True, **path_arguments)
        flow = self.flows.paginate(prepared, page_size=page_size, max_records=max_records)
        return self._iterate(flow)

    def _run(self, flow: Generator) -> Any:
        returned: list[Any] = []
        for _ in self._iterate(flow, returned):
            pass
        return returned[0]

    def _iterate(self, flow: Generator, returned: list[Any] | None = None) -> Iterator[dict]:
        stepper = _Stepper(flow)
        try:
            while (action := stepper.next()) is not None:
                if isinstance(action, Emit):
                    yield from action.records
                else:
                    stepper.result = self._perform(action, stepper)
            if returned is not None:
                returned.append(stepper.value)
        finally:
            stepper.close()

    def _send(self, send: Send) -> Outcome:
        """One exchange within its budget. httpx's sync API has no overall timeout, so the deadline is
        checked between chunks: a drip ends within the budget plus one read timeout."""
        request, budget = send.request, send.budget
        request.extensions["timeout"] = budget.timeout.as_dict()
        started = time.monotonic()
        try:
            response = self.get_conn().send(request, stream=True)
            try:
                reader = BodyReader(budget, response, started)
                for chunk in response.iter_bytes():
                    reader.add(chunk)
            finally:
                response.close()
            return Outcome(response=reader.response_with_body(), finished_at=time.monotonic())
        except (httpx.TransportError, httpx.DecodingError, DeadlineExceeded, TooLarge) as error:
            return Outcome(error=error, finished_at=time.monotonic())

    def _store_step(self, action: Any) -> Any:
        """Perform one of ``STORE_ACTIONS`` (blocking: both drivers call this, the async one in a thread)."""
        if isinstance(action, LoadToken):
            return self.token_store.load(action.slot)
        if isinstance(action, SaveToken):
            self.token_store.save(action.slot, action.state)
        elif isinstance(action, CheckTokenStore):
            check_writable = getattr(self.token_store, "check_writable", None)
            if check_writable is not None:
                check_writable()
        elif isinstance(action, MaskSecrets):
            mask(*action.secrets)
        return None

    def _perform(self, action: Any, stepper: _Stepper) -> Any:
        if isinstance(action, Send):
            return self._send(action)
        if isinstance(action, Sleep):
            time.sleep(action.seconds)
        elif isinstance(action, STORE_ACTIONS):
            return self._store_step(action)
        elif isinstance(action, Lock):
            lock = _named_lock(action.name)
            if action.acquire:
                lock.acquire()
                stepper.hold(lock)
            else:
                stepper.release(lock)
        return None

    def close(self) -> None:
        if self._sync_client is not None:
            self._sync_client.close()
            self._sync_client = None

    def __enter__(self) -> GHLHook:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the UI's Test button ---------------------------------------------------------------------
    def test_connection(self) -> tuple[bool, str]:
        """Read the connection's location (or company) with its token; say what is wrong if it fails."""
        try:
            key, arguments = self._probe()
            self.call(key, **arguments)
        except GHLError as error:
            return False, str(error)
        except Exception as error:  # the UI shows the text; keep the type for diagnosis
            return False, f"{type(error).__name__}: {error}"
        finally:
            self.close()
        return True, f"Connected to HighLevel at {self.settings.base_url} ({key} answered)"

    def _probe(self) -> tuple[str, dict[str, Any]]:
        settings = self.settings
        if settings.location_id:
            return "find_location", {"location_id": settings.location_id}
        if settings.company_id:
            return "get_company", {"company_id": settings.company_id}
        return "list_locations", {"query": {"limit": 1}}


class GHLAsyncHook(GHLHook):
    """The async twin for triggers: ``acall`` / ``apaginate`` behave exactly like ``call`` / ``paginate``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._async_client: httpx.AsyncClient | None = None

    async def aflows(self) -> RequestFlows:
        """The connection's request flows, the connection read without blocking the event loop."""
        if self._flows is None:
            connection = await self.aget_connection(self.ghl_conn_id)
            # Reading it registers its secrets with the log masker, a supervisor message: off the loop too.
            from asgiref.sync import sync_to_async

            await sync_to_async(self._setup)(connection)
        return self._flows

    async def aprotocol(self) -> RequestFlows:
        """Deprecated name of :meth:`aflows`."""
        return await self.aflows()

    def get_async_conn(self) -> httpx.AsyncClient:
        """The hook's pooled async client (one per hook, apart from the sync one)."""
        if self._async_client is None:
            self._async_client = httpx.AsyncClient(transport=self.transport, limits=POOL_LIMITS,
                                                   follow_redirects=False, verify=_tls_context())
        return self._async_client

    async def aprepare(self, key: str, **kwargs: Any) -> Prepared:
        await self.aflows()
        return self.prepare(key, **kwargs)

    async def acall(self, key: str, *, query: Mapping[str, Any] | None = None, body: Any = None,
                    location_id: str | None = None, api_version: str | None = None, **path_arguments: Any) -> Any:
        prepared = await self.aprepare(key, query=query, body=body, location_id=location_id, api_version=api_version,
                                       **path_arguments)
        returned: list[Any] = []
        async for _ in self._aiterate(self._flows.exchange(prepared), returned):
            pass
        return returned[0]

    async def apaginate(self, key: str, *, query: Mapping[str, Any] | None = None, body: Any = None,
                        location_id: str | None = None, page_size: int | None = None,
                        max_records: int | None = None, api_version: str | None = None,
                        **path_arguments: Any) -> AsyncIterator[dict]:
        prepared = await self.aprepare(key, query=query, body=body, location_id=location_id, api_version=api_version,
                                       paging=True, **path_arguments)
        flow = self._flows.paginate(prepared, page_size=page_size, max_records=max_records)
        async for record in self._aiterate(flow):
            yield record

    async def _aiterate(self, flow: Generator, returned: list[Any] | None = None) -> AsyncIterator[dict]:
        stepper = _Stepper(flow)
        try:
            while (action := stepper.next()) is not None:
                if isinstance(action, Emit):
                    for record in action.records:
                        yield record
                else:
                    stepper.result = await self._aperform(action, stepper)
            if returned is not None:
                returned.append(stepper.value)
        finally:
            stepper.close()

    async def _asend(self, send: Send) -> Outcome:
        """One exchange within its budget: ``asyncio.timeout`` bounds all of it (connect to last byte)."""
        request, budget = send.request, send.budget
        request.extensions["timeout"] = budget.timeout.as_dict()
        started = time.monotonic()
        try:
            async with asyncio.timeout(budget.seconds):
                response = await self.get_async_conn().send(request, stream=True)
                try:
                    reader = BodyReader(budget, response, started)
                    async for chunk in response.aiter_bytes():
                        reader.add(chunk)
                finally:
                    await response.aclose()
            return Outcome(response=reader.response_with_body(), finished_at=time.monotonic())
        except TimeoutError:
            return Outcome(error=DeadlineExceeded(budget.seconds), finished_at=time.monotonic())
        except (httpx.TransportError, httpx.DecodingError, DeadlineExceeded, TooLarge) as error:
            return Outcome(error=error, finished_at=time.monotonic())

    async def _aperform(self, action: Any, stepper: _Stepper) -> Any:
        if isinstance(action, Send):
            return await self._asend(action)
        if isinstance(action, Sleep):
            await asyncio.sleep(action.seconds)
        elif isinstance(action, STORE_ACTIONS):
            # Variables and the log masker go through the SDK's sync comms (or the database): off the event loop.
            from asgiref.sync import sync_to_async

            return await sync_to_async(self._store_step)(action)
        elif isinstance(action, Lock):
            lock = _named_lock(action.name)
            if action.acquire:
                while not lock.acquire(blocking=False):
                    await asyncio.sleep(0.005)
                stepper.hold(lock)
            else:
                stepper.release(lock)
        return None

    async def aclose(self) -> None:
        if self._async_client is not None:
            await self._async_client.aclose()
            self._async_client = None

    async def __aenter__(self) -> GHLAsyncHook:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
