"""example_gestioo_dashboard: a day's counts into SQLite (history kept, the day replaced) and its SVG chart."""

from __future__ import annotations

import sqlite3
import xml.etree.ElementTree as ET

from tests.example_dags.helpers import location_contacts


def day_totals(database, day: str) -> dict:
    with sqlite3.connect(database) as db:
        totals = dict(db.execute("SELECT metric, SUM(value) FROM daily_snapshot WHERE day = ? GROUP BY metric", (day,)))
    db.close()
    return totals


def test_snapshots_counts_into_sqlite_and_draws_the_chart(run_example, sandbox, example_output):
    database = example_output / "dashboard" / "dashboard.sqlite"
    database.parent.mkdir()
    with sqlite3.connect(database) as db:  # an earlier day's snapshot: history the run keeps
        db.execute("CREATE TABLE daily_snapshot (day TEXT, metric TEXT, dimension TEXT, value REAL, "
                   "PRIMARY KEY (day, metric, dimension))")
        db.execute("INSERT INTO daily_snapshot VALUES ('2020-01-01', 'contacts_total', '', 7)")
    db.close()

    result = run_example("example_gestioo_dashboard")

    day = result.xcoms["load_snapshot"]["day"]
    totals = day_totals(database, day)
    opportunities = [o for o in sandbox.control("GET", "tables/opportunities") if o["locationId"] == sandbox.location_id]
    assert totals["contacts_total"] == len(location_contacts(sandbox))
    assert totals["opportunities_by_status"] == len(opportunities)
    open_value = sum(o.get("monetaryValue") or 0 for o in opportunities if o["status"] == "open")
    assert totals["open_value_by_stage"] == open_value
    assert totals["appointments_by_status"] == result.xcoms["export_appointments"]["count"] > 0
    assert day_totals(database, "2020-01-01") == {"contacts_total": 7}

    chart = ET.parse(example_output / "dashboard" / f"dashboard_{day}.svg").getroot()
    bars = chart.findall("{http://www.w3.org/2000/svg}rect")
    assert len(bars) > 5  # the background plus one bar per week, stage and status

    run_example("example_gestioo_dashboard")  # the same day again: replaced, not doubled
    assert day_totals(database, day) == totals
    assert day_totals(database, "2020-01-01") == {"contacts_total": 7}
