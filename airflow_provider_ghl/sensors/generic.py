"""``GHLOperationSensor``: wait on any read operation of the catalog (all 660 keys, v2 or v3).

A thin layer over the collection sensor base: the same polls (``polling.poll_flow``), cursors, poke /
reschedule / deferrable modes and trigger (``GHLPollTrigger``). What differs is only that the operation
is an argument (``airflow_provider_ghl.generic.AnyOperation``) and so is the kind of poll:

- ``poll="record"``: the record exists (``record_key`` of the answer) and ``condition(record)`` holds;
- ``poll="collection"``: records new or changed since a watermark, as the named collection sensors;
  outside the 124, the catalog's ``timestamps`` come from the spec's record schema
  (``dateAdded``/``createdAt``...); where it has none, each record is delivered once by its id,
  and changes (``watch="updated"``) by its fingerprint, with the cursor in an Airflow Variable;
- ``poll="response"``: ``condition(answer)`` holds over the whole answer.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from airflow_provider_ghl.catalog import get_operation
from airflow_provider_ghl.generic import GENERIC_TEMPLATE_FIELDS, AnyOperation
from airflow_provider_ghl.polling import MemoryCursor
from airflow_provider_ghl.sensors.base import GHLCollectionSensor, GHLSensor

if TYPE_CHECKING:
    from airflow.sdk import Context

POLLS = ("record", "collection", "response")


class GHLOperationSensor(AnyOperation, GHLCollectionSensor):
    """Wait until any HighLevel read operation shows what the task waits for (see the module doc).

    :param operation: a catalog key of a read (``get_invoice``, ``invoices__list_invoices``, ``get_contact``...).
    :param poll: ``record``, ``collection`` or ``response``; default: ``collection`` for list operations,
        else ``record``.
    :param arguments: / :param query: / :param body: / :param location_id: / :param api_version: /
        :param ghl_conn_id: as for ``GHLRunOperationOperator``.
    :param condition: ``record`` poll: ``condition(record)``; ``collection``: kept records must pass it;
        ``response``: ``condition(answer)``.
    :param record_key: ``record`` poll: where the answer keeps its record (default: the catalog's
        ``record_key``, else the whole answer).
    :param watch: / :param watermark: / :param first_run: / :param min_records: / :param max_records: /
        :param cursor_key: ``collection`` poll, as for the named collection sensors.

    XCom: the record, the new records (oldest first) or the answer.
    """

    template_fields: Sequence[str] = GENERIC_TEMPLATE_FIELDS
    template_fields_renderers: ClassVar[dict[str, str]] = {"arguments": "json", "body": "json", "query": "json"}

    def __init__(self, *, operation: str, arguments: dict[str, Any] | None = None, body: Any = None,
                 query: dict[str, Any] | None = None, location_id: str | None = None, api_version: str | None = None,
                 poll: str | None = None, record_key: str | None = None, condition: Callable[[Any], bool] | None = None,
                 watch: str = "new", watermark: str = "auto", first_run: str = "deliver", min_records: int = 1,
                 max_records: int = 1000, cursor_key: str | None = None, ghl_conn_id: str = "ghl_default",
                 **kwargs: Any) -> None:
        super().__init__(condition=condition, **kwargs)
        self.operation, self.arguments, self.body, self.query = operation, arguments, body, query
        self.location_id, self.api_version, self.ghl_conn_id = location_id, api_version, ghl_conn_id
        self.poll, self.record_key_name = poll, record_key
        self.watch, self.watermark, self.first_run = watch, watermark, first_run
        self.min_records, self.max_records, self.cursor_key = min_records, max_records, cursor_key
        if not getattr(self, "_BaseOperator__from_mapped", False):
            self.validate()

    @property
    def poll_kind(self) -> str:  # type: ignore[override]
        """What ``polling.poll_flow`` runs: a ``response`` poll is a record poll of the whole answer."""
        return "collection" if self.chosen_poll == "collection" else "record"

    @property
    def chosen_poll(self) -> str:
        if self.poll is not None:
            return self.poll
        return "collection" if self.op.is_collection else "record"

    def validate(self) -> None:
        if self.poll is not None and self.poll not in POLLS:
            self.fail(f"poll must be one of {', '.join(POLLS)}, got {self.poll!r}",
                      "Use 'record' (one record), 'collection' (new records of a list) or 'response' (the answer).")
        super().validate()
        if self.__dict__.get("operation") is None or "{{" in str(self.operation) or "{{" in str(self.api_version):
            return
        op = self.op
        if op.kind != "T" and op.method != "GET":  # the catalog's reads are kind T (searches are POSTs)
            self.fail(f"{op.key} is a {op.method} that changes data; a sensor repeats its request on every poke",
                      "Wait on a read (GET, or a search) and run writes with GHLRunOperationOperator.")
        if self.chosen_poll == "collection" and not op.is_collection:
            self.fail(f"poll='collection' needs a list operation; {op.key} answers one {op.answer}",
                      "Use poll='record' or poll='response', or a list/search key.")
        if self.chosen_poll == "response" and self.condition is None:
            self.fail("poll='response' needs condition=, a callable over the whole answer",
                      "Pass condition=lambda answer: ..., or use poll='record' to wait for the record to exist.")

    # -- the poll: the base's, per the chosen kind ------------------------------------------------------
    def poll_spec(self, context: Context) -> dict[str, Any]:
        if self.chosen_poll == "collection":
            return super().poll_spec(context)
        return {**GHLSensor.poll_spec(self, context), "record_key": self.record_key()}

    def record_key(self) -> str | None:
        if self.chosen_poll == "response":
            return None
        return self.record_key_name if self.record_key_name is not None else self.op.record_key

    def trigger_spec(self, context: Context) -> dict[str, Any]:
        return super().trigger_spec(context) if self.chosen_poll == "collection" else self.poll_spec(context)

    def cursor_store(self, context: Context) -> Any:
        return super().cursor_store(context) if self.chosen_poll == "collection" else MemoryCursor()

    def interval(self, context: Context) -> tuple[str, str] | None:
        # Records without timestamps cannot be selected by the data interval: the id/fingerprint cursor, which
        # the poll only loads and keeps when there is no interval, delivers each record once instead.
        if get_operation(self.op.key).timestamps is None:
            return None
        return super().interval(context)
