"""Sensors for HighLevel's Snapshots API (agency)."""

from __future__ import annotations

from airflow_provider_ghl.sensors.base import GHLCollectionSensor


class GHLListSnapshotsSensor(GHLCollectionSensor):
    """Wait for new snapshots of the agency (own and imported; company from the connection).

    Snapshots carry no timestamps: a cursor of the delivered ids (and fingerprints, for
    ``watch="updated"``: renamed) decides what is new. XCom: exactly those snapshots (id, name, type).
    """

    operation = "list_snapshots"
