"""Calendars: the defaults HighLevel fills in, the settings a body may change, and their CRUD."""

from __future__ import annotations

import re
from collections.abc import Iterable

from airflow_provider_ghl.sandbox.areas.calendars.common import bool_query, check_body, known_users, location_records
from airflow_provider_ghl.sandbox.errors import unprocessable
from airflow_provider_ghl.sandbox.records import public
from airflow_provider_ghl.sandbox.routing import Call, handles

WEEKDAYS = (1, 2, 3, 4, 5)


def calendar_defaults(name: str) -> dict:
    """What HighLevel fills in when a calendar is created without these settings (the DTO's defaults)."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return {
        "isActive": True, "description": "", "slug": slug, "widgetSlug": slug, "calendarType": "event",
        "eventType": "RoundRobin_OptimizeForAvailability", "widgetType": "classic",
        "eventTitle": "{{contact.name}}", "eventColor": "#039be5", "teamMembers": [], "locationConfigurations": [],
        "slotDuration": 30, "slotDurationUnit": "mins", "slotInterval": 30, "slotIntervalUnit": "mins",
        "slotBuffer": 0, "preBuffer": 0, "appoinmentPerSlot": 1, "appoinmentPerDay": 0,
        "allowBookingAfter": 0, "allowBookingAfterUnit": "hours", "allowBookingFor": 30,
        "allowBookingForUnit": "days", "openHours": [office_hours(WEEKDAYS, 9, 17)], "enableRecurring": False,
        "autoConfirm": True, "googleInvitationEmails": False, "allowReschedule": True, "allowCancellation": True,
        "formSubmitType": "ThankYouMessage", "formSubmitThanksMessage": "Thank you for your appointment request.",
        "availabilityType": 0, "availabilities": [], "notes": "",
    }


def office_hours(days: Iterable[int], open_hour: int, close_hour: int) -> dict:
    return {"daysOfTheWeek": list(days),
            "hours": [{"openHour": open_hour, "openMinute": 0, "closeHour": close_hour, "closeMinute": 0}]}


def team_member(user_id: str, primary: bool = False) -> dict:
    return {"userId": user_id, "priority": 0.5, "meetingLocationType": "custom", "isPrimary": primary}


def apply_calendar_settings(call: Call, calendar: dict, data: dict) -> None:
    if data.get("groupId"):
        call.record("calendar_groups", data["groupId"], "Group")
    members = data.get("teamMembers")
    if members is not None:
        problems = [f"teamMembers.{i}.userId must be a string" for i, m in enumerate(members)
                    if not isinstance(m, dict) or not isinstance(m.get("userId"), str) or not m["userId"]]
        if problems:
            raise unprocessable(*problems)
        known_users(call, [m["userId"] for m in members], "teamMembers")
        data = {**data, "teamMembers": [{**team_member(m["userId"]), **m} for m in members]}
    # Free slots step through these, so a zero or negative length would never end.
    problems = [f"{name} must not be less than 1" for name in ("slotDuration", "slotInterval")
                if isinstance(data.get(name), int | float) and data[name] < 1]
    problems += open_hours_problems(data.get("openHours") or [])
    if problems:
        raise unprocessable(*problems)
    settable = set(call.served.body.properties) - {"locationId", "meetingLocation"}
    calendar.update({k: v for k, v in data.items() if k in settable and v is not None})


def open_hours_problems(rules: list) -> list[str]:
    """What is wrong with an ``openHours`` list (``OpenHour``/``Hour`` of the spec: days 0-6, hours 0-23)."""
    problems = []
    limits = {"openHour": 23, "openMinute": 60, "closeHour": 23, "closeMinute": 60}
    for index, rule in enumerate(rules):
        where = f"openHours.{index}"
        if not isinstance(rule, dict) or not isinstance(rule.get("daysOfTheWeek"), list) \
                or not isinstance(rule.get("hours"), list):
            problems.append(f"{where} must have daysOfTheWeek and hours arrays")
            continue
        if not all(isinstance(d, int) and 0 <= d <= 6 for d in rule["daysOfTheWeek"]):
            problems.append(f"{where}.daysOfTheWeek must hold numbers from 0 (Sunday) to 6")
        for position, hours in enumerate(rule["hours"]):
            if not isinstance(hours, dict) or not all(
                    isinstance(hours.get(k), int) and 0 <= hours[k] <= top for k, top in limits.items()):
                problems.append(f"{where}.hours.{position} needs openHour, openMinute, closeHour, closeMinute "
                                "(hours 0-23, minutes 0-60)")
    return problems


@handles("list_calendars")
def list_calendars(call: Call) -> dict:
    group_id = call.query.get("groupId")
    # showDrafted defaults to true; a drafted calendar is one that is not active (yet).
    show_drafted = bool_query(call, "showDrafted") is not False
    calendars = [
        public(c) for c in location_records(call, "calendars")
        if (not group_id or c.get("groupId") == group_id) and (show_drafted or c.get("isActive", True))
    ]
    return {"calendars": calendars}


@handles("get_calendar")
def get_calendar(call: Call) -> dict:
    return {"calendar": public(call.record("calendars", call.path["calendarId"], "Calendar"))}


@handles("create_calendar")
def create_calendar(call: Call) -> dict:
    data = check_body(call)
    calendar = {"id": call.state.new_id(), "locationId": call.location_id, "name": data["name"],
                **calendar_defaults(data["name"])}
    apply_calendar_settings(call, calendar, data)
    if calendar["calendarType"] == "round_robin" and not calendar["teamMembers"]:
        raise unprocessable("teamMembers should not be empty for a round_robin calendar")
    call.state.insert("calendars", calendar)
    return {"calendar": public(calendar)}


@handles("update_calendar")
def update_calendar(call: Call) -> dict:
    calendar = call.record("calendars", call.path["calendarId"], "Calendar")
    apply_calendar_settings(call, calendar, check_body(call))
    return {"calendar": public(calendar)}


@handles("delete_calendar")
def delete_calendar(call: Call) -> dict:
    calendar = call.record("calendars", call.path["calendarId"], "Calendar")
    del call.table("calendars")[calendar["id"]]
    notifications = call.table("calendar_notifications")
    for notification_id in [n["id"] for n in notifications.values() if n["calendarId"] == calendar["id"]]:
        del notifications[notification_id]
    return {"success": True}
