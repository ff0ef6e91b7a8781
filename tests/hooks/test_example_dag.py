"""GHLHook inside a ``@task`` under ``dag.test()``, OAuth connection: a live rotated refresh token is stored."""

from __future__ import annotations

import json

import httpx


def test_oauth_dag_leaves_a_valid_rotated_refresh_token(fresh_sandbox, dag_runner, monkeypatch):
    from airflow.models.variable import Variable

    Variable.delete("ghl_token__ghl_oauth__oauth")  # the sandbox was reset: start from the connection's seed
    monkeypatch.setenv("AIRFLOW_CONN_GHL_OAUTH", fresh_sandbox.connection_json("oauth"))
    result = dag_runner.run("example_ghl_hook_oauth")
    assert result.succeeded, result.task_states
    contacts = [c for c in fresh_sandbox.control("GET", "tables/contacts") if c["locationId"] == fresh_sandbox.location_id]
    assert result.summary_lines()[0].startswith(f"{len(contacts)} contacts; first listed: ")

    state = json.loads(Variable.get("ghl_token__ghl_oauth__oauth"))
    seeded = fresh_sandbox.connection("oauth")["extra"]
    assert state["refresh_token"] != seeded["refresh_token"]
    assert fresh_sandbox.stats()["oauth:refreshed"] == 1  # the second task reused the stored access token
    answer = httpx.post(fresh_sandbox.base_url + "/oauth/token", data={
        "client_id": seeded["client_id"], "client_secret": seeded["client_secret"],
        "grant_type": "refresh_token", "refresh_token": state["refresh_token"]})
    assert answer.status_code == 200, answer.text
