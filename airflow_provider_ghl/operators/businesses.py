"""Operators for HighLevel's Businesses API (companies that contacts belong to)."""

from __future__ import annotations

from airflow_provider_ghl.operators.base import GHLOperator


class GHLCreateBusinessOperator(GHLOperator):
    """Create a business: ``body={"name": "Acme Ltd"}``."""

    operation = "create_business"


class GHLUpdateBusinessOperator(GHLOperator):
    """Update a business."""

    operation = "update_business"


class GHLDeleteBusinessOperator(GHLOperator):
    """Delete a business."""

    operation = "delete_business"
