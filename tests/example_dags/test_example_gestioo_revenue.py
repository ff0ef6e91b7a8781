"""example_gestioo_revenue: a day's invoices, payments and form submissions into SQLite, checked against the sandbox's
own records (computed here from its state, not the DAG's files); days add up, a rerun changes nothing, and a run
without a logical date loads everything."""

from __future__ import annotations

import sqlite3
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta

import pytest


def records(sandbox, table: str) -> list[dict]:
    return [r for r in sandbox.control("GET", f"tables/{table}")
            if r.get("altId", r.get("locationId")) == sandbox.location_id]


def seeded(sandbox) -> dict[str, list[dict]]:
    return {name: records(sandbox, name) for name in ("invoices", "transactions", "form_submissions", "forms")}


def day_of(stamp: str) -> str:
    return datetime.fromisoformat(stamp).astimezone(UTC).strftime("%Y-%m-%d")


def monday(stamp: str) -> str:
    moment = datetime.fromisoformat(stamp).astimezone(UTC)
    return (moment - timedelta(days=moment.weekday())).strftime("%Y-%m-%d")


def expected(world: dict[str, list[dict]], days: set[str]) -> dict:
    """What the database must hold after runs for ``days``: the records changed (invoices, payments) or made
    (submissions) on those days, and the reports over them."""
    invoices = [i for i in world["invoices"] if day_of(i["updatedAt"]) in days]
    payments = [t for t in world["transactions"] if day_of(t["updatedAt"]) in days]
    submissions = [s for s in world["form_submissions"] if day_of(s["createdAt"]) in days]
    revenue: defaultdict[str, float] = defaultdict(float)
    for payment in payments:
        if payment["status"] in ("succeeded", "refunded"):
            revenue[payment["currency"]] += payment["amount"] - payment["amountRefunded"]
    forms = {form["id"]: form["name"] for form in world["forms"]}
    return {"invoices": {i["id"] for i in invoices}, "payments": {t["id"] for t in payments},
            "submissions": {s["id"] for s in submissions}, "revenue": dict(revenue),
            "invoiced": sum(i["total"] for i in invoices),
            "lead_sources": Counter((forms[s["formId"]], s["others"]["eventData"]["source"]) for s in submissions)}


def stored(database) -> dict:
    with sqlite3.connect(database) as db:
        def ids(table: str) -> set[str]:
            return {row[0] for row in db.execute(f"SELECT id FROM {table}")}

        found = {
            "invoices": ids("ghl_invoices"), "payments": ids("ghl_payments"), "submissions": ids("ghl_form_submissions"),
            "revenue": {currency: pytest.approx(amount) for currency, amount in db.execute(
                "SELECT currency, SUM(amount) FROM revenue_by_day WHERE status IN ('succeeded', 'refunded') "
                "GROUP BY currency")},
            "invoiced": pytest.approx(db.execute("SELECT COALESCE(SUM(invoiced), 0) FROM invoices_by_day").fetchone()[0]),
            "lead_sources": Counter({(form, source): count for form, source, count in db.execute(
                "SELECT form_name, source, SUM(submissions) FROM lead_sources GROUP BY form_name, source")}),
        }
    db.close()
    return found


def busiest_days(world: dict[str, list[dict]], count: int) -> list[str]:
    """The days with records of all three kinds (so each run has something of each to load), the fullest first."""
    per_day: Counter = Counter()
    for table, stamp in (("invoices", "updatedAt"), ("transactions", "updatedAt"), ("form_submissions", "createdAt")):
        kinds = {day_of(r[stamp]) for r in world[table]}
        per_day.update({day: 1000 for day in kinds})
        per_day.update(day_of(r[stamp]) for r in world[table])
    return [day for day, _ in per_day.most_common(count)]


def run_for(run_example, day: str):
    """A run whose data interval is ``day`` (the DAG's interval is the day before its logical date)."""
    end = datetime.fromisoformat(day).replace(tzinfo=UTC) + timedelta(days=1)
    return run_example("example_gestioo_revenue", logical_date=end)


def test_loads_each_days_records_and_reports_them_and_reruns_change_nothing(run_example, sandbox, example_output):
    world = seeded(sandbox)
    first_day, second_day = busiest_days(world, 2)
    database = example_output / "dashboard" / "dashboard.sqlite"

    result = run_for(run_example, first_day)
    assert result.xcoms["load"]["day"] == first_day
    first = expected(world, {first_day})
    assert first["invoices"] and first["payments"] and first["submissions"]
    assert stored(database) == first
    assert result.xcoms["load"]["exported"] == {"invoices": len(first["invoices"]), "payments": len(first["payments"]),
                                                "submissions": len(first["submissions"])}
    chart = ET.parse(example_output / "dashboard" / "revenue.svg").getroot()
    weeks = {(monday(t["createdAt"]), t["currency"]) for t in world["transactions"]
             if t["id"] in first["payments"] and t["status"] in ("succeeded", "refunded")}
    sources = {source for _form, source in first["lead_sources"]}
    assert len(chart.findall("{http://www.w3.org/2000/svg}rect")) == 1 + len(weeks) + len(sources)  # background, bars
    titles = [text.text for text in chart.iter("{http://www.w3.org/2000/svg}text") if text.text.startswith("Revenue per week")]
    assert [t.split(" (")[0] for t in titles] == [f"Revenue per week in {c}" for c in sorted({c for _w, c in weeks})]

    run_for(run_example, second_day)  # another day adds to the history
    both = expected(world, {first_day, second_day})
    assert stored(database) == both
    run_for(run_example, first_day)  # a rerun replaces its records: nothing counts twice
    assert stored(database) == both


def test_a_run_without_a_logical_date_loads_every_record(dag_runner, fresh_sandbox, example_output):
    result = dag_runner.run("example_gestioo_revenue", logical_date=None)
    assert result.succeeded, result.task_states
    world = seeded(fresh_sandbox)
    every_day = {day_of(r[stamp]) for table, stamp in (("invoices", "updatedAt"), ("transactions", "updatedAt"),
                                                       ("form_submissions", "createdAt")) for r in world[table]}
    assert stored(example_output / "dashboard" / "dashboard.sqlite") == expected(world, every_day)
