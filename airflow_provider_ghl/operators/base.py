"""The one base class behind every HighLevel action operator.

A concrete operator is a declaration::

    class GHLCreateContactOperator(GHLOperator):
        \"\"\"Create a contact.\"\"\"
        operation = "create_contact"

and the catalog supplies its arguments, validation, scopes and docs (``airflow_provider_ghl.declare``).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar

from airflow.sdk import BaseOperator

from airflow_provider_ghl.catalog import Operation
from airflow_provider_ghl.declare import declare
from airflow_provider_ghl.exceptions import GHLInputError
from airflow_provider_ghl.links import GHLRecordLink, record_url

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_provider_ghl.hooks.ghl import GHLHook

JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "number": (int, float),
    "integer": (int,),
    "boolean": (bool,),
    "array": (list, tuple),
    "object": (dict,),
}
ID_ARGUMENTS = {"contact": "contact_id", "opportunity": "opportunity_id", "appointment": "event_id"}


def is_templated(value: Any) -> bool:
    """True for values Airflow has not rendered yet (Jinja strings, XComArgs): checked at run time instead."""
    return (isinstance(value, str) and "{{" in value) or type(value).__name__.endswith(("XComArg", "PlainXComArg"))


class GHLOperator(BaseOperator):
    """Runs one HighLevel catalog operation and returns its JSON to XCom."""

    operation: ClassVar[str]
    extra_arguments: ClassVar[dict[str, Any]] = {}
    """Keyword arguments a declaration adds to the catalog's (name -> default)."""
    record_kind: ClassVar[str | None] = None
    """``contact``, ``opportunity`` or ``appointment``: adds the "View in HighLevel" link."""
    op: ClassVar[Operation]

    template_fields: Sequence[str] = ("body", "query", "location_id")
    template_fields_renderers: ClassVar[dict[str, str]] = {"body": "json", "query": "json", "custom_fields": "json"}
    ui_color = "#d9ecff"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        extra = {k: v for klass in reversed(cls.__mro__) for k, v in vars(klass).get("extra_arguments", {}).items()}
        op = declare(cls, extra, ("body", "query", "location_id"))
        if op is not None:
            cls.op = op
            if op.kind != "A":
                raise TypeError(f"{cls.__name__}: {op.key} is a trigger, not an action")
            if cls.record_kind:
                cls.operator_extra_links = (GHLRecordLink(),)

    # -- run ------------------------------------------------------------------------------------
    @cached_property
    def hook(self) -> GHLHook:
        from airflow_provider_ghl.hooks.ghl import GHLHook

        return GHLHook(ghl_conn_id=self.ghl_conn_id)

    def path_values(self) -> dict[str, Any]:
        return {p.argument: getattr(self, p.argument) for p in self.op.path_params}

    def request_arguments(self) -> dict[str, Any]:
        """Everything ``GHLHook.call`` needs for this operation, after validation."""
        self.validate()
        arguments = {name: value for name, value in self.path_values().items() if value is not None}
        return {**arguments, "body": self.body, "query": self.query, "location_id": self.location_id}

    def execute(self, context: Context) -> Any:
        arguments = self.request_arguments()
        result = self.perform(arguments, context)
        self.remember_record(result)
        return result

    def perform(self, arguments: dict[str, Any], context: Context) -> Any:
        """Send the request. Declarations with product semantics (find, bulk, ...) override this."""
        result = self.hook.call(self.op.key, **arguments)
        if self.op.method == "DELETE":
            confirmation = {"deleted": True, "operation": self.op.key, **self.path_values()}
            return {**confirmation, "response": result}
        return result

    # -- validation, before any request ---------------------------------------------------------
    def validate(self) -> None:
        """Check arguments against the catalog; every error names the field and the fix."""
        op = self.op
        for param in op.path_params:
            value = getattr(self, param.argument)
            if (value is None and param.argument in ("location_id", "company_id")) or is_templated(value):
                continue
            if value is None or value == "" or not isinstance(value, str | int) or isinstance(value, bool):
                raise GHLInputError(
                    f"{param.argument} must be a non-empty string (the {param.name} of {op.path}), got {value!r}",
                    operation=op.key, hint=f"Pass {param.argument}='...' to {type(self).__name__}.",
                )
        if self.query is not None and not isinstance(self.query, dict) and not is_templated(self.query):
            raise GHLInputError(f"query must be a dict of query parameters, got {type(self.query).__name__}",
                                operation=op.key)
        self.validate_body()

    def validate_body(self) -> None:
        op, body = self.op, self.body
        if is_templated(body):
            return
        if op.body is None:
            if body:
                raise GHLInputError(f"{op.key} takes no body, got body={body!r}", operation=op.key,
                                    hint="Remove body=, or use query= for query parameters.")
            return
        expected = list if op.body.type == "array" else dict
        if body is None:
            body = [] if expected is list else {}
        if not isinstance(body, expected):
            raise GHLInputError(f"body must be a {'list' if expected is list else 'dict'}, got {type(body).__name__}",
                                operation=op.key)
        if expected is list:
            return
        filled = {name for name, placement in (("locationId", op.location), ("companyId", op.company))
                  if placement is not None and placement.where == "body"}
        filled |= self.body_fields_filled()
        missing = [name for name in op.required_body_fields if name not in filled and body.get(name) in (None, "")]
        if missing:
            raise GHLInputError(
                f"body is missing required field{'s' if len(missing) > 1 else ''} {', '.join(missing)}",
                operation=op.key, hint=f"Add {', '.join(missing)} to body= (the official request schema requires them).",
            )
        known = op.body.properties
        if known:
            unknown = sorted(set(body) - set(known))
            if unknown:
                raise GHLInputError(
                    f"body has unknown field{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}",
                    operation=op.key, hint=f"Known fields: {', '.join(sorted(known))}.",
                )
            for name, value in body.items():
                types = JSON_TYPES.get(known[name])
                if value is None or types is None or is_templated(value):
                    continue
                if not isinstance(value, types) or (isinstance(value, bool) and known[name] != "boolean"):
                    raise GHLInputError(
                        f"body field {name} must be {known[name]}, got {type(value).__name__} {value!r}",
                        operation=op.key,
                    )

    def body_fields_filled(self) -> set[str]:
        """Body fields this operator fills from its own arguments (declarations with extra arguments)."""
        return set()

    # -- the "View in HighLevel" link -------------------------------------------------------------
    def remember_record(self, result: Any) -> None:
        if not self.record_kind:
            return
        record_id = self.record_id(result)
        if record_id:
            app_url = self.hook.app_url
            location = self.location_id or self.hook.location_id
            self.ghl_record_url = record_url(app_url, location, self.record_kind, record_id)

    def record_id(self, result: Any) -> str | None:
        if isinstance(result, dict):
            record = result.get(self.op.record_key) if self.op.record_key else None
            for candidate in (record, result.get(self.record_kind or ""), result):
                if isinstance(candidate, dict) and isinstance(candidate.get("id"), str):
                    return candidate["id"]
        argument = ID_ARGUMENTS.get(self.record_kind or "")
        value = getattr(self, argument, None) if argument else None
        return value if isinstance(value, str) else None


class GHLCustomFieldsOperator(GHLOperator):
    """Adds ``custom_fields={"Field name, key or id": value}``, resolved to ids with List Custom Fields.

    Names match case-insensitively; keys match with or without their model prefix (``contact.tier``
    or ``tier``). The field list is read once per task run. An unknown name fails before any write,
    listing the fields that exist.
    """

    extra_arguments: ClassVar[dict[str, Any]] = {"custom_fields": None}
    custom_field_model: ClassVar[str] = "contact"

    def validate(self) -> None:
        super().validate()
        if self.custom_fields is not None and not isinstance(self.custom_fields, dict) \
                and not is_templated(self.custom_fields):
            raise GHLInputError(
                f"custom_fields must be a dict of field name/key/id -> value, got {type(self.custom_fields).__name__}",
                operation=self.op.key,
            )

    def request_arguments(self) -> dict[str, Any]:
        arguments = super().request_arguments()
        if self.custom_fields:
            body = dict(arguments["body"] or {})
            body["customFields"] = [*body.get("customFields", []), *self.resolved_custom_fields()]
            arguments["body"] = body
        return arguments

    @cached_property
    def custom_field_index(self) -> dict[str, dict]:
        response = self.hook.call("list_custom_fields", location_id=self.location_id,
                                  query={"model": self.custom_field_model})
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
    ids_field: ClassVar[str] = "contacts"

    def body_fields_filled(self) -> set[str]:
        return {self.ids_field}

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
