"""What the generic classes share: an operation chosen per instance (any key of the catalog, either version).

The named classes know their operation per class (``DeclaredOperation``, ``cls.op``); ``AnyOperation`` makes
``op`` an instance property resolved from the ``operation`` argument and the ``api_version`` (the task's,
else the connection's once the hook exists), takes path arguments as one ``arguments`` dict, and checks them
with the same rules. Mixed in before ``GHLOperator`` (``operators/generic.py``) and the sensor bases
(``sensors/generic.py``), so requests, XCom and polling stay theirs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from airflow_provider_ghl.catalog import (
    Operation,
    UnknownOperationError,
    api_choice,
    get_operation,
    operations,
)
from airflow_provider_ghl.declare import CONNECTION_DEFAULTED, is_templated, sendable_body
from airflow_provider_ghl.exceptions import GHLUnknownOperationError

GENERIC_TEMPLATE_FIELDS = ("operation", "arguments", "body", "query", "location_id", "api_version")


def resolve_operation(key: Any, api_version: str | None) -> Operation:
    """The form of catalog operation ``key`` that ``api_version`` sends, or ``GHLInputError`` naming the fix."""
    if not isinstance(key, str) or not key:
        raise GHLUnknownOperationError(f"operation must be a catalog key such as 'get_invoice', got {key!r}",
                                       hint="See airflow_provider_ghl.catalog.all_keys() or docs/operations.md.")
    spec, _ = api_choice(api_version)
    try:
        return get_operation(key, spec)
    except UnknownOperationError as error:  # names the closest keys, or the spec that has this one
        raise GHLUnknownOperationError(str(error), operation=key,
                                       hint="See docs/operations.md for every key and its versions.") from None


class AnyOperation:
    """The ``op``, path arguments and checks of a class that runs any catalog operation (see the module doc)."""

    operation: str
    arguments: Mapping[str, Any] | None
    api_version: str | None

    # The named classes know their operation per class (``cls.op``); here it is per instance and per version.
    @property
    def op(self) -> Operation:  # type: ignore[override]
        version = self.api_version
        if version is None and "hook" in self.__dict__:  # at run time the connection's choice counts too
            version = self.hook.settings.api_version
        return resolve_operation(self.operation, version)

    def path_values(self) -> dict[str, Any]:
        arguments = self.arguments if isinstance(self.arguments, Mapping) else {}
        return {p.argument: arguments.get(p.argument) for p in self.op.path_params}

    # -- checks, before any request -----------------------------------------------------------------
    def validate(self) -> None:
        if is_templated(self.operation) or is_templated(self.api_version):
            return  # which operation (and form) is only known after rendering: checked then
        op = self.op
        arguments = self.arguments
        if arguments is not None and not is_templated(arguments):
            if not isinstance(arguments, Mapping):
                self.fail(f"arguments must be a dict of path arguments, got {type(arguments).__name__}",
                          f"Pass arguments={{{', '.join(repr(a) + ': ...' for a in op.path_arguments)}}}.")
            unknown = sorted(set(arguments) - set(op.path_arguments))
            if unknown:
                self.fail(f"arguments has unknown path argument(s) {', '.join(map(str, unknown))}",
                          f"{op.key} takes: {', '.join(op.path_arguments) or 'none'} (query parameters go in "
                          "query=, body fields in body=).")
            missing = [a for a in op.path_arguments if a not in CONNECTION_DEFAULTED and arguments.get(a) is None]
            if missing:
                self.fail(f"arguments is missing path argument(s) {', '.join(missing)}",
                          f"Add {', '.join(repr(m) + ': ...' for m in missing)} to arguments= (the record's id).")
        elif arguments is None:
            missing = [a for a in op.path_arguments if a not in CONNECTION_DEFAULTED]
            if missing:
                self.fail(f"{op.key} needs path argument(s) {', '.join(missing)}",
                          f"Pass arguments={{{', '.join(repr(m) + ': ...' for m in missing)}}}.")
        super().validate()  # ids (catalog.path_segment), query types, then validate_body

    def validate_body(self) -> None:
        op = self.op
        if op.key in operations() and op.api == "v2":
            super().validate_body()  # exactly what the named class checks
            return
        # Other forms have none of the seed's curated body rules (undeclared fields, relaxed ones), so an
        # unknown field is not refused here: only what the hook would refuse anyway, found before any request.
        if op.content_type != "application/json":
            self.fail(f"{op.key} takes a {op.content_type} body, which the hook does not send",
                      "Upload files with httpx directly; OAuth token calls are the connection's business.")
        query = self.query if isinstance(self.query, Mapping) else {}
        body = self.body
        if is_templated(body):
            body = None
        elif body is not None:
            body = sendable_body(op, body, self.fail)
        filled = {name for p in (op.location, op.company) if p is not None for name in p.filled}  # the connection's
        if not is_templated(self.query):
            names = {op.query_renames.get(name, name) for name in query}
            missing = [q.name for q in op.query_params if q.required and q.name not in names and q.name not in filled]
            if missing:
                self.fail(f"query is missing required parameter(s) {', '.join(missing)}",
                          f"Pass query={{{', '.join(repr(m) + ': ...' for m in missing)}}} (HighLevel's {op.api} "
                          "spec requires them).")
        if op.body is not None and op.body.type == "object" and (isinstance(body, dict) or body is None) \
                and not is_templated(self.body):
            names = {op.body_renames.get(name, name) for name, value in (body or {}).items() if value not in (None, "")}
            absent = [name for name in op.required_body_fields if name not in names and name not in filled]
            if absent:
                self.fail(f"body is missing required field(s) {', '.join(absent)}",
                          f"Add {', '.join(absent)} to body= (HighLevel's {op.api} request schema requires them).")
