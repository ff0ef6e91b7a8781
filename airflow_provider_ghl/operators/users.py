"""Operators for HighLevel's Users API."""

from __future__ import annotations

from airflow_provider_ghl.operators.base import GHLOperator


class GHLCreateUserOperator(GHLOperator):
    """Create a user (agency or sub-account), with roles and location access."""

    operation = "create_user"


class GHLUpdateUserOperator(GHLOperator):
    """Update a user (the email cannot change)."""

    operation = "update_user"


class GHLDeleteUserOperator(GHLOperator):
    """Delete a user."""

    operation = "delete_user"
