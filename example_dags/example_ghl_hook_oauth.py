"""GHLHook inside a ``@task`` with an OAuth connection: the rotated refresh token lands in a Variable.

Needs a ``ghl`` connection ``ghl_oauth`` with ``auth_type`` ``oauth`` (client id/secret, refresh token).
Each refresh rotates the refresh token; the hook stores the new one (with the access token and its
expiry) in the Variable ``ghl_token__ghl_oauth__oauth``, Fernet-encrypted, for every later task.
"""

from __future__ import annotations

from airflow.sdk import dag, task
from ghl_example_common import DAG_DEFAULTS


@dag(schedule=None, doc_md=__doc__, **DAG_DEFAULTS)
def example_ghl_hook_oauth():
    @task
    def count_contacts() -> int:
        from airflow_provider_ghl.hooks.ghl import GHLHook

        with GHLHook("ghl_oauth") as hook:
            return sum(1 for _ in hook.paginate("search_contacts", page_size=100))

    @task
    def summary(total: int) -> list[str]:
        """A second task with the same connection: it reuses the stored access token, no second refresh."""
        from airflow_provider_ghl.hooks.ghl import GHLHook

        with GHLHook("ghl_oauth") as hook:
            page = hook.call("list_contacts", query={"limit": 1})
        contact = page["contacts"][0] if page["contacts"] else {}
        return [f"{total} contacts; first listed: {contact.get('firstName', '?')}"]

    summary(count_contacts())


example_ghl_hook_oauth()
