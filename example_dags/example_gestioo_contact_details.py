"""Pattern 1: read a contact and its related tasks. When a customer is opened or updated in Gestioo, fetch
the HighLevel contact, its tasks and its notes, and write one merged record back for Gestioo.

Input: the Gestioo event, either the run's ``conf`` (``{"gestioo_id": ..., "email": ...}`` or ``"phone"``
or ``"contact_id"``, what Gestioo or a webhook relay POSTs to Airflow's REST API
``/api/v2/dags/example_gestioo_contact_details/dagRuns``) or the sample ``gestioo_data/events/contact_opened.json``.

- ``GHLFindContactOperator`` finds the contact by id, or by email/phone (HighLevel's duplicate search);
  a customer who is not in HighLevel yet gives ``{"contact": null}``, not a failure.
- The tasks and notes are read with ``GHLHook.paginate`` (every record, whatever the paging style).
- Output: ``$GHL_EXAMPLE_OUTPUT/gestioo_outbox/customer_<gestioo_id>.json``, the record Gestioo imports.

Works unchanged against the real API: only the ``ghl_default`` connection differs.
"""

from __future__ import annotations

import json

from airflow.sdk import dag, task
from gestioo_common import DAG_DEFAULTS, gestioo_file, output_dir

from airflow_provider_ghl.operators.contacts import GHLFindContactOperator

CONTACT_FIELDS = ("id", "firstName", "lastName", "email", "phone", "companyName", "tags", "source", "dateAdded",
                  "dateUpdated")


@dag(schedule=None, doc_md=__doc__, **DAG_DEFAULTS)
def example_gestioo_contact_details():
    @task(multiple_outputs=True)
    def gestioo_event(dag_run=None) -> dict:
        """The run's conf, else the sample event."""
        event = (dag_run.conf if dag_run else None) or json.loads(gestioo_file("events/contact_opened.json").read_text())
        return {key: event.get(key) for key in ("gestioo_id", "contact_id", "email", "phone")}

    event = gestioo_event()
    found = GHLFindContactOperator(
        task_id="find_contact", contact_id=event["contact_id"], email=event["email"], phone=event["phone"],
    )

    @task
    def merge_for_gestioo(event: dict, found: dict) -> dict:
        """One record: the contact's main fields, its tasks and notes (oldest first)."""
        from airflow_provider_ghl.hooks.ghl import GHLHook

        contact = found.get("contact")
        record: dict = {"gestioo_id": event.get("gestioo_id"), "highlevel": None, "tasks": [], "notes": []}
        if contact:
            with GHLHook() as hook:
                tasks = list(hook.paginate("get_contact_tasks", contact_id=contact["id"]))
                notes = list(hook.paginate("get_contact_notes", contact_id=contact["id"]))
            record.update(
                highlevel={key: contact.get(key) for key in CONTACT_FIELDS},
                tasks=sorted(({k: t.get(k) for k in ("id", "title", "body", "dueDate", "completed")} for t in tasks),
                             key=lambda t: t["dueDate"] or ""),
                notes=sorted(({k: n.get(k) for k in ("id", "body", "dateAdded")} for n in notes),
                             key=lambda n: n["dateAdded"] or ""),
            )
        path = output_dir("gestioo_outbox") / f"customer_{event.get('gestioo_id') or 'unknown'}.json"
        path.write_text(json.dumps(record, indent=2, ensure_ascii=False))
        return {"path": str(path), "found": contact is not None, "tasks": len(record["tasks"]),
                "open_tasks": sum(1 for t in record["tasks"] if not t["completed"]), "notes": len(record["notes"]),
                "name": contact and f"{contact.get('firstName', '')} {contact.get('lastName', '')}".strip()}

    @task
    def summary(merged: dict, event: dict) -> list[str]:
        who = event.get("email") or event.get("phone") or event.get("contact_id")
        if not merged["found"]:
            return [f"Gestioo customer {event.get('gestioo_id')} ({who}) is not in HighLevel yet",
                    f"wrote {merged['path']}"]
        return [f"Gestioo customer {event.get('gestioo_id')} ({who}) is HighLevel contact {merged['name']}",
                f"merged {merged['tasks']} task(s) ({merged['open_tasks']} open) and {merged['notes']} note(s)",
                f"wrote {merged['path']}"]

    summary(merge_for_gestioo(event, found.output), event)


example_gestioo_contact_details()
