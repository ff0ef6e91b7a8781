"""Sensors for HighLevel's Workflows API."""

from __future__ import annotations

from airflow_provider_ghl.sensors.base import GHLCollectionSensor


class GHLListWorkflowsSensor(GHLCollectionSensor):
    """Wait for new workflows of the location (or, with ``watch="updated"``, edited or published ones).

    Fires when workflows were created (``createdAt``; ``updatedAt`` with ``watch="updated"``) inside the
    run's data interval or, in cursor mode, since the last delivery, ties included.
    XCom: exactly those workflows (id, name, status, version), oldest first.
    """

    operation = "list_workflows"
