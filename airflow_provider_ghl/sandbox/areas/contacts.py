"""Sandbox handlers and seed data for HighLevel's contacts area.

Contacts with their tasks and notes, tags, followers, campaign and workflow enrolments, duplicate
rules, and the two ways to page through them: the deprecated ``GET /contacts/`` cursor
(``startAfter`` + ``startAfterId``) and ``POST /contacts/search`` (page or ``searchAfter``).
"""

from __future__ import annotations

import base64
import json
import random
import re
import uuid
import weakref
from bisect import bisect_right, insort
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import total_ordering
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from airflow_provider_ghl.sandbox.areas.locations import seeded_moments
from airflow_provider_ghl.sandbox.areas.users import user_ids_of_location
from airflow_provider_ghl.sandbox.bodies import field_problems
from airflow_provider_ghl.sandbox.errors import not_found, unprocessable
from airflow_provider_ghl.sandbox.params import finite_number
from airflow_provider_ghl.sandbox.records import public
from airflow_provider_ghl.sandbox.routing import Call, Reply, handles, offset_page
from airflow_provider_ghl.sandbox.state import epoch_ms, iso, parse_time

if TYPE_CHECKING:
    from airflow_provider_ghl.sandbox.state import SandboxState

CONTACTS, TASKS, NOTES = "contacts", "contact_tasks", "contact_notes"
LIST_DEFAULT_LIMIT = 20
BUSINESS_DEFAULT_LIMIT = 25  # the spec's default for GET /contacts/business/{businessId}
SEARCH_WINDOW = 10_000  # page * pageLimit beyond this needs searchAfter
SEARCH_TEXT_LIMIT = 75  # characters in a search query or a filter value
DND_CHANNELS = ("Call", "Email", "SMS", "WhatsApp", "GMB", "FB")
DND_STATUSES = ("active", "inactive", "permanent")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
# The birth-date formats HighLevel documents for dateOfBirth (year first or month first, any of - / . _).
BIRTH_DATE = re.compile(
    r"(?P<y1>\d{4})[-/._](?P<m1>\d{1,2})[-/._](?P<d1>\d{1,2})|(?P<m2>\d{1,2})[-/._](?P<d2>\d{1,2})[-/._](?P<y2>\d{4})"
)
# The spec types dateOfBirth as an object, but HighLevel takes (and returns) a date string.
TYPE_OVERRIDES = {"dateOfBirth": "string"}
# Body keys that steer a write but are not contact fields.
NOT_STORED = frozenset({"locationId", "createNewIfDuplicateAllowed"})

TASK_FIELDS = ("id", "title", "body", "assignedTo", "dueDate", "completed", "contactId", "locationId",
               "dateAdded", "dateUpdated")
NOTE_FIELDS = ("id", "body", "userId", "title", "color", "pinned", "contactId", "locationId", "dateAdded", "dateUpdated")

# -- seed vocabulary ---------------------------------------------------------------------------------
FIRST_NAMES = (
    "James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David", "Elizabeth", "William",
    "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah", "Carlos", "Karen", "Daniel", "Lisa",
    "Matthew", "Nancy", "Anthony", "Sandra", "Mark", "Ashley", "Priya", "Emily", "Wei", "Olivia", "Mateo", "Sofia",
)
LAST_NAMES = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez", "Lopez",
    "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin", "Lee", "Thompson", "White", "Harris",
    "Clark", "Lewis", "Walker", "Hall", "Young", "King", "Wright", "Scott", "Nguyen", "Patel", "Kim", "O'Brien",
)
MAIL_DOMAINS = ("gmail.com", "yahoo.com", "outlook.com", "icloud.com", "hotmail.com", "proton.me", "example.com")
COMPANY_NAMES = ("Bright Smiles LLC", "Peak Performance Gym", "Harbor Legal", "Oak & Iron", "Sunrise Bakery",
                 "Northstar Plumbing", "Blue Fern Studio", "Metro Movers", "Evergreen Landscaping")
CITIES = (
    ("Austin", "TX", "78701", "America/Chicago"), ("Dallas", "TX", "75201", "America/Chicago"),
    ("Denver", "CO", "80202", "America/Denver"), ("Phoenix", "AZ", "85004", "America/Phoenix"),
    ("Seattle", "WA", "98101", "America/Los_Angeles"), ("Miami", "FL", "33101", "America/New_York"),
    ("Chicago", "IL", "60601", "America/Chicago"), ("Boston", "MA", "02108", "America/New_York"),
)
STREETS = ("Main Street", "Oak Avenue", "Congress Ave", "Pine Road", "Lakeview Drive", "5th Street", "Elm Court")
AREA_CODES = ("512", "737", "214", "303", "602", "206", "305", "312", "617")
SOURCES = ("website form", "facebook lead ad", "google ads", "referral", "walk-in", "csv import", "public api",
           "chat widget", "calendar booking")
TAGS = ("new lead", "customer", "vip", "newsletter", "webinar 2026", "follow up", "hot lead", "cold lead",
        "referral", "invoice overdue", "review requested", "nurture")
MEDIUMS = ("form", "survey", "calendar", "chat_widget", "facebook", "manual")
UTM_SOURCES = ("google", "facebook", "newsletter", "instagram", None)
TEXT_VALUES = ("Prefers morning calls", "Met at the spring expo", "Asked for a quote", "Existing client since 2021",
               "Jordan Avery", "Casey Patel", "Wants a callback")
TASK_TITLES = ("Call back", "Send proposal", "Follow up on quote", "Schedule consultation", "Collect review",
               "Confirm appointment", "Send invoice reminder", "Check in after onboarding")
TASK_BODIES = ("Discuss pricing options.", "Ask about their timeline.", "Share the case study PDF.",
               "Confirm the address for the visit.", "")
NOTE_BODIES = ("Left a voicemail.", "Interested in the premium package.", "Asked us to call after 5pm.",
               "Signed up at the front desk.", "Complained about the wait time; offered a discount.",
               "Budget approved for Q3.", "Prefers SMS over email.")
CHILD_COUNTS = (0,) * 45 + (1,) * 30 + (2,) * 17 + (3,) * 8  # tasks (and notes) per contact, weighted
ID_SYMBOLS_TO_LETTERS = str.maketrans("-_", "xQ")


# -- record helpers ----------------------------------------------------------------------------------
def _listing(record: dict) -> dict:
    """A contact as list and search answers carry it: attribution as an ``attributions`` array."""
    out = public(record)
    first, last = out.pop("attributionSource", None), out.pop("lastAttributionSource", None)
    out["attributions"] = [a for a in (first, last) if a]
    return out


def _added_ms(record: dict) -> int:
    value = record.get("_addedMs")
    return value if value is not None else epoch_ms(parse_time(record["dateAdded"]))


def _updated_ms(record: dict) -> int:
    value = record.get("_updatedMs")
    return value if value is not None else epoch_ms(parse_time(record.get("dateUpdated") or record["dateAdded"]))


def _phone_key(phone: Any) -> str | None:
    """Digits of a phone number with the US country code, so ``(512) 555-0100`` matches ``+15125550100``."""
    digits = re.sub(r"\D", "", str(phone or ""))
    if len(digits) == 10:
        digits = "1" + digits
    return digits or None


def _email_key(email: Any) -> str | None:
    return str(email).strip().lower() or None if email else None


class _Draw:
    """Quick draws from the state's seeded Random: seeding 50k contacts makes millions of them."""

    def __init__(self, rng: random.Random) -> None:
        self.rng, self.random = rng, rng.random

    def pick(self, items: Sequence[Any]) -> Any:
        return items[int(self.random() * len(items))]

    def chance(self, probability: float) -> bool:
        return self.random() < probability

    def between(self, low: int, high: int) -> int:
        """An int in [low, high)."""
        return low + int(self.random() * (high - low))

    def some(self, items: Sequence[Any], most: int) -> list:
        """Up to ``most`` distinct items (often fewer)."""
        return list(dict.fromkeys(self.pick(items) for _ in range(self.between(0, most + 1))))

    def id(self) -> str:
        """20 characters of letters and digits, like ``state.new_id()``."""
        return base64.urlsafe_b64encode(self.rng.randbytes(15)).decode().translate(ID_SYMBOLS_TO_LETTERS)


def _trace_id() -> str:
    return str(uuid.uuid4())


# -- the index kept beside the contacts table ----------------------------------------------------------
@dataclass
class _Index:
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
        for lookup, key in ((self.emails, _email_key(record.get("email"))), (self.phones, _phone_key(record.get("phone")))):
            if key:
                lookup.setdefault(key, set()).add(record["id"])

    def forget(self, record: dict) -> None:
        for lookup, key in ((self.emails, _email_key(record.get("email"))), (self.phones, _phone_key(record.get("phone")))):
            if key and key in lookup:
                lookup[key].discard(record["id"])

    def add(self, record: dict) -> None:
        insort(self.timelines.setdefault(record.get("locationId"), []), (_added_ms(record), record["id"]))
        self.learn(record)
        self.size += 1
        self.orders.clear()

    def remove(self, record: dict) -> None:
        timeline = self.timelines.get(record.get("locationId"), [])
        entry = (_added_ms(record), record["id"])
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
            ("email", self.emails, _email_key(email), lambda r: _email_key(r.get("email"))),
            ("phone", self.phones, _phone_key(phone), lambda r: _phone_key(r.get("phone"))),
        ):
            if not key:
                continue
            found = [
                self.table[i] for i in lookup.get(key, ())
                if i != exclude and i in self.table and self.table[i].get("locationId") == location_id
                and of(self.table[i]) == key
            ]
            if found:
                return min(found, key=lambda r: (_added_ms(r), r["id"])), name
        return None


_INDEXES: weakref.WeakKeyDictionary[SandboxState, _Index] = weakref.WeakKeyDictionary()


def _index(state: SandboxState) -> _Index:
    table = state.table(CONTACTS)
    index = _INDEXES.get(state)
    if index is None or index.table is not table or index.size != len(table):
        index = _Index(table, size=len(table))
        for record in table.values():
            index.timelines.setdefault(record.get("locationId"), []).append((_added_ms(record), record["id"]))
            index.learn(record)
        for timeline in index.timelines.values():
            timeline.sort()
        _INDEXES[state] = index
    return index


# -- seed ----------------------------------------------------------------------------------------------
def seed(state: SandboxState) -> None:
    draw, main = _Draw(state.rng), state.location_id
    count = state.config.contacts
    siblings = [location_id for location_id in state.table("locations") if location_id != main]
    # A few contacts in sibling sub-accounts prove that every answer is filtered by location.
    elsewhere = max(1, count // 100) if siblings and count > 1 else 0
    moments = sorted(seeded_moments(state, count + elsewhere, per_moment=3))
    anchor_ms = epoch_ms(state.seed_anchor())
    # Bulk edits (imports, mass tag changes) stamp many contacts with one dateUpdated: ties for incremental polls.
    edits = sorted({epoch_ms(m) for m in seeded_moments(state, max(3, count // 40), per_moment=1)})
    stamps: dict[int, str] = {}

    def stamp(ms: int) -> str:
        text = stamps.get(ms)
        if text is None:
            text = stamps[ms] = iso(datetime.fromtimestamp(ms / 1000, tz=UTC))
        return text

    context = _SeedContext(
        draw=draw, anchor_ms=anchor_ms, edits=edits, stamp=stamp,
        users={loc: user_ids_of_location(state, loc) for loc in (main, *siblings)},
        businesses=[b for b in state.table("businesses").values() if b.get("locationId") == main],
        fields=_contact_fields(state, main),
        campaigns=[c["id"] for c in state.table("campaigns").values() if c.get("locationId") == main],
        workflows=[w["id"] for w in state.table("workflows").values() if w.get("locationId") == main],
    )
    other_positions = set(state.rng.sample(range(1, count + elsewhere), elsewhere)) if elsewhere else set()
    deferred: list[tuple[int, datetime, str]] = []
    main_number = 0
    for position, moment in enumerate(moments):
        if position in other_positions:
            deferred.append((count + len(deferred), moment, draw.pick(siblings)))
            continue
        _seed_contact(state, context, main_number, epoch_ms(moment), main)
        main_number += 1
    # Sibling locations' contacts go last, so the table's first records belong to the sandbox location.
    for number, moment, location_id in deferred:
        _seed_contact(state, context, number, epoch_ms(moment), location_id)
    _index(state)


@dataclass
class _SeedContext:
    draw: _Draw
    anchor_ms: int
    edits: list[int]
    stamp: Callable[[int], str]
    users: dict[str, list[str]]
    businesses: list[dict]
    fields: list[dict]
    campaigns: list[str]
    workflows: list[str]


def _later(ctx: _SeedContext, after_ms: int) -> int:
    """A dateUpdated: often the same instant, often a shared bulk-edit instant, else any later moment."""
    roll = ctx.draw.random()
    if roll < 0.4 or after_ms >= ctx.anchor_ms:
        return after_ms
    if roll < 0.7:
        first = bisect_right(ctx.edits, after_ms)
        if first < len(ctx.edits):
            return ctx.edits[ctx.draw.between(first, len(ctx.edits))]
    return after_ms + ctx.draw.between(1, ctx.anchor_ms - after_ms + 1)


def _seed_contact(state: SandboxState, ctx: _SeedContext, number: int, added_ms: int, location_id: str) -> None:
    draw = ctx.draw
    first, last = draw.pick(FIRST_NAMES), draw.pick(LAST_NAMES)
    city, region, postal, timezone = draw.pick(CITIES)
    updated_ms = _later(ctx, added_ms)
    users = ctx.users.get(location_id) or []
    contact_id = draw.id()
    record: dict[str, Any] = {
        "id": contact_id, "locationId": location_id, "firstName": first, "lastName": last,
        "type": "customer" if draw.chance(0.25) else "lead", "source": draw.pick(SOURCES),
        "city": city, "state": region, "postalCode": postal, "country": "US", "timezone": timezone,
        "tags": draw.some(TAGS, 4), "customFields": [], "followers": [],
        "dnd": False, "dateAdded": ctx.stamp(added_ms), "dateUpdated": ctx.stamp(updated_ms),
        "_addedMs": added_ms, "_updatedMs": updated_ms,
        "_tasks": [], "_notes": [], "_campaigns": [], "_workflows": {},
    }
    handle = f"{first}.{last}".lower().replace("'", "")
    if draw.chance(0.92):  # the number keeps emails and phones unique, so seeded contacts are no duplicates
        record["email"] = f"{handle}{number}@{draw.pick(MAIL_DOMAINS)}"
    if draw.chance(0.9):
        record["phone"] = f"+1{draw.pick(AREA_CODES)}{number:07d}"
    if draw.chance(0.7):
        record["address1"] = f"{draw.between(1, 9999)} {draw.pick(STREETS)}"
    if ctx.businesses and location_id == state.location_id and draw.chance(0.3):
        business = draw.pick(ctx.businesses)
        record["businessId"], record["companyName"] = business["id"], business["name"]
    elif draw.chance(0.2):
        record["companyName"] = draw.pick(COMPANY_NAMES)
    if users and draw.chance(0.7):
        record["assignedTo"] = draw.pick(users)
    if users and draw.chance(0.15):
        record["followers"] = draw.some(users, 2)
    if draw.chance(0.04):
        record["dnd"] = True
        record["dndSettings"] = {c: {"status": "active", "message": "Opted out", "code": "101"} for c in DND_CHANNELS}
    if draw.chance(0.25):
        record["dateOfBirth"] = f"{draw.between(1950, 2005)}-{draw.between(1, 13):02d}-{draw.between(1, 29):02d}T00:00:00.000Z"
    if draw.chance(0.5):
        record["attributionSource"] = {"url": f"https://www.northwind.example/{draw.pick(('offer', 'book', 'contact'))}",
                                       "medium": draw.pick(MEDIUMS), "utmSource": draw.pick(UTM_SOURCES)}
    if draw.chance(0.1):
        record["website"] = f"https://{handle.replace('.', '-')}{number}.example"
    if location_id == state.location_id:
        record["customFields"] = [
            {"id": f["id"], "value": _seed_field_value(draw, f, added_ms)} for f in ctx.fields if draw.chance(0.35)
        ]
        if ctx.campaigns and draw.chance(0.1):
            record["_campaigns"] = [draw.pick(ctx.campaigns)]
        if ctx.workflows and draw.chance(0.1):
            record["_workflows"] = {draw.pick(ctx.workflows): {"eventStartTime": ctx.stamp(added_ms)}}
    _derive(record)
    state.table(CONTACTS)[contact_id] = record
    for _ in range(draw.pick(CHILD_COUNTS)):
        created = added_ms if draw.chance(0.5) else _later(ctx, added_ms)
        due = created + draw.between(1, 21) * 86_400_000
        task = {
            "id": draw.id(), "title": draw.pick(TASK_TITLES), "body": draw.pick(TASK_BODIES),
            "dueDate": ctx.stamp(due - due % 3_600_000), "completed": due < ctx.anchor_ms and draw.chance(0.6),
            "contactId": contact_id, "locationId": location_id,
            "dateAdded": ctx.stamp(created), "dateUpdated": ctx.stamp(_later(ctx, created)),
        }
        if users:
            task["assignedTo"] = draw.pick(users)
        state.table(TASKS)[task["id"]] = task
        record["_tasks"].append(task["id"])
    for _ in range(draw.pick(CHILD_COUNTS)):
        created = added_ms if draw.chance(0.5) else _later(ctx, added_ms)
        note = {
            "id": draw.id(), "body": draw.pick(NOTE_BODIES), "contactId": contact_id, "locationId": location_id,
            "dateAdded": ctx.stamp(created), "dateUpdated": ctx.stamp(_later(ctx, created)),
        }
        if users:
            note["userId"] = draw.pick(users)
        state.table(NOTES)[note["id"]] = note
        record["_notes"].append(note["id"])


def _seed_field_value(draw: _Draw, custom_field: dict, added_ms: int) -> str:
    # The response schema types a custom field value as a string, so multi-option values hold one option here.
    options = custom_field.get("picklistOptions")
    if options:
        return draw.pick(options)
    data_type = custom_field.get("dataType")
    if data_type in ("NUMERICAL", "MONETORY"):
        return str(draw.between(1, 500) * 100)
    if data_type == "DATE":
        return datetime.fromtimestamp(added_ms / 1000 + draw.between(0, 365) * 86_400, tz=UTC).strftime("%Y-%m-%d")
    return draw.pick(TEXT_VALUES)


def _contact_fields(state: SandboxState, location_id: str | None) -> list[dict]:
    return [
        f for f in state.table("custom_fields").values()
        if f.get("locationId") == location_id and f.get("model", "contact") in ("contact", "all")
    ]


# -- validation ----------------------------------------------------------------------------------------
def _checked(call: Call, data: dict, *, nullable: bool = False) -> dict:
    """The body, after HighLevel's validation: no unknown property, the spec's JSON types, valid values.

    Raises 422 listing every problem, each naming its field (HighLevel's ``forbidNonWhitelisted`` style).
    """
    properties = call.op.body.properties if call.op.body else {}

    def check(name: str, where: str, value: Any) -> list[str]:
        value_check = VALUE_CHECKS.get(name)
        return value_check(call, name, value) if value_check else []

    problems = field_problems(data, {**properties, **TYPE_OVERRIDES}, unknown_forbidden=True, null_allowed=nullable,
                              check=check)
    if problems:
        raise unprocessable(*problems)
    return data


def _strings(call: Call, name: str, value: list) -> list[str]:
    return [] if all(isinstance(v, str) for v in value) else [f"each value in {name} must be a string"]


def _users(call: Call, name: str, value: Any) -> list[str]:
    if isinstance(value, list) and (problems := _strings(call, name, value)):
        return problems
    known = set(user_ids_of_location(call.state, call.location_id))
    unknown = [v for v in (value if isinstance(value, list) else [value]) if v not in known]
    return [f"{name} must be user ids of this location; unknown: {', '.join(unknown)}"] if unknown else []


def _email(call: Call, name: str, value: str) -> list[str]:
    return [] if not value or EMAIL.fullmatch(value.strip()) else [f"{name} must be an email"]


def _phone(call: Call, name: str, value: str) -> list[str]:
    digits = _phone_key(value) or ""
    return [] if not value or 7 <= len(digits) <= 15 else [f"{name} must be a valid phone number"]


def _timestamp(call: Call, name: str, value: str) -> list[str]:
    try:
        parse_time(value)
    except ValueError:
        return [f"{name} must be a valid ISO 8601 date string"]
    return []


def _birth_date(call: Call, name: str, value: str) -> list[str]:
    return [] if not value or _parse_birth_date(value) else [
        f"{name} must be a date as YYYY-MM-DD, MM/DD/YYYY, YYYY/MM/DD or MM-DD-YYYY (separators - / . _)"
    ]


def _parse_birth_date(value: str) -> str | None:
    match = BIRTH_DATE.fullmatch(value.strip())
    if not match:
        return None
    parts = match.groupdict()
    year, month, day = (int(parts["y1"] or parts["y2"]), int(parts["m1"] or parts["m2"]), int(parts["d1"] or parts["d2"]))
    try:
        return iso(datetime(year, month, day, tzinfo=UTC))
    except ValueError:
        return None


def _custom_field_items(call: Call, name: str, value: list) -> list[str]:
    return [
        f"{name}.{position}.id should not be empty"
        for position, item in enumerate(value)
        if not isinstance(item, dict) or not (item.get("id") or item.get("key"))
    ]


def _dnd(call: Call, name: str, value: dict) -> list[str]:
    channels, statuses = (("all",), ("active", "inactive")) if name == "inboundDndSettings" else (DND_CHANNELS, DND_STATUSES)
    problems = [f"property {name}.{key} should not exist" for key in value if key not in channels]
    for channel, setting in value.items():
        if channel in channels and (not isinstance(setting, dict) or setting.get("status") not in statuses):
            problems.append(f"{name}.{channel}.status must be one of the following values: {', '.join(statuses)}")
    return problems


def _not_blank(call: Call, name: str, value: str) -> list[str]:
    return [] if value.strip() else [f"{name} should not be empty"]


VALUE_CHECKS: dict[str, Callable[[Call, str, Any], list[str]]] = {
    "email": _email, "phone": _phone, "dateOfBirth": _birth_date, "dueDate": _timestamp, "eventStartTime": _timestamp,
    "tags": _strings, "contacts": _strings, "ids": _strings, "followers": _users, "assignedTo": _users,
    "userId": _users, "customFields": _custom_field_items, "dndSettings": _dnd, "inboundDndSettings": _dnd,
    "title": _not_blank, "body": _not_blank,
}


def _tags(values: Iterable[str]) -> list[str]:
    """HighLevel stores tags trimmed and lower-cased, each once."""
    return list(dict.fromkeys(t.strip().lower() for t in values if t.strip()))


def _body_int(data: dict, name: str, *, default: int | None, minimum: int, maximum: int | None = None) -> int:
    value = data.get(name)
    if value is None:
        if default is None:
            raise unprocessable(f"{name} should not be empty")
        return default
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
        raise unprocessable(f"{name} must be an integer number")
    if value < minimum:
        raise unprocessable(f"{name} must not be less than {minimum}")
    if maximum is not None and value > maximum:
        raise unprocessable(f"{name} must not be greater than {maximum}")
    return int(value)


# -- writing contacts ----------------------------------------------------------------------------------
def _derive(record: dict) -> None:
    """The fields HighLevel computes from the names and email."""
    first, last = record.get("firstName") or "", record.get("lastName") or ""
    full = f"{first} {last}".strip()
    derived = {
        "contactName": full, "name": full, "firstNameLowerCase": first.lower(), "lastNameLowerCase": last.lower(),
        "fullNameLowerCase": full.lower(), "emailLowerCase": (record.get("email") or "").lower(),
    }
    for key, value in derived.items():
        if value:
            record[key] = value
        else:
            record.pop(key, None)


def _apply(call: Call, record: dict, changes: dict) -> None:
    """Write a validated create/update/upsert body into a contact (``None`` clears a field)."""
    if changes.get("name") and "firstName" not in changes and "lastName" not in changes:
        first, _, last = changes["name"].strip().partition(" ")
        changes = {**changes, "firstName": first, "lastName": last.strip() or None}
    for key, value in changes.items():
        if key in NOT_STORED or key == "name":
            continue
        if key == "tags":
            record["tags"] = _tags(value or [])
        elif key == "customFields":
            record["customFields"] = _merged_custom_fields(call, record.get("customFields") or [], value or [])
        elif value is None or value == "":
            record.pop(key, None)
        elif key == "phone":
            record["phone"] = "+" + (_phone_key(value) or "")
        elif key == "email":
            record["email"] = value.strip()
        elif key == "dateOfBirth":
            record["dateOfBirth"] = _parse_birth_date(value)
        else:
            record[key] = value
    _derive(record)


def _merged_custom_fields(call: Call, current: list[dict], items: list[dict]) -> list[dict]:
    """Merge by field id; a field is named by ``id`` or ``key`` and valued by ``value``/``field_value``/``fieldValue``.

    HighLevel silently drops ids that are not custom fields of the location, and clears a field set to "".
    """
    known = {f["id"]: f for f in _contact_fields(call.state, call.location_id)}
    by_key = {f.get("fieldKey"): i for i, f in known.items()} | {
        str(f.get("fieldKey", "")).partition(".")[2]: i for i, f in known.items()
    }
    values = {item["id"]: item.get("value") for item in current}
    for item in items:
        field_id = item.get("id") if item.get("id") in known else by_key.get(item.get("key"))
        if field_id is None:
            continue
        value = next((item[k] for k in ("value", "field_value", "fieldValue") if k in item), None)
        if value in (None, "", []):
            values.pop(field_id, None)
        else:
            values[field_id] = value
    return [{"id": i, "value": v} for i, v in values.items()]


def _bump(call: Call, record: dict) -> None:
    """Stamp a write: dateUpdated becomes now, but never moves backwards (clock changes, future-dated seeds)."""
    moment = max(epoch_ms(call.state.now()), _updated_ms(record))
    record["dateUpdated"] = iso(datetime.fromtimestamp(moment / 1000, tz=UTC))
    record["_updatedMs"] = moment


def _touch(call: Call, record: dict) -> None:
    """Before a contact write: keep what the lagging search index still shows, then bump dateUpdated."""
    lag = call.state.config.search_index_lag_s
    if lag > 0:
        now = call.state.epoch()
        if not record.get("_writtenAt", float("-inf")) > now - lag:  # the index has caught up with the last write
            record["_searchView"] = {k: v for k, v in record.items() if k != "_searchView"}
        record["_writtenAt"] = now
    _index(call.state).orders.clear()
    _bump(call, record)


def _create_contact(call: Call, changes: dict) -> dict:
    now = call.now()
    record: dict[str, Any] = {
        "id": call.state.new_id(), "locationId": call.location_id, "type": "lead", "tags": [], "customFields": [],
        "followers": [], "dnd": False, "dateAdded": now, "dateUpdated": now,
        "_addedMs": epoch_ms(parse_time(now)), "_updatedMs": epoch_ms(parse_time(now)),
        "_tasks": [], "_notes": [], "_campaigns": [], "_workflows": {},
    }
    if call.state.config.search_index_lag_s > 0:
        record["_searchView"], record["_writtenAt"] = None, call.state.epoch()
    _apply(call, record, changes)
    index = _index(call.state)
    call.state.insert(CONTACTS, record)
    index.add(record)
    return record


def _update_contact(call: Call, record: dict, changes: dict) -> None:
    index = _index(call.state)
    _touch(call, record)
    index.forget(record)
    _apply(call, record, changes)
    index.learn(record)


def _allows_duplicates(call: Call) -> bool:
    location = call.table("locations").get(call.location_id) or {}
    return bool((location.get("settings") or {}).get("allowDuplicateContact"))


def _duplicate_refusal(match: tuple[dict, str]) -> Reply:
    contact, matching_field = match
    return Reply(400, {
        "statusCode": 400, "message": "This location does not allow duplicated contacts.",
        "meta": {"contactName": contact.get("contactName", ""), "contactId": contact["id"], "matchingField": matching_field},
        "traceId": _trace_id(),
    })


def _contact(call: Call) -> dict:
    return call.record(CONTACTS, call.path["contactId"], "Contact")


# -- contact handlers -----------------------------------------------------------------------------------
@handles("get_contact")
def get_contact(call: Call) -> dict:
    return {"contact": public(_contact(call))}


@handles("create_contact")
def create_contact(call: Call) -> dict | Reply:
    changes = _checked(call, call.data, nullable=True)
    if not _allows_duplicates(call):
        match = _index(call.state).duplicate(call.location_id, changes.get("email"), changes.get("phone"))
        if match:
            return _duplicate_refusal(match)
    return {"contact": public(_create_contact(call, changes))}


@handles("update_contact")
def update_contact(call: Call) -> dict | Reply:
    record = _contact(call)
    changes = _checked(call, call.data, nullable=True)
    if not _allows_duplicates(call) and ({"email", "phone"} & changes.keys()):
        match = _index(call.state).duplicate(call.location_id, changes.get("email"), changes.get("phone"), exclude=record["id"])
        if match:
            return _duplicate_refusal(match)
    _update_contact(call, record, changes)
    return {"succeded": True, "contact": public(record)}


@handles("upsert_contact")
def upsert_contact(call: Call) -> dict:
    changes = _checked(call, call.data, nullable=True)
    allowed = _allows_duplicates(call)
    match = None
    if not (allowed and changes.get("createNewIfDuplicateAllowed")):
        match = _index(call.state).duplicate(call.location_id, changes.get("email"), changes.get("phone"))
    if match:
        record = match[0]
        _update_contact(call, record, changes)
    else:
        record = _create_contact(call, changes)
    return {"new": match is None, "contact": public(record), "traceId": _trace_id()}


@handles("delete_contact")
def delete_contact(call: Call) -> dict:
    record = _contact(call)
    for table, slot in ((TASKS, "_tasks"), (NOTES, "_notes")):
        rows = call.table(table)
        for child_id in record.get(slot, ()):
            rows.pop(child_id, None)
    _index(call.state).remove(record)
    del call.table(CONTACTS)[record["id"]]
    return {"succeded": True}


@handles("get_duplicate_contact", "find_contact")
def get_duplicate_contact(call: Call) -> dict:
    email, number = call.query.get("email"), call.query.get("number")
    if not email and not number:
        # Nothing to match on: say so, rather than answer {"contact": null} as if no contact matched.
        raise unprocessable("email or number should not be empty")
    match = _index(call.state).duplicate(call.location_id, email, number)
    return {"contact": public(match[0]) if match else None}


def _matches_query(record: dict, text: str) -> bool:
    """The free-text ``query``: a substring of the name, email, phone or company name."""
    digits = re.sub(r"\D", "", text)
    return (
        text in record.get("fullNameLowerCase", "") or text in record.get("emailLowerCase", "")
        or text in (record.get("companyName") or "").lower()
        or (len(digits) >= 3 and digits in (record.get("phone") or ""))
    )


@handles("list_contacts")
def list_contacts(call: Call) -> dict:
    """The deprecated list: (dateAdded, id) ascending, resumed after the (startAfter, startAfterId) pair."""
    limit = call.int_query("limit", LIST_DEFAULT_LIMIT, minimum=1, maximum=call.op.pagination["max_limit"])
    table, index = call.table(CONTACTS), _index(call.state)
    timeline = index.timeline(call.location_id)
    text = (call.query.get("query") or "").strip().lower()
    if text:
        timeline = [entry for entry in timeline if _matches_query(table[entry[1]], text)]
    start_after_id, start_after = call.query.get("startAfterId"), call.query.get("startAfter")
    position = 0
    # HighLevel ignores startAfter without startAfterId and answers the first page again (PipedreamHQ/pipedream#21941).
    if start_after_id:
        if start_after:
            after_ms = int(finite_number(start_after, "startAfter"))
        elif start_after_id in table:
            after_ms = _added_ms(table[start_after_id])
        else:
            raise unprocessable("startAfter should not be empty when startAfterId is not a contact")
        position = bisect_right(timeline, (after_ms, start_after_id))
    entries = timeline[position : position + limit]
    more = position + len(entries) < len(timeline)
    page = position // limit + 1
    last_ms, last_id = entries[-1] if entries else (None, None)
    next_query = {"locationId": call.location_id, "startAfter": last_ms, "startAfterId": last_id, "limit": limit}
    if text:
        next_query["query"] = call.query["query"]
    return {
        "contacts": [_listing(table[contact_id]) for _, contact_id in entries],
        "count": len(timeline),
        # Not in the official schema, but HighLevel sends it. The cursor of the last record is given even on the
        # last page, so a poll can resume from it later.
        "meta": {
            "total": len(timeline), "nextPageUrl": f"{call.base_url}/contacts/?{urlencode(next_query)}" if more else None,
            "startAfterId": last_id, "startAfter": last_ms, "currentPage": page,
            "nextPage": page + 1 if more else None, "prevPage": page - 1 if page > 1 else None,
        },
    }


@handles("get_contacts_by_business")
def get_contacts_by_business(call: Call) -> dict:
    table = call.table(CONTACTS)
    business_id = call.path["businessId"]
    text = (call.query.get("query") or "").strip().lower()
    matches = [
        table[contact_id] for _, contact_id in _index(call.state).timeline(call.location_id)
        if table[contact_id].get("businessId") == business_id and (not text or _matches_query(table[contact_id], text))
    ]
    page = offset_page(call, matches, default_limit=BUSINESS_DEFAULT_LIMIT, max_limit=call.op.pagination["max_limit"])
    return {"contacts": [_listing(r) for r in page], "count": len(matches)}


@handles("get_contact_appointments")
def get_contact_appointments(call: Call) -> dict:
    contact_id = _contact(call)["id"]
    events = [
        public(e) for e in call.table("events").values()
        if e.get("contactId") == contact_id and e.get("locationId", call.location_id) == call.location_id
    ]
    return {"events": sorted(events, key=lambda e: (str(e.get("startTime", "")), e["id"]))}


# -- search --------------------------------------------------------------------------------------------
SEARCH_BODY = frozenset({"locationId", "page", "pageLimit", "searchAfter", "filters", "sort", "query"})
DATE_FIELDS = frozenset({"dateAdded", "dateUpdated"})
CASE_SENSITIVE = frozenset({"id", "businessId", "assignedTo", "followers"})  # ids, compared as they are


def _lower(name: str) -> Callable[[dict], Any]:
    return lambda r: (r.get(name) or "").lower() or None


def _raw(name: str) -> Callable[[dict], Any]:
    return lambda r: r.get(name)


# Filterable fields and the value each is compared on (strings lower-cased, phones as digits, dates as epoch ms).
SEARCH_FIELDS: dict[str, Callable[[dict], Any]] = {
    "id": _raw("id"), "email": _raw("emailLowerCase"), "phone": lambda r: _phone_key(r.get("phone")),
    "firstName": _raw("firstNameLowerCase"), "firstNameLowerCase": _raw("firstNameLowerCase"),
    "lastName": _raw("lastNameLowerCase"), "lastNameLowerCase": _raw("lastNameLowerCase"),
    "contactName": _raw("fullNameLowerCase"), "fullNameLowerCase": _raw("fullNameLowerCase"),
    "companyName": _lower("companyName"), "businessId": _raw("businessId"), "assignedTo": _raw("assignedTo"),
    "source": _lower("source"), "type": _lower("type"), "city": _lower("city"), "state": _lower("state"),
    "country": _lower("country"), "postalCode": _raw("postalCode"), "address1": _lower("address1"),
    "website": _lower("website"), "timezone": _lower("timezone"), "dnd": _raw("dnd"),
    "tags": lambda r: r.get("tags") or None, "followers": lambda r: r.get("followers") or None,
    "dateAdded": _added_ms, "dateUpdated": _updated_ms,
}
SORT_FIELDS = ("dateAdded", "dateUpdated", "firstNameLowerCase", "lastNameLowerCase", "fullNameLowerCase",
               "firstName", "lastName", "contactName", "email", "companyName", "businessId", "assignedTo", "source")
DEFAULT_SORT = [("dateAdded", False)]
ORDERS_KEPT = 32  # distinct searches whose answers are kept between writes
OPERATORS = ("eq", "not_eq", "contains", "not_contains", "exists", "not_exists", "range")
RANGE_BOUNDS = {"gte": lambda a, b: a >= b, "gt": lambda a, b: a > b, "lte": lambda a, b: a <= b, "lt": lambda a, b: a < b}


def _extractor(field_name: str) -> Callable[[dict], Any] | None:
    for prefix in ("customFields.", "customField."):
        if field_name.startswith(prefix):
            field_id = field_name[len(prefix):]

            def custom_value(record: dict, field_id: str = field_id) -> Any:
                value = next((c.get("value") for c in record.get("customFields") or () if c.get("id") == field_id), None)
                return value.lower() if isinstance(value, str) else value

            return custom_value
    return SEARCH_FIELDS.get(field_name)


def _normalized(field_name: str, value: Any, where: str) -> Any:
    """A filter or cursor value in the form the field is compared on."""
    if isinstance(value, str) and len(value) > SEARCH_TEXT_LIMIT:
        raise unprocessable(f"{where} must be shorter than or equal to {SEARCH_TEXT_LIMIT} characters")
    if field_name in DATE_FIELDS:
        try:
            return epoch_ms(parse_time(value))
        except (TypeError, ValueError):
            raise unprocessable(f"{where} must be epoch milliseconds or an ISO 8601 date") from None
    if field_name == "phone":
        return _phone_key(value)
    return value.lower() if isinstance(value, str) and field_name not in CASE_SENSITIVE else value


def _compile(filters: Any, where: str = "filters", group: str = "AND") -> Callable[[dict], bool]:
    """Search filters -> one predicate; ``{group: AND|OR, filters}`` nests."""
    if not isinstance(filters, list):
        raise unprocessable(f"{where} must be an array")
    tests = []
    for position, item in enumerate(filters):
        here = f"{where}.{position}"
        if not isinstance(item, dict):
            raise unprocessable(f"{here} must be an object")
        if "group" in item:
            if item["group"] not in ("AND", "OR"):
                raise unprocessable(f"{here}.group must be one of the following values: AND, OR")
            tests.append(_compile(item.get("filters"), f"{here}.filters", item["group"]))
        else:
            tests.append(_filter(item, here))
    if len(tests) == 1:
        return tests[0]
    if group == "OR":
        return lambda record: any(test(record) for test in tests)
    return lambda record: all(test(record) for test in tests)


def _filter(item: dict, where: str) -> Callable[[dict], bool]:
    field_name, operator, value = item.get("field"), item.get("operator"), item.get("value")
    extract = _extractor(field_name) if isinstance(field_name, str) else None
    if extract is None:
        raise unprocessable(f"{where}.field {field_name!r} is not a searchable contact field")
    if operator not in OPERATORS:
        raise unprocessable(f"{where}.operator must be one of the following values: {', '.join(OPERATORS)}")
    if operator in ("exists", "not_exists"):
        wanted = operator == "exists"
        return lambda r: (extract(r) not in (None, "", [])) == wanted
    if value is None or value == "" or value == []:
        raise unprocessable(f"{where}.value should not be empty")
    if operator == "range":
        if not isinstance(value, dict) or not value or set(value) - RANGE_BOUNDS.keys():
            raise unprocessable(f"{where}.value must be an object with gte, gt, lte and/or lt")
        bounds = [(RANGE_BOUNDS[k], _normalized(field_name, v, f"{where}.value.{k}")) for k, v in value.items()]
        return lambda r: (x := extract(r)) is not None and not isinstance(x, list) and all(
            _comparable(x, b) and test(x, b) for test, b in bounds
        )
    wanted_values = [_normalized(field_name, v, f"{where}.value") for v in (value if isinstance(value, list) else [value])]
    if operator in ("eq", "not_eq"):
        def equal(r: dict) -> bool:
            x = extract(r)
            have = x if isinstance(x, list) else [x]
            return any(v in have for v in wanted_values)

        return equal if operator == "eq" else lambda r: not equal(r)
    needles = [str(v) for v in wanted_values]

    def contains(r: dict) -> bool:
        x = extract(r)
        have = x if isinstance(x, list) else [] if x is None else [x]
        return any(n in str(h) for n in needles for h in have)

    return contains if operator == "contains" else lambda r: not contains(r)


def _comparable(a: Any, b: Any) -> bool:
    return isinstance(a, str) == isinstance(b, str)


@total_ordering
class _Descending:
    """Wraps a sort value so that ascending order sorts it descending."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Descending) and self.value == other.value

    def __lt__(self, other: _Descending) -> bool:
        return other.value < self.value

    __hash__ = None  # type: ignore[assignment]


def _sort_spec(sort: Any) -> list[tuple[str, bool]]:
    """``[{field, direction}]`` -> [(field, descending)]; HighLevel's default is dateAdded ascending."""
    if sort is None or sort == []:
        return DEFAULT_SORT
    if not isinstance(sort, list):
        raise unprocessable("sort must be an array")
    spec = []
    for position, item in enumerate(sort):
        if not isinstance(item, dict) or item.get("field") not in SORT_FIELDS:
            raise unprocessable(f"sort.{position}.field must be one of the following values: {', '.join(SORT_FIELDS)}")
        direction = item.get("direction", "asc")
        if direction not in ("asc", "desc"):
            raise unprocessable(f"sort.{position}.direction must be one of the following values: asc, desc")
        spec.append((item["field"], direction == "desc"))
    return spec


def _sort_key(spec: list[tuple[str, bool]]) -> Callable[[dict], tuple]:
    """A total order: the sort fields (missing values last), then the id as the tie-breaker."""
    extractors = [(SEARCH_FIELDS[name], descending) for name, descending in spec]

    def key(record: dict) -> tuple:
        parts: list[Any] = []
        for extract, descending in extractors:
            value = extract(record)
            parts.append((1, "") if value is None else (0, _Descending(value) if descending else value))
        parts.append(record["id"])
        return tuple(parts)

    return key


def _cursor_key(spec: list[tuple[str, bool]], search_after: Any) -> tuple:
    if not isinstance(search_after, list) or len(search_after) != len(spec) + 1 or not isinstance(search_after[-1], str):
        raise unprocessable("searchAfter must be the searchAfter array of the previous page's last contact")
    parts: list[Any] = []
    for (name, descending), value in zip(spec, search_after, strict=False):
        if value is None:
            parts.append((1, ""))
            continue
        normalized = _normalized(name, value, "searchAfter")
        parts.append((0, _Descending(normalized) if descending else normalized))
    parts.append(search_after[-1])
    return tuple(parts)


def _ordered(call: Call, spec: list[tuple[str, bool]], criteria: tuple, keep: Callable[[dict], bool]) -> list[dict]:
    """The location's contacts the search finds (``keep``), as the search index sees them, in the sort order.

    Writes show up ``search_index_lag_s`` late. Without lag the answer is kept until the next contact write,
    so paging through 50k contacts filters and sorts them once, not once per page.
    """
    index, table, lag = _index(call.state), call.table(CONTACTS), call.state.config.search_index_lag_s
    cache_key = (call.location_id, tuple(spec), json.dumps(criteria, sort_keys=True))
    if lag <= 0 and cache_key in index.orders:
        return index.orders[cache_key]
    records = [table[contact_id] for _, contact_id in index.timeline(call.location_id)]
    if lag > 0:
        cutoff = call.state.epoch() - lag
        records = [
            view for record in records
            if (view := record if record.get("_writtenAt", cutoff) <= cutoff else record.get("_searchView")) is not None
        ]
    if any(criteria):
        records = [r for r in records if keep(r)]
    if spec != DEFAULT_SORT:  # the timeline is already in the default order
        records.sort(key=_sort_key(spec))
    if lag <= 0:
        if len(index.orders) >= ORDERS_KEPT:
            index.orders.clear()
        index.orders[cache_key] = records
    return records


@handles("search_contacts")
def search_contacts(call: Call) -> dict:
    # The official body schema (SearchBodyV2DTO) is empty; the fields below follow HighLevel's search
    # documentation: locationId, page/pageLimit (max 500, 10,000 deep) or searchAfter, filters, sort, query.
    data = call.data
    problems = [f"property {name} should not exist" for name in data if name not in SEARCH_BODY]
    if not data.get("locationId"):
        problems.append("locationId should not be empty")
    if problems:
        raise unprocessable(*problems)
    limit = _body_int(data, "pageLimit", default=None, minimum=1, maximum=call.op.pagination["max_limit"])
    search_after = data.get("searchAfter")
    if search_after is not None and "page" in data:
        raise unprocessable("page must not be sent with searchAfter")
    page = _body_int(data, "page", default=1, minimum=1)
    if search_after is None and page * limit > SEARCH_WINDOW:
        raise unprocessable(f"page * pageLimit must not exceed {SEARCH_WINDOW}; use searchAfter to read further")
    spec = _sort_spec(data.get("sort"))
    predicate = _compile(data.get("filters") or [])
    text = data.get("query")
    if text is not None and not isinstance(text, str):
        raise unprocessable("query must be a string")
    text = (text or "").strip().lower()
    if len(text) > SEARCH_TEXT_LIMIT:
        raise unprocessable(f"query must be shorter than or equal to {SEARCH_TEXT_LIMIT} characters")
    matches = _ordered(call, spec, (data.get("filters"), text), lambda r: predicate(r) and (not text or _matches_query(r, text)))
    if search_after is not None:
        start = bisect_right(matches, _cursor_key(spec, search_after), key=_sort_key(spec))
    else:
        start = (page - 1) * limit
    contacts = []
    for record in matches[start : start + limit]:
        contact = _listing(record)
        contact["searchAfter"] = [SEARCH_FIELDS[name](record) for name, _ in spec] + [record["id"]]
        contacts.append(contact)
    return {"contacts": contacts, "total": len(matches)}


# -- tags, followers, campaigns, workflows, business -------------------------------------------------------
@handles("add_tags_to_contact", "remove_tags_from_contact")
def change_tags(call: Call) -> dict:
    record = _contact(call)
    tags = _tags(_checked(call, call.data)["tags"])
    _touch(call, record)
    if call.op.key == "add_tags_to_contact":
        record["tags"] = _tags([*record.get("tags", []), *tags])
    else:
        record["tags"] = [t for t in record.get("tags", []) if t not in tags]
    return {"tags": record["tags"]}


@handles("bulk_update_contact_tags")
def bulk_update_contact_tags(call: Call) -> dict:
    action = call.path["type"]
    data = _checked(call, call.data)
    problems = []
    if action not in ("add", "remove"):
        problems.append("type must be one of the following values: add, remove")
    if data.get("removeAllTags") and action != "remove":
        problems.append("removeAllTags can only be used with the remove type")
    if not data["tags"] and not data.get("removeAllTags"):
        problems.append("tags should not be empty")
    if problems:
        raise unprocessable(*problems)
    tags, table = _tags(data["tags"]), call.table(CONTACTS)
    responses, errors = [], 0
    for contact_id in dict.fromkeys(data["contacts"]):
        record = table.get(contact_id)
        if record is None or record.get("locationId") != call.location_id:
            errors += 1
            responses.append(f"{contact_id}: Contact not found")
            continue
        _touch(call, record)
        if action == "add":
            record["tags"] = _tags([*record.get("tags", []), *tags])
        else:
            record["tags"] = [] if data.get("removeAllTags") else [t for t in record.get("tags", []) if t not in tags]
        responses.append(f"{contact_id}: tags {'added' if action == 'add' else 'removed'}")
    return {"succeded": errors == 0, "errorCount": errors, "responses": responses}


@handles("add_contact_followers", "remove_contact_followers")
def change_followers(call: Call) -> dict:
    record = _contact(call)
    followers = list(dict.fromkeys(_checked(call, call.data)["followers"]))
    current = record.get("followers") or []
    _touch(call, record)
    if call.op.key == "add_contact_followers":
        added = [f for f in followers if f not in current]
        record["followers"] = [*current, *added]
        return {"followers": record["followers"], "followersAdded": added}
    removed = [f for f in followers if f in current]
    record["followers"] = [f for f in current if f not in removed]
    return {"followers": record["followers"], "followersRemoved": removed}


@handles("add_contact_to_campaign", "remove_contact_from_campaign")
def change_campaign(call: Call) -> dict:
    record = _contact(call)
    _checked(call, call.data)
    campaign_id = call.record("campaigns", call.path["campaignId"], "Campaign")["id"]
    others = [c for c in record.get("_campaigns", []) if c != campaign_id]
    record["_campaigns"] = [*others, campaign_id] if call.op.key == "add_contact_to_campaign" else others
    return {"succeded": True}


@handles("remove_contact_from_all_campaigns")
def remove_contact_from_all_campaigns(call: Call) -> dict:
    _contact(call)["_campaigns"] = []
    return {"succeded": True}


@handles("add_contact_to_workflow", "remove_contact_from_workflow")
def change_workflow(call: Call) -> dict:
    record = _contact(call)
    data = _checked(call, call.data)
    workflow_id = call.record("workflows", call.path["workflowId"], "Workflow")["id"]
    enrolled = dict(record.get("_workflows", {}))
    if call.op.key == "add_contact_to_workflow":
        enrolled[workflow_id] = {"eventStartTime": data.get("eventStartTime") or call.now()}
    else:
        enrolled.pop(workflow_id, None)
    record["_workflows"] = enrolled
    return {"succeded": True}


@handles("bulk_business_update")
def bulk_business_update(call: Call) -> dict:
    data = _checked(call, call.data, nullable=True)
    problems = [] if "businessId" in data else ["businessId must be a string or null"]
    if not isinstance(data.get("ids"), list):
        problems.append("ids must be an array")
    elif any(len(i) > 50 for i in data["ids"]):
        problems.append("each value in ids must be shorter than or equal to 50 characters")
    if problems:
        raise unprocessable(*problems)
    business_id = data["businessId"]
    if business_id is not None:  # null detaches the contacts from their business
        call.record("businesses", business_id, "Business")
    table, updated = call.table(CONTACTS), []
    for contact_id in dict.fromkeys(data["ids"]):
        record = table.get(contact_id)
        if record is None or record.get("locationId") != call.location_id:
            continue
        _touch(call, record)
        if business_id is None:
            record.pop("businessId", None)
        else:
            record["businessId"] = business_id
        updated.append(contact_id)
    return {"success": True, "ids": updated}


# -- tasks and notes --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _ChildKind:
    """Tasks and notes: records owned by one contact, CRUD under ``/contacts/{contactId}/...``."""

    table: str
    slot: str  # the contact's internal list of its children's ids
    one: str
    many: str
    id_param: str
    fields: tuple[str, ...]
    newest_first: bool
    defaults: dict = field(default_factory=dict)


CHILD_KINDS = (
    _ChildKind(TASKS, "_tasks", "task", "tasks", "taskId", TASK_FIELDS, newest_first=False, defaults={"completed": False}),
    _ChildKind(NOTES, "_notes", "note", "notes", "id", NOTE_FIELDS, newest_first=True),
)


def _child(call: Call, kind: _ChildKind) -> tuple[dict, dict]:
    contact = _contact(call)
    child = call.table(kind.table).get(call.path[kind.id_param])
    if child is None or child.get("contactId") != contact["id"]:
        raise not_found(kind.one.capitalize())
    return contact, child


def _shown(kind: _ChildKind, child: dict) -> dict:
    return {k: child[k] for k in kind.fields if k in child}


def _register_child_handlers(kind: _ChildKind) -> None:
    @handles(f"get_contact_{kind.many}")
    def list_children(call: Call) -> dict:
        rows = call.table(kind.table)
        children = [rows[i] for i in _contact(call).get(kind.slot, ()) if i in rows]
        children.sort(key=lambda c: (c.get("dateAdded", ""), c["id"]), reverse=kind.newest_first)
        return {kind.many: [_shown(kind, c) for c in children]}

    @handles(f"get_contact_{kind.one}")
    def get_child(call: Call) -> dict:
        return {kind.one: _shown(kind, _child(call, kind)[1])}

    @handles(f"create_contact_{kind.one}")
    def create_child(call: Call) -> dict:
        contact = _contact(call)
        data = _checked(call, call.data)
        now = call.now()
        child = {**kind.defaults, **data, "id": call.state.new_id(), "contactId": contact["id"],
                 "locationId": contact.get("locationId"), "dateAdded": now, "dateUpdated": now}
        call.state.insert(kind.table, child)
        contact[kind.slot] = [*contact.get(kind.slot, []), child["id"]]
        return {kind.one: _shown(kind, child)}

    @handles(f"update_contact_{kind.one}")
    def update_child(call: Call) -> dict:
        child = _child(call, kind)[1]
        data = _checked(call, call.data)
        _bump(call, child)
        child.update(data)
        return {kind.one: _shown(kind, child)}

    @handles(f"delete_contact_{kind.one}")
    def delete_child(call: Call) -> dict:
        contact, child = _child(call, kind)
        del call.table(kind.table)[child["id"]]
        contact[kind.slot] = [i for i in contact.get(kind.slot, []) if i != child["id"]]
        return {"succeded": True}


for _kind in CHILD_KINDS:
    _register_child_handlers(_kind)


@handles("complete_contact_task")
def complete_contact_task(call: Call) -> dict:
    task = _child(call, CHILD_KINDS[0])[1]
    data = _checked(call, call.data)
    _bump(call, task)
    task["completed"] = data["completed"]
    return {"task": _shown(CHILD_KINDS[0], task)}

