"""Free slots: a calendar's open hours stepped by its slot interval, minus what is booked or blocked."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from airflow_provider_ghl.sandbox.areas.calendars.common import epoch_query, location_timezone, minutes
from airflow_provider_ghl.sandbox.errors import unprocessable
from airflow_provider_ghl.sandbox.routing import Call, handles
from airflow_provider_ghl.sandbox.state import epoch_ms

if TYPE_CHECKING:
    from airflow_provider_ghl.sandbox.state import SandboxState

DAY_MS = 86_400_000
MAX_SLOT_WINDOW_MS = 31 * DAY_MS
# Statuses that no longer hold their slot.
RELEASED_STATUSES = frozenset({"cancelled", "invalid"})


def busy_intervals(state: SandboxState, calendar: dict, start_ms: int, end_ms: int, users: set[str],
                   except_event: str | None = None) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """(appointments, blocks) of the calendar touching the window; ``users`` narrows the appointments."""
    appointments, blocks = [], []
    for event in state.table("events").values():
        if event["calendarId"] != calendar["id"] or event["_end"] <= start_ms or event["_start"] >= end_ms:
            continue
        if event["id"] == except_event:
            continue
        if event.get("_block"):
            blocks.append((event["_start"], event["_end"]))
        elif event["appointmentStatus"] not in RELEASED_STATUSES and (
                not users or event.get("assignedUserId") in users):
            appointments.append((event["_start"], event["_end"]))
    return appointments, blocks


def free_slots(state: SandboxState, calendar: dict, start_ms: int, end_ms: int,
               users: set[str] | None = None, except_event: str | None = None) -> list[datetime]:
    """Free slot starts: open hours (in the location's time zone) stepped by the slot interval, minus what is
    booked or blocked. Like HighLevel, past slots are never free and a slot holds ``appoinmentPerSlot`` bookings.
    """
    zone = location_timezone(state, calendar["locationId"])
    duration = minutes(calendar.get("slotDuration") or 30, calendar.get("slotDurationUnit"))
    step = minutes(calendar.get("slotInterval") or calendar.get("slotDuration") or 30,
                   calendar.get("slotIntervalUnit"))
    capacity = calendar.get("appoinmentPerSlot") or 1
    duration_ms = int(duration.total_seconds() * 1000)
    appointments, blocks = busy_intervals(state, calendar, start_ms, end_ms + duration_ms, users or set(),
                                          except_event)
    earliest = max(start_ms, epoch_ms(state.now()))
    day = datetime.fromtimestamp(start_ms / 1000, zone).date()
    last_day = datetime.fromtimestamp(end_ms / 1000, zone).date()
    slots: list[datetime] = []
    while day <= last_day:
        weekday = (day.weekday() + 1) % 7  # HighLevel numbers days like JavaScript: 0 is Sunday
        midnight = datetime.combine(day, time(0), zone)
        for rule in calendar.get("openHours") or []:
            if weekday not in rule.get("daysOfTheWeek", ()):
                continue
            for hours in rule.get("hours", ()):
                moment = midnight + timedelta(hours=hours["openHour"], minutes=hours["openMinute"])
                closing = midnight + timedelta(hours=hours["closeHour"], minutes=hours["closeMinute"])
                while moment + duration <= closing:
                    slot_start = epoch_ms(moment)
                    slot_end = slot_start + duration_ms
                    if earliest <= slot_start <= end_ms \
                            and not any(s < slot_end and e > slot_start for s, e in blocks) \
                            and sum(s < slot_end and e > slot_start for s, e in appointments) < capacity:
                        slots.append(moment)
                    moment += step
        day += timedelta(days=1)
    return sorted(set(slots))


@handles("get_free_slots")
def get_free_slots(call: Call) -> dict:
    calendar = call.record("calendars", call.path["calendarId"], "Calendar")
    start_ms, end_ms = epoch_query(call, "startDate"), epoch_query(call, "endDate")
    if end_ms < start_ms:
        raise unprocessable("endDate must be after startDate")
    if end_ms - start_ms > MAX_SLOT_WINDOW_MS:
        raise unprocessable("Date range cannot be more than 31 days")
    # ``timezone`` only changes how the slots are written; open hours stay in the location's time zone.
    zone = location_timezone(call.state, calendar["locationId"])
    if call.query.get("timezone"):
        try:
            zone = ZoneInfo(call.query["timezone"])
        except (ZoneInfoNotFoundError, ValueError):
            raise unprocessable("timezone must be a valid IANA time zone") from None
    users = set(call.query_lists.get("userIds", [])) | set(call.query_lists.get("userIds[]", []))
    if call.query.get("userId"):
        users.add(call.query["userId"])
    # The spec's example answer has one key per day; days without a free slot are left out.
    days: dict[str, dict[str, list[str]]] = {}
    for slot in free_slots(call.state, calendar, start_ms, end_ms, users):
        local = slot.astimezone(zone)
        days.setdefault(local.date().isoformat(), {"slots": []})["slots"].append(local.isoformat())
    return days
