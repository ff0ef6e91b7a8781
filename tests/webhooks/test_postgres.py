"""The receiver on a real PostgreSQL metadata database (production Airflow's database).

``GHL_TEST_POSTGRES_URL`` names a role that may create databases, e.g.
``postgresql+psycopg2://ghl_test:ghl_test@127.0.0.1:5432/postgres`` (``.ci/run`` installs and starts PostgreSQL
on loopback and exports it). The module makes a fresh database, ``airflow db migrate``s it, parses ``dags/``
into it (``dags reserialize``) and starts ``airflow api-server`` with 2 workers on it; it drops the database
afterwards. Without the variable the module skips with a warning, except under ``CI``, where it fails: a
green CI always means the PostgreSQL lock ran.

- Deliveries through the 2 API-server workers become asset events (and queue the DAG) on PostgreSQL;
  concurrent duplicates across the workers record one.
- In-process, Airflow's ORM switched to the same database: recorders in separate transactions that race on
  one ``webhookId`` record it once, and the same race without the lock records it several times (so the
  lock, not luck, is what passes); ``pg_locks`` shows the transaction-scoped advisory lock on the webhook
  id's key while a recorder holds it, a second recorder of the same id waiting for it, and nothing after commit.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from airflow_provider_ghl.webhooks import recorder
from airflow_provider_ghl.webhooks.settings import ReceiverSettings
from airflow_provider_ghl.webhooks.signing import public_key_b64
from airflow_provider_ghl.webhooks.verify import Delivery, Verifier
from tests.postgres import URL_VARIABLE, admin_url, fresh_database, unavailable
from tests.webhooks.airflow_processes import Airflow
from tests.webhooks.helpers import LOCATION, payload, signed

DAGS = Path(__file__).resolve().parent / "dags"
URI = f"ghl://{LOCATION}/contacts"
CONSUMER = "ghl_webhook_consumer"
@pytest.fixture(scope="module")
def database() -> Iterator[str]:
    """A fresh database for the module (URL with the psycopg2 driver), dropped afterwards."""
    url = admin_url()
    if not url:
        unavailable(f"{URL_VARIABLE} is not set (a PostgreSQL role that may create databases, "
                    "e.g. postgresql+psycopg2://ghl_test:ghl_test@127.0.0.1:5432/postgres)")
    with fresh_database(url, "ghl_webhooks") as database:
        yield database


@pytest.fixture(scope="module")
def airflow(database, signing_key) -> Iterator[Airflow]:
    """``airflow db migrate`` + ``dags reserialize`` into the fresh database, then an api-server with 2 workers."""
    env = {"AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": database, "AIRFLOW__GHL__WEBHOOK_PUBLIC_KEY": public_key_b64(signing_key)}
    with Airflow(DAGS, env=env, workers=2, scheduler=False) as running:
        yield running


@pytest.fixture(scope="module")
def db(database) -> Iterator[Any]:
    """An engine of the test's own on the database, for looking at what the receiver recorded."""
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    engine = create_engine(database, poolclass=NullPool)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def airflow_orm(airflow, database) -> Iterator[None]:
    """This process's Airflow ORM on the module's PostgreSQL database (the session's SQLite one is put back after)."""
    from airflow import settings

    names = ("SQL_ALCHEMY_CONN", "SQL_ALCHEMY_CONN_ASYNC", "engine", "Session", "NonScopedSession", "async_engine",
             "AsyncSession")
    saved = {name: getattr(settings, name) for name in names}
    settings.SQL_ALCHEMY_CONN = database
    settings.SQL_ALCHEMY_CONN_ASYNC = database.replace("postgresql+psycopg2:", "postgresql+asyncpg:", 1)
    settings.configure_orm()
    try:
        assert settings.engine.dialect.name == "postgresql"
        yield
    finally:
        settings.Session.remove()
        settings.engine.dispose()
        if settings.async_engine is not None:
            settings.async_engine.sync_engine.dispose()
        for name, value in saved.items():
            setattr(settings, name, value)


def events(db, webhook_id: str) -> list[dict]:
    from sqlalchemy import text

    with db.connect() as conn:
        rows = conn.execute(text("SELECT e.id, e.extra::jsonb AS extra FROM asset_event e JOIN asset a ON a.id = e.asset_id "
                                 "WHERE a.uri = :uri AND e.extra::jsonb ->> 'webhook_id' = :wid ORDER BY e.id"),
                            {"uri": URI, "wid": webhook_id})
        return [dict(row._mapping) for row in rows]


def post(airflow: Airflow, body: bytes, headers: dict) -> httpx.Response:
    return httpx.post(f"{airflow.url}/ghl/webhooks", content=body, headers=headers, timeout=60)


def test_signed_deliveries_become_asset_events_on_postgres(airflow, db, signing_key):
    from sqlalchemy import text

    body, headers = signed(signing_key, payload("ContactTagUpdate", id="pgContact1", webhook_id="pg-signed-1", tags=["vip"]))
    response = post(airflow, body, headers)
    assert response.status_code == 200, response.text
    assert response.json() == {"status": "recorded", "event_type": "ContactTagUpdate", "asset_uri": URI}
    [event] = events(db, "pg-signed-1")              # committed before the answer
    assert event["extra"]["event_type"] == "ContactTagUpdate" and event["extra"]["record_id"] == "pgContact1"
    assert event["extra"]["payload"]["tags"] == ["vip"]
    with db.connect() as conn:
        queued = conn.execute(text("SELECT count(*) FROM asset_dag_run_queue q JOIN asset a ON a.id = q.asset_id "
                                   "WHERE a.uri = :uri AND q.target_dag_id = :dag"), {"uri": URI, "dag": CONSUMER}).scalar()
    assert queued == 1                               # the DAG scheduled on the asset is queued
    again = post(airflow, body, headers)
    assert (again.status_code, again.json()["status"]) == (200, "duplicate")
    assert len(events(db, "pg-signed-1")) == 1


def test_concurrent_duplicates_across_two_api_server_workers_record_one(airflow, db, signing_key):
    body, headers = signed(signing_key, payload(webhook_id="pg-race"))
    others = [signed(signing_key, payload(webhook_id=f"pg-race-{i}")) for i in range(6)]
    requests = [(body, headers)] * 18 + others
    barrier = threading.Barrier(len(requests))
    outcomes: list[str] = []

    def send(content: bytes, head: dict) -> None:
        barrier.wait()
        response = post(airflow, content, head)
        outcomes.append(f"{response.status_code}:{response.json()['status']}")

    threads = [threading.Thread(target=send, args=pair) for pair in requests]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert Counter(outcomes) == {"200:recorded": 1 + 6, "200:duplicate": 17}
    assert len(events(db, "pg-race")) == 1
    assert [len(events(db, f"pg-race-{i}")) for i in range(6)] == [1] * 6


def _delivery(signing_key, webhook_id: str) -> Delivery:
    verifier = Verifier.from_settings(ReceiverSettings(public_key=public_key_b64(signing_key)))
    body, headers = signed(signing_key, payload(webhook_id=webhook_id))
    delivery = verifier.decide(body, headers, datetime.now(UTC)).delivery
    assert delivery is not None
    return delivery


def _race(delivery: Delivery, recorders: int) -> Counter:
    """``recorders`` threads record the same delivery at once, each in its own transaction."""
    barrier = threading.Barrier(recorders)
    outcomes: list[str] = []

    def run() -> None:
        barrier.wait()
        outcomes.append(recorder.record(delivery, payload_max_bytes=8192, max_age_s=300).outcome)

    threads = [threading.Thread(target=run) for _ in range(recorders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return Counter(outcomes)


@pytest.mark.parametrize("locked", [True, False], ids=["with-the-lock", "lock-removed"])
def test_racing_transactions_record_a_webhook_id_once_because_of_the_lock(airflow_orm, db, signing_key, monkeypatch,
                                                                         locked):
    """Each recorder pauses between its duplicate check and its insert, so every transaction overlaps the others.
    With the advisory lock they queue up and one records; with the lock removed each sees no earlier event and
    records its own (this case shows the test fails when the lock does not work)."""
    seen = recorder._seen

    def slow_seen(*args: Any, **kwargs: Any) -> set[str]:
        found = seen(*args, **kwargs)
        time.sleep(0.3)
        return found

    monkeypatch.setattr(recorder, "_seen", slow_seen)
    if not locked:
        monkeypatch.setattr(recorder, "_lock", lambda *args, **kwargs: None)
    webhook_id = f"pg-lock-{'on' if locked else 'off'}"
    outcomes = _race(_delivery(signing_key, webhook_id), recorders=4)
    recorded = len(events(db, webhook_id))
    if locked:
        assert outcomes == {"recorded": 1, "duplicate": 3}
        assert recorded == 1
    else:
        assert outcomes["recorded"] > 1 and recorded == outcomes["recorded"]


def _advisory_locks(db) -> list[tuple[int, bool]]:
    """(64-bit key, granted) of the advisory locks held or awaited in the database."""
    from sqlalchemy import text

    with db.connect() as conn:
        rows = conn.execute(text("SELECT classid::bigint, objid::bigint, objsubid, granted FROM pg_locks "
                                 "WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database "
                                 "WHERE datname = current_database())")).all()
    locks = []
    for high, low, subid, granted in rows:
        assert subid == 1                            # a single bigint key (pg_advisory_xact_lock(bigint))
        key = (high << 32) | low
        locks.append((key - (1 << 64) if key >= 1 << 63 else key, granted))
    return sorted(locks)


def test_pg_locks_shows_the_advisory_lock_held_awaited_and_released(airflow_orm, db, signing_key, monkeypatch):
    """A recorder is held inside its transaction, after taking the lock: ``pg_locks`` shows the lock on the
    webhook id's key; a second recorder of the same id waits for it; after both commit no lock is left."""
    webhook_id = "pg-locks-1"
    key = recorder.lock_key(webhook_id)
    inside, release = threading.Event(), threading.Event()
    seen = recorder._seen
    calls: list[int] = []

    def held_seen(*args: Any, **kwargs: Any) -> set[str]:
        calls.append(1)
        if len(calls) == 1:
            inside.set()
            assert release.wait(30)
        return seen(*args, **kwargs)

    monkeypatch.setattr(recorder, "_seen", held_seen)
    delivery = _delivery(signing_key, webhook_id)
    outcomes: list[str] = []

    def run() -> None:
        outcomes.append(recorder.record(delivery, payload_max_bytes=8192, max_age_s=300).outcome)

    first = threading.Thread(target=run)
    first.start()
    try:
        assert inside.wait(30), "the first recorder did not reach its duplicate check"
        assert _advisory_locks(db) == [(key, True)]
        second = threading.Thread(target=run)
        second.start()
        deadline = time.monotonic() + 20
        while (locks := _advisory_locks(db)) != [(key, False), (key, True)]:
            assert time.monotonic() < deadline, f"the second recorder does not wait for the lock: {locks}"
            time.sleep(0.05)
        assert len(calls) == 1                       # it waits before its duplicate check
    finally:
        release.set()
        first.join(30)
    second.join(30)
    assert sorted(outcomes) == ["duplicate", "recorded"]
    assert len(events(db, webhook_id)) == 1
    assert _advisory_locks(db) == []                 # transaction-scoped: gone at commit


def test_the_duplicate_check_can_use_an_expression_index_on_the_webhook_id(airflow_orm, db):
    """docs/webhooks.md suggests ``CREATE INDEX ... ON asset_event ((extra ->> 'webhook_id'))`` for high volumes:
    the recorder's query must compare exactly that expression, or PostgreSQL cannot use the index."""
    from datetime import timedelta

    from sqlalchemy import text

    query = recorder.seen_query(["pg-index-1", "pg-index-2"], [1, 2], datetime.now(UTC) - timedelta(seconds=660))
    compiled = query.compile(dialect=db.dialect, compile_kwargs={"render_postcompile": True})
    with db.connect() as conn:
        conn.execute(text("CREATE INDEX ghl_asset_event_webhook_id ON asset_event ((extra ->> 'webhook_id'))"))
        # The table is small, so ask whether the index is usable at all: no sequential scan, and (inside this
        # transaction only) without Airflow's (asset_id, timestamp) index, which the planner would prefer here.
        conn.execute(text("DROP INDEX idx_asset_id_timestamp"))
        conn.execute(text("SET LOCAL enable_seqscan = off"))
        plan = "\n".join(row[0] for row in conn.exec_driver_sql("EXPLAIN " + str(compiled), compiled.params))
        conn.rollback()                                  # both indexes as they were
    assert "ghl_asset_event_webhook_id" in plan, plan
