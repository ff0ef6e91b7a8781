"""Writing contacts: applying a checked body, the derived name fields, ``dateUpdated`` stamps, the lagging search
view, and the duplicate rule (a location may refuse a second contact with the same email or phone)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from airflow_provider_ghl.sandbox.areas.contacts.checks import parse_birth_date
from airflow_provider_ghl.sandbox.areas.contacts.index import CONTACTS, contact_index, phone_key, updated_ms
from airflow_provider_ghl.sandbox.routing import Call, Reply
from airflow_provider_ghl.sandbox.state import epoch_ms, iso, parse_time

if TYPE_CHECKING:
    from airflow_provider_ghl.sandbox.state import SandboxState

# Body keys that steer a write but are not contact fields.
NOT_STORED = frozenset({"locationId", "createNewIfDuplicateAllowed"})


def trace_id() -> str:
    return str(uuid.uuid4())


def contact_custom_fields(state: SandboxState, location_id: str | None) -> list[dict]:
    return [
        f for f in state.table("custom_fields").values()
        if f.get("locationId") == location_id and f.get("model", "contact") in ("contact", "all")
    ]


def normalized_tags(values: Iterable[str]) -> list[str]:
    """HighLevel stores tags trimmed and lower-cased, each once."""
    return list(dict.fromkeys(t.strip().lower() for t in values if t.strip()))


def derive_names(record: dict) -> None:
    """The fields HighLevel computes from the names and email."""
    first, last = record.get("firstName") or "", record.get("lastName") or ""
    full = f"{first} {last}".strip()
    derived = {
        "contactName": full, "name": full, "firstNameLowerCase": first.lower(), "lastNameLowerCase": last.lower(),
        "fullNameLowerCase": full.lower(), "emailLowerCase": (record.get("email") or "").lower(),
    }
    for key, value in derived.items():
        if value:
            record[key] = value
        else:
            record.pop(key, None)


def apply_changes(call: Call, record: dict, changes: dict) -> None:
    """Write a validated create/update/upsert body into a contact (``None`` clears a field)."""
    if changes.get("name") and "firstName" not in changes and "lastName" not in changes:
        first, _, last = changes["name"].strip().partition(" ")
        changes = {**changes, "firstName": first, "lastName": last.strip() or None}
    for key, value in changes.items():
        if key in NOT_STORED or key == "name":
            continue
        if key == "tags":
            record["tags"] = normalized_tags(value or [])
        elif key == "customFields":
            record["customFields"] = _merged_custom_fields(call, record.get("customFields") or [], value or [])
        elif value is None or value == "":
            record.pop(key, None)
        elif key == "phone":
            record["phone"] = "+" + (phone_key(value) or "")
        elif key == "email":
            record["email"] = value.strip()
        elif key == "dateOfBirth":
            record["dateOfBirth"] = parse_birth_date(value)
        else:
            record[key] = value
    derive_names(record)


def _merged_custom_fields(call: Call, current: list[dict], items: list[dict]) -> list[dict]:
    """Merge by field id; a field is named by ``id`` or ``key`` and valued by ``value``/``field_value``/``fieldValue``.

    HighLevel silently drops ids that are not custom fields of the location, and clears a field set to "".
    """
    known = {f["id"]: f for f in contact_custom_fields(call.state, call.location_id)}
    by_key = {f.get("fieldKey"): i for i, f in known.items()} | {
        str(f.get("fieldKey", "")).partition(".")[2]: i for i, f in known.items()
    }
    values = {item["id"]: item.get("value") for item in current}
    for item in items:
        field_id = item.get("id") if item.get("id") in known else by_key.get(item.get("key"))
        if field_id is None:
            continue
        value = next((item[k] for k in ("value", "field_value", "fieldValue") if k in item), None)
        if value in (None, "", []):
            values.pop(field_id, None)
        else:
            values[field_id] = value
    return [{"id": i, "value": v} for i, v in values.items()]


def bump_updated(call: Call, record: dict) -> None:
    """Stamp a write: dateUpdated becomes now, but never moves backwards (clock changes, future-dated seeds)."""
    moment = max(epoch_ms(call.state.now()), updated_ms(record))
    record["dateUpdated"] = iso(datetime.fromtimestamp(moment / 1000, tz=UTC))
    record["_updatedMs"] = moment


def touch_contact(call: Call, record: dict) -> None:
    """Before a contact write: keep what the lagging search index still shows, then bump dateUpdated."""
    lag = call.state.config.search_index_lag_s
    if lag > 0:
        now = call.state.epoch()
        if not record.get("_writtenAt", float("-inf")) > now - lag:  # the index has caught up with the last write
            record["_searchView"] = {k: v for k, v in record.items() if k != "_searchView"}
        record["_writtenAt"] = now
    contact_index(call.state).orders.clear()
    bump_updated(call, record)


def new_contact(call: Call, changes: dict) -> dict:
    now = call.now()
    record: dict[str, Any] = {
        "id": call.state.new_id(), "locationId": call.location_id, "type": "lead", "tags": [], "customFields": [],
        "followers": [], "dnd": False, "dateAdded": now, "dateUpdated": now,
        "_addedMs": epoch_ms(parse_time(now)), "_updatedMs": epoch_ms(parse_time(now)),
        "_tasks": [], "_notes": [], "_campaigns": [], "_workflows": {},
    }
    if call.state.config.search_index_lag_s > 0:
        record["_searchView"], record["_writtenAt"] = None, call.state.epoch()
    apply_changes(call, record, changes)
    index = contact_index(call.state)
    call.state.insert(CONTACTS, record)
    index.add(record)
    return record


def change_contact(call: Call, record: dict, changes: dict) -> None:
    index = contact_index(call.state)
    touch_contact(call, record)
    index.forget(record)
    apply_changes(call, record, changes)
    index.learn(record)


def allows_duplicates(call: Call) -> bool:
    location = call.table("locations").get(call.location_id) or {}
    return bool((location.get("settings") or {}).get("allowDuplicateContact"))


def duplicate_refusal(match: tuple[dict, str]) -> Reply:
    contact, matching_field = match
    return Reply(400, {
        "statusCode": 400, "message": "This location does not allow duplicated contacts.",
        "meta": {"contactName": contact.get("contactName", ""), "contactId": contact["id"], "matchingField": matching_field},
        "traceId": trace_id(),
    })
