"""Smoke test: read a page of contacts from HighLevel (or the sandbox) and one contact in full.

Works unchanged against the real API: only the ``ghl_default`` connection differs.
"""

from __future__ import annotations

from airflow.sdk import dag, task
from ghl_example_common import DAG_DEFAULTS


@dag(schedule=None, doc_md=__doc__, **DAG_DEFAULTS)
def example_ghl_smoke():
    @task
    def first_contacts() -> list[str]:
        from itertools import islice

        from airflow_provider_ghl.hooks.ghl import GHLHook

        hook = GHLHook()
        return [contact["id"] for contact in islice(hook.paginate("list_contacts", page_size=20), 20)]

    @task
    def summary(contact_ids: list[str]) -> list[str]:
        """Reads the first contact in full: a second endpoint answers too. A location with no contact is no failure."""
        from airflow_provider_ghl.hooks.ghl import GHLHook

        if not contact_ids:
            return ["read 0 contacts: the location has none yet"]
        contact = GHLHook().call("get_contact", contact_id=contact_ids[0])["contact"]
        return [f"read {len(contact_ids)} contacts",
                f"first: {contact.get('firstName')} {contact.get('lastName')} ({contact['id']})"]

    summary(first_contacts())


example_ghl_smoke()
