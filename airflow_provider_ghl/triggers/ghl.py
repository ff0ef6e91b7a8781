"""Triggers: the deferrable sensors' poll loop, and event triggers for Airflow 3 asset watchers.

Both run the polls of ``airflow_provider_ghl.polling`` (the same generators as the sensors' ``poke``) with
its async driver and ``GHLAsyncHook`` (same auth, pacing and retries as the sync hook). They import hooks and
polling only, never the sensors. Each run closes its hook when it ends, fails or is cancelled: a triggerer lives
for weeks, and every unclosed ``httpx.AsyncClient`` would keep its sockets. They serialize only the connection
id and plain JSON arguments, and yield small JSON events.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import AsyncIterator, Generator
from typing import TYPE_CHECKING, Any, ClassVar

from airflow.triggers.base import BaseEventTrigger, BaseTrigger, TriggerEvent

from airflow_provider_ghl.exceptions import GHLDailyLimitError, GHLInputError
from airflow_provider_ghl.polling import CollectionPoll, MemoryCursor, adrive, collect, import_callable, poll_flow, record_id

if TYPE_CHECKING:
    from airflow_provider_ghl.hooks.ghl import GHLAsyncHook

DAILY_LIMIT_PAUSE_S = 900.0
"""How long a trigger waits before polling again once the daily budget is spent (HighLevel gives no reset time)."""


def _classpath(trigger: BaseTrigger) -> str:
    return f"{type(trigger).__module__}.{type(trigger).__qualname__}"


def _hook(ghl_conn_id: str) -> GHLAsyncHook:
    from airflow_provider_ghl.hooks.ghl import GHLAsyncHook  # the hook (httpx) loads in the triggerer only

    return GHLAsyncHook(ghl_conn_id=ghl_conn_id)


async def _wait_out_daily_limit(trigger: BaseTrigger, error: GHLDailyLimitError, poll_interval: float) -> None:
    trigger.log.warning("daily request budget spent; polling again later: %s", error)
    await asyncio.sleep(max(poll_interval, error.retry_after_s or DAILY_LIMIT_PAUSE_S))


class GHLPollTrigger(BaseTrigger):
    """Runs a deferred sensor's poll until it is done, then yields one event and ends.

    ``start_delay`` (seconds) holds the first poll back: a sensor that re-defers after its worker found the
    data not good enough yet (a condition the triggerer cannot import) waits its ``poke_interval`` before
    asking HighLevel again, instead of cycling through a worker slot every few seconds.
    """

    def __init__(self, *, spec: dict[str, Any], ghl_conn_id: str = "ghl_default", poll_interval: float = 300.0,
                 start_delay: float = 0.0) -> None:
        super().__init__()
        self.spec = spec
        self.ghl_conn_id = ghl_conn_id
        self.poll_interval = poll_interval
        self.start_delay = start_delay

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return _classpath(self), {"spec": self.spec, "ghl_conn_id": self.ghl_conn_id,
                                  "poll_interval": self.poll_interval, "start_delay": self.start_delay}

    async def run(self) -> AsyncIterator[TriggerEvent]:
        spec = self.spec
        cursor = MemoryCursor((spec.get("collection") or {}).get("cursor"))  # advances in memory between polls
        if self.start_delay > 0:
            await asyncio.sleep(self.start_delay)
        async with _hook(self.ghl_conn_id) as hook:
            while True:
                try:
                    condition = import_callable(spec["condition"]) if spec.get("condition") else None
                    verdict = await adrive(poll_flow(spec, condition), hook, cursor.aget, cursor.aset)
                except GHLDailyLimitError as error:
                    await _wait_out_daily_limit(self, error, self.poll_interval)
                    continue
                except GHLInputError as error:
                    yield TriggerEvent({"status": "input", "message": str(error)})
                    return
                except Exception as error:  # the worker turns this into a task failure
                    yield TriggerEvent({"status": "error", "message": f"{type(error).__name__}: {error}"})
                    return
                if verdict.done:
                    yield TriggerEvent({"status": "done", "result": verdict.result, "cursor": verdict.cursor,
                                        "message": verdict.message})
                    return
                self.log.info("%s: %s", spec["operation"], verdict.message)
                await asyncio.sleep(self.poll_interval)


class GHLEventTrigger(BaseEventTrigger):
    """Emits one asset event per batch of new (or updated) records of a HighLevel collection.

    For ``Asset(..., watchers=[AssetWatcher(name=..., trigger=GHLContactEventTrigger(...))])``. The
    cursor (last timestamp and the ids delivered at it) is kept in the asset's state store (Airflow
    3.3), so a triggerer restart neither loses nor repeats changes, and a batch is emitted only once:
    nothing re-fires forever. A first start remembers what exists (``first_run="skip"``) unless told
    to deliver it. Once it has a cursor, a poll asks HighLevel only for what changed since then where the API
    can filter or sort by it (contacts; new opportunities, conversations and messages: see
    the catalog's ``incremental``), so an idle poll is one request. Each event's payload
    is small JSON: the operation, the ids, their timestamps and an ``event_key`` that consumers may use
    to drop a repeated delivery.
    """

    operation: ClassVar[str]
    watch_default: ClassVar[str] = "updated"
    CURSOR_KEY: ClassVar[str] = "ghl_cursor"

    def __init__(
        self, *, ghl_conn_id: str = "ghl_default", watch: str | None = None, poll_interval: float = 60.0,
        first_run: str = "skip", max_records: int = 100, location_id: str | None = None,
        query: dict | None = None, body: dict | None = None, **path_arguments: Any,
    ) -> None:
        super().__init__()
        self.ghl_conn_id = ghl_conn_id
        self.watch = watch or self.watch_default
        self.poll_interval = poll_interval
        self.first_run = first_run
        self.max_records = max_records
        self.location_id = location_id
        self.query = query
        self.body = body
        self.path_arguments = path_arguments
        self._memory_cursor: dict | None = None

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return _classpath(self), {
            "ghl_conn_id": self.ghl_conn_id, "watch": self.watch, "poll_interval": self.poll_interval,
            "first_run": self.first_run, "max_records": self.max_records, "location_id": self.location_id,
            "query": self.query, "body": self.body, **self.path_arguments,
        }

    async def load_cursor(self) -> dict | None:
        store = getattr(self, "asset_state_store", None)
        if store is None:
            return self._memory_cursor
        return await store.aget(self.CURSOR_KEY, default=None)

    async def save_cursor(self, cursor: dict) -> None:
        store = getattr(self, "asset_state_store", None)
        if store is None:
            self._memory_cursor = cursor
        else:
            await store.aset(self.CURSOR_KEY, cursor)

    async def poll_once(self, hook: Any) -> tuple[dict | None, dict | None]:
        """One poll: (event payload or ``None``, cursor to keep or ``None``). The cursor is read here and saved
        by ``run`` only after the event is out (a restart in between delivers the batch again, same key)."""
        return await adrive(self.poll_flow(), hook, self.load_cursor, self.save_cursor)

    def poll_flow(self) -> Generator[Any, Any, tuple[dict | None, dict | None]]:
        """``poll_once`` without I/O (see ``polling.adrive``)."""
        arguments = {**self.path_arguments, "query": self.query, "body": self.body, "location_id": self.location_id}
        poll = CollectionPoll(operation=self.operation, watch=self.watch, first_run=self.first_run,
                              max_records=self.max_records)
        # Only what changed since the cursor, where HighLevel can filter or sort by it (the catalog's ``incremental``).
        verdict = yield from collect(poll, self.operation, arguments)
        if not verdict.done:
            return None, verdict.cursor
        field = poll.field_name
        changes = [{"id": record_id(r), field or "at": r.get(field) if field else None} for r in verdict.result]
        key = hashlib.sha1(json.dumps(verdict.cursor, sort_keys=True).encode()).hexdigest()[:16]
        payload = {"operation": self.operation, "watch": self.watch, "count": len(changes),
                   "ids": [c["id"] for c in changes], "changes": changes, "event_key": key}
        return payload, verdict.cursor

    async def run(self) -> AsyncIterator[TriggerEvent]:
        async with _hook(self.ghl_conn_id) as hook:
            while True:
                try:
                    payload, cursor = await self.poll_once(hook)
                except GHLDailyLimitError as error:
                    await _wait_out_daily_limit(self, error, self.poll_interval)
                    continue
                if payload is not None:
                    yield TriggerEvent(payload)
                if cursor is not None:
                    await self.save_cursor(cursor)
                await asyncio.sleep(self.poll_interval)


class GHLContactEventTrigger(GHLEventTrigger):
    """New or updated contacts of the location (Search Contacts)."""

    operation = "search_contacts"


class GHLOpportunityEventTrigger(GHLEventTrigger):
    """New or updated opportunities (Search Opportunities)."""

    operation = "search_opportunities"


class GHLAppointmentEventTrigger(GHLEventTrigger):
    """New or updated appointments of a calendar, user or group (``query={"calendarId": ...}``)."""

    operation = "list_calendar_events"


class GHLConversationEventTrigger(GHLEventTrigger):
    """Conversations with new messages (Search Conversations, ``watch="updated"``) or new conversations."""

    operation = "search_conversations"


class GHLMessageEventTrigger(GHLEventTrigger):
    """New messages of one conversation (``conversation_id=...``)."""

    operation = "get_messages_by_conversation"
    watch_default: ClassVar[str] = "new"


class GHLContactTaskEventTrigger(GHLEventTrigger):
    """New or updated tasks of one contact (``contact_id=...``)."""

    operation = "get_contact_tasks"


class GHLContactNoteEventTrigger(GHLEventTrigger):
    """New or updated notes of one contact (``contact_id=...``)."""

    operation = "get_contact_notes"


__all__ = [
    "GHLAppointmentEventTrigger", "GHLContactEventTrigger", "GHLContactNoteEventTrigger", "GHLContactTaskEventTrigger",
    "GHLConversationEventTrigger", "GHLEventTrigger", "GHLMessageEventTrigger", "GHLOpportunityEventTrigger",
    "GHLPollTrigger",
]
