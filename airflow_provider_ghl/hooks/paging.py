"""Pagination cursors for every ``pagination.style`` of the catalog (no I/O).

A :class:`Pager` turns the caller's query/body into the first page request and each response into
the next request (or ``None`` at the end). Lessons from other connectors are built in: the caller's
filters are kept on every page (n8n#18436 lost ``location_id``), compound cursors are always sent
whole (Pipedream#21941 sent ``startAfter`` without ``startAfterId`` and looped), records are
de-duplicated by id across pages (offset pages shift when records are added while paging; single-
value time cursors repeat records that share a timestamp), and paging always ends: a server that
repeats pages, sends back an earlier cursor or outruns its own total gets a
:class:`~airflow_provider_ghl.exceptions.GHLPaginationError` within a few pages (see :meth:`Pager.take`).
"""

from __future__ import annotations

import logging
import math
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import msgspec

from airflow_provider_ghl.catalog import Operation
from airflow_provider_ghl.exceptions import GHLInputError, GHLPaginationError

log = logging.getLogger(__name__)

REMEMBERED_PAGES = 4
"""Repeats happen at page boundaries (ties, records shifted by inserts while paging): remembering the ids of
the last few pages drops them all while memory stays flat however many records an export reads."""
STALE_PAGES_ALLOWED = 3
"""Pages in a row that may bring no new record. Legit repeats cost one page, rarely two (start_after_date
re-fetches a tied group; offset pages shift when records are inserted while paging); a server that
repeats itself fails on the next one."""
TOTAL_SLACK_PAGES = 3
"""Pages allowed beyond twice what the reported total needs (records inserted while paging, tie re-fetches)."""
SEARCH_PAGE_CAP = 10_000  # HighLevel's contact search stops at page*pageLimit 10k without searchAfter


@dataclass
class PageRequest:
    query: dict[str, Any]
    body: dict[str, Any] | None


@dataclass
class Page:
    records: list[dict]
    total: int | None


def records_of(op: Operation, data: Any) -> list[dict]:
    """The records of one collection response (``records_key`` "" means the response is the list)."""
    if not op.records_key:
        return data if isinstance(data, list) else []
    found = data.get(op.records_key) if isinstance(data, dict) else None
    # HighLevel nests messages one level deeper than its spec says: {"messages": {"messages": [...]}}.
    if isinstance(found, dict):
        found = found.get(op.records_key)
    return found if isinstance(found, list) else []


def total_of(data: Any) -> int | None:
    if not isinstance(data, dict):
        return None
    meta = data.get("meta") if isinstance(data.get("meta"), dict) else {}
    for value in (meta.get("total"), data.get("total"), data.get("count")):
        if isinstance(value, int | float) and not isinstance(value, bool):
            return int(value)
    return None


_NO_CURSOR = ""  # startAfterDate absent: the first page again, wider


def _sort_value(record: dict) -> Any:
    sort = record.get("sort")
    if sort in (None, []):
        return _epoch_ms(record.get("lastMessageDate") or record.get("dateUpdated"))
    return sort[0] if isinstance(sort, list) and len(sort) == 1 else sort


def _epoch_ms(value: Any) -> Any:
    """A record timestamp as epoch milliseconds (HighLevel's cursor unit); other values unchanged."""
    if isinstance(value, str) and not value.isdigit():
        try:
            return int(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp() * 1000)
        except ValueError:
            return value
    return value


def _record_key(record: Any) -> Any:
    """A record's id, or a hash of its content when it has none (a page of such records is still recognised)."""
    if isinstance(record, dict):
        record_id = record.get("id") or record.get("_id")
        if record_id is not None:
            return str(record_id)
    return hash(msgspec.json.encode(record))


@dataclass
class Pager:
    """Page requests for one collection operation."""

    op: Operation
    page_size: int | None
    request: PageRequest
    recent_ids: deque[set[str]] = field(default_factory=lambda: deque(maxlen=REMEMBERED_PAGES))
    pages: int = 0
    _last_cursor: Any = None
    # Progress checks: one small int per page (never per record), so memory stays flat on huge exports.
    seen_cursors: set[int] = field(default_factory=set)
    seen_pages: dict[int, int] = field(default_factory=dict)
    """Fingerprint of each page's ids -> the page number that first brought them."""
    stale_pages: int = 0
    fresh_records: int = 0
    most_total: int | None = None
    first_page_size: int | None = None

    @classmethod
    def start(cls, op: Operation, query: dict[str, Any], body: dict[str, Any] | None,
              page_size: int | None) -> Pager:
        style = op.paging_style
        max_limit = op.pagination.get("max_limit")
        limit_param = op.pagination.get("limit_param")
        if page_size is None:
            # A limit in the caller's query/body is the page size: read as max_limit, a page of 20 would look
            # like the last one and paging would stop after it.
            if style in ("body_skip_limit", "search_after"):
                given = (body or {}).get("limit" if style == "body_skip_limit" else limit_param)
            else:
                given = query.get(limit_param) if limit_param else None
            if isinstance(given, int | str) and not isinstance(given, bool) and str(given).isdigit():
                page_size = int(given)
        if page_size is not None and (not isinstance(page_size, int) or page_size < 1):
            raise GHLInputError(f"page_size must be a positive int, got {page_size!r}", operation=op.key)
        if page_size is not None and max_limit and page_size > max_limit:
            raise GHLInputError(
                f"page_size {page_size} is above HighLevel's maximum of {max_limit} for {op.key}", operation=op.key
            )
        size = page_size or max_limit
        query, body = dict(query), (dict(body) if body is not None else None)
        if style == "offset":
            query.setdefault(limit_param, size)
            query.setdefault(op.pagination["offset_param"], 0)
        elif style == "body_skip_limit":
            body = body if body is not None else {}
            # HighLevel types these body fields as strings.
            body.setdefault("limit", str(size))
            body.setdefault("skip", "0")
        elif style == "search_after":
            body = body if body is not None else {}
            body.setdefault(limit_param, size)
        elif limit_param and size:
            query.setdefault(limit_param, size)
        return cls(op=op, page_size=size, request=PageRequest(query, body), first_page_size=size)

    def take(self, data: Any) -> Page:
        """The new records of a response (repeats dropped) and the total when the API gives it.

        Raises :class:`GHLPaginationError` when paging stops making progress: more than
        ``STALE_PAGES_ALLOWED`` pages in a row bring no new record (a page identical to any earlier one
        counts as bringing none, however long ago it came), or HighLevel sends more records or pages
        than its own total allows."""
        self.pages += 1
        records = records_of(self.op, data)
        keys = [_record_key(record) for record in records]
        fingerprint = hash(tuple(keys))
        first_seen = self.seen_pages.setdefault(fingerprint, self.pages) if records else self.pages
        fresh, page_ids = [], set()
        if first_seen == self.pages:  # else an identical earlier page was taken then: nothing here is new
            for record, record_id in zip(records, keys, strict=True):
                if isinstance(record_id, str):
                    if record_id in page_ids or any(record_id in ids for ids in self.recent_ids):
                        continue
                    page_ids.add(record_id)
                fresh.append(record)
        self.recent_ids.append(page_ids)
        total = total_of(data)
        self._check_progress(records, fresh, total, first_seen)
        return Page(fresh, total)

    def _check_progress(self, records: list, fresh: list, total: int | None, first_seen: int) -> None:
        self.stale_pages = self.stale_pages + 1 if records and not fresh else 0
        self.fresh_records += len(fresh)
        if self.stale_pages > STALE_PAGES_ALLOWED:
            seen = (f"page {self.pages} repeats page {first_seen}" if first_seen != self.pages
                    else f"page {self.pages} holds only records already read")
            self._fail(f"{self.stale_pages} pages in a row brought no new record ({seen})")
        if total is not None and total >= 0:
            self.most_total = max(total, self.most_total or 0)  # inserts while paging raise it; deletes don't lower it
        if self.most_total is None or self.most_total == SEARCH_PAGE_CAP or not self.page_size:
            # 10,000 exactly is how a search engine says "at least 10,000": no bound to check against.
            return
        # At the first page size: start_after_date widens pages after reading narrow ones.
        size = self.first_page_size or self.page_size
        needed = math.ceil(self.most_total / size)
        if self.pages > 2 * needed + TOTAL_SLACK_PAGES:
            self._fail(f"{self.pages} pages read where a total of {self.most_total:,} records needs {needed} "
                       f"pages of {size}")
        if self.fresh_records > self.most_total + max(self.page_size, self.most_total // 10):
            self._fail(f"{self.fresh_records:,} distinct records read where HighLevel reported a total of "
                       f"{self.most_total:,}")

    def _fail(self, what: str) -> None:
        raise GHLPaginationError(
            f"paging stopped making progress after {self.pages} pages: {what}; stopped instead of reading forever",
            pages=self.pages, operation=self.op.key,
        )

    def _tie_safe_date_cursor(self, records: list[dict], query: dict[str, Any]) -> Any:
        """``startAfterDate`` is one sort value and HighLevel starts strictly after it, so records that
        share the last value and did not fit on this page would be skipped. Resume after the last
        *different* value instead: the tied group is fetched again (repeats are dropped by id)."""
        values = [_sort_value(record) for record in records]
        boundary = next((v for v in reversed(values) if v != values[-1]), None)
        if boundary is not None:
            return boundary
        limit_param = self.op.pagination.get("limit_param")
        max_limit = self.op.pagination.get("max_limit")
        if max_limit and int(query.get(limit_param) or 0) < max_limit:
            query[limit_param] = self.page_size = max_limit  # a whole page of ties: widen the page
            return self._last_cursor if self._last_cursor is not None else _NO_CURSOR
        log.warning("%s: more than %s records share the sort value %r; HighLevel's single-value cursor "
                    "cannot page through them, some may be skipped", self.op.key, len(records), values[-1])
        return values[-1]

    def advance(self, data: Any) -> PageRequest | None:
        """The next page request after ``data`` (the response to the current one), or ``None``."""
        records = records_of(self.op, data)
        style = self.op.paging_style
        if style in ("none", "single_page", "time_window") or not records:
            return None
        if self.page_size and len(records) < self.page_size and style != "last_message_id":
            return None
        query, body = dict(self.request.query), dict(self.request.body) if self.request.body is not None else None
        size_before = self.page_size
        pagination = self.op.pagination
        last = records[-1]
        if style == "offset":
            name = pagination["offset_param"]
            cursor = int(query.get(name) or 0) + len(records)
            query[name] = cursor
        elif style == "body_skip_limit":
            cursor = int(body.get("skip") or 0) + len(records)
            body["skip"] = str(cursor)
        elif style == "start_after":
            meta = data.get("meta") if isinstance(data.get("meta"), dict) else {}
            if meta and "startAfterId" in meta and not meta.get("startAfterId"):
                return None
            cursor = (
                meta.get("startAfterId") or last.get("id"),
                meta.get("startAfter") or _epoch_ms(last.get("dateAdded") or last.get("createdAt")),
            )
            query["startAfterId"], query["startAfter"] = cursor
        elif style == "search_after":
            if isinstance(last.get("searchAfter"), list):
                cursor = last["searchAfter"]
                body.pop("page", None)
                body["searchAfter"] = cursor
            else:
                cursor = int(body.get("page") or 1) + 1
                if (cursor - 1) * (self.page_size or 1) >= SEARCH_PAGE_CAP:
                    log.warning("%s: HighLevel stops page-based search at %s records", self.op.key, SEARCH_PAGE_CAP)
                    return None
                body["page"] = cursor
        elif style == "start_after_date":
            cursor = self._tie_safe_date_cursor(records, query)
            if cursor is None:
                return None
            if cursor == _NO_CURSOR:
                query.pop("startAfterDate", None)
            else:
                query["startAfterDate"] = cursor
        elif style == "last_message_id":
            holder = data.get("messages") if isinstance(data.get("messages"), dict) else data
            if not holder.get("nextPage"):
                return None
            cursor = holder.get("lastMessageId") or last.get("id")
            query["lastMessageId"] = cursor
        else:
            raise GHLInputError(f"unsupported pagination style {style!r}", operation=self.op.key)
        widened = self.page_size != size_before
        if cursor is None:
            log.warning("%s: no page cursor after page %s; ending pagination", self.op.key, self.pages)
            return None
        # Any earlier cursor, not just the last one: an A/B/A/B cursor loops as surely as a stuck one. Only a
        # widened page may re-use one (the same start, more records per page).
        marker = hash(msgspec.json.encode(cursor))
        if marker in self.seen_cursors and not widened:
            self._fail(f"the page cursor {cursor!r} came back" + (" (unchanged)" if cursor == self._last_cursor else
                                                               " (it was sent for an earlier page)"))
        self.seen_cursors.add(marker)
        self._last_cursor = cursor
        self.request = PageRequest(query, body)
        return self.request
