"""Sensors for HighLevel's Businesses API."""

from __future__ import annotations

from airflow_provider_ghl.sensors.base import GHLCollectionSensor, GHLRecordSensor


class GHLGetBusinessSensor(GHLRecordSensor):
    """One business.

    Fires when the record exists and ``condition(record)`` (if given) holds.
    XCom: the record."""

    operation = "get_business"


class GHLListBusinessesByLocationSensor(GHLCollectionSensor):
    """Businesses of a location.

    Fires when records are new (or, with ``watch="updated"``, changed) since the watermark.
    XCom: exactly those records, oldest first."""

    operation = "list_businesses_by_location"
