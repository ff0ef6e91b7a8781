"""Asset-watcher event triggers against the sandbox: nothing on a skipped first poll, one event per change,
and a restarted trigger (a new instance over the same asset state store) repeats nothing."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import pytest

from airflow_provider_ghl.triggers.ghl import GHLConversationEventTrigger, GHLEventTrigger, GHLOpportunityEventTrigger


class FakeAssetStateStore:
    """Stands in for Airflow 3.3's asset state store: JSON values by key, kept across trigger instances."""

    def __init__(self) -> None:
        self.data: dict[str, str] = {}

    async def aget(self, key: str, default: Any = None) -> Any:
        return json.loads(self.data[key]) if key in self.data else default

    async def aset(self, key: str, value: Any) -> None:
        self.data[key] = json.dumps(value)

    def cursor(self) -> dict | None:
        raw = self.data.get(GHLEventTrigger.CURSOR_KEY)
        return json.loads(raw) if raw else None


@pytest.fixture(autouse=True)
def _connections(ghl_connections):
    """``ghl_default`` points at the session sandbox."""


@pytest.fixture
def call(call_operation) -> Callable[..., Any]:
    return call_operation


def watching(trigger_class: type[GHLEventTrigger], store: FakeAssetStateStore) -> GHLEventTrigger:
    trigger = trigger_class(poll_interval=0.05, first_run="skip")
    classpath, kwargs = trigger.serialize()
    assert trigger_class(**kwargs).serialize() == (classpath, kwargs)
    trigger.asset_state_store = store
    return trigger


async def until(check: Callable[[], Any], timeout: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def stays_quiet(trigger: GHLEventTrigger, seconds: float = 0.4) -> None:
    """The trigger polls for ``seconds`` without yielding an event."""
    waiting = asyncio.create_task(anext(trigger.run()))
    await asyncio.sleep(seconds)
    done = waiting.done()
    waiting.cancel()
    assert not done, f"unexpected event: {waiting.result().payload if done else None}"


async def first_poll_remembers_and_yields_nothing(trigger: GHLEventTrigger, store: FakeAssetStateStore):
    events = trigger.run()
    waiting = asyncio.create_task(anext(events))
    await until(lambda: store.cursor() is not None)  # the skipped first poll kept its cursor ...
    assert not waiting.done()  # ... and yielded nothing
    return events, waiting


async def test_opportunity_event_trigger_fires_once_per_new_opportunity(fresh_sandbox, call):
    location = fresh_sandbox.location_id
    store = FakeAssetStateStore()
    events, waiting = await first_poll_remembers_and_yields_nothing(watching(GHLOpportunityEventTrigger, store), store)
    pipeline = call("list_pipelines", query={"locationId": location})["pipelines"][0]["id"]
    contact = call("create_contact", body={"locationId": location, "firstName": "Evt", "email": "evt@triggers.example"})
    created = await asyncio.to_thread(call, "create_opportunity", body={
        "pipelineId": pipeline, "locationId": location, "name": "Evented", "status": "open",
        "contactId": contact["contact"]["id"]})
    opportunity_id = created["opportunity"]["id"]
    event = (await asyncio.wait_for(waiting, 10)).payload
    assert (event["operation"], event["count"], event["ids"]) == ("search_opportunities", 1, [opportunity_id])
    assert event["changes"] == [{"id": opportunity_id, "updatedAt": created["opportunity"]["updatedAt"]}]

    # A triggerer restarted before the generator went on has no new cursor: the batch comes again, with the
    # same event_key, so a consumer can drop it.
    repeated = await asyncio.wait_for(anext(watching(GHLOpportunityEventTrigger, store).run()), 10)
    assert repeated.payload["event_key"] == event["event_key"]

    # The triggerer takes the event and resumes the generator, which keeps the cursor in the asset state store ...
    resumed = asyncio.create_task(anext(events))
    await until(lambda: opportunity_id in store.cursor()["ids"])
    resumed.cancel()
    # ... so a trigger restarted from that store repeats nothing.
    await stays_quiet(watching(GHLOpportunityEventTrigger, store))


async def test_conversation_event_trigger_fires_once_per_changed_conversation(sandbox):
    """The catalog has no operation that writes a conversation (messages arrive from channels), so the change
    is played on the stored cursor: the newest conversation is taken out of what the trigger had seen."""
    store = FakeAssetStateStore()
    events, waiting = await first_poll_remembers_and_yields_nothing(watching(GHLConversationEventTrigger, store), store)
    waiting.cancel()
    cursor = store.cursor()
    newest = cursor["ids"][-1]
    await store.aset(GHLEventTrigger.CURSOR_KEY, {**cursor, "ids": cursor["ids"][:-1]})

    restarted = watching(GHLConversationEventTrigger, store)
    events = restarted.run()
    event = (await asyncio.wait_for(anext(events), 10)).payload
    assert (event["operation"], event["watch"], event["ids"]) == ("search_conversations", "updated", [newest])
    resumed = asyncio.create_task(anext(events))
    await until(lambda: newest in store.cursor()["ids"])
    resumed.cancel()
    await stays_quiet(watching(GHLConversationEventTrigger, store))
