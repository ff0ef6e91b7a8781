"""Operators for HighLevel's Businesses API (the companies that contacts work for)."""

from __future__ import annotations

from airflow_provider_ghl.operators.base import GHLOperator


class GHLCreateBusinessOperator(GHLOperator):
    """Create a business in the location.

    Example: ``body={"name": "Acme Ltd", "email": "info@acme.example", "city": "Austin"}``.
    XCom: ``{"success": true, "buiseness": {...}}`` (HighLevel's spelling of the key).
    """

    operation = "create_business"


class GHLUpdateBusinessOperator(GHLOperator):
    """Change a business's fields: ``business_id="..."``, ``body={"website": "https://acme.example"}``.

    Fields left out keep their value. XCom: ``{"success": true, "buiseness": {...}}``.
    """

    operation = "update_business"


class GHLDeleteBusinessOperator(GHLOperator):
    """Delete a business (its contacts stay, without a business): ``business_id="..."``.

    XCom: ``{"deleted": true, "operation": "delete_business", "business_id": ..., "response": ...}``.
    """

    operation = "delete_business"
