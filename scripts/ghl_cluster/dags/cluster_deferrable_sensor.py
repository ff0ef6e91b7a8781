"""The cluster's deferrable-sensor check: a record sensor defers to the triggerer until the contact in ``conf`` has
the tag ``cluster-go`` (the condition is importable by name, so it runs in the trigger); the check then stops the
first worker's consumption, so the task resumes on the other worker."""

from __future__ import annotations

import pendulum
from airflow.sdk import dag
from ghl_cluster.conditions import tagged_go

from airflow_provider_ghl.sensors.contacts import GHLGetContactSensor


@dag(schedule=None, start_date=pendulum.datetime(2026, 1, 1, tz="UTC"), catchup=False, tags=["ghl", "cluster"])
def cluster_deferrable_sensor():
    GHLGetContactSensor(task_id="wait_for_tag", contact_id="{{ dag_run.conf['contact_id'] }}", condition=tagged_go,
                        deferrable=True, poke_interval=2, timeout=600)


cluster_deferrable_sensor()
