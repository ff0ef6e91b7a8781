"""GHLOperationSensor: any read as a record, collection or whole-answer sensor, in poke and deferrable mode. A seed
read fires with what the named sensor fires with (sandbox); second-tier reads poll the spec's request and deliver
each listed record once across pages and pokes (hostile server); bad input is refused with nothing sent."""

from __future__ import annotations

import asyncio

import pytest
from airflow.sdk import PokeReturnValue
from airflow.sdk.exceptions import TaskDeferred

from airflow_provider_ghl.exceptions import GHLInputError
from airflow_provider_ghl.sensors.contacts import GHLGetContactSensor
from airflow_provider_ghl.sensors.generic import GHLOperationSensor
from airflow_provider_ghl.triggers.ghl import GHLPollTrigger
from tests.conftest import task_context
from tests.hostile import LOCATION_ID, Reply

ALT = {"altId": LOCATION_ID, "altType": "location"}
INVOICE = {"_id": "inv0001", "status": "draft"}


def poke(sensor):
    return sensor.poke(task_context(sensor.task_id))


def invoice_list(invoices: list[dict]):
    """``GET /invoices/`` with offset/limit pages over ``invoices`` (read at request time)."""

    def reply(request):
        offset, limit = int(request.query["offset"]), int(request.query["limit"])
        return Reply(200, {"invoices": invoices[offset:offset + limit], "total": len(invoices)})

    return reply


# -- the seed ---------------------------------------------------------------------------------------------------
def test_a_seed_read_fires_with_what_the_named_sensor_fires_with(fresh_sandbox, ghl_connections):
    contact_id = next(c["id"] for c in fresh_sandbox.control("GET", "tables/contacts")
                      if c.get("locationId") == fresh_sandbox.location_id)
    named = poke(GHLGetContactSensor(task_id="named", contact_id=contact_id))
    generic = poke(GHLOperationSensor(task_id="generic", operation="get_contact", arguments={"contact_id": contact_id}))
    assert isinstance(generic, PokeReturnValue) and generic.xcom_value == named.xcom_value
    assert generic.xcom_value["id"] == contact_id
    assert poke(GHLOperationSensor(task_id="missing", operation="get_contact",
                                   arguments={"contact_id": "NoSuchRecord00000000"})) is False


# -- second tier on the hostile server ---------------------------------------------------------------------------
def test_record_poll_waits_for_the_record_and_its_condition(hostile):
    sensor = GHLOperationSensor(task_id="paid", operation="get_invoice", arguments={"invoice_id": "inv0001"},
                                query=ALT, condition=lambda invoice: invoice["status"] == "paid",
                                ghl_conn_id="ghl_hostile")
    assert poke(sensor) is False  # 404: not there yet
    hostile.route("GET", "/invoices/inv0001", Reply(200, INVOICE))
    assert poke(sensor) is False  # there, but still a draft
    hostile.route("GET", "/invoices/inv0001", Reply(200, {**INVOICE, "status": "paid"}))
    assert poke(sensor).xcom_value == {**INVOICE, "status": "paid"}
    assert {(r.path, r.headers["version"]) for r in hostile.sent()} == {("/invoices/inv0001", "2021-07-28")}


def test_response_poll_judges_the_whole_answer_in_v3(hostile):
    hostile.route("GET", "/invoices/inv0001", Reply(200, {"invoice": INVOICE, "amountDue": 0}))
    sensor = GHLOperationSensor(task_id="settled", operation="get_invoice", arguments={"invoice_id": "inv0001"},
                                query=ALT, poll="response", condition=lambda answer: answer["amountDue"] == 0,
                                api_version="v3", ghl_conn_id="ghl_hostile")
    assert poke(sensor).xcom_value == {"invoice": INVOICE, "amountDue": 0}
    assert [r.headers["version"] for r in hostile.sent()] == ["v3"]


def test_collection_poll_delivers_every_listed_record_once_across_pages_and_pokes(hostile, cursor_store):
    invoices = [{"_id": f"inv{n:04d}", "status": "draft"} for n in range(5)]
    hostile.route("GET", "/invoices/", invoice_list(invoices))
    sensor = GHLOperationSensor(task_id="new_invoices", operation="invoices__list_invoices",
                                query={**ALT, "limit": 2, "offset": 0}, api_version="v3", ghl_conn_id="ghl_hostile")
    first = poke(sensor)
    assert [i["_id"] for i in first.xcom_value] == [i["_id"] for i in invoices]
    assert [int(r.query["offset"]) for r in hostile.sent()] == [0, 2, 4]  # three pages, each once
    assert {r.headers["version"] for r in hostile.sent()} == {"v3"}
    assert poke(sensor) is False  # nothing new: the id cursor remembers what was delivered
    invoices.append({"_id": "inv0005", "status": "draft"})
    assert [i["_id"] for i in poke(sensor).xcom_value] == ["inv0005"]


def test_updated_watch_on_records_without_timestamps_uses_their_fingerprint(hostile, cursor_store):
    invoices = [{"_id": "inv0001", "status": "draft"}, {"_id": "inv0002", "status": "draft"}]
    hostile.route("GET", "/invoices/", invoice_list(invoices))
    sensor = GHLOperationSensor(task_id="changed", operation="invoices__list_invoices", watch="updated",
                                query={**ALT, "limit": 10, "offset": 0}, ghl_conn_id="ghl_hostile")
    assert len(poke(sensor).xcom_value) == 2
    invoices[1] = {"_id": "inv0002", "status": "paid"}
    assert poke(sensor).xcom_value == [{"_id": "inv0002", "status": "paid"}]


async def test_deferrable_record_poll_runs_in_the_existing_trigger(hostile):
    hostile.route("GET", "/invoices/inv0001", Reply(200, INVOICE))
    sensor = GHLOperationSensor(task_id="deferred", operation="get_invoice", arguments={"invoice_id": "inv0001"},
                                query=ALT, api_version="v3", deferrable=True, poke_interval=0.05,
                                ghl_conn_id="ghl_hostile")
    with pytest.raises(TaskDeferred) as deferral:
        sensor.execute(task_context("deferred"))
    classpath, kwargs = deferral.value.trigger.serialize()
    assert classpath == "airflow_provider_ghl.triggers.ghl.GHLPollTrigger"
    run = GHLPollTrigger(**kwargs).run()
    try:
        event = await asyncio.wait_for(anext(run), 10)
    finally:
        await run.aclose()
    assert sensor.execute_complete(task_context("deferred"), event.payload) == INVOICE
    assert [r.headers["version"] for r in hostile.sent()] == ["v3"]


@pytest.mark.parametrize(("arguments", "fragment"), [
    ({"operation": "delete_invoice", "arguments": {"invoice_id": "i1"}, "query": ALT}, "changes data"),
    ({"operation": "get_invoice", "arguments": {"invoice_id": "i1"}, "query": ALT, "poll": "collection"}, "list"),
    ({"operation": "get_invoice", "arguments": {"invoice_id": "i1"}, "query": ALT, "poll": "everything"}, "poll"),
    ({"operation": "get_invoice", "arguments": {"invoice_id": "i1"}, "query": ALT, "poll": "response"}, "condition"),
    ({"operation": "get_invoice", "arguments": {"invoice_id": "a b"}, "query": ALT}, "invoice_id"),
    ({"operation": "get_invoices", "query": ALT}, "Did you mean"),
    ({"operation": "invoices__list_invoices", "query": {**ALT, "limit": 2, "offset": 0}, "watch": "gone"}, "watch"),
])
def test_bad_input_is_refused_at_parse_with_nothing_sent(hostile, arguments, fragment):
    with pytest.raises(GHLInputError, match=fragment):
        GHLOperationSensor(task_id="bad", ghl_conn_id="ghl_hostile", **arguments)
    assert hostile.sent() == []


def test_reschedule_mode_gives_the_worker_slot_back_while_waiting(hostile):
    from airflow.exceptions import AirflowRescheduleException

    sensor = GHLOperationSensor(task_id="later", operation="get_invoice", arguments={"invoice_id": "inv0001"},
                                query=ALT, mode="reschedule", poke_interval=60, ghl_conn_id="ghl_hostile")
    context = task_context("later")
    context["ti"].get_first_reschedule_date = lambda context: None  # a first try: no reschedule recorded yet
    with pytest.raises(AirflowRescheduleException):
        sensor.execute(context)
    assert [r.path for r in hostile.sent()] == ["/invoices/inv0001"]
