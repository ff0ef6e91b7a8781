"""Appointment notes, newest first, paged by offset and limit."""

from __future__ import annotations

from airflow_provider_ghl.sandbox.areas.calendars.common import by_newest, check_body, known_users
from airflow_provider_ghl.sandbox.areas.calendars.events import event_record
from airflow_provider_ghl.sandbox.errors import not_found
from airflow_provider_ghl.sandbox.records import public
from airflow_provider_ghl.sandbox.routing import Call, handles

# The spec caps the appointment-notes page at 20 (``limit`` maximum: 20), below the catalog's generic 100.
NOTES_MAX_LIMIT = 20


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
