"""Values in bodies and queries: the common Python ones are sent as HighLevel reads them (dates and
datetimes as ISO 8601), the ones JSON cannot carry are refused naming the field, before anything is sent.

The conversion is one function behind ``RequestFlows.prepare``, so operators and direct ``hook.call`` users
get the same; operators also run it when the DAG is parsed (literals) and after rendering.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pendulum
import pytest

from airflow_provider_ghl.catalog import MAX_ID_LENGTH
from airflow_provider_ghl.exceptions import GHLInputError
from airflow_provider_ghl.hooks.ghl import GHLHook
from airflow_provider_ghl.operators import calendars, contacts
from airflow_provider_ghl.transfers.export import GHLExportOperator
from tests.conftest import task_context
from tests.hostile import Reply

PARIS_MORNING = pendulum.datetime(2026, 3, 1, 9, 30, tz="Europe/Paris")


def cyclic() -> list:
    loop: list = []
    loop.append(loop)
    return loop


# Not JSON: (value, what the error says about it). Each sits deep in the body, where the schema check cannot see.
NOT_JSON = {
    "set": ({"a", "b"}, "set"),
    "frozenset": (frozenset({"a"}), "set"),
    "nan": (math.nan, "NaN"),
    "infinity": (math.inf, "infinit"),
    "minus-infinity": (-math.inf, "infinit"),
    "decimal-nan": (Decimal("NaN"), "NaN"),
    "bytes": (b"\x00\x01", "bytes"),
    "object": (object(), "object"),
    "non-string-key": ({1: "a"}, "key"),
}


# -- what goes out --------------------------------------------------------------------------------------
def test_dates_datetimes_and_numbers_go_out_as_highlevel_reads_them(hostile):
    hostile.route("POST", "/contacts/", Reply(201, {"contact": {"id": "c1"}}))
    hostile.route("POST", "/contacts/c1/tasks", Reply(201, {"task": {"id": "t1"}}))
    hook = GHLHook("ghl_hostile")
    hook.call("create_contact", body={
        "firstName": "Ada", "dateOfBirth": date(1990, 9, 25), "tags": ("vip", "expo"),
        "customFields": [
            {"id": "f1", "field_value": datetime(2026, 3, 1, 8, 30, 0, 123456, tzinfo=UTC)},
            {"id": "f2", "field_value": Decimal("1500.50")},
            {"id": "f3", "field_value": [pendulum.date(2026, 1, 2), Decimal("3")]},
        ]})
    hook.call("create_contact_task", contact_id="c1", body={
        "title": "Call back", "dueDate": PARIS_MORNING, "completed": False})
    contact, task = (request.json() for request in hostile.sent())
    assert contact["dateOfBirth"] == "1990-09-25"
    assert contact["tags"] == ["vip", "expo"]
    assert [f["field_value"] for f in contact["customFields"]] == [
        "2026-03-01T08:30:00.123+00:00", 1500.5, ["2026-01-02", 3]]
    assert task["dueDate"] == "2026-03-01T09:30:00+01:00"  # the offset is kept: same instant, same wall clock


def test_operators_take_datetimes_for_time_fields(fresh_sandbox, ghl_connections, api):
    """A booked appointment and a task's due date keep their instant, whatever the timezone given."""
    calendar = next(c for c in fresh_sandbox.control("GET", "tables/calendars")
                    if c.get("locationId") == fresh_sandbox.location_id and c["name"] == "Consultation")
    contact = next(c["id"] for c in fresh_sandbox.control("GET", "tables/contacts")
                   if c["locationId"] == fresh_sandbox.location_id)
    start = pendulum.now("UTC").add(days=1)
    slots = api("GET", f"/calendars/{calendar['id']}/free-slots", version="2021-04-15",
                params={"startDate": int(start.timestamp() * 1000),
                        "endDate": int(start.add(days=7).timestamp() * 1000)}).json()
    first = next(slot for day in sorted(slots) for slot in slots[day]["slots"])
    moment = pendulum.parse(first).in_timezone("America/New_York")  # another offset than the calendar's

    booking = calendars.GHLCreateAppointmentOperator(task_id="book", body={
        "calendarId": calendar["id"], "contactId": contact, "startTime": moment, "title": "Dated"})
    event = booking.execute(task_context("book"))
    stored = api("GET", f"/calendars/events/appointments/{event['id']}", version="2021-04-15").json()["event"]
    assert pendulum.parse(stored["startTime"]) == moment

    due = pendulum.datetime(2026, 12, 1, 10, 0, tz="Asia/Kolkata")
    created = contacts.GHLCreateContactTaskOperator(task_id="task", contact_id=contact, body={
        "title": "Call back", "dueDate": due, "completed": False}).execute(task_context("task"))
    task = api("GET", f"/contacts/{contact}/tasks/{created['task']['id']}").json()["task"]
    assert pendulum.parse(task["dueDate"]) == due


def test_templated_values_inside_a_body_still_pass_parse_time_checks(sandbox, ghl_connections):
    from airflow.providers.standard.operators.empty import EmptyOperator
    from airflow.sdk import DAG

    with DAG("ghl_input_values", schedule=None):
        upstream = EmptyOperator(task_id="upstream")
        contacts.GHLCreateContactTaskOperator(task_id="task", contact_id="c1", body={
            "title": upstream.output, "body": "{{ ds }}", "dueDate": PARIS_MORNING})


# -- what is refused, and where -------------------------------------------------------------------------
def test_naive_datetimes_are_refused_because_highlevel_would_guess_their_timezone(sandbox, ghl_connections, hostile):
    naive = datetime(2026, 3, 1, 9, 30)
    with pytest.raises(GHLInputError, match=r"body\.dueDate .*no timezone") as failure:
        contacts.GHLCreateContactTaskOperator(task_id="task", contact_id="c1", body={"title": "x", "dueDate": naive})
    assert "tzinfo" in str(failure.value)  # says the fix
    with pytest.raises(GHLInputError, match=r"body\.customFields\[0\]\.field_value .*no timezone"):
        GHLHook("ghl_hostile").call("create_contact", body={"firstName": "A",
                                                            "customFields": [{"id": "f", "field_value": naive}]})
    assert hostile.sent() == []


@pytest.mark.parametrize(("value", "said"), NOT_JSON.values(), ids=NOT_JSON)
def test_values_json_cannot_carry_are_refused_naming_the_field(sandbox, ghl_connections, hostile, value, said):
    body = {"firstName": "A", "customFields": [{"id": "f", "field_value": value}]}
    before = sandbox.stats().get("requests", 0)
    with pytest.raises(GHLInputError, match=r"body\.customFields\[0\]\.field_value") as at_parse:
        contacts.GHLCreateContactOperator(task_id="create", body=body)
    assert said in str(at_parse.value)
    # Rendered values are checked again before the request (a template may produce them).
    operator = contacts.GHLCreateContactOperator(task_id="create", body="{{ params.body }}")
    operator.body = body
    with pytest.raises(GHLInputError, match=r"body\.customFields\[0\]\.field_value"):
        operator.execute(task_context("create"))
    assert sandbox.stats().get("requests", 0) == before
    # Hook users get the same check, not a TypeError from the JSON encoder mid-send.
    with pytest.raises(GHLInputError, match=r"body\.customFields\[0\]\.field_value"):
        GHLHook("ghl_hostile").call("create_contact", body=body)
    assert hostile.sent() == []


def test_custom_field_values_are_checked_before_the_field_list_is_read(sandbox, ghl_connections):
    """``custom_fields`` values go into the body after a List Custom Fields call: they are checked before it."""
    before = sandbox.stats().get("requests", 0)
    with pytest.raises(GHLInputError, match=r"custom_fields\.Lead Source is a set"):
        contacts.GHLUpsertContactOperator(task_id="upsert", body={"email": "a@example.com"},
                                          custom_fields={"Lead Source": {"expo", "web"}})
    operator = contacts.GHLUpsertContactOperator(task_id="upsert", body={"email": "a@example.com"},
                                                 custom_fields="{{ params.fields }}")
    operator.custom_fields = {"Lead Source": math.nan}
    with pytest.raises(GHLInputError, match=r"custom_fields\.Lead Source is NaN"):
        operator.execute(task_context("upsert"))
    assert sandbox.stats().get("requests", 0) == before


def test_a_top_level_set_is_refused_with_its_path_and_the_fix(hostile):
    with pytest.raises(GHLInputError, match=r"body\.tags is a set") as failure:
        GHLHook("ghl_hostile").call("create_contact", body={"firstName": "A", "tags": {"vip"}})
    assert "sorted(" in str(failure.value)
    assert hostile.sent() == []


def test_a_body_that_contains_itself_is_an_input_error(hostile):
    """(Airflow itself cannot hold such a body in an operator; a hook user can pass one.)"""
    with pytest.raises(GHLInputError, match=r"body\.customFields\[0\]\.field_value.*deeper"):
        GHLHook("ghl_hostile").call("create_contact", body={"customFields": [{"id": "f", "field_value": cyclic()}]})
    assert hostile.sent() == []


QUERY_REFUSALS: dict[str, tuple[Any, str]] = {
    "datetime": (datetime(2026, 3, 1, tzinfo=UTC), "epoch milliseconds"),
    "date": (date(2026, 3, 1), "epoch milliseconds"),
    "dict": ({"a": 1}, "dict"),
    "set": ({1, 2}, "set"),
    "nan": (math.nan, "NaN"),
    "bytes": (b"x", "bytes"),
    "nul": ("a\x00b", "control character"),
}


@pytest.mark.parametrize(("value", "said"), QUERY_REFUSALS.values(), ids=QUERY_REFUSALS)
def test_query_values_that_have_no_single_meaning_are_refused(sandbox, ghl_connections, hostile, value, said):
    """A datetime could mean epoch ms (list_calendar_events) or a date string (search_opportunities): no guess."""
    hook = GHLHook("ghl_hostile")
    with pytest.raises(GHLInputError, match=r"query\.startTime") as failure:
        hook.call("list_calendar_events", query={"calendarId": "c1", "startTime": value, "endTime": 1})
    assert said in str(failure.value)
    assert hostile.sent() == []
    with pytest.raises(GHLInputError, match=r"query\.startTime"):
        contacts.GHLDeleteContactOperator(task_id="delete", contact_id="c1", query={"startTime": value})


@pytest.mark.parametrize("length", [MAX_ID_LENGTH + 1, 10_000])
def test_over_long_ids_are_refused_at_parse_and_after_rendering(sandbox, ghl_connections, length):
    before = sandbox.stats().get("requests", 0)
    with pytest.raises(GHLInputError, match=f"contact_id is {length} characters long.*{MAX_ID_LENGTH}") as failure:
        contacts.GHLDeleteContactOperator(task_id="delete", contact_id="a" * length)
    assert "a" * 100 not in str(failure.value)  # the value is quoted, not pasted whole
    operator = contacts.GHLDeleteContactOperator(task_id="delete", contact_id="{{ dag_run.conf['id'] }}")
    operator.contact_id = "a" * length
    with pytest.raises(GHLInputError, match="contact_id"):
        operator.execute(task_context("delete"))
    assert sandbox.stats().get("requests", 0) == before


@pytest.mark.parametrize("operation", [None, 42, ["search_contacts"]])
def test_export_without_an_operation_key_is_an_input_error(tmp_path, operation):
    with pytest.raises(GHLInputError, match="operation"):
        GHLExportOperator(task_id="export", operation=operation, path=str(tmp_path / "x.jsonl"))

