"""A poll is one generator (``polling.poll_flow``) run by a sync driver (poke) and an async driver (triggers);
triggers close their hook however their run ends."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from airflow_provider_ghl import polling
from airflow_provider_ghl.exceptions import GHLNotFoundError, GHLServerError
from airflow_provider_ghl.polling import Call, LoadCursor, MemoryCursor, Read, SaveCursor, Verdict, adrive, drive, poll_flow

RECORD_SPEC = {"operation": "get_contact", "poll_kind": "record", "record_key": "contact", "condition": None,
               "arguments": {"contact_id": "c1", "query": None, "body": None, "location_id": None}}
CURSOR_SPEC = {"operation": "list_users_by_location", "poll_kind": "collection", "condition": None,
               "arguments": {"query": None, "body": None, "location_id": None},
               "collection": {"watch": "new", "interval": None, "first_run": "deliver", "min_records": 1,
                              "max_records": 10}}


# -- the flow alone: no hook, no I/O ---------------------------------------------------------------------
def test_a_record_poll_asks_for_one_call_and_reads_a_404_as_not_yet():
    flow = poll_flow(RECORD_SPEC)
    assert next(flow) == Call("get_contact", RECORD_SPEC["arguments"])
    with pytest.raises(StopIteration) as finished:
        flow.throw(GHLNotFoundError("Contact not found", status=404))
    assert finished.value.value == Verdict(False, message="the record does not exist yet (404)")


def test_other_errors_leave_the_flow():
    flow = poll_flow(RECORD_SPEC)
    next(flow)
    with pytest.raises(GHLServerError):
        flow.throw(GHLServerError("down", status=503))


def test_a_cursor_poll_loads_reads_then_saves_its_cursor():
    flow = poll_flow(CURSOR_SPEC)
    assert isinstance(next(flow), LoadCursor)
    read = flow.send({"seen": {"u1": polling.fingerprint({"id": "u1"})}})
    assert isinstance(read, Read) and read.operation == "list_users_by_location"
    save = flow.send([{"id": "u1"}, {"id": "u2"}])
    assert isinstance(save, SaveCursor) and set(save.cursor["seen"]) == {"u1", "u2"}
    with pytest.raises(StopIteration) as finished:
        flow.send(None)
    assert finished.value.value.done and finished.value.value.result == [{"id": "u2"}]


def test_an_interval_poll_reads_no_cursor():
    spec = {**CURSOR_SPEC, "collection": {**CURSOR_SPEC["collection"],
                                          "interval": ("2026-01-01T00:00:00+00:00", "2026-01-02T00:00:00+00:00")}}
    assert isinstance(next(poll_flow(spec)), Read)


# -- the two drivers perform the same flow the same way --------------------------------------------------
class FakeHook:
    """Answers ``call``/``paginate`` and their async twins from a script; counts what was read."""

    def __init__(self, records: list[dict], missing: bool = False) -> None:
        self.records, self.missing, self.read = records, missing, 0

    def _answer(self) -> Any:
        if self.missing:
            raise GHLNotFoundError("Contact not found", status=404)
        return {"contact": {"id": "c1"}}

    def call(self, key: str, **arguments: Any) -> Any:
        return self._answer()

    async def acall(self, key: str, **arguments: Any) -> Any:
        return self._answer()

    def paginate(self, key: str, **arguments: Any):
        for record in self.records:
            self.read += 1
            yield record

    async def apaginate(self, key: str, **arguments: Any):
        for record in self.records:
            self.read += 1
            yield record


@pytest.mark.parametrize("missing", [False, True])
async def test_both_drivers_give_the_same_verdict(missing):
    sync_store, async_store = MemoryCursor(), MemoryCursor()
    sync = drive(poll_flow(RECORD_SPEC), FakeHook([], missing), sync_store.get, sync_store.set)
    asynchronous = await adrive(poll_flow(RECORD_SPEC), FakeHook([], missing), async_store.aget, async_store.aset)
    assert sync == asynchronous and sync.done is not missing


async def test_both_drivers_keep_the_cursor_and_stop_reading_where_the_flow_says():
    records = [{"id": f"u{i}"} for i in range(5)]
    flow_stop = Read("x", {}, stop=lambda record: record["id"] == "u2")
    sync_hook, async_hook = FakeHook(records), FakeHook(records)

    def reading() -> Any:
        return (yield flow_stop)

    assert drive(reading(), sync_hook, None, None) == records[:2]  # type: ignore[arg-type]
    assert await adrive(reading(), async_hook, None, None) == records[:2]
    assert sync_hook.read == async_hook.read == 3, "the driver stops reading at the record the flow stops at"
    sync_store, async_store = MemoryCursor(), MemoryCursor()
    drive(poll_flow(CURSOR_SPEC), FakeHook(records), sync_store.get, sync_store.set)
    await adrive(poll_flow(CURSOR_SPEC), FakeHook(records), async_store.aget, async_store.aset)
    assert sync_store.cursor == async_store.cursor and len(sync_store.cursor["seen"]) == 5


# -- triggers close their hook (a triggerer lives for weeks: an open client keeps its sockets) -----------
@pytest.fixture
def clients(hostile, monkeypatch):
    """Every httpx client the triggers' hooks open, for checking that each is closed."""
    from airflow_provider_ghl.hooks.ghl import GHLAsyncHook, InMemoryTokenStore
    from airflow_provider_ghl.triggers import ghl as triggers

    opened: list[Any] = []

    class Recording(GHLAsyncHook):
        def get_async_conn(self):
            client = super().get_async_conn()
            if client not in opened:
                opened.append(client)
            return client

    monkeypatch.setattr(triggers, "_hook", lambda conn_id: Recording(conn_id, token_store=InMemoryTokenStore()))
    return opened


def poll_trigger(poll_interval: float = 0.05):
    from airflow_provider_ghl.triggers.ghl import GHLPollTrigger

    return GHLPollTrigger(spec=RECORD_SPEC, ghl_conn_id="ghl_hostile", poll_interval=poll_interval)


async def until_asked(hostile, path: str) -> None:
    for _ in range(200):
        if hostile.sent("GET", path):
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"nothing asked for {path}")


async def test_a_cancelled_poll_trigger_closes_its_client(hostile, clients):
    from tests.hostile import Reply

    hostile.route("GET", "/contacts/c1", Reply(404, {"message": "Contact not found"}))
    task = asyncio.ensure_future(anext(poll_trigger().run()))
    await until_asked(hostile, "/contacts/c1")
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert clients and all(client.is_closed for client in clients)


async def test_a_finished_poll_trigger_closes_its_client(hostile, clients):
    from tests.hostile import Reply

    hostile.route("GET", "/contacts/c1", Reply(200, {"contact": {"id": "c1"}}))
    events = [event async for event in poll_trigger().run()]
    assert [event.payload["status"] for event in events] == ["done"]
    assert clients and all(client.is_closed for client in clients)
    run = poll_trigger().run()  # the triggerer closes a trigger once it has its event, without resuming it
    await anext(run)
    await run.aclose()
    assert len(clients) == 2 and all(client.is_closed for client in clients)


async def test_a_cancelled_event_trigger_closes_its_client(hostile, clients):
    from airflow_provider_ghl.triggers.ghl import GHLContactTaskEventTrigger
    from tests.hostile import Reply

    hostile.route("GET", "/contacts/c1/tasks", Reply(200, {"tasks": []}))
    trigger = GHLContactTaskEventTrigger(ghl_conn_id="ghl_hostile", contact_id="c1", poll_interval=0.05)
    task = asyncio.ensure_future(anext(trigger.run()))
    await until_asked(hostile, "/contacts/c1/tasks")
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert clients and all(client.is_closed for client in clients)
