"""Pattern 7: revenue and lead sources. Each day's invoices, payments and form submissions, exported incrementally
into the dashboard's SQLite database, plus a chart of revenue per week and submissions per lead source.

- Three ``GHLExportOperator`` tasks in ``incremental`` mode stream the records of the run's data interval to
  JSON Lines: invoices and transactions (payments) changed in it (``updatedAt``), form submissions made in it
  (``createdAt``; their query starts at the interval, since HighLevel lists only the last month by default).
  A run without a data interval (triggered with ``"logical_date": null``) exports everything.
- ``$GHL_EXAMPLE_OUTPUT/dashboard/dashboard.sqlite`` (the dashboard's database) keeps one row per record in
  ``ghl_invoices``, ``ghl_payments`` and ``ghl_form_submissions``, replaced by id: a rerun or a record exported
  again after a change never counts twice, and the days add up to history. The views ``revenue_by_day`` (paid
  amounts by day, currency and status), ``invoices_by_day`` (invoiced and paid by issue day, currency, status),
  ``revenue_by_week`` and ``lead_sources`` (submissions by form, source and medium) report over all of it.
- ``revenue.svg`` beside the database: revenue per week by currency and submissions per source over everything
  loaded, hand-written SVG, redrawn by every run.
- Scheduled every midnight UTC with the day that ended as its data interval (``CronTriggerTimetable`` with an
  ``interval``), so ``airflow dags backfill`` loads earlier days; works unchanged against the real API: only the
  ``ghl_default`` connection differs.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

from airflow.sdk import CronTriggerTimetable, dag, task
from gestioo_common import DAG_DEFAULTS, output_dir, read_jsonl, run_day, svg_chart

from airflow_provider_ghl.transfers.export import GHLExportOperator

EVERYTHING_SINCE = "2000-01-01"
"""Where a run without a data interval starts reading form submissions (HighLevel's default is a month back)."""
TABLES = (
    "CREATE TABLE IF NOT EXISTS ghl_invoices (id TEXT PRIMARY KEY, invoice_number INTEGER, contact_id TEXT, "
    "issue_day TEXT, currency TEXT, status TEXT, total REAL, amount_paid REAL, amount_due REAL, updated_at TEXT)",
    "CREATE TABLE IF NOT EXISTS ghl_payments (id TEXT PRIMARY KEY, day TEXT, currency TEXT, status TEXT, amount REAL, "
    "amount_refunded REAL, entity_type TEXT, entity_id TEXT, source_type TEXT, contact_id TEXT, updated_at TEXT)",
    "CREATE TABLE IF NOT EXISTS ghl_form_submissions (id TEXT PRIMARY KEY, day TEXT, form_id TEXT, form_name TEXT, "
    "source TEXT, medium TEXT, utm_source TEXT, contact_id TEXT)",
    "CREATE VIEW IF NOT EXISTS revenue_by_day AS SELECT day, currency, status, COUNT(*) AS payments, "
    "SUM(amount - amount_refunded) AS amount FROM ghl_payments GROUP BY day, currency, status",
    "CREATE VIEW IF NOT EXISTS invoices_by_day AS SELECT issue_day AS day, currency, status, COUNT(*) AS invoices, "
    "SUM(total) AS invoiced, SUM(amount_paid) AS paid FROM ghl_invoices GROUP BY issue_day, currency, status",
    "CREATE VIEW IF NOT EXISTS revenue_by_week AS SELECT date(day, '-6 days', 'weekday 1') AS week, currency, "
    "SUM(amount - amount_refunded) AS amount FROM ghl_payments WHERE status IN ('succeeded', 'refunded') "
    "GROUP BY week, currency",
    "CREATE VIEW IF NOT EXISTS lead_sources AS SELECT form_name, source, medium, COUNT(*) AS submissions "
    "FROM ghl_form_submissions GROUP BY form_name, source, medium",
)


def database_path() -> str:
    return str(output_dir("dashboard") / "dashboard.sqlite")


def invoice_row(invoice: dict) -> tuple:
    return (invoice["_id"], invoice.get("invoiceNumber"), (invoice.get("contactDetails") or {}).get("id"),
            invoice.get("issueDate"), invoice.get("currency"), invoice.get("status"), invoice.get("total") or 0,
            invoice.get("amountPaid") or 0, invoice.get("amountDue") or 0, invoice.get("updatedAt"))


def payment_row(payment: dict) -> tuple:
    return (payment["_id"], (payment.get("createdAt") or "")[:10], payment.get("currency"), payment.get("status"),
            payment.get("amount") or 0, payment.get("amountRefunded") or 0, payment.get("entityType"),
            payment.get("entityId"), payment.get("entitySourceType"), payment.get("contactId"), payment.get("updatedAt"))


def lead_source(submission: dict) -> tuple[str, str, str]:
    """(source, medium, utm_source) of a submission, from what HighLevel's form tracking recorded."""
    event = (submission.get("others") or {}).get("eventData") or {}
    utm = parse_qs(urlsplit((event.get("page") or {}).get("url") or "").query).get("utm_source", [""])[0]
    return event.get("source") or "(unknown)", event.get("medium") or "(none)", utm


def submission_row(submission: dict, form_names: dict[str, str]) -> tuple:
    form_id = submission.get("formId")
    return (submission["id"], (submission.get("createdAt") or "")[:10], form_id,
            form_names.get(form_id, "(unknown form)"), *lead_source(submission), submission.get("contactId"))


DAILY = CronTriggerTimetable("@daily", timezone="UTC", interval=timedelta(days=1))
"""Every midnight UTC, for the day that just ended: the run's data interval is that day (a manual run's too)."""


@dag(schedule=DAILY, doc_md=__doc__, **DAG_DEFAULTS)
def example_gestioo_revenue():
    @task(multiple_outputs=True)
    def export_plan(dag_run=None, data_interval_start=None, data_interval_end=None) -> dict:
        """The run's day (its data interval's first day, else the day it was started), its files, the location and
        where form submissions are read from."""
        from airflow.sdk import BaseHook

        interval = data_interval_start is not None and data_interval_end is not None \
            and data_interval_start != data_interval_end
        day = data_interval_start.strftime("%Y-%m-%d") if interval else run_day(dag_run)
        raw = output_dir("revenue") / "raw"
        raw.mkdir(exist_ok=True)
        return {"day": day, "since": day if interval else EVERYTHING_SINCE,
                "location_id": BaseHook.get_connection("ghl_default").extra_dejson["location_id"],
                **{name: str(raw / f"{name}_{day}.jsonl") for name in ("invoices", "payments", "submissions")}}

    plan = export_plan()
    located = {"altId": plan["location_id"], "altType": "location", "offset": 0}
    invoices = GHLExportOperator(task_id="export_invoices", operation="invoices__list_invoices", path=plan["invoices"],
                                 query={**located, "limit": 100})
    payments = GHLExportOperator(task_id="export_payments", operation="list_transactions", path=plan["payments"],
                                 query={**located, "limit": 100})
    submissions = GHLExportOperator(task_id="export_submissions", operation="get_forms_submissions", watch="new",
                                    path=plan["submissions"], query={"startAt": plan["since"], "limit": 100})

    @task
    def load(invoices: dict, payments: dict, submissions: dict, day: str) -> dict:
        from airflow_provider_ghl.hooks.ghl import GHLHook

        with GHLHook() as hook:
            form_names = {form["id"]: form["name"] for form in hook.paginate("get_forms")}
        with sqlite3.connect(database_path()) as db:
            for statement in TABLES:
                db.execute(statement)
            db.executemany("INSERT OR REPLACE INTO ghl_invoices VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                           map(invoice_row, read_jsonl(invoices["path"])))
            db.executemany("INSERT OR REPLACE INTO ghl_payments VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                           map(payment_row, read_jsonl(payments["path"])))
            db.executemany("INSERT OR REPLACE INTO ghl_form_submissions VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                           (submission_row(s, form_names) for s in read_jsonl(submissions["path"])))
        db.close()
        return {"day": day, "sqlite": database_path(),
                "exported": {"invoices": invoices["count"], "payments": payments["count"],
                             "submissions": submissions["count"]}}

    @task
    def draw_chart(loaded: dict) -> str:
        """The chart of everything loaded so far (whichever days, in whatever order), redrawn by every run."""
        with sqlite3.connect(loaded["sqlite"]) as db:
            weeks = db.execute("SELECT week, currency, amount FROM revenue_by_week ORDER BY week, currency").fetchall()
            sources = db.execute("SELECT source, SUM(submissions) FROM lead_sources GROUP BY source "
                                 "ORDER BY 2 DESC, 1").fetchall()
            first, last = db.execute("SELECT MIN(day), MAX(day) FROM (SELECT day FROM ghl_payments UNION "
                                     "SELECT day FROM ghl_form_submissions)").fetchone()
        db.close()
        # One panel per currency: bars share a scale only where their amounts can be compared.
        currencies = sorted({currency for _, currency, _ in weeks})
        revenue = [(f"Revenue per week in {currency} (payments received, net of refunds)",
                    [(f"week of {week}", amount) for week, in_currency, amount in weeks if in_currency == currency],
                    "{:,.2f} " + currency) for currency in currencies]
        svg = svg_chart(f"Revenue and lead sources, {first or '-'} to {last or '-'}", [
            *(revenue or [("Revenue per week (payments received, net of refunds)", [], "{:,.2f}")]),
            ("Form submissions per lead source", [(source, count) for source, count in sources], "{:.0f}"),
        ])
        path = output_dir("dashboard") / "revenue.svg"
        path.write_text(svg, encoding="utf-8")
        return str(path)

    @task
    def summary(loaded: dict, chart: str) -> list[str]:
        with sqlite3.connect(loaded["sqlite"]) as db:
            revenue = db.execute("SELECT currency, SUM(amount) FROM revenue_by_day WHERE status IN ('succeeded', "
                                 "'refunded') GROUP BY currency ORDER BY currency").fetchall()
            sources = Counter(dict(db.execute("SELECT source, SUM(submissions) FROM lead_sources GROUP BY source")))
            stored = [db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
                      for table in ("ghl_invoices", "ghl_payments", "ghl_form_submissions")]
        db.close()
        exported = loaded["exported"]
        return [
            f"{loaded['day']}: exported {exported['invoices']} invoices, {exported['payments']} payments and "
            f"{exported['submissions']} form submissions changed or made that day",
            f"in {loaded['sqlite']}: {stored[0]} invoices, {stored[1]} payments, {stored[2]} form submissions; "
            "revenue " + (", ".join(f"{currency} {amount:,.2f}" for currency, amount in revenue) or "none yet"),
            "lead sources: " + (", ".join(f"{source} {count}" for source, count in sources.most_common()) or "none yet"),
            f"chart: {chart}",
        ]

    loaded = load(invoices.output, payments.output, submissions.output, plan["day"])
    summary(loaded, draw_chart(loaded))


example_gestioo_revenue()
