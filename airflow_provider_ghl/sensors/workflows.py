"""Sensors for HighLevel's Workflows API."""

from __future__ import annotations

from airflow_provider_ghl.sensors.base import GHLCollectionSensor


class GHLListWorkflowsSensor(GHLCollectionSensor):
    """Workflows of a location.

    Fires when records are new (or, with ``watch="updated"``, changed) since the watermark.
    XCom: exactly those records, oldest first."""

    operation = "list_workflows"
