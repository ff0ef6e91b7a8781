"""The one base class behind every HighLevel action operator.

A concrete operator is a declaration::

    class GHLCreateContactOperator(GHLOperator):
        \"\"\"Create a contact.\"\"\"
        operation = "create_contact"

and the catalog supplies its arguments, validation, scopes and docs (``airflow_provider_ghl.declare``).
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar

from airflow.sdk import BaseOperator

from airflow_provider_ghl.catalog import json_value
from airflow_provider_ghl.declare import DeclaredOperation, is_templated
from airflow_provider_ghl.exceptions import GHLInputError
from airflow_provider_ghl.links import DEFAULT_APP_URL, GHLRecordLink, record_url

if TYPE_CHECKING:
    from airflow.sdk import Context

class GHLOperator(DeclaredOperation, BaseOperator):
    """Runs one HighLevel catalog operation and returns its JSON to XCom."""

    kind: ClassVar[str] = "A"
    record_kind: ClassVar[str | None] = None
    """``contact``, ``opportunity`` or ``appointment`` (the catalog's ``record_link``): adds the "View in HighLevel" link."""
    ui_color = "#d9ecff"

    def __init__(self, **kwargs: Any) -> None:
        # Without an own __init__, Airflow's metaclass re-wraps BaseOperator's (the mixin comes first in the
        # MRO), and .partial() then reads its defaults (inlets=None, outlets=None), which breaks mapped tasks.
        super().__init__(**kwargs)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "operation" in cls.__dict__ and cls.op.record_link is not None:
            cls.record_kind = cls.op.record_link.kind
            cls.operator_extra_links = (GHLRecordLink(),)

    def execute(self, context: Context) -> Any:
        arguments = self.request_arguments()
        result = self.perform(arguments, context)
        self.remember_record(result)
        self.report(result)
        return result

    def perform(self, arguments: dict[str, Any], context: Context) -> Any:
        """Send the request. Declarations with product semantics (find, bulk, ...) override this."""
        result = self.hook.call(self.op.key, **arguments)
        if self.op.method == "DELETE":
            confirmation = {"deleted": True, "operation": self.op.key, **self.path_values()}
            return {**confirmation, "response": result}
        return result

    # -- what the task did, in its log ------------------------------------------------------------
    def report(self, result: Any) -> None:
        """One line for the task log: the operation, the record it created or touched (id), the path ids it
        acted on and the "View in HighLevel" link. Ids and a link only: never the record (personal data), and
        the token never reaches an operator.

        ``HighLevel create_contact_note: note N1; contact_id=C1; View in HighLevel: https://...``
        """
        created = self.result_id(result)
        details = [f"{self.op.record_key or self.record_kind or 'record'} {created}"] if created else []
        details += [f"{name}={value}" for name, value in self.path_values().items()
                    if isinstance(value, str | int) and value != created]
        if getattr(self, "ghl_record_url", None):
            details.append(f"View in HighLevel: {self.ghl_record_url}")
        self.log.info("HighLevel %s: %s", self.op.key, "; ".join(details) or "done")

    def result_id(self, result: Any) -> str | None:
        """The id of the record HighLevel's answer carries (``{"note": {"id": ...}}``, ``{"id": ...}``), if any."""
        if not isinstance(result, dict):
            return None
        for candidate in (result.get(self.op.record_key) if self.op.record_key else None, result):
            if isinstance(candidate, dict) and isinstance(candidate.get("id"), str):
                return candidate["id"]
        return None

    # -- the "View in HighLevel" link -------------------------------------------------------------
    def remember_record(self, result: Any) -> None:
        if not self.record_kind:
            return
        record_id = self.record_id(result)
        if record_id:
            # The connection's app_url (a white-label domain, the sandbox's pages), else HighLevel's own app.
            app_url = self.hook.settings.app_url or DEFAULT_APP_URL
            location = self.location_id or self.hook.location_id
            self.ghl_record_url = record_url(app_url, location, self.record_kind, record_id)

    def record_id(self, result: Any) -> str | None:
        link = self.op.record_link
        if link is None:
            return None
        # The answer is the linked record unless it is another one (a contact's task or note): then the path names it.
        if isinstance(result, dict) and self.op.record_key in (None, link.kind):
            record = result.get(self.op.record_key) if self.op.record_key else None
            for candidate in (record, result.get(link.kind), result):
                if isinstance(candidate, dict) and isinstance(candidate.get("id"), str):
                    return candidate["id"]
        value = getattr(self, link.argument, None) if link.argument else None
        return value if isinstance(value, str) else None


class GHLCustomFieldsOperator(GHLOperator):
    """Adds ``custom_fields={"Field name, key or id": value}``, resolved to ids with List Custom Fields.

    Names match case-insensitively; keys match with or without their model prefix (``contact.tier``
    or ``tier``). The field list is read once per task run. An unknown name fails before any write,
    listing the fields that exist.
    """

    extra_arguments: ClassVar[dict[str, Any]] = {"custom_fields": None}
    argument_docs: ClassVar[dict[str, str]] = {
        "custom_fields": "``{field name, key or id: value}``, resolved to ids with List Custom Fields",
    }

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "operation" in cls.__dict__ and cls.op.custom_field_model is None:
            raise TypeError(f"{cls.__name__}: {cls.op.key} carries no custom fields (catalog custom_field_model)")

    @property
    def custom_field_model(self) -> str:
        """The List Custom Fields ``model`` of the operation's records (catalog ``custom_field_model``)."""
        return self.op.custom_field_model or ""

    def validate(self) -> None:
        super().validate()
        if self.custom_fields is not None and not isinstance(self.custom_fields, dict) \
                and not is_templated(self.custom_fields):
            raise GHLInputError(
                f"custom_fields must be a dict of field name/key/id -> value, got {type(self.custom_fields).__name__}",
                operation=self.op.key,
            )
        if isinstance(self.custom_fields, dict):  # the values end up in the body: same JSON rules, checked now
            json_value(self.custom_fields, "custom_fields", operation=self.op.key, keep=is_templated)

    def request_arguments(self) -> dict[str, Any]:
        arguments = super().request_arguments()
        if self.custom_fields:
            # Refuse a missing scope before the List Custom Fields call, not after it.
            self.hook.prepare(self.op.key, **arguments)
            body = dict(arguments["body"] or {})
            body["customFields"] = [*body.get("customFields", []), *self.resolved_custom_fields()]
            arguments["body"] = body
        return arguments

    @cached_property
    def custom_field_index(self) -> dict[str, dict]:
        response = self.hook.call("list_custom_fields", location_id=self.location_id,
                                  query={"model": self.custom_field_model}, api_version=self.api_version)
        index: dict[str, dict] = {}
        for field in response.get("customFields", []):
            key = str(field.get("fieldKey", ""))
            for alias in (field.get("id"), field.get("name"), key, key.partition(".")[2]):
                if alias:
                    index.setdefault(str(alias).casefold(), field)
        return index

    def resolved_custom_fields(self) -> list[dict[str, Any]]:
        index = self.custom_field_index
        unknown = [name for name in self.custom_fields if str(name).casefold() not in index]
        if unknown:
            known = sorted({f"{f.get('name')} ({f.get('fieldKey')})" for f in index.values()})
            raise GHLInputError(
                f"unknown {self.custom_field_model} custom field{'s' if len(unknown) > 1 else ''} "
                f"{', '.join(map(repr, unknown))}",
                operation=self.op.key, hint=f"Known fields: {', '.join(known) or 'none'}.",
            )
        return [{"id": index[str(name).casefold()]["id"], "field_value": value}
                for name, value in self.custom_fields.items()]


class GHLBatchOperator(GHLOperator):
    """Sends one request per batch of ``contact_ids`` (HighLevel caps bulk requests) and merges the answers."""

    extra_arguments: ClassVar[dict[str, Any]] = {"contact_ids": None, "batch_size": 100}
    argument_docs: ClassVar[dict[str, str]] = {
        "contact_ids": "the contacts, any number (sent in batches)",
        "batch_size": "contacts per request",
    }
    ids_field: ClassVar[str] = "contacts"
    filled_body_fields: ClassVar[frozenset[str]] = frozenset({"contacts"})

    def validate(self) -> None:
        super().validate()
        ids = self.contact_ids
        if is_templated(ids):
            return
        if not isinstance(ids, list | tuple) or not all(isinstance(i, str) and i for i in ids):
            raise GHLInputError(f"contact_ids must be a list of contact id strings, got {ids!r}", operation=self.op.key)
        if not isinstance(self.batch_size, int) or self.batch_size < 1:
            raise GHLInputError(f"batch_size must be a positive integer, got {self.batch_size!r}", operation=self.op.key)

    def perform(self, arguments: dict[str, Any], context: Context) -> Any:
        ids = list(dict.fromkeys(self.contact_ids))
        results = []
        for start in range(0, len(ids), self.batch_size):
            batch = ids[start : start + self.batch_size]
            body = {**(arguments["body"] or {}), self.ids_field: batch}
            results.append(self.hook.call(self.op.key, **{**arguments, "body": body}))
            self.log.info("%s: %d of %d contacts sent", self.op.key, min(start + self.batch_size, len(ids)), len(ids))
        return {"contacts": len(ids), "batches": len(results), "responses": results}
