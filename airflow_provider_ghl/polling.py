"""What a polling sensor or trigger decides from what HighLevel returned: pure logic, no I/O.

The same decisions run in a sensor's ``poke`` (sync hook), in the deferrable trigger (async hook)
and in the asset-watcher event triggers, so they live here once. Three kinds of poll:

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
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

# Which fields say when a record was created and when it last changed, per collection operation.
# Where HighLevel's schema lacks them (or a record does not carry them) the poll falls back to a cursor.
TIMESTAMP_FIELDS: dict[str, tuple[str | None, str | None]] = {
    "search_contacts": ("dateAdded", "dateUpdated"),
    "list_contacts": ("dateAdded", "dateUpdated"),
    "get_contacts_by_business": ("dateAdded", "dateUpdated"),
    "get_contact_appointments": ("dateAdded", "dateUpdated"),
    "get_contact_tasks": ("dateAdded", "dateUpdated"),
    "get_contact_notes": ("dateAdded", "dateUpdated"),
    "list_calendar_events": ("dateAdded", "dateUpdated"),
    "list_blocked_slots": ("dateAdded", "dateUpdated"),
    "list_appointment_notes": ("dateAdded", "dateUpdated"),
    "search_opportunities": ("createdAt", "updatedAt"),
    "search_conversations": ("dateAdded", "dateUpdated"),
    "get_messages_by_conversation": ("dateAdded", "dateAdded"),
    "list_businesses_by_location": ("createdAt", "updatedAt"),
    "list_workflows": ("createdAt", "updatedAt"),
    "get_blog_posts": ("publishedAt", "updatedAt"),
    "get_blog_authors": (None, "updatedAt"),
    "get_blog_categories": (None, "updatedAt"),
}
WATCHES = ("new", "updated")
FIRST_RUN = ("deliver", "skip")


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
        created, updated = TIMESTAMP_FIELDS.get(self.operation, (None, None))
        self.field_name = updated if self.watch == "updated" else created

    @property
    def timestamped(self) -> bool:
        return self.field_name is not None

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
        ordered = sorted(records, key=self._order)
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
