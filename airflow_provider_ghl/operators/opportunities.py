"""Operators for HighLevel's Opportunities API (deals in pipelines).

Every opportunity operator adds the "View in HighLevel" link to the deal it touched; the create,
update and upsert operators also take ``custom_fields={"Deal Source": "Partner"}`` (opportunity
custom fields by name, key or id, resolved with List Custom Fields).
"""

from __future__ import annotations

from airflow_provider_ghl.operators.base import GHLCustomFieldsOperator, GHLOperator


class GHLCreateOpportunityOperator(GHLCustomFieldsOperator):
    """Create an opportunity (a deal) for a contact in a pipeline; XCom: ``{"opportunity": {...}}``.

    Example::

        GHLCreateOpportunityOperator(
            task_id="open_deal",
            body={"pipelineId": "{{ var.value.sales_pipeline }}", "name": "Website redesign",
                  "status": "open", "contactId": "{{ ti.xcom_pull('new_lead')['contact']['id'] }}",
                  "monetaryValue": 4500},
            custom_fields={"Deal Source": "Inbound"},
        )

    The stage defaults to the pipeline's first. HighLevel refuses a second opportunity for the same
    contact in the same pipeline (unless the location allows duplicates): use
    ``GHLUpsertOpportunityOperator`` when a run may repeat.
    """

    operation = "create_opportunity"


class GHLUpdateOpportunityOperator(GHLCustomFieldsOperator):
    """Change an opportunity's fields (name, stage, value, assignee, custom fields); XCom: the updated deal.

    Example: ``GHLUpdateOpportunityOperator(task_id="bump", opportunity_id="...",
    body={"pipelineStageId": "...", "monetaryValue": 6000}, custom_fields={"Competitor": "Acme"})``.
    The contact of a deal cannot change.
    """

    operation = "update_opportunity"


class GHLUpsertOpportunityOperator(GHLCustomFieldsOperator):
    """Create an opportunity, or update the contact's one in the same pipeline (safe to re-run).

    HighLevel matches on ``id`` when given, else on ``contactId`` + ``pipelineId``. XCom:
    ``{"opportunity": {...}, "new": true|false}``. Example::

        GHLUpsertOpportunityOperator(
            task_id="sync_deal",
            body={"pipelineId": "...", "contactId": "...", "name": "Annual plan", "status": "open",
                  "followers": ["<user id>"]},
        )
    """

    operation = "upsert_opportunity"


class GHLDeleteOpportunityOperator(GHLOperator):
    """Delete an opportunity: ``GHLDeleteOpportunityOperator(task_id=..., opportunity_id="...")``.

    XCom: ``{"deleted": true, "operation": "delete_opportunity", "opportunity_id": ..., "response": ...}``.
    """

    operation = "delete_opportunity"


class GHLUpdateOpportunityStatusOperator(GHLOperator):
    """Mark a deal open, won, lost or abandoned: ``body={"status": "lost", "lostReasonId": "..."}``.

    Only the status (and the lost reason) changes; HighLevel stamps ``lastStatusChangeAt``.
    """

    operation = "update_opportunity_status"


class GHLAddOpportunityFollowersOperator(GHLOperator):
    """Add users as followers of a deal: ``body={"followers": ["<user id>", ...]}``.

    Users already following are left as they are. XCom: ``{"followers": [...], "followersAdded": [...]}``.
    """

    operation = "add_opportunity_followers"


class GHLRemoveOpportunityFollowersOperator(GHLOperator):
    """Remove followers from a deal: ``body={"followers": ["<user id>", ...]}``.

    XCom: ``{"followers": [...remaining], "followersRemoved": [...]}``.
    """

    operation = "remove_opportunity_followers"
