"""Helpers over Airflow's REST API that the checks and the browser check share: start a run, wait for runs."""

from __future__ import annotations

from ghl_cluster.deployment import Airflow, wait

FINISHED = {"success", "failed"}


def trigger(airflow: Airflow, dag_id: str, conf: dict | None = None) -> str:
    """A run without a logical date, as a client of the REST API starts one; its run id."""
    return airflow.rest("POST", f"/dags/{dag_id}/dagRuns", json={"logical_date": None, "conf": conf or {}})["dag_run_id"]


def run_state(airflow: Airflow, dag_id: str, run_id: str) -> str:
    return airflow.rest("GET", f"/dags/{dag_id}/dagRuns/{run_id}")["state"]


def finish(airflow: Airflow, runs: dict[str, str] | list[tuple[str, str]], timeout: float = 300) -> list[str]:
    """Wait for every ``(dag_id, run_id)`` to finish; the failed ones, each with its unsuccessful tasks."""
    pairs = list(runs.items()) if isinstance(runs, dict) else runs
    wait("the runs to finish", lambda: all(run_state(airflow, *pair) in FINISHED for pair in pairs), timeout, 2)
    failed = []
    for dag_id, run_id in pairs:
        if run_state(airflow, dag_id, run_id) != "success":
            tasks = tasks_of(airflow, dag_id, run_id)
            failed.append(f"{dag_id}: " + ", ".join(f"{ti['task_id']}[{ti['map_index']}]={ti['state']}" for ti in tasks
                                                     if ti["state"] not in ("success", "skipped")))
    return failed


def tasks_of(airflow: Airflow, dag_id: str, run_id: str) -> list[dict]:
    return airflow.rest("GET", f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances", params={"limit": 100})["task_instances"]


def asset_runs(airflow: Airflow, dag_id: str) -> list[dict]:
    return airflow.rest("GET", f"/dags/{dag_id}/dagRuns", params={"run_type": "asset_triggered"})["dag_runs"]
