"""What the reporting areas' handlers share: the ``altId`` location check, date ranges, paging with totals, how a
record is answered, and the linked contact's details.

Records are stored in their API shape under the table key ``id``; HighLevel names that id ``_id`` in invoices,
payments and products (``answer``), while forms and submissions answer ``id`` as stored.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from airflow_provider_ghl.sandbox.errors import forbidden, not_found, unprocessable
from airflow_provider_ghl.sandbox.records import public
from airflow_provider_ghl.sandbox.routing import Call
from airflow_provider_ghl.sandbox.second_tier import check_body_types

DEFAULT_LIMIT = 10
MAX_LIMIT = 100


def location_of(call: Call) -> str:
    """The location a reporting request addresses: ``altId`` (with ``altType=location``) in the query or body,
    else the catalog's placement (``locationId``), else the token's. Another location's is a 403, as the gateway
    answers for ``locationId``."""
    alt = call.query.get("altId") or call.data.get("altId")
    alt_type = call.query.get("altType") or call.data.get("altType") or "location"
    if alt_type != "location":
        raise unprocessable("altType must be one of the following values: location")
    location = alt or call.location_id
    if location and call.token.user_type == "Location" and location != call.token.location_id:
        raise forbidden("The token does not have access to this location.")
    return location or call.token.location_id or ""


def owned(call: Call, table: str, record_id: str, what: str, *, location_field: str = "altId") -> dict:
    """A record of the request's location, or HighLevel's 404."""
    record = call.table(table).get(record_id)
    if record is None or record.get(location_field) != location_of(call):
        raise not_found(what)
    return record


def answer(record: dict) -> dict:
    """A stored record as HighLevel answers it: its id as ``_id``, no sandbox bookkeeping."""
    return {"_id": record["id"], **public(record, without=("id",))}


def checked_body(call: Call) -> dict:
    """The JSON body, its field types checked against the official request schema (a 422 naming the field)."""
    check_body_types(call)
    return call.data


def day_bound(value: str, name: str, *, end: bool) -> datetime:
    """``YYYY-MM-DD`` (the whole day: its start, or the start of the next for an end) or an ISO 8601 instant."""
    try:
        if len(value) == 10:
            moment = datetime.combine(date.fromisoformat(value), datetime.min.time(), UTC)
            return moment + timedelta(days=1) if end else moment
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise unprocessable(f"{name} must be a date in YYYY-MM-DD format") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def in_range(call: Call, field: str, default_start: datetime | None = None) -> Callable[[dict], bool]:
    """The records whose ``field`` lies in the query's ``startAt``..``endAt`` (both optional, days inclusive)."""
    start_text, end_text = call.query.get("startAt"), call.query.get("endAt")
    start = day_bound(start_text, "startAt", end=False) if start_text else default_start
    end = day_bound(end_text, "endAt", end=True) if end_text else None

    def keep(record: dict) -> bool:
        stamp = record.get(field)
        if not stamp:
            return start is None and end is None
        moment = day_bound(stamp, field, end=False)
        return (start is None or moment >= start) and (end is None or moment < end)

    return keep


def matching(records: Iterable[dict], call: Call, equal: dict[str, str]) -> list[dict]:
    """``records`` whose fields equal the query's filters (query name -> record field) where the query gives them."""
    wanted = {field: call.query[name] for name, field in equal.items() if call.query.get(name)}
    return [r for r in records if all(str(r.get(field)) == value for field, value in wanted.items())]


PAYMENT_MODES = {"live": True, "test": False}
"""``paymentMode`` -> the records' ``liveMode``."""


def in_payment_mode(records: Iterable[dict], call: Call) -> list[dict]:
    """``records`` of the query's ``paymentMode`` (live or test), all where it names neither."""
    mode = call.query.get("paymentMode")
    if mode not in PAYMENT_MODES:
        return list(records)
    return [r for r in records if r["liveMode"] is PAYMENT_MODES[mode]]


def given(data: dict, fields: Iterable[str]) -> dict:
    """The ``fields`` a create or update body gives a value (a ``null`` leaves the stored one)."""
    return {k: data[k] for k in fields if data.get(k) is not None}


def searched(records: Iterable[dict], text: str | None, fields: tuple[str, ...]) -> list[dict]:
    """``records`` where any of ``fields`` (dotted paths) contains ``text`` (case-insensitive); all without ``text``."""
    if not text:
        return list(records)
    needle = text.lower()

    def value(record: dict, path: str) -> Any:
        for part in path.split("."):
            record = record.get(part) if isinstance(record, dict) else None
        return record

    return [r for r in records if any(needle in str(value(r, f) or "").lower() for f in fields)]


def ordered(records: list[dict], call: Call, default_field: str = "createdAt") -> list[dict]:
    """Sorted by ``sortField`` (else ``default_field``), ``sortOrder`` ``asc`` (default) or ``desc``; ties by id, so
    offset pages never overlap."""
    field = call.query.get("sortField") or default_field
    descending = call.query.get("sortOrder", "asc").lower() == "desc"

    def key(record: dict) -> tuple:
        value = record.get(field)
        numeric = isinstance(value, int | float) and not isinstance(value, bool)  # totals sort as numbers
        return (0, value, record["id"]) if numeric else (1, str(value or ""), record["id"])

    return sorted(records, key=key, reverse=descending)


def offset_slice(call: Call, records: list[dict]) -> list[dict]:
    """One page by the operation's offset and limit parameters (the catalog's names)."""
    paging = call.op.pagination
    offset = call.int_query(paging["offset_param"], 0)
    limit = call.int_query(paging["limit_param"], DEFAULT_LIMIT, minimum=1, maximum=MAX_LIMIT)
    return records[offset : offset + limit]


def page_number_slice(call: Call, records: list[dict]) -> tuple[list[dict], dict]:
    """One page by ``page`` (from 1) and ``limit``, with HighLevel's ``meta`` (total, current, next, previous)."""
    paging = call.op.pagination
    page = call.int_query(paging["page_param"], 1, minimum=1)
    limit = call.int_query(paging["limit_param"], DEFAULT_LIMIT * 2, minimum=1, maximum=MAX_LIMIT)
    start = (page - 1) * limit
    meta = {"total": len(records), "currentPage": page,
            "nextPage": page + 1 if start + limit < len(records) else None, "prevPage": page - 1 if page > 1 else None}
    return records[start : start + limit], meta


def contact_of(call: Call, contact_id: str | None, location_id: str) -> dict | None:
    """The location's contact ``contact_id`` (an unknown one is a 422 naming the field), or ``None`` without one."""
    if not contact_id:
        return None
    contact = call.table("contacts").get(contact_id)
    if contact is None or contact.get("locationId") != location_id:
        raise unprocessable(f"contactId {contact_id} is not a contact of this location")
    return contact


def contact_name(contact: dict) -> str:
    return " ".join(part for part in (contact.get("firstName"), contact.get("lastName")) if part) or "Unknown"


def contact_details(contact: dict) -> dict:
    """An invoice's ``contactDetails``: HighLevel copies the contact into the invoice."""
    return {"id": contact["id"], "name": contact_name(contact), "email": contact.get("email") or "",
            "phoneNo": contact.get("phone") or "", "companyName": contact.get("companyName") or ""}
