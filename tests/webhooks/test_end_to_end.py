"""End to end with real processes: a contact created through the sandbox's API starts a DAG scheduled on
``ghl_asset(location, "contacts")``, by a signed webhook to the receiver on ``airflow api-server``.

One sandbox (``--webhook-url http://127.0.0.1:<api port>/ghl/webhooks``) and one Airflow (api-server,
scheduler, dag-processor; LocalExecutor, SQLite in a temporary home: ``tests/webhooks/airflow_processes.py``),
started once for the module; ``AIRFLOW__GHL__WEBHOOK_PUBLIC_KEY`` is ``webhook_public_key`` from the
sandbox's startup line. The DAG folder holds a small consumer DAG and the event-driven example.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import httpx
import pytest

from airflow_provider_ghl.sandbox import Sandbox
from tests.webhooks.airflow_processes import REPO, Airflow

DAG_ID = "ghl_e2e_contacts"
EXAMPLE = "example_gestioo_contact_sync"
DAG = '''
import pendulum
from airflow.sdk import dag, task

from airflow_provider_ghl.assets import ghl_asset, ghl_events


@dag(schedule=[ghl_asset("{location}", "contacts")], start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
     catchup=False)
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
def deployment(tmp_path_factory, outputs) -> Iterator[tuple[Sandbox, Airflow]]:
    dags = tmp_path_factory.mktemp("ghl-e2e-dags")
    airflow = Airflow(dags, env={"GHL_EXAMPLE_OUTPUT": str(outputs)})
    with Sandbox(seed=21, contacts=20, rate_limits=False,
                 extra_args=["--webhook-url", f"{airflow.url}/ghl/webhooks"]) as sandbox:
        (dags / f"{DAG_ID}.py").write_text(consumer_dag(sandbox.location_id))
        # The event-driven example, on webhooks, with the helper modules it imports and the ignore file naming them.
        for name in (f"{EXAMPLE}.py", "gestioo_common.py", "ghl_example_common.py", ".airflowignore"):
            (dags / name).write_text((REPO / "example_dags" / name).read_text())
        airflow.env.update({"AIRFLOW__GHL__WEBHOOK_PUBLIC_KEY": sandbox.webhook_public_key,
                            "GHL_LOCATION_ID": sandbox.location_id,
                            "AIRFLOW_CONN_GHL_DEFAULT": sandbox.connection_json("full")})
        with airflow:
            uri = f"ghl://{sandbox.location_id}/contacts"
            airflow.wait(lambda: ready(airflow, uri, DAG_ID, EXAMPLE), f"{DAG_ID} and {EXAMPLE} on {uri}", timeout=120)
            yield sandbox, airflow


def ready(airflow: Airflow, uri: str, *dag_ids: str) -> bool:
    """The DAGs are parsed and unpaused, and their asset is known (the receiver records nothing for an unknown one)."""
    assets = airflow.rest("GET", "/assets", params={"uri_pattern": uri}).json()["assets"]
    dags = {d["dag_id"]: d for d in airflow.rest("GET", "/dags", params={"limit": 100}).json()["dags"]}
    return any(a["uri"] == uri for a in assets) and all(d in dags and not dags[d]["is_paused"] for d in dag_ids)


def runs(airflow: Airflow, dag_id: str) -> list[dict]:
    answer = airflow.rest("GET", f"/dags/{dag_id}/dagRuns", params={"limit": 100, "order_by": "id"}).json()
    return answer["dag_runs"]


def return_value(airflow: Airflow, dag_id: str, run_id: str, task_id: str):
    return airflow.rest("GET", f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/xcomEntries/return_value",
                        params={"deserialize": True}).json()["value"]


def create_contact(sandbox: Sandbox, **fields: str) -> dict:
    response = httpx.post(f"{sandbox.base_url}/contacts/", json={"locationId": sandbox.location_id, **fields},
                          headers={"Authorization": f"Bearer {sandbox.connection('full')['password']}",
                                   "Version": "2021-07-28"}, timeout=30)
    assert response.status_code == 201, response.text
    return response.json()["contact"]


def finished(airflow: Airflow, dag_id: str, after: int) -> dict | None:
    done = [r for r in runs(airflow, dag_id)[after:] if r["state"] in ("success", "failed")]
    return done[0] if done else None


def test_a_contact_created_in_highlevel_starts_the_subscribed_dag(deployment):
    sandbox, airflow = deployment
    before = len(runs(airflow, DAG_ID))
    written = time.time()
    contact = create_contact(sandbox, firstName="Eve", lastName="Endtoend", email="eve.e2e@example.com")

    delivery = sandbox.deliveries(wait=30)
    assert delivery["counts"]["sent"] == 1, delivery
    assert delivery["deliveries"][0]["statuses"] == [200]

    run = airflow.wait(lambda: finished(airflow, DAG_ID, before), f"a finished run of {DAG_ID}", timeout=90)
    assert run["run_type"] == "asset_triggered" and run["state"] == "success", airflow.log("scheduler")[-3000:]
    [event] = return_value(airflow, DAG_ID, run["dag_run_id"], "seen")
    assert event["record_ids"] == [contact["id"]]
    assert (event["event_type"], event["source"]) == ("ContactCreate", "webhook")
    assert event["webhook_id"] == delivery["deliveries"][0]["webhookId"]
    assert datetime.fromisoformat(run["queued_at"]).timestamp() - written < 30


def test_forged_and_duplicate_deliveries_start_nothing(deployment):
    sandbox, airflow = deployment
    airflow.wait(lambda: not [r for r in runs(airflow, DAG_ID) if r["state"] not in ("success", "failed")],
                 "earlier runs to finish")
    before = len(runs(airflow, DAG_ID))
    sandbox.control("PATCH", "webhooks", {"chaos": {"forge_rate": 1.0, "seed": 1}})
    try:
        create_contact(sandbox, firstName="Mallory", lastName="Forged")
        counts = sandbox.deliveries(wait=30)["counts"]
    finally:
        sandbox.control("PATCH", "webhooks", {"chaos": {"forge_rate": 0.0, "duplicate_rate": 1.0}})
    assert counts["failed"] == 1  # the receiver's 401 is final (HighLevel retries only 429)
    try:
        contact = create_contact(sandbox, firstName="Dup", lastName="Licate")
        answer = sandbox.deliveries(wait=30)
    finally:
        sandbox.control("PATCH", "webhooks", {"chaos": {"duplicate_rate": 0.0}})
    sent = [d for d in answer["deliveries"] if d["type"] == "ContactCreate"][-2:]
    assert [d["duplicate"] for d in sent] == [False, True] and {d["outcome"] for d in sent} == {"sent"}

    run = airflow.wait(lambda: finished(airflow, DAG_ID, before), "the duplicated contact's run", timeout=90)
    time.sleep(3)  # a second run, from the duplicate or the forgery, would be queued by now
    assert len(runs(airflow, DAG_ID)) == before + 1
    [event] = return_value(airflow, DAG_ID, run["dag_run_id"], "seen")
    assert event["record_ids"] == [contact["id"]]


def test_the_event_driven_example_syncs_a_contact_created_in_highlevel(deployment, outputs):
    sandbox, airflow = deployment
    before = len(runs(airflow, EXAMPLE))
    contact = create_contact(sandbox, firstName="Gus", lastName="Gestioo", email="gus.gestioo@example.com",
                             city="Porto")
    inbox = outputs / "gestioo_inbox" / "customers.json"

    def synced() -> dict | None:
        run = finished(airflow, EXAMPLE, before)
        return run if run and inbox.exists() and contact["id"] in json.loads(inbox.read_text()) else None

    run = airflow.wait(synced, f"{EXAMPLE} to sync {contact['id']}", timeout=90)
    assert run["run_type"] == "asset_triggered" and run["state"] == "success"
    customer = json.loads(inbox.read_text())[contact["id"]]
    assert (customer["first_name"], customer["city"]) == ("Gus", "Porto")
    webhook_id = sandbox.deliveries(wait=10)["deliveries"][-1]["webhookId"]
    [batch] = (outputs / "gestioo_inbox").glob(f"changes_*{webhook_id}*.json")  # the batch is named by its webhooks
    assert contact["id"] in [c["highlevel_id"] for c in json.loads(batch.read_text())["upserted"]]
