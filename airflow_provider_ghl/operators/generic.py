"""``GHLRunOperationOperator``: any operation of the catalog (all 660 keys of the v2 and v3 specs) as a task.

The 124 named classes declare one operation each; this one takes the key as an argument, so the 536
operations without a class (invoices, payments, products, ...) are tasks too. It is a thin layer over
``GHLOperator``: the same request path (``GHLHook.call``), the same XCom (a delete's confirmation), and
the same checks, run while the DAG is parsed for literal values and again after rendering. The only
difference is that the operation, and so the checks, are known per instance instead of per class.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from airflow_provider_ghl.catalog import (
    Operation,
    UnknownOperationError,
    api_choice,
    get_operation,
    json_value,
    operations,
)
from airflow_provider_ghl.declare import CONNECTION_DEFAULTED, is_templated
from airflow_provider_ghl.exceptions import GHLUnknownOperationError
from airflow_provider_ghl.operators.base import GHLOperator

if TYPE_CHECKING:
    from airflow.sdk import Context


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


class GHLRunOperationOperator(GHLOperator):
    """Run any HighLevel operation of the catalog by its key; its JSON answer goes to XCom.

    :param operation: a catalog key (``get_invoice``, ``invoices__list_invoices``, ``create_contact``...):
        every key is in ``docs/operations.md`` and ``airflow_provider_ghl.catalog.all_keys()``.
    :param arguments: the path arguments by their snake_case names (``{"invoice_id": "..."}``); ``location_id``
        and ``company_id`` default to the connection's.
    :param query: / :param body: the query parameters and JSON body, named as HighLevel's v2 spec names them
        (the hook respells them for v3 where v3 only renames them).
    :param location_id: the location (sub-account); default: the connection's.
    :param api_version: ``v2``, ``v3``, ``legacy`` or a dated version; default: the connection's.
    :param ghl_conn_id: the Airflow connection (type ``ghl``).

    Checks before any request, at parse for literal values and again after rendering: the key (unknown
    keys name the closest ones), each path argument (``catalog.path_segment``), missing and unknown path
    arguments, query and body types, the required query parameters and body fields of the spec; for the
    124 operations with a class, exactly the named class's checks. Deletes return
    ``{"deleted": True, "operation": ..., <path arguments>, "response": ...}`` like the named operators.
    """

    template_fields: Sequence[str] = ("operation", "arguments", "body", "query", "location_id", "api_version")
    template_fields_renderers = {"arguments": "json", "body": "json", "query": "json"}

    def __init__(self, *, operation: str, arguments: dict[str, Any] | None = None, body: Any = None,
                 query: dict[str, Any] | None = None, location_id: str | None = None, api_version: str | None = None,
                 ghl_conn_id: str = "ghl_default", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.operation, self.arguments, self.body, self.query = operation, arguments, body, query
        self.location_id, self.api_version, self.ghl_conn_id = location_id, api_version, ghl_conn_id
        if not getattr(self, "_BaseOperator__from_mapped", False):
            self.validate()

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

    def request_arguments(self) -> dict[str, Any]:
        _ = self.hook  # the connection's api_version now decides which form is checked and sent
        return {**super().request_arguments(), "api_version": self.api_version}

    def execute(self, context: Context) -> Any:
        _ = self.hook
        return super().execute(context)

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
            expected = list if op.body is not None and op.body.type == "array" else dict
            if op.body is None:
                self.fail(f"{op.key} takes no body, got body={body!r}", "Remove body=, or use query= for query parameters.")
            if not isinstance(body, expected):
                self.fail(f"body must be a {expected.__name__}, got {type(body).__name__}")
            json_value(body, "body", operation=op.key, keep=is_templated)
        filled = {p.name for p in (op.location, op.company) if p is not None}  # the connection's ids fill them
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
