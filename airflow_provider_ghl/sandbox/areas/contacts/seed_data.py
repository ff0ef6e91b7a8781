"""The seeded contacts, with their tasks and notes: a reproducible crowd drawn from the state's seeded Random."""

from __future__ import annotations

import base64
import random
from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from airflow_provider_ghl.sandbox.areas.contacts.checks import DND_CHANNELS
from airflow_provider_ghl.sandbox.areas.contacts.index import CONTACTS, NOTES, TASKS, contact_index
from airflow_provider_ghl.sandbox.areas.contacts.writes import contact_custom_fields, derive_names
from airflow_provider_ghl.sandbox.areas.locations import seeded_moments
from airflow_provider_ghl.sandbox.areas.users import user_ids_of_location
from airflow_provider_ghl.sandbox.state import epoch_ms, iso

if TYPE_CHECKING:
    from airflow_provider_ghl.sandbox.state import SandboxState

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
        return quick_id(self.rng)


def quick_id(rng: random.Random) -> str:
    """20 characters of letters and digits, like ``state.new_id()`` at a tenth of its cost (seeding makes many)."""
    return base64.urlsafe_b64encode(rng.randbytes(15)).decode().translate(ID_SYMBOLS_TO_LETTERS)


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
        fields=contact_custom_fields(state, main),
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
    contact_index(state)


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
    derive_names(record)
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
