"""A calendar's notifications (answered with a Mongo-style ``_id``; deleted ones only when asked for)."""

from __future__ import annotations

from airflow_provider_ghl.catalog import operations
from airflow_provider_ghl.sandbox.areas.calendars.common import bool_query, check_body, check_fields
from airflow_provider_ghl.sandbox.errors import ApiError, not_found, unprocessable
from airflow_provider_ghl.sandbox.records import public
from airflow_provider_ghl.sandbox.routing import Call, handles

NOTIFICATIONS_DEFAULT_LIMIT = 100
# A notification's fields and types (the create body's items are not in the catalog: it is an array).
NOTIFICATION_FIELDS = operations()["update_calendar_notification"].body.properties


def notification_view(record: dict) -> dict:
    """HighLevel answers notifications with a Mongo-style ``_id``."""
    view = public(record)
    view["_id"] = view.pop("id")
    return view


def calendar_notification(call: Call) -> dict:
    calendar = call.record("calendars", call.path["calendarId"], "Calendar")
    notification = call.table("calendar_notifications").get(call.path["notificationId"])
    if notification is None or notification["calendarId"] != calendar["id"]:
        raise not_found("Notification")
    return notification


@handles("list_calendar_notifications")
def list_calendar_notifications(call: Call) -> list:
    calendar = call.record("calendars", call.path["calendarId"], "Calendar")
    is_active, deleted = bool_query(call, "isActive"), bool_query(call, "deleted")
    skip = call.int_query("skip", 0)
    limit = call.int_query("limit", NOTIFICATIONS_DEFAULT_LIMIT, minimum=1, maximum=call.op.pagination["max_limit"])
    # Soft-deleted notifications (``deleted: true``) only show when asked for.
    matches = [
        n for n in call.table("calendar_notifications").values()
        if n["calendarId"] == calendar["id"] and n["deleted"] == bool(deleted)
        and (is_active is None or n["isActive"] == is_active)
    ]
    return [notification_view(n) for n in matches[skip: skip + limit]]


@handles("get_calendar_notification")
def get_calendar_notification(call: Call) -> dict:
    return notification_view(calendar_notification(call))


@handles("create_calendar_notification")
def create_calendar_notification(call: Call) -> list:
    calendar = call.record("calendars", call.path["calendarId"], "Calendar")
    if not isinstance(call.body, list) or not call.body:
        raise unprocessable("body must be a non-empty array of notifications")
    problems = []
    for index, item in enumerate(call.body):
        if not isinstance(item, dict):
            problems.append(f"{index} must be an object")
            continue
        problems += [f"{index}.{name} should not be empty" for name in ("receiverType", "channel", "notificationType")
                     if item.get(name) in (None, "")]
        try:
            check_fields(item, NOTIFICATION_FIELDS, prefix=f"{index}.")
        except ApiError as error:
            problems += error.message
    if problems:
        raise unprocessable(*problems)
    created = [call.state.insert("calendar_notifications", new_notification(
        call.state.new_id(), calendar, {k: v for k, v in item.items() if k in NOTIFICATION_FIELDS}))
        for item in call.body]
    return [notification_view(n) for n in created]


def new_notification(notification_id: str, calendar: dict, fields: dict) -> dict:
    return {"id": notification_id, "calendarId": calendar["id"], "locationId": calendar["locationId"],
            "isActive": True, "deleted": False, "additionalEmailIds": [], "additionalPhoneNumbers": [],
            "selectedUsers": [], "afterTime": [], "beforeTime": [], **fields}


@handles("update_calendar_notification")
def update_calendar_notification(call: Call) -> dict:
    notification = calendar_notification(call)
    data = check_body(call)
    notification.update({k: v for k, v in data.items() if k in NOTIFICATION_FIELDS and v is not None})
    return {"message": "Notification updated successfully"}


@handles("delete_calendar_notification")
def delete_calendar_notification(call: Call) -> dict:
    del call.table("calendar_notifications")[calendar_notification(call)["id"]]
    return {"message": "Notification deleted successfully"}
