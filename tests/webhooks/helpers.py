"""Deliveries signed like HighLevel's, for the webhook tests and the benchmark."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from airflow_provider_ghl.webhooks.signing import sign

LOCATION = "wbhkLoc0001"
"""The location of the test DAG's asset (tests/webhooks/dags/ghl_webhook_consumer.py)."""


def payload(event_type: str = "ContactCreate", *, location_id: str = LOCATION, webhook_id: str | None = None,
            age_s: float = 0.0, **fields: Any) -> dict[str, Any]:
    """A delivery in HighLevel's shape: ``type``, ``locationId``, ``webhookId``, ``timestamp`` (ISO 8601) and fields."""
    when = datetime.now(UTC) - timedelta(seconds=age_s)
    body = {"type": event_type, "locationId": location_id, "webhookId": webhook_id or uuid.uuid4().hex,
            "timestamp": when.isoformat().replace("+00:00", "Z")}
    body.setdefault("id", fields.pop("id", uuid.uuid4().hex[:20]))
    body.update(fields)
    return body


def signed(key: Any, body: dict[str, Any] | bytes, **headers: str) -> tuple[bytes, dict[str, str]]:
    """(raw body, headers with a valid x-ghl-signature over exactly those bytes)."""
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return raw, {"content-type": "application/json", "x-ghl-signature": sign(raw, key), **headers}
