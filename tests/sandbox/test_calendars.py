"""The sandbox's calendars area over real HTTP: every operation, state round trips, windows, paging, errors."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from airflow_provider_ghl.catalog import operations
from tests.sandbox.answers import assert_error_shape, checked

AREA = "calendars"
COVERED: set[str] = set()
DAY_MS = 86_400_000


@pytest.fixture
def ghl(fresh_sandbox):
    """Call a catalog operation by key; check the status; validate success bodies against the official schema.

    One keep-alive client per test (like ``api``, with the full token): a new client per request costs more than
    the sandbox's answer.
    """
    token = fresh_sandbox.connection("full")["password"]
    client = httpx.Client(base_url=fresh_sandbox.base_url, headers={"Authorization": f"Bearer {token}"}, timeout=30)

    def call(key: str, expect: int | None = None, *, path: dict[str, str] | None = None,
             params: dict[str, Any] | None = None, json: Any = None) -> Any:
        op = operations()[key]
        response = client.request(op.method, op.render_path(path or {}), headers={"Version": op.version},
                                  params=params, json=json)
        return checked(op, response, expect, COVERED)

    call.location_id = fresh_sandbox.location_id
    call.sandbox = fresh_sandbox
    with client:
        yield call




def ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def seeded(ghl, table: str) -> list[dict]:
    return ghl.sandbox.control("GET", f"tables/{table}")


def calendar_named(ghl, name: str) -> dict:
    calendars = ghl("list_calendars", params={"locationId": ghl.location_id})["calendars"]
    return next(c for c in calendars if c["name"] == name)


def a_contact(ghl) -> str:
    contacts = [c for c in seeded(ghl, "contacts") if c.get("locationId") == ghl.location_id]
    assert contacts, "the contacts area seeds no contacts: appointments need one"
    return contacts[0]["id"]


def seed_window() -> tuple[int, int]:
    now = datetime.now(UTC)
    return ms(now - timedelta(days=92)), ms(now + timedelta(days=32))


def all_events(ghl, calendars: list[dict], key: str = "list_calendar_events") -> list[dict]:
    start, end = seed_window()
    events = []
    for calendar in calendars:
        events += ghl(key, params={"locationId": ghl.location_id, "calendarId": calendar["id"],
                                   "startTime": str(start), "endTime": str(end)})["events"]
    return events


# -- groups --------------------------------------------------------------------------------------------
def test_calendar_groups_round_trip(ghl):
    location = ghl.location_id
    groups = ghl("list_calendar_groups", params={"locationId": location})["groups"]
    assert len(groups) == 3 and {g["slug"] for g in groups} >= {"sales"}
    assert ghl("validate_calendar_group_slug", json={"locationId": location, "slug": "sales"}) == {"available": False}
    assert ghl("validate_calendar_group_slug", json={"locationId": location, "slug": "vip-clients"}) == {
        "available": True}

    created = ghl("create_calendar_group", json={"locationId": location, "name": "VIP", "description": "Top accounts",
                                                 "slug": "vip-clients"})["group"]
    assert created["isActive"] is True and created["slug"] == "vip-clients"
    listed = {g["id"]: g for g in ghl("list_calendar_groups", params={"locationId": location})["groups"]}
    assert listed[created["id"]]["name"] == "VIP"
    assert ghl("validate_calendar_group_slug", json={"locationId": location, "slug": "vip-clients"}) == {
        "available": False}
    taken = ghl("create_calendar_group", 422, json={"locationId": location, "name": "Again", "description": "x",
                                                    "slug": "vip-clients"})
    assert_error_shape(taken, 422, "slug")

    path = {"group_id": created["id"]}
    updated = ghl("update_calendar_group", path=path, json={"name": "VIP+", "description": "Top", "slug": "vip"})
    assert updated["group"]["name"] == "VIP+"
    assert ghl("update_calendar_group_status", path=path, json={"isActive": False}) == {"success": True}
    listed = {g["id"]: g for g in ghl("list_calendar_groups", params={"locationId": location})["groups"]}
    assert listed[created["id"]]["slug"] == "vip" and listed[created["id"]]["isActive"] is False
    assert_error_shape(ghl("update_calendar_group_status", 422, path=path, json={"isActive": "no"}), 422, "isActive")

    assert ghl("delete_calendar_group", path=path) == {"success": True}
    assert created["id"] not in {g["id"] for g in ghl("list_calendar_groups", params={"locationId": location})["groups"]}
    assert ghl("delete_calendar_group", 404, path=path)["message"] == "Group not found"
    assert_error_shape(ghl("create_calendar_group", 422, json={"locationId": location, "slug": "x"}), 422,
                 "name", "description")


# -- calendars -----------------------------------------------------------------------------------------
def test_calendars_round_trip(ghl):
    location = ghl.location_id
    calendars = ghl("list_calendars", params={"locationId": location})["calendars"]
    assert len(calendars) == 7
    drafts = [c for c in calendars if not c["isActive"]]
    active = ghl("list_calendars", params={"locationId": location, "showDrafted": "false"})["calendars"]
    assert len(active) == len(calendars) - len(drafts) > 0
    sales = next(g for g in ghl("list_calendar_groups", params={"locationId": location})["groups"]
                 if g["slug"] == "sales")
    in_sales = ghl("list_calendars", params={"locationId": location, "groupId": sales["id"]})["calendars"]
    assert in_sales and all(c["groupId"] == sales["id"] for c in in_sales)

    members = [m["userId"] for c in calendars for m in c["teamMembers"]]
    assert members, "seeded calendars have team members from the users table"
    body = {"locationId": location, "name": "Intro Call", "calendarType": "round_robin", "slotDuration": 15,
            "groupId": sales["id"], "teamMembers": [{"userId": members[0], "isPrimary": True}],
            "openHours": [{"daysOfTheWeek": [1, 2], "hours": [{"openHour": 8, "openMinute": 0, "closeHour": 12,
                                                                "closeMinute": 0}]}]}
    created = ghl("create_calendar", json=body)["calendar"]
    path = {"calendar_id": created["id"]}
    fetched = ghl("get_calendar", path=path)["calendar"]
    assert fetched["slotDuration"] == 15 and fetched["teamMembers"][0]["userId"] == members[0]
    assert created["id"] in {c["id"] for c in ghl("list_calendars", params={"locationId": location})["calendars"]}

    ghl("update_calendar", path=path, json={"name": "Intro Call (long)", "slotDuration": 45})
    fetched = ghl("get_calendar", path=path)["calendar"]
    assert (fetched["name"], fetched["slotDuration"]) == ("Intro Call (long)", 45)

    assert ghl("delete_calendar", path=path) == {"success": True}
    assert ghl("get_calendar", 404, path=path)["message"] == "Calendar not found"

    bad = ghl("create_calendar", 422, json={"locationId": location, "name": "X", "calendarType": "party",
                                            "slotDuration": "long"})
    assert_error_shape(bad, 422, "calendarType", "slotDuration")
    assert_error_shape(ghl("create_calendar", 422, json={"locationId": location}), 422, "name")
    assert_error_shape(ghl("create_calendar", 422, json={"locationId": location, "name": "RR", "calendarType":
                                                   "round_robin"}), 422, "teamMembers")
    assert_error_shape(ghl("create_calendar", 422, json={"locationId": location, "name": "U", "teamMembers":
                                                   [{"userId": "nobody"}]}), 422, "teamMembers")
    endless = {"slotInterval": 0, "openHours": [{"daysOfTheWeek": [7], "hours": [{"openHour": 9}]}]}
    assert_error_shape(ghl("update_calendar", 422, path={"calendar_id": calendars[0]["id"]}, json=endless), 422,
                 "slotInterval", "openHours.0.daysOfTheWeek", "openHours.0.hours.0")


# -- free slots ----------------------------------------------------------------------------------------
def test_free_slots_follow_open_hours_bookings_and_blocks(ghl):
    calendar = calendar_named(ghl, "Consultation")  # personal, 30 min, Mon-Fri 9-17, one booking per slot
    zone = ZoneInfo(next(loc["timezone"] for loc in seeded(ghl, "locations") if loc["id"] == ghl.location_id))
    start = datetime.now(UTC) + timedelta(days=1)
    params = {"startDate": ms(start), "endDate": ms(start + timedelta(days=14))}
    path = {"calendar_id": calendar["id"]}
    days = ghl("get_free_slots", path=path, params=params)
    assert days, "two weeks of a weekday calendar have free slots"
    for day, entry in days.items():
        for slot in entry["slots"]:
            local = datetime.fromisoformat(slot)
            assert local.date().isoformat() == day and local.utcoffset() == local.astimezone(zone).utcoffset()
            assert local.isoweekday() <= 5 and 9 <= local.hour < 17 and local.minute in (0, 30)
            assert ms(start) <= ms(local) <= params["endDate"]

    # A booked slot is no longer free; booking it again is refused.
    day, entry = next(iter(days.items()))
    slot = entry["slots"][0]
    contact = a_contact(ghl)
    booking = {"calendarId": calendar["id"], "locationId": ghl.location_id, "contactId": contact, "startTime": slot}
    booked = ghl("create_appointment", json=booking)
    assert datetime.fromisoformat(booked["startTime"].replace("Z", "+00:00")) == datetime.fromisoformat(slot)
    after = ghl("get_free_slots", path=path, params=params)
    assert slot not in after.get(day, {"slots": []})["slots"]
    assert ghl("create_appointment", 400, json=booking)["message"] == "The slot you have selected is no longer available."

    # A blocked hour removes the slots in it.
    block_start = datetime.fromisoformat(after[day]["slots"][0])
    blocked = [s for s in after[day]["slots"] if datetime.fromisoformat(s) < block_start + timedelta(hours=1)]
    ghl("create_block_slot", json={"calendarId": calendar["id"], "locationId": ghl.location_id, "title": "Busy",
                                   "startTime": block_start.isoformat(),
                                   "endTime": (block_start + timedelta(hours=1)).isoformat()})
    remaining = ghl("get_free_slots", path=path, params=params).get(day, {"slots": []})["slots"]
    assert not set(blocked) & set(remaining)

    utc = ghl("get_free_slots", path=path, params={**params, "timezone": "UTC"})
    assert all(s.endswith("+00:00") for entry in utc.values() for s in entry["slots"])
    too_long = ghl("get_free_slots", 422, path=path,
                   params={"startDate": params["startDate"], "endDate": params["startDate"] + 32 * DAY_MS})
    assert_error_shape(too_long, 422, "31 days")
    assert_error_shape(ghl("get_free_slots", 422, path=path, params={"startDate": params["startDate"]}), 422, "endDate")
    ghl("get_free_slots", 404, path={"calendar_id": "missing"}, params=params)


# -- events in a window ------------------------------------------------------------------------------
def test_calendar_events_windows_and_filters(ghl):
    location = ghl.location_id
    calendars = ghl("list_calendars", params={"locationId": location})["calendars"]
    events = all_events(ghl, calendars)
    assert len(events) >= 40 and len({e["id"] for e in events}) == len(events)
    now = datetime.now(UTC)
    starts = [datetime.fromisoformat(e["startTime"].replace("Z", "+00:00")) for e in events]
    assert min(starts) < now - timedelta(days=60) and max(starts) > now + timedelta(days=14)
    assert max(Counter(e["startTime"] for e in events).values()) > 1, "the seed has ties in startTime"
    assert max(Counter(e["dateAdded"] for e in events).values()) > 1, "the seed has ties in dateAdded"
    assert {e["appointmentStatus"] for e in events} >= {"confirmed", "showed", "cancelled", "new"}

    # Consecutive windows over the busiest calendars: every event once per window it overlaps, none lost.
    first, last = seed_window()
    windows = list(pairwise([*range(first, last, 14 * DAY_MS), last]))
    busiest = [c for c in calendars if c["id"] in {k for k, _ in Counter(e["calendarId"] for e in events).most_common(2)}]
    seen: Counter[str] = Counter()
    by_id = {e["id"]: e for e in events if e["calendarId"] in {c["id"] for c in busiest}}
    for low, high in windows:
        for calendar in busiest:
            window = ghl("list_calendar_events", params={"locationId": location, "calendarId": calendar["id"],
                                                        "startTime": str(low), "endTime": str(high - 1)})["events"]
            for event in window:
                assert event["calendarId"] == calendar["id"]
                seen[event["id"]] += 1
    for event_id, event in by_id.items():
        start = ms(datetime.fromisoformat(event["startTime"].replace("Z", "+00:00")))
        end = ms(datetime.fromisoformat(event["endTime"].replace("Z", "+00:00")))
        overlapped = sum(1 for low, high in windows if end > low and start <= high - 1)
        assert seen[event_id] == overlapped >= 1

    window = {"locationId": location, "startTime": str(first), "endTime": str(last)}
    group_id = next(c["groupId"] for c in calendars if c.get("groupId"))
    grouped = ghl("list_calendar_events", params={**window, "groupId": group_id})["events"]
    group_calendars = {c["id"] for c in calendars if c.get("groupId") == group_id}
    assert grouped and {e["calendarId"] for e in grouped} <= group_calendars
    assert {e["id"] for e in grouped} == {e["id"] for e in events if e["calendarId"] in group_calendars}
    user_id = events[0]["assignedUserId"]
    mine = ghl("list_calendar_events", params={**window, "userId": user_id})["events"]
    assert {e["id"] for e in mine} == {e["id"] for e in events if e["assignedUserId"] == user_id}

    assert_error_shape(ghl("list_calendar_events", 422, params=window), 422, "calendarId")
    assert_error_shape(ghl("list_blocked_slots", 422, params=window), 422, "calendarId")
    no_end = {"locationId": location, "startTime": str(first), "calendarId": calendars[0]["id"]}
    assert_error_shape(ghl("list_calendar_events", 422, params=no_end), 422, "endTime")
    assert_error_shape(ghl("list_calendar_events", 422, params={**no_end, "endTime": "tomorrow"}), 422, "endTime")


def test_appointment_round_trip(ghl):
    calendar = calendar_named(ghl, "Product Demo")
    contact = a_contact(ghl)
    start = (datetime.now(UTC) + timedelta(days=3)).replace(hour=2, minute=0, second=0, microsecond=0)
    body = {"calendarId": calendar["id"], "locationId": ghl.location_id, "contactId": contact,
            "startTime": start.isoformat(), "title": "Demo for ACME", "appointmentStatus": "new",
            "ignoreFreeSlotValidation": True}
    created = ghl("create_appointment", json=body)
    assert created["title"] == "Demo for ACME" and created["appointmentStatus"] == "new"
    path = {"event_id": created["id"]}
    event = ghl("get_appointment", path=path)["event"]
    assert event["contactId"] == contact and event["calendarId"] == calendar["id"]
    # The calendar's slot duration gives the end time.
    assert ms(datetime.fromisoformat(event["endTime"].replace("Z", "+00:00"))) - ms(start) == 60 * 60_000

    window = {"locationId": ghl.location_id, "calendarId": calendar["id"], "startTime": str(ms(start) - 1),
              "endTime": str(ms(start) + 1)}
    assert created["id"] in {e["id"] for e in ghl("list_calendar_events", params=window)["events"]}

    updated = ghl("update_appointment", path=path, json={"title": "Demo (moved)", "appointmentStatus": "confirmed"})
    assert updated["appointmentStatus"] == "confirmed"
    event = ghl("get_appointment", path=path)["event"]
    assert (event["title"], event["appointmentStatus"]) == ("Demo (moved)", "confirmed")
    assert event["dateUpdated"] >= event["dateAdded"]
    assert_error_shape(ghl("update_appointment", 422, path=path, json={"appointmentStatus": "maybe"}), 422,
                 "appointmentStatus")

    assert ghl("delete_calendar_event", path=path, json={}) == {"succeeded": True}
    assert ghl("get_appointment", 404, path=path)["message"] == "Event not found"
    assert created["id"] not in {e["id"] for e in ghl("list_calendar_events", params=window)["events"]}
    ghl("update_appointment", 404, path=path, json={"title": "gone"})

    assert_error_shape(ghl("create_appointment", 422, json={**body, "contactId": "nobody"}), 422, "contactId")
    assert_error_shape(ghl("create_appointment", 422, json={"locationId": ghl.location_id}), 422,
                 "calendarId", "contactId", "startTime")
    ghl("create_appointment", 404, json={**body, "calendarId": "missing"})


def test_block_slots_round_trip(ghl):
    calendar = calendar_named(ghl, "Support Session")
    location = ghl.location_id
    seeded_blocks = all_events(ghl, [calendar], "list_blocked_slots")
    assert seeded_blocks and all(e["calendarId"] == calendar["id"] for e in seeded_blocks)
    offsite = [e for e in seeded_blocks if e["title"] == "Team offsite"]
    assert len(offsite) == 1

    start = (datetime.now(UTC) + timedelta(days=5)).replace(minute=0, second=0, microsecond=0)
    body = {"calendarId": calendar["id"], "locationId": location, "title": "Holiday",
            "startTime": start.isoformat(), "endTime": (start + timedelta(hours=3)).isoformat()}
    created = ghl("create_block_slot", json=body)
    assert created["title"] == "Holiday"
    window = {"locationId": location, "calendarId": calendar["id"], "startTime": str(ms(start)),
              "endTime": str(ms(start + timedelta(hours=1)))}
    assert created["id"] in {e["id"] for e in ghl("list_blocked_slots", params=window)["events"]}
    assert created["id"] not in {e["id"] for e in ghl("list_calendar_events", params=window)["events"]}

    path = {"event_id": created["id"]}
    ghl("update_block_slot", path=path, json={**body, "title": "Public holiday"})
    listed = {e["id"]: e for e in ghl("list_blocked_slots", params=window)["events"]}
    assert listed[created["id"]]["title"] == "Public holiday"
    ghl("update_appointment", 404, path=path, json={"title": "not an appointment"})

    assert ghl("delete_calendar_event", path=path, json={}) == {"succeeded": True}
    assert created["id"] not in {e["id"] for e in ghl("list_blocked_slots", params=window)["events"]}
    ghl("update_block_slot", 404, path=path, json=body)
    assert_error_shape(ghl("create_block_slot", 422, json={"calendarId": calendar["id"], "locationId": location}), 422,
                 "startTime", "endTime")
    backwards = {**body, "endTime": (start - timedelta(hours=1)).isoformat()}
    assert_error_shape(ghl("create_block_slot", 422, json=backwards), 422, "endTime")


# -- appointment notes ---------------------------------------------------------------------------------
def test_appointment_notes_paging_and_round_trip(ghl):
    calendars = ghl("list_calendars", params={"locationId": ghl.location_id})["calendars"]
    # The seed gives one appointment 45 notes: its contact is the one with the most notes.
    contact_id = Counter(n["contactId"] for n in seeded(ghl, "appointment_notes")).most_common(1)[0][0]
    busy = None
    for event in (e for e in all_events(ghl, calendars) if e["contactId"] == contact_id):
        page = ghl("list_appointment_notes", path={"appointment_id": event["id"]}, params={"limit": 20, "offset": 0})
        if page["hasMore"]:
            busy = event
            break
    assert busy is not None, "one seeded appointment has several pages of notes"
    path = {"appointment_id": busy["id"]}

    notes, offset = [], 0
    while True:
        page = ghl("list_appointment_notes", path=path, params={"limit": 20, "offset": offset})
        notes += page["notes"]
        offset += 20
        if not page["hasMore"]:
            break
    assert len(notes) == 45 and len({n["id"] for n in notes}) == 45
    assert [n["dateAdded"] for n in notes] == sorted((n["dateAdded"] for n in notes), reverse=True)
    assert max(Counter(n["dateAdded"] for n in notes).values()) > 1, "ties in dateAdded"

    assert_error_shape(ghl("list_appointment_notes", 422, path=path, params={"limit": 21, "offset": 0}), 422, "limit")
    assert_error_shape(ghl("list_appointment_notes", 422, path=path, params={"offset": 0}), 422, "limit")
    assert_error_shape(ghl("list_appointment_notes", 422, path=path, params={"limit": 5}), 422, "offset")
    ghl("list_appointment_notes", 404, path={"appointment_id": "missing"}, params={"limit": 5, "offset": 0})

    user_id = busy["assignedUserId"]
    note = ghl("create_appointment_note", path=path, json={"body": "Call back Friday", "userId": user_id})["note"]
    assert note["contactId"] == busy["contactId"] and note["createdBy"]["id"] == user_id
    newest = ghl("list_appointment_notes", path=path, params={"limit": 1, "offset": 0})["notes"]
    assert newest[0]["id"] == note["id"]
    note_path = {**path, "note_id": note["id"]}
    assert ghl("update_appointment_note", path=note_path, json={"body": "Call back Monday"})["note"]["body"] == (
        "Call back Monday")
    assert ghl("list_appointment_notes", path=path, params={"limit": 1, "offset": 0})["notes"][0]["body"] == (
        "Call back Monday")
    assert ghl("delete_appointment_note", path=note_path) == {"success": True}
    remaining = ghl("list_appointment_notes", path=path, params={"limit": 20, "offset": 0})["notes"]
    assert note["id"] not in {n["id"] for n in remaining}
    assert ghl("update_appointment_note", 404, path=note_path, json={"body": "x"})["message"] == "Note not found"
    assert_error_shape(ghl("create_appointment_note", 422, path=path, json={"userId": user_id}), 422, "body")


# -- notifications -------------------------------------------------------------------------------------
def test_calendar_notifications(ghl):
    calendar = calendar_named(ghl, "Discovery Call")
    path = {"calendar_id": calendar["id"]}
    listed = ghl("list_calendar_notifications", path=path)
    assert len(listed) == 4 and not any(n["deleted"] for n in listed)
    assert len(ghl("list_calendar_notifications", path=path, params={"deleted": "true"})) == 1
    inactive = ghl("list_calendar_notifications", path=path, params={"isActive": "false"})
    assert [n["notificationType"] for n in inactive] == ["followup"]

    walked = [n["_id"] for skip in range(0, 6) for n in
              ghl("list_calendar_notifications", path=path, params={"skip": skip, "limit": 1})]
    assert sorted(walked) == sorted(n["_id"] for n in listed)
    assert_error_shape(ghl("list_calendar_notifications", 422, path=path, params={"limit": 101}), 422, "limit")

    created = ghl("create_calendar_notification", path=path, json=[
        {"receiverType": "contact", "channel": "email", "notificationType": "confirmation", "subject": "Confirmed"},
        {"receiverType": "emails", "channel": "email", "notificationType": "reminder",
         "additionalEmailIds": ["ops@example.com"], "beforeTime": [{"timeOffset": 2, "unit": "hours"}]},
    ])
    assert len(created) == 2 and all(n["_id"] for n in created)
    one = {**path, "notification_id": created[0]["_id"]}
    assert ghl("get_calendar_notification", path=one)["subject"] == "Confirmed"
    assert len(ghl("list_calendar_notifications", path=path)) == 6

    assert ghl("update_calendar_notification", path=one, json={"subject": "All set", "isActive": False})["message"]
    fetched = ghl("get_calendar_notification", path=one)
    assert (fetched["subject"], fetched["isActive"]) == ("All set", False)
    assert ghl("delete_calendar_notification", path=one)["message"]
    ghl("get_calendar_notification", 404, path=one)

    bad = ghl("create_calendar_notification", 422, path=path, json=[{"receiverType": "contact", "channel": "fax"}])
    assert_error_shape(bad, 422, "0.channel", "0.notificationType")
    assert_error_shape(ghl("create_calendar_notification", 422, path=path, json={"channel": "email"}), 422, "array")


# -- resources -----------------------------------------------------------------------------------------
def test_calendar_resources(ghl):
    location = ghl.location_id
    rooms_path = {"resource_type": "rooms"}
    rooms = []
    skip = 0
    while True:
        page = ghl("list_calendar_resources", path=rooms_path, params={"locationId": location, "skip": skip,
                                                                      "limit": 4})
        rooms += page
        skip += 4
        if len(page) < 4:
            break
    assert len(rooms) == 6 and len({r["id"] for r in rooms}) == 6
    assert all(r["resourceType"] == "rooms" for r in rooms)
    assert_error_shape(ghl("list_calendar_resources", 422, path=rooms_path,
                     params={"locationId": location, "skip": 0, "limit": 101}), 422, "limit")
    assert_error_shape(ghl("list_calendar_resources", 422, path=rooms_path, params={"locationId": location, "limit": 5}),
                 422, "skip")
    assert_error_shape(ghl("list_calendar_resources", 422, path={"resource_type": "desks"},
                     params={"locationId": location, "skip": 0, "limit": 5}), 422, "resourceType")

    calendar = calendar_named(ghl, "Group Workshop")
    body = {"locationId": location, "name": "Roof Terrace", "description": "Open air", "quantity": 1,
            "outOfService": 0, "capacity": 30, "calendarIds": [calendar["id"]]}
    created = ghl("create_calendar_resource", path=rooms_path, json=body)
    path = {**rooms_path, "resource_id": created["id"]}
    assert ghl("get_calendar_resource", path=path)["capacity"] == 30
    listed = ghl("list_calendar_resources", path=rooms_path, params={"locationId": location, "skip": 0, "limit": 100})
    assert created["id"] in {r["id"] for r in listed}
    ghl("get_calendar_resource", 404, path={"resource_type": "equipments", "resource_id": created["id"]})

    assert ghl("update_calendar_resource", path=path, json={"capacity": 25, "isActive": False})["capacity"] == 25
    fetched = ghl("get_calendar_resource", path=path)
    assert (fetched["capacity"], fetched["isActive"]) == (25, False)
    assert ghl("delete_calendar_resource", path=path) == {"success": True}
    assert ghl("get_calendar_resource", 404, path=path)["message"] == "Resource not found"

    other = calendar_named(ghl, "Consultation")
    two_calendars = {**body, "calendarIds": [calendar["id"], other["id"]]}
    assert_error_shape(ghl("create_calendar_resource", 422, path={"resource_type": "equipments"}, json=two_calendars),
                 422, "calendarIds")
    assert_error_shape(ghl("create_calendar_resource", 422, path=rooms_path, json={"locationId": location, "name": "x"}),
                 422, "description", "quantity", "calendarIds")
    assert_error_shape(ghl("update_calendar_resource", 422, path={**rooms_path, "resource_id": rooms[0]["id"]},
                     json={"quantity": "two"}), 422, "quantity")


def test_every_calendars_operation_is_covered():
    expected = {key for key, op in operations().items() if op.area == AREA}
    assert expected - COVERED == set(), "operations never called successfully"

