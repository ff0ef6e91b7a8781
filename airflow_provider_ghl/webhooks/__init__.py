"""The HighLevel webhook receiver: ``POST /ghl/webhooks`` on Airflow's API server, as an Airflow plugin.

- ``verify``: sans-I/O rules (key, signature, replay window, event map); ``events``: the 58 event types.
- ``recorder``: records an accepted delivery as an Airflow asset event, deduplicated in the same transaction.
- ``app``: the FastAPI app; ``plugin``: the Airflow plugin that mounts it (entry point ``airflow.plugins``).
- ``signing``: sign deliveries like HighLevel does (tests, the sandbox, benchmarks).

Nothing here is imported by ``import airflow_provider_ghl``. See docs/webhooks.md.
"""
