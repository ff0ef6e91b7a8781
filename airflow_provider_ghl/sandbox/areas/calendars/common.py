"""What every calendars module shares: the body checker with this area's enums, time and location lookups."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from airflow_provider_ghl.sandbox.bodies import field_problems
from airflow_provider_ghl.sandbox.errors import unprocessable
from airflow_provider_ghl.sandbox.routing import Call
from airflow_provider_ghl.sandbox.state import epoch_ms, iso, parse_time

if TYPE_CHECKING:
    from airflow_provider_ghl.sandbox.state import SandboxState

MAX_EPOCH_MS = 253_370_678_400_000  # 9998-12-31: any later and a local date could overflow datetime
# Enumerations of the official request DTOs, by field name (the same name means the same enum in this area).
ENUMS: dict[str, tuple] = {
    "calendarType": ("round_robin", "event", "class_booking", "collective", "service_booking", "personal"),
    "eventType": ("RoundRobin_OptimizeForAvailability", "RoundRobin_OptimizeForEqualDistribution"),
    "widgetType": ("default", "classic"),
    "slotDurationUnit": ("mins", "hours"),
    "slotIntervalUnit": ("mins", "hours"),
    "slotBufferUnit": ("mins", "hours"),
    "preBufferUnit": ("mins", "hours"),
    "allowBookingAfterUnit": ("hours", "days", "weeks", "months"),
    "allowBookingForUnit": ("days", "weeks", "months"),
    "formSubmitType": ("RedirectURL", "ThankYouMessage"),
    "guestType": ("count_only", "collect_detail"),
    "availabilityType": (0, 1),
    "appointmentStatus": ("new", "confirmed", "cancelled", "showed", "noshow", "invalid"),
    "meetingLocationType": ("custom", "zoom", "gmeet", "phone", "address", "ms_teams", "google"),
    "receiverType": ("contact", "guest", "assignedUser", "emails", "phoneNumbers", "business"),
    "channel": ("email", "inApp", "sms", "whatsapp"),
    "notificationType": ("booked", "confirmation", "cancellation", "reminder", "followup", "reschedule"),
}


V3_ENUMS: dict[str, tuple] = {
    **ENUMS,
    "allowBookingAfterUnit": (*ENUMS["allowBookingAfterUnit"], "mins"),
    "appointmentStatus": (*ENUMS["appointmentStatus"], "completed", "active"),
}
"""v3's request DTOs allow a few more values (calendars-v3.json)."""


def enum_problems(name: str, where: str, value: Any, enums: dict[str, tuple] = ENUMS) -> list[str]:
    if name in enums and value not in enums[name]:
        return [f"{where} must be one of the following values: {', '.join(str(v) for v in enums[name])}"]
    return []


def check_fields(data: dict, types: dict[str, str], prefix: str = "", *, api: str = "v2") -> None:
    """422 naming every field whose type or enum is wrong (``null`` counts as absent, as in HighLevel's DTOs)."""
    enums = V3_ENUMS if api == "v3" else ENUMS
    problems = field_problems(data, types, prefix=prefix,
                              check=lambda name, where, value: enum_problems(name, where, value, enums))
    if problems:
        raise unprocessable(*problems)


def check_body(call: Call) -> dict:
    """The request body, checked against the property types of the form it follows (from the catalog)."""
    data = call.data
    check_fields(data, call.served.body.properties if call.served.body else {}, api=call.api)
    return data


def epoch_query(call: Call, name: str) -> int:
    raw = call.query.get(name, "")
    try:
        value = int(float(raw))
    except (ValueError, OverflowError):
        value = -1
    if not 0 <= value <= MAX_EPOCH_MS:
        raise unprocessable(f"{name} must be a timestamp in milliseconds")
    return value


def body_time(data: dict, name: str) -> datetime | None:
    value = data.get(name)
    if value in (None, ""):
        return None
    try:
        return parse_time(value)
    except (ValueError, TypeError, OverflowError, OSError):
        raise unprocessable(f"{name} must be a valid ISO 8601 date string") from None


def set_times(event: dict, start: datetime, end: datetime) -> None:
    if end <= start:
        raise unprocessable("endTime must be after startTime")
    event.update(startTime=iso(start), endTime=iso(end), _start=epoch_ms(start), _end=epoch_ms(end))


def minutes(amount: float, unit: str | None) -> timedelta:
    return timedelta(hours=amount) if unit == "hours" else timedelta(minutes=amount)


def location_timezone(state: SandboxState, location_id: str) -> ZoneInfo:
    name = state.table("locations").get(location_id, {}).get("timezone") or "UTC"
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def location_records(call: Call, table: str) -> Iterable[dict]:
    return (r for r in call.table(table).values() if r.get("locationId") == call.location_id)


def by_newest(records: Iterable[dict]) -> list[dict]:
    return sorted(records, key=lambda r: (r["dateAdded"], r["id"]), reverse=True)


def known_users(call: Call, user_ids: Iterable[str], field: str) -> None:
    users = call.table("users")
    unknown = [u for u in user_ids if u not in users]
    if unknown:
        raise unprocessable(f"{field} contains unknown user ids: {', '.join(map(str, unknown))}")


def bool_query(call: Call, name: str) -> bool | None:
    raw = call.query.get(name)
    if raw in (None, ""):
        return None
    if raw.lower() not in ("true", "false"):
        raise unprocessable(f"{name} must be a boolean value")
    return raw.lower() == "true"
