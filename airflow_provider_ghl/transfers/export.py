"""``GHLExportOperator``: stream any HighLevel list or search operation into a file, incrementally.

Records go from the hook's paginator straight to the output, one at a time, so memory does not grow
with the number of records. The file appears complete or not at all: it is written under a temporary
name next to the target and moved into place at the end; a failure removes the temporary file, and
the next export into the same target removes what a killed one left.
"""

from __future__ import annotations

import csv
import fcntl
import io
import json
import logging
import os
import re
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any, BinaryIO, ClassVar

import msgspec
from airflow.sdk import BaseOperator

from airflow_provider_ghl.catalog import Operation, get_operation
from airflow_provider_ghl.declare import is_templated
from airflow_provider_ghl.exceptions import GHLInputError
from airflow_provider_ghl.hooks.page_sizes import check_page_size
from airflow_provider_ghl.hooks.paging import DEFAULT_WINDOW, TimeWindowPaginator, given_page_size
from airflow_provider_ghl.polling import parse_timestamp

if TYPE_CHECKING:
    from airflow.sdk import Context, ObjectStoragePath

    from airflow_provider_ghl.hooks.ghl import GHLHook

FORMATS = ("jsonl", "csv")
MODES = ("incremental", "full")
PROGRESS_EVERY_S = 10.0
FLUSH_BYTES = 1 << 20
FULL_WINDOW = DEFAULT_WINDOW
"""A full export of a time-window operation (calendar events) reads this far back and ahead unless ``query`` says
(the time-window paginator's default: ``hooks/paging.py``)."""


def is_local(path: ObjectStoragePath) -> bool:
    from fsspec.implementations.local import LocalFileSystem

    return isinstance(path.fs, LocalFileSystem)


@contextmanager
def writing(path: ObjectStoragePath) -> Iterator[None]:
    """Mark a local temporary file as being written (an advisory lock, released by the kernel even on SIGKILL)."""
    if not is_local(path):
        yield
        return
    descriptor = os.open(path.path, os.O_RDONLY | os.O_CREAT, 0o666)  # creates it, as open("wb") would
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)


def in_use(local_path: str) -> bool:
    """Whether a live export holds this temporary file (see ``writing``)."""
    try:
        descriptor = os.open(local_path, os.O_RDONLY)
    except FileNotFoundError:
        return True  # already gone: nothing to remove
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(descriptor)
    return False


def remove_leftovers(target: ObjectStoragePath, log: Any) -> None:
    """Delete what earlier writes of ``target`` left: a killed worker (SIGKILL, OOM, a lost machine) never
    reaches the ``except`` that removes its temporary file, which holds contact records.

    Only this target's temporary files (``.<name>.<8 hex>.partial``) go, and on a local disk only those no
    live write holds (``writing`` locks them), so two runs into one path never delete each other's.
    """
    pattern = re.compile(rf"\.{re.escape(target.name)}\.[0-9a-f]{{8}}\.partial")
    local = is_local(target)
    for candidate in target.parent.iterdir():
        if pattern.fullmatch(candidate.name) and not (local and in_use(candidate.path)):
            candidate.unlink(missing_ok=True)
            log.info("removed %s, left by an earlier export into %s that did not finish", candidate.name, target.name)


@contextmanager
def atomic_file(target: str | ObjectStoragePath, log: Any = None) -> Iterator[BinaryIO]:
    """Write ``target`` (a local path or any ``ObjectStoragePath``) whole or not at all.

    The handle writes a hidden temporary file next to it, moved into place when the block ends; an
    exception removes it, and the next write of ``target`` removes what a killed one left.
    """
    from airflow.sdk import ObjectStoragePath

    target = target if isinstance(target, ObjectStoragePath) else ObjectStoragePath(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_leftovers(target, log or logging.getLogger(__name__))
    temporary = target.parent / f".{target.name}.{uuid.uuid4().hex[:8]}.partial"
    try:
        with writing(temporary):  # held until the file is in place: no other run takes it for a leftover
            with temporary.open("wb") as handle:
                yield handle
            temporary.replace(target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


class GHLExportOperator(BaseOperator):
    """Export every record of a HighLevel list/search operation to JSON Lines or CSV.

    :param operation: a collection operation of the catalog (``search_contacts``, ``search_opportunities``,
        ``list_calendar_events``, ``search_conversations``, ``search_users``, ``list_businesses_by_location``,
        ``get_contact_tasks``, ``get_contact_notes``, ...).
    :param path: where to write (templated): a local path or any ``ObjectStoragePath`` URL
        (``s3://bucket/ghl/contacts/{{ ds }}.jsonl``). One file per data interval makes reruns idempotent.
        ``{{ ds }}`` and ``{{ data_interval_start }}`` do not exist in a run without a logical date: name
        such files by ``{{ (dag_run.logical_date or dag_run.run_after) | ds }}``.
    :param format: ``jsonl`` or ``csv`` (default: from the path's suffix, else ``jsonl``). CSV columns are
        the record fields of HighLevel's official schema in a stable order, custom fields as ``cf:<key>``
        columns, nested values as JSON, and an ``_extra`` column with any field the schema does not list.
    :param mode: ``incremental`` (default): the records created (``watch="new"``) or updated
        (``watch="updated"``, default) inside the run's data interval, so reruns rewrite the same file with
        the same content and backfills work; for calendar events (a time-window operation), the events that
        start inside the interval. ``full``: every record (calendar events: a year back and ahead unless
        ``query`` gives ``startTime``/``endTime``). A run without a data interval (started with no logical
        date) exports as ``full``.
    :param arguments: path arguments of the operation by name (``{"contact_id": ...}``).
    :param for_each_contact: for per-contact operations (tasks, notes, appointments of a contact): export
        them for every contact of ``contact_query`` (a Search Contacts body) in this one task. One task, not
        a mapped task per contact, because a location has up to hundreds of thousands of contacts: one file,
        one rate-limit budget, bounded memory, and no scheduler load of a task instance per contact.
    :param query: / :param body: / :param location_id: / :param ghl_conn_id: as for every GHL operator.
    :param api_version: ``v2``, ``v3``, ``legacy`` or a dated version (default: the connection's): which
        form of the operation every page request follows.
    :param page_size: records per request (templated; default: the form's maximum, else HighLevel's default). A page
        size outside the range the operation's spec allows (``export_messages_by_location``: 10 to 500), here or as
        a ``limit`` in ``query``/``body``, is refused when the DAG is parsed (literal values) and again after
        rendering, before any request; none is clamped.

    Any list operation of the catalog works, the second tier's too (``invoices__list_invoices``...): records
    whose schema has timestamps (``dateAdded``/``createdAt``...) export incrementally, the others with
    ``mode="full"``.

    Returns ``{"path", "count", "operation", "window", "format"}`` to XCom (never the records).
    """

    template_fields: Sequence[str] = ("operation", "path", "arguments", "query", "body", "location_id", "contact_query",
                                   "api_version", "page_size")
    template_fields_renderers: ClassVar[dict[str, str]] = {"arguments": "json", "query": "json", "body": "json",
                                                           "contact_query": "json"}
    ui_color = "#e8f5e9"

    def __init__(
        self, *, operation: str, path: str | ObjectStoragePath, format: str | None = None, mode: str = "incremental",
        watch: str = "updated", arguments: dict[str, Any] | None = None, query: dict | None = None,
        body: dict | None = None, location_id: str | None = None, for_each_contact: bool = False,
        contact_query: dict | None = None, page_size: int | None = None, ghl_conn_id: str = "ghl_default",
        api_version: str | None = None, **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if not isinstance(operation, str) or not operation:  # else the catalog lookup fails with a TypeError
            raise GHLInputError(f"operation must be a catalog operation key such as 'search_contacts', got "
                                f"{operation!r}", hint="Pass operation='search_contacts' (or any "
                                "list/search key of airflow_provider_ghl.catalog.operations()).")
        self.operation, self.path, self.format, self.mode, self.watch = operation, path, format, mode, watch
        self.arguments, self.query, self.body, self.location_id = arguments or {}, query, body, location_id
        self.for_each_contact, self.contact_query, self.page_size = for_each_contact, contact_query, page_size
        self.ghl_conn_id, self.api_version = ghl_conn_id, api_version
        if "{{" not in str(operation) and "{{" not in str(api_version):
            self.check()

    # -- checks, before any request -----------------------------------------------------------------
    def check(self) -> None:
        from airflow_provider_ghl.generic import resolve_operation

        op = resolve_operation(self.operation, self.api_version)  # an unknown key names the closest ones
        problems = []
        if not op.is_collection:
            problems.append(f"operation {op.key!r} returns one record, not a list: export a list/search operation")
        if self.mode not in MODES:
            problems.append(f"mode must be one of {', '.join(MODES)}, got {self.mode!r}")
        if self.watch not in ("new", "updated"):
            problems.append(f"watch must be 'new' or 'updated', got {self.watch!r}")
        if self.format is not None and self.format not in FORMATS:
            problems.append(f"format must be one of {', '.join(FORMATS)}, got {self.format!r}")
        if self.mode == "incremental" and self.timestamp_field is None and not self.time_windowed:
            problems.append(f"{op.key} records carry no {self.watch} timestamp, so mode='incremental' cannot select an "
                            "interval: use mode='full'")
        per_contact = op.contact_argument is not None
        if per_contact and not self.for_each_contact and op.contact_argument not in self.arguments:
            problems.append(f"{op.key} reads one contact's records: pass arguments={{'{op.contact_argument}': ...}} "
                            "or for_each_contact=True")
        if self.for_each_contact and not per_contact:
            problems.append(f"for_each_contact=True needs a per-contact operation; {op.key} is not one")
        if problems:
            raise GHLInputError("; ".join(problems), operation=op.key)
        self.check_page_size(op)

    def check_page_size(self, op: Operation) -> None:
        """``page_size`` and a page size in the literal ``query``/``body`` (``limit``...) within the range the form's
        spec allows, else the hook's own :class:`GHLInputError` (naming it, the operation, the range and the fix)."""
        if self.page_size is not None and not is_templated(self.page_size):
            check_page_size(op, self.page_size)
        if is_templated(self.query) or is_templated(self.body):
            return
        # The form's names, as the hook sends them (a v3 form respells some v2 query names).
        query = {op.query_renames.get(name, name): value for name, value in (self.query or {}).items()
                 if not is_templated(value)} if isinstance(self.query, dict) else {}
        body = {op.body_renames.get(name, name): value for name, value in self.body.items() if not is_templated(value)} \
            if isinstance(self.body, dict) else None
        given_page_size(op, query, body)

    @property
    def time_windowed(self) -> bool:
        return get_operation(self.operation).paging_style == "time_window"

    @property
    def timestamp_field(self) -> str | None:
        timestamps = get_operation(self.operation).timestamps
        return timestamps.field_for(self.watch) if timestamps else None

    @cached_property
    def hook(self) -> GHLHook:
        from airflow_provider_ghl.hooks.ghl import GHLHook

        return GHLHook(ghl_conn_id=self.ghl_conn_id)

    # -- run ---------------------------------------------------------------------------------------
    def execute(self, context: Context) -> dict[str, Any]:
        from airflow.sdk import ObjectStoragePath

        self.check()
        window = self.window(context)
        target = self.path if not isinstance(self.path, str) else ObjectStoragePath(self.path)
        fmt = self.format or ("csv" if str(target).endswith(".csv") else "jsonl")
        count = 0
        with atomic_file(target, self.log) as handle:
            buffer = io.BytesIO()
            write = self.csv_writer(buffer) if fmt == "csv" else self.jsonl_writer(buffer)
            for record in self.progress(self.selected(window)):
                write(record)
                count += 1
                if buffer.tell() >= FLUSH_BYTES:  # few large writes: object-store handles are slow per call
                    handle.write(buffer.getvalue())
                    buffer.seek(0)
                    buffer.truncate()
            handle.write(buffer.getvalue())
        self.log.info("exported %d %s records to %s", count, self.operation, target)
        return {"path": str(target), "count": count, "operation": self.operation,
                "window": [w.isoformat() for w in window] if window else None, "format": fmt}

    def window(self, context: Context) -> tuple[datetime, datetime] | None:
        """The run's data interval, or ``None`` for every record.

        A run without a data interval (Airflow 3: a manual run started with ``"logical_date": null``, the
        REST API and ``airflow dags trigger`` default; an asset-triggered run; or a zero-length interval)
        has no interval to select by, so an incremental export exports every record, like ``mode='full'``:
        a copy that misses nothing rather than a failed run or an empty file.
        """
        if self.mode == "full":
            return None
        start, end = context.get("data_interval_start"), context.get("data_interval_end")
        if start is None or end is None or start == end:
            self.log.info("%s: this run has no data interval (a run without a logical date): exporting every record, "
                          "as mode='full'", self.operation)
            return None
        return start, end

    def selected(self, window: tuple[datetime, datetime] | None) -> Iterator[dict]:
        # Time-window operations (calendar events) select by HighLevel's own window: the events that start in it.
        field = None if self.time_windowed else self.timestamp_field
        for record in self.records(window):
            if window is None or field is None:
                yield record
                continue
            moment = parse_timestamp(record.get(field))
            if moment is not None and window[0] <= moment < window[1]:
                yield record

    def records(self, window: tuple[datetime, datetime] | None) -> Iterator[dict]:
        op = get_operation(self.operation)
        # Calendar events: the events that start in the data interval (the style's default window without one).
        query, body = TimeWindowPaginator.windowed(op, self.query, window), self.body
        searchable = op.incremental is not None and op.incremental.how == "search_filter" \
            and self.watch in op.incremental.watches  # HighLevel's search can filter by the watched field
        if searchable and window is not None and self.timestamp_field:
            body = self.narrowed_search(body, window)
        common = {"query": query or None, "body": body, "location_id": self.location_id, "page_size": self.page_size,
                  "api_version": self.api_version}
        if not self.for_each_contact:
            yield from self.hook.paginate(op.key, **common, **self.arguments)
            return
        for contact in self.hook.paginate("search_contacts", body=self.contact_query, location_id=self.location_id):
            for record in self.hook.paginate(op.key, **common, **{**self.arguments, op.contact_argument: contact["id"]}):
                yield {"contactId": contact["id"], **record}

    def narrowed_search(self, body: dict | None, window: tuple[datetime, datetime]) -> dict:
        """Let HighLevel's search do the interval filtering (the client still checks every record)."""
        body = dict(body or {})
        interval = {"gte": window[0].isoformat(), "lt": window[1].isoformat()}
        body["filters"] = [*body.get("filters", []), {"field": self.timestamp_field, "operator": "range", "value": interval}]
        return body

    def progress(self, records: Iterator[dict]) -> Iterator[dict]:
        started = last = time.monotonic()
        for count, record in enumerate(records, 1):
            yield record
            if count % 1024:  # the clock once a thousand records is often enough for a line every 10 s
                continue
            now = time.monotonic()
            if now - last >= PROGRESS_EVERY_S:
                last = now
                self.log.info("%s: %d records written (%.0f/s)", self.operation, count, count / (now - started))

    # -- writers -----------------------------------------------------------------------------------
    @staticmethod
    def jsonl_writer(buffer: io.BytesIO):
        # msgspec (an Airflow dependency) encodes ~5x faster than json; sorted keys keep reruns byte-identical.
        # One scratch buffer reused for every line: no bytes object per record, one write per line.
        encode_into = msgspec.json.Encoder(order="sorted").encode_into
        line = bytearray()

        def write(record: dict) -> None:
            encode_into(record, line)
            line.extend(b"\n")
            buffer.write(line)

        return write

    def csv_writer(self, buffer: io.BytesIO):
        fields, custom = self.columns()
        custom_columns = [f"cf:{key}" for key in custom.values()]
        writer = csv.writer(io.TextIOWrapper(buffer, encoding="utf-8", newline="", write_through=True))
        writer.writerow([*fields, *custom_columns, "_extra"])
        known = set(fields) | {"customFields"}

        def cell(value: Any) -> Any:
            return json.dumps(value, sort_keys=True, ensure_ascii=False) if isinstance(value, dict | list) else value

        def write(record: dict) -> None:
            values = {str(f.get("id")): f.get("value", f.get("field_value")) for f in record.get("customFields") or []
                      if isinstance(f, dict)}
            extra = {k: v for k, v in record.items() if k not in known}
            writer.writerow([
                *(cell(record.get(name)) for name in fields),
                *(cell(values.get(field_id)) for field_id in custom),
                json.dumps(extra, sort_keys=True, ensure_ascii=False) if extra else "",
            ])

        return write

    def columns(self) -> tuple[list[str], dict[str, str]]:
        """Schema fields (stable order) and custom fields (id -> key) of the exported records."""
        op = get_operation(self.operation)
        source = get_operation(op.columns_from or op.key)
        fields = sorted(set(source.record_fields) - {"customFields"})
        if self.for_each_contact and "contactId" not in fields:
            fields.insert(0, "contactId")
        if "id" in fields:
            fields.remove("id")
            fields.insert(0, "id")
        custom: dict[str, str] = {}
        model = op.custom_field_model if "customFields" in source.record_fields else None
        if model:
            response = self.hook.call("list_custom_fields", location_id=self.location_id, query={"model": model})
            listed = sorted(response.get("customFields", []), key=lambda f: str(f.get("fieldKey") or f.get("id")))
            custom = {str(f["id"]): str(f.get("fieldKey") or f["id"]) for f in listed}
        return fields, custom
