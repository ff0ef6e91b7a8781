"""Calendar groups, and the slugs that name them (unique in a location)."""

from __future__ import annotations

import re

from airflow_provider_ghl.sandbox.areas.calendars.common import check_body, location_records
from airflow_provider_ghl.sandbox.errors import unprocessable
from airflow_provider_ghl.sandbox.records import public
from airflow_provider_ghl.sandbox.routing import Call, handles

SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def slug_taken(call: Call, slug: str, except_id: str | None = None) -> bool:
    return any(g["slug"] == slug and g["id"] != except_id for g in location_records(call, "calendar_groups"))


def check_slug(call: Call, slug: str, except_id: str | None = None) -> None:
    if not SLUG_PATTERN.match(slug):
        raise unprocessable("slug must contain only lowercase letters, digits and hyphens")
    if slug_taken(call, slug, except_id):
        raise unprocessable(f"slug {slug!r} is already in use by another group")


@handles("list_calendar_groups")
def list_calendar_groups(call: Call) -> dict:
    return {"groups": [public(g) for g in location_records(call, "calendar_groups")]}


@handles("create_calendar_group")
def create_calendar_group(call: Call) -> dict:
    data = check_body(call)
    check_slug(call, data["slug"])
    group = call.state.insert("calendar_groups", {
        "id": call.state.new_id(), "locationId": call.location_id, "name": data["name"],
        "description": data["description"], "slug": data["slug"], "isActive": data.get("isActive", True),
    })
    return {"group": public(group)}


@handles("update_calendar_group")
def update_calendar_group(call: Call) -> dict:
    group = call.record("calendar_groups", call.path["groupId"], "Group")
    data = check_body(call)
    check_slug(call, data["slug"], except_id=group["id"])
    group.update(name=data["name"], description=data["description"], slug=data["slug"])
    return {"group": public(group)}


@handles("update_calendar_group_status")
def update_calendar_group_status(call: Call) -> dict:
    group = call.record("calendar_groups", call.path["groupId"], "Group")
    group["isActive"] = check_body(call)["isActive"]
    return {"success": True}


@handles("delete_calendar_group")
def delete_calendar_group(call: Call) -> dict:
    group = call.record("calendar_groups", call.path["groupId"], "Group")
    del call.table("calendar_groups")[group["id"]]
    # The group's calendars survive, ungrouped.
    for calendar in location_records(call, "calendars"):
        if calendar.get("groupId") == group["id"]:
            calendar.pop("groupId")
    return {"success": True}


@handles("validate_calendar_group_slug")
def validate_calendar_group_slug(call: Call) -> dict:
    slug = check_body(call)["slug"]
    return {"available": bool(SLUG_PATTERN.match(slug)) and not slug_taken(call, slug)}
