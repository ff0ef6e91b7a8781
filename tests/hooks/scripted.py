"""A scripted driver: runs the hook's request flows in memory, without HTTP, a store or a real clock.

The flows (``hooks/protocol.py``, ``hooks/auth.py``) yield the I/O steps of ``hooks/actions.py``; the hooks
perform them over the network. This driver answers them from a script instead and records every action,
so a test states what HighLevel answers, what the token store holds and what time it is, and then checks
exactly what the flow asked for, in order::

    run = Scripted(replies=[reply(500), reply(200, {"contact": {"id": "c1"}})])
    assert run.call("get_contact", contact_id="c1") == {"contact": {"id": "c1"}}
    assert run.sent() == ["GET /contacts/c1", "GET /contacts/c1"] and run.slept() == [pytest.approx(0.25, abs=.13)]

Time only moves when a flow sleeps (or by ``latency`` per exchange), so waits of minutes take microseconds.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Generator, Iterable
from dataclasses import dataclass, field
from typing import Any

import httpx

from airflow_provider_ghl.hooks.actions import (
    Budget,
    CheckTokenStore,
    Emit,
    LoadToken,
    Lock,
    MaskSecrets,
    Outcome,
    SaveToken,
    Send,
    Sleep,
)
from airflow_provider_ghl.hooks.auth import Settings, TokenManager
from airflow_provider_ghl.hooks.policy import RequestPolicy
from airflow_provider_ghl.hooks.protocol import RequestFlows

BASE_URL = "https://highlevel.test"
LOCATION_ID, COMPANY_ID = "loc1", "comp1"
EPOCH = 1_800_000_000.0
"""Wall-clock start (token expiry is epoch seconds); the monotonic clock starts at 0."""

Reply = httpx.Response | Exception | Callable[[httpx.Request], "httpx.Response | Exception"]


def reply(status: int = 200, body: Any = None, *, headers: dict[str, str] | None = None,
          content: bytes | None = None) -> httpx.Response:
    """One scripted HighLevel answer (JSON unless ``content`` is given)."""
    if content is not None:
        return httpx.Response(status, content=content, headers=headers)
    return httpx.Response(status, json={} if body is None else body, headers=headers)


def settings(auth_type: str = "private_integration", **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "conn_id": "ghl_scripted", "base_url": BASE_URL, "auth_type": auth_type, "location_id": LOCATION_ID,
        "token": "pit-scripted-token" if auth_type == "private_integration" else None,
    }
    if auth_type != "private_integration":
        values.update(client_id="client", client_secret="client-secret", refresh_token="refresh-0")
    if auth_type == "agency":
        values["company_id"] = COMPANY_ID
    return Settings(**{**values, **overrides})


def token_state(access: str, refresh: str, *, expires_at: float, expires_in: float = 86_399.0) -> dict:
    """A token store entry as the token manager writes it."""
    return {"access_token": access, "refresh_token": refresh, "expires_in": expires_in, "expires_at": expires_at,
            "refreshed_at": expires_at - expires_in}


def token_answer(access: str, refresh: str | None = None, expires_in: float = 86_399) -> httpx.Response:
    body: dict[str, Any] = {"access_token": access, "expires_in": expires_in, "token_type": "Bearer"}
    if refresh:
        body["refresh_token"] = refresh
    return reply(200, body)


@dataclass
class Clock:
    """Monotonic and wall time that move only when told (or when a flow sleeps)."""

    monotonic_now: float = 0.0
    wall_start: float = EPOCH

    def monotonic(self) -> float:
        return self.monotonic_now

    def wall(self) -> float:
        return self.wall_start + self.monotonic_now

    def advance(self, seconds: float) -> None:
        self.monotonic_now += seconds


@dataclass
class Scripted:
    """One connection's flows, driven from a script; ``actions`` records every step any flow yielded."""

    replies: list[Reply] = field(default_factory=list)
    auth_type: str = "private_integration"
    store: dict[str, dict] = field(default_factory=dict)
    """The token store's slots; ``LoadToken``/``SaveToken`` read and write copies."""
    store_error: Exception | None = None
    """Raised by ``CheckTokenStore`` (a store that cannot save here)."""
    policy: RequestPolicy = field(default_factory=lambda: RequestPolicy(Budget(30.0), backoff_base=0.5))
    latency: float = 0.0
    """Seconds each exchange takes on the scripted clock."""
    settings_overrides: dict[str, Any] = field(default_factory=dict)
    clock: Clock = field(default_factory=Clock)
    actions: list[Any] = field(default_factory=list)
    masked: set[str] = field(default_factory=set)
    locks: dict[str, object] = field(default_factory=dict)
    """Lock name -> the flow holding it."""
    on_save: Callable[[str, dict], None] | None = None

    def __post_init__(self) -> None:
        self.settings = settings(self.auth_type, **self.settings_overrides)
        self.tokens = TokenManager(self.settings, policy=self.policy, clock=self.clock.wall,
                                   monotonic=self.clock.monotonic, rng=random.Random(1))
        self.flows = RequestFlows(self.settings, self.tokens, self.policy, log=_log(), clock=self.clock.monotonic,
                                  rng=random.Random(1))

    def sibling(self, **changes: Any) -> Scripted:
        """Another process or hook on the same connection: its own flows and cache, this store, clock, replies,
        locks and record of actions."""
        return Scripted(replies=self.replies, auth_type=self.auth_type, store=self.store, policy=self.policy,
                        latency=self.latency, settings_overrides=self.settings_overrides, clock=self.clock,
                        actions=self.actions, masked=self.masked, locks=self.locks, **changes)

    # -- running -----------------------------------------------------------------------------------
    def call(self, key: str, *, query: dict | None = None, body: Any = None, location_id: str | None = None,
             **arguments: Any) -> Any:
        prepared = self.flows.prepare(key, query=query, body=body, location_id=location_id, arguments=arguments)
        return self.run(self.flows.exchange(prepared))

    def paginate(self, key: str, *, page_size: int | None = None, max_records: int | None = None,
                 **kwargs: Any) -> list[dict]:
        prepared = self.flows.prepare(key, paging=True, **kwargs)  # as the hooks' paginate prepares it
        emitted: list[dict] = []
        self.run(self.flows.paginate(prepared, page_size=page_size, max_records=max_records), emitted)
        return emitted

    def run(self, flow: Generator, emitted: list | None = None) -> Any:
        """Drive ``flow`` alone to its end: its return value (or its exception)."""
        return run_together([(self, flow)], emitted)[0]

    def perform(self, action: Any, owner: object) -> tuple[bool, Any]:
        """``(done, result)``: ``done`` is false while the action must wait (a lock held by another flow)."""
        if isinstance(action, Lock):
            holder = self.locks.get(action.name)
            if action.acquire:
                if holder is not None:
                    assert holder is not owner, f"{action.name} taken twice by one flow"
                    return False, None
                self.locks[action.name] = owner
            else:
                assert holder is owner, f"{action.name} released by a flow that does not hold it"
                del self.locks[action.name]
            self.actions.append(action)  # recorded when it takes effect, not while it waits
            return True, None
        self.actions.append(action)
        if isinstance(action, Send):
            return True, self._exchange(action)
        if isinstance(action, Sleep):
            self.clock.advance(action.seconds)
        elif isinstance(action, LoadToken):
            state = self.store.get(action.slot)
            return True, dict(state) if state else None
        elif isinstance(action, SaveToken):
            self.store[action.slot] = dict(action.state)
            if self.on_save:
                self.on_save(action.slot, action.state)
        elif isinstance(action, CheckTokenStore):
            if self.store_error is not None:
                raise self.store_error
        elif isinstance(action, MaskSecrets):
            self.masked.update(secret for secret in action.secrets if secret)
        else:
            raise AssertionError(f"unexpected action {action!r}")
        return True, None

    def _exchange(self, send: Send) -> Outcome:
        assert self.replies, f"no scripted reply left for {send.request.method} {send.request.url}"
        scripted = self.replies.pop(0)
        if callable(scripted) and not isinstance(scripted, httpx.Response):
            scripted = scripted(send.request)
        self.clock.advance(self.latency)
        if isinstance(scripted, Exception):
            return Outcome(error=scripted, finished_at=self.clock.monotonic())
        response = httpx.Response(scripted.status_code, headers=scripted.headers, content=scripted.content,
                                  request=send.request)
        return Outcome(response=response, finished_at=self.clock.monotonic())

    # -- what happened --------------------------------------------------------------------------
    def kinds(self) -> list[str]:
        """Every recorded action's kind, in order (``Send``, ``Sleep``, ``LoadToken``...)."""
        return [type(action).__name__ for action in self.actions]

    def requests(self) -> list[httpx.Request]:
        return [action.request for action in self.actions if isinstance(action, Send)]

    def sent(self) -> list[str]:
        """``"METHOD /path"`` of every request sent, in order."""
        return [f"{request.method} {request.url.path}" for request in self.requests()]

    def slept(self) -> list[float]:
        return [action.seconds for action in self.actions if isinstance(action, Sleep)]

    def saved(self) -> list[tuple[str, dict]]:
        return [(action.slot, action.state) for action in self.actions if isinstance(action, SaveToken)]


def run_together(runs: Iterable[tuple[Scripted, Generator]], emitted: list | None = None) -> list[Any]:
    """Drive several flows one action at a time, round robin (a flow waiting for a lock lets the others
    go): their return values, in order. The first exception of any flow is raised."""
    states = [[scripted, flow, None, False, None] for scripted, flow in runs]  # scripted, flow, to_send, done, value
    pending: dict[int, Any] = {}
    while not all(state[3] for state in states):
        progressed = False
        for index, state in enumerate(states):
            scripted, flow, to_send, done, _ = state
            if done:
                continue
            if index not in pending:
                try:
                    action = flow.send(to_send)
                except StopIteration as stop:
                    state[3], state[4] = True, stop.value
                    progressed = True
                    continue
                if isinstance(action, Emit):
                    if emitted is not None:
                        emitted.extend(action.records)
                    state[2] = None
                    progressed = True
                    continue
                pending[index] = action
            ready, result = scripted.perform(pending[index], flow)
            if ready:
                del pending[index]
                state[2] = result
                progressed = True
        assert progressed, "every flow waits for a lock: deadlock"
    return [state[4] for state in states]


def _log():
    import logging

    return logging.getLogger("tests.scripted")
