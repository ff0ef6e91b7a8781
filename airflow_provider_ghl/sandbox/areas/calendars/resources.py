"""Calendar resources: rooms and equipment, each linked to calendars of the location."""

from __future__ import annotations

from airflow_provider_ghl.sandbox.areas.calendars.common import check_body, location_records
from airflow_provider_ghl.sandbox.errors import not_found, unprocessable
from airflow_provider_ghl.sandbox.records import public
from airflow_provider_ghl.sandbox.routing import Call, handles, pick

RESOURCE_TYPES = ("equipments", "rooms")


def resource_type(call: Call) -> str:
    kind = call.path["resourceType"]
    if kind not in RESOURCE_TYPES:
        raise unprocessable(f"resourceType must be one of the following values: {', '.join(RESOURCE_TYPES)}")
    return kind


def calendar_resource(call: Call) -> dict:
    kind = resource_type(call)
    resource = call.record("calendar_resources", call.path["id"], "Resource")
    if resource["resourceType"] != kind:
        raise not_found("Resource")
    return resource


def check_resource(call: Call, kind: str, data: dict) -> None:
    problems = [f"{name} must not be less than 0" for name in ("quantity", "outOfService", "capacity")
                if isinstance(data.get(name), int | float) and data[name] < 0]
    calendar_ids = data.get("calendarIds")
    if calendar_ids is not None:
        calendars = call.table("calendars")
        unknown = [c for c in calendar_ids if calendars.get(c, {}).get("locationId") != call.location_id]
        if unknown:
            problems.append(f"calendarIds contains unknown calendars: {', '.join(map(str, unknown))}")
        if kind == "equipments" and len(calendar_ids) > 1:
            problems.append("calendarIds: one equipment can only be mapped with one service calendar")
    if problems:
        raise unprocessable(*problems)


@handles("list_calendar_resources")
def list_calendar_resources(call: Call) -> list:
    kind = resource_type(call)
    skip = call.int_query("skip")
    limit = call.int_query("limit", minimum=1, maximum=call.op.pagination["max_limit"])
    resources = [public(r) for r in location_records(call, "calendar_resources") if r["resourceType"] == kind]
    return resources[skip: skip + limit]


@handles("get_calendar_resource")
def get_calendar_resource(call: Call) -> dict:
    return public(calendar_resource(call))


@handles("create_calendar_resource")
def create_calendar_resource(call: Call) -> dict:
    kind = resource_type(call)
    data = check_body(call)
    check_resource(call, kind, data)
    # The spec's resource answer has no id field; HighLevel's carries one, or nobody could address the resource.
    resource = call.state.insert("calendar_resources", {
        "id": call.state.new_id(), "locationId": call.location_id, "resourceType": kind, "isActive": True,
        **pick(data, ("name", "description", "quantity", "outOfService", "capacity", "calendarIds")),
    })
    return public(resource)


@handles("update_calendar_resource")
def update_calendar_resource(call: Call) -> dict:
    resource = calendar_resource(call)
    data = check_body(call)
    check_resource(call, resource["resourceType"], data)
    resource.update({k: v for k, v in data.items() if k != "locationId" and v is not None
                     and k in call.served.body.properties})
    return public(resource)


@handles("delete_calendar_resource")
def delete_calendar_resource(call: Call) -> dict:
    del call.table("calendar_resources")[calendar_resource(call)["id"]]
    return {"success": True}
