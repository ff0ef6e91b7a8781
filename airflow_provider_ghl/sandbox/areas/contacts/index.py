"""The contacts table, its child tables, and the index kept beside it: timelines and duplicate lookups.

Everything here is read by the other contacts modules; it imports none of them.
"""

from __future__ import annotations

import re
import weakref
from bisect import bisect_right, insort
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from airflow_provider_ghl.sandbox.routing import Call
from airflow_provider_ghl.sandbox.state import epoch_ms, parse_time

if TYPE_CHECKING:
    from airflow_provider_ghl.sandbox.state import SandboxState

CONTACTS, TASKS, NOTES = "contacts", "contact_tasks", "contact_notes"


def added_ms(record: dict) -> int:
    value = record.get("_addedMs")
    return value if value is not None else epoch_ms(parse_time(record["dateAdded"]))


def updated_ms(record: dict) -> int:
    value = record.get("_updatedMs")
    return value if value is not None else epoch_ms(parse_time(record.get("dateUpdated") or record["dateAdded"]))


def phone_key(phone: Any) -> str | None:
    """Digits of a phone number with the US country code, so ``(512) 555-0100`` matches ``+15125550100``."""
    digits = re.sub(r"\D", "", str(phone or ""))
    if len(digits) == 10:
        digits = "1" + digits
    return digits or None


def email_key(email: Any) -> str | None:
    return str(email).strip().lower() or None if email else None


@dataclass
class ContactIndex:
    """Sorted timelines and duplicate-rule lookups over one contacts table (O(log n) paging at 50k contacts).

    Rebuilt whenever the table is replaced (reset) or changed behind our back (its size differs).
    """

    table: dict[str, dict]
    timelines: dict[str | None, list[tuple[int, str]]] = field(default_factory=dict)
    """Per location: (dateAdded ms, id) ascending, the order of the list cursor and the default search sort."""
    emails: dict[str, set[str]] = field(default_factory=dict)
    phones: dict[str, set[str]] = field(default_factory=dict)
    size: int = 0
    orders: dict[tuple, list[dict]] = field(default_factory=dict)
    """Search orders already sorted, by (location, sort spec); dropped on every contact write."""

    def learn(self, record: dict) -> None:
        for lookup, key in ((self.emails, email_key(record.get("email"))), (self.phones, phone_key(record.get("phone")))):
            if key:
                lookup.setdefault(key, set()).add(record["id"])

    def forget(self, record: dict) -> None:
        for lookup, key in ((self.emails, email_key(record.get("email"))), (self.phones, phone_key(record.get("phone")))):
            if key and key in lookup:
                lookup[key].discard(record["id"])

    def add(self, record: dict) -> None:
        insort(self.timelines.setdefault(record.get("locationId"), []), (added_ms(record), record["id"]))
        self.learn(record)
        self.size += 1
        self.orders.clear()

    def remove(self, record: dict) -> None:
        timeline = self.timelines.get(record.get("locationId"), [])
        entry = (added_ms(record), record["id"])
        position = bisect_right(timeline, entry) - 1
        if position >= 0 and timeline[position] == entry:
            del timeline[position]
        self.forget(record)
        self.size -= 1
        self.orders.clear()

    def timeline(self, location_id: str | None) -> list[tuple[int, str]]:
        return self.timelines.get(location_id, [])

    def duplicate(self, location_id: str | None, email: Any, phone: Any, exclude: str | None = None) -> tuple[dict, str] | None:
        """The oldest contact of the location sharing the email (checked first) or the phone."""
        for name, lookup, key, of in (
            ("email", self.emails, email_key(email), lambda r: email_key(r.get("email"))),
            ("phone", self.phones, phone_key(phone), lambda r: phone_key(r.get("phone"))),
        ):
            if not key:
                continue
            found = [
                self.table[i] for i in lookup.get(key, ())
                if i != exclude and i in self.table and self.table[i].get("locationId") == location_id
                and of(self.table[i]) == key
            ]
            if found:
                return min(found, key=lambda r: (added_ms(r), r["id"])), name
        return None


_INDEXES: weakref.WeakKeyDictionary[SandboxState, ContactIndex] = weakref.WeakKeyDictionary()


def contact_index(state: SandboxState) -> ContactIndex:
    table = state.table(CONTACTS)
    index = _INDEXES.get(state)
    if index is None or index.table is not table or index.size != len(table):
        index = ContactIndex(table, size=len(table))
        for record in table.values():
            index.timelines.setdefault(record.get("locationId"), []).append((added_ms(record), record["id"]))
            index.learn(record)
        for timeline in index.timelines.values():
            timeline.sort()
        _INDEXES[state] = index
    return index


def path_contact(call: Call) -> dict:
    return call.record(CONTACTS, call.path["contactId"], "Contact")
