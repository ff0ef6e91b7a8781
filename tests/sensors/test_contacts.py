"""Every contacts sensor against the sandbox: it fires after the change its docstring names, and not before.

Collection sensors: consecutive pokes deliver each record exactly once (ties on timestamps included),
a data-interval run gives the same answer twice, ``first_run="skip"`` waits for what comes next.
Deferrable mode: ``TaskDeferred``, an equal trigger rebuilt from ``serialize()``, its event completes the task.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from airflow.exceptions import TaskDeferred
from airflow.sdk import PokeReturnValue

from airflow_provider_ghl.polling import parse_timestamp
from airflow_provider_ghl.sensors import contacts as sensors
from airflow_provider_ghl.triggers.ghl import GHLPollTrigger
from tests.conftest import task_context
from tests.coverage import Exercised

EXERCISED = Exercised("T", {"contacts"})
covers = EXERCISED.covers
MISSING_ID = "NoSuchRecord00000000"


def test_every_contacts_sensor_is_exercised():
    EXERCISED.check()


# -- conditions: module-level, so a deferred trigger can import them by name ------------------------------
def is_vip(contact: dict) -> bool:
    return "vip" in contact.get("tags", [])


def is_completed(task: dict) -> bool:
    return task.get("completed") is True


def mentions_demo(note: dict) -> bool:
    return "demo" in note.get("body", "")


# -- helpers --------------------------------------------------------------------------------------------
@pytest.fixture(autouse=True)
def _connections(ghl_connections, cursor_store):
    """The sandbox's Airflow connections, and collection cursors kept in memory."""


def poke(sensor: Any, interval: tuple[datetime, datetime] | None = None) -> Any:
    """One poke: the XCom value when the sensor fires, ``False`` when it keeps waiting."""
    outcome = sensor.poke(task_context(sensor.task_id, interval=interval))
    if outcome is False:
        return False
    assert isinstance(outcome, PokeReturnValue) and outcome.is_done
    return outcome.xcom_value


def ids(records: list[dict]) -> list[str]:
    return [r["id"] for r in records]


@pytest.fixture
def call(api):
    """A HighLevel request with the full token; checks for success and returns the JSON."""

    def request(method: str, path: str, json: Any = None, version: str = "2021-07-28", **params: Any) -> Any:
        response = api(method, path, json=json, params=params or None, version=version)
        assert response.is_success, response.text
        return response.json()

    return request


@pytest.fixture
def new_contact(call, sandbox) -> Callable[..., dict]:
    counter = iter(range(1_000_000))

    def create(**body: Any) -> dict:
        number = next(counter)
        body = {"firstName": "Sensor", "lastName": f"Person{number}", "locationId": sandbox.location_id, **body}
        return call("POST", "/contacts/", json=body)["contact"]

    return create


def main_contacts(sandbox) -> list[dict]:
    return [c for c in sandbox.control("GET", "tables/contacts") if c["locationId"] == sandbox.location_id]


def tie_cut(records: list[dict], field: str, at_least: int) -> int:
    """A page size whose first cut falls between two records that share ``field``'s timestamp."""
    ordered = sorted(records, key=lambda r: (parse_timestamp(r[field]), r["id"]))
    return next(i for i in range(at_least, len(ordered)) if ordered[i - 1][field] == ordered[i][field])


def drain(sensor: Any, pokes: int = 50) -> list[dict]:
    """Pokes until the sensor stops firing; every record delivered, in delivery order."""
    delivered: list[dict] = []
    for _ in range(pokes):
        batch = poke(sensor)
        if batch is False:
            return delivered
        assert batch, "a sensor fired with nothing to deliver"
        delivered += batch
    raise AssertionError(f"still firing after {pokes} pokes")


# -- record sensors -------------------------------------------------------------------------------------
@covers(sensors.GHLGetContactSensor)
def test_get_contact_fires_when_the_contact_exists_and_the_condition_holds(new_contact, call):
    assert poke(sensors.GHLGetContactSensor(task_id="contact", contact_id=MISSING_ID)) is False
    contact = new_contact(tags=["customer"])
    assert poke(sensors.GHLGetContactSensor(task_id="contact", contact_id=contact["id"]))["id"] == contact["id"]
    waiting = sensors.GHLGetContactSensor(task_id="vip", contact_id=contact["id"], condition=is_vip)
    assert poke(waiting) is False
    call("POST", f"/contacts/{contact['id']}/tags", json={"tags": ["vip"]})
    fired = poke(waiting)
    assert fired["id"] == contact["id"] and "vip" in fired["tags"]


@covers(sensors.GHLGetDuplicateContactSensor)
def test_duplicate_contact_fires_once_a_contact_has_the_email(new_contact):
    sensor = sensors.GHLGetDuplicateContactSensor(task_id="dup", query={"email": "late.arrival@example.com"})
    assert poke(sensor) is False  # HighLevel answers {"contact": null}
    contact = new_contact(email="late.arrival@example.com")
    assert poke(sensor)["id"] == contact["id"]


@covers(sensors.GHLGetContactTaskSensor)
def test_contact_task_fires_when_the_task_is_completed(new_contact, call):
    contact_id = new_contact()["id"]
    assert poke(sensors.GHLGetContactTaskSensor(task_id="t", contact_id=contact_id, contact_task_id=MISSING_ID)) is False
    task = call("POST", f"/contacts/{contact_id}/tasks",
                json={"title": "Send proposal", "dueDate": "2026-12-01T10:00:00Z", "completed": False})["task"]
    sensor = sensors.GHLGetContactTaskSensor(task_id="t", contact_id=contact_id, contact_task_id=task["id"],
                                             condition=is_completed)
    assert poke(sensor) is False
    call("PUT", f"/contacts/{contact_id}/tasks/{task['id']}/completed", json={"completed": True})
    fired = poke(sensor)
    assert fired["id"] == task["id"] and fired["completed"] is True


@covers(sensors.GHLGetContactNoteSensor)
def test_contact_note_fires_when_the_note_says_so(new_contact, call):
    contact_id = new_contact()["id"]
    assert poke(sensors.GHLGetContactNoteSensor(task_id="n", contact_id=contact_id, note_id=MISSING_ID)) is False
    note = call("POST", f"/contacts/{contact_id}/notes", json={"body": "Left a voicemail"})["note"]
    sensor = sensors.GHLGetContactNoteSensor(task_id="n", contact_id=contact_id, note_id=note["id"],
                                             condition=mentions_demo)
    assert poke(sensor) is False
    call("PUT", f"/contacts/{contact_id}/notes/{note['id']}", json={"body": "Booked a demo"})
    assert poke(sensor)["body"] == "Booked a demo"


# -- collection sensors: cursor mode ------------------------------------------------------------------------
@covers(sensors.GHLSearchContactsSensor, sensors.GHLListContactsSensor)
@pytest.mark.parametrize("cls", [sensors.GHLSearchContactsSensor, sensors.GHLListContactsSensor])
def test_contact_collections_deliver_every_contact_exactly_once_across_ties(fresh_sandbox, new_contact, cls):
    existing = main_contacts(fresh_sandbox)
    assert max(Counter(c["dateAdded"] for c in existing).values()) > 1, "the seed should have ties"
    page = tie_cut(existing, "dateAdded", at_least=40)
    sensor = cls(task_id=f"all_{cls.__name__}", max_records=page, watermark="cursor")

    first = poke(sensor)
    assert len(first) == page  # the cut falls inside a group of contacts added at the same instant
    delivered = first + drain(sensor)
    assert sorted(ids(delivered)) == sorted(ids(existing))  # every contact once: none lost at a tie, none twice
    stamps = [parse_timestamp(c["dateAdded"]) for c in delivered]
    assert stamps == sorted(stamps)  # oldest first

    assert poke(sensor) is False  # nothing new
    later = [new_contact(), new_contact()]
    assert sorted(ids(poke(sensor))) == sorted(ids(later))
    assert poke(sensor) is False



@covers(sensors.GHLSearchContactsSensor)
def test_search_contacts_first_run_skip_then_only_what_comes_after(new_contact):
    sensor = sensors.GHLSearchContactsSensor(task_id="skip", first_run="skip")
    assert poke(sensor) is False  # remembers what exists
    assert poke(sensor) is False
    contact = new_contact()
    assert ids(poke(sensor)) == [contact["id"]]
    assert poke(sensor) is False


@covers(sensors.GHLSearchContactsSensor)
def test_search_contacts_watch_updated_delivers_changed_contacts(new_contact, call):
    contact = new_contact()
    sensor = sensors.GHLSearchContactsSensor(task_id="changes", watch="updated", first_run="skip")
    assert poke(sensor) is False
    call("PUT", f"/contacts/{contact['id']}", json={"city": "Denver"})
    changed = poke(sensor)
    assert ids(changed) == [contact["id"]] and changed[0]["city"] == "Denver"
    assert poke(sensor) is False


@covers(sensors.GHLSearchContactsSensor)
def test_search_contacts_with_filters_in_body(new_contact):
    sensor = sensors.GHLSearchContactsSensor(
        task_id="tagged", first_run="skip",
        body={"filters": [{"field": "tags", "operator": "eq", "value": "webinar-lead"}]})
    assert poke(sensor) is False
    new_contact(tags=["other"])
    assert poke(sensor) is False  # a new contact, but not one the search matches
    tagged = new_contact(tags=["webinar-lead"])
    assert ids(poke(sensor)) == [tagged["id"]]


@covers(sensors.GHLGetContactsByBusinessSensor)
def test_contacts_by_business_delivers_contacts_attached_later(fresh_sandbox, call):
    business_id = next(b["id"] for b in fresh_sandbox.control("GET", "tables/businesses")
                       if b["locationId"] == fresh_sandbox.location_id)
    sensor = sensors.GHLGetContactsByBusinessSensor(task_id="biz", business_id=business_id, watch="updated",
                                                    first_run="skip")
    assert poke(sensor) is False
    outsiders = [c["id"] for c in main_contacts(fresh_sandbox) if c.get("businessId") != business_id][:3]
    call("POST", "/contacts/bulk/business",
         json={"locationId": fresh_sandbox.location_id, "ids": outsiders, "businessId": business_id})
    assert sorted(ids(poke(sensor))) == sorted(outsiders)
    assert poke(sensor) is False


@covers(sensors.GHLGetContactTasksSensor, sensors.GHLGetContactNotesSensor)
@pytest.mark.parametrize(("cls", "kind", "body"), [
    (sensors.GHLGetContactTasksSensor, "tasks", {"title": "Call", "dueDate": "2026-12-01T10:00:00Z", "completed": False}),
    (sensors.GHLGetContactNotesSensor, "notes", {"body": "Interested"}),
])
def test_contact_children_deliver_each_new_one_once(new_contact, call, cls, kind, body):
    contact_id = new_contact()["id"]
    first = call("POST", f"/contacts/{contact_id}/{kind}", json=body)[kind[:-1]]
    sensor = cls(task_id=f"children_{kind}", contact_id=contact_id)
    assert ids(poke(sensor)) == [first["id"]]  # first_run="deliver": what exists
    assert poke(sensor) is False
    later = [call("POST", f"/contacts/{contact_id}/{kind}", json=body)[kind[:-1]] for _ in range(3)]
    assert ids(poke(sensor)) == ids(sorted(later, key=lambda r: (r["dateAdded"], r["id"])))
    assert poke(sensor) is False


@covers(sensors.GHLGetContactAppointmentsSensor)
def test_contact_appointments_deliver_a_new_booking(sandbox, new_contact, call):
    contact_id = new_contact()["id"]
    sensor = sensors.GHLGetContactAppointmentsSensor(task_id="appointments", contact_id=contact_id)
    assert poke(sensor) is False  # no appointment yet
    calendar_id = next(c["id"] for c in sandbox.control("GET", "tables/calendars")
                       if c.get("locationId") == sandbox.location_id and c.get("isActive", True))
    booked = call("POST", "/calendars/events/appointments", version="2021-04-15", json={
        "calendarId": calendar_id, "locationId": sandbox.location_id, "contactId": contact_id,
        "startTime": "2026-12-02T15:00:00Z", "endTime": "2026-12-02T15:30:00Z", "ignoreFreeSlotValidation": True,
    })
    assert ids(poke(sensor)) == [booked["id"]]
    assert poke(sensor) is False


class WriteWhilePaging:
    """The sensor's real hook, but a contact is created while the poll is between pages."""

    def __init__(self, hook: Any, create: Callable[[], dict], after: int) -> None:
        self.hook, self.create, self.after = hook, create, after
        self.created: list[dict] = []

    def __getattr__(self, name: str) -> Any:  # everything else is the real hook's (its settings...)
        return getattr(self.hook, name)

    def paginate(self, key: str, **arguments: Any):
        for position, record in enumerate(self.hook.paginate(key, page_size=20, **arguments)):
            if position == self.after and not self.created:  # once, in the first poll
                self.created.append(self.create())
            yield record


@covers(sensors.GHLSearchContactsSensor, sensors.GHLListContactsSensor)
@pytest.mark.parametrize("cls", [sensors.GHLSearchContactsSensor, sensors.GHLListContactsSensor])
def test_contact_created_mid_paging_is_delivered_exactly_once(fresh_sandbox, new_contact, cls):
    sensor = cls(task_id=f"mid_{cls.__name__}", watermark="cursor")
    sensor.hook = WriteWhilePaging(sensor.hook, new_contact, after=30)
    delivered = poke(sensor) + drain(sensor)
    assert sensor.hook.created and fresh_sandbox.stats()[f"op:{sensor.op.key}"] > 2  # it did page
    assert sorted(ids(delivered)) == sorted(ids(main_contacts(fresh_sandbox)))  # the newcomer too, once


# -- collection sensors: data-interval mode ------------------------------------------------------------------
@covers(sensors.GHLSearchContactsSensor, sensors.GHLListContactsSensor)
@pytest.mark.parametrize("cls", [sensors.GHLSearchContactsSensor, sensors.GHLListContactsSensor])
def test_data_interval_run_is_repeatable(fresh_sandbox, new_contact, cls):
    existing = sorted(main_contacts(fresh_sandbox), key=lambda c: (parse_timestamp(c["dateAdded"]), c["id"]))
    start, end = (parse_timestamp(existing[i]["dateAdded"]) for i in (50, 120))
    expected = [c["id"] for c in existing if start <= parse_timestamp(c["dateAdded"]) < end]
    assert len(expected) >= 70
    sensor = cls(task_id=f"interval_{cls.__name__}")
    first = poke(sensor, interval=(start, end))
    assert ids(first) == expected  # ties at the start included, ties at the end left to the next interval
    new_contact()  # a rerun later, after more contacts arrived, answers the same
    assert ids(poke(sensor, interval=(start, end))) == expected
    before = poke(sensor, interval=(start - timedelta(days=30), start)) or []
    assert not set(ids(before)) & set(expected)  # adjacent intervals share no contact


def test_open_data_interval_waits_for_it_to_close(new_contact):
    now = datetime.now().astimezone()
    sensor = sensors.GHLSearchContactsSensor(task_id="open")
    new_contact()
    assert poke(sensor, interval=(now - timedelta(hours=1), now + timedelta(hours=1))) is False


# -- deferrable mode ------------------------------------------------------------------------------------------
def deferred_trigger(sensor: Any, context: dict) -> GHLPollTrigger:
    """``execute`` defers; the trigger is rebuilt from its serialized form, as the triggerer does."""
    with pytest.raises(TaskDeferred) as deferral:
        sensor.execute(context)
    assert deferral.value.method_name == "execute_complete"
    trigger = deferral.value.trigger
    classpath, kwargs = trigger.serialize()
    assert classpath == "airflow_provider_ghl.triggers.ghl.GHLPollTrigger"
    rebuilt = GHLPollTrigger(**kwargs)
    assert rebuilt.serialize() == (classpath, kwargs)
    return rebuilt


@covers(sensors.GHLGetContactSensor)
async def test_deferred_record_sensor_waits_for_the_condition(new_contact, call):
    contact = new_contact()
    sensor = sensors.GHLGetContactSensor(task_id="deferred", contact_id=contact["id"], condition=is_vip,
                                         deferrable=True, poke_interval=0.05)
    context = task_context("deferred")
    trigger = deferred_trigger(sensor, context)
    assert trigger.spec["condition"] == f"{__name__}.is_vip"  # the trigger evaluates it
    waiting = asyncio.ensure_future(anext(trigger.run()))
    await asyncio.sleep(0.5)
    assert not waiting.done()  # not before the contact is a VIP
    call("POST", f"/contacts/{contact['id']}/tags", json={"tags": ["vip"]})
    event = await asyncio.wait_for(waiting, 10)
    assert event.payload["status"] == "done"
    record = sensor.execute_complete(context, event.payload)
    assert record["id"] == contact["id"] and "vip" in record["tags"]


@covers(sensors.GHLGetContactNotesSensor)
async def test_deferred_collection_sensor_delivers_and_keeps_its_cursor(new_contact, call, cursor_store):
    contact_id = new_contact()["id"]
    sensor = sensors.GHLGetContactNotesSensor(task_id="deferred_notes", contact_id=contact_id, deferrable=True,
                                              poke_interval=0.05)
    context = task_context("deferred_notes")
    trigger = deferred_trigger(sensor, context)
    waiting = asyncio.ensure_future(anext(trigger.run()))
    await asyncio.sleep(0.5)
    assert not waiting.done()  # the contact has no note yet
    notes = [call("POST", f"/contacts/{contact_id}/notes", json={"body": f"Note {n}"})["note"] for n in range(2)]
    event = await asyncio.wait_for(waiting, 10)
    delivered = sensor.execute_complete(context, event.payload)
    assert sorted(ids(delivered)) == sorted(ids(notes))
    assert cursor_store  # the cursor the trigger reached is kept for the next run
    assert poke(sensors.GHLGetContactNotesSensor(task_id="deferred_notes", contact_id=contact_id)) is False


@covers(sensors.GHLGetContactTaskSensor)
async def test_deferred_sensor_with_an_unimportable_condition_checks_it_on_the_worker(new_contact, call):
    contact_id = new_contact()["id"]
    task = call("POST", f"/contacts/{contact_id}/tasks",
                json={"title": "Review", "dueDate": "2026-12-01T10:00:00Z", "completed": False})["task"]
    sensor = sensors.GHLGetContactTaskSensor(task_id="lambda", contact_id=contact_id, contact_task_id=task["id"],
                                             condition=lambda t: t["completed"], deferrable=True, poke_interval=0.05)
    context = task_context("lambda")
    trigger = deferred_trigger(sensor, context)
    assert trigger.spec["condition"] is None  # a lambda cannot travel: the trigger waits for the record
    event = await asyncio.wait_for(anext(trigger.run()), 10)
    with pytest.raises(TaskDeferred):  # the worker checks the condition: it does not hold, so it defers again
        sensor.execute_complete(context, event.payload)
    call("PUT", f"/contacts/{contact_id}/tasks/{task['id']}/completed", json={"completed": True})
    event = await asyncio.wait_for(anext(trigger.run()), 10)
    assert sensor.execute_complete(context, event.payload)["completed"] is True
