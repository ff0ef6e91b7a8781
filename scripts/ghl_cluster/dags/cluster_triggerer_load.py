"""The cluster's triggerer sizing: ``conf["sensors"]`` deferrable record sensors on contacts that never appear,
so each one is a trigger in the triggerer (polling every 5 minutes) until the check fails the run."""

from __future__ import annotations

import pendulum
from airflow.sdk import dag, task

from airflow_provider_ghl.sensors.contacts import GHLGetContactSensor


@dag(schedule=None, start_date=pendulum.datetime(2026, 1, 1, tz="UTC"), catchup=False, tags=["ghl", "cluster"],
     max_active_tasks=64)
def cluster_triggerer_load():
    @task
    def missing_contacts(dag_run=None) -> list[str]:
        return [f"clusterMissing{index:03d}" for index in range(int(dag_run.conf.get("sensors", 50)))]

    GHLGetContactSensor.partial(task_id="wait", deferrable=True, poke_interval=300, timeout=3600).expand(
        contact_id=missing_contacts())


cluster_triggerer_load()
