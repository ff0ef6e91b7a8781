"""Operators for HighLevel's Locations (sub-accounts) API."""

from __future__ import annotations

from airflow_provider_ghl.operators.base import GHLOperator


class GHLFindLocationOperator(GHLOperator):
    """Read one sub-account (default: the connection's location)."""

    operation = "find_location"


class GHLCreateLocationOperator(GHLOperator):
    """Create a sub-account (agency token): ``body={"name": ...}``; the company comes from the connection."""

    operation = "create_location"
