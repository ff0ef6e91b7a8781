"""Sandbox handlers and seed data for HighLevel's calendars area.

Tables: ``calendar_groups``, ``calendars``, ``events`` (appointments and blocked slots; a blocked slot carries
``_block``), ``appointment_notes``, ``calendar_notifications``, ``calendar_resources``. Events keep their times
as ISO strings (the API shape) plus ``_start``/``_end`` epoch ms, so window queries are plain integer compares.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from airflow_provider_ghl.catalog import operations
from airflow_provider_ghl.sandbox.bodies import field_problems
from airflow_provider_ghl.sandbox.errors import ApiError, bad_request, not_found, unprocessable
from airflow_provider_ghl.sandbox.records import public
from airflow_provider_ghl.sandbox.routing import Call, handles, pick, require_fields
from airflow_provider_ghl.sandbox.state import epoch_ms, iso, parse_time

if TYPE_CHECKING:
    from airflow_provider_ghl.sandbox.state import SandboxState

DAY_MS = 86_400_000
MAX_SLOT_WINDOW_MS = 31 * DAY_MS
MAX_EPOCH_MS = 253_370_678_400_000  # 9998-12-31: any later and a local date could overflow datetime
# The spec caps the appointment-notes page at 20 (``limit`` maximum: 20), below the catalog's generic 100.
NOTES_MAX_LIMIT = 20
NOTIFICATIONS_DEFAULT_LIMIT = 100
RESOURCE_TYPES = ("equipments", "rooms")
# Statuses that no longer hold their slot.
RELEASED_STATUSES = frozenset({"cancelled", "invalid"})
SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")

# Enumerations of the official request DTOs, by field name (the same name means the same enum in this area).
ENUMS: dict[str, tuple] = {
    "calendarType": ("round_robin", "event", "class_booking", "collective", "service_booking", "personal"),
    "eventType": ("RoundRobin_OptimizeForAvailability", "RoundRobin_OptimizeForEqualDistribution"),
    "widgetType": ("default", "classic"),
    "slotDurationUnit": ("mins", "hours"),
    "slotIntervalUnit": ("mins", "hours"),
    "slotBufferUnit": ("mins", "hours"),
    "preBufferUnit": ("mins", "hours"),
    "allowBookingAfterUnit": ("hours", "days", "weeks", "months"),
    "allowBookingForUnit": ("days", "weeks", "months"),
    "formSubmitType": ("RedirectURL", "ThankYouMessage"),
    "guestType": ("count_only", "collect_detail"),
    "availabilityType": (0, 1),
    "appointmentStatus": ("new", "confirmed", "cancelled", "showed", "noshow", "invalid"),
    "meetingLocationType": ("custom", "zoom", "gmeet", "phone", "address", "ms_teams", "google"),
    "receiverType": ("contact", "guest", "assignedUser", "emails", "phoneNumbers", "business"),
    "channel": ("email", "inApp", "sms", "whatsapp"),
    "notificationType": ("booked", "confirmation", "cancellation", "reminder", "followup", "reschedule"),
}
# A notification's fields and types (the create body's items are not in the catalog: it is an array).
NOTIFICATION_FIELDS = operations()["update_calendar_notification"].body.properties
# Appointment fields a client may set; the other body flags steer the booking and are not stored.
APPOINTMENT_STORED_FIELDS = (
    "title", "meetingLocationType", "meetingLocationId", "appointmentStatus", "assignedUserId", "description",
    "address", "rrule",
)
WEEKDAYS = (1, 2, 3, 4, 5)


# -- helpers -------------------------------------------------------------------------------------------
def enum_problems(name: str, where: str, value: Any) -> list[str]:
    if name in ENUMS and value not in ENUMS[name]:
        return [f"{where} must be one of the following values: {', '.join(str(v) for v in ENUMS[name])}"]
    return []


def check_fields(data: dict, types: dict[str, str], prefix: str = "") -> None:
    """422 naming every field whose type or enum is wrong (``null`` counts as absent, as in HighLevel's DTOs)."""
    problems = field_problems(data, types, prefix=prefix, check=enum_problems)
    if problems:
        raise unprocessable(*problems)


def check_body(call: Call) -> dict:
    """The request body, checked against the operation's property types from the catalog."""
    data = call.data
    check_fields(data, call.op.body.properties if call.op.body else {})
    return data


def epoch_query(call: Call, name: str) -> int:
    raw = call.query.get(name, "")
    try:
        value = int(float(raw))
    except (ValueError, OverflowError):
        value = -1
    if not 0 <= value <= MAX_EPOCH_MS:
        raise unprocessable(f"{name} must be a timestamp in milliseconds")
    return value


def body_time(data: dict, name: str) -> datetime | None:
    value = data.get(name)
    if value in (None, ""):
        return None
    try:
        return parse_time(value)
    except (ValueError, TypeError, OverflowError, OSError):
        raise unprocessable(f"{name} must be a valid ISO 8601 date string") from None


def set_times(event: dict, start: datetime, end: datetime) -> None:
    if end <= start:
        raise unprocessable("endTime must be after startTime")
    event.update(startTime=iso(start), endTime=iso(end), _start=epoch_ms(start), _end=epoch_ms(end))


def minutes(amount: float, unit: str | None) -> timedelta:
    return timedelta(hours=amount) if unit == "hours" else timedelta(minutes=amount)


def location_timezone(state: SandboxState, location_id: str) -> ZoneInfo:
    name = state.table("locations").get(location_id, {}).get("timezone") or "UTC"
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def location_records(call: Call, table: str) -> Iterable[dict]:
    return (r for r in call.table(table).values() if r.get("locationId") == call.location_id)


def by_newest(records: Iterable[dict]) -> list[dict]:
    return sorted(records, key=lambda r: (r["dateAdded"], r["id"]), reverse=True)


def known_users(call: Call, user_ids: Iterable[str], field: str) -> None:
    users = call.table("users")
    unknown = [u for u in user_ids if u not in users]
    if unknown:
        raise unprocessable(f"{field} contains unknown user ids: {', '.join(map(str, unknown))}")


# -- calendar groups -----------------------------------------------------------------------------------
def slug_taken(call: Call, slug: str, except_id: str | None = None) -> bool:
    return any(g["slug"] == slug and g["id"] != except_id for g in location_records(call, "calendar_groups"))


def check_slug(call: Call, slug: str, except_id: str | None = None) -> None:
    if not SLUG_PATTERN.match(slug):
        raise unprocessable("slug must contain only lowercase letters, digits and hyphens")
    if slug_taken(call, slug, except_id):
        raise unprocessable(f"slug {slug!r} is already in use by another group")


@handles("list_calendar_groups")
def list_calendar_groups(call: Call) -> dict:
    return {"groups": [public(g) for g in location_records(call, "calendar_groups")]}


@handles("create_calendar_group")
def create_calendar_group(call: Call) -> dict:
    data = check_body(call)
    check_slug(call, data["slug"])
    group = call.state.insert("calendar_groups", {
        "id": call.state.new_id(), "locationId": call.location_id, "name": data["name"],
        "description": data["description"], "slug": data["slug"], "isActive": data.get("isActive", True),
    })
    return {"group": public(group)}


@handles("update_calendar_group")
def update_calendar_group(call: Call) -> dict:
    group = call.record("calendar_groups", call.path["groupId"], "Group")
    data = check_body(call)
    check_slug(call, data["slug"], except_id=group["id"])
    group.update(name=data["name"], description=data["description"], slug=data["slug"])
    return {"group": public(group)}


@handles("update_calendar_group_status")
def update_calendar_group_status(call: Call) -> dict:
    group = call.record("calendar_groups", call.path["groupId"], "Group")
    group["isActive"] = check_body(call)["isActive"]
    return {"success": True}


@handles("delete_calendar_group")
def delete_calendar_group(call: Call) -> dict:
    group = call.record("calendar_groups", call.path["groupId"], "Group")
    del call.table("calendar_groups")[group["id"]]
    # The group's calendars survive, ungrouped.
    for calendar in location_records(call, "calendars"):
        if calendar.get("groupId") == group["id"]:
            calendar.pop("groupId")
    return {"success": True}


@handles("validate_calendar_group_slug")
def validate_calendar_group_slug(call: Call) -> dict:
    slug = check_body(call)["slug"]
    return {"available": bool(SLUG_PATTERN.match(slug)) and not slug_taken(call, slug)}


# -- calendars -----------------------------------------------------------------------------------------
def calendar_defaults(name: str) -> dict:
    """What HighLevel fills in when a calendar is created without these settings (the DTO's defaults)."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return {
        "isActive": True, "description": "", "slug": slug, "widgetSlug": slug, "calendarType": "event",
        "eventType": "RoundRobin_OptimizeForAvailability", "widgetType": "classic",
        "eventTitle": "{{contact.name}}", "eventColor": "#039be5", "teamMembers": [], "locationConfigurations": [],
        "slotDuration": 30, "slotDurationUnit": "mins", "slotInterval": 30, "slotIntervalUnit": "mins",
        "slotBuffer": 0, "preBuffer": 0, "appoinmentPerSlot": 1, "appoinmentPerDay": 0,
        "allowBookingAfter": 0, "allowBookingAfterUnit": "hours", "allowBookingFor": 30,
        "allowBookingForUnit": "days", "openHours": [office_hours(WEEKDAYS, 9, 17)], "enableRecurring": False,
        "autoConfirm": True, "googleInvitationEmails": False, "allowReschedule": True, "allowCancellation": True,
        "formSubmitType": "ThankYouMessage", "formSubmitThanksMessage": "Thank you for your appointment request.",
        "availabilityType": 0, "availabilities": [], "notes": "",
    }


def office_hours(days: Iterable[int], open_hour: int, close_hour: int) -> dict:
    return {"daysOfTheWeek": list(days),
            "hours": [{"openHour": open_hour, "openMinute": 0, "closeHour": close_hour, "closeMinute": 0}]}


def team_member(user_id: str, primary: bool = False) -> dict:
    return {"userId": user_id, "priority": 0.5, "meetingLocationType": "custom", "isPrimary": primary}


def apply_calendar_settings(call: Call, calendar: dict, data: dict) -> None:
    if data.get("groupId"):
        call.record("calendar_groups", data["groupId"], "Group")
    members = data.get("teamMembers")
    if members is not None:
        problems = [f"teamMembers.{i}.userId must be a string" for i, m in enumerate(members)
                    if not isinstance(m, dict) or not isinstance(m.get("userId"), str) or not m["userId"]]
        if problems:
            raise unprocessable(*problems)
        known_users(call, [m["userId"] for m in members], "teamMembers")
        data = {**data, "teamMembers": [{**team_member(m["userId"]), **m} for m in members]}
    # Free slots step through these, so a zero or negative length would never end.
    problems = [f"{name} must not be less than 1" for name in ("slotDuration", "slotInterval")
                if isinstance(data.get(name), int | float) and data[name] < 1]
    problems += open_hours_problems(data.get("openHours") or [])
    if problems:
        raise unprocessable(*problems)
    settable = set(call.op.body.properties) - {"locationId", "meetingLocation"}
    calendar.update({k: v for k, v in data.items() if k in settable and v is not None})


def open_hours_problems(rules: list) -> list[str]:
    """What is wrong with an ``openHours`` list (``OpenHour``/``Hour`` of the spec: days 0-6, hours 0-23)."""
    problems = []
    limits = {"openHour": 23, "openMinute": 60, "closeHour": 23, "closeMinute": 60}
    for index, rule in enumerate(rules):
        where = f"openHours.{index}"
        if not isinstance(rule, dict) or not isinstance(rule.get("daysOfTheWeek"), list) \
                or not isinstance(rule.get("hours"), list):
            problems.append(f"{where} must have daysOfTheWeek and hours arrays")
            continue
        if not all(isinstance(d, int) and 0 <= d <= 6 for d in rule["daysOfTheWeek"]):
            problems.append(f"{where}.daysOfTheWeek must hold numbers from 0 (Sunday) to 6")
        for position, hours in enumerate(rule["hours"]):
            if not isinstance(hours, dict) or not all(
                    isinstance(hours.get(k), int) and 0 <= hours[k] <= top for k, top in limits.items()):
                problems.append(f"{where}.hours.{position} needs openHour, openMinute, closeHour, closeMinute "
                                "(hours 0-23, minutes 0-60)")
    return problems


@handles("list_calendars")
def list_calendars(call: Call) -> dict:
    group_id = call.query.get("groupId")
    # showDrafted defaults to true; a drafted calendar is one that is not active (yet).
    show_drafted = bool_query(call, "showDrafted") is not False
    calendars = [
        public(c) for c in location_records(call, "calendars")
        if (not group_id or c.get("groupId") == group_id) and (show_drafted or c.get("isActive", True))
    ]
    return {"calendars": calendars}


@handles("get_calendar")
def get_calendar(call: Call) -> dict:
    return {"calendar": public(call.record("calendars", call.path["calendarId"], "Calendar"))}


@handles("create_calendar")
def create_calendar(call: Call) -> dict:
    data = check_body(call)
    calendar = {"id": call.state.new_id(), "locationId": call.location_id, "name": data["name"],
                **calendar_defaults(data["name"])}
    apply_calendar_settings(call, calendar, data)
    if calendar["calendarType"] == "round_robin" and not calendar["teamMembers"]:
        raise unprocessable("teamMembers should not be empty for a round_robin calendar")
    call.state.insert("calendars", calendar)
    return {"calendar": public(calendar)}


@handles("update_calendar")
def update_calendar(call: Call) -> dict:
    calendar = call.record("calendars", call.path["calendarId"], "Calendar")
    apply_calendar_settings(call, calendar, check_body(call))
    return {"calendar": public(calendar)}


@handles("delete_calendar")
def delete_calendar(call: Call) -> dict:
    calendar = call.record("calendars", call.path["calendarId"], "Calendar")
    del call.table("calendars")[calendar["id"]]
    notifications = call.table("calendar_notifications")
    for notification_id in [n["id"] for n in notifications.values() if n["calendarId"] == calendar["id"]]:
        del notifications[notification_id]
    return {"success": True}


# -- free slots ----------------------------------------------------------------------------------------
def busy_intervals(state: SandboxState, calendar: dict, start_ms: int, end_ms: int, users: set[str],
                   except_event: str | None = None) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """(appointments, blocks) of the calendar touching the window; ``users`` narrows the appointments."""
    appointments, blocks = [], []
    for event in state.table("events").values():
        if event["calendarId"] != calendar["id"] or event["_end"] <= start_ms or event["_start"] >= end_ms:
            continue
        if event["id"] == except_event:
            continue
        if event.get("_block"):
            blocks.append((event["_start"], event["_end"]))
        elif event["appointmentStatus"] not in RELEASED_STATUSES and (
                not users or event.get("assignedUserId") in users):
            appointments.append((event["_start"], event["_end"]))
    return appointments, blocks


def free_slots(state: SandboxState, calendar: dict, start_ms: int, end_ms: int,
               users: set[str] | None = None, except_event: str | None = None) -> list[datetime]:
    """Free slot starts: open hours (in the location's time zone) stepped by the slot interval, minus what is
    booked or blocked. Like HighLevel, past slots are never free and a slot holds ``appoinmentPerSlot`` bookings.
    """
    zone = location_timezone(state, calendar["locationId"])
    duration = minutes(calendar.get("slotDuration") or 30, calendar.get("slotDurationUnit"))
    step = minutes(calendar.get("slotInterval") or calendar.get("slotDuration") or 30,
                   calendar.get("slotIntervalUnit"))
    capacity = calendar.get("appoinmentPerSlot") or 1
    duration_ms = int(duration.total_seconds() * 1000)
    appointments, blocks = busy_intervals(state, calendar, start_ms, end_ms + duration_ms, users or set(),
                                          except_event)
    earliest = max(start_ms, epoch_ms(state.now()))
    day = datetime.fromtimestamp(start_ms / 1000, zone).date()
    last_day = datetime.fromtimestamp(end_ms / 1000, zone).date()
    slots: list[datetime] = []
    while day <= last_day:
        weekday = (day.weekday() + 1) % 7  # HighLevel numbers days like JavaScript: 0 is Sunday
        midnight = datetime.combine(day, time(0), zone)
        for rule in calendar.get("openHours") or []:
            if weekday not in rule.get("daysOfTheWeek", ()):
                continue
            for hours in rule.get("hours", ()):
                moment = midnight + timedelta(hours=hours["openHour"], minutes=hours["openMinute"])
                closing = midnight + timedelta(hours=hours["closeHour"], minutes=hours["closeMinute"])
                while moment + duration <= closing:
                    slot_start = epoch_ms(moment)
                    slot_end = slot_start + duration_ms
                    if earliest <= slot_start <= end_ms \
                            and not any(s < slot_end and e > slot_start for s, e in blocks) \
                            and sum(s < slot_end and e > slot_start for s, e in appointments) < capacity:
                        slots.append(moment)
                    moment += step
        day += timedelta(days=1)
    return sorted(set(slots))


@handles("get_free_slots")
def get_free_slots(call: Call) -> dict:
    calendar = call.record("calendars", call.path["calendarId"], "Calendar")
    start_ms, end_ms = epoch_query(call, "startDate"), epoch_query(call, "endDate")
    if end_ms < start_ms:
        raise unprocessable("endDate must be after startDate")
    if end_ms - start_ms > MAX_SLOT_WINDOW_MS:
        raise unprocessable("Date range cannot be more than 31 days")
    # ``timezone`` only changes how the slots are written; open hours stay in the location's time zone.
    zone = location_timezone(call.state, calendar["locationId"])
    if call.query.get("timezone"):
        try:
            zone = ZoneInfo(call.query["timezone"])
        except (ZoneInfoNotFoundError, ValueError):
            raise unprocessable("timezone must be a valid IANA time zone") from None
    users = set(call.query_lists.get("userIds", [])) | set(call.query_lists.get("userIds[]", []))
    if call.query.get("userId"):
        users.add(call.query["userId"])
    # The spec's example answer has one key per day; days without a free slot are left out.
    days: dict[str, dict[str, list[str]]] = {}
    for slot in free_slots(call.state, calendar, start_ms, end_ms, users):
        local = slot.astimezone(zone)
        days.setdefault(local.date().isoformat(), {"slots": []})["slots"].append(local.isoformat())
    return days


# -- events: appointments and blocked slots ------------------------------------------------------------
def event_calendars(call: Call) -> set[str] | None:
    """The calendars a window query is about (``None``: any calendar, filtered by user instead)."""
    calendar_id, user_id, group_id = (call.query.get(k) for k in ("calendarId", "userId", "groupId"))
    if not (calendar_id or user_id or group_id):
        raise unprocessable("Either of calendarId, userId or groupId is required")
    if calendar_id:
        return {calendar_id}
    if group_id:
        return {c["id"] for c in location_records(call, "calendars") if c.get("groupId") == group_id}
    return None


def events_in_window(call: Call, blocks: bool) -> dict:
    start_ms, end_ms = epoch_query(call, "startTime"), epoch_query(call, "endTime")
    calendars = event_calendars(call)
    user_id = call.query.get("userId")
    # An event is in the window when it overlaps it: it ends after startTime and starts by endTime.
    events = [
        e for e in location_records(call, "events")
        if bool(e.get("_block")) == blocks and e["_end"] > start_ms and e["_start"] <= end_ms
        and (calendars is None or e["calendarId"] in calendars)
        and (not user_id or e.get("assignedUserId") == user_id or user_id in e.get("users", ()))
    ]
    events.sort(key=lambda e: (e["_start"], e["id"]))
    return {"events": [public(e) for e in events]}


@handles("list_calendar_events")
def list_calendar_events(call: Call) -> dict:
    return events_in_window(call, blocks=False)


@handles("list_blocked_slots")
def list_blocked_slots(call: Call) -> dict:
    return events_in_window(call, blocks=True)


def event_record(call: Call, event_id: str, kind: str | None = None) -> dict:
    """An event of this location; ``kind`` ``"appointment"``/``"block"`` also insists on its kind."""
    what = {"block": "Block slot", None: "Event"}.get(kind, "Appointment")
    event = call.record("events", event_id, what)
    if kind is not None and bool(event.get("_block")) != (kind == "block"):
        raise not_found(what)
    return event


def ensure_bookable(call: Call, calendar: dict, event: dict, data: dict) -> None:
    """HighLevel refuses a start time that is not a free slot, unless ``ignoreFreeSlotValidation`` is set."""
    if data.get("ignoreFreeSlotValidation"):
        return
    start_ms = event["_start"]
    slots = free_slots(call.state, calendar, start_ms, start_ms, except_event=event["id"])
    if start_ms not in {epoch_ms(slot) for slot in slots}:
        raise bad_request("The slot you have selected is no longer available.")


def place_appointment(call: Call, event: dict, data: dict, calendar: dict) -> None:
    """Apply calendar, times and fields of a create/update body to ``event`` (times checked against slots)."""
    start = body_time(data, "startTime")
    end = body_time(data, "endTime")
    moved = start is not None or end is not None or calendar["id"] != event.get("calendarId")
    if start is None:
        start = datetime.fromtimestamp(event["_start"] / 1000, UTC)
    if end is None:
        length = (event["_end"] - event["_start"]) if "_end" in event else None
        end = start + (timedelta(milliseconds=length) if length else
                       minutes(calendar.get("slotDuration") or 30, calendar.get("slotDurationUnit")))
    candidate = {**event}
    set_times(candidate, start, end)
    candidate["calendarId"] = calendar["id"]
    if moved:
        ensure_bookable(call, calendar, candidate, data)
    candidate["groupId"] = calendar.get("groupId", "")
    candidate.update({k: data[k] for k in APPOINTMENT_STORED_FIELDS if data.get(k) is not None})
    if data.get("rrule"):
        candidate["isRecurring"] = True
    if not candidate.get("assignedUserId") and calendar.get("teamMembers"):
        candidate["assignedUserId"] = calendar["teamMembers"][0]["userId"]
    candidate["users"] = [candidate["assignedUserId"]] if candidate.get("assignedUserId") else []
    candidate["dateUpdated"] = call.now()
    event.update(candidate)


@handles("get_appointment")
def get_appointment(call: Call) -> dict:
    return {"event": public(event_record(call, call.path["eventId"]))}


@handles("create_appointment")
def create_appointment(call: Call) -> dict:
    data = check_body(call)
    calendar = call.record("calendars", data["calendarId"], "Calendar")
    contact = call.table("contacts").get(data["contactId"])
    if contact is None or contact.get("locationId", call.location_id) != call.location_id:
        raise unprocessable("contactId must be the id of a contact of this location")
    if data.get("assignedUserId"):
        known_users(call, [data["assignedUserId"]], "assignedUserId")
    now = call.now()
    event = {
        "id": call.state.new_id(), "locationId": call.location_id, "contactId": data["contactId"],
        "title": data.get("title") or contact.get("contactName") or calendar["name"], "address": "",
        "appointmentStatus": "confirmed" if calendar.get("autoConfirm", True) else "new",
        "meetingLocationType": "default", "assignedUserId": "", "notes": "", "isRecurring": False,
        "dateAdded": now, "createdBy": {"source": "third_party"},
    }
    place_appointment(call, event, data, calendar)
    call.state.insert("events", event)
    return pick(event, call.op.record_fields)


@handles("update_appointment")
def update_appointment(call: Call) -> dict:
    event = event_record(call, call.path["eventId"], "appointment")
    data = check_body(call)
    if data.get("assignedUserId"):
        known_users(call, [data["assignedUserId"]], "assignedUserId")
    calendar = call.record("calendars", data.get("calendarId") or event["calendarId"], "Calendar")
    place_appointment(call, event, data, calendar)
    return pick(event, call.op.record_fields)


@handles("delete_calendar_event")
def delete_calendar_event(call: Call) -> dict:
    event = event_record(call, call.path["eventId"])
    del call.table("events")[event["id"]]
    notes = call.table("appointment_notes")
    for note_id in [n["id"] for n in notes.values() if n["_appointmentId"] == event["id"]]:
        del notes[note_id]
    return {"succeeded": True}


def block_slot(call: Call, event: dict) -> dict:
    """Apply a create/update body to a blocked slot. The spec's text says "calendarId or assignedUserId, not both"
    but its schema requires calendarId, so both are accepted (a user's block on one calendar)."""
    data = check_body(call)
    calendar = call.record("calendars", data["calendarId"], "Calendar")
    if data.get("assignedUserId"):
        known_users(call, [data["assignedUserId"]], "assignedUserId")
    start = body_time(data, "startTime") or (
        datetime.fromtimestamp(event["_start"] / 1000, UTC) if "_start" in event else None)
    end = body_time(data, "endTime") or (datetime.fromtimestamp(event["_end"] / 1000, UTC) if "_end" in event else None)
    require_fields({"startTime": start, "endTime": end}, "startTime", "endTime")
    set_times(event, start, end)
    event.update(calendarId=calendar["id"], groupId=calendar.get("groupId", ""), dateUpdated=call.now())
    for name in ("title", "assignedUserId"):
        if data.get(name) is not None:
            event[name] = data[name]
    event["users"] = [event["assignedUserId"]] if event.get("assignedUserId") else []
    return pick(event, call.op.record_fields)


def new_block(state: SandboxState, location_id: str, added: str) -> dict:
    # A blocked slot is an event too: the list answer's schema requires the appointment fields, so they are empty.
    return {"id": state.new_id(), "locationId": location_id, "title": "", "contactId": "", "groupId": "",
            "appointmentStatus": "", "assignedUserId": "", "users": [], "notes": "", "address": "",
            "isRecurring": False, "dateAdded": added, "dateUpdated": added, "_block": True}


@handles("create_block_slot")
def create_block_slot(call: Call) -> dict:
    event = new_block(call.state, call.location_id, call.now())
    answer = block_slot(call, event)
    call.state.insert("events", event)
    return answer


@handles("update_block_slot")
def update_block_slot(call: Call) -> dict:
    event = event_record(call, call.path["eventId"], "block")
    candidate = {**event}
    answer = block_slot(call, candidate)
    event.update(candidate)
    return answer


# -- appointment notes ---------------------------------------------------------------------------------
def appointment_note(call: Call) -> dict:
    event = event_record(call, call.path["appointmentId"], "appointment")
    note = call.table("appointment_notes").get(call.path["noteId"])
    if note is None or note["_appointmentId"] != event["id"]:
        raise not_found("Note")
    return note


def note_author(call: Call, user_id: str | None) -> dict:
    if not user_id:
        return {}
    known_users(call, [user_id], "userId")
    user = call.table("users")[user_id]
    name = user.get("name") or " ".join(filter(None, (user.get("firstName"), user.get("lastName"))))
    return {"id": user_id, "name": name}


@handles("list_appointment_notes")
def list_appointment_notes(call: Call) -> dict:
    event = event_record(call, call.path["appointmentId"], "appointment")
    offset = call.int_query("offset")
    limit = call.int_query("limit", minimum=1, maximum=NOTES_MAX_LIMIT)
    notes = by_newest(n for n in call.table("appointment_notes").values() if n["_appointmentId"] == event["id"])
    return {"notes": [public(n) for n in notes[offset: offset + limit]], "hasMore": offset + limit < len(notes)}


@handles("create_appointment_note")
def create_appointment_note(call: Call) -> dict:
    event = event_record(call, call.path["appointmentId"], "appointment")
    data = check_body(call)
    author = note_author(call, data.get("userId"))
    note = call.state.insert("appointment_notes", {
        "id": call.state.new_id(), "body": data["body"], "userId": data.get("userId") or "",
        "dateAdded": call.now(), "contactId": event["contactId"], "createdBy": author,
        "_appointmentId": event["id"],
    })
    return {"note": public(note)}


@handles("update_appointment_note")
def update_appointment_note(call: Call) -> dict:
    note = appointment_note(call)
    data = check_body(call)
    if data.get("userId"):
        note.update(userId=data["userId"], createdBy=note_author(call, data["userId"]))
    note["body"] = data["body"]
    return {"note": public(note)}


@handles("delete_appointment_note")
def delete_appointment_note(call: Call) -> dict:
    del call.table("appointment_notes")[appointment_note(call)["id"]]
    return {"success": True}


# -- calendar notifications ----------------------------------------------------------------------------
def notification_view(record: dict) -> dict:
    """HighLevel answers notifications with a Mongo-style ``_id``."""
    view = public(record)
    view["_id"] = view.pop("id")
    return view


def calendar_notification(call: Call) -> dict:
    calendar = call.record("calendars", call.path["calendarId"], "Calendar")
    notification = call.table("calendar_notifications").get(call.path["notificationId"])
    if notification is None or notification["calendarId"] != calendar["id"]:
        raise not_found("Notification")
    return notification


def bool_query(call: Call, name: str) -> bool | None:
    raw = call.query.get(name)
    if raw in (None, ""):
        return None
    if raw.lower() not in ("true", "false"):
        raise unprocessable(f"{name} must be a boolean value")
    return raw.lower() == "true"


@handles("list_calendar_notifications")
def list_calendar_notifications(call: Call) -> list:
    calendar = call.record("calendars", call.path["calendarId"], "Calendar")
    is_active, deleted = bool_query(call, "isActive"), bool_query(call, "deleted")
    skip = call.int_query("skip", 0)
    limit = call.int_query("limit", NOTIFICATIONS_DEFAULT_LIMIT, minimum=1, maximum=call.op.pagination["max_limit"])
    # Soft-deleted notifications (``deleted: true``) only show when asked for.
    matches = [
        n for n in call.table("calendar_notifications").values()
        if n["calendarId"] == calendar["id"] and n["deleted"] == bool(deleted)
        and (is_active is None or n["isActive"] == is_active)
    ]
    return [notification_view(n) for n in matches[skip: skip + limit]]


@handles("get_calendar_notification")
def get_calendar_notification(call: Call) -> dict:
    return notification_view(calendar_notification(call))


@handles("create_calendar_notification")
def create_calendar_notification(call: Call) -> list:
    calendar = call.record("calendars", call.path["calendarId"], "Calendar")
    if not isinstance(call.body, list) or not call.body:
        raise unprocessable("body must be a non-empty array of notifications")
    problems = []
    for index, item in enumerate(call.body):
        if not isinstance(item, dict):
            problems.append(f"{index} must be an object")
            continue
        problems += [f"{index}.{name} should not be empty" for name in ("receiverType", "channel", "notificationType")
                     if item.get(name) in (None, "")]
        try:
            check_fields(item, NOTIFICATION_FIELDS, prefix=f"{index}.")
        except ApiError as error:
            problems += error.message
    if problems:
        raise unprocessable(*problems)
    created = [call.state.insert("calendar_notifications", new_notification(
        call.state.new_id(), calendar, {k: v for k, v in item.items() if k in NOTIFICATION_FIELDS}))
        for item in call.body]
    return [notification_view(n) for n in created]


def new_notification(notification_id: str, calendar: dict, fields: dict) -> dict:
    return {"id": notification_id, "calendarId": calendar["id"], "locationId": calendar["locationId"],
            "isActive": True, "deleted": False, "additionalEmailIds": [], "additionalPhoneNumbers": [],
            "selectedUsers": [], "afterTime": [], "beforeTime": [], **fields}


@handles("update_calendar_notification")
def update_calendar_notification(call: Call) -> dict:
    notification = calendar_notification(call)
    data = check_body(call)
    notification.update({k: v for k, v in data.items() if k in NOTIFICATION_FIELDS and v is not None})
    return {"message": "Notification updated successfully"}


@handles("delete_calendar_notification")
def delete_calendar_notification(call: Call) -> dict:
    del call.table("calendar_notifications")[calendar_notification(call)["id"]]
    return {"message": "Notification deleted successfully"}


# -- calendar resources (rooms and equipment) ----------------------------------------------------------
def resource_type(call: Call) -> str:
    kind = call.path["resourceType"]
    if kind not in RESOURCE_TYPES:
        raise unprocessable(f"resourceType must be one of the following values: {', '.join(RESOURCE_TYPES)}")
    return kind


def calendar_resource(call: Call) -> dict:
    kind = resource_type(call)
    resource = call.record("calendar_resources", call.path["id"], "Resource")
    if resource["resourceType"] != kind:
        raise not_found("Resource")
    return resource


def check_resource(call: Call, kind: str, data: dict) -> None:
    problems = [f"{name} must not be less than 0" for name in ("quantity", "outOfService", "capacity")
                if isinstance(data.get(name), int | float) and data[name] < 0]
    calendar_ids = data.get("calendarIds")
    if calendar_ids is not None:
        calendars = call.table("calendars")
        unknown = [c for c in calendar_ids if calendars.get(c, {}).get("locationId") != call.location_id]
        if unknown:
            problems.append(f"calendarIds contains unknown calendars: {', '.join(map(str, unknown))}")
        if kind == "equipments" and len(calendar_ids) > 1:
            problems.append("calendarIds: one equipment can only be mapped with one service calendar")
    if problems:
        raise unprocessable(*problems)


@handles("list_calendar_resources")
def list_calendar_resources(call: Call) -> list:
    kind = resource_type(call)
    skip = call.int_query("skip")
    limit = call.int_query("limit", minimum=1, maximum=call.op.pagination["max_limit"])
    resources = [public(r) for r in location_records(call, "calendar_resources") if r["resourceType"] == kind]
    return resources[skip: skip + limit]


@handles("get_calendar_resource")
def get_calendar_resource(call: Call) -> dict:
    return public(calendar_resource(call))


@handles("create_calendar_resource")
def create_calendar_resource(call: Call) -> dict:
    kind = resource_type(call)
    data = check_body(call)
    check_resource(call, kind, data)
    # The spec's resource answer has no id field; HighLevel's carries one, or nobody could address the resource.
    resource = call.state.insert("calendar_resources", {
        "id": call.state.new_id(), "locationId": call.location_id, "resourceType": kind, "isActive": True,
        **pick(data, ("name", "description", "quantity", "outOfService", "capacity", "calendarIds")),
    })
    return public(resource)


@handles("update_calendar_resource")
def update_calendar_resource(call: Call) -> dict:
    resource = calendar_resource(call)
    data = check_body(call)
    check_resource(call, resource["resourceType"], data)
    resource.update({k: v for k, v in data.items() if k != "locationId" and v is not None
                     and k in call.op.body.properties})
    return public(resource)


@handles("delete_calendar_resource")
def delete_calendar_resource(call: Call) -> dict:
    del call.table("calendar_resources")[calendar_resource(call)["id"]]
    return {"success": True}


# -- seed ----------------------------------------------------------------------------------------------
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
