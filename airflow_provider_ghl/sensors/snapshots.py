"""Sensors for HighLevel's Snapshots API (agency)."""

from __future__ import annotations

from airflow_provider_ghl.sensors.base import GHLCollectionSensor


class GHLListSnapshotsSensor(GHLCollectionSensor):
    """Own and imported snapshots.

    Fires when records are new (or, with ``watch="updated"``, changed) since the watermark.
    XCom: exactly those records, oldest first."""

    operation = "list_snapshots"
