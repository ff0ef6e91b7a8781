"""What HighLevel checks in a contacts body: the spec's JSON types, then the formats of emails, phones, dates,
user ids, DND settings and custom field items."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from airflow_provider_ghl.sandbox.areas.contacts.index import phone_key
from airflow_provider_ghl.sandbox.areas.users import user_ids_of_location
from airflow_provider_ghl.sandbox.bodies import EMAIL, field_problems
from airflow_provider_ghl.sandbox.errors import unprocessable
from airflow_provider_ghl.sandbox.routing import Call
from airflow_provider_ghl.sandbox.state import iso, parse_time

DND_CHANNELS = ("Call", "Email", "SMS", "WhatsApp", "GMB", "FB")
"""The channels of ``dndSettings`` as stored and as v2 spells them; v3 spells them ``call``, ``email``, ``sms``,
``whatsApp``, ``gmb``, ``fb`` (its answers are respelled from its schema: ``sandbox/versions.py``)."""
V3_DND_CHANNELS = {"call": "Call", "email": "Email", "sms": "SMS", "whatsApp": "WhatsApp", "gmb": "GMB", "fb": "FB"}
"""v3's spelling of each channel (``ContactDndSettingsDto`` of contacts-v3.json) -> the stored one."""
DND_STATUSES = ("active", "inactive", "permanent")
# The birth-date formats HighLevel documents for dateOfBirth (year first or month first, any of - / . _).
BIRTH_DATE = re.compile(
    r"(?P<y1>\d{4})[-/._](?P<m1>\d{1,2})[-/._](?P<d1>\d{1,2})|(?P<m2>\d{1,2})[-/._](?P<d2>\d{1,2})[-/._](?P<y2>\d{4})"
)
# The spec types dateOfBirth as an object, but HighLevel takes (and returns) a date string.
TYPE_OVERRIDES = {"dateOfBirth": "string"}


def validated(call: Call, data: dict, *, nullable: bool = False) -> dict:
    """The body, after HighLevel's validation: no unknown property, the spec's JSON types, valid values.

    Raises 422 listing every problem, each naming its field (HighLevel's ``forbidNonWhitelisted`` style).
    """
    properties = call.served.body.properties if call.served.body else {}

    def check(name: str, where: str, value: Any) -> list[str]:
        value_check = VALUE_CHECKS.get(name)
        return value_check(call, name, value) if value_check else []

    problems = field_problems(data, {**properties, **TYPE_OVERRIDES}, unknown_forbidden=True, null_allowed=nullable,
                              check=check)
    if problems:
        raise unprocessable(*problems)
    if call.api == "v3":  # stored once, in v2's spelling
        data = {**data, **{name: {V3_DND_CHANNELS.get(k, k): v for k, v in data[name].items()}
                           for name in ("dndSettings",) if isinstance(data.get(name), dict)}}
    return data


def _strings(call: Call, name: str, value: list) -> list[str]:
    return [] if all(isinstance(v, str) for v in value) else [f"each value in {name} must be a string"]


def _users(call: Call, name: str, value: Any) -> list[str]:
    if isinstance(value, list) and (problems := _strings(call, name, value)):
        return problems
    known = set(user_ids_of_location(call.state, call.location_id))
    unknown = [v for v in (value if isinstance(value, list) else [value]) if v not in known]
    return [f"{name} must be user ids of this location; unknown: {', '.join(unknown)}"] if unknown else []


def _email(call: Call, name: str, value: str) -> list[str]:
    return [] if not value or EMAIL.fullmatch(value.strip()) else [f"{name} must be an email"]


def _phone(call: Call, name: str, value: str) -> list[str]:
    digits = phone_key(value) or ""
    return [] if not value or 7 <= len(digits) <= 15 else [f"{name} must be a valid phone number"]


def _timestamp(call: Call, name: str, value: str) -> list[str]:
    try:
        parse_time(value)
    except ValueError:
        return [f"{name} must be a valid ISO 8601 date string"]
    return []


def _birth_date(call: Call, name: str, value: str) -> list[str]:
    return [] if not value or parse_birth_date(value) else [
        f"{name} must be a date as YYYY-MM-DD, MM/DD/YYYY, YYYY/MM/DD or MM-DD-YYYY (separators - / . _)"
    ]


def parse_birth_date(value: str) -> str | None:
    match = BIRTH_DATE.fullmatch(value.strip())
    if not match:
        return None
    parts = match.groupdict()
    year, month, day = (int(parts["y1"] or parts["y2"]), int(parts["m1"] or parts["m2"]), int(parts["d1"] or parts["d2"]))
    try:
        return iso(datetime(year, month, day, tzinfo=UTC))
    except ValueError:
        return None


def _custom_field_items(call: Call, name: str, value: list) -> list[str]:
    return [
        f"{name}.{position}.id should not be empty"
        for position, item in enumerate(value)
        if not isinstance(item, dict) or not (item.get("id") or item.get("key"))
    ]


def _dnd(call: Call, name: str, value: dict) -> list[str]:
    channels, statuses = (("all",), ("active", "inactive")) if name == "inboundDndSettings" else (
        tuple(V3_DND_CHANNELS) if call.api == "v3" else DND_CHANNELS, DND_STATUSES)
    problems = [f"property {name}.{key} should not exist{_spelled(key, channels)}" for key in value if key not in channels]
    for channel, setting in value.items():
        if channel in channels and (not isinstance(setting, dict) or setting.get("status") not in statuses):
            problems.append(f"{name}.{channel}.status must be one of the following values: {', '.join(statuses)}")
    return problems


def _spelled(key: str, channels: tuple[str, ...]) -> str:
    """The hint for a channel spelled as the other API version spells it (``SMS`` sent with ``Version: v3``)."""
    same = [channel for channel in channels if channel.lower() == str(key).lower()]
    return f" (this API version spells it {same[0]})" if same else ""


def _not_blank(call: Call, name: str, value: str) -> list[str]:
    return [] if value.strip() else [f"{name} should not be empty"]


VALUE_CHECKS: dict[str, Callable[[Call, str, Any], list[str]]] = {
    "email": _email, "phone": _phone, "dateOfBirth": _birth_date, "dueDate": _timestamp, "eventStartTime": _timestamp,
    "tags": _strings, "contacts": _strings, "ids": _strings, "followers": _users, "assignedTo": _users,
    "userId": _users, "customFields": _custom_field_items, "dndSettings": _dnd, "inboundDndSettings": _dnd,
    "title": _not_blank, "body": _not_blank,
}


def body_integer(data: dict, name: str, *, default: int | None, minimum: int, maximum: int | None = None) -> int:
    value = data.get(name)
    if value is None:
        if default is None:
            raise unprocessable(f"{name} should not be empty")
        return default
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
        raise unprocessable(f"{name} must be an integer number")
    if value < minimum:
        raise unprocessable(f"{name} must not be less than {minimum}")
    if maximum is not None and value > maximum:
        raise unprocessable(f"{name} must not be greater than {maximum}")
    return int(value)
