"""Records an accepted delivery as an Airflow asset event, exactly once per ``webhookId``.

The same code path as Airflow's REST endpoint ``POST /api/v2/assets/events``: the assets with the
delivery's URI are looked up and ``asset_manager.register_asset_change(..., source_is_api=True)`` records
the event and queues the DAGs scheduled on it, in one metadata-database transaction that commits before
the receiver answers.

Exactly once across processes and API-server workers: inside that transaction, before looking for an
earlier event with the same ``webhook_id``, the recorder takes a lock that every other recorder of the
same delivery must wait for, and the lock lasts until commit:

- SQLite: a no-op write on the asset's row takes SQLite's single writer lock (Airflow does the same for
  asset partitions); the write transaction then reads the latest committed data.
- PostgreSQL: ``pg_advisory_xact_lock`` on a 64-bit hash of the webhook id (only deliveries with the same
  id wait for each other).
- MySQL: ``SELECT ... FOR UPDATE`` on the asset's row.

The earlier event is looked for among the events recorded in the replay window (the verifier refuses a
timestamp more than ``max_age_s`` from now, so a replay accepted now was first received less than
``2 * max_age_s`` ago): the search reads the ``(asset_id, timestamp)`` index, not the whole table.
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, text, update
from sqlalchemy.exc import OperationalError

from airflow_provider_ghl.webhooks.verify import Delivery

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

LOCK_RETRIES = 20
"""Whole-transaction retries when the database reports a lock timeout or deadlock (then the receiver answers 503)."""


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


def _lock(session: Session, webhook_id: str, asset_id: int) -> None:
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": lock_key(webhook_id)})
    elif dialect == "sqlite":
        session.execute(text("UPDATE asset SET id = id WHERE id = :id"), {"id": asset_id})
    else:
        from airflow.models.asset import AssetModel
        from airflow.utils.sqlalchemy import with_row_locks

        session.execute(with_row_locks(select(AssetModel.id).where(AssetModel.id == asset_id), session=session))


def _seen(session: Session, webhook_id: str, asset_ids: list[int], since: datetime) -> bool:
    from airflow.models.asset import AssetEvent

    found = session.scalar(
        select(AssetEvent.id).where(
            AssetEvent.asset_id.in_(asset_ids), AssetEvent.timestamp >= since,
            AssetEvent.extra["webhook_id"].as_string() == webhook_id,
        ).limit(1)
    )
    return found is not None


def _record_once(delivery: Delivery, extra: dict[str, Any], max_age_s: int) -> Recorded:
    from airflow.assets.manager import asset_manager
    from airflow.models.asset import AssetModel
    from airflow.utils.session import create_session

    uri = delivery.asset_uri
    with create_session(scoped=False) as session:
        assets = session.scalars(select(AssetModel).where(AssetModel.uri == uri).order_by(AssetModel.id)).all()
        if not assets:
            return Recorded("no_asset", uri)
        _lock(session, delivery.webhook_id, assets[0].id)
        since = datetime.now(UTC) - timedelta(seconds=2 * max_age_s + 60)
        if _seen(session, delivery.webhook_id, [asset.id for asset in assets], since):
            return Recorded("duplicate", uri)
        event_ids = []
        for asset in assets:
            event = asset_manager.register_asset_change(
                asset=asset, extra=extra, source_is_api=True, api_user_teams=set(), session=session,
            )
            if event is not None:
                event_ids.append(event.id)
                _queue_up_to(session, asset.id, event.timestamp)
    return Recorded("recorded", uri, tuple(event_ids))


def _queue_up_to(session: Session, asset_id: int, timestamp: datetime) -> None:
    """Make the DAG run queue entries of the asset reach this event.

    Airflow 3.3's scheduler gives an asset-triggered run the events up to the queue entry's ``created_at``, and
    an event recorded while an entry is already queued leaves that ``created_at`` as it was: the event then waits
    for the *next* event to start a run (apache/airflow#54659, fixed upstream by #62501 the same way: the entry's
    ``created_at`` follows the newest event). Only moves forward.
    """
    from airflow.models.asset import AssetDagRunQueue

    queue = AssetDagRunQueue.__table__
    session.execute(
        update(queue).where(queue.c.asset_id == asset_id, queue.c.created_at < timestamp).values(created_at=timestamp)
    )


def _transient(error: OperationalError) -> bool:
    message = str(error.orig).lower()
    return any(word in message for word in ("locked", "busy", "deadlock", "lock wait timeout"))


def record(delivery: Delivery, *, payload_max_bytes: int, max_age_s: int) -> Recorded:
    """Record ``delivery`` on every asset with its URI (usually one), once; commits before returning."""
    extra = delivery.extra(payload_max_bytes)
    for attempt in range(LOCK_RETRIES):
        try:
            return _record_once(delivery, extra, max_age_s)
        except OperationalError as error:
            if not _transient(error) or attempt == LOCK_RETRIES - 1:
                raise
            log.info("metadata database busy; retrying webhook %s (attempt %d)", delivery.webhook_id, attempt + 1)
            time.sleep(0.05 * (attempt + 1))
    raise AssertionError("unreachable")
