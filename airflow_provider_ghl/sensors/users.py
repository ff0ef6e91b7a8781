"""Sensors for HighLevel's Users API."""

from __future__ import annotations

from airflow_provider_ghl.sensors.base import GHLCollectionSensor, GHLRecordSensor


class GHLSearchUsersSensor(GHLCollectionSensor):
    """Search users of a company.

    Fires when records are new (or, with ``watch="updated"``, changed) since the watermark.
    XCom: exactly those records, oldest first."""

    operation = "search_users"


class GHLFilterUsersByEmailSensor(GHLCollectionSensor):
    """Users by email list.

    Fires when records are new (or, with ``watch="updated"``, changed) since the watermark.
    XCom: exactly those records, oldest first."""

    operation = "filter_users_by_email"


class GHLGetUserSensor(GHLRecordSensor):
    """One user.

    Fires when the record exists and ``condition(record)`` (if given) holds.
    XCom: the record."""

    operation = "get_user"


class GHLListUsersByLocationSensor(GHLCollectionSensor):
    """Users of a location.

    Fires when records are new (or, with ``watch="updated"``, changed) since the watermark.
    XCom: exactly those records, oldest first."""

    operation = "list_users_by_location"
