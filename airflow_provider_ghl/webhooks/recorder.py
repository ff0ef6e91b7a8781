"""Records accepted deliveries as Airflow asset events, exactly once per ``webhookId``.

The same code path as Airflow's REST endpoint ``POST /api/v2/assets/events``: the assets with the
delivery's URI are looked up and ``asset_manager.register_asset_change(..., source_is_api=True)`` records
the event and queues the DAGs scheduled on it, in a metadata-database transaction that commits before
the receiver answers.

Exactly once across processes and API-server workers: inside that transaction, before looking for earlier
events with the same ``webhook_id``, the recorder takes a lock that every other recorder of the same
delivery must wait for, and the lock lasts until commit:

- SQLite: a no-op write on an asset row takes SQLite's single writer lock (Airflow does the same for
  asset partitions); the write transaction then reads the latest committed data.
- PostgreSQL: ``pg_advisory_xact_lock`` on a 64-bit hash of each webhook id, in key order, all in one
  statement (only deliveries with the same id wait for each other).
- MySQL: ``SELECT ... FOR UPDATE`` on the asset rows, in id order.

Earlier events are looked for among those recorded in the replay window (the verifier refuses a timestamp
more than ``max_age_s`` from now, so a replay accepted now was first received less than ``2 * max_age_s``
ago): the search reads the asset's events of the window (the ``(asset_id, timestamp)`` index), not the
whole table. Its cost grows with the events of the window; on PostgreSQL an expression index on
``(extra ->> 'webhook_id')``, if the operator creates one (docs/webhooks.md), makes it one index lookup: the
query compares exactly that expression.

Group commit: ``BatchWriter`` (one thread per process) records whatever deliveries are waiting in one
transaction, each still through ``register_asset_change``; alone, a delivery is a batch of one. A batch
that fails is retried delivery by delivery, so one bad delivery cannot fail the others. While batches
follow each other (more deliveries waiting when one commits) the writer keeps its database connection
instead of returning it to the pool and checking it out again (with Airflow's pre-ping) for each batch; it
gives it back as soon as nothing waits, and drops it after any error.
"""

from __future__ import annotations

import hashlib
import logging
import queue
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, text, update
from sqlalchemy.exc import OperationalError

from airflow_provider_ghl.webhooks.verify import Delivery

if TYPE_CHECKING:
    from sqlalchemy import Connection, Select
    from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

LOCK_RETRIES = 20
"""Whole-transaction retries when the database reports a lock timeout or deadlock (then the receiver answers 503)."""
MAX_BATCH = 200


@dataclass(frozen=True)
class Recorded:
    outcome: str
    """``recorded``, ``duplicate`` or ``no_asset`` (no DAG or asset names this URI: nothing to record)."""
    asset_uri: str
    event_ids: tuple[int, ...] = ()


def lock_key(webhook_id: str) -> int:
    """A signed 64-bit key for PostgreSQL's advisory locks."""
    digest = hashlib.sha256(b"ghl-webhook:" + webhook_id.encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


_PG_LOCKS = text("SELECT count(pg_advisory_xact_lock(key)) FROM unnest(CAST(:keys AS bigint[])) AS key")
"""A batch's locks in one round trip, taken in the order of the (sorted) array, which ``unnest`` keeps."""


def _lock(session: Session, webhook_ids: Sequence[str], asset_ids: Sequence[int]) -> None:
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(_PG_LOCKS, {"keys": sorted({lock_key(webhook_id) for webhook_id in webhook_ids})})
    elif dialect == "sqlite":
        session.execute(text("UPDATE asset SET id = id WHERE id = :id"), {"id": min(asset_ids)})
    else:
        from airflow.models.asset import AssetModel
        from airflow.utils.sqlalchemy import with_row_locks

        query = select(AssetModel.id).where(AssetModel.id.in_(sorted(asset_ids))).order_by(AssetModel.id)
        session.execute(with_row_locks(query, session=session))


def seen_query(webhook_ids: Sequence[str], asset_ids: Sequence[int], since: datetime) -> Select:
    """The webhook ids among ``webhook_ids`` of the assets' events since ``since`` (on PostgreSQL the condition
    on the id is ``(extra ->> 'webhook_id') = ANY(...)``, which an expression index on it serves)."""
    from airflow.models.asset import AssetEvent

    webhook_id = AssetEvent.extra["webhook_id"].as_string()
    return select(webhook_id).where(AssetEvent.asset_id.in_(asset_ids), AssetEvent.timestamp >= since,
                                    webhook_id.in_(list(webhook_ids)))


def _seen(session: Session, webhook_ids: Sequence[str], asset_ids: Sequence[int], since: datetime) -> set[str]:
    return set(session.scalars(seen_query(webhook_ids, asset_ids, since)))


def _queue_up_to(session: Session, asset_id: int, timestamp: datetime) -> None:
    """Make the DAG run queue entries of the asset reach this event.

    Airflow 3.3's scheduler gives an asset-triggered run the events up to the queue entry's ``created_at``, and
    an event recorded while an entry is already queued leaves that ``created_at`` as it was: the event then waits
    for the *next* event to start a run (apache/airflow#54659, fixed upstream by #62501 the same way: the entry's
    ``created_at`` follows the newest event). Only moves forward.
    """
    from airflow.models.asset import AssetDagRunQueue

    table = AssetDagRunQueue.__table__
    session.execute(
        update(table).where(table.c.asset_id == asset_id, table.c.created_at < timestamp).values(created_at=timestamp)
    )


@contextmanager
def _session(connection: Connection | None) -> Iterator[Session]:
    """Airflow's ``create_session(scoped=False)``; on ``connection`` when given (the writer's, kept between batches)."""
    from airflow import settings
    from airflow.utils.session import create_session

    if connection is None:
        with create_session(scoped=False) as session:
            yield session
        return
    session = settings.NonScopedSession(bind=connection)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def _record_batch_once(deliveries: Sequence[Delivery], payload_max_bytes: int, max_age_s: int,
                       connection: Connection | None = None) -> list[Recorded]:
    from airflow.assets.manager import asset_manager
    from airflow.models.asset import AssetModel

    uris = {delivery.asset_uri for delivery in deliveries}
    results: list[Recorded] = []
    with _session(connection) as session:
        assets: dict[str, list[Any]] = {uri: [] for uri in uris}
        for asset in session.scalars(select(AssetModel).where(AssetModel.uri.in_(uris)).order_by(AssetModel.id)):
            assets[asset.uri].append(asset)
        asset_ids = [asset.id for found in assets.values() for asset in found]
        if not asset_ids:
            return [Recorded("no_asset", delivery.asset_uri) for delivery in deliveries]
        webhook_ids = [delivery.webhook_id for delivery in deliveries]
        _lock(session, webhook_ids, asset_ids)
        seen = _seen(session, webhook_ids, asset_ids, datetime.now(UTC) - timedelta(seconds=2 * max_age_s + 60))
        newest: dict[int, datetime] = {}
        for delivery in deliveries:
            uri = delivery.asset_uri
            if not assets[uri]:
                results.append(Recorded("no_asset", uri))
                continue
            if delivery.webhook_id in seen:
                results.append(Recorded("duplicate", uri))
                continue
            seen.add(delivery.webhook_id)
            extra = delivery.extra(payload_max_bytes)
            event_ids = []
            for asset in assets[uri]:
                event = asset_manager.register_asset_change(
                    asset=asset, extra=extra, source_is_api=True, api_user_teams=set(), session=session,
                )
                if event is not None:
                    event_ids.append(event.id)
                    newest[asset.id] = max(newest.get(asset.id, event.timestamp), event.timestamp)
            results.append(Recorded("recorded", uri, tuple(event_ids)))
        for asset_id, timestamp in newest.items():
            _queue_up_to(session, asset_id, timestamp)
    return results


def _transient(error: OperationalError) -> bool:
    message = str(error.orig).lower()
    return any(word in message for word in ("locked", "busy", "deadlock", "lock wait timeout"))


def record_batch(deliveries: Sequence[Delivery], *, payload_max_bytes: int, max_age_s: int,
                 connection: Connection | None = None) -> list[Recorded]:
    """Record ``deliveries`` (in order; a webhook id twice in the batch counts once) in one transaction that
    commits before returning; retried when the database is busy. ``connection``: one to use instead of a
    session from Airflow's pool (not in a transaction)."""
    for attempt in range(LOCK_RETRIES):
        try:
            return _record_batch_once(deliveries, payload_max_bytes, max_age_s, connection)
        except OperationalError as error:
            if not _transient(error) or attempt == LOCK_RETRIES - 1:
                raise
            log.info("metadata database busy; retrying %d webhook deliveries (attempt %d)", len(deliveries), attempt + 1)
            time.sleep(0.05 * (attempt + 1))
    raise AssertionError("unreachable")


def record(delivery: Delivery, *, payload_max_bytes: int, max_age_s: int) -> Recorded:
    """Record one delivery on every asset with its URI (usually one), once; commits before returning."""
    return record_batch([delivery], payload_max_bytes=payload_max_bytes, max_age_s=max_age_s)[0]


class BatchWriter:
    """One writer thread per process: deliveries submitted while a transaction runs go into the next one."""

    def __init__(self, *, payload_max_bytes: int, max_age_s: int, max_batch: int = MAX_BATCH) -> None:
        self.payload_max_bytes = payload_max_bytes
        self.max_age_s = max_age_s
        self.max_batch = max_batch
        self.batches: list[int] = []
        """Sizes of the last batches written (the most recent 1,000), for benchmarks and tests."""
        self._queue: queue.SimpleQueue[tuple[Delivery, Future]] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self._connection: Connection | None = None

    def submit(self, delivery: Delivery) -> Future:
        """A future resolved with the delivery's ``Recorded`` once its transaction has committed."""
        if self._thread is None:
            with self._start_lock:
                if self._thread is None:
                    self._thread = threading.Thread(target=self._run, name="ghl-webhook-writer", daemon=True)
                    self._thread.start()
        future: Future = Future()
        self._queue.put((delivery, future))
        return future

    def _run(self) -> None:
        while True:
            batch = [self._queue.get()]
            while len(batch) < self.max_batch:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            self.batches = [*self.batches[-999:], len(batch)]
            self._write(batch)
            if self._queue.empty():  # idle: the connection goes back to the pool (pre-pinged at the next checkout)
                self._release()

    def _connect(self) -> Connection | None:
        from airflow import settings

        if self._connection is None and settings.engine is not None:
            self._connection = settings.engine.connect()
        return self._connection

    def _release(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                connection.close()
            except Exception:
                log.warning("could not return the webhook writer's database connection", exc_info=True)

    def _write(self, batch: list[tuple[Delivery, Future]]) -> None:
        options = {"payload_max_bytes": self.payload_max_bytes, "max_age_s": self.max_age_s}
        try:
            results = record_batch([delivery for delivery, _ in batch], connection=self._connect(), **options)
        except Exception:
            self._release()  # whatever failed, the next attempt starts on a connection from the pool
            if len(batch) > 1:  # one delivery may be the cause: each on its own
                for item in batch:
                    self._write([item])
                return
            batch[0][1].set_exception(RuntimeError("the webhook delivery could not be recorded"))
            log.exception("webhook %s not recorded", batch[0][0].webhook_id)
            return
        for (_, future), result in zip(batch, results, strict=True):
            future.set_result(result)
