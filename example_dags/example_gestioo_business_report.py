"""Pattern 2: query a business's contacts for reporting. When a company is updated in Gestioo, apply the
update to the HighLevel business, attach the company's people to it, then report on its contacts.

Input: the Gestioo event, either the run's ``conf`` (``{"business": {HighLevel business fields, "name"
required}, "contact_emails": [...]}``, what Gestioo or a webhook relay POSTs to Airflow's REST API) or the
sample ``gestioo_data/events/business_updated.json``.

- The business is found by name (List Businesses), created if HighLevel has none, and updated with
  ``GHLUpdateBusinessOperator``; the company's people (found by email) are attached with
  ``GHLBulkBusinessUpdateOperator``.
- Two ``GHLExportOperator`` tasks stream the data to CSV: the business's contacts (Get Contacts by
  Business) and a contact search for everyone whose company name is the business's (Search Contacts).
- The report compares them: contacts attached, contacts that name the company but are not attached (work
  for Gestioo's team), counts by tag and source. Outputs in ``$GHL_EXAMPLE_OUTPUT/business_report/``:
  ``report_<business>.csv`` and the table ``business_report`` of ``reports.sqlite`` (one row per business
  and metric, replaced on every run).

Works unchanged against the real API: only the ``ghl_default`` connection differs.
"""

from __future__ import annotations

import csv
import json
import re
import sqlite3
from collections import Counter
from datetime import UTC, datetime

from airflow.sdk import dag, task
from gestioo_common import DAG_DEFAULTS, gestioo_file, output_dir

from airflow_provider_ghl.operators.businesses import GHLUpdateBusinessOperator
from airflow_provider_ghl.operators.contacts import GHLBulkBusinessUpdateOperator
from airflow_provider_ghl.transfers.export import GHLExportOperator


def csv_rows(path: str) -> list[dict]:
    """An export's rows; fields outside the official schema (its ``_extra`` JSON column) merged in."""
    with open(path, newline="", encoding="utf-8") as handle:
        return [{**json.loads(row.pop("_extra") or "{}"), **row} for row in csv.DictReader(handle)]


@dag(schedule=None, doc_md=__doc__, **DAG_DEFAULTS)
def example_gestioo_business_report():
    @task(multiple_outputs=True)
    def gestioo_event(dag_run=None) -> dict:
        """The run's conf, else the sample event; plus where this run writes."""
        event = (dag_run.conf if dag_run else None) or json.loads(gestioo_file("events/business_updated.json").read_text())
        name = event["business"]["name"]
        slug = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")
        folder = output_dir("business_report")
        return {"business": event["business"], "contact_emails": event.get("contact_emails", []), "slug": slug,
                "contacts_csv": str(folder / f"contacts_{slug}.csv"), "search_csv": str(folder / f"search_{slug}.csv")}

    @task
    def find_or_create_business(business: dict) -> str:
        """The HighLevel business with Gestioo's company name (HighLevel has no search by name: list and match)."""
        from airflow_provider_ghl.hooks.ghl import GHLHook

        with GHLHook() as hook:
            wanted = business["name"].casefold()
            for candidate in hook.paginate("list_businesses_by_location"):
                if str(candidate.get("name", "")).casefold() == wanted:
                    return candidate["id"]
            created = hook.call("create_business", body={"name": business["name"]})
            # HighLevel's create answer spells the key "buiseness" (official schema); accept the fixed spelling too.
            return (created.get("business") or created["buiseness"])["id"]

    @task
    def contact_ids_by_email(emails: list[str]) -> list[str]:
        from airflow_provider_ghl.hooks.ghl import GHLHook

        with GHLHook() as hook:
            found = (hook.call("get_duplicate_contact", query={"email": email}).get("contact") for email in emails)
            return [contact["id"] for contact in found if contact]

    event = gestioo_event()
    business_id = find_or_create_business(event["business"])
    updated = GHLUpdateBusinessOperator(task_id="update_business", business_id=business_id, body=event["business"])
    attached = GHLBulkBusinessUpdateOperator(
        task_id="attach_contacts", business_id=business_id, contact_ids=contact_ids_by_email(event["contact_emails"]),
    )
    export_business_contacts = GHLExportOperator(
        task_id="export_business_contacts", operation="get_contacts_by_business", mode="full",
        arguments={"business_id": business_id}, path=event["contacts_csv"],
    )
    export_company_search = GHLExportOperator(
        task_id="export_company_search", operation="search_contacts", mode="full", path=event["search_csv"],
        body={"filters": [{"field": "companyName", "operator": "eq",
                           "value": "{{ ti.xcom_pull(task_ids='gestioo_event', key='business')['name'] }}"}]},
    )
    [updated, attached] >> export_business_contacts
    attached >> export_company_search

    @task
    def build_report(event: dict, business_id: str, attached_export: dict, search_export: dict) -> dict:
        attached_rows, search_rows = csv_rows(attached_export["path"]), csv_rows(search_export["path"])
        attached_ids = {row["id"] for row in attached_rows}
        unattached = [row for row in search_rows if row["id"] not in attached_ids]
        tags = Counter(tag for row in attached_rows for tag in json.loads(row.get("tags") or "[]"))
        sources = Counter(row.get("source") or "(none)" for row in attached_rows)
        metrics = [
            ("contacts_attached", "", len(attached_rows)),
            ("contacts_naming_company", "", len(search_rows)),
            ("contacts_naming_company_not_attached", "", len(unattached)),
            ("contacts_with_email", "", sum(1 for row in attached_rows if row.get("email"))),
            ("contacts_with_phone", "", sum(1 for row in attached_rows if row.get("phone"))),
            *(("contacts_by_tag", tag, count) for tag, count in sorted(tags.items())),
            *(("contacts_by_source", source, count) for source, count in sorted(sources.items())),
        ]
        name, folder = event["business"]["name"], output_dir("business_report")
        generated = datetime.now(UTC).isoformat(timespec="seconds")
        report_csv = folder / f"report_{event['slug']}.csv"
        with report_csv.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["business_id", "business", "metric", "dimension", "value", "generated_at"])
            writer.writerows((business_id, name, *metric, generated) for metric in metrics)
        database = folder / "reports.sqlite"
        with sqlite3.connect(database) as db:
            db.execute("CREATE TABLE IF NOT EXISTS business_report (business_id TEXT, business TEXT, metric TEXT, "
                       "dimension TEXT, value INTEGER, generated_at TEXT, PRIMARY KEY (business_id, metric, dimension))")
            db.execute("DELETE FROM business_report WHERE business_id = ?", (business_id,))
            db.executemany("INSERT INTO business_report VALUES (?, ?, ?, ?, ?, ?)",
                           [(business_id, name, *metric, generated) for metric in metrics])
        db.close()
        return {"business": name, "business_id": business_id, "report_csv": str(report_csv), "sqlite": str(database),
                **{metric: value for metric, dimension, value in metrics if not dimension},
                "top_tags": [tag for tag, _ in tags.most_common(3)]}

    @task
    def summary(report: dict) -> list[str]:
        return [
            f"business {report['business']} ({report['business_id']}) updated from Gestioo",
            f"{report['contacts_attached']} contacts attached, {report['contacts_naming_company']} name the company, "
            f"{report['contacts_naming_company_not_attached']} of them not attached",
            f"top tags: {', '.join(report['top_tags']) or 'none'}",
            f"report: {report['report_csv']}",
            f"table business_report: {report['sqlite']}",
        ]

    summary(build_report(event, business_id, export_business_contacts.output, export_company_search.output))


example_gestioo_business_report()
