"""Path arguments cannot leave their segment: a value that would change the request's route is refused
before anything is sent, when the DAG is parsed (literals) and again after rendering (``dag_run.conf``).

The danger is real: ``..`` in the last segment of ``DELETE /contacts/{contactId}/tasks/{taskId}`` is
resolved away by the HTTP client, and ``DELETE /contacts/{contactId}`` deletes the whole contact.
"""

from __future__ import annotations

import pytest

from airflow_provider_ghl.catalog import MAX_ID_LENGTH, get_operation
from airflow_provider_ghl.exceptions import GHLInputError
from airflow_provider_ghl.hooks.ghl import GHLHook
from airflow_provider_ghl.operators import calendars, contacts
from tests.conftest import task_context
from tests.hostile import LOCATION_ID, Reply

# Every way a value could reach another route: dot segments (plain, percent-encoded, Unicode look-alikes
# that NFKC-normalize to dots), separators, query/fragment starters, whitespace and control characters.
ROUTE_CHANGING = {
    "dot": ".", "dot-dot": "..", "three-dots": "...", "encoded-dot-dot": "%2e%2e", "half-encoded": ".%2E",
    "double-encoded": "%252e%252e", "fullwidth-dots": "\uff0e\uff0e", "one-dot-leaders": "\u2024\u2024",
    "two-dot-leader": "\u2025", "slash": "a/b", "climb": "../x", "encoded-slash": "a%2Fb", "backslash": "a\\b",
    "query": "a?b=1", "fragment": "a#b", "space": "a b", "blank": "   ", "tab": "\t", "newline": "abc\n",
    "nul": "a\x00b", "delete-char": "a\x7fb", "empty": "", "too-long": "a" * (MAX_ID_LENGTH + 1),
}
NOT_IDS = {"bool": True, "float": 1.5, "none": None, "list": ["abc"], "bytes": b"abc"}


def sandbox_state(sandbox) -> dict[str, list]:
    """The tables a misrouted delete would touch."""
    return {table: sandbox.control("GET", f"tables/{table}")
            for table in ("contacts", "contact_tasks", "contact_notes", "calendars", "calendar_notifications")}


def a_contact_with_tasks_and_notes(sandbox) -> str:
    tasks = {t["contactId"] for t in sandbox.control("GET", "tables/contact_tasks")}
    notes = {n["contactId"] for n in sandbox.control("GET", "tables/contact_notes")}
    return next(c["id"] for c in sandbox.control("GET", "tables/contacts")
                if c["locationId"] == sandbox.location_id and c["id"] in tasks & notes)


def a_calendar_with_notifications(sandbox) -> str:
    return next(n["calendarId"] for n in sandbox.control("GET", "tables/calendar_notifications"))


def destructive(sandbox) -> list[tuple[type, dict[str, str], str]]:
    """The real destructive operators whose last segment, as ``..``, would hit the parent record."""
    contact, calendar = a_contact_with_tasks_and_notes(sandbox), a_calendar_with_notifications(sandbox)
    return [
        (contacts.GHLDeleteContactTaskOperator, {"contact_id": contact}, "contact_task_id"),
        (contacts.GHLDeleteContactNoteOperator, {"contact_id": contact}, "note_id"),
        (contacts.GHLRemoveContactFromCampaignOperator, {"contact_id": contact}, "campaign_id"),
        (contacts.GHLRemoveContactFromWorkflowOperator, {"contact_id": contact}, "workflow_id"),
        (calendars.GHLDeleteCalendarNotificationOperator, {"calendar_id": calendar}, "notification_id"),
    ]


@pytest.fixture
def _connections(ghl_connections):
    """``ghl_default`` and friends point at the session sandbox."""


# -- operators against the sandbox ----------------------------------------------------------------------
@pytest.mark.usefixtures("_connections")
@pytest.mark.parametrize("value", ["..", ".", "%2e%2e", "\uff0e\uff0e"])
def test_a_dot_segment_id_is_refused_when_the_dag_is_parsed(fresh_sandbox, value):
    before, sent = sandbox_state(fresh_sandbox), fresh_sandbox.stats().get("requests", 0)
    for cls, arguments, argument in destructive(fresh_sandbox):
        with pytest.raises(GHLInputError, match=argument) as failure:
            cls(task_id="delete", **arguments, **{argument: value})
        assert "segment" in str(failure.value) or "letters, digits" in str(failure.value)
    assert fresh_sandbox.stats().get("requests", 0) == sent
    assert sandbox_state(fresh_sandbox) == before


@pytest.mark.usefixtures("_connections")
def test_a_rendered_dot_segment_id_deletes_nothing_and_sends_nothing(fresh_sandbox):
    before, sent = sandbox_state(fresh_sandbox), fresh_sandbox.stats().get("requests", 0)
    for cls, arguments, argument in destructive(fresh_sandbox):
        operator = cls(task_id="delete", **arguments, **{argument: "{{ dag_run.conf['id'] }}"})
        setattr(operator, argument, "..")  # what rendering left
        with pytest.raises(GHLInputError, match=f"{argument} '..' is a dot segment"):
            operator.execute(task_context("delete"))
    assert fresh_sandbox.stats().get("requests", 0) == sent
    assert sandbox_state(fresh_sandbox) == before


DAG_FILE = """
import pendulum
from airflow.sdk import DAG
from airflow_provider_ghl.operators.contacts import GHLDeleteContactTaskOperator

with DAG("ghl_path_safety_conf", schedule=None, start_date=pendulum.datetime(2026, 1, 1, tz="UTC")):
    GHLDeleteContactTaskOperator(task_id="delete_task", contact_id="{{ dag_run.conf['contact_id'] }}",
                                 contact_task_id="{{ dag_run.conf['task_id'] }}")
"""


def test_an_id_from_dag_run_conf_fails_the_task_and_leaves_the_contact(fresh_sandbox, dag_runner, tmp_path):
    """The whole way: a DAG file whose ids come from ``dag_run.conf``, parsed, stored and run with ``dag.test()``."""
    from airflow.dag_processing.bundles.manager import DagBundlesManager
    from airflow.dag_processing.dagbag import BundleDagBag, sync_bag_to_db

    DagBundlesManager().sync_bundles_to_db()  # the configured "dags-folder" bundle, which this DAG joins
    (tmp_path / "ghl_path_safety_dag.py").write_text(DAG_FILE)
    bag = BundleDagBag(dag_folder=str(tmp_path), bundle_path=tmp_path, bundle_name="dags-folder")
    assert not bag.import_errors, bag.import_errors  # the templated ids pass the parse-time checks
    sync_bag_to_db(bag, "dags-folder", None)  # dag.test() runs only serialized DAGs
    contact = a_contact_with_tasks_and_notes(fresh_sandbox)
    before, sent = sandbox_state(fresh_sandbox), fresh_sandbox.stats().get("requests", 0)
    run = bag.get_dag("ghl_path_safety_conf").test(run_conf={"contact_id": contact, "task_id": ".."})
    result = dag_runner.result("ghl_path_safety_conf", run.run_id)
    assert result.task_states == {"delete_task": "failed"}
    assert fresh_sandbox.stats().get("requests", 0) == sent
    assert sandbox_state(fresh_sandbox) == before


# -- the hook, against the hostile server (it records every request it gets) --------------------------
@pytest.mark.parametrize("value", [*ROUTE_CHANGING.values(), *NOT_IDS.values()],
                         ids=[*ROUTE_CHANGING, *NOT_IDS])
def test_the_hook_refuses_route_changing_path_values_before_sending(hostile, value):
    hook = GHLHook("ghl_hostile")
    with pytest.raises(GHLInputError, match="contact_id") as failure:
        hook.call("get_contact_tasks", contact_id=value)
    assert "Pass" in str(failure.value) or "pass" in str(failure.value)  # says the fix
    with pytest.raises(GHLInputError, match="contact_task_id"):
        hook.call("delete_contact_task", contact_id="abc", contact_task_id=value)
    assert hostile.sent() == []


def test_ids_made_of_unreserved_characters_reach_the_server_as_they_are(hostile):
    hostile.route("GET", "/contacts/aZ09-_.~x/tasks", Reply(200, {"tasks": []}))
    hostile.route("GET", "/contacts/12345/tasks", Reply(200, {"tasks": []}))
    hostile.route("GET", f"/contacts/{'a' * MAX_ID_LENGTH}/tasks", Reply(200, {"tasks": []}))
    hook = GHLHook("ghl_hostile")
    for value in ("aZ09-_.~x", 12345, "a" * MAX_ID_LENGTH):
        hook.call("get_contact_tasks", contact_id=value)
    assert [r.path for r in hostile.sent()] == ["/contacts/aZ09-_.~x/tasks", "/contacts/12345/tasks",
                                                f"/contacts/{'a' * MAX_ID_LENGTH}/tasks"]
    # The rule is one function: what render_path builds, the hook sends.
    with pytest.raises(GHLInputError, match="dot segment"):
        get_operation("get_contact_tasks").render_path({"contact_id": ".."})


@pytest.mark.parametrize("value", ["..", "a/b", "%2e%2e", " ", "a?b"])
def test_a_location_id_argument_cannot_change_the_route(hostile, value):
    hook = GHLHook("ghl_hostile")
    with pytest.raises(GHLInputError, match="location_id"):
        hook.call("find_location", location_id=value)  # /locations/{locationId}
    with pytest.raises(GHLInputError, match="location_id"):
        hook.call("list_custom_fields", location_id=value)  # /locations/{locationId}/customFields
    with pytest.raises(GHLInputError, match="location_id"):
        hook.call("search_contacts", location_id=value, body={})  # carried in the body
    assert hostile.sent() == []


@pytest.mark.usefixtures("_connections")
def test_a_location_id_operator_argument_is_checked_at_parse_time(sandbox):
    sent = sandbox.stats().get("requests", 0)
    with pytest.raises(GHLInputError, match="location_id"):
        contacts.GHLCreateContactOperator(task_id="create", location_id="../x", body={"firstName": "A"})
    assert sandbox.stats().get("requests", 0) == sent


def test_query_values_cannot_change_the_route(hostile):
    """Query values are percent-encoded into the query: the path stays the operation's."""
    hostile.route("GET", f"/locations/{LOCATION_ID}/customFields", Reply(200, {"customFields": []}))
    hook = GHLHook("ghl_hostile")
    hook.call("list_custom_fields", query={"model": "contact/../../x?y=1#z"})
    (request,) = hostile.sent()
    assert request.path == f"/locations/{LOCATION_ID}/customFields"
    assert request.query["model"] == "contact/../../x?y=1#z"
    with pytest.raises(GHLInputError, match=r"query\.model"):
        hook.call("list_custom_fields", query={"model": "a\x00b"})
    assert len(hostile.sent()) == 1
