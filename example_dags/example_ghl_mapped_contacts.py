"""Import a list of leads into HighLevel with mapped operators: one task instance per lead.

``GHLUpsertContactOperator.partial(...).expand(body=...)`` creates each lead, or updates the contact
that already has its email/phone. The contact ids that come back feed two more mapped operators: tags
with ``expand(contact_id=...)`` and a note per contact with ``expand_kwargs(...)``. A rerun creates no
duplicates: upsert updates the same contacts, adding a tag a contact has is a no-op, and a contact that
already has its "Imported ..." note gets no second one (an empty list maps to no task instance). The
``summary`` task says how many leads were new and how many notes were added.

Works unchanged against the real API: only the ``ghl_default`` connection differs.
"""

from __future__ import annotations

from airflow.sdk import dag, task
from ghl_example_common import DAG_DEFAULTS

from airflow_provider_ghl.operators.contacts import (
    GHLAddTagsToContactOperator,
    GHLCreateContactNoteOperator,
    GHLUpsertContactOperator,
)

TAGS = ["imported", "mapped"]
LEADS = [
    {"firstName": "Avery", "lastName": "Stone", "email": "avery.stone@example.com", "source": "webinar"},
    {"firstName": "Blake", "lastName": "Rivera", "email": "blake.rivera@example.com", "phone": "+15125550101"},
    {"firstName": "Casey", "lastName": "Nakamura", "email": "casey.nakamura@example.com", "companyName": "Nakamura & Co"},
]


@dag(schedule=None, doc_md=__doc__, **DAG_DEFAULTS)
def example_ghl_mapped_contacts():
    upserted = GHLUpsertContactOperator.partial(task_id="upsert_contacts").expand(body=LEADS)

    @task
    def contact_ids(results: list[dict]) -> list[str]:
        return [result["contact"]["id"] for result in results]

    @task
    def notes(results: list[dict]) -> list[dict]:
        """One "Imported ..." note per contact, unless the contact has it already (a rerun adds none)."""
        from airflow_provider_ghl.hooks.ghl import GHLHook

        hook, planned = GHLHook(), []
        for result in results:
            contact_id, body = result["contact"]["id"], f"Imported {result['contact']['email']}"
            # A contact new in this run has no notes yet: only an existing one costs a read.
            if not result.get("new") and any(note.get("body") == body
                                             for note in hook.paginate("get_contact_notes", contact_id=contact_id)):
                continue
            planned.append({"contact_id": contact_id, "body": {"body": body}})
        return planned

    ids = contact_ids(upserted.output)
    tagged = GHLAddTagsToContactOperator.partial(task_id="tag_contacts", body={"tags": TAGS}).expand(contact_id=ids)
    planned_notes = notes(upserted.output)
    noted = GHLCreateContactNoteOperator.partial(task_id="note_contacts").expand_kwargs(planned_notes)

    # none_failed: on a rerun no note is planned, note_contacts maps to nothing and is skipped.
    @task(trigger_rule="none_failed")
    def summary(results: list[dict], planned: list[dict]) -> list[str]:
        new = sum(1 for result in results if result.get("new"))
        return [
            f"{len(results)} leads upserted into HighLevel: {new} new, {len(results) - new} updated",
            f"{len(results)} contacts tagged {', '.join(TAGS)}",
            f"{len(planned)} notes added ({len(results) - len(planned)} contacts already had theirs)",
        ]

    [tagged, noted] >> summary(upserted.output, planned_notes)


example_ghl_mapped_contacts()
