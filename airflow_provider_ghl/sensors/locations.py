"""Sensors for HighLevel's Locations API: sub-accounts and their custom fields."""

from __future__ import annotations

from airflow_provider_ghl.sensors.base import GHLCollectionSensor


class GHLListLocationsSensor(GHLCollectionSensor):
    """Search sub-accounts of an agency.

    Fires when records are new (or, with ``watch="updated"``, changed) since the watermark.
    XCom: exactly those records, oldest first."""

    operation = "list_locations"


class GHLListCustomFieldsSensor(GHLCollectionSensor):
    """Custom fields of a location.

    Fires when records are new (or, with ``watch="updated"``, changed) since the watermark.
    XCom: exactly those records, oldest first."""

    operation = "list_custom_fields"
