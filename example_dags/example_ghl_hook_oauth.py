"""GHLHook inside a ``@task`` with an OAuth connection: the rotated refresh token lands in a Variable.

Needs a ``ghl`` connection ``ghl_oauth`` with ``auth_type`` ``oauth`` (client id/secret, refresh token).
Each refresh rotates the refresh token; the hook stores the new one (with the access token and its
expiry) in the Variable ``ghl_token__ghl_oauth__oauth``, Fernet-encrypted, for every later task.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import dag, task


@dag(schedule=None, start_date=pendulum.datetime(2026, 1, 1, tz="UTC"), catchup=False, tags=["ghl", "example"])
def example_ghl_hook_oauth():
    @task
    def count_contacts() -> int:
        from airflow_provider_ghl.hooks.ghl import GHLHook

        with GHLHook("ghl_oauth") as hook:
            return sum(1 for _ in hook.paginate("search_contacts", page_size=100))

    @task
    def newest_contact_name(total: int) -> str:
        from airflow_provider_ghl.hooks.ghl import GHLHook

        with GHLHook("ghl_oauth") as hook:
            page = hook.call("list_contacts", query={"limit": 1})
        contact = page["contacts"][0] if page["contacts"] else {}
        return f"{total} contacts; first listed: {contact.get('firstName', '?')}"

    newest_contact_name(count_contacts())


example_ghl_hook_oauth()
