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
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import msgspec

from airflow_provider_ghl.catalog import Operation
from airflow_provider_ghl.exceptions import GHLInputError, GHLPaginationError
from airflow_provider_ghl.hooks.page_sizes import check_page_size, default_page_size

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
DEFAULT_WINDOW = timedelta(days=365)
"""HighLevel requires a time window (calendar events): without one from the caller, this far back and ahead."""


@dataclass
class PageRequest:
    query: dict[str, Any]
    body: dict[str, Any] | None


@dataclass
class Page:
    records: list[dict]
    total: int | None


def at_path(data: Any, path: str) -> Any:
    """The value at a dotted ``path`` of an answer (``data.numbers``), or ``None``."""
    for name in path.split(".") if path else ():
        data = data.get(name) if isinstance(data, dict) else None
    return data


def records_of(op: Operation, data: Any) -> list[dict]:
    """The records of one collection response: at ``records_key``, a dotted path where the list is nested
    (v3's ``{"data": {"numbers": [...]}}``); ``""`` means the response is the list."""
    if not op.records_key:
        return data if isinstance(data, list) else []
    found = at_path(data, op.records_key)
    # HighLevel nests messages one level deeper than its spec says: {"messages": {"messages": [...]}}.
    if isinstance(found, dict):
        found = found.get(op.records_key)
    return found if isinstance(found, list) else []


def total_of(data: Any, op: Operation | None = None) -> int | None:
    """The collection's total as the answer reports it: ``meta.total`` (v3: ``pagination.totalRecords``),
    ``total`` or ``count``, at the top or beside the records where they are nested."""
    holders = [data]
    if op is not None and op.records_key and "." in op.records_key:
        holders.append(at_path(data, op.records_key.rpartition(".")[0]))
    for holder in holders:
        if not isinstance(holder, dict):
            continue
        meta = next((m for m in (holder.get("meta"), holder.get("pagination")) if isinstance(m, dict)), {})
        for value in (meta.get("total"), meta.get("totalRecords"), holder.get("total"), holder.get("count")):
            if isinstance(value, int | float) and not isinstance(value, bool):
                return int(value)
    return None


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


# -- one class per pagination style ------------------------------------------------------------------------
@dataclass
class Paginator:
    """A style's requests: ``first`` builds the first page request, ``next`` the one after a response (or
    ``None``: the style ends here). The base is a single page: the page size, if the operation takes one."""

    style: ClassVar[str] = "single_page"
    page_size_in: ClassVar[str] = "query"
    """Where the style sends the page size (``pagination.limit_param``): ``query`` or ``body``."""
    op: Operation
    page_size: int | None = None
    """Set by :class:`Pager` (caller's, else HighLevel's maximum); a style may widen it while paging."""

    @property
    def limit_param(self) -> str | None:
        return self.op.pagination.get("limit_param")

    def given_page_size(self, query: dict[str, Any], body: dict[str, Any] | None) -> Any:
        """The page size the caller's own request asks for, where the style reads it."""
        return query.get(self.limit_param) if self.limit_param else None

    def first(self, query: dict[str, Any], body: dict[str, Any] | None) -> PageRequest:
        """The first page request (``query``/``body`` are the caller's, copied: the filters stay on every page)."""
        if self.limit_param and self.page_size:
            query.setdefault(self.limit_param, self.page_size)
        return PageRequest(query, body)

    def short(self, records: list[dict]) -> bool:
        """A page shorter than asked for is the last one."""
        return bool(self.page_size) and len(records) < self.page_size  # type: ignore[operator]

    def next(self, data: Any, records: list[dict], request: PageRequest) -> tuple[Any, PageRequest] | None:
        """The cursor and request of the page after ``data`` (``records`` is never empty), or ``None`` at the end."""
        return None


@dataclass
class TimeWindowPaginator(Paginator):
    """One request for a time window (``pagination.window``: the start and end parameter, epoch milliseconds),
    which HighLevel requires: the caller's, else :data:`DEFAULT_WINDOW` around now."""

    style: ClassVar[str] = "time_window"

    def first(self, query: dict[str, Any], body: dict[str, Any] | None) -> PageRequest:
        return super().first(self.windowed(self.op, query), body)

    @staticmethod
    def windowed(op: Operation, query: dict[str, Any] | None,
                 window: tuple[datetime, datetime] | None = None) -> dict[str, Any]:
        """``query`` with ``window`` (default: :data:`DEFAULT_WINDOW` around now) in the operation's window
        parameters, unless the query already starts one (a caller's own window wins)."""
        query = dict(query or {})
        names = op.pagination.get("window")
        if names and names[0] not in query:
            now = datetime.now(UTC)
            bounds = window or (now - DEFAULT_WINDOW, now + DEFAULT_WINDOW)
            query.update({name: int(moment.timestamp() * 1000) for name, moment in zip(names, bounds, strict=True)})
        return query


@dataclass
class OffsetPaginator(Paginator):
    """``skip``/``offset`` + ``limit`` in the query."""

    style: ClassVar[str] = "offset"

    def first(self, query: dict[str, Any], body: dict[str, Any] | None) -> PageRequest:
        query.setdefault(self.limit_param, self.page_size)
        query.setdefault(self.op.pagination["offset_param"], 0)
        return PageRequest(query, body)

    def next(self, data: Any, records: list[dict], request: PageRequest) -> tuple[Any, PageRequest] | None:
        if self.short(records):
            return None
        name = self.op.pagination["offset_param"]
        cursor = int(request.query.get(name) or 0) + len(records)
        return cursor, PageRequest({**request.query, name: cursor}, request.body)


@dataclass
class BodySkipLimitPaginator(Paginator):
    """``skip`` (``pagination.offset_param``) and ``limit`` in the body, typed as the request schema types them
    (strings for the users' filter, numbers for the social planner's lists)."""

    style: ClassVar[str] = "body_skip_limit"
    page_size_in: ClassVar[str] = "body"

    def given_page_size(self, query: dict[str, Any], body: dict[str, Any] | None) -> Any:
        return (body or {}).get("limit")

    def typed(self, name: str, number: int) -> int | str:
        declared = self.op.body.properties.get(name) if self.op.body is not None else None
        return number if declared in ("integer", "number") else str(number)

    def first(self, query: dict[str, Any], body: dict[str, Any] | None) -> PageRequest:
        body = body if body is not None else {}
        if self.page_size:
            body.setdefault("limit", self.typed("limit", self.page_size))
        body.setdefault(self.offset_param, self.typed(self.offset_param, 0))
        return PageRequest(query, body)

    @property
    def offset_param(self) -> str:
        return self.op.pagination["offset_param"]

    def next(self, data: Any, records: list[dict], request: PageRequest) -> tuple[Any, PageRequest] | None:
        if self.short(records):
            return None
        cursor = int((request.body or {}).get(self.offset_param) or 0) + len(records)
        return cursor, PageRequest(request.query, {**(request.body or {}),
                                                   self.offset_param: self.typed(self.offset_param, cursor)})


@dataclass
class StartAfterPaginator(Paginator):
    """``startAfterId`` + ``startAfter`` from the response's ``meta`` (else the last record), always sent together."""

    style: ClassVar[str] = "start_after"

    def next(self, data: Any, records: list[dict], request: PageRequest) -> tuple[Any, PageRequest] | None:
        if self.short(records):
            return None
        meta = data.get("meta") if isinstance(data.get("meta"), dict) else {}
        if meta and "startAfterId" in meta and not meta.get("startAfterId"):
            return None  # HighLevel's own "no next page"
        last = records[-1]
        cursor = (
            meta.get("startAfterId") or last.get("id"),
            meta.get("startAfter") or _epoch_ms(last.get("dateAdded") or last.get("createdAt")),
        )
        return cursor, PageRequest({**request.query, "startAfterId": cursor[0], "startAfter": cursor[1]}, request.body)


@dataclass
class SearchAfterPaginator(Paginator):
    """The last record's ``searchAfter`` in the body; page numbers where records carry none (up to 10,000)."""

    style: ClassVar[str] = "search_after"
    page_size_in: ClassVar[str] = "body"

    def given_page_size(self, query: dict[str, Any], body: dict[str, Any] | None) -> Any:
        return (body or {}).get(self.limit_param)

    def first(self, query: dict[str, Any], body: dict[str, Any] | None) -> PageRequest:
        body = body if body is not None else {}
        body.setdefault(self.limit_param, self.page_size)
        return PageRequest(query, body)

    def next(self, data: Any, records: list[dict], request: PageRequest) -> tuple[Any, PageRequest] | None:
        if self.short(records):
            return None
        body = dict(request.body or {})
        last = records[-1]
        if isinstance(last.get("searchAfter"), list):
            cursor = last["searchAfter"]
            if "page" in self.op.required_body_fields:  # a spec that requires it with searchAfter: the page it is
                body["page"] = int(body.get("page") or 1) + 1
            else:
                body.pop("page", None)
            body["searchAfter"] = cursor
        else:
            cursor = int(body.get("page") or 1) + 1
            if (cursor - 1) * (self.page_size or 1) >= SEARCH_PAGE_CAP:
                log.warning("%s: HighLevel stops page-based search at %s records", self.op.key, SEARCH_PAGE_CAP)
                return None
            body["page"] = cursor
        return cursor, PageRequest(request.query, body)


@dataclass
class StartAfterDatePaginator(Paginator):
    """``startAfterDate``: one sort value that HighLevel pages *strictly after*.

    Records that share the last value and did not fit on the page would be skipped, so paging resumes after the
    last *different* value and the tied group comes again (the Pager drops the repeats by id). A page that is
    all one value is asked again at HighLevel's maximum page size (the same cursor, a wider page)."""

    style: ClassVar[str] = "start_after_date"
    sent: Any = None
    """The cursor of the current page (``None``: the first page, which has none)."""

    def next(self, data: Any, records: list[dict], request: PageRequest) -> tuple[Any, PageRequest] | None:
        if self.short(records):
            return None
        query = dict(request.query)
        values = [_sort_value(record) for record in records]
        cursor = next((v for v in reversed(values) if v != values[-1]), None)
        max_limit = self.op.pagination.get("max_limit")
        if cursor is None and max_limit and int(query.get(self.limit_param) or 0) < max_limit:
            query[self.limit_param] = self.page_size = max_limit  # a whole page of ties: widen the page
            if self.sent is None:  # the first page had no cursor: ask for it again, wider
                query.pop("startAfterDate", None)
                return "first page", PageRequest(query, request.body)
            cursor = self.sent
        elif cursor is None:
            log.warning("%s: more than %s records share the sort value %r; HighLevel's single-value cursor "
                        "cannot page through them, some may be skipped", self.op.key, len(records), values[-1])
            cursor = values[-1]
        if cursor is None:
            return None
        query["startAfterDate"] = self.sent = cursor
        return cursor, PageRequest(query, request.body)


@dataclass
class LastMessageIdPaginator(Paginator):
    """``lastMessageId`` while the response says ``nextPage`` (a conversation's messages; pages may be short)."""

    style: ClassVar[str] = "last_message_id"

    def next(self, data: Any, records: list[dict], request: PageRequest) -> tuple[Any, PageRequest] | None:
        holder = data.get("messages") if isinstance(data.get("messages"), dict) else data
        if not holder.get("nextPage"):
            return None
        cursor = holder.get("lastMessageId") or records[-1].get("id")
        return cursor, PageRequest({**request.query, "lastMessageId": cursor}, request.body)


@dataclass
class PageNumberPaginator(Paginator):
    """Page numbers (``pagination.page_param``) and a page size in the query. Pages count from
    ``pagination.first_page`` (1, or 0 where the spec numbers them from 0); paging ends on a short page, or once
    the pages read cover the total the answer reports (``meta.total``, ``total``, ``count``)."""

    style: ClassVar[str] = "page"

    @property
    def first_page(self) -> int:
        return self.op.pagination.get("first_page", 1)

    def first(self, query: dict[str, Any], body: dict[str, Any] | None) -> PageRequest:
        name = self.op.pagination["page_param"]
        given = query.setdefault(name, self.first_page)
        if isinstance(given, bool) or not str(given).isdigit() or int(given) < self.first_page:
            raise GHLInputError(f"query.{name} must be a page number from {self.first_page}, got {given!r}",
                                operation=self.op.key,
                                hint=f"Leave {name} out to read from the first page, or pass the page to start at.")
        query[name] = int(given)
        return super().first(query, body)

    def next(self, data: Any, records: list[dict], request: PageRequest) -> tuple[Any, PageRequest] | None:
        if self.page_size is None:  # none asked for: HighLevel's default size is what its first page holds
            self.page_size = len(records)
        if self.short(records):
            return None
        name = self.op.pagination["page_param"]
        number = request.query[name] + 1
        total = total_of(data, self.op)
        if total is not None and (number - self.first_page) * self.page_size >= total:
            return None  # the pages so far hold the whole total: the next one would be empty
        return number, PageRequest({**request.query, name: number}, request.body)


@dataclass
class CursorPaginator(Paginator):
    """An opaque cursor: the answer's next cursor (``pagination.next_cursor``, a dotted path: ``nextCursor``) is sent
    back in the query parameter ``pagination.cursor_param`` (``cursor``); an answer without one (null, empty) is the
    last page. Pages may be short: only the cursor says whether another follows."""

    style: ClassVar[str] = "cursor"

    def more(self, data: Any) -> bool | None:
        """Whether the answer says a page follows, apart from its cursor (``None``: it does not say)."""
        return None

    def next(self, data: Any, records: list[dict], request: PageRequest) -> tuple[Any, PageRequest] | None:
        more = self.more(data)
        cursor = at_path(data, self.op.pagination["next_cursor"])
        if more is False:
            return None
        if cursor in (None, ""):
            return (None, request) if more else None  # a next page without a cursor to it: the Pager warns and ends
        return cursor, PageRequest({**request.query, self.op.pagination["cursor_param"]: cursor}, request.body)


@dataclass
class PageTokenPaginator(CursorPaginator):
    """v3's AIP-158 pages: ``pageToken`` + ``pageSize`` in the query; the answer's ``pagination`` holds
    ``nextPageToken`` and says ``hasNextPage`` (``pagination.more``). Paging goes on while both say a page follows."""

    style: ClassVar[str] = "page_token"

    def more(self, data: Any) -> bool | None:
        flag = at_path(data, self.op.pagination["more"]) if self.op.pagination.get("more") else None
        return flag if isinstance(flag, bool) else None


PAGINATORS: dict[str, type[Paginator]] = {
    "none": Paginator,
    "single_page": Paginator,
    "time_window": TimeWindowPaginator,
    "offset": OffsetPaginator,
    "body_skip_limit": BodySkipLimitPaginator,
    "start_after": StartAfterPaginator,
    "search_after": SearchAfterPaginator,
    "start_after_date": StartAfterDatePaginator,
    "last_message_id": LastMessageIdPaginator,
    "page": PageNumberPaginator,
    "cursor": CursorPaginator,
    "page_token": PageTokenPaginator,
}


def given_page_size(op: Operation, query: dict[str, Any], body: dict[str, Any] | None) -> int | None:
    """The page size the caller's own query/body asks for (where the style reads it), checked against the spec's
    range (:func:`~.page_sizes.check_page_size`); ``None`` when it asks for none."""
    paginator = paginator_for(op)
    given = paginator.given_page_size(query, body)
    return None if given is None else check_page_size(op, given, f"{paginator.page_size_in}.{paginator.limit_param}")


def paginator_for(op: Operation) -> Paginator:
    try:
        return PAGINATORS[op.paging_style](op)
    except KeyError:
        raise GHLInputError(f"unsupported pagination style {op.paging_style!r}", operation=op.key) from None


# -- the guards every style shares ---------------------------------------------------------------------------
@dataclass
class Pager:
    """Pages one collection operation with its style's :class:`Paginator`; drops repeats, and ends paging that
    makes no progress."""

    op: Operation
    paginator: Paginator
    request: PageRequest
    recent_ids: deque[set[str]] = field(default_factory=lambda: deque(maxlen=REMEMBERED_PAGES))
    pages: int = 0
    """Pages taken so far (the guards count in pages; errors name how many)."""
    _last_cursor: Any = None
    # Progress checks: one small int per page (never per record), so memory stays flat on huge exports.
    seen_cursors: set[int] = field(default_factory=set)
    seen_pages: dict[int, int] = field(default_factory=dict)
    """Fingerprint of each page's ids -> the page number that first brought them."""
    stale_pages: int = 0
    fresh_records: int = 0
    most_total: int | None = None
    first_page_size: int | None = None

    @property
    def page_size(self) -> int | None:
        return self.paginator.page_size

    @classmethod
    def start(cls, op: Operation, query: dict[str, Any], body: dict[str, Any] | None,
              page_size: int | None) -> Pager:
        paginator = paginator_for(op)
        if page_size is not None:
            page_size = check_page_size(op, page_size)
        # A page size in the caller's query/body is what is sent (checked as page_size is), so it is the page size:
        # read as max_limit, a page of 20 would look like the last one and paging would stop after it.
        paginator.page_size = given_page_size(op, query, body) or page_size or default_page_size(op)
        request = paginator.first(dict(query), dict(body) if body is not None else None)
        return cls(op=op, paginator=paginator, request=request, first_page_size=paginator.page_size)

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
        total = total_of(data, self.op)
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

    def advance(self, data: Any) -> PageRequest | None:
        """The next page request after ``data`` (the response to the current one), or ``None``."""
        records = records_of(self.op, data)
        size_before = self.page_size
        step = self.paginator.next(data, records, self.request) if records else None
        if step is None:
            return None
        cursor, request = step
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
        self.request = request
        return request
