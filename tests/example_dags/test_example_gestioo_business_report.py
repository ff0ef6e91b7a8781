"""example_gestioo_business_report: the Gestioo company's business updated, its people attached, a report written."""

from __future__ import annotations

import csv
import sqlite3

from tests.example_dags.helpers import BUSINESS_EVENT, CUSTOMERS


def businesses_named(sandbox, name: str) -> list[dict]:
    return [b for b in sandbox.control("GET", "tables/businesses") if b["name"] == name]


def test_updates_the_business_and_reports_its_contacts(run_example, gestioo_customers, sandbox, api, example_output):
    business = BUSINESS_EVENT["business"]
    assert businesses_named(sandbox, business["name"]) == []  # the DAG creates it

    result = run_example("example_gestioo_business_report")

    matches = businesses_named(sandbox, business["name"])
    assert len(matches) == 1
    assert matches[0]["phone"] == business["phone"] and matches[0]["website"] == business["website"]
    attached = api("GET", f"/contacts/business/{matches[0]['id']}", params={"limit": 100}).json()["contacts"]
    assert {c["email"] for c in attached} == set(BUSINESS_EVENT["contact_emails"])

    folder = example_output / "business_report"
    naming = {row["email"] for row in CUSTOMERS if row["company"] == business["name"]}
    expected = {"contacts_attached": len(attached), "contacts_naming_company": len(naming),
                "contacts_naming_company_not_attached": len(naming - set(BUSINESS_EVENT["contact_emails"]))}
    assert expected["contacts_naming_company_not_attached"] == 1  # the sample data has one for Gestioo's team
    with sqlite3.connect(folder / "reports.sqlite") as db:
        stored = dict(db.execute("SELECT metric, value FROM business_report WHERE business_id = ? AND dimension = ''",
                                 (matches[0]["id"],)).fetchall())
        tag_rows = dict(db.execute("SELECT dimension, value FROM business_report WHERE metric = 'contacts_by_tag'"))
    db.close()
    assert {key: stored[key] for key in expected} == expected
    assert tag_rows["gestioo"] == len(attached)
    report = list(csv.DictReader((folder / "report_harbor_dental_group.csv").open()))
    assert {(r["metric"], r["dimension"]): int(r["value"]) for r in report}[("contacts_attached", "")] == len(attached)
    assert result.xcoms["build_report"]["contacts_naming_company_not_attached"] == 1

    run_example("example_gestioo_business_report")  # an update, not a second business
    assert len(businesses_named(sandbox, business["name"])) == 1
