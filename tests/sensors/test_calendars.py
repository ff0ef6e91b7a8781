"""Every calendars sensor against the sandbox: it fires after the change its docstring names, and not before.

Poke mode for every class; deferrable mode (TaskDeferred, trigger round trip, the trigger's run against the
sandbox, execute_complete) for one sensor of each base: record, collection and free-slot condition.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from airflow.sdk import PokeReturnValue
from airflow.sdk.exceptions import TaskDeferred

from airflow_provider_ghl.sensors import calendars
from airflow_provider_ghl.sensors.base import GHLSensor
from airflow_provider_ghl.triggers.ghl import GHLPollTrigger
from tests.conftest import task_context
from tests.coverage import Exercised

AREA = "calendars"
VERSION = "2021-04-15"
FAST = 0.05  # seconds between a trigger's polls in these tests
EXERCISED = Exercised("T", {AREA})
MISSING_ID = "doesNotExist00000000"


def is_confirmed(event: dict) -> bool:
    """Importable by name, so a deferred sensor's trigger evaluates it itself."""
    return event.get("appointmentStatus") == "confirmed"


# -- helpers -------------------------------------------------------------------------------------------
def poke(sensor: GHLSensor, **context: Any) -> PokeReturnValue | bool:
    EXERCISED.add(sensor)
    return sensor.poke(task_context(sensor.task_id, **context))


def fired(result: PokeReturnValue | bool) -> Any:
    """The XCom value of a poke that fired (fails the test if it did not)."""
    assert isinstance(result, PokeReturnValue) and result.is_done, f"the sensor did not fire: {result!r}"
    return result.xcom_value


def ids(records: list[dict]) -> list[str]:
    return [r.get("id") or r["_id"] for r in records]


def ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


@pytest.fixture
def ghl(fresh_sandbox, ghl_connections, cursor_store, api):
    """Call the sandbox's calendars API with the full token; asserts success and returns the JSON."""

    def call(method: str, path: str, json: Any = None, **params: Any) -> Any:
        response = api(method, path, version=VERSION, json=json, params=params or None)
        assert response.is_success, f"{method} {path}: {response.status_code} {response.text}"
        return response.json()

    call.sandbox = fresh_sandbox
    call.location_id = fresh_sandbox.location_id
    return call


def table(ghl, name: str) -> list[dict]:
    return ghl.sandbox.control("GET", f"tables/{name}")


def calendar_named(ghl, name: str) -> dict:
    return next(c for c in ghl("GET", "/calendars/", locationId=ghl.location_id)["calendars"] if c["name"] == name)


def busy_appointment_id(ghl) -> str:
    """The first seeded appointment: it has several pages of notes, in threes that share a timestamp."""
    return next(e["id"] for e in table(ghl, "events") if e.get("contactId"))


def book(ghl, calendar_id: str, start: str, **fields: Any) -> dict:
    contact_id = next(c["id"] for c in table(ghl, "contacts") if c.get("locationId") == ghl.location_id)
    return ghl("POST", "/calendars/events/appointments", json={
        "calendarId": calendar_id, "locationId": ghl.location_id, "contactId": contact_id, "startTime": start,
        **fields})


def block(ghl, calendar_id: str, start: str, hours: int = 1) -> dict:
    end = (parse(start) + timedelta(hours=hours)).isoformat()
    return ghl("POST", "/calendars/events/block-slots", json={
        "calendarId": calendar_id, "locationId": ghl.location_id, "startTime": start, "endTime": end})


def next_free_slot(ghl, calendar_id: str) -> str:
    start = datetime.now(UTC) + timedelta(days=1)
    days = ghl("GET", f"/calendars/{calendar_id}/free-slots", startDate=ms(start),
               endDate=ms(start + timedelta(days=7)))
    return days[min(days)]["slots"][0]


async def next_event(trigger: GHLPollTrigger, timeout: float = 10.0) -> dict:
    """The first event of a trigger's run against the sandbox (TimeoutError: it did not fire)."""
    run = trigger.run()
    try:
        event = await asyncio.wait_for(anext(run), timeout)
    finally:
        await run.aclose()
    return event.payload


def deferred(sensor: GHLSensor, **context: Any) -> GHLPollTrigger:
    """``execute`` of a deferrable sensor: it defers; the trigger serializes to plain JSON and rebuilds equal."""
    EXERCISED.add(sensor)
    with pytest.raises(TaskDeferred) as deferral:
        sensor.execute(task_context(sensor.task_id, **context))
    assert deferral.value.method_name == "execute_complete"
    trigger = deferral.value.trigger
    classpath, kwargs = trigger.serialize()
    assert classpath == "airflow_provider_ghl.triggers.ghl.GHLPollTrigger"
    assert GHLPollTrigger(**kwargs).serialize() == (classpath, kwargs)
    return trigger


# -- record sensors ------------------------------------------------------------------------------------
def test_get_calendar_fires_once_the_calendar_exists_and_its_condition_holds(ghl):
    assert poke(calendars.GHLGetCalendarSensor(task_id="missing", calendar_id=MISSING_ID)) is False
    calendar = ghl("POST", "/calendars/", json={"locationId": ghl.location_id, "name": "Pop-up Clinic"})["calendar"]
    record = fired(poke(calendars.GHLGetCalendarSensor(task_id="exists", calendar_id=calendar["id"])))
    assert (record["id"], record["name"]) == (calendar["id"], "Pop-up Clinic")

    sensor = calendars.GHLGetCalendarSensor(task_id="active", calendar_id=calendar["id"],
                                            condition=lambda c: c["slotDuration"] == 60)
    assert poke(sensor) is False
    ghl("PUT", f"/calendars/{calendar['id']}", json={"slotDuration": 60})
    assert fired(poke(sensor))["slotDuration"] == 60

    ghl("DELETE", f"/calendars/{calendar['id']}")
    assert poke(sensor) is False


def test_get_appointment_waits_for_the_condition(ghl):
    assert poke(calendars.GHLGetAppointmentSensor(task_id="missing", event_id=MISSING_ID)) is False
    calendar_id = calendar_named(ghl, "Consultation")["id"]
    event = book(ghl, calendar_id, next_free_slot(ghl, calendar_id), appointmentStatus="new")
    assert fired(poke(calendars.GHLGetAppointmentSensor(task_id="exists", event_id=event["id"])))["id"] == event["id"]

    sensor = calendars.GHLGetAppointmentSensor(task_id="confirmed", event_id=event["id"],
                                               condition=lambda e: e["appointmentStatus"] == "confirmed")
    assert poke(sensor) is False
    ghl("PUT", f"/calendars/events/appointments/{event['id']}", json={"appointmentStatus": "confirmed"})
    record = fired(poke(sensor))
    assert (record["id"], record["appointmentStatus"]) == (event["id"], "confirmed")


def test_get_calendar_notification_fires_once_it_exists_and_is_active(ghl):
    calendar_id = calendar_named(ghl, "Product Demo")["id"]
    missing = calendars.GHLGetCalendarNotificationSensor(task_id="missing", calendar_id=calendar_id,
                                                         notification_id=MISSING_ID)
    assert poke(missing) is False
    [created] = ghl("POST", f"/calendars/{calendar_id}/notifications", json=[
        {"receiverType": "contact", "channel": "sms", "notificationType": "reminder", "body": "Tomorrow!"}])
    sensor = calendars.GHLGetCalendarNotificationSensor(
        task_id="inactive", calendar_id=calendar_id, notification_id=created["_id"],
        condition=lambda n: n["isActive"] is False)
    assert poke(sensor) is False
    ghl("PUT", f"/calendars/{calendar_id}/notifications/{created['_id']}", json={"isActive": False})
    record = fired(poke(sensor))
    assert (record["_id"], record["channel"], record["isActive"]) == (created["_id"], "sms", False)


def test_get_calendar_resource_fires_once_it_exists(ghl):
    missing = calendars.GHLGetCalendarResourceSensor(task_id="missing", resource_type="rooms", resource_id=MISSING_ID)
    assert poke(missing) is False
    room = ghl("POST", "/calendars/resources/rooms", json={
        "locationId": ghl.location_id, "name": "Garden Room", "description": "Ground floor", "quantity": 1,
        "outOfService": 0, "capacity": 8, "calendarIds": []})
    sensor = calendars.GHLGetCalendarResourceSensor(task_id="room", resource_type="rooms", resource_id=room["id"])
    assert fired(poke(sensor))["name"] == "Garden Room"
    ghl("DELETE", f"/calendars/resources/rooms/{room['id']}")
    assert poke(sensor) is False


# -- collection sensors: first_run="skip", then each new record exactly once ---------------------------
def new_group(ghl) -> dict:
    return ghl("POST", "/calendars/groups", json={"locationId": ghl.location_id, "name": "Partners",
                                                  "description": "Partner calls", "slug": "partners"})["group"]


def new_calendar(ghl) -> dict:
    return ghl("POST", "/calendars/", json={"locationId": ghl.location_id, "name": "Office Hours"})["calendar"]


def new_appointment(ghl) -> dict:
    calendar_id = calendar_named(ghl, "Consultation")["id"]
    return book(ghl, calendar_id, next_free_slot(ghl, calendar_id))


def new_block(ghl) -> dict:
    calendar_id = calendar_named(ghl, "Consultation")["id"]
    return block(ghl, calendar_id, next_free_slot(ghl, calendar_id))


def new_note(ghl) -> dict:
    return ghl("POST", f"/calendars/appointments/{busy_appointment_id(ghl)}/notes", json={"body": "Call back"})["note"]


def new_notification(ghl) -> dict:
    calendar_id = calendar_named(ghl, "Consultation")["id"]
    return ghl("POST", f"/calendars/{calendar_id}/notifications", json=[
        {"receiverType": "guest", "channel": "email", "notificationType": "booked"}])[0]


def new_room(ghl) -> dict:
    return ghl("POST", "/calendars/resources/rooms", json={
        "locationId": ghl.location_id, "name": "Loft", "description": "Top floor", "quantity": 1,
        "outOfService": 0, "capacity": 20, "calendarIds": []})


COLLECTIONS = [
    # (sensor class, arguments (a callable of ghl where they depend on seeded ids), what makes a new record)
    (calendars.GHLListCalendarGroupsSensor, lambda ghl: {}, new_group),
    (calendars.GHLListCalendarsSensor, lambda ghl: {}, new_calendar),
    (calendars.GHLListCalendarEventsSensor,
     lambda ghl: {"query": {"calendarId": calendar_named(ghl, "Consultation")["id"]}}, new_appointment),
    (calendars.GHLListBlockedSlotsSensor,
     lambda ghl: {"query": {"calendarId": calendar_named(ghl, "Consultation")["id"]}}, new_block),
    (calendars.GHLListAppointmentNotesSensor, lambda ghl: {"appointment_id": busy_appointment_id(ghl)}, new_note),
    (calendars.GHLListCalendarNotificationsSensor,
     lambda ghl: {"calendar_id": calendar_named(ghl, "Consultation")["id"]}, new_notification),
    (calendars.GHLListCalendarResourcesSensor, lambda ghl: {"resource_type": "rooms"}, new_room),
]


@pytest.mark.parametrize(("sensor_class", "arguments", "create"), COLLECTIONS,
                         ids=[c.__name__ for c, _, _ in COLLECTIONS])
def test_collection_sensor_delivers_each_new_record_once(ghl, cursor_store, sensor_class, arguments, create):
    sensor = sensor_class(task_id="watch", first_run="skip", **arguments(ghl))
    assert poke(sensor) is False, "first_run='skip' remembers what exists and waits"
    assert len(cursor_store) == 1
    assert poke(sensor) is False, "nothing new yet"

    record = create(ghl)
    assert ids(fired(poke(sensor))) == ids([record])
    assert poke(sensor) is False, "a record is delivered once"


def test_first_run_deliver_gives_what_exists_then_only_what_is_new(ghl):
    sensor = calendars.GHLListCalendarGroupsSensor(task_id="groups")
    existing = ghl("GET", "/calendars/groups", locationId=ghl.location_id)["groups"]
    assert sorted(ids(fired(poke(sensor)))) == sorted(ids(existing))
    assert poke(sensor) is False
    group = new_group(ghl)
    assert ids(fired(poke(sensor))) == [group["id"]]


def test_notes_cursor_pages_through_ties_without_repeats_or_gaps(ghl):
    """45 seeded notes in threes that share a timestamp, 20 per page; deliveries cut through tie groups."""
    appointment_id = busy_appointment_id(ghl)
    seeded = [n for offset in (0, 20, 40) for n in ghl(
        "GET", f"/calendars/appointments/{appointment_id}/notes", limit=20, offset=offset)["notes"]]
    stamps = Counter(n["dateAdded"] for n in seeded)
    assert len(seeded) > 40 and max(stamps.values()) > 1, "the seed should give several pages and ties"

    delivered: list[str] = []
    for max_records in (10, 10, 4, 100):  # 10 splits the fourth tie group of three
        sensor = calendars.GHLListAppointmentNotesSensor(task_id="notes", appointment_id=appointment_id,
                                                         max_records=max_records)
        batch = fired(poke(sensor))
        assert len(batch) == min(max_records, len(seeded) - len(delivered))
        assert [n["dateAdded"] for n in batch] == sorted(n["dateAdded"] for n in batch), "oldest first"
        delivered += ids(batch)
    assert poke(sensor) is False
    assert sorted(delivered) == sorted(ids(seeded)) and len(set(delivered)) == len(delivered)

    note = new_note(ghl)
    assert ids(fired(poke(sensor))) == [note["id"]]
    assert poke(sensor) is False


def test_notes_watch_updated_compares_content(ghl):
    """Notes carry no update time: a changed note is found by comparing it with what was delivered."""
    appointment_id = busy_appointment_id(ghl)
    note = ghl("GET", f"/calendars/appointments/{appointment_id}/notes", limit=1, offset=0)["notes"][0]
    sensor = calendars.GHLListAppointmentNotesSensor(task_id="edits", appointment_id=appointment_id,
                                                     watch="updated", first_run="skip")
    assert poke(sensor) is False
    assert poke(sensor) is False
    ghl("PUT", f"/calendars/appointments/{appointment_id}/notes/{note['id']}", json={"body": "Edited"})
    [changed] = fired(poke(sensor))
    assert (changed["id"], changed["body"]) == (note["id"], "Edited")
    assert poke(sensor) is False


def test_events_watch_updated_delivers_a_changed_appointment(ghl):
    calendar_id = calendar_named(ghl, "Consultation")["id"]
    sensor = calendars.GHLListCalendarEventsSensor(task_id="changes", watch="updated", first_run="skip",
                                                   query={"calendarId": calendar_id})
    assert poke(sensor) is False
    event = next(e for e in ghl("GET", "/calendars/events", locationId=ghl.location_id, calendarId=calendar_id,
                                startTime=ms(datetime.now(UTC) - timedelta(days=60)),
                                endTime=ms(datetime.now(UTC) + timedelta(days=60)))["events"])
    assert poke(sensor) is False
    ghl("PUT", f"/calendars/events/appointments/{event['id']}", json={"title": "Renamed by the client"})
    [changed] = fired(poke(sensor))
    assert (changed["id"], changed["title"]) == (event["id"], "Renamed by the client")
    assert poke(sensor) is False


def test_events_in_a_data_interval_give_the_same_answer_on_every_run(ghl, cursor_store):
    group_id = next(g["id"] for g in ghl("GET", "/calendars/groups", locationId=ghl.location_id)["groups"]
                    if g["slug"] == "sales")
    now = datetime.now(UTC)
    everything = ghl("GET", "/calendars/events", locationId=ghl.location_id, groupId=group_id,
                     startTime=ms(now - timedelta(days=365)), endTime=ms(now + timedelta(days=365)))["events"]
    start, end = now - timedelta(days=40), now - timedelta(days=5)
    expected = sorted((e for e in everything if start <= parse(e["dateAdded"]) < end),
                      key=lambda e: (e["dateAdded"], e["id"]))
    assert expected, "the seed books appointments over the last 90 days"

    sensor = calendars.GHLListCalendarEventsSensor(task_id="daily", query={"groupId": group_id})
    first = fired(poke(sensor, interval=(start, end)))
    assert ids(first) == ids(expected)
    new_appointment_in_group = book(ghl, calendar_named(ghl, "Product Demo")["id"],
                                    next_free_slot(ghl, calendar_named(ghl, "Product Demo")["id"]))
    again = fired(poke(sensor, interval=(start, end)))
    assert ids(again) == ids(first), "a rerun (or backfill) of the interval gives the same records"
    assert new_appointment_in_group["id"] not in ids(again)
    assert cursor_store == {}, "interval mode keeps no cursor"
    # An interval that has not closed yet is waited for.
    assert poke(sensor, interval=(now - timedelta(hours=1), now + timedelta(hours=1))) is False


# -- free slots -----------------------------------------------------------------------------------------
@pytest.fixture
def one_slot_a_day(ghl) -> dict:
    """A calendar open 10:00-11:00 every day with one-hour slots, and a two-day window: exactly two slots."""
    calendar = ghl("POST", "/calendars/", json={
        "locationId": ghl.location_id, "name": "Rooftop Tour", "slotDuration": 60, "slotInterval": 60,
        "openHours": [{"daysOfTheWeek": [0, 1, 2, 3, 4, 5, 6],
                       "hours": [{"openHour": 10, "openMinute": 0, "closeHour": 11, "closeMinute": 0}]}],
    })["calendar"]
    day = (datetime.now(UTC) + timedelta(days=3)).replace(hour=0, minute=0, second=0, microsecond=0)
    window = {"startDate": ms(day), "endDate": ms(day + timedelta(days=2))}
    days = ghl("GET", f"/calendars/{calendar['id']}/free-slots", **window)
    slots = [slot for date in sorted(days) for slot in days[date]["slots"]]
    assert len(slots) == 2, days
    return {"id": calendar["id"], "window": window, "slots": slots}


def test_free_slots_sensor_fires_only_when_a_slot_is_free(ghl, one_slot_a_day):
    calendar_id, (first, second) = one_slot_a_day["id"], one_slot_a_day["slots"]
    sensor = calendars.GHLGetFreeSlotsSensor(task_id="slot", calendar_id=calendar_id,
                                             query=one_slot_a_day["window"])
    appointment = book(ghl, calendar_id, first)
    blocked = block(ghl, calendar_id, second)
    assert poke(sensor) is False, "both slots are taken"

    ghl("DELETE", f"/calendars/events/{blocked['id']}")
    free = fired(poke(sensor))
    assert [slot for slots in free.values() for slot in slots] == [second]

    block(ghl, calendar_id, second)
    assert poke(sensor) is False
    ghl("PUT", f"/calendars/events/appointments/{appointment['id']}", json={"appointmentStatus": "cancelled"})
    free = fired(poke(sensor))
    assert [slot for slots in free.values() for slot in slots] == [first]
    assert list(free) == [first[:10]], "XCom: {day: [slot, ...]}"

    picky = calendars.GHLGetFreeSlotsSensor(task_id="picky", calendar_id=calendar_id, query=one_slot_a_day["window"],
                                            condition=lambda days: sum(map(len, days.values())) >= 2)
    assert poke(picky) is False, "the condition over the slots must hold too"


# -- deferrable mode: one sensor per base ---------------------------------------------------------------
async def test_deferred_appointment_sensor_with_an_importable_condition(ghl):
    calendar_id = calendar_named(ghl, "Consultation")["id"]
    event = book(ghl, calendar_id, next_free_slot(ghl, calendar_id), appointmentStatus="new")
    sensor = calendars.GHLGetAppointmentSensor(task_id="confirmed", event_id=event["id"], condition=is_confirmed,
                                               deferrable=True, poke_interval=FAST)
    trigger = deferred(sensor)
    assert trigger.spec["condition"] == f"{__name__}.is_confirmed", "the trigger evaluates the condition itself"
    with pytest.raises(TimeoutError):
        await next_event(trigger, timeout=0.5)

    ghl("PUT", f"/calendars/events/appointments/{event['id']}", json={"appointmentStatus": "confirmed"})
    payload = await next_event(trigger)
    assert payload["status"] == "done"
    record = sensor.execute_complete(task_context("confirmed"), payload)
    assert (record["id"], record["appointmentStatus"]) == (event["id"], "confirmed")


async def test_deferred_appointment_sensor_with_a_lambda_checks_it_on_the_worker(ghl):
    calendar_id = calendar_named(ghl, "Consultation")["id"]
    event = book(ghl, calendar_id, next_free_slot(ghl, calendar_id), appointmentStatus="new")
    sensor = calendars.GHLGetAppointmentSensor(
        task_id="confirmed", event_id=event["id"], deferrable=True, poke_interval=FAST,
        condition=lambda e: e["appointmentStatus"] == "confirmed")
    trigger = deferred(sensor)
    assert trigger.spec["condition"] is None, "a lambda cannot travel to the triggerer"

    # The trigger returns as soon as the record exists; the worker finds the lambda false and defers again.
    payload = await next_event(trigger)
    assert payload["result"]["appointmentStatus"] == "new"
    with pytest.raises(TaskDeferred) as again:
        sensor.execute_complete(task_context("confirmed"), payload)

    ghl("PUT", f"/calendars/events/appointments/{event['id']}", json={"appointmentStatus": "confirmed"})
    record = sensor.execute_complete(task_context("confirmed"), await next_event(again.value.trigger))
    assert (record["id"], record["appointmentStatus"]) == (event["id"], "confirmed")


async def test_deferred_notes_sensor_delivers_new_notes_once(ghl, cursor_store):
    appointment_id = busy_appointment_id(ghl)
    skip = calendars.GHLListAppointmentNotesSensor(task_id="notes", appointment_id=appointment_id,
                                                   first_run="skip", deferrable=True, poke_interval=FAST)
    trigger = deferred(skip)
    with pytest.raises(TimeoutError):
        await next_event(trigger, timeout=0.5)

    note = new_note(ghl)
    # A new run of the same trigger, as after a triggerer restart: it starts from the stored baseline.
    payload = await next_event(trigger)
    assert payload["status"] == "done"
    assert ids(skip.execute_complete(task_context("notes"), payload)) == [note["id"]]
    # The cursor is kept: the next run waits for the next note only.
    assert poke(skip) is False
    later = new_note(ghl)
    assert ids(fired(poke(skip))) == [later["id"]]


async def test_deferred_free_slots_sensor(ghl, one_slot_a_day):
    calendar_id, (first, second) = one_slot_a_day["id"], one_slot_a_day["slots"]
    book(ghl, calendar_id, first)
    blocked = block(ghl, calendar_id, second)
    sensor = calendars.GHLGetFreeSlotsSensor(task_id="slot", calendar_id=calendar_id, deferrable=True,
                                             poke_interval=FAST, query=one_slot_a_day["window"])
    trigger = deferred(sensor)
    with pytest.raises(TimeoutError):
        await next_event(trigger, timeout=0.5)

    ghl("DELETE", f"/calendars/events/{blocked['id']}")
    free = sensor.execute_complete(task_context("slot"), await next_event(trigger))
    assert [slot for slots in free.values() for slot in slots] == [second]


# -- coverage --------------------------------------------------------------------------------------------
def test_every_calendars_sensor_exists_and_was_exercised():
    """Runs last in this module: every catalog trigger of the area has its class, and each one ran above."""
    EXERCISED.check()
