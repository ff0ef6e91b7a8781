"""A DAG scheduled on a HighLevel asset, fed by the webhook receiver: it returns the events that triggered it."""

from __future__ import annotations

import pendulum
from airflow.sdk import dag, task

from airflow_provider_ghl.assets import ghl_asset, ghl_events

LOCATION = "wbhkLoc0001"


@dag(schedule=[ghl_asset(LOCATION, "contacts")], start_date=pendulum.datetime(2026, 1, 1, tz="UTC"), catchup=False,
     is_paused_upon_creation=False, max_active_runs=1)
def ghl_webhook_consumer():
    @task
    def consume(triggering_asset_events=None) -> list[dict]:
        return [{"source": e["source"], "event_type": e["event_type"], "location_id": e["location_id"],
                 "record_ids": e["record_ids"], "webhook_id": e["extra"].get("webhook_id")}
                for e in ghl_events(triggering_asset_events)]

    consume()


ghl_webhook_consumer()
