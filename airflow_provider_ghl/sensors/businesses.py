"""Sensors for HighLevel's Businesses API."""

from __future__ import annotations

from airflow_provider_ghl.sensors.base import GHLCollectionSensor, GHLRecordSensor


class GHLGetBusinessSensor(GHLRecordSensor):
    """Wait until a business exists and ``condition(business)`` holds (if given).

    Example: ``condition=lambda b: b.get("website")``. XCom: the business (the object under ``business``).
    """

    operation = "get_business"


class GHLListBusinessesByLocationSensor(GHLCollectionSensor):
    """Wait for new businesses in the location (or, with ``watch="updated"``, changed ones).

    Fires when at least ``min_records`` businesses were created (``createdAt``; ``updatedAt`` with
    ``watch="updated"``) inside the run's data interval or, in cursor mode, since the last delivery,
    ties included. XCom: exactly those businesses, oldest first.
    """

    operation = "list_businesses_by_location"
