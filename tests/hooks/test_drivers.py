"""What the hooks add around the flows: one policy built from their arguments and the connection, a client
per driver, and store steps kept off the event loop. In memory (no request is sent)."""

from __future__ import annotations

import asyncio
import json
import threading
from dataclasses import FrozenInstanceError

import httpx
import pytest

from airflow_provider_ghl.hooks import ghl
from airflow_provider_ghl.hooks.actions import Budget, CheckTokenStore, LoadToken, MaskSecrets
from airflow_provider_ghl.hooks.ghl import GHLAsyncHook, GHLHook, InMemoryTokenStore, _Stepper
from airflow_provider_ghl.hooks.policy import RequestPolicy


def test_the_hooks_policy_is_built_once_from_its_arguments_and_the_connection(monkeypatch):
    connection = {"conn_type": "ghl", "host": "https://highlevel.test", "password": "pit-policy-token",
                  "extra": {"timeout": 7, "location_id": "loc1"}}
    monkeypatch.setenv("AIRFLOW_CONN_GHL_POLICY", json.dumps(connection))
    hook = GHLHook("ghl_policy", token_store=InMemoryTokenStore(), max_retries=2, max_response_bytes=1000)
    hook.backoff_base = 0.01  # set before the first use: still part of the policy
    assert hook.policy == RequestPolicy(Budget(7.0, 1000), max_retries=2, backoff_base=0.01)
    assert hook.flows.tokens.policy is hook.policy and hook.protocol is hook.flows
    with pytest.raises(FrozenInstanceError):
        hook.policy.max_retries = 9  # type: ignore[misc]
    assert GHLHook("ghl_policy", timeout=3).policy.budget.seconds == 3.0  # the argument over the connection


def test_the_async_hook_has_its_own_client():
    hook = GHLAsyncHook("unused")
    sync_client, async_client = hook.get_conn(), hook.get_async_conn()
    assert isinstance(sync_client, httpx.Client) and isinstance(async_client, httpx.AsyncClient)
    hook.close()  # the sync client only
    assert sync_client.is_closed and not async_client.is_closed and hook.get_async_conn() is async_client
    asyncio.run(hook.aclose())
    assert async_client.is_closed and hook.get_conn() is not sync_client


def test_the_async_driver_performs_store_steps_off_the_event_loop(monkeypatch):
    threads: dict[str, int] = {}

    class Store(InMemoryTokenStore):
        def check_writable(self) -> None:
            threads["check"] = threading.get_ident()

        def load(self, slot):
            threads["load"] = threading.get_ident()
            return super().load(slot)

    monkeypatch.setattr(ghl, "mask", lambda *secrets: threads.setdefault("mask", threading.get_ident()))
    hook = GHLAsyncHook("unused", token_store=Store())

    async def perform() -> int:
        stepper = _Stepper(iter(()))
        for action in (CheckTokenStore(), LoadToken("oauth"), MaskSecrets(("a-secret-value",))):
            await hook._aperform(action, stepper)
        return threading.get_ident()

    loop_thread = asyncio.run(perform())
    assert set(threads) == {"check", "load", "mask"} and loop_thread not in threads.values()


def test_the_sync_driver_performs_every_store_step():
    done: list[str] = []

    class Store(InMemoryTokenStore):
        def check_writable(self) -> None:
            done.append("check")

    hook = GHLHook("unused", token_store=Store({"oauth": {"access_token": "x"}}))
    stepper = _Stepper(iter(()))
    assert hook._perform(LoadToken("oauth"), stepper) == {"access_token": "x"}
    hook._perform(CheckTokenStore(), stepper)
    assert done == ["check"]
    assert set(ghl.STORE_ACTIONS) == {LoadToken, CheckTokenStore, MaskSecrets, ghl.SaveToken}


def test_the_async_hook_reads_its_connection_off_the_event_loop(monkeypatch):
    """Reading the connection registers its secrets with the masker (a supervisor message in a trigger)."""
    connection = {"conn_type": "ghl", "host": "https://highlevel.test", "password": "pit-async-token"}
    monkeypatch.setenv("AIRFLOW_CONN_GHL_ASYNC_SETUP", json.dumps(connection))
    threads: list[int] = []
    setup = GHLAsyncHook._setup

    def recording(hook, connection):
        threads.append(threading.get_ident())
        return setup(hook, connection)

    monkeypatch.setattr(GHLAsyncHook, "_setup", recording)
    hook = GHLAsyncHook("ghl_async_setup")

    async def flows_and_loop_thread():
        return await hook.aflows(), threading.get_ident()

    flows, loop_thread = asyncio.run(flows_and_loop_thread())
    assert flows is hook.flows and threads and threads[0] != loop_thread
