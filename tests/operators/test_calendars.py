"""Every calendars operator against the sandbox: its effect is checked through the API, bad input and missing
scopes fail before any request is sent."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from airflow_provider_ghl import links
from airflow_provider_ghl.exceptions import GHLInputError, GHLScopeError
from airflow_provider_ghl.operators import calendars
from airflow_provider_ghl.operators.base import GHLOperator
from tests.conftest import task_context
from tests.coverage import Exercised

AREA = "calendars"
VERSION = "2021-04-15"
EXERCISED = Exercised("A", {AREA})


# -- helpers -------------------------------------------------------------------------------------------
def run(operator: GHLOperator) -> Any:
    """Execute an operator as a task would, and count its class as exercised."""
    EXERCISED.add(operator)
    return operator.execute(task_context(operator.task_id))


def requests_sent(sandbox) -> int:
    return sandbox.stats().get("requests", 0)


def ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


@pytest.fixture
def ghl(fresh_sandbox, ghl_connections, api):
    """GET a calendars endpoint with the full token; returns (status, JSON)."""

    def get(path: str, **params: Any) -> tuple[int, Any]:
        response = api("GET", path, version=VERSION, params=params or None)
        return response.status_code, response.json()

    get.sandbox = fresh_sandbox
    get.location_id = fresh_sandbox.location_id
    return get


def groups(ghl) -> dict[str, dict]:
    return {g["id"]: g for g in ghl("/calendars/groups", locationId=ghl.location_id)[1]["groups"]}


def calendar_named(ghl, name: str) -> dict:
    return next(c for c in ghl("/calendars/", locationId=ghl.location_id)[1]["calendars"] if c["name"] == name)


def a_contact_id(ghl) -> str:
    return next(c["id"] for c in ghl.sandbox.control("GET", "tables/contacts") if c.get("locationId") == ghl.location_id)


def free_slots(ghl, calendar_id: str, days: int = 7) -> list[str]:
    start = datetime.now(UTC) + timedelta(days=1)
    status, body = ghl(f"/calendars/{calendar_id}/free-slots", startDate=ms(start),
                       endDate=ms(start + timedelta(days=days)))
    assert status == 200, body
    return [slot for day in sorted(body) for slot in body[day]["slots"]]


def an_appointment_id(ghl) -> str:
    """A seeded appointment (blocked slots have no contact)."""
    return next(e["id"] for e in ghl.sandbox.control("GET", "tables/events") if e.get("contactId"))


def window(moment: datetime, hours: int = 24) -> dict[str, int]:
    return {"startTime": ms(moment - timedelta(hours=hours)), "endTime": ms(moment + timedelta(hours=hours))}


# -- groups --------------------------------------------------------------------------------------------
def test_calendar_group_lifecycle(ghl):
    slug = "airflow-team"
    free = run(calendars.GHLValidateCalendarGroupSlugOperator(task_id="validate", body={"slug": slug}))
    assert free == {"available": True}

    created = run(calendars.GHLCreateCalendarGroupOperator(
        task_id="create", body={"name": "Airflow team", "description": "Made by a DAG", "slug": slug}))
    group_id = created["group"]["id"]
    assert groups(ghl)[group_id]["name"] == "Airflow team"
    taken = run(calendars.GHLValidateCalendarGroupSlugOperator(task_id="validate_again", body={"slug": slug}))
    assert taken == {"available": False}

    run(calendars.GHLUpdateCalendarGroupOperator(
        task_id="update", group_id=group_id,
        body={"name": "Airflow crew", "description": "Renamed", "slug": "airflow-crew"}))
    assert {k: groups(ghl)[group_id][k] for k in ("name", "description", "slug")} == {
        "name": "Airflow crew", "description": "Renamed", "slug": "airflow-crew"}

    run(calendars.GHLUpdateCalendarGroupStatusOperator(task_id="disable", group_id=group_id,
                                                       body={"isActive": False}))
    assert groups(ghl)[group_id]["isActive"] is False

    deleted = run(calendars.GHLDeleteCalendarGroupOperator(task_id="delete", group_id=group_id))
    assert deleted["deleted"] is True and deleted["group_id"] == group_id
    assert group_id not in groups(ghl)


# -- calendars -----------------------------------------------------------------------------------------
def test_calendar_lifecycle(ghl):
    group_id = next(iter(groups(ghl)))
    hours = [{"daysOfTheWeek": [1, 2, 3, 4, 5], "hours": [
        {"openHour": 8, "openMinute": 0, "closeHour": 12, "closeMinute": 0}]}]
    created = run(calendars.GHLCreateCalendarOperator(task_id="create", body={
        "name": "Airflow Intro Call", "groupId": group_id, "slotDuration": 15, "openHours": hours}))
    calendar_id = created["calendar"]["id"]
    status, found = ghl(f"/calendars/{calendar_id}")
    assert status == 200
    assert {k: found["calendar"][k] for k in ("name", "groupId", "slotDuration", "openHours")} == {
        "name": "Airflow Intro Call", "groupId": group_id, "slotDuration": 15, "openHours": hours}

    run(calendars.GHLUpdateCalendarOperator(task_id="update", calendar_id=calendar_id,
                                            body={"name": "Airflow Deep Dive", "slotDuration": 45}))
    calendar = ghl(f"/calendars/{calendar_id}")[1]["calendar"]
    assert (calendar["name"], calendar["slotDuration"]) == ("Airflow Deep Dive", 45)

    run(calendars.GHLDeleteCalendarOperator(task_id="delete", calendar_id=calendar_id))
    assert ghl(f"/calendars/{calendar_id}")[0] == 404


# -- appointments and block slots ----------------------------------------------------------------------
def test_appointment_lifecycle_with_record_links(ghl):
    calendar = calendar_named(ghl, "Consultation")
    first, second = free_slots(ghl, calendar["id"])[:2]
    create = calendars.GHLCreateAppointmentOperator(task_id="book", body={
        "calendarId": calendar["id"], "contactId": a_contact_id(ghl), "startTime": first, "title": "Airflow intro"})
    created = run(create)
    event_id = created["id"]
    event = ghl(f"/calendars/events/appointments/{event_id}")[1]["event"]
    assert (event["title"], event["calendarId"]) == ("Airflow intro", calendar["id"])
    assert datetime.fromisoformat(event["startTime"].replace("Z", "+00:00")) == datetime.fromisoformat(first)
    # The "View in HighLevel" link points at the appointment in the location's calendar view.
    app_url = json.loads(os.environ["AIRFLOW_CONN_GHL_DEFAULT"])["extra"].get("app_url", links.DEFAULT_APP_URL)
    expected_url = f"{app_url}/v2/location/{ghl.location_id}/calendars/view?eventId={event_id}"
    assert create.ghl_record_url == expected_url
    assert [link.name for link in create.operator_extra_links] == ["View in HighLevel"]
    assert create.operator_extra_links[0].get_link(create, ti_key=None) == expected_url
    # The booked slot is no longer offered.
    assert first not in free_slots(ghl, calendar["id"])

    update = calendars.GHLUpdateAppointmentOperator(task_id="move", event_id=event_id, body={
        "startTime": second, "appointmentStatus": "confirmed", "title": "Airflow intro (moved)"})
    run(update)
    event = ghl(f"/calendars/events/appointments/{event_id}")[1]["event"]
    assert (event["title"], event["appointmentStatus"]) == ("Airflow intro (moved)", "confirmed")
    assert datetime.fromisoformat(event["startTime"].replace("Z", "+00:00")) == datetime.fromisoformat(second)
    assert update.ghl_record_url == expected_url

    delete = calendars.GHLDeleteCalendarEventOperator(task_id="delete", event_id=event_id)
    deleted = run(delete)
    assert deleted["deleted"] is True and deleted["event_id"] == event_id
    assert delete.ghl_record_url == expected_url
    assert ghl(f"/calendars/events/appointments/{event_id}")[0] == 404


def test_block_slot_lifecycle(ghl):
    calendar = calendar_named(ghl, "Consultation")
    slot = free_slots(ghl, calendar["id"])[0]
    start = datetime.fromisoformat(slot)
    created = run(calendars.GHLCreateBlockSlotOperator(task_id="block", body={
        "calendarId": calendar["id"], "title": "Dentist", "startTime": slot,
        "endTime": (start + timedelta(hours=1)).isoformat()}))
    block_id = created["id"]

    def blocks() -> dict[str, dict]:
        query = {"locationId": ghl.location_id, "calendarId": calendar["id"], **window(start)}
        return {e["id"]: e for e in ghl("/calendars/blocked-slots", **query)[1]["events"]}

    assert blocks()[block_id]["title"] == "Dentist"
    assert slot not in free_slots(ghl, calendar["id"])

    run(calendars.GHLUpdateBlockSlotOperator(task_id="update", event_id=block_id, body={
        "calendarId": calendar["id"], "title": "Dentist (long)", "endTime": (start + timedelta(hours=2)).isoformat()}))
    block = blocks()[block_id]
    assert block["title"] == "Dentist (long)"
    assert datetime.fromisoformat(block["endTime"].replace("Z", "+00:00")) == start + timedelta(hours=2)

    run(calendars.GHLDeleteCalendarEventOperator(task_id="unblock", event_id=block_id))
    assert block_id not in blocks()
    assert slot in free_slots(ghl, calendar["id"])


# -- appointment notes ---------------------------------------------------------------------------------
def test_appointment_note_lifecycle(ghl):
    appointment_id = an_appointment_id(ghl)

    def notes() -> dict[str, dict]:
        # Newest first: a note made now is on the first page.
        return {n["id"]: n for n in ghl(f"/calendars/appointments/{appointment_id}/notes", limit=20, offset=0)[1]["notes"]}

    create = calendars.GHLCreateAppointmentNoteOperator(task_id="note", appointment_id=appointment_id,
                                                        body={"body": "Wants the annual plan."})
    note_id = run(create)["note"]["id"]
    assert notes()[note_id]["body"] == "Wants the annual plan."
    # The link shows the appointment the note belongs to, not the note.
    assert create.ghl_record_url.endswith(f"calendars/view?eventId={appointment_id}")

    run(calendars.GHLUpdateAppointmentNoteOperator(task_id="edit", appointment_id=appointment_id, note_id=note_id,
                                                   body={"body": "Signed the annual plan."}))
    assert notes()[note_id]["body"] == "Signed the annual plan."

    run(calendars.GHLDeleteAppointmentNoteOperator(task_id="drop", appointment_id=appointment_id, note_id=note_id))
    assert note_id not in notes()


# -- notifications -------------------------------------------------------------------------------------
def test_calendar_notification_lifecycle(ghl):
    calendar_id = calendar_named(ghl, "Product Demo")["id"]
    before = {n["_id"] for n in ghl(f"/calendars/{calendar_id}/notifications")[1]}
    created = run(calendars.GHLCreateCalendarNotificationOperator(task_id="notify", calendar_id=calendar_id, body=[
        {"receiverType": "contact", "channel": "email", "notificationType": "confirmation",
         "subject": "You're in", "body": "See you at the demo"},
        {"receiverType": "assignedUser", "channel": "inApp", "notificationType": "booked"},
    ]))
    new_ids = [n["_id"] for n in created]
    listed = {n["_id"]: n for n in ghl(f"/calendars/{calendar_id}/notifications")[1]}
    assert set(listed) == before | set(new_ids)
    assert [listed[i]["notificationType"] for i in new_ids] == ["confirmation", "booked"]

    email_id = new_ids[0]
    run(calendars.GHLUpdateCalendarNotificationOperator(
        task_id="edit", calendar_id=calendar_id, notification_id=email_id,
        body={"subject": "Your demo is confirmed", "isActive": False}))
    status, notification = ghl(f"/calendars/{calendar_id}/notifications/{email_id}")
    assert status == 200
    assert (notification["subject"], notification["isActive"]) == ("Your demo is confirmed", False)

    run(calendars.GHLDeleteCalendarNotificationOperator(task_id="drop", calendar_id=calendar_id,
                                                        notification_id=email_id))
    assert ghl(f"/calendars/{calendar_id}/notifications/{email_id}")[0] == 404


# -- resources -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("resource_type", ["rooms", "equipments"])
def test_calendar_resource_lifecycle(ghl, resource_type):
    calendar_id = calendar_named(ghl, "Group Workshop")["id"]
    created = run(calendars.GHLCreateCalendarResourceOperator(task_id="create", resource_type=resource_type, body={
        "name": "Studio B", "description": "Airflow-made", "quantity": 2, "outOfService": 0, "capacity": 12,
        "calendarIds": [calendar_id]}))
    resource_id = created["id"]
    status, resource = ghl(f"/calendars/resources/{resource_type}/{resource_id}")
    assert status == 200
    assert (resource["name"], resource["quantity"], resource["calendarIds"]) == ("Studio B", 2, [calendar_id])
    listed = ghl(f"/calendars/resources/{resource_type}", locationId=ghl.location_id, limit=100, skip=0)[1]
    assert resource_id in {r["id"] for r in listed}

    run(calendars.GHLUpdateCalendarResourceOperator(task_id="update", resource_type=resource_type,
                                                    resource_id=resource_id, body={"name": "Studio C", "quantity": 3}))
    resource = ghl(f"/calendars/resources/{resource_type}/{resource_id}")[1]
    assert (resource["name"], resource["quantity"]) == ("Studio C", 3)

    run(calendars.GHLDeleteCalendarResourceOperator(task_id="delete", resource_type=resource_type,
                                                    resource_id=resource_id))
    assert ghl(f"/calendars/resources/{resource_type}/{resource_id}")[0] == 404


# -- bad input and missing scopes: refused before any request ------------------------------------------
A_DAY = "2030-01-07T10:00:00-06:00"
BAD_INPUT = [
    # (operator, arguments, the field the error must name): one or more per family
    (calendars.GHLCreateCalendarGroupOperator, {"body": {"name": "Sales", "description": "x"}}, "slug"),
    (calendars.GHLUpdateCalendarGroupOperator, {"body": {"name": "a", "description": "b", "slug": "c"}}, "group_id"),
    (calendars.GHLUpdateCalendarGroupStatusOperator, {"group_id": "g1", "body": {"isActive": "no"}}, "isActive"),
    (calendars.GHLValidateCalendarGroupSlugOperator, {"body": {"slug": "a", "name": "b"}}, "name"),
    (calendars.GHLCreateCalendarOperator, {"body": {"slotDuration": 30}}, "name"),
    (calendars.GHLUpdateCalendarOperator, {"calendar_id": "c1", "body": {"slotDuration": "30"}}, "slotDuration"),
    (calendars.GHLDeleteCalendarOperator, {"calendar_id": ""}, "calendar_id"),
    (calendars.GHLCreateAppointmentOperator,
     {"body": {"calendarId": "c1", "contactId": "p1", "startTime": A_DAY, "colour": "red"}}, "colour"),
    (calendars.GHLCreateAppointmentOperator, {"body": {"calendarId": "c1", "startTime": A_DAY}}, "contactId"),
    (calendars.GHLUpdateAppointmentOperator, {"body": {"title": "x"}}, "event_id"),
    (calendars.GHLDeleteCalendarEventOperator, {"event_id": 12.5}, "event_id"),
    (calendars.GHLCreateBlockSlotOperator, {"body": {"startTime": A_DAY}}, "calendarId"),
    (calendars.GHLUpdateBlockSlotOperator, {"event_id": "e1", "body": {"calendarId": ["c1"]}}, "calendarId"),
    (calendars.GHLCreateAppointmentNoteOperator, {"appointment_id": "a1", "body": {"userId": "u1"}}, "body"),
    (calendars.GHLUpdateAppointmentNoteOperator, {"appointment_id": "a1", "body": {"body": "x"}}, "note_id"),
    (calendars.GHLDeleteAppointmentNoteOperator, {"note_id": "n1"}, "appointment_id"),
    (calendars.GHLCreateCalendarNotificationOperator,
     {"calendar_id": "c1", "body": {"receiverType": "contact", "channel": "email"}}, "body must be a list"),
    (calendars.GHLUpdateCalendarNotificationOperator,
     {"calendar_id": "c1", "notification_id": "n1", "body": {"isActive": "yes"}}, "isActive"),
    (calendars.GHLDeleteCalendarNotificationOperator, {"calendar_id": "c1"}, "notification_id"),
    (calendars.GHLCreateCalendarResourceOperator, {"resource_type": "rooms", "body": {
        "name": "A", "description": "B", "quantity": "two", "outOfService": 0, "capacity": 1, "calendarIds": []}},
     "quantity"),
    (calendars.GHLCreateCalendarResourceOperator, {"body": {
        "name": "A", "description": "B", "quantity": 1, "outOfService": 0, "capacity": 1, "calendarIds": []}},
     "resource_type"),
    (calendars.GHLUpdateCalendarResourceOperator, {"resource_type": "rooms", "resource_id": "r1",
                                                   "body": {"seats": 4}}, "seats"),
    (calendars.GHLDeleteCalendarResourceOperator, {"resource_type": "rooms"}, "resource_id"),
]


@pytest.mark.parametrize(("operator_class", "arguments", "field"), BAD_INPUT,
                         ids=[f"{c.__name__}-{f}" for c, _, f in BAD_INPUT])
def test_bad_input_is_refused_before_any_request(sandbox, ghl_connections, operator_class, arguments, field):
    before = requests_sent(sandbox)
    # Literal arguments are checked when the DAG is parsed; a missing path argument is a required keyword
    # argument, which Airflow itself refuses (after trying default_args)...
    missing = field in {p.argument for p in operator_class.op.path_params} - set(arguments)
    with pytest.raises(TypeError if missing else GHLInputError, match=field):
        operator_class(task_id="bad", **arguments)
    # ...and templated ones again when the task runs, before the request.
    stand_ins = templated(operator_class)
    operator = operator_class(task_id="templated", **{**arguments, **stand_ins})
    for name in stand_ins:  # "rendered": the test's values, or nothing where the test leaves an argument out
        setattr(operator, name, arguments.get(name))
    with pytest.raises(GHLInputError, match=field):
        operator.execute(task_context("templated"))
    assert requests_sent(sandbox) == before


def templated(operator_class: type[GHLOperator]) -> dict[str, Any]:
    """Stand-ins that pass parse-time checks, as Jinja templates do until they are rendered."""
    arguments = {p.argument: "{{ params.id }}" for p in operator_class.op.path_params}
    return {**arguments, "body": "{{ params.body }}"}


SCOPE_REFUSALS = [
    (calendars.GHLCreateCalendarGroupOperator, {"body": {"name": "a", "description": "b", "slug": "c"}},
     "calendars/groups.write"),
    (calendars.GHLUpdateCalendarOperator, {"calendar_id": "c1", "body": {"name": "x"}}, "calendars.write"),
    (calendars.GHLCreateAppointmentOperator,
     {"body": {"calendarId": "c1", "contactId": "p1", "startTime": A_DAY}}, "calendars/events.write"),
    (calendars.GHLCreateBlockSlotOperator, {"body": {"calendarId": "c1"}}, "calendars/events.write"),
    (calendars.GHLDeleteAppointmentNoteOperator, {"appointment_id": "a1", "note_id": "n1"}, "calendars/events.write"),
    (calendars.GHLCreateCalendarNotificationOperator, {"calendar_id": "c1", "body": [{"channel": "email"}]},
     "calendars/events.write"),
    (calendars.GHLDeleteCalendarResourceOperator, {"resource_type": "rooms", "resource_id": "r1"},
     "calendars/resources.write"),
]


@pytest.mark.parametrize(("operator_class", "arguments", "scope"), SCOPE_REFUSALS,
                         ids=[c.__name__ for c, _, _ in SCOPE_REFUSALS])
def test_read_only_connection_refuses_writes_before_sending(sandbox, ghl_connections, operator_class, arguments,
                                                            scope):
    before = requests_sent(sandbox)
    operator = operator_class(task_id="write", ghl_conn_id="ghl_readonly", **arguments)
    with pytest.raises(GHLScopeError, match=scope) as refused:
        operator.execute(task_context("write"))
    assert scope in refused.value.missing
    assert requests_sent(sandbox) == before


# -- coverage --------------------------------------------------------------------------------------------
def test_every_calendars_operator_exists_and_was_exercised():
    """Runs last in this module: every catalog action of the area has its class, and each one ran above."""
    EXERCISED.check()
