"""Operators for HighLevel's Contacts API: contacts, their tags, tasks, notes, followers, campaigns and workflows."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from airflow_provider_ghl.declare import is_templated
from airflow_provider_ghl.exceptions import GHLInputError, GHLNotFoundError
from airflow_provider_ghl.operators.base import GHLBatchOperator, GHLCustomFieldsOperator, GHLOperator

if TYPE_CHECKING:
    from airflow.sdk import Context


class GHLCreateContactOperator(GHLCustomFieldsOperator):
    """Create a contact::

        GHLCreateContactOperator(
            task_id="create_lead",
            body={"firstName": "Ada", "lastName": "Lovelace", "email": "ada@example.com",
                  "phone": "+15125550100", "tags": ["webinar"], "source": "website form"},
            custom_fields={"Lead Source": "web"},  # by name, key or id
        )

    Returns HighLevel's answer, ``{"contact": {...}}``. Locations that refuse duplicates answer a
    contact with the same email or phone with an error; use ``GHLUpsertContactOperator`` to update it instead.
    Safe to retry: on an Airflow retry of the task the contact is first looked up by email/phone
    (duplicate search) and returned as ``{"contact": {...}, "new": False}`` instead of being created twice.
    """

    operation = "create_contact"

    def perform(self, arguments: dict[str, Any], context: Context) -> Any:
        ti = context.get("ti")
        if ti is not None and getattr(ti, "try_number", 1) > 1:
            existing = self.find_duplicate(arguments)
            if existing is not None:
                self.log.info("Retry: contact %s already exists, not creating it again", existing["id"])
                return {"contact": existing, "new": False}
        return super().perform(arguments, context)

    def find_duplicate(self, arguments: dict[str, Any]) -> dict | None:
        body = arguments["body"] or {}
        query = {k: v for k, v in (("email", body.get("email")), ("number", body.get("phone"))) if v}
        if not query:
            return None
        return self.hook.call("get_duplicate_contact", query=query, location_id=self.location_id,
                              api_version=self.api_version).get("contact")


class GHLUpdateContactOperator(GHLCustomFieldsOperator):
    """Update a contact; only the fields in ``body`` (and ``custom_fields``) change::

        GHLUpdateContactOperator(task_id="promote", contact_id="{{ ti.xcom_pull('find')['contact']['id'] }}",
                                 body={"type": "customer", "companyName": "Acme"},
                                 custom_fields={"Customer Tier": "Gold"})

    ``body["tags"]`` replaces all tags; to add or remove some, use the tag operators.
    Returns ``{"succeded": true, "contact": {...}}`` (HighLevel's spelling).
    """

    operation = "update_contact"


class GHLUpsertContactOperator(GHLCustomFieldsOperator):
    """Create a contact, or update the one that matches by email/phone (the location's duplicate rules)::

        GHLUpsertContactOperator(task_id="upsert", body={"email": "ada@example.com", "firstName": "Ada"},
                                 custom_fields={"Lead Source": "web"})

    The natural choice for imports and syncs: a rerun updates instead of duplicating.
    Returns ``{"new": true|false, "contact": {...}}``.
    """

    operation = "upsert_contact"


class GHLFindContactOperator(GHLOperator):
    """Look up one contact by ``contact_id`` (Get Contact), or by ``email`` and/or ``phone`` (HighLevel's
    duplicate search, which follows the location's duplicate rules)::

        GHLFindContactOperator(task_id="find", email="ada@example.com")
        GHLFindContactOperator(task_id="find", phone="+15125550100", fail_if_missing=True)

    Returns ``{"contact": {...}}``, or ``{"contact": None}`` when nothing matches (with
    ``fail_if_missing=True`` the task fails instead). Needs only ``contacts.readonly``.
    """

    operation = "find_contact"
    extra_arguments: ClassVar[dict[str, Any]] = {"contact_id": None, "email": None, "phone": None,
                                                 "fail_if_missing": False}
    argument_docs: ClassVar[dict[str, str]] = {
        "contact_id": "find by id", "email": "find by email", "phone": "find by phone",
        "fail_if_missing": "fail the task when nothing matches",
    }

    def validate(self) -> None:
        super().validate()
        values = (self.contact_id, self.email, self.phone)
        if not any(values) and not any(is_templated(v) for v in values):
            raise GHLInputError("give contact_id, email or phone to find a contact", operation=self.op.key)

    def perform(self, arguments: dict[str, Any], context: Context) -> Any:
        if self.contact_id:
            try:
                contact = self.hook.call("get_contact", contact_id=self.contact_id, api_version=self.api_version)["contact"]
            except GHLNotFoundError:
                contact = None
        else:
            query = {k: v for k, v in (("email", self.email), ("number", self.phone)) if v}
            contact = self.hook.call("get_duplicate_contact", query=query, location_id=self.location_id,
                                     api_version=self.api_version).get("contact")
        if contact is None and self.fail_if_missing:
            raise GHLInputError("no contact matches", operation=self.op.key,
                                hint="Check the id/email/phone, or set fail_if_missing=False.")
        return {"contact": contact}


class GHLDeleteContactOperator(GHLOperator):
    """Delete a contact (its tasks and notes go with it): ``GHLDeleteContactOperator(task_id=..., contact_id=...)``.

    Returns ``{"deleted": True, "operation": "delete_contact", "contact_id": ..., "response": {...}}``.
    """

    operation = "delete_contact"


class GHLAddTagsToContactOperator(GHLOperator):
    """Add tags to a contact: ``contact_id=..., body={"tags": ["vip", "webinar 2026"]}``.

    HighLevel stores tags lower-cased; tags the contact already has stay once. Returns ``{"tags": [...]}``
    (all tags of the contact). For many contacts at once use ``GHLBulkUpdateContactTagsOperator``.
    """

    operation = "add_tags_to_contact"


class GHLRemoveTagsFromContactOperator(GHLOperator):
    """Remove tags from a contact: ``contact_id=..., body={"tags": ["vip"]}``.

    Tags the contact does not have are ignored. Returns ``{"tags": [...]}`` (the tags left).
    """

    operation = "remove_tags_from_contact"


class GHLBulkUpdateContactTagsOperator(GHLBatchOperator):
    """Add or remove tags on any number of contacts::

        GHLBulkUpdateContactTagsOperator(task_id="tag", tag_action="add",  # or "remove"
                                         contact_ids="{{ ti.xcom_pull('ids') }}", body={"tags": ["reactivated"]})

    ``body={"tags": [], "removeAllTags": True}`` with ``tag_action="remove"`` clears all tags.
    Contacts are sent in batches of ``batch_size`` (default 100), one request each. Returns
    ``{"contacts": <count>, "batches": <requests>, "responses": [<HighLevel's answer per batch>]}``;
    each answer lists contacts it could not change (``errorCount``).
    """

    operation = "bulk_update_contact_tags"


class GHLCreateContactTaskOperator(GHLOperator):
    """Create a task on a contact::

        GHLCreateContactTaskOperator(task_id="follow_up", contact_id=...,
                                     body={"title": "Call back", "body": "Discuss pricing",
                                           "dueDate": "2026-12-01T10:00:00Z", "completed": False,
                                           "assignedTo": "<user id>"})

    Returns ``{"task": {...}}``.
    """

    operation = "create_contact_task"


class GHLUpdateContactTaskOperator(GHLOperator):
    """Update a contact's task (``contact_id``, ``contact_task_id``); only the fields in ``body`` change:
    ``body={"title": "Call again", "dueDate": "2026-12-03T10:00:00Z"}``. Returns ``{"task": {...}}``.
    """

    operation = "update_contact_task"


class GHLCompleteContactTaskOperator(GHLOperator):
    """Mark a contact's task completed: ``contact_id=..., contact_task_id=...`` (``completed=False`` reopens it).

    No body needed. Returns ``{"task": {...}}``.
    """

    operation = "complete_contact_task"
    extra_arguments: ClassVar[dict[str, Any]] = {"completed": True}
    argument_docs: ClassVar[dict[str, str]] = {"completed": "``False`` reopens the task"}
    filled_body_fields: ClassVar[frozenset[str]] = frozenset({"completed"})

    def request_arguments(self) -> dict[str, Any]:
        arguments = super().request_arguments()
        arguments["body"] = {"completed": bool(self.completed), **(arguments["body"] or {})}
        return arguments


class GHLDeleteContactTaskOperator(GHLOperator):
    """Delete a contact's task (``contact_id``, ``contact_task_id``). Returns ``{"deleted": True, ...}``."""

    operation = "delete_contact_task"


class GHLCreateContactNoteOperator(GHLOperator):
    """Add a note to a contact: ``contact_id=..., body={"body": "Called, left a message", "userId": "<user id>"}``.

    Returns ``{"note": {...}}``.
    """

    operation = "create_contact_note"


class GHLUpdateContactNoteOperator(GHLOperator):
    """Edit a contact's note (``contact_id``, ``note_id``): ``body={"body": "Called back, booked a demo"}``.

    Returns ``{"note": {...}}``.
    """

    operation = "update_contact_note"


class GHLDeleteContactNoteOperator(GHLOperator):
    """Delete a contact's note (``contact_id``, ``note_id``). Returns ``{"deleted": True, ...}``."""

    operation = "delete_contact_note"


class GHLAddContactToCampaignOperator(GHLOperator):
    """Add a contact to a (legacy) campaign: ``contact_id=..., campaign_id=...`` (no body).

    For new automations HighLevel recommends workflows (``GHLAddContactToWorkflowOperator``).
    """

    operation = "add_contact_to_campaign"


class GHLRemoveContactFromCampaignOperator(GHLOperator):
    """Remove a contact from one campaign: ``contact_id=..., campaign_id=...``. Returns ``{"deleted": True, ...}``."""

    operation = "remove_contact_from_campaign"


class GHLRemoveContactFromAllCampaignsOperator(GHLOperator):
    """Remove a contact from every campaign it is in (``contact_id``), e.g. after it unsubscribed."""

    operation = "remove_contact_from_all_campaigns"


class GHLAddContactToWorkflowOperator(GHLOperator):
    """Enroll a contact in a workflow: ``contact_id=..., workflow_id=...``.

    ``body={"eventStartTime": "2026-12-01T09:00:00Z"}`` (optional) is the moment the workflow's
    timing is measured from (e.g. "1 day before"). Returns ``{"succeded": true}``.
    """

    operation = "add_contact_to_workflow"


class GHLRemoveContactFromWorkflowOperator(GHLOperator):
    """Take a contact out of a workflow: ``contact_id=..., workflow_id=...``. Returns ``{"deleted": True, ...}``."""

    operation = "remove_contact_from_workflow"


class GHLAddContactFollowersOperator(GHLOperator):
    """Add followers (users of the location) to a contact: ``contact_id=..., body={"followers": ["<user id>"]}``.

    Returns ``{"followers": [...], "followersAdded": [...]}``.
    """

    operation = "add_contact_followers"


class GHLRemoveContactFollowersOperator(GHLOperator):
    """Remove followers from a contact: ``contact_id=..., body={"followers": ["<user id>"]}``.

    Returns ``{"followers": [...], "followersRemoved": [...]}``.
    """

    operation = "remove_contact_followers"


class GHLBulkBusinessUpdateOperator(GHLBatchOperator):
    """Attach any number of contacts to a business, or detach them from theirs::

        GHLBulkBusinessUpdateOperator(task_id="attach", business_id="<business id>", contact_ids=[...])
        GHLBulkBusinessUpdateOperator(task_id="detach", business_id=None, contact_ids=[...])

    Contacts are sent in batches of ``batch_size`` (default 100), one request each. Returns
    ``{"contacts": <count>, "batches": <requests>, "responses": [<HighLevel's answer per batch>]}``.
    """

    operation = "bulk_business_update"
    ids_field: ClassVar[str] = "ids"
    extra_arguments: ClassVar[dict[str, Any]] = {"business_id": None}
    argument_docs: ClassVar[dict[str, str]] = {"business_id": "the business to attach to; ``None`` detaches"}
    filled_body_fields: ClassVar[frozenset[str]] = frozenset({"ids", "businessId"})

    def request_arguments(self) -> dict[str, Any]:
        arguments = super().request_arguments()
        arguments["body"] = {**(arguments["body"] or {}), "businessId": self.business_id}
        return arguments
