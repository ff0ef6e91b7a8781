"""Finding contacts: the deprecated ``GET /contacts/`` cursor (``startAfter`` + ``startAfterId``), the business
listing, and ``POST /contacts/search`` with its filter and sort language (page or ``searchAfter``)."""

from __future__ import annotations

import json
import re
from bisect import bisect_right
from collections.abc import Callable
from functools import total_ordering
from typing import Any
from urllib.parse import urlencode

from airflow_provider_ghl.sandbox.areas.contacts.checks import body_integer
from airflow_provider_ghl.sandbox.areas.contacts.index import CONTACTS, added_ms, contact_index, phone_key, updated_ms
from airflow_provider_ghl.sandbox.errors import unprocessable
from airflow_provider_ghl.sandbox.params import finite_number
from airflow_provider_ghl.sandbox.records import public
from airflow_provider_ghl.sandbox.routing import Call, handles, offset_page
from airflow_provider_ghl.sandbox.state import epoch_ms, parse_time

LIST_DEFAULT_LIMIT = 20
BUSINESS_DEFAULT_LIMIT = 25  # the spec's default for GET /contacts/business/{businessId}
SEARCH_WINDOW = 10_000  # page * pageLimit beyond this needs searchAfter
SEARCH_TEXT_LIMIT = 75  # characters in a search query or a filter value


def listed(record: dict) -> dict:
    """A contact as list and search answers carry it: attribution as an ``attributions`` array."""
    out = public(record)
    first, last = out.pop("attributionSource", None), out.pop("lastAttributionSource", None)
    out["attributions"] = [a for a in (first, last) if a]
    return out


def matches_text(record: dict, text: str) -> bool:
    """The free-text ``query``: a substring of the name, email, phone or company name."""
    digits = re.sub(r"\D", "", text)
    return (
        text in record.get("fullNameLowerCase", "") or text in record.get("emailLowerCase", "")
        or text in (record.get("companyName") or "").lower()
        or (len(digits) >= 3 and digits in (record.get("phone") or ""))
    )


@handles("list_contacts")
def list_contacts(call: Call) -> dict:
    """The deprecated list: (dateAdded, id) ascending, resumed after the (startAfter, startAfterId) pair."""
    limit = call.int_query("limit", LIST_DEFAULT_LIMIT, minimum=1, maximum=call.op.pagination["max_limit"])
    table, index = call.table(CONTACTS), contact_index(call.state)
    timeline = index.timeline(call.location_id)
    text = (call.query.get("query") or "").strip().lower()
    if text:
        timeline = [entry for entry in timeline if matches_text(table[entry[1]], text)]
    start_after_id, start_after = call.query.get("startAfterId"), call.query.get("startAfter")
    position = 0
    # HighLevel ignores startAfter without startAfterId and answers the first page again (PipedreamHQ/pipedream#21941).
    if start_after_id:
        if start_after:
            after_ms = int(finite_number(start_after, "startAfter"))
        elif start_after_id in table:
            after_ms = added_ms(table[start_after_id])
        else:
            raise unprocessable("startAfter should not be empty when startAfterId is not a contact")
        position = bisect_right(timeline, (after_ms, start_after_id))
    entries = timeline[position : position + limit]
    more = position + len(entries) < len(timeline)
    page = position // limit + 1
    last_ms, last_id = entries[-1] if entries else (None, None)
    next_query = {"locationId": call.location_id, "startAfter": last_ms, "startAfterId": last_id, "limit": limit}
    if text:
        next_query["query"] = call.query["query"]
    return {
        "contacts": [listed(table[contact_id]) for _, contact_id in entries],
        "count": len(timeline),
        # Not in the official schema, but HighLevel sends it. The cursor of the last record is given even on the
        # last page, so a poll can resume from it later.
        "meta": {
            "total": len(timeline), "nextPageUrl": f"{call.base_url}/contacts/?{urlencode(next_query)}" if more else None,
            "startAfterId": last_id, "startAfter": last_ms, "currentPage": page,
            "nextPage": page + 1 if more else None, "prevPage": page - 1 if page > 1 else None,
        },
    }


@handles("get_contacts_by_business")
def get_contacts_by_business(call: Call) -> dict:
    table = call.table(CONTACTS)
    business_id = call.path["businessId"]
    text = (call.query.get("query") or "").strip().lower()
    matches = [
        table[contact_id] for _, contact_id in contact_index(call.state).timeline(call.location_id)
        if table[contact_id].get("businessId") == business_id and (not text or matches_text(table[contact_id], text))
    ]
    page = offset_page(call, matches, default_limit=BUSINESS_DEFAULT_LIMIT, max_limit=call.op.pagination["max_limit"])
    return {"contacts": [listed(r) for r in page], "count": len(matches)}


SEARCH_BODY = frozenset({"locationId", "page", "pageLimit", "searchAfter", "filters", "sort", "query"})
DATE_FIELDS = frozenset({"dateAdded", "dateUpdated"})
CASE_SENSITIVE = frozenset({"id", "businessId", "assignedTo", "followers"})  # ids, compared as they are


def _lower(name: str) -> Callable[[dict], Any]:
    return lambda r: (r.get(name) or "").lower() or None


def _raw(name: str) -> Callable[[dict], Any]:
    return lambda r: r.get(name)


# Filterable fields and the value each is compared on (strings lower-cased, phones as digits, dates as epoch ms).
SEARCH_FIELDS: dict[str, Callable[[dict], Any]] = {
    "id": _raw("id"), "email": _raw("emailLowerCase"), "phone": lambda r: phone_key(r.get("phone")),
    "firstName": _raw("firstNameLowerCase"), "firstNameLowerCase": _raw("firstNameLowerCase"),
    "lastName": _raw("lastNameLowerCase"), "lastNameLowerCase": _raw("lastNameLowerCase"),
    "contactName": _raw("fullNameLowerCase"), "fullNameLowerCase": _raw("fullNameLowerCase"),
    "companyName": _lower("companyName"), "businessId": _raw("businessId"), "assignedTo": _raw("assignedTo"),
    "source": _lower("source"), "type": _lower("type"), "city": _lower("city"), "state": _lower("state"),
    "country": _lower("country"), "postalCode": _raw("postalCode"), "address1": _lower("address1"),
    "website": _lower("website"), "timezone": _lower("timezone"), "dnd": _raw("dnd"),
    "tags": lambda r: r.get("tags") or None, "followers": lambda r: r.get("followers") or None,
    "dateAdded": added_ms, "dateUpdated": updated_ms,
}
SORT_FIELDS = ("dateAdded", "dateUpdated", "firstNameLowerCase", "lastNameLowerCase", "fullNameLowerCase",
               "firstName", "lastName", "contactName", "email", "companyName", "businessId", "assignedTo", "source")
DEFAULT_SORT = [("dateAdded", False)]
ORDERS_KEPT = 32  # distinct searches whose answers are kept between writes
OPERATORS = ("eq", "not_eq", "contains", "not_contains", "exists", "not_exists", "range")
RANGE_BOUNDS = {"gte": lambda a, b: a >= b, "gt": lambda a, b: a > b, "lte": lambda a, b: a <= b, "lt": lambda a, b: a < b}


def _extractor(field_name: str) -> Callable[[dict], Any] | None:
    for prefix in ("customFields.", "customField."):
        if field_name.startswith(prefix):
            field_id = field_name[len(prefix):]

            def custom_value(record: dict, field_id: str = field_id) -> Any:
                value = next((c.get("value") for c in record.get("customFields") or () if c.get("id") == field_id), None)
                return value.lower() if isinstance(value, str) else value

            return custom_value
    return SEARCH_FIELDS.get(field_name)


def _normalized(field_name: str, value: Any, where: str) -> Any:
    """A filter or cursor value in the form the field is compared on."""
    if isinstance(value, str) and len(value) > SEARCH_TEXT_LIMIT:
        raise unprocessable(f"{where} must be shorter than or equal to {SEARCH_TEXT_LIMIT} characters")
    if field_name in DATE_FIELDS:
        try:
            return epoch_ms(parse_time(value))
        except (TypeError, ValueError):
            raise unprocessable(f"{where} must be epoch milliseconds or an ISO 8601 date") from None
    if field_name == "phone":
        return phone_key(value)
    return value.lower() if isinstance(value, str) and field_name not in CASE_SENSITIVE else value


def _compile(filters: Any, where: str = "filters", group: str = "AND") -> Callable[[dict], bool]:
    """Search filters -> one predicate; ``{group: AND|OR, filters}`` nests."""
    if not isinstance(filters, list):
        raise unprocessable(f"{where} must be an array")
    tests = []
    for position, item in enumerate(filters):
        here = f"{where}.{position}"
        if not isinstance(item, dict):
            raise unprocessable(f"{here} must be an object")
        if "group" in item:
            if item["group"] not in ("AND", "OR"):
                raise unprocessable(f"{here}.group must be one of the following values: AND, OR")
            tests.append(_compile(item.get("filters"), f"{here}.filters", item["group"]))
        else:
            tests.append(_filter(item, here))
    if len(tests) == 1:
        return tests[0]
    if group == "OR":
        return lambda record: any(test(record) for test in tests)
    return lambda record: all(test(record) for test in tests)


def _filter(item: dict, where: str) -> Callable[[dict], bool]:
    field_name, operator, value = item.get("field"), item.get("operator"), item.get("value")
    extract = _extractor(field_name) if isinstance(field_name, str) else None
    if extract is None:
        raise unprocessable(f"{where}.field {field_name!r} is not a searchable contact field")
    if operator not in OPERATORS:
        raise unprocessable(f"{where}.operator must be one of the following values: {', '.join(OPERATORS)}")
    if operator in ("exists", "not_exists"):
        wanted = operator == "exists"
        return lambda r: (extract(r) not in (None, "", [])) == wanted
    if value is None or value == "" or value == []:
        raise unprocessable(f"{where}.value should not be empty")
    if operator == "range":
        if not isinstance(value, dict) or not value or set(value) - RANGE_BOUNDS.keys():
            raise unprocessable(f"{where}.value must be an object with gte, gt, lte and/or lt")
        bounds = [(RANGE_BOUNDS[k], _normalized(field_name, v, f"{where}.value.{k}")) for k, v in value.items()]
        return lambda r: (x := extract(r)) is not None and not isinstance(x, list) and all(
            _comparable(x, b) and test(x, b) for test, b in bounds
        )
    wanted_values = [_normalized(field_name, v, f"{where}.value") for v in (value if isinstance(value, list) else [value])]
    if operator in ("eq", "not_eq"):
        def equal(r: dict) -> bool:
            x = extract(r)
            have = x if isinstance(x, list) else [x]
            return any(v in have for v in wanted_values)

        return equal if operator == "eq" else lambda r: not equal(r)
    needles = [str(v) for v in wanted_values]

    def contains(r: dict) -> bool:
        x = extract(r)
        have = x if isinstance(x, list) else [] if x is None else [x]
        return any(n in str(h) for n in needles for h in have)

    return contains if operator == "contains" else lambda r: not contains(r)


def _comparable(a: Any, b: Any) -> bool:
    return isinstance(a, str) == isinstance(b, str)


@total_ordering
class _Descending:
    """Wraps a sort value so that ascending order sorts it descending."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Descending) and self.value == other.value

    def __lt__(self, other: _Descending) -> bool:
        return other.value < self.value

    __hash__ = None  # type: ignore[assignment]


def _sort_spec(sort: Any) -> list[tuple[str, bool]]:
    """``[{field, direction}]`` -> [(field, descending)]; HighLevel's default is dateAdded ascending."""
    if sort is None or sort == []:
        return DEFAULT_SORT
    if not isinstance(sort, list):
        raise unprocessable("sort must be an array")
    spec = []
    for position, item in enumerate(sort):
        if not isinstance(item, dict) or item.get("field") not in SORT_FIELDS:
            raise unprocessable(f"sort.{position}.field must be one of the following values: {', '.join(SORT_FIELDS)}")
        direction = item.get("direction", "asc")
        if direction not in ("asc", "desc"):
            raise unprocessable(f"sort.{position}.direction must be one of the following values: asc, desc")
        spec.append((item["field"], direction == "desc"))
    return spec


def _sort_key(spec: list[tuple[str, bool]]) -> Callable[[dict], tuple]:
    """A total order: the sort fields (missing values last), then the id as the tie-breaker."""
    extractors = [(SEARCH_FIELDS[name], descending) for name, descending in spec]

    def key(record: dict) -> tuple:
        parts: list[Any] = []
        for extract, descending in extractors:
            value = extract(record)
            parts.append((1, "") if value is None else (0, _Descending(value) if descending else value))
        parts.append(record["id"])
        return tuple(parts)

    return key


def _cursor_key(spec: list[tuple[str, bool]], search_after: Any) -> tuple:
    if not isinstance(search_after, list) or len(search_after) != len(spec) + 1 or not isinstance(search_after[-1], str):
        raise unprocessable("searchAfter must be the searchAfter array of the previous page's last contact")
    parts: list[Any] = []
    for (name, descending), value in zip(spec, search_after, strict=False):
        if value is None:
            parts.append((1, ""))
            continue
        normalized = _normalized(name, value, "searchAfter")
        parts.append((0, _Descending(normalized) if descending else normalized))
    parts.append(search_after[-1])
    return tuple(parts)


def _ordered(call: Call, spec: list[tuple[str, bool]], criteria: tuple, keep: Callable[[dict], bool]) -> list[dict]:
    """The location's contacts the search finds (``keep``), as the search index sees them, in the sort order.

    Writes show up ``search_index_lag_s`` late. Without lag the answer is kept until the next contact write,
    so paging through 50k contacts filters and sorts them once, not once per page.
    """
    index, table, lag = contact_index(call.state), call.table(CONTACTS), call.state.config.search_index_lag_s
    cache_key = (call.location_id, tuple(spec), json.dumps(criteria, sort_keys=True))
    if lag <= 0 and cache_key in index.orders:
        return index.orders[cache_key]
    records = [table[contact_id] for _, contact_id in index.timeline(call.location_id)]
    if lag > 0:
        cutoff = call.state.epoch() - lag
        records = [
            view for record in records
            if (view := record if record.get("_writtenAt", cutoff) <= cutoff else record.get("_searchView")) is not None
        ]
    if any(criteria):
        records = [r for r in records if keep(r)]
    if spec != DEFAULT_SORT:  # the timeline is already in the default order
        records.sort(key=_sort_key(spec))
    if lag <= 0:
        if len(index.orders) >= ORDERS_KEPT:
            index.orders.clear()
        index.orders[cache_key] = records
    return records


@handles("search_contacts")
def search_contacts(call: Call) -> dict:
    # The official body schema (SearchBodyV2DTO) is empty; the fields below follow HighLevel's search
    # documentation: locationId, page/pageLimit (max 500, 10,000 deep) or searchAfter, filters, sort, query.
    data = call.data
    problems = [f"property {name} should not exist" for name in data if name not in SEARCH_BODY]
    if not data.get("locationId"):
        problems.append("locationId should not be empty")
    if problems:
        raise unprocessable(*problems)
    limit = body_integer(data, "pageLimit", default=None, minimum=1, maximum=call.op.pagination["max_limit"])
    search_after = data.get("searchAfter")
    if search_after is not None and "page" in data:
        raise unprocessable("page must not be sent with searchAfter")
    page = body_integer(data, "page", default=1, minimum=1)
    if search_after is None and page * limit > SEARCH_WINDOW:
        raise unprocessable(f"page * pageLimit must not exceed {SEARCH_WINDOW}; use searchAfter to read further")
    spec = _sort_spec(data.get("sort"))
    predicate = _compile(data.get("filters") or [])
    text = data.get("query")
    if text is not None and not isinstance(text, str):
        raise unprocessable("query must be a string")
    text = (text or "").strip().lower()
    if len(text) > SEARCH_TEXT_LIMIT:
        raise unprocessable(f"query must be shorter than or equal to {SEARCH_TEXT_LIMIT} characters")
    matches = _ordered(call, spec, (data.get("filters"), text), lambda r: predicate(r) and (not text or matches_text(r, text)))
    if search_after is not None:
        start = bisect_right(matches, _cursor_key(spec, search_after), key=_sort_key(spec))
    else:
        start = (page - 1) * limit
    contacts = []
    for record in matches[start : start + limit]:
        contact = listed(record)
        contact["searchAfter"] = [SEARCH_FIELDS[name](record) for name, _ in spec] + [record["id"]]
        contacts.append(contact)
    return {"contacts": contacts, "total": len(matches)}
