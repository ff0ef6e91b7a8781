"""Operators for HighLevel's Opportunities API (deals in pipelines)."""

from __future__ import annotations

from typing import ClassVar

from airflow_provider_ghl.operators.base import GHLCustomFieldsOperator, GHLOperator


class _OpportunityOperator(GHLOperator):
    record_kind: ClassVar[str | None] = "opportunity"


class _OpportunityWriteOperator(GHLCustomFieldsOperator):
    record_kind: ClassVar[str | None] = "opportunity"
    custom_field_model: ClassVar[str] = "opportunity"


class GHLCreateOpportunityOperator(_OpportunityWriteOperator):
    """Create an opportunity: ``body={"pipelineId": ..., "name": ..., "status": "open", "contactId": ...}``."""

    operation = "create_opportunity"


class GHLUpdateOpportunityOperator(_OpportunityWriteOperator):
    """Update an opportunity (stage, value, assignee, custom fields, ...)."""

    operation = "update_opportunity"


class GHLUpsertOpportunityOperator(_OpportunityWriteOperator):
    """Create an opportunity, or update the one of the same contact in the same pipeline."""

    operation = "upsert_opportunity"


class GHLDeleteOpportunityOperator(_OpportunityOperator):
    """Delete an opportunity."""

    operation = "delete_opportunity"


class GHLUpdateOpportunityStatusOperator(_OpportunityOperator):
    """Set an opportunity's status: ``body={"status": "won"}`` (open, won, lost, abandoned)."""

    operation = "update_opportunity_status"


class GHLAddOpportunityFollowersOperator(_OpportunityOperator):
    """Add followers (user ids): ``body={"followers": [...]}``."""

    operation = "add_opportunity_followers"


class GHLRemoveOpportunityFollowersOperator(_OpportunityOperator):
    """Remove followers (user ids): ``body={"followers": [...]}``."""

    operation = "remove_opportunity_followers"
