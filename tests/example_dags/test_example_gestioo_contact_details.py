"""example_gestioo_contact_details: a Gestioo customer's HighLevel contact, tasks and notes in one record."""

from __future__ import annotations

import json
from collections import Counter

from tests.example_dags.helpers import CONTACT_EVENT, location_contacts


def test_merges_the_contact_its_tasks_and_notes(run_example, sandbox, example_output):
    tasks, notes = sandbox.control("GET", "tables/contact_tasks"), sandbox.control("GET", "tables/contact_notes")
    task_counts, note_counts = Counter(t["contactId"] for t in tasks), Counter(n["contactId"] for n in notes)
    contact = next(c for c in location_contacts(sandbox)
                   if c.get("email") and task_counts[c["id"]] >= 2 and note_counts[c["id"]] >= 2)

    result = run_example("example_gestioo_contact_details", {"gestioo_id": "T-42", "email": contact["email"]})

    merged = json.loads((example_output / "gestioo_outbox" / "customer_T-42.json").read_text())
    assert merged["gestioo_id"] == "T-42" and merged["highlevel"]["id"] == contact["id"]
    assert {t["id"] for t in merged["tasks"]} == {t["id"] for t in tasks if t["contactId"] == contact["id"]}
    assert {n["id"] for n in merged["notes"]} == {n["id"] for n in notes if n["contactId"] == contact["id"]}
    due = [t["dueDate"] or "" for t in merged["tasks"]]
    assert due == sorted(due)  # oldest first
    assert result.summary_lines()[1].startswith(f"merged {task_counts[contact['id']]} task(s)")


def test_without_conf_reads_the_sample_event_customer(run_example, gestioo_customers, example_output):
    marta = gestioo_customers[CONTACT_EVENT["email"]]

    result = run_example("example_gestioo_contact_details")

    assert "is HighLevel contact Marta Lopez" in result.summary_lines()[0]
    merged = json.loads((example_output / "gestioo_outbox" / f"customer_{CONTACT_EVENT['gestioo_id']}.json").read_text())
    assert merged["highlevel"]["id"] == marta["id"] and merged["highlevel"]["email"] == CONTACT_EVENT["email"]
    assert merged["tasks"] == [] and merged["notes"] == []  # upserted just now: nothing attached yet


def test_a_customer_not_in_highlevel_gets_a_record_saying_so(run_example, example_output):
    result = run_example("example_gestioo_contact_details", {"gestioo_id": "T-0", "email": "nobody@nowhere.example"})

    assert "not in HighLevel yet" in result.summary_lines()[0]
    merged = json.loads((example_output / "gestioo_outbox" / "customer_T-0.json").read_text())
    assert merged == {"gestioo_id": "T-0", "highlevel": None, "tasks": [], "notes": []}
