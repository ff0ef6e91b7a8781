"""example_ghl_mapped_contacts: one contact, the two tags and one note per lead; a rerun duplicates nothing."""

from __future__ import annotations

from collections import Counter

from tests.example_dags.helpers import location_contacts


def test_imports_each_lead_once_and_a_rerun_creates_no_duplicates(run_example, sandbox):
    from example_ghl_mapped_contacts import LEADS, TAGS  # the DAG folder is on sys.path, as in Airflow

    emails = {lead["email"] for lead in LEADS}

    def state() -> tuple[Counter, Counter, dict]:
        contacts = {c["id"]: c for c in location_contacts(sandbox) if c.get("email") in emails}
        notes = Counter((contacts[n["contactId"]]["email"], n["body"]) for n in sandbox.control("GET", "tables/contact_notes")
                        if n["contactId"] in contacts)
        tags = {c["email"]: set(c.get("tags") or []) for c in contacts.values()}
        return Counter(c["email"] for c in contacts.values()), notes, tags

    assert state()[0] == Counter()  # none of the leads is in the seed

    first = run_example("example_ghl_mapped_contacts")
    contacts, notes, tags = state()
    assert contacts == Counter(emails)
    assert notes == Counter((email, f"Imported {email}") for email in emails)
    assert all(set(TAGS) <= contact_tags for contact_tags in tags.values())
    assert first.summary_lines() == [f"{len(LEADS)} leads upserted into HighLevel: {len(LEADS)} new, 0 updated",
                                     f"{len(LEADS)} contacts tagged {', '.join(TAGS)}",
                                     f"{len(LEADS)} notes added (0 contacts already had theirs)"]

    rerun = run_example("example_ghl_mapped_contacts")
    assert state() == (contacts, notes, tags)
    assert rerun.task_states["note_contacts"] == "skipped"  # nothing planned: no task instance
    assert rerun.summary_lines()[2] == f"0 notes added ({len(LEADS)} contacts already had theirs)"
