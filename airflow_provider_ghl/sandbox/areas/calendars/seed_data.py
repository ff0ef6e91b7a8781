"""The seeded calendars: groups, calendars, notifications, resources, blocked slots, appointments and notes."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from airflow_provider_ghl.sandbox.areas.calendars.calendars import WEEKDAYS, calendar_defaults, office_hours, team_member
from airflow_provider_ghl.sandbox.areas.calendars.common import location_timezone, minutes, set_times
from airflow_provider_ghl.sandbox.areas.calendars.events import new_block
from airflow_provider_ghl.sandbox.areas.calendars.notifications import new_notification
from airflow_provider_ghl.sandbox.state import epoch_ms, iso, parse_time

if TYPE_CHECKING:
    from airflow_provider_ghl.sandbox.state import SandboxState

SEED_GROUPS = (("Sales", "sales", True), ("Customer Success", "customer-success", True),
               ("Onboarding", "onboarding", False))
# name, group index (None: ungrouped), calendarType, slot minutes, per slot, open hours, active
SEED_CALENDARS: tuple[tuple, ...] = (
    ("Discovery Call", 0, "round_robin", 30, 1, [office_hours(WEEKDAYS, 9, 17)], True),
    ("Product Demo", 0, "event", 60, 1, [office_hours(WEEKDAYS, 10, 16)], True),
    ("Support Session", 1, "round_robin", 30, 1, [office_hours(WEEKDAYS, 8, 18), office_hours((6,), 10, 14)], True),
    ("Onboarding Kickoff", 2, "collective", 45, 1, [office_hours((1, 3), 9, 15)], True),
    ("Consultation", None, "personal", 30, 1, [office_hours(WEEKDAYS, 9, 17)], True),
    ("Group Workshop", None, "class_booking", 60, 10, [office_hours((2, 4), 17, 20)], True),
    ("Strategy Session (draft)", 0, "event", 90, 1, [office_hours(WEEKDAYS, 9, 12)], False),
)
ROOMS = ("Board Room", "Yoga Studio", "Meeting Room A", "Meeting Room B", "Training Hall", "Quiet Room")
EQUIPMENT = ("Projector", "Massage Table", "Video Camera", "Laptop Cart", "Conference Phone")
PAST_STATUSES = (("showed", 45), ("confirmed", 20), ("noshow", 12), ("cancelled", 15), ("invalid", 3), ("new", 5))
FUTURE_STATUSES = (("confirmed", 60), ("new", 30), ("cancelled", 10))
NOTE_BODIES = ("Asked about pricing tiers.", "Prefers a phone call.", "Bring the signed proposal.",
               "Rescheduled once already.", "Interested in the annual plan.", "Needs a follow-up email.")
BUSY_NOTES_APPOINTMENT_NOTES = 45  # one appointment gets several pages of notes (limit max 20)


def seed(state: SandboxState) -> None:
    anchor = state.seed_anchor()
    location_id = state.location_id
    zone = location_timezone(state, location_id)
    user_ids = [u["id"] for u in state.table("users").values()
                if location_id in u.get("roles", {}).get("locationIds", [location_id])][:8]
    contacts = [c for c in state.table("contacts").values() if c.get("locationId", location_id) == location_id]

    groups = [state.insert("calendar_groups", {
        "id": state.new_id(), "locationId": location_id, "name": name, "slug": slug, "isActive": active,
        "description": f"{name} calendars"}) for name, slug, active in SEED_GROUPS]
    extra = [(f"Team Calendar {n}", n % len(groups), "round_robin", 30, 1, [office_hours(WEEKDAYS, 9, 17)], True)
             for n in range(1, state.config.contacts // 10_000 + 1)]
    calendars = []
    for index, (name, group, kind, slot, per_slot, hours, active) in enumerate((*SEED_CALENDARS, *extra)):
        members = [user_ids[(index + k) % len(user_ids)] for k in range(min(3, len(user_ids)))] if user_ids else []
        calendar = {"id": state.new_id(), "locationId": location_id, "name": name, **calendar_defaults(name),
                    "calendarType": kind, "slotDuration": slot, "slotInterval": slot, "appoinmentPerSlot": per_slot,
                    "openHours": hours, "isActive": active,
                    "teamMembers": [team_member(u, primary=k == 0) for k, u in enumerate(members)]}
        if group is not None:
            calendar["groupId"] = groups[group]["id"]
        calendars.append(state.insert("calendars", calendar))
    bookable = [c for c in calendars if c["isActive"]]

    for calendar in calendars:
        for receiver, channel, kind, extra_fields in (
            ("contact", "email", "booked", {"subject": "Your appointment is booked", "body": "See you soon!"}),
            ("contact", "sms", "reminder", {"body": "Reminder: {{appointment.start_time}}",
                                            "beforeTime": [{"timeOffset": 1, "unit": "hours"}]}),
            ("assignedUser", "inApp", "cancellation", {}),
            ("contact", "email", "followup", {"subject": "Thanks for meeting us", "body": "How did it go?",
                                              "afterTime": [{"timeOffset": 1, "unit": "days"}], "isActive": False}),
            ("business", "email", "reschedule", {"deleted": True, "subject": "Rescheduled", "body": "Moved."}),
        ):
            state.insert("calendar_notifications", new_notification(state.new_id(), calendar, {
                "receiverType": receiver, "channel": channel, "notificationType": kind,
                "templateId": "", **extra_fields}))

    for kind, names in (("rooms", ROOMS), ("equipments", EQUIPMENT)):
        for index, name in enumerate(names):
            linked = [bookable[index % len(bookable)]["id"]]
            state.insert("calendar_resources", {
                "id": state.new_id(), "locationId": location_id, "name": name, "description": f"{name} ({kind})",
                "resourceType": kind, "isActive": index % 4 != 3, "quantity": 1 + index % 3,
                "outOfService": 0, "capacity": 4 + 2 * index if kind == "rooms" else 0, "calendarIds": linked})

    seed_blocks(state, bookable, zone, anchor)
    if contacts:
        seed_appointments(state, bookable, contacts, zone, anchor)


def local_moment(zone: ZoneInfo, day: date, hour: int, minute: int) -> datetime:
    return datetime.combine(day, time(hour, minute), zone)


def seed_blocks(state: SandboxState, calendars: list[dict], zone: ZoneInfo, anchor: datetime) -> None:
    rng = state.rng
    # A company-wide block (every calendar, the same start: ties) plus a few per calendar.
    offsite_day = (anchor + timedelta(days=12)).date()
    plans = [(c, offsite_day, 9, 8, "Team offsite") for c in calendars]
    for calendar in calendars:
        for _ in range(3):
            day = (anchor + timedelta(days=rng.randint(-90, 29))).date()
            plans.append((calendar, day, rng.choice((9, 12, 14)), rng.choice((1, 2)),
                          rng.choice(("Lunch", "Out of office", "Dentist", "Training"))))
    for calendar, day, hour, length, title in plans:
        start = local_moment(zone, day, hour, 0)
        added = iso(min(start, anchor) - timedelta(days=rng.randint(1, 20)))
        event = new_block(state, calendar["locationId"], added)
        set_times(event, start, start + timedelta(hours=length))
        members = calendar["teamMembers"]
        event.update(title=title, calendarId=calendar["id"], groupId=calendar.get("groupId", ""),
                     assignedUserId=members[0]["userId"] if members else "")
        event["users"] = [event["assignedUserId"]] if event["assignedUserId"] else []
        state.insert("events", event)


def seed_appointments(state: SandboxState, calendars: list[dict], contacts: list[dict], zone: ZoneInfo,
                      anchor: datetime) -> None:
    """Appointments over the 90 days before the anchor and the 30 after; groups share start and booking time."""
    rng = state.rng
    count = max(40, state.config.contacts // 4)
    earliest_added = anchor - timedelta(days=90)
    past_statuses, past_weights = zip(*PAST_STATUSES, strict=True)
    future_statuses, future_weights = zip(*FUTURE_STATUSES, strict=True)
    lengths = {c["id"]: minutes(c["slotDuration"], c["slotDurationUnit"]) for c in calendars}
    # Bookings fall inside each calendar's open hours: (weekday, hour, minute) starts that fit a slot.
    open_starts = {c["id"]: {
        (day, hour, minute) for rule in c["openHours"] for day in rule["daysOfTheWeek"] for hours in rule["hours"]
        for hour in range(hours["openHour"], hours["closeHour"]) for minute in (0, 30)
        if (hour - hours["openHour"]) * 60 + minute + c["slotDuration"] <= (hours["closeHour"] - hours["openHour"]) * 60
    } for c in calendars}
    events = state.table("events")
    made: list[dict] = []
    while len(made) < count:
        day = (anchor + timedelta(days=rng.randint(-90, 29))).date()
        hour, minute = rng.randint(8, 19), rng.choice((0, 30))
        weekday = (day.weekday() + 1) % 7
        open_now = [c for c in calendars if (weekday, hour, minute) in open_starts[c["id"]]]
        if not open_now:
            continue
        start = local_moment(zone, day, hour, minute)
        booked_by = min(start, anchor)
        added = booked_by - timedelta(days=rng.randint(0, 20), hours=rng.randint(1, 9))
        if added < earliest_added:  # keep bookings inside the seeded 90 days without piling them on its edge
            added = earliest_added + (booked_by - earliest_added) * rng.random()
            added = added.replace(second=0, microsecond=0)
        past = start < anchor
        start_iso, start_ms, added_iso = iso(start), epoch_ms(start), iso(added)
        for calendar in rng.sample(open_now, min(len(open_now), rng.choice((1, 1, 2, 3)))):
            contact = rng.choice(contacts)
            status = rng.choices(past_statuses if past else future_statuses,
                                 past_weights if past else future_weights)[0]
            members = calendar["teamMembers"]
            assigned = rng.choice(members)["userId"] if members else ""
            end = start + lengths[calendar["id"]]
            closed = past and status not in ("confirmed", "new")
            event = {
                "id": state.new_id(), "locationId": calendar["locationId"], "calendarId": calendar["id"],
                "groupId": calendar.get("groupId", ""), "contactId": contact["id"],
                "title": f"{calendar['name']} with {contact.get('contactName') or contact.get('firstName') or 'guest'}",
                "appointmentStatus": status, "assignedUserId": assigned, "users": [assigned] if assigned else [],
                "address": "", "notes": "", "meetingLocationType": "default", "isRecurring": False,
                "startTime": start_iso, "endTime": iso(end), "dateAdded": added_iso,
                # Show/no-show/cancel marks are set when the appointment ends.
                "dateUpdated": iso(min(anchor, end)) if closed else added_iso,
                "createdBy": {"source": rng.choice(("booking_widget", "calendar_page", "third_party"))},
                "_start": start_ms, "_end": epoch_ms(end),
            }
            events[event["id"]] = event
            made.append(event)
    seed_notes(state, made)


def seed_notes(state: SandboxState, appointments: list[dict]) -> None:
    """A note or two on every eighth appointment, and several pages of notes on the first one."""
    rng = state.rng
    notes = state.table("appointment_notes")
    users = state.table("users")
    for index, event in enumerate(appointments):
        howmany = BUSY_NOTES_APPOINTMENT_NOTES if index == 0 else (rng.randint(1, 2) if index % 8 == 0 else 0)
        if not howmany:
            continue
        author = event["assignedUserId"]
        created_by = {"id": author, "name": users[author].get("name", "")} if author in users else {}
        base = parse_time(event["dateAdded"])
        for n in range(howmany):
            note_id = state.new_id()
            # Notes come in threes with the same timestamp, so ties are in every page.
            notes[note_id] = {"id": note_id, "body": NOTE_BODIES[n % len(NOTE_BODIES)], "userId": author,
                              "dateAdded": iso(base + timedelta(minutes=n // 3)), "contactId": event["contactId"],
                              "createdBy": created_by, "_appointmentId": event["id"]}
