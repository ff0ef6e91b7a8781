"""``GHLRunOperationOperator``: any operation of the catalog (all 660 keys of the v2 and v3 specs) as a task.

The 124 named classes declare one operation each; this one takes the key as an argument, so the 536
operations without a class (invoices, payments, products, ...) are tasks too. It is a thin layer over
``GHLOperator``: the same request path (``GHLHook.call``), the same XCom (a delete's confirmation), and
the same checks (``airflow_provider_ghl.generic``), run while the DAG is parsed for literal values and again
after rendering. The only difference is that the operation, and so the checks, are known per instance.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow_provider_ghl.generic import GENERIC_TEMPLATE_FIELDS, AnyOperation
from airflow_provider_ghl.operators.base import GHLOperator

if TYPE_CHECKING:
    from airflow.sdk import Context


class GHLRunOperationOperator(AnyOperation, GHLOperator):
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

    template_fields: Sequence[str] = GENERIC_TEMPLATE_FIELDS
    template_fields_renderers = {"arguments": "json", "body": "json", "query": "json"}

    def __init__(self, *, operation: str, arguments: dict[str, Any] | None = None, body: Any = None,
                 query: dict[str, Any] | None = None, location_id: str | None = None, api_version: str | None = None,
                 ghl_conn_id: str = "ghl_default", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.operation, self.arguments, self.body, self.query = operation, arguments, body, query
        self.location_id, self.api_version, self.ghl_conn_id = location_id, api_version, ghl_conn_id
        if not getattr(self, "_BaseOperator__from_mapped", False):
            self.validate()

    def execute(self, context: Context) -> Any:
        _ = self.hook  # from here on the connection's api_version, too, decides which form ``op`` is
        return super().execute(context)
