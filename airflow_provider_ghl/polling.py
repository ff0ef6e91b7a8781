"""What a polling sensor or trigger decides from what HighLevel returned: the one home of polling.

A poll is one generator (``poll_flow`` for sensors, ``collect`` inside it and in the asset-watcher event
triggers) that yields what it needs done (``Call``, ``Read``, ``LoadCursor``, ``SaveCursor``) and decides
from the answers, without I/O of its own. ``drive`` performs those actions with the sync hook (a sensor's
``poke``), ``adrive`` with the async hook (the triggers), as the hooks drive their protocol
(``hooks/actions.py``). Three kinds of poll:

- ``record``: one record (Get Contact, Get Appointment, ...). Done when it exists and the optional
  condition holds; the record is the result.
- ``collection``: a list or search. Done when records are new (or, with ``watch="updated"``, changed)
  since a watermark; exactly those records are the result. The watermark is the DAG run's data
  interval where records carry timestamps (reruns and backfills give the same answer), otherwise a
  cursor kept between runs (see ``Cursor``).
- ``condition``: a condition over the whole response (Get Free Slots: a slot is free in the window).
"""

from __future__ import annotations

import hashlib
import importlib
import json
from collections.abc import Awaitable, Callable, Generator
from contextlib import aclosing, closing
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import takewhile
from typing import Any

from airflow_provider_ghl.catalog import Incremental, get_operation

WATCHES = ("new", "updated")
MILLISECOND = timedelta(milliseconds=1)
# How each operation can be asked for only what changed since a time (cursor or data interval start) is its
# catalog ``incremental`` (see catalog.Incremental), so an idle poll costs one request however many records the
# location holds. Search Contacts' range filter returns only the records at or after the cursor, oldest first
# (exactly-once is kept by the cursor's ids at its timestamp, re-read by ``gte``). Everything else is listed
# whole on every poll: single-page lists (tasks, notes, calendars) and time windows cost one request anyway.
FIRST_RUN = ("deliver", "skip")


def callable_path(function: Callable | None) -> str | None:
    """``module.qualname`` when ``function`` can be imported by name (so a trigger can run it), else ``None``."""
    if function is None:
        return None
    module, qualname = getattr(function, "__module__", None), getattr(function, "__qualname__", "")
    if not module or "<" in qualname or module == "__main__":
        return None
    try:
        target: Any = importlib.import_module(module)
        for part in qualname.split("."):
            target = getattr(target, part)
    except (ImportError, AttributeError):
        return None
    return f"{module}.{qualname}" if target is function else None


def import_callable(path: str) -> Callable:
    module, _, name = path.partition(":") if ":" in path else path.rpartition(".")
    target: Any = importlib.import_module(module)
    for part in name.split("."):
        target = getattr(target, part)
    return target


def parse_timestamp(value: Any) -> datetime | None:
    """HighLevel timestamps: ISO 8601 strings or epoch milliseconds."""
    if value is None or value == "":
        return None
    if isinstance(value, int | float) or (isinstance(value, str) and value.isdigit()):
        return datetime.fromtimestamp(int(value) / 1000, tz=UTC)
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def record_id(record: dict) -> str:
    return str(record.get("id") or record.get("_id") or fingerprint(record))


def fingerprint(record: Any) -> str:
    return hashlib.sha1(json.dumps(record, sort_keys=True, default=str).encode()).hexdigest()[:16]


def epoch_ms(moment: datetime, *, ceil: bool = False) -> int:
    """Exact epoch milliseconds (floor, or ceiling for an exclusive upper bound); no float rounding."""
    span = moment - datetime(1970, 1, 1, tzinfo=UTC)
    return -(-span // MILLISECOND) if ceil else span // MILLISECOND


@dataclass
class Narrowed:
    """A poll's request, asking HighLevel only for what changed since the watermark where the API allows it."""

    arguments: dict[str, Any]
    older_than: datetime | None = None
    """Newest-first listings: stop reading at the first record older than this (the rest is older still)."""
    how: str = "whole listing"
    newest_only: bool = False
    """A first poll that only remembers what exists needs the newest timestamp and the ids at it: read newest
    first and stop below the first record's timestamp."""

    def stops_at(self, record: dict, field_name: str | None) -> bool:
        if field_name is None or (self.older_than is None and not self.newest_only):
            return False
        moment = parse_timestamp(record.get(field_name))
        if moment is not None and self.older_than is None:
            self.older_than = moment  # newest_only: the first record is the newest
            return False
        return moment is not None and self.older_than is not None and moment < self.older_than


@dataclass
class Verdict:
    done: bool
    result: Any = None
    cursor: dict | None = None
    """The cursor to keep after delivering ``result`` (cursor mode only)."""
    message: str = ""


@dataclass
class CollectionPoll:
    """Selects the records new (or changed) since a watermark."""

    operation: str
    watch: str = "new"
    interval: tuple[str, str] | None = None
    """The data interval ``(start, end)`` as ISO strings; ``None`` selects cursor mode."""
    cursor: dict | None = None
    first_run: str = "deliver"
    min_records: int = 1
    max_records: int = 1000
    field_name: str | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        timestamps = get_operation(self.operation).timestamps
        self.field_name = timestamps.field_for(self.watch) if timestamps else None

    @property
    def timestamped(self) -> bool:
        return self.field_name is not None

    def since(self) -> datetime | None:
        """The earliest timestamp this poll can deliver: the interval's start, or the time cursor's ``after``."""
        if self.field_name is None:
            return None
        if self.interval is not None:
            return parse_timestamp(self.interval[0])
        cursor = self.cursor or {}
        if "after" not in cursor or cursor.get("field", self.field_name) != self.field_name:
            return None  # no cursor yet (the first poll reads everything), or a seen-ids cursor
        return parse_timestamp(cursor["after"])

    def narrow(self, arguments: dict[str, Any], *, all_records_count: bool = True) -> Narrowed:
        """``arguments`` (for ``hook.paginate``) narrowed to what changed since the watermark (catalog ``incremental``).

        ``all_records_count``: every record read counts for the cursor (no condition drops some), so a first
        poll with ``first_run="skip"`` may read only the newest ones."""
        incremental = get_operation(self.operation).incremental
        since = self.since()
        if incremental is None or self.watch not in incremental.watches:
            return Narrowed(arguments)
        how = incremental.how
        if since is None:
            baseline = self.cursor is None and self.interval is None and self.first_run == "skip" and all_records_count
            return self._newest_only(arguments, incremental) if baseline else Narrowed(arguments)
        arguments = dict(arguments)
        field_name = self.field_name
        if how == "search_filter":
            body = dict(arguments.get("body") or {})
            if not isinstance(body.get("filters") or [], list):
                return Narrowed(arguments)  # not HighLevel's filter syntax: sent as given, HighLevel says what is wrong
            bounds: dict[str, int] = {"gte": epoch_ms(since)}  # gte: ties at the cursor are re-read, ids drop repeats
            if self.interval is not None:
                bounds["lt"] = epoch_ms(parse_timestamp(self.interval[1]), ceil=True)  # type: ignore[arg-type]
            body["filters"] = [*(body.get("filters") or []), {"field": field_name, "operator": "range", "value": bounds}]
            # Oldest first on the watched field: a record changed while paging moves behind the page being read,
            # so it is read (again) rather than skipped.
            body.setdefault("sort", [{"field": field_name, "direction": "asc"}])
            arguments["body"] = body
            return Narrowed(arguments, how=f"{field_name} >= {since.isoformat()} (search filter)")
        if how == "start_date":
            query = dict(arguments.get("query") or {})
            given = query.get("startDate")
            if given is None or (isinstance(given, int | str) and str(given).isdigit()):
                query["startDate"] = max(epoch_ms(since), int(given or 0))  # a later start of the caller's stays
            arguments["query"] = query
            return Narrowed(arguments, how=f"startDate {since.isoformat()}")
        if how == "newest_first":
            return Narrowed(self._newest_first(arguments, incremental), older_than=since,
                            how=f"newest first, down to {since.isoformat()}")
        return Narrowed(arguments)

    @staticmethod
    def _newest_first(arguments: dict[str, Any], incremental: Incremental) -> dict[str, Any]:
        if incremental.query:
            arguments = {**arguments, "query": {**(arguments.get("query") or {}), **incremental.query}}
        return arguments

    def _newest_only(self, arguments: dict[str, Any], incremental: Incremental) -> Narrowed:
        if incremental.how == "newest_first":
            return Narrowed(self._newest_first(arguments, incremental), newest_only=True, how="newest only")
        body = arguments.get("body") or {}
        if incremental.how != "search_filter" or "sort" in body:  # a caller's own sort: the newest may come anywhere
            return Narrowed(arguments)
        body = {**body, "sort": [{"field": self.field_name, "direction": "desc"}]}
        return Narrowed({**arguments, "body": body}, newest_only=True, how="newest only")

    def evaluate(self, records: list[dict], now: datetime) -> Verdict:
        stamped = self.timestamped and all(parse_timestamp(r.get(self.field_name)) for r in records)
        if self.interval is not None and stamped:
            return self._by_interval(records, now)
        if stamped:
            return self._by_time_cursor(records)
        return self._by_seen_cursor(records)

    # -- data interval: the same answer on every rerun and backfill ------------------------------
    def _by_interval(self, records: list[dict], now: datetime) -> Verdict:
        start, end = (parse_timestamp(t) for t in self.interval)  # type: ignore[union-attr]
        chosen = sorted(
            (r for r in records if start <= parse_timestamp(r[self.field_name]) < end), key=self._order
        )
        if now < end:
            return Verdict(False, message=f"the data interval ends at {end.isoformat()}; waiting for it to close")
        if len(chosen) > self.max_records:
            raise ValueError(
                f"{len(chosen)} records in the data interval exceed max_records={self.max_records}: raise "
                "max_records, or land them with GHLExportOperator instead of XCom"
            )
        if len(chosen) < self.min_records:
            return Verdict(False, message=f"{len(chosen)} {self.watch} records in the interval, waiting for {self.min_records}")
        return Verdict(True, chosen, message=f"{len(chosen)} {self.watch} records in the data interval")

    def _order(self, record: dict) -> tuple:
        return parse_timestamp(record[self.field_name]), record_id(record)

    # -- cursor: (timestamp, ids at that timestamp), so ties are neither repeated nor dropped -----
    def _by_time_cursor(self, records: list[dict]) -> Verdict:
        # A record changed while paging can be read twice (before and after the change): keep its latest state.
        latest: dict[str, dict] = {}
        for record in records:
            known = latest.get(key := record_id(record))
            if known is None or self._order(record) >= self._order(known):
                latest[key] = record
        ordered = sorted(latest.values(), key=self._order)
        if self.cursor is None:
            if self.first_run == "skip":
                return Verdict(False, cursor=self._time_cursor(ordered, None),
                               message="first run: remembering what exists, waiting for what comes after")
            fresh = ordered
        else:
            after = parse_timestamp(self.cursor.get("after"))
            seen = set(self.cursor.get("ids", []))
            fresh = [r for r in ordered
                     if (moment := parse_timestamp(r[self.field_name])) > after
                     or (moment == after and record_id(r) not in seen)]
        delivered = fresh[: self.max_records]
        if len(delivered) < self.min_records:
            return Verdict(False, message=f"{len(fresh)} {self.watch} records since the cursor")
        left = len(fresh) - len(delivered)
        more = f" ({left} more next run: max_records={self.max_records})" if left else ""
        return Verdict(True, delivered, self._time_cursor(delivered, self.cursor),
                       message=f"{len(delivered)} {self.watch} records since the cursor{more}")

    def _time_cursor(self, delivered: list[dict], previous: dict | None) -> dict:
        if not delivered:
            return previous or {"after": "1970-01-01T00:00:00+00:00", "ids": []}
        last = parse_timestamp(delivered[-1][self.field_name])
        ids = [record_id(r) for r in delivered if parse_timestamp(r[self.field_name]) == last]
        if previous and parse_timestamp(previous.get("after")) == last:
            ids = [*previous.get("ids", []), *ids]
        return {"after": last.isoformat(), "ids": sorted(set(ids)), "field": self.field_name}

    # -- no timestamps: remember what was delivered (ids, and fingerprints for changes) ----------
    def _by_seen_cursor(self, records: list[dict]) -> Verdict:
        current = {record_id(r): fingerprint(r) for r in records}
        if self.cursor is None and self.first_run == "skip":
            return Verdict(False, cursor={"seen": current}, message="first run: remembering what exists")
        seen = (self.cursor or {}).get("seen", {})
        if self.watch == "updated":
            fresh = [r for r in records if seen.get(record_id(r)) != current[record_id(r)]]
        else:
            fresh = [r for r in records if record_id(r) not in seen]
        delivered = fresh[: self.max_records]
        if len(delivered) < self.min_records:
            return Verdict(False, message=f"{len(fresh)} {self.watch} records since the last delivery")
        kept = dict(seen)
        kept.update({record_id(r): current[record_id(r)] for r in delivered})
        return Verdict(True, delivered, {"seen": kept}, message=f"{len(delivered)} {self.watch} records")


def record_verdict(response: Any, record_key: str | None) -> Verdict:
    """A single record: done when it exists (the caller applies any condition)."""
    record = response.get(record_key) if isinstance(response, dict) and record_key else response
    if record is None or record is False or record in ({}, [], "", b""):
        return Verdict(False, message="the record does not exist yet")
    if isinstance(record, bytes | bytearray):
        # A file (a call recording) fits neither XCom nor a trigger event (JSON): its size stands for it.
        record = {"content_bytes": len(record)}
    return Verdict(True, record, message="the record exists")


def free_slots(response: Any) -> dict[str, list]:
    """Get Free Slots' ``{"2026-12-01": {"slots": [...]}, ...}`` -> dates with at least one slot."""
    if not isinstance(response, dict):
        return {}
    return {day: value["slots"] for day, value in response.items()
            if isinstance(value, dict) and value.get("slots")}


# -- one poll, written once: a generator of actions that a sync and an async driver perform ------------------
# Like the hook's protocol (``hooks/actions.py``), a poll is a generator that yields what it needs done and
# receives the answers; ``drive`` performs them with ``GHLHook`` (a sensor's poke), ``adrive`` with
# ``GHLAsyncHook`` (the triggers). The decisions live only here.
@dataclass
class Call:
    """Run one operation (``hook.call``); answered with its JSON. A ``GHLError`` is thrown into the poll."""

    operation: str
    arguments: dict[str, Any]


@dataclass
class Read:
    """Page through a collection (``hook.paginate``); answered with the records before the first one ``stop``
    accepts (no further page is requested after it)."""

    operation: str
    arguments: dict[str, Any]
    stop: Callable[[dict], bool] | None = None


@dataclass
class LoadCursor:
    """Read the poll's cursor (a Variable, a trigger's memory, an asset's state); answered with it or ``None``."""


@dataclass
class SaveCursor:
    cursor: dict


def collect(poll: CollectionPoll, operation: str, arguments: dict[str, Any],
            condition: Callable[[dict], bool] | None = None) -> Generator[Any, Any, Verdict]:
    """A collection poll: the records changed since the watermark (only those where HighLevel can say, see
    ``CollectionPoll.narrow``, so an idle poll costs one request), judged by ``poll.evaluate``."""
    if poll.interval is None:  # the data interval needs no cursor
        poll.cursor = yield LoadCursor()
    narrowed = poll.narrow(arguments, all_records_count=condition is None)
    field_name = poll.field_name
    records = yield Read(operation, narrowed.arguments, stop=lambda record: narrowed.stops_at(record, field_name))
    if condition is not None:
        records = [record for record in records if condition(record)]
    return poll.evaluate(records, datetime.now(UTC))


def poll_flow(spec: dict[str, Any], condition: Callable[[Any], bool] | None = None) -> Generator[Any, Any, Verdict]:
    """One poll of a sensor's ``spec`` (``GHLSensor.poll_spec``): a collection, a record or a condition.

    A collection poll saves the cursor its verdict keeps (``SaveCursor``) before returning."""
    kind, key, arguments = spec["poll_kind"], spec["operation"], spec["arguments"]
    if kind == "collection":
        settings = {name: value for name, value in spec["collection"].items() if name != "cursor"}
        verdict = yield from collect(CollectionPoll(operation=key, **settings), key, arguments, condition)
        if verdict.cursor is not None:
            yield SaveCursor(verdict.cursor)
        return verdict
    from airflow_provider_ghl.exceptions import GHLNotFoundError  # the exceptions module imports Airflow

    try:
        response = yield Call(key, arguments)
    except GHLNotFoundError:
        return Verdict(False, message="the record does not exist yet (404)")
    if kind == "condition":
        slots = free_slots(response)
        holds = bool(slots) and (condition(slots) if condition else True)
        return Verdict(holds, slots, message=f"{sum(map(len, slots.values()))} free slots" if holds else "no free slot yet")
    verdict = record_verdict(response, spec.get("record_key"))
    if verdict.done and condition is not None and not condition(verdict.result):
        return Verdict(False, message="the record exists; its condition does not hold yet")
    return verdict


class _PollStepper:
    """Steps a poll and routes a failed action's error back into it; both drivers only perform the actions."""

    def __init__(self, flow: Generator) -> None:
        self.flow = flow
        self.answer: Any = None
        self.error: BaseException | None = None
        self.value: Any = None

    def next(self) -> Any:
        """The next action, or ``None`` when the poll has finished (its return value is then ``value``)."""
        try:
            action = self.flow.throw(self.error) if self.error is not None else self.flow.send(self.answer)
        except StopIteration as stop:
            self.value = stop.value
            return None
        self.answer, self.error = None, None
        return action


def drive(flow: Generator, hook: Any, load: Callable[[], dict | None], save: Callable[[dict], None]) -> Any:
    """Run a poll with the sync hook; ``load``/``save`` keep its cursor."""
    from airflow_provider_ghl.exceptions import GHLError

    stepper = _PollStepper(flow)
    while (action := stepper.next()) is not None:
        try:
            if isinstance(action, Call):
                stepper.answer = hook.call(action.operation, **action.arguments)
            elif isinstance(action, Read):
                with closing(hook.paginate(action.operation, **action.arguments)) as reading:
                    stepper.answer = list(takewhile(lambda record: not _stops(action, record), reading))
            elif isinstance(action, LoadCursor):
                stepper.answer = load()
            elif isinstance(action, SaveCursor):
                save(action.cursor)
        except GHLError as error:
            stepper.error = error
    return stepper.value


async def adrive(flow: Generator, hook: Any, load: Callable[[], Awaitable[dict | None]],
                 save: Callable[[dict], Awaitable[None]]) -> Any:
    """Run a poll with the async hook (``GHLAsyncHook``); ``load``/``save`` keep its cursor."""
    from airflow_provider_ghl.exceptions import GHLError

    stepper = _PollStepper(flow)
    while (action := stepper.next()) is not None:
        try:
            if isinstance(action, Call):
                stepper.answer = await hook.acall(action.operation, **action.arguments)
            elif isinstance(action, Read):
                records: list[dict] = []
                async with aclosing(hook.apaginate(action.operation, **action.arguments)) as reading:
                    async for record in reading:
                        if _stops(action, record):
                            break
                        records.append(record)
                stepper.answer = records
            elif isinstance(action, LoadCursor):
                stepper.answer = await load()
            elif isinstance(action, SaveCursor):
                await save(action.cursor)
        except GHLError as error:
            stepper.error = error
    return stepper.value


def _stops(action: Read, record: dict) -> bool:
    return action.stop is not None and action.stop(record)


class MemoryCursor:
    """A cursor kept in memory: a deferred sensor's trigger advances it between polls (the worker keeps the one
    the trigger's event carries)."""

    def __init__(self, cursor: dict | None = None) -> None:
        self.cursor = cursor

    def get(self) -> dict | None:
        return self.cursor

    def set(self, cursor: dict) -> None:
        self.cursor = cursor

    async def aget(self) -> dict | None:
        return self.cursor

    async def aset(self, cursor: dict) -> None:
        self.cursor = cursor
