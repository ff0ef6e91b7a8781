"""Every GHL operator says in its log what it did: the operation, the record, its "View in HighLevel" link.

Never the token, never the record's content (a contact's email, phone, ...).
"""

from __future__ import annotations

import logging

import pytest

from airflow_provider_ghl.operators.contacts import (
    GHLCreateContactNoteOperator,
    GHLCreateContactOperator,
    GHLDeleteContactOperator,
)
from tests.conftest import task_context

pytestmark = pytest.mark.usefixtures("ghl_connections")
EMAIL = "log.line@example.com"


@pytest.fixture
def logged(caplog, capfd):
    """Everything operators logged so far (Airflow's structlog writes to stderr, the stdlib logger to caplog)."""
    caplog.set_level(logging.INFO)

    def text() -> str:
        printed = capfd.readouterr()
        return caplog.text + printed.out + printed.err

    return text


def test_operators_log_the_operation_the_record_and_its_link_and_no_secret(fresh_sandbox, logged):
    created = GHLCreateContactOperator(task_id="create", body={"firstName": "Log", "email": EMAIL})
    contact_id = created.execute(task_context("create"))["contact"]["id"]
    create_log = logged()
    note = GHLCreateContactNoteOperator(task_id="note", contact_id=contact_id, body={"body": "Called, no answer"})
    note_id = note.execute(task_context("note"))["note"]["id"]
    note_log = logged()
    GHLDeleteContactOperator(task_id="delete", contact_id=contact_id).execute(task_context("delete"))
    delete_log = logged()

    assert f"HighLevel create_contact: contact {contact_id}; View in HighLevel: {created.ghl_record_url}" in create_log
    assert f"HighLevel create_contact_note: note {note_id}; contact_id={contact_id}; View in HighLevel:" in note_log
    assert f"HighLevel delete_contact: contact_id={contact_id}" in delete_log
    token = fresh_sandbox.connection("full")["password"]
    for text in (create_log, note_log, delete_log):
        assert token not in text and EMAIL not in text and "Called, no answer" not in text
