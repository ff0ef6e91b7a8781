"""GHLHook inside a ``@task`` under ``dag.test()``, OAuth connection: a live rotated refresh token is stored."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

EXAMPLE_DAGS = Path(__file__).resolve().parents[2] / "example_dags"


def test_oauth_dag_leaves_a_valid_rotated_refresh_token(fresh_sandbox, monkeypatch):
    from airflow.dag_processing.dagbag import DagBag
    from airflow.models.variable import Variable
    from airflow.sdk import DagRunState
    from airflow.utils import db

    db.resetdb()
    monkeypatch.setenv("AIRFLOW_CONN_GHL_OAUTH", fresh_sandbox.connection_json("oauth"))
    dag = DagBag(dag_folder=str(EXAMPLE_DAGS / "example_ghl_hook_oauth.py")).get_dag("example_ghl_hook_oauth")
    run = dag.test()
    assert run.state == DagRunState.SUCCESS

    state = json.loads(Variable.get("ghl_token__ghl_oauth__oauth"))
    seeded = fresh_sandbox.connection("oauth")["extra"]
    assert state["refresh_token"] != seeded["refresh_token"]
    assert fresh_sandbox.stats()["oauth:refreshed"] == 1  # the second task reused the stored access token
    answer = httpx.post(fresh_sandbox.base_url + "/oauth/token", data={
        "client_id": seeded["client_id"], "client_secret": seeded["client_secret"],
        "grant_type": "refresh_token", "refresh_token": state["refresh_token"]})
    assert answer.status_code == 200, answer.text
