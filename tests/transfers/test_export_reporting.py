"""GHLExportOperator against the sandbox's stateful reporting areas: invoices, transactions and form submissions
exported record by record (each record of the sandbox's state exactly once, across pages), and incrementally: a
second run over the next interval exports just the record added in between."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from airflow_provider_ghl.transfers.export import GHLExportOperator
from tests.conftest import task_context

pytestmark = pytest.mark.usefixtures("ghl_connections")


def exported(tmp_path, name: str, operation: str, query: dict, *, interval=None, **kwargs) -> list[dict]:
    target = tmp_path / f"{name}.jsonl"
    result = GHLExportOperator(task_id=name, operation=operation, path=str(target), query=query, page_size=7,
                               mode="incremental" if interval else "full", **kwargs
                               ).execute(task_context(name, interval=interval))
    records = [json.loads(line) for line in target.read_text().splitlines()]
    assert result["count"] == len(records)
    return records


def of_location(sandbox, table: str, field: str = "altId") -> list[dict]:
    return [r for r in sandbox.control("GET", f"tables/{table}") if r[field] == sandbox.location_id]


def located(sandbox, **more) -> dict:
    return {"altId": sandbox.location_id, "altType": "location", **more}


@pytest.mark.parametrize(("operation", "table", "api_version"), [
    ("invoices__list_invoices", "invoices", None), ("list_transactions", "transactions", "v3"),
])
def test_a_full_export_holds_each_record_of_the_sandbox_once(fresh_sandbox, tmp_path, operation, table, api_version):
    records = exported(tmp_path, table, operation, located(fresh_sandbox, offset=0, limit=7), api_version=api_version)
    state = {r["id"]: r for r in of_location(fresh_sandbox, table)}
    assert sorted(r["_id"] for r in records) == sorted(state) and len(state) > 20  # more than a few pages of 7
    for record in records:
        assert record["createdAt"] == state[record["_id"]]["createdAt"]
        assert record.get("total", record.get("amount")) == state[record["_id"]].get("total", state[record["_id"]].get("amount"))


def test_incremental_invoice_exports_take_the_interval_and_then_only_what_was_added(fresh_sandbox, tmp_path, api):
    first_end = datetime.now(UTC)
    interval = (first_end - timedelta(weeks=3), first_end)
    first = exported(tmp_path, "first", "invoices__list_invoices", located(fresh_sandbox, offset=0, limit=7), interval=interval)
    expected = {r["id"] for r in of_location(fresh_sandbox, "invoices")
                if interval[0] <= datetime.fromisoformat(r["updatedAt"]) < interval[1]}
    assert sorted(r["_id"] for r in first) == sorted(expected) and expected

    contact = next(c for c in fresh_sandbox.control("GET", "tables/contacts") if c["locationId"] == fresh_sandbox.location_id)
    created = api("POST", "/invoices/", json={
        **located(fresh_sandbox), "name": "Late addition", "currency": "USD", "liveMode": True, "businessDetails": {},
        "discount": {}, "contactDetails": {"id": contact["id"]}, "issueDate": first_end.strftime("%Y-%m-%d"),
        "sentTo": {}, "items": [{"name": "Audit", "currency": "USD", "amount": 450, "qty": 1}]}).json()
    second = exported(tmp_path, "second", "invoices__list_invoices", located(fresh_sandbox, offset=0, limit=7),
                      interval=(first_end, datetime.now(UTC) + timedelta(seconds=1)))
    assert [r["_id"] for r in second] == [created["_id"]] and second[0]["total"] == 450


def test_form_submissions_export_each_once_in_full_and_by_interval(fresh_sandbox, tmp_path):
    location = {"locationId": fresh_sandbox.location_id}
    submissions = of_location(fresh_sandbox, "form_submissions", "locationId")
    everything = exported(tmp_path, "all", "get_forms_submissions", {**location, "startAt": "2020-01-01"})
    assert sorted(s["id"] for s in everything) == sorted(s["id"] for s in submissions)
    assert {s["id"]: s["others"]["eventData"]["source"] for s in everything} == \
        {s["id"]: s["others"]["eventData"]["source"] for s in submissions}

    end = datetime.now(UTC)
    interval = (end - timedelta(days=10), end)
    recent = exported(tmp_path, "recent", "get_forms_submissions", location, interval=interval, watch="new")
    assert sorted(s["id"] for s in recent) == sorted(
        s["id"] for s in submissions if interval[0] <= datetime.fromisoformat(s["createdAt"]) < interval[1])
