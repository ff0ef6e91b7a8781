"""Pattern 6: reporting dashboard. A daily snapshot of contacts, opportunities and appointments into SQLite,
plus a chart image for Gestioo's home screen.

- ``GHLExportOperator`` streams every contact (Search Contacts) and every opportunity (Search
  Opportunities) to JSON Lines; the appointments of every calendar in a window of 30 days either side of
  the snapshot day are read with ``GHLHook.paginate`` (List Calendar Events takes one calendar at a time).
  Memory stays flat at any size: records go to files, only counts are kept.
- ``$GHL_EXAMPLE_OUTPUT/dashboard/dashboard.sqlite``, table ``daily_snapshot (day, metric, dimension,
  value)``: one row per metric per day; a rerun of a day replaces that day's rows, other days stay (history).
- ``dashboard_<day>.svg``: contacts added per week, open pipeline value by stage, appointments by status.
  Hand-written SVG: no plotting library needed.
- The snapshot's day is the run's logical date; a run without one (triggered from the REST API with
  ``"logical_date": null``, by ``airflow dags trigger`` or the UI) takes the day it was started
  (``run_after``), so a manual run is today's snapshot.

Scheduled daily; works unchanged against the real API: only the ``ghl_default`` connection differs.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from datetime import UTC, date, datetime, timedelta

from airflow.sdk import dag, task
from gestioo_common import DAG_DEFAULTS, day_of, output_dir, read_jsonl, run_day, svg_chart

from airflow_provider_ghl.transfers.export import GHLExportOperator, atomic_file

APPOINTMENT_WINDOW = timedelta(days=30)
WEEKS_CHARTED = 8


@dag(schedule="@daily", doc_md=__doc__, **DAG_DEFAULTS)
def example_gestioo_dashboard():
    @task(multiple_outputs=True)
    def snapshot_files(dag_run=None) -> dict:
        """The snapshot's day (the run's logical date, else when it was started: see ``run_day``) and its files."""
        day = run_day(dag_run)
        raw = output_dir("dashboard") / "raw"
        raw.mkdir(exist_ok=True)
        return {"day": day,
                **{name: str(raw / f"{name}_{day}.jsonl") for name in ("contacts", "opportunities", "appointments")}}

    files = snapshot_files()
    contacts = GHLExportOperator(task_id="export_contacts", operation="search_contacts", mode="full",
                                 path=files["contacts"])
    opportunities = GHLExportOperator(task_id="export_opportunities", operation="search_opportunities", mode="full",
                                      path=files["opportunities"])

    @task
    def export_appointments(path: str, snapshot_day: str) -> dict:
        from airflow_provider_ghl.hooks.ghl import GHLHook

        day = datetime.fromisoformat(snapshot_day).replace(tzinfo=UTC)
        window = {"startTime": int((day - APPOINTMENT_WINDOW).timestamp() * 1000),
                  "endTime": int((day + APPOINTMENT_WINDOW).timestamp() * 1000)}
        count = 0
        # Whole or not at all, like the exports (and the same clean-up of what a killed run left).
        with GHLHook() as hook, atomic_file(path) as handle:
            for calendar in hook.call("list_calendars")["calendars"]:
                for event in hook.paginate("list_calendar_events", query={**window, "calendarId": calendar["id"]}):
                    handle.write(json.dumps({**event, "calendarName": calendar.get("name")}).encode() + b"\n")
                    count += 1
        return {"path": path, "count": count}

    @task
    def load_snapshot(contacts: dict, opportunities: dict, appointments: dict, snapshot_day: str) -> dict:
        from airflow_provider_ghl.hooks.ghl import GHLHook

        day = date.fromisoformat(snapshot_day)
        with GHLHook() as hook:
            stage_names = {stage["id"]: f"{pipeline['name']}: {stage['name']}"
                           for pipeline in hook.call("list_pipelines")["pipelines"] for stage in pipeline.get("stages", [])}
        first_week = day - timedelta(days=7 * WEEKS_CHARTED)
        metrics: Counter = Counter()
        for contact in read_jsonl(contacts["path"]):
            metrics["contacts_total", ""] += 1
            metrics["contacts_by_type", contact.get("type") or "(none)"] += 1
            added = day_of(contact.get("dateAdded"))
            if added and first_week <= added < day + timedelta(days=1):
                week_start = added - timedelta(days=added.weekday())
                metrics["contacts_added_by_week", week_start.isoformat()] += 1
        for opportunity in read_jsonl(opportunities["path"]):
            status = opportunity.get("status") or "(none)"
            metrics["opportunities_by_status", status] += 1
            metrics["opportunity_value_by_status", status] += opportunity.get("monetaryValue") or 0
            if status == "open":
                stage = stage_names.get(opportunity.get("pipelineStageId"), "(unknown stage)")
                metrics["open_value_by_stage", stage] += opportunity.get("monetaryValue") or 0
        for appointment in read_jsonl(appointments["path"]):
            metrics["appointments_by_status", appointment.get("appointmentStatus") or "(none)"] += 1
        database = output_dir("dashboard") / "dashboard.sqlite"
        with sqlite3.connect(database) as db:
            db.execute("CREATE TABLE IF NOT EXISTS daily_snapshot (day TEXT, metric TEXT, dimension TEXT, value REAL, "
                       "PRIMARY KEY (day, metric, dimension))")
            db.execute("DELETE FROM daily_snapshot WHERE day = ?", (snapshot_day,))
            db.executemany("INSERT INTO daily_snapshot VALUES (?, ?, ?, ?)",
                           [(snapshot_day, metric, dimension, value) for (metric, dimension), value in sorted(metrics.items())])
        db.close()
        return {"day": snapshot_day, "sqlite": str(database), "rows": len(metrics)}

    @task
    def draw_chart(snapshot: dict) -> str:
        with sqlite3.connect(snapshot["sqlite"]) as db:
            rows = db.execute("SELECT metric, dimension, value FROM daily_snapshot WHERE day = ? ORDER BY dimension",
                              (snapshot["day"],)).fetchall()
        db.close()

        def series(metric: str) -> list[tuple[str, float]]:
            return [(dimension, value) for name, dimension, value in rows if name == metric]

        weeks = [(f"week of {label}", value) for label, value in series("contacts_added_by_week")]
        stages = sorted(series("open_value_by_stage"), key=lambda item: -item[1])
        svg = svg_chart(f"HighLevel snapshot {snapshot['day']}", [
            ("Contacts added per week", weeks, "{:.0f}"),
            ("Open pipeline value by stage ($)", stages, "{:,.0f}"),
            ("Appointments by status (30 days either side)", series("appointments_by_status"), "{:.0f}"),
        ])
        path = output_dir("dashboard") / f"dashboard_{snapshot['day']}.svg"
        path.write_text(svg, encoding="utf-8")
        return str(path)

    @task
    def summary(snapshot: dict, chart: str) -> list[str]:
        with sqlite3.connect(snapshot["sqlite"]) as db:
            totals = dict(db.execute("SELECT metric, SUM(value) FROM daily_snapshot WHERE day = ? GROUP BY metric",
                                     (snapshot["day"],)).fetchall())
        db.close()
        return [
            f"snapshot {snapshot['day']}: {totals.get('contacts_total', 0):.0f} contacts, "
            f"{totals.get('opportunities_by_status', 0):.0f} opportunities "
            f"(open pipeline ${totals.get('open_value_by_stage', 0):,.0f}), "
            f"{totals.get('appointments_by_status', 0):.0f} appointments",
            f"{snapshot['rows']} rows in table daily_snapshot of {snapshot['sqlite']}",
            f"chart: {chart}",
        ]

    snapshot = load_snapshot(contacts.output, opportunities.output, export_appointments(files["appointments"], files["day"]),
                             files["day"])
    summary(snapshot, draw_chart(snapshot))


example_gestioo_dashboard()
