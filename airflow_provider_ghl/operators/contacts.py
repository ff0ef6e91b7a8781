"""Operators for HighLevel's Contacts API: contacts, their tags, tasks, notes, followers, campaigns and workflows."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from airflow_provider_ghl.declare import is_templated
from airflow_provider_ghl.exceptions import GHLInputError
from airflow_provider_ghl.operators.base import GHLBatchOperator, GHLCustomFieldsOperator, GHLOperator

if TYPE_CHECKING:
    from airflow.sdk import Context


class _ContactOperator(GHLOperator):
    record_kind: ClassVar[str | None] = "contact"


class _ContactWriteOperator(GHLCustomFieldsOperator):
    record_kind: ClassVar[str | None] = "contact"


class GHLCreateContactOperator(_ContactWriteOperator):
    """Create a contact, e.g. ``body={"firstName": "Ada", "email": "ada@example.com"}``.

    Safe to retry: when Airflow retries the task, or the create request fails in a way that leaves
    unknown whether HighLevel saved it, the contact is first looked up by email/phone (duplicate
    search) and returned instead of being created twice.
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
        return self.hook.call("get_duplicate_contact", query=query, location_id=self.location_id).get("contact")


class GHLUpdateContactOperator(_ContactWriteOperator):
    """Update a contact's fields; only the fields in ``body`` (and ``custom_fields``) change."""

    operation = "update_contact"


class GHLUpsertContactOperator(_ContactWriteOperator):
    """Create a contact, or update the one that matches by email/phone (the location's duplicate rules).

    Returns ``{"new": true|false, "contact": {...}}``.
    """

    operation = "upsert_contact"


class GHLFindContactOperator(_ContactOperator):
    """Look up one contact by ``contact_id``, or by ``email`` and/or ``phone`` (duplicate search).

    Returns ``{"contact": {...}}``, or ``{"contact": None}`` when nothing matches (with
    ``fail_if_missing=True`` the task fails instead).
    """

    operation = "find_contact"
    extra_arguments: ClassVar[dict[str, Any]] = {"contact_id": None, "email": None, "phone": None,
                                                 "fail_if_missing": False}

    def validate(self) -> None:
        super().validate()
        values = (self.contact_id, self.email, self.phone)
        if not any(values) and not any(is_templated(v) for v in values):
            raise GHLInputError("give contact_id, email or phone to find a contact", operation=self.op.key)

    def perform(self, arguments: dict[str, Any], context: Context) -> Any:
        if self.contact_id:
            from airflow_provider_ghl.exceptions import GHLNotFoundError

            try:
                contact = self.hook.call("get_contact", contact_id=self.contact_id)["contact"]
            except GHLNotFoundError:
                contact = None
        else:
            query = {k: v for k, v in (("email", self.email), ("number", self.phone)) if v}
            contact = self.hook.call("get_duplicate_contact", query=query, location_id=self.location_id).get("contact")
        if contact is None and self.fail_if_missing:
            raise GHLInputError("no contact matches", operation=self.op.key,
                                hint="Check the id/email/phone, or set fail_if_missing=False.")
        return {"contact": contact}


class GHLDeleteContactOperator(_ContactOperator):
    """Delete a contact (its tasks and notes go with it)."""

    operation = "delete_contact"


class GHLAddTagsToContactOperator(_ContactOperator):
    """Add tags to a contact: ``body={"tags": ["vip"]}``. Tags that are already there stay once."""

    operation = "add_tags_to_contact"


class GHLRemoveTagsFromContactOperator(_ContactOperator):
    """Remove tags from a contact: ``body={"tags": ["vip"]}``."""

    operation = "remove_tags_from_contact"


class GHLBulkUpdateContactTagsOperator(GHLBatchOperator):
    """Add or remove tags on any number of contacts: ``tag_action="add"|"remove"``, ``contact_ids=[...]``,
    ``body={"tags": [...]}``. Contacts are sent in batches of ``batch_size``.
    """

    operation = "bulk_update_contact_tags"


class GHLCreateContactTaskOperator(_ContactOperator):
    """Create a task on a contact: ``body={"title": ..., "dueDate": "2026-12-01T10:00:00Z"}``."""

    operation = "create_contact_task"


class GHLUpdateContactTaskOperator(_ContactOperator):
    """Update a contact's task."""

    operation = "update_contact_task"


class GHLCompleteContactTaskOperator(_ContactOperator):
    """Mark a contact's task completed (``completed=False`` reopens it)."""

    operation = "complete_contact_task"
    extra_arguments: ClassVar[dict[str, Any]] = {"completed": True}

    def body_fields_filled(self) -> set[str]:
        return {"completed"}

    def request_arguments(self) -> dict[str, Any]:
        arguments = super().request_arguments()
        arguments["body"] = {"completed": bool(self.completed), **(arguments["body"] or {})}
        return arguments


class GHLDeleteContactTaskOperator(_ContactOperator):
    """Delete a contact's task."""

    operation = "delete_contact_task"


class GHLCreateContactNoteOperator(_ContactOperator):
    """Add a note to a contact: ``body={"body": "Called, left a message"}``."""

    operation = "create_contact_note"


class GHLUpdateContactNoteOperator(_ContactOperator):
    """Edit a contact's note."""

    operation = "update_contact_note"


class GHLDeleteContactNoteOperator(_ContactOperator):
    """Delete a contact's note."""

    operation = "delete_contact_note"


class GHLAddContactToCampaignOperator(_ContactOperator):
    """Add a contact to a (legacy) campaign."""

    operation = "add_contact_to_campaign"


class GHLRemoveContactFromCampaignOperator(_ContactOperator):
    """Remove a contact from one campaign."""

    operation = "remove_contact_from_campaign"


class GHLRemoveContactFromAllCampaignsOperator(_ContactOperator):
    """Remove a contact from every campaign."""

    operation = "remove_contact_from_all_campaigns"


class GHLAddContactToWorkflowOperator(_ContactOperator):
    """Enroll a contact in a workflow (optionally ``body={"eventStartTime": ...}``)."""

    operation = "add_contact_to_workflow"


class GHLRemoveContactFromWorkflowOperator(_ContactOperator):
    """Take a contact out of a workflow."""

    operation = "remove_contact_from_workflow"


class GHLAddContactFollowersOperator(_ContactOperator):
    """Add followers (user ids) to a contact: ``body={"followers": [...]}``."""

    operation = "add_contact_followers"


class GHLRemoveContactFollowersOperator(_ContactOperator):
    """Remove followers (user ids) from a contact: ``body={"followers": [...]}``."""

    operation = "remove_contact_followers"


class GHLBulkBusinessUpdateOperator(GHLBatchOperator):
    """Attach any number of contacts to a business (``business_id``), or detach them (``business_id=None``).

    Contacts are sent in batches of ``batch_size``.
    """

    operation = "bulk_business_update"
    ids_field: ClassVar[str] = "ids"
    extra_arguments: ClassVar[dict[str, Any]] = {"business_id": None}

    def body_fields_filled(self) -> set[str]:
        return {"ids", "businessId"}

    def request_arguments(self) -> dict[str, Any]:
        arguments = super().request_arguments()
        arguments["body"] = {**(arguments["body"] or {}), "businessId": self.business_id}
        return arguments
