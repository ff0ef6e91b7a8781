"""Sensors for HighLevel's Companies API (agency)."""

from __future__ import annotations

from airflow_provider_ghl.sensors.base import GHLRecordSensor


class GHLGetCompanySensor(GHLRecordSensor):
    """Wait until the agency's details satisfy ``condition(company)`` (the company from the connection).

    Example: ``condition=lambda c: c["locationCount"] >= 10``. Without a condition it fires at once (a
    connection check). XCom: the company (the object under ``company``).
    """

    operation = "get_company"
