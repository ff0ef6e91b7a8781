"""Pattern 3: create new contacts with a task workflow. Each new Gestioo customer becomes a HighLevel contact
with a follow-up task.

Input: Gestioo's batch of new customers, either the run's ``conf`` (``{"customers": [row, ...]}``, what
Gestioo or a webhook relay POSTs to Airflow's REST API ``/api/v2/dags/example_gestioo_new_contacts/dagRuns``)
or the export file ``gestioo_data/customers_new.csv`` (columns: ``gestioo_id, first_name, last_name,
email, phone, company, city, tags`` (``;``-separated), ``follow_up``, ``follow_up_in_days``).

- ``GHLUpsertContactOperator`` is mapped over the batch with ``.expand_kwargs``: one task instance per
  customer. Upsert matches on email/phone, so a rerun updates the same contacts instead of duplicating them.
  Every contact is tagged ``gestioo`` (the contacts hub DAG routes those).
- ``GHLCreateContactTaskOperator`` is mapped over the upserted contacts: one follow-up task each. A contact
  that already has an open task with that title gets no second one, so reruns stay idempotent.

Works unchanged against the real API: only the ``ghl_default`` connection differs.
"""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta

from airflow.sdk import dag, task
from gestioo_common import DAG_DEFAULTS, gestioo_file

from airflow_provider_ghl.operators.contacts import GHLCreateContactTaskOperator, GHLUpsertContactOperator

SOURCE_TAG = "gestioo"


def contact_body(row: dict) -> dict:
    """A Gestioo customer row as a HighLevel upsert body (only the fields Gestioo filled)."""
    tags = [tag.strip() for tag in (row.get("tags") or "").split(";") if tag.strip()]
    fields = {"firstName": row.get("first_name"), "lastName": row.get("last_name"), "email": row.get("email"),
              "phone": row.get("phone"), "companyName": row.get("company"), "city": row.get("city"),
              "source": "gestioo", "tags": [SOURCE_TAG, *tags]}
    return {key: value for key, value in fields.items() if value}


@dag(schedule=None, doc_md=__doc__, **DAG_DEFAULTS)
def example_gestioo_new_contacts():
    @task
    def new_customers(dag_run=None) -> list[dict]:
        """The batch: the run's conf, else Gestioo's export file."""
        rows = ((dag_run.conf if dag_run else None) or {}).get("customers")
        if rows is None:
            with gestioo_file("customers_new.csv").open(newline="", encoding="utf-8") as handle:
                rows = list(csv.DictReader(handle))
        return rows

    @task
    def upsert_requests(rows: list[dict]) -> list[dict]:
        return [{"body": contact_body(row)} for row in rows]

    customers = new_customers()
    upserted = GHLUpsertContactOperator.partial(task_id="upsert_contact").expand_kwargs(upsert_requests(customers))

    @task
    def follow_up_tasks(rows: list[dict], results: list[dict]) -> list[dict]:
        """One follow-up task per upserted contact, unless an open task with that title is already there."""
        from airflow_provider_ghl.hooks.ghl import GHLHook

        hook = GHLHook()
        requests = []
        # Mapped results come back in the batch's order.
        for row, result in zip(rows, results, strict=True):
            contact_id, title = result["contact"]["id"], row.get("follow_up") or "Follow up"
            if not result.get("new"):
                open_titles = {t.get("title") for t in hook.paginate("get_contact_tasks", contact_id=contact_id)
                               if not t.get("completed")}
                if title in open_titles:
                    continue
            due = datetime.now(UTC).replace(hour=9, minute=0, second=0, microsecond=0) \
                + timedelta(days=int(row.get("follow_up_in_days") or 1))
            requests.append({"contact_id": contact_id, "body": {
                "title": title, "body": f"From Gestioo customer {row.get('gestioo_id', '?')}",
                "dueDate": due.strftime("%Y-%m-%dT%H:%M:%SZ"), "completed": False}})
        return requests

    planned = follow_up_tasks(customers, upserted.output)
    created = GHLCreateContactTaskOperator.partial(task_id="create_follow_up_task").expand_kwargs(planned)

    @task(trigger_rule="none_failed")
    def summary(rows: list[dict], results: list[dict], planned: list[dict]) -> list[str]:
        new = sum(1 for result in results if result.get("new"))
        first = results[0]["contact"] if results else {}
        return [
            f"{len(results)} Gestioo customers upserted into HighLevel: {new} new, {len(results) - new} updated",
            f"{len(planned)} follow-up tasks created ({len(results) - len(planned)} contacts already had theirs)",
            f"e.g. {rows[0].get('gestioo_id')} -> contact {first.get('id')}" if rows else "empty batch",
        ]

    created >> summary(customers, upserted.output, planned)


example_gestioo_new_contacts()
