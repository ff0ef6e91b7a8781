"""End to end with real processes: a contact created through the sandbox's API starts a DAG scheduled on
``ghl_asset(location, "contacts")``, by a signed webhook to the receiver on ``airflow api-server``.

One sandbox (``--webhook-url http://127.0.0.1:<api port>/ghl/webhooks``) and one Airflow deployment
(api-server, scheduler, dag-processor; LocalExecutor, SQLite in a temporary home), started once for the
module; ``AIRFLOW__GHL__WEBHOOK_PUBLIC_KEY`` is the sandbox's ``webhook_public_key``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from airflow_provider_ghl.sandbox import Sandbox
from tests.webhooks.stack import ROOT, AirflowStack, free_port

DAG_ID = "ghl_e2e_contacts"
EXAMPLE = "example_gestioo_contact_sync"
DAG = '''
import pendulum
from airflow.sdk import dag, task

from airflow_provider_ghl.assets import ghl_asset, ghl_events


@dag(schedule=[ghl_asset("{location}", "contacts")], start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
     catchup=False, is_paused_upon_creation=False)
def {dag_id}():
    @task
    def seen(triggering_asset_events=None) -> list[dict]:
        return [{{"event_type": e["event_type"], "record_ids": e["record_ids"], "source": e["source"],
                 "webhook_id": e["extra"].get("webhook_id")}} for e in ghl_events(triggering_asset_events)]

    seen()


{dag_id}()
'''


def consumer_dag(location_id: str, dag_id: str = DAG_ID) -> str:
    return DAG.format(location=location_id, dag_id=dag_id)


@pytest.fixture(scope="module")
def outputs(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("ghl-e2e-outputs")


@pytest.fixture(scope="module")
def deployment(outputs) -> Iterator[tuple[Sandbox, AirflowStack]]:
    port = free_port()
    with Sandbox(seed=21, contacts=20, rate_limits=False,
                 extra_args=["--webhook-url", f"http://127.0.0.1:{port}/ghl/webhooks"]) as sandbox:
        dags = {f"{DAG_ID}.py": consumer_dag(sandbox.location_id)}
        # The event-driven example, on webhooks (GHL_LOCATION_ID), with its helper module.
        for name in (f"{EXAMPLE}.py", "gestioo_common.py"):
            dags[name] = (ROOT / "example_dags" / name).read_text()
        env = {"AIRFLOW__GHL__WEBHOOK_PUBLIC_KEY": sandbox.webhook_public_key, "GHL_LOCATION_ID": sandbox.location_id,
               "AIRFLOW_CONN_GHL_DEFAULT": sandbox.connection_json("full"), "GHL_EXAMPLE_OUTPUT": str(outputs),
               "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False"}
        with AirflowStack(dags, env, port=port) as stack:
            uri = f"ghl://{sandbox.location_id}/contacts"
            stack.wait(lambda: stack.dag_ready(DAG_ID, uri) and stack.dag_ready(EXAMPLE, uri), 90,
                       f"{DAG_ID} and {EXAMPLE} parsed, unpaused, their asset known")
            yield sandbox, stack


def create_contact(sandbox: Sandbox, **fields: str) -> dict:
    response = httpx.post(f"{sandbox.base_url}/contacts/", json={"locationId": sandbox.location_id, **fields},
                          headers={"Authorization": f"Bearer {sandbox.connection('full')['password']}",
                                   "Version": "2021-07-28"}, timeout=30)
    assert response.status_code == 201, response.text
    return response.json()["contact"]


def test_a_contact_created_in_highlevel_starts_the_subscribed_dag(deployment):
    sandbox, stack = deployment
    written = time.time()
    contact = create_contact(sandbox, firstName="Eve", lastName="Endtoend", email="eve.e2e@example.com")

    delivery = sandbox.deliveries(wait=30)
    assert delivery["counts"]["sent"] == 1, delivery
    assert delivery["deliveries"][0]["statuses"] == [200]

    def finished() -> dict | None:
        runs = [r for r in stack.runs(DAG_ID) if r["state"] in ("success", "failed")]
        return runs[0] if runs else None

    run = stack.wait(finished, 90, f"a finished run of {DAG_ID}", every=0.25)
    assert run["run_type"] == "asset_triggered" and run["state"] == "success", stack.log_tail("scheduler")
    [event] = stack.return_value(DAG_ID, run["run_id"], "seen")
    assert event["record_ids"] == [contact["id"]]
    assert (event["event_type"], event["source"]) == ("ContactCreate", "webhook")
    assert event["webhook_id"] == delivery["deliveries"][0]["webhookId"]
    queued = time.mktime(time.strptime(run["queued_at"][:19], "%Y-%m-%d %H:%M:%S")) - time.timezone
    assert queued - written < 30


def test_forged_and_duplicate_deliveries_start_nothing(deployment):
    sandbox, stack = deployment
    before = len(stack.runs(DAG_ID))
    sandbox.control("PATCH", "webhooks", {"chaos": {"forge_rate": 1.0, "seed": 1}})
    try:
        create_contact(sandbox, firstName="Mallory", lastName="Forged")
        counts = sandbox.deliveries(wait=30)["counts"]
    finally:
        sandbox.control("PATCH", "webhooks", {"chaos": {"forge_rate": 0.0, "duplicate_rate": 1.0}})
    assert counts["failed"] >= 1  # 401 from the receiver is final (HighLevel retries only 429)
    try:
        contact = create_contact(sandbox, firstName="Dup", lastName="Licate")
        answer = sandbox.deliveries(wait=30)
    finally:
        sandbox.control("PATCH", "webhooks", {"chaos": {"duplicate_rate": 0.0}})
    sent = [d for d in answer["deliveries"] if d["type"] == "ContactCreate"][-2:]
    assert [d["duplicate"] for d in sent] == [False, True] and {d["outcome"] for d in sent} == {"sent"}

    def settled_runs() -> list[dict] | None:
        runs = stack.runs(DAG_ID)
        done = [r for r in runs if r["state"] in ("success", "failed")]
        return runs if len(runs) > before and len(done) == len(runs) else None

    runs = stack.wait(settled_runs, 90, "the duplicated contact's run")
    time.sleep(3)  # a second run from the duplicate would be queued by now
    runs = stack.runs(DAG_ID)
    assert len(runs) == before + 1
    [event] = stack.return_value(DAG_ID, runs[-1]["run_id"], "seen")
    assert event["record_ids"] == [contact["id"]]


def test_the_event_driven_example_syncs_a_contact_created_in_highlevel(deployment, outputs):
    sandbox, stack = deployment
    before = len(stack.runs(EXAMPLE))
    contact = create_contact(sandbox, firstName="Gus", lastName="Gestioo", email="gus.gestioo@example.com",
                             city="Porto")

    def synced() -> dict | None:
        inbox = outputs / "gestioo_inbox" / "customers.json"
        runs = stack.runs(EXAMPLE)[before:]
        done = [r for r in runs if r["state"] in ("success", "failed")]
        customers = json.loads(inbox.read_text()) if inbox.exists() else {}
        return done[-1] if done and contact["id"] in customers else None

    run = stack.wait(synced, 90, f"{EXAMPLE} to sync {contact['id']}", every=0.25)
    assert run["run_type"] == "asset_triggered" and run["state"] == "success"
    customer = json.loads((outputs / "gestioo_inbox" / "customers.json").read_text())[contact["id"]]
    assert (customer["first_name"], customer["city"]) == ("Gus", "Porto")
    webhook_id = sandbox.deliveries(wait=10)["deliveries"][-1]["webhookId"]
    [batch] = (outputs / "gestioo_inbox").glob(f"changes_*{webhook_id}*.json")  # the batch is named by its webhooks
    assert contact["id"] in [c["highlevel_id"] for c in json.loads(batch.read_text())["upserted"]]
