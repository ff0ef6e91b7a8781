"""Operators for HighLevel's Locations (sub-accounts) API."""

from __future__ import annotations

from airflow_provider_ghl.operators.base import GHLOperator


class GHLFindLocationOperator(GHLOperator):
    """Read one sub-account's details (name, address, timezone, settings); XCom: ``{"location": {...}}``.

    Without ``location_id`` it reads the connection's location, which makes it a cheap first task
    that checks the connection and passes the timezone on to later tasks.
    """

    operation = "find_location"


class GHLCreateLocationOperator(GHLOperator):
    """Create a sub-account under the agency (needs an agency connection with ``locations.write``).

    The company comes from the connection. Example::

        GHLCreateLocationOperator(
            task_id="onboard_client", ghl_conn_id="ghl_agency",
            body={"name": "Northwind Bakery", "city": "Austin", "country": "US", "timezone": "America/Chicago",
                  "snapshotId": "{{ params.snapshot_id }}"},
        )

    XCom: the new location (``id``, ``companyId``, ``name``, ``settings``, ...).
    """

    operation = "create_location"
