"""Sensors for HighLevel's Companies API (agency)."""

from __future__ import annotations

from airflow_provider_ghl.sensors.base import GHLRecordSensor


class GHLGetCompanySensor(GHLRecordSensor):
    """Agency details.

    Fires when the record exists and ``condition(record)`` (if given) holds.
    XCom: the record."""

    operation = "get_company"
