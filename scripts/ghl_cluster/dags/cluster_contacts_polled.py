"""The polling feed of the cluster's event check: GHLContactEventTrigger in the triggerer (every 5 s) feeds an asset
(where HighLevel cannot reach Airflow with webhooks); each batch of changed contacts starts a run, whose task returns
the contact ids it was given."""

from __future__ import annotations

import pendulum
from airflow.sdk import Asset, AssetWatcher, dag, task

from airflow_provider_ghl.triggers.ghl import GHLContactEventTrigger

POLLED = Asset("cluster_contacts_polled", watchers=[
    AssetWatcher(name="cluster_contacts_poll", trigger=GHLContactEventTrigger(watch="updated", poll_interval=5)),
])


@dag(schedule=[POLLED], start_date=pendulum.datetime(2026, 1, 1, tz="UTC"), catchup=False, tags=["ghl", "cluster"])
def cluster_contacts_polled():
    @task
    def changed(triggering_asset_events=None) -> list[str]:
        # A trigger's asset event: {"from_trigger": true, "payload": {"ids": [...], ...}} (ghl_events() reads only
        # ghl:// assets, and this one is not: the webhook feed must not reach it).
        return [record_id for events in (triggering_asset_events or {}).values() for event in events
                for record_id in (event.extra.get("payload") or {}).get("ids", [])]

    changed()


cluster_contacts_polled()
