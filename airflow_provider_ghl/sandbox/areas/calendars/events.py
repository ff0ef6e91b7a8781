"""Events: appointments (booked into free slots) and blocked slots, and the window queries that list them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from airflow_provider_ghl.sandbox.areas.calendars.common import (
    body_time,
    check_body,
    epoch_query,
    known_users,
    location_records,
    minutes,
    set_times,
)
from airflow_provider_ghl.sandbox.areas.calendars.slots import free_slots
from airflow_provider_ghl.sandbox.errors import bad_request, not_found, unprocessable
from airflow_provider_ghl.sandbox.records import public
from airflow_provider_ghl.sandbox.routing import Call, handles, pick, require_fields
from airflow_provider_ghl.sandbox.state import epoch_ms
from airflow_provider_ghl.sandbox.versions import answer_fields

if TYPE_CHECKING:
    from airflow_provider_ghl.sandbox.state import SandboxState

# Appointment fields a client may set; the other body flags steer the booking and are not stored.
APPOINTMENT_STORED_FIELDS = (
    "title", "meetingLocationType", "meetingLocationId", "appointmentStatus", "assignedUserId", "description",
    "address", "rrule",
)


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
    return pick(event, answer_fields(call.op, call.form))


@handles("update_appointment")
def update_appointment(call: Call) -> dict:
    event = event_record(call, call.path["eventId"], "appointment")
    data = check_body(call)
    if data.get("assignedUserId"):
        known_users(call, [data["assignedUserId"]], "assignedUserId")
    calendar = call.record("calendars", data.get("calendarId") or event["calendarId"], "Calendar")
    place_appointment(call, event, data, calendar)
    return pick(event, answer_fields(call.op, call.form))


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
    return pick(event, answer_fields(call.op, call.form))


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
