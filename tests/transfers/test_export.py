"""GHLExportOperator against the sandbox: content, incremental windows, reruns, atomicity, stable CSV columns."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime, timedelta

import pytest

from airflow_provider_ghl.exceptions import GHLInputError
from airflow_provider_ghl.transfers.export import GHLExportOperator
from tests.conftest import task_context

pytestmark = pytest.mark.usefixtures("ghl_connections")


def sandbox_ids(sandbox, table: str) -> set[str]:
    return {r["id"] for r in sandbox.control("GET", f"tables/{table}") if r.get("locationId") == sandbox.location_id}


def read_jsonl(path) -> list[dict]:
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


def read_csv(path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.parametrize(
    ("operation", "table"),
    [
        ("search_contacts", "contacts"),
        ("search_opportunities", "opportunities"),
        ("search_conversations", "conversations"),
        ("list_businesses_by_location", "businesses"),
    ],
)
def test_full_export_equals_the_sandbox_records(fresh_sandbox, tmp_path, operation, table):
    target = tmp_path / f"{operation}.jsonl"
    result = GHLExportOperator(task_id="export", operation=operation, path=str(target), mode="full").execute({})
    records = read_jsonl(target)
    ids = [r["id"] for r in records]
    assert len(ids) == len(set(ids)) == result["count"]
    assert set(ids) == sandbox_ids(fresh_sandbox, table)
    assert result == {"path": str(target), "count": len(ids), "operation": operation, "window": None, "format": "jsonl"}


def test_search_users_export_needs_the_company_and_gets_every_user(fresh_sandbox, tmp_path):
    target = tmp_path / "users.jsonl"
    GHLExportOperator(task_id="export", operation="search_users", path=str(target), mode="full").execute({})
    exported = {r["id"] for r in read_jsonl(target)}
    expected = {u["id"] for u in fresh_sandbox.control("GET", "tables/users") if not u.get("deleted")}
    assert exported == expected


def test_per_contact_tasks_and_notes_in_one_task(fresh_sandbox, tmp_path):
    for operation, table in (("get_contact_tasks", "contact_tasks"), ("get_contact_notes", "contact_notes")):
        target = tmp_path / f"{operation}.csv"
        result = GHLExportOperator(task_id="export", operation=operation, path=str(target), mode="full",
                                   for_each_contact=True).execute({})
        rows = read_csv(target)
        contacts = sandbox_ids(fresh_sandbox, "contacts")
        expected = {r["id"] for r in fresh_sandbox.control("GET", f"tables/{table}") if r["contactId"] in contacts}
        assert {row["id"] for row in rows} == expected and result["count"] == len(expected)
        assert all(row["contactId"] for row in rows)


def test_incremental_run_picks_exactly_the_records_changed_in_its_interval(fresh_sandbox, api, tmp_path):
    contacts = sorted(sandbox_ids(fresh_sandbox, "contacts"))
    start = datetime.now(UTC) - timedelta(seconds=1)
    changed = contacts[:7]
    for contact_id in changed:
        assert api("PUT", f"/contacts/{contact_id}", json={"city": "Changed City"}).status_code == 200
    end = datetime.now(UTC) + timedelta(seconds=1)
    target = tmp_path / "changed.jsonl"
    operator = GHLExportOperator(task_id="export", operation="search_contacts", path=str(target))
    result = operator.execute(task_context(interval=(start, end)))
    assert {r["id"] for r in read_jsonl(target)} == set(changed)
    assert result["window"] == [start.isoformat(), end.isoformat()]

    first = target.read_bytes()
    operator.execute(task_context(interval=(start, end)))
    assert target.read_bytes() == first, "a rerun of the same interval must give an identical file"


def test_new_records_window_uses_the_creation_time(fresh_sandbox, api, tmp_path):
    start = datetime.now(UTC) - timedelta(seconds=1)
    created = [api("POST", "/contacts/", json={"locationId": fresh_sandbox.location_id, "email": f"new{i}@example.com"})
               .json()["contact"]["id"] for i in range(3)]
    end = datetime.now(UTC) + timedelta(seconds=1)
    target = tmp_path / "new.jsonl"
    GHLExportOperator(task_id="export", operation="search_contacts", path=str(target), watch="new").execute(
        task_context(interval=(start, end)))
    assert {r["id"] for r in read_jsonl(target)} == set(created)


def test_a_failure_midway_leaves_no_file(fresh_sandbox, tmp_path, monkeypatch):
    target = tmp_path / "out" / "contacts.jsonl"
    original = GHLExportOperator.progress

    def failing(self, records):
        for count, record in enumerate(original(self, records)):
            if count == 50:
                raise ConnectionError("injected failure after 50 records")
            yield record

    monkeypatch.setattr(GHLExportOperator, "progress", failing)
    with pytest.raises(ConnectionError):
        GHLExportOperator(task_id="export", operation="search_contacts", path=str(target), mode="full").execute({})
    assert list(target.parent.iterdir()) == []


def test_a_rerun_after_a_failure_replaces_nothing_until_it_succeeds(fresh_sandbox, tmp_path, monkeypatch):
    target = tmp_path / "contacts.jsonl"
    GHLExportOperator(task_id="export", operation="search_contacts", path=str(target), mode="full").execute({})
    before = target.read_bytes()
    monkeypatch.setattr(GHLExportOperator, "progress", lambda self, records: (_ for _ in ()).throw(OSError("disk")))
    with pytest.raises(OSError):
        GHLExportOperator(task_id="export", operation="search_contacts", path=str(target), mode="full").execute({})
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["contacts.jsonl"]


def test_csv_columns_are_stable_across_runs_and_carry_custom_fields(fresh_sandbox, api, tmp_path):
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    GHLExportOperator(task_id="export", operation="search_contacts", path=str(first), mode="full").execute({})
    contact_id = sorted(sandbox_ids(fresh_sandbox, "contacts"))[0]
    api("PUT", f"/contacts/{contact_id}", json={"website": "https://example.com", "tags": ["new-tag"]})
    GHLExportOperator(task_id="export", operation="search_contacts", path=str(second), mode="full").execute({})
    headers = [list(read_csv(path)[0]) for path in (first, second)]
    assert headers[0] == headers[1]
    assert headers[0][0] == "id" and headers[0][-1] == "_extra"
    custom = [h for h in headers[0] if h.startswith("cf:")]
    assert custom == sorted(custom) and "cf:contact.lead_source" in custom
    rows = read_csv(second)
    assert any(row["cf:contact.lead_source"] for row in rows), "custom field values land in their columns"


def test_bad_arguments_fail_before_any_request(sandbox, tmp_path):
    before = sandbox.stats().get("requests", 0)
    bad = [
        {"operation": "get_contact"},
        {"operation": "search_contacts", "mode": "sometimes"},
        {"operation": "search_contacts", "format": "xml"},
        {"operation": "list_campaigns"},  # no timestamps: incremental cannot select an interval
        {"operation": "get_contact_tasks"},  # needs a contact or for_each_contact
    ]
    for arguments in bad:
        with pytest.raises(GHLInputError):
            GHLExportOperator(task_id="export", path=str(tmp_path / "x.jsonl"), **arguments)
    assert sandbox.stats().get("requests", 0) == before


def test_calendar_events_full_and_by_start_time_in_the_interval(fresh_sandbox, tmp_path):
    events = [e for e in fresh_sandbox.control("GET", "tables/events")  # appointments: block slots have no contact
              if e.get("locationId") == fresh_sandbox.location_id and e.get("contactId")]
    calendar_id = max({e["calendarId"] for e in events}, key=lambda c: sum(e["calendarId"] == c for e in events))
    mine = [e for e in events if e["calendarId"] == calendar_id]
    full = tmp_path / "events.jsonl"
    GHLExportOperator(task_id="export", operation="list_calendar_events", path=str(full), mode="full",
                      query={"calendarId": calendar_id}).execute({})
    assert {r["id"] for r in read_jsonl(full)} == {e["id"] for e in mine}

    starts = sorted(datetime.fromisoformat(e["startTime"].replace("Z", "+00:00")) for e in mine)
    start, end = starts[len(starts) // 3], starts[2 * len(starts) // 3]
    window = tmp_path / "window.jsonl"
    GHLExportOperator(task_id="export", operation="list_calendar_events", path=str(window),
                      query={"calendarId": calendar_id}).execute(task_context(interval=(start, end)))
    exported = {r["id"] for r in read_jsonl(window)}

    def moment(value: str) -> datetime:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))

    starting_inside = {e["id"] for e in mine if start < moment(e["startTime"]) < end}
    touching = {e["id"] for e in mine if moment(e["startTime"]) <= end and moment(e["endTime"]) >= start}
    assert starting_inside and starting_inside <= exported <= touching
