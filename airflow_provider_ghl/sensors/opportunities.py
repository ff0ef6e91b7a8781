"""Sensors for HighLevel's Opportunities API."""

from __future__ import annotations

from airflow_provider_ghl.sensors.base import GHLCollectionSensor, GHLRecordSensor


class GHLSearchOpportunitiesSensor(GHLCollectionSensor):
    """Wait for new opportunities (or, with ``watch="updated"``, changed ones) matching a search.

    Filters go in ``query`` (``pipeline_id``, ``status``, ``assigned_to``, ``q``, ...). Fires when at least
    ``min_records`` opportunities were created (``createdAt``; ``updatedAt`` with ``watch="updated"``)
    inside the run's data interval, or, in cursor mode, since the last delivery (ties on the timestamp
    included). XCom: exactly those opportunities, oldest first, each with its contact inlined.
    """

    operation = "search_opportunities"


class GHLGetOpportunitySensor(GHLRecordSensor):
    """Wait until an opportunity exists and ``condition(opportunity)`` holds (if given).

    Example: ``condition=lambda o: o["status"] == "won"``. Fires on the first poke where HighLevel
    returns the opportunity (a 404 means "not yet") and the condition is true.
    XCom: the opportunity (the object under ``opportunity`` in HighLevel's answer).
    """

    operation = "get_opportunity"


class GHLListPipelinesSensor(GHLCollectionSensor):
    """Wait for a new pipeline (or, with ``watch="updated"``, a changed one, e.g. a stage added or renamed).

    Pipelines carry no timestamps in the API: the sensor keeps a cursor of the pipeline ids it delivered
    (with a fingerprint of each for ``watch="updated"``). Fires when a pipeline is not in the cursor (or its
    fingerprint changed). XCom: exactly those pipelines, with their stages.
    """

    operation = "list_pipelines"
