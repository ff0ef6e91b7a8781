"""Smoke test: read a page of contacts from HighLevel (or the sandbox) and one contact in full.

Works unchanged against the real API: only the ``ghl_default`` connection differs.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import dag, task


@dag(
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    tags=["ghl", "example"],
    doc_md=__doc__,
)
def example_ghl_smoke():
    @task
    def first_contacts() -> list[str]:
        from itertools import islice

        from airflow_provider_ghl.hooks.ghl import GHLHook

        hook = GHLHook()
        return [contact["id"] for contact in islice(hook.paginate("list_contacts", page_size=20), 20)]

    @task
    def summary(contact_ids: list[str]) -> str:
        from airflow_provider_ghl.hooks.ghl import GHLHook

        contact = GHLHook().call("get_contact", contact_id=contact_ids[0])["contact"]
        return f"read {len(contact_ids)} contacts; first: {contact.get('firstName')} {contact.get('lastName')}"

    summary(first_contacts())


example_ghl_smoke()
