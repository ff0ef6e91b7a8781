"""Only a real answer is data: redirects, HTML pages, cut or misshapen JSON and wrong content types are
typed errors (retried when the operation is idempotent), against the hostile server over real HTTP."""

from __future__ import annotations

import json

import pytest

from airflow_provider_ghl.exceptions import GHLAmbiguousWriteError, GHLResponseError
from airflow_provider_ghl.hooks.ghl import GHLAsyncHook
from tests.conftest import task_context
from tests.hostile import LOCATION_ID, TOKEN, HostileServer, Reply

MAINTENANCE = "<!doctype html><html><body><h1>We'll be back soon</h1>Scheduled maintenance.</body></html>"
CONTACT = {"contact": {"id": "abc", "firstName": "Ada", "dateUpdated": "2026-01-01T00:00:00.000Z"}}


@pytest.fixture
def other_host():
    """A second server: where a redirect points. Nothing may ever reach it."""
    server = HostileServer().start()
    yield server
    server.stop()


async def call(hostile, key: str, *, asynchronous: bool = False, max_retries: int = 2, **kwargs):
    if not asynchronous:
        with hostile.hook(max_retries=max_retries) as hook:
            return hook.call(key, **kwargs)
    async with hostile.hook(cls=GHLAsyncHook, max_retries=max_retries) as hook:
        return await hook.acall(key, **kwargs)


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
async def test_redirect_is_an_error_and_never_followed(hostile, other_host, asynchronous):
    elsewhere = other_host.base_url + "/contacts/abc"
    other_host.route("GET", "/contacts/abc", Reply(200, CONTACT))
    hostile.route("GET", "/contacts/abc", Reply(302, b"", headers={"Location": elsewhere}))
    with pytest.raises(GHLResponseError) as caught:
        await call(hostile, "get_contact", contact_id="abc", asynchronous=asynchronous)
    error = caught.value
    assert error.status == 302 and error.operation == "get_contact"
    assert "redirect" in str(error).lower()
    assert other_host.sent() == []  # the token never left for the other host
    assert len(hostile.sent("GET", "/contacts/abc")) == 3  # idempotent: retried (max_retries=2)


def test_redirected_create_is_an_ambiguous_write_sent_once(hostile):
    hostile.route("POST", "/contacts/", Reply(302, b"", headers={"Location": "/maintenance"}))
    with pytest.raises(GHLAmbiguousWriteError, match="302"):
        hostile.hook(max_retries=2).call("create_contact", body={"firstName": "Ada"})
    assert len(hostile.sent("POST", "/contacts/")) == 1  # never re-sent blindly


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
async def test_html_maintenance_page_is_not_data(hostile, asynchronous):
    hostile.route("GET", "/contacts/abc", Reply(200, MAINTENANCE, content_type="text/html; charset=utf-8"))
    with pytest.raises(GHLResponseError) as caught:
        await call(hostile, "get_contact", contact_id="abc", asynchronous=asynchronous, max_retries=1)
    error = caught.value
    assert (error.status, error.content_type) == (200, "text/html; charset=utf-8")
    assert "maintenance" in error.excerpt and len(error.excerpt) <= 200
    assert "maintenance" in str(error)
    assert len(hostile.sent("GET", "/contacts/abc")) == 2


@pytest.mark.parametrize(("reply", "said"), [
    (Reply(200, b'{"contact": {"id": "abc", "firstN', content_type="application/json"), "not valid JSON"),
    (Reply(200, [CONTACT["contact"]]), "a list"),
    (Reply(200, json.dumps(CONTACT), content_type="text/plain"), "text/plain"),
    (Reply(200, json.dumps(CONTACT).encode()), "no content type"),
    (Reply(200, b"not gzip at all", content_type="application/json", headers={"Content-Encoding": "gzip"}),
     "could not be decoded"),
    (Reply(200, b"null", content_type="application/json"), "null"),
], ids=["cut-json", "list-for-object", "wrong-content-type", "no-content-type", "bad-gzip", "null"])
def test_answers_that_are_not_what_the_operation_answers(hostile, reply, said):
    hostile.route("GET", "/contacts/abc", reply)
    with pytest.raises(GHLResponseError, match=said):
        hostile.hook(max_retries=0).call("get_contact", contact_id="abc")


def test_collection_page_without_its_records_is_an_error(hostile):
    hostile.route("GET", "/contacts/", Reply(200, {"meta": {"total": 0}, "traceId": "t"}))
    with pytest.raises(GHLResponseError, match="'contacts'"):
        list(hostile.hook(max_retries=0).paginate("list_contacts"))
    hostile.route("GET", "/contacts/", Reply(200, {"contacts": [], "meta": {"total": 0}}))
    assert list(hostile.hook(max_retries=0).paginate("list_contacts")) == []  # an empty page is a real answer


def test_operations_that_answer_files_lists_or_nothing_still_work(hostile):
    recording = f"/conversations/messages/m1/locations/{LOCATION_ID}/recording"
    transcript = f"/conversations/locations/{LOCATION_ID}/messages/m1/transcription/download"
    hostile.route("GET", recording, Reply(200, b"RIFF\x00\x01WAVE", content_type="audio/x-wav"))
    hostile.route("GET", transcript, Reply(200, "[0:00:00] channel 1: hello\n"))
    hostile.route("GET", "/calendars/c1/notifications", Reply(200, [{"_id": "n1"}]))
    hostile.route("DELETE", "/contacts/abc", Reply(204, b""))
    hostile.route("DELETE", "/contacts/abc/tasks/t1", Reply(200, "OK"))
    hook = hostile.hook(max_retries=0)
    assert hook.call("get_message_recording", message_id="m1") == b"RIFF\x00\x01WAVE"
    assert hook.call("download_message_transcription", message_id="m1").startswith("[0:00:00]")
    assert list(hook.paginate("list_calendar_notifications", calendar_id="c1")) == [{"_id": "n1"}]
    assert hook.call("delete_contact", contact_id="abc") is None
    assert hook.call("delete_contact_task", contact_id="abc", contact_task_id="t1") == "OK"
    # ...but a maintenance page is not a recording.
    hostile.route("GET", recording, Reply(200, MAINTENANCE, content_type="text/html"))
    with pytest.raises(GHLResponseError, match="HTML page"):
        hook.call("get_message_recording", message_id="m1")


def test_excerpt_never_carries_the_token(hostile):
    echo = f"<html><pre>Authorization: Bearer {TOKEN}</pre> upstream error</html>"
    hostile.route("GET", "/contacts/abc", Reply(200, echo, content_type="text/html"))
    with pytest.raises(GHLResponseError) as caught:
        hostile.hook(max_retries=0).call("get_contact", contact_id="abc")
    assert TOKEN not in str(caught.value) and TOKEN not in caught.value.excerpt
    assert "upstream error" in str(caught.value)


def test_export_keeps_the_previous_file_when_highlevel_answers_html(hostile, tmp_path):
    from airflow_provider_ghl.transfers.export import GHLExportOperator

    target = tmp_path / "contacts.jsonl"
    target.write_bytes(b'{"id":"good-1"}\n{"id":"good-2"}\n')
    before = target.read_bytes()
    hostile.route("GET", "/contacts/", Reply(200, MAINTENANCE, content_type="text/html"))
    operator = GHLExportOperator(task_id="export", operation="list_contacts", path=str(target), mode="full",
                                 ghl_conn_id="ghl_hostile")
    operator.hook.max_retries, operator.hook.backoff_base = 1, 0.01
    with pytest.raises(GHLResponseError):
        operator.execute(task_context("export"))
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["contacts.jsonl"]  # no partial file left behind


def test_record_sensor_does_not_fire_on_a_maintenance_page(hostile):
    from airflow_provider_ghl.sensors.contacts import GHLGetContactSensor

    hostile.route("GET", "/contacts/abc", Reply(200, MAINTENANCE, content_type="text/html"))
    sensor = GHLGetContactSensor(task_id="wait", contact_id="abc", ghl_conn_id="ghl_hostile")
    sensor.hook.max_retries, sensor.hook.backoff_base = 1, 0.01
    with pytest.raises(GHLResponseError):
        sensor.poke(task_context("wait"))
    hostile.route("GET", "/contacts/abc", Reply(200, CONTACT))
    assert sensor.poke(task_context("wait")).xcom_value == CONTACT["contact"]


def test_what_each_operation_answers_follows_the_official_spec():
    from airflow_provider_ghl.catalog import operations
    from tests.openapi import response_schema

    for op in operations().values():
        schema, answer = response_schema(op), op.answer
        if schema is None:  # the spec declares no JSON answer: a file, or JSON it forgot to describe
            assert answer in ("object", "download"), op.key
        else:
            assert answer == ("list" if schema.get("type") == "array" else "object"), op.key
