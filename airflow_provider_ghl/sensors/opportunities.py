"""Sensors for HighLevel's Opportunities API."""

from __future__ import annotations

from airflow_provider_ghl.sensors.base import GHLCollectionSensor, GHLRecordSensor


class GHLSearchOpportunitiesSensor(GHLCollectionSensor):
    """Search/list opportunities.

    Fires when records are new (or, with ``watch="updated"``, changed) since the watermark.
    XCom: exactly those records, oldest first."""

    operation = "search_opportunities"


class GHLGetOpportunitySensor(GHLRecordSensor):
    """One opportunity.

    Fires when the record exists and ``condition(record)`` (if given) holds.
    XCom: the record."""

    operation = "get_opportunity"


class GHLListPipelinesSensor(GHLCollectionSensor):
    """Pipelines with stages.

    Fires when records are new (or, with ``watch="updated"``, changed) since the watermark.
    XCom: exactly those records, oldest first."""

    operation = "list_pipelines"
