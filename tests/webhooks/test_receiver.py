"""The receiver app over HTTP (in-process ASGI, and a real uvicorn for concurrency) against the real metadata DB.

Every test looks at the database itself: what a delivery recorded (asset events with their extra, the
DAG queued on the asset), or that it recorded nothing.
"""

from __future__ import annotations

import json
import logging
import threading
from collections import Counter

import httpx
import pytest

from airflow_provider_ghl.webhooks.app import create_app
from airflow_provider_ghl.webhooks.settings import ReceiverSettings
from airflow_provider_ghl.webhooks.signing import new_private_key, public_key_b64, sign
from tests.webhooks.conftest import CONSUMER, asset_events, queued_runs
from tests.webhooks.helpers import LOCATION, payload, signed

pytestmark = pytest.mark.usefixtures("webhook_db")
URI = f"ghl://{LOCATION}/contacts"


@pytest.fixture(scope="module")
def app(signing_key):
    return create_app(ReceiverSettings(public_key=public_key_b64(signing_key), max_body_bytes=64 * 1024))


@pytest.fixture
async def client(app):
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://receiver") as c:
        yield c


async def test_a_signed_delivery_becomes_an_asset_event_before_the_answer(client, signing_key):
    body, headers = signed(signing_key, payload("ContactTagUpdate", id="cTag1", webhook_id="wh-signed-1", tags=["vip"]))
    response = await client.post("/webhooks", content=body, headers=headers)
    assert response.status_code == 200, response.text
    assert response.json() == {"status": "recorded", "event_type": "ContactTagUpdate", "asset_uri": URI}
    [event] = asset_events("wh-signed-1")          # committed: visible to a new session as soon as the answer is out
    assert {k: event.extra[k] for k in ("source", "event_type", "family", "location_id", "record_id", "webhook_id")} == {
        "source": "webhook", "event_type": "ContactTagUpdate", "family": "contacts", "location_id": LOCATION,
        "record_id": "cTag1", "webhook_id": "wh-signed-1"}
    assert event.extra["payload"] == json.loads(body)
    assert event.source_dag_id is None and event.partition_key is None  # like POST /api/v2/assets/events
    assert queued_runs(CONSUMER)                     # the DAG scheduled on the asset is queued


async def test_a_replayed_delivery_records_nothing_and_answers_200(client, signing_key):
    body, headers = signed(signing_key, payload(webhook_id="wh-replay-1"))
    first = await client.post("/webhooks", content=body, headers=headers)
    again = await client.post("/webhooks", content=body, headers=headers)
    assert (first.json()["status"], again.status_code, again.json()["status"]) == ("recorded", 200, "duplicate")
    assert len(asset_events("wh-replay-1")) == 1


@pytest.mark.parametrize("case", ["unsigned", "forged", "tampered", "other-key"])
async def test_unsigned_or_forged_deliveries_are_401_and_record_nothing(client, signing_key, case):
    webhook_id = f"wh-{case}"
    body, headers = signed(signing_key, payload(webhook_id=webhook_id))
    if case == "unsigned":
        headers.pop("x-ghl-signature")
    elif case == "forged":
        headers["x-ghl-signature"] = headers["x-ghl-signature"][::-1]
    elif case == "tampered":
        body = body.replace(b"ContactCreate", b"ContactDelete")
    else:
        headers["x-ghl-signature"] = sign(body, new_private_key())
    response = await client.post("/webhooks", content=body, headers=headers)
    assert response.status_code == 401
    assert asset_events(webhook_id) == []


async def test_stale_and_unknown_deliveries_answer_200_and_record_nothing(client, signing_key):
    stale = await client.post("/webhooks", **_request(signing_key, payload(webhook_id="wh-stale", age_s=301)))
    unknown = await client.post("/webhooks", **_request(signing_key, payload("BrandNewEvent", webhook_id="wh-unknown")))
    assert (stale.status_code, stale.json()["status"]) == (200, "stale")
    assert (unknown.status_code, unknown.json()["status"]) == (200, "unknown_event")
    assert asset_events("wh-stale") == [] and asset_events("wh-unknown") == []


async def test_an_oversized_body_is_413_before_it_is_read_whole(client, signing_key):
    big = payload(webhook_id="wh-big", notes="x" * (64 * 1024))
    declared = await client.post("/webhooks", **_request(signing_key, big))
    assert declared.status_code == 413 and "webhook_max_body_bytes" in declared.json()["message"]
    body, headers = signed(signing_key, big)
    sent = []

    async def chunks():                              # no Content-Length: the receiver counts while it reads
        for start in range(0, len(body), 4096):
            sent.append(start)
            yield body[start:start + 4096]

    streamed = await client.post("/webhooks", content=chunks(), headers=headers)
    assert streamed.status_code == 413
    assert asset_events("wh-big") == []


async def test_a_delivery_for_an_asset_no_dag_names_records_nothing(client, signing_key):
    response = await client.post("/webhooks", **_request(signing_key, payload("InvoicePaid", webhook_id="wh-no-asset")))
    assert response.status_code == 200 and response.json()["status"] == "no_asset"
    assert asset_events("wh-no-asset") == []


async def test_without_a_key_every_delivery_is_503_naming_the_setting(signing_key):
    app = create_app(ReceiverSettings(public_key=""))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://receiver") as client:
        response = await client.post("/webhooks", **_request(signing_key, payload(webhook_id="wh-no-key")))
    assert response.status_code == 503
    assert "[ghl] webhook_public_key" in response.json()["message"]
    assert asset_events("wh-no-key") == []


async def test_a_bad_option_is_503_naming_it(monkeypatch, signing_key):
    monkeypatch.setenv("AIRFLOW__GHL__WEBHOOK_PUBLIC_KEY", public_key_b64(signing_key))
    monkeypatch.setenv("AIRFLOW__GHL__WEBHOOK_MAX_AGE_S", "five minutes")
    app = create_app()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://receiver") as client:
        response = await client.post("/webhooks", **_request(signing_key, payload()))
    assert response.status_code == 503
    assert "[ghl] webhook_max_age_s (env AIRFLOW__GHL__WEBHOOK_MAX_AGE_S) must be an integer" in response.json()["message"]


async def test_the_app_exposes_nothing_else(client):
    assert (await client.get("/webhooks")).status_code == 405
    assert (await client.put("/webhooks")).status_code == 405
    for path in ("/", "/webhooks/", "/docs", "/openapi.json", "/redoc", "/webhooks/x"):
        assert (await client.get(path)).status_code == 404, path
        assert (await client.post(path)).status_code == 404, path


async def test_logs_name_the_outcome_but_never_the_body_or_signature(client, signing_key, caplog):
    caplog.set_level(logging.DEBUG, logger="airflow_provider_ghl.webhooks")
    secret = "s3cr3t-email@example.com"
    body, headers = signed(signing_key, payload(webhook_id="wh-logs", email=secret))
    await client.post("/webhooks", content=body, headers=headers)
    await client.post("/webhooks", content=body, headers={**headers, "x-ghl-signature": sign(body, new_private_key())})
    text = caplog.text
    assert "wh-logs" in text and "recorded" in text and "forged" in text
    assert secret not in text and headers["x-ghl-signature"] not in text and public_key_b64(signing_key) not in text


def test_concurrent_duplicates_record_exactly_one(app, signing_key, serve):
    server = serve(app)
    body, headers = signed(signing_key, payload(webhook_id="wh-race"))
    unique = [signed(signing_key, payload(webhook_id=f"wh-race-{i}")) for i in range(8)]
    barrier = threading.Barrier(24)
    outcomes: list[str] = []

    def send(content: bytes, head: dict) -> None:
        barrier.wait()
        response = httpx.post(server.url + "/webhooks", content=content, headers=head, timeout=60)
        outcomes.append(f"{response.status_code}:{response.json()['status']}")

    threads = [threading.Thread(target=send, args=(body, headers)) for _ in range(16)]
    threads += [threading.Thread(target=send, args=pair) for pair in unique]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert Counter(outcomes) == {"200:recorded": 1 + 8, "200:duplicate": 15}
    assert len(asset_events("wh-race")) == 1
    assert all(len(asset_events(f"wh-race-{i}")) == 1 for i in range(8))


def _request(key, body: dict) -> dict:
    raw, headers = signed(key, body)
    return {"content": raw, "headers": headers}


async def test_the_queued_dag_run_reaches_the_newest_event(client, signing_key):
    """Events recorded while the DAG's run is already queued are consumed by that run (apache/airflow#54659)."""
    from airflow.models.asset import AssetDagRunQueue, AssetModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    for i in range(3):
        response = await client.post("/webhooks", **_request(signing_key, payload(webhook_id=f"wh-queue-{i}")))
        assert response.json()["status"] == "recorded"
    newest = asset_events("wh-queue-2")[0].timestamp
    with create_session() as session:
        asset_id = session.scalar(select(AssetModel.id).where(AssetModel.uri == URI))
        [queued_at] = session.scalars(select(AssetDagRunQueue.created_at).where(
            AssetDagRunQueue.asset_id == asset_id, AssetDagRunQueue.target_dag_id == CONSUMER)).all()
    assert queued_at == newest   # the scheduler gives the run every event up to this time


def test_a_batch_records_each_webhook_id_once_in_order(signing_key):
    """Group commit: one transaction for the deliveries waiting, each through register_asset_change, in order."""
    from datetime import UTC, datetime

    from airflow_provider_ghl.webhooks.recorder import record_batch
    from airflow_provider_ghl.webhooks.verify import Verifier

    verifier = Verifier.from_settings(ReceiverSettings(public_key=public_key_b64(signing_key)))

    def delivery(webhook_id, event="ContactCreate", location=LOCATION):
        body, headers = signed(signing_key, payload(event, webhook_id=webhook_id, location_id=location))
        return verifier.decide(body, headers, datetime.now(UTC)).delivery

    first = delivery("wh-batch-1")
    results = record_batch([first, delivery("wh-batch-2"), first, delivery("wh-batch-3", location="otherLoc1")],
                           payload_max_bytes=8192, max_age_s=300)
    assert [r.outcome for r in results] == ["recorded", "recorded", "duplicate", "no_asset"]
    again = record_batch([first], payload_max_bytes=8192, max_age_s=300)
    assert again[0].outcome == "duplicate"
    assert [len(asset_events(f"wh-batch-{i}")) for i in (1, 2, 3)] == [1, 1, 0]


async def test_a_database_failure_is_503_so_highlevel_retries(signing_key, monkeypatch):
    from sqlalchemy.exc import OperationalError

    from airflow_provider_ghl.webhooks import recorder

    def down(*args, **kwargs):
        raise OperationalError("SELECT 1", {}, Exception("unable to open database file"))

    monkeypatch.setattr(recorder, "_record_batch_once", down)
    app = create_app(ReceiverSettings(public_key=public_key_b64(signing_key)))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://receiver") as client:
        response = await client.post("/webhooks", **_request(signing_key, payload(webhook_id="wh-db-down")))
    assert (response.status_code, response.json()["status"]) == (503, "error")
    monkeypatch.undo()
    assert asset_events("wh-db-down") == []
