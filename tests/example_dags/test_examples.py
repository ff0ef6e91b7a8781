"""Every Gestioo example DAG end to end with ``dag.test()`` against the session sandbox.

The module resets the sandbox once and runs the DAGs in the story's order (new customers first, then
the DAGs that read, report on and route them); each test asserts on what changed in the sandbox and on
the files the DAG wrote, not only on the run's state.
"""

from __future__ import annotations

import asyncio
import csv
import json
import sqlite3
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[2] / "example_dags" / "gestioo_data"
CUSTOMERS = list(csv.DictReader((DATA / "customers_new.csv").open(encoding="utf-8")))
BUSINESS_EVENT = json.loads((DATA / "events" / "business_updated.json").read_text())
ROUTING = json.loads((DATA / "routing.json").read_text())


@pytest.fixture(scope="module")
def outputs(sandbox, tmp_path_factory):
    """A freshly seeded sandbox and an empty output folder for the module."""
    sandbox.reset(seed=42, contacts=200)
    sandbox.configure(rate_limits={"enabled": False}, faults={"rate": 0.0})
    folder = tmp_path_factory.mktemp("ghl-examples")
    patch = pytest.MonkeyPatch()
    patch.setenv("GHL_EXAMPLE_OUTPUT", str(folder))
    yield folder
    patch.undo()


@pytest.fixture
def run(dag_runner, outputs):
    def run_dag(dag_id: str, conf: dict | None = None):
        result = dag_runner.run(dag_id, run_conf=conf)
        assert result.succeeded, result.task_states
        assert result.summary_lines(), "every example DAG ends with a summary"
        return result

    return run_dag


def contact_by_email(api, email: str) -> dict | None:
    return api("GET", "/contacts/search/duplicate", params={"email": email}).json()["contact"]


def location_contacts(sandbox) -> list[dict]:
    return [c for c in sandbox.control("GET", "tables/contacts") if c["locationId"] == sandbox.location_id]


def test_new_contacts_upserts_the_batch_with_one_follow_up_each_and_reruns_idempotently(run, sandbox, api):
    first = run("example_gestioo_new_contacts")
    assert first.xcoms["summary"][0].endswith(f"{len(CUSTOMERS)} new, 0 updated")
    second = run("example_gestioo_new_contacts")
    assert second.xcoms["summary"][0].endswith(f"0 new, {len(CUSTOMERS)} updated")

    emails = Counter(c.get("email") for c in location_contacts(sandbox))
    tasks = sandbox.control("GET", "tables/contact_tasks")
    for row in CUSTOMERS:
        assert emails[row["email"]] == 1
        contact = contact_by_email(api, row["email"])
        assert {"gestioo", *row["tags"].split(";")} <= set(contact["tags"])
        assert contact["companyName"] == row["company"]
        follow_ups = [t for t in tasks if t["contactId"] == contact["id"] and t["title"] == row["follow_up"]]
        assert len(follow_ups) == 1 and follow_ups[0]["completed"] is False


def test_contact_details_merges_the_contact_its_tasks_and_notes(run, sandbox, outputs):
    tasks, notes = sandbox.control("GET", "tables/contact_tasks"), sandbox.control("GET", "tables/contact_notes")
    task_counts, note_counts = Counter(t["contactId"] for t in tasks), Counter(n["contactId"] for n in notes)
    contact = next(c for c in location_contacts(sandbox)
                   if c.get("email") and task_counts[c["id"]] >= 2 and note_counts[c["id"]] >= 2)

    run("example_gestioo_contact_details", {"gestioo_id": "T-42", "email": contact["email"]})

    merged = json.loads((outputs / "gestioo_outbox" / "customer_T-42.json").read_text())
    assert merged["highlevel"]["id"] == contact["id"]
    assert {t["id"] for t in merged["tasks"]} == {t["id"] for t in tasks if t["contactId"] == contact["id"]}
    assert {n["id"] for n in merged["notes"]} == {n["id"] for n in notes if n["contactId"] == contact["id"]}

    # The sample event (no conf) names a customer the new-contacts DAG created.
    default = run("example_gestioo_contact_details")
    assert "is HighLevel contact Marta Lopez" in default.xcoms["summary"][0]

    missing = run("example_gestioo_contact_details", {"gestioo_id": "T-0", "email": "nobody@nowhere.example"})
    assert "not in HighLevel yet" in missing.xcoms["summary"][0]
    assert json.loads((outputs / "gestioo_outbox" / "customer_T-0.json").read_text())["highlevel"] is None


def test_business_report_updates_the_business_and_reports_its_contacts(run, sandbox, api, outputs):
    result = run("example_gestioo_business_report")

    business = BUSINESS_EVENT["business"]
    matches = [b for b in sandbox.control("GET", "tables/businesses") if b["name"] == business["name"]]
    assert len(matches) == 1
    assert matches[0]["phone"] == business["phone"] and matches[0]["website"] == business["website"]
    attached = api("GET", f"/contacts/business/{matches[0]['id']}", params={"limit": 100}).json()["contacts"]
    assert {c["email"] for c in attached} == set(BUSINESS_EVENT["contact_emails"])

    folder = outputs / "business_report"
    naming = {row["email"] for row in CUSTOMERS if row["company"] == business["name"]}
    expected = {"contacts_attached": len(attached), "contacts_naming_company": len(naming),
                "contacts_naming_company_not_attached": len(naming - set(BUSINESS_EVENT["contact_emails"]))}
    with sqlite3.connect(folder / "reports.sqlite") as db:
        stored = dict(db.execute("SELECT metric, value FROM business_report WHERE business_id = ? AND dimension = ''",
                                 (matches[0]["id"],)).fetchall())
        tag_rows = dict(db.execute("SELECT dimension, value FROM business_report WHERE metric = 'contacts_by_tag'"))
    assert {key: stored[key] for key in expected} == expected
    assert tag_rows["gestioo"] == len(attached)
    report = list(csv.DictReader((folder / "report_harbor_dental_group.csv").open()))
    assert {(r["metric"], r["dimension"]): int(r["value"]) for r in report}[("contacts_attached", "")] == len(attached)
    assert result.xcoms["build_report"]["contacts_naming_company_not_attached"] == 1

    run("example_gestioo_business_report")  # an update, not a second business
    assert sum(b["name"] == business["name"] for b in sandbox.control("GET", "tables/businesses")) == 1


def test_contacts_hub_routes_gestioo_contacts_by_tag_once(run, sandbox, api, outputs):
    sandbox.control("DELETE", "stats")
    run("example_gestioo_contacts_hub")

    expected = Counter()
    for row in CUSTOMERS:
        rule = next(r for r in ROUTING["rules"] if r["tag"] in row["tags"].split(";"))
        expected["workflow" if "workflow" in rule else "campaign"] += 1
    stats = sandbox.stats()
    assert stats.get("op:add_contact_to_workflow", 0) == expected["workflow"]
    assert stats.get("op:add_contact_to_campaign", 0) == expected["campaign"]
    for row in CUSTOMERS:
        assert ROUTING["routed_tag"] in contact_by_email(api, row["email"])["tags"]
    hub = json.loads((outputs / "contacts_hub" / "hub.json").read_text())
    assert hub["totals"]["contacts"] == len(location_contacts(sandbox))
    marta = next(c for c in hub["gestioo_contacts"] if c["email"] == CUSTOMERS[0]["email"])
    assert marta["route"]["kind"] == "workflow" and marta["route"]["name"] == "Webinar Registration"

    sandbox.control("DELETE", "stats")
    rerun = run("example_gestioo_contacts_hub")
    assert "op:add_contact_to_workflow" not in sandbox.stats()
    assert f"({len(CUSTOMERS)} routed by an earlier run)" in rerun.xcoms["summary"][1]


def test_contact_sync_copies_exactly_what_the_event_trigger_reported(run, sandbox, api, outputs):
    from airflow_provider_ghl.hooks.ghl import GHLAsyncHook
    from airflow_provider_ghl.triggers.ghl import GHLContactEventTrigger

    trigger = GHLContactEventTrigger(watch="updated", first_run="skip")

    async def poll() -> dict | None:
        async with GHLAsyncHook() as hook:
            payload, cursor = await trigger.poll_once(hook)
        if cursor is not None:
            await trigger.save_cursor(cursor)
        return payload

    assert asyncio.run(poll()) is None  # the first poll only remembers what exists
    changed = [contact_by_email(api, row["email"]) for row in CUSTOMERS[:2]]
    for contact in changed:
        answer = api("PUT", f"/contacts/{contact['id']}", json={"city": "Lisbon"})
        assert answer.status_code == 200, answer.text
    payload = asyncio.run(poll())
    assert sorted(payload["ids"]) == sorted(c["id"] for c in changed)

    result = run("example_gestioo_contact_sync", payload)

    assert sorted(result.xcoms["sync_to_gestioo"]["synced"]) == sorted(payload["ids"])
    batch = json.loads((outputs / "gestioo_inbox" / f"changes_{payload['event_key']}.json").read_text())
    assert sorted(c["highlevel_id"] for c in batch["upserted"]) == sorted(payload["ids"])
    assert {c["city"] for c in batch["upserted"]} == {"Lisbon"}
    customers = json.loads((outputs / "gestioo_inbox" / "customers.json").read_text())
    assert set(customers) == set(payload["ids"])


def test_dashboard_snapshots_counts_into_sqlite_and_draws_the_chart(run, sandbox, api, outputs):
    result = run("example_gestioo_dashboard")

    day = result.xcoms["load_snapshot"]["day"]
    with sqlite3.connect(outputs / "dashboard" / "dashboard.sqlite") as db:
        totals = dict(db.execute("SELECT metric, SUM(value) FROM daily_snapshot WHERE day = ? GROUP BY metric", (day,)))
    opportunities = [o for o in sandbox.control("GET", "tables/opportunities") if o["locationId"] == sandbox.location_id]
    assert totals["contacts_total"] == len(location_contacts(sandbox))
    assert totals["opportunities_by_status"] == len(opportunities)
    open_value = sum(o.get("monetaryValue") or 0 for o in opportunities if o["status"] == "open")
    assert totals["open_value_by_stage"] == open_value
    assert totals["appointments_by_status"] == result.xcoms["export_appointments"]["count"] > 0

    chart = ET.parse(outputs / "dashboard" / f"dashboard_{day}.svg").getroot()
    bars = chart.findall("{http://www.w3.org/2000/svg}rect")
    assert len(bars) > 5  # the background plus one bar per week, stage and status

    rerun = run("example_gestioo_dashboard")  # the same day again: replaced, not doubled
    with sqlite3.connect(outputs / "dashboard" / "dashboard.sqlite") as db:
        again = dict(db.execute("SELECT metric, SUM(value) FROM daily_snapshot WHERE day = ? GROUP BY metric", (day,)))
    assert rerun.succeeded and again["contacts_total"] == totals["contacts_total"]


def test_mapped_contacts_rerun_creates_no_duplicates(dag_runner, outputs, sandbox):
    from example_ghl_mapped_contacts import LEADS  # the DAG folder is on sys.path, as in Airflow

    def state() -> tuple[Counter, Counter]:
        emails = {lead["email"] for lead in LEADS}
        contacts = {c["id"]: c["email"] for c in location_contacts(sandbox) if c.get("email") in emails}
        notes = Counter(contacts[n["contactId"]] for n in sandbox.control("GET", "tables/contact_notes")
                        if n["contactId"] in contacts)
        return Counter(contacts.values()), notes

    assert dag_runner.run("example_ghl_mapped_contacts").succeeded
    contacts, notes = state()
    assert contacts == notes == Counter(lead["email"] for lead in LEADS)  # one contact and one note per lead

    assert dag_runner.run("example_ghl_mapped_contacts").succeeded
    assert state() == (contacts, notes)
