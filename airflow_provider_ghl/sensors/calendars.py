"""Sensors for HighLevel's Calendars API: groups, calendars, events, free slots, notes, notifications, resources.

Three kinds of sensor:

- one record (``Get ...``): fires when the record exists and ``condition(record)`` holds; a 404 means "not yet".
- a collection (``List ...``): fires when records are new (``watch="new"``) or changed (``watch="updated"``)
  since a watermark, and pushes exactly those records. Events, blocked slots and appointment notes carry
  timestamps: a scheduled run takes the records of its data interval (reruns and backfills give the same
  answer; the sensor waits for the interval to end). Groups, calendars, notifications and resources carry none,
  so they (and manual runs, or ``watermark="cursor"``) use a cursor in an Airflow Variable that remembers what
  was delivered: each record once, ties on timestamps included. ``first_run="skip"`` starts by remembering what
  exists.
- free slots: fires when a slot is free in the window.

In deferrable mode a ``condition`` importable by name (a module-level function) runs in the triggerer; any
other callable (a lambda) runs on the worker when the trigger returns, and the task defers again while it is
false.
"""

from __future__ import annotations

from airflow_provider_ghl.sensors.base import GHLCollectionSensor, GHLFreeSlotsSensor, GHLRecordSensor


# -- groups and calendars ----------------------------------------------------------------------------------
class GHLListCalendarGroupsSensor(GHLCollectionSensor):
    """Wait for new calendar groups of the location.

    Fires when the location has a group this task has not delivered yet (``watch="updated"``: also a delivered
    group whose fields changed since). Groups carry no timestamps, so the watermark is always the cursor.
    XCom: the list of those groups (``id``, ``name``, ``slug``, ``description``, ``isActive``, ...), in
    HighLevel's order, at most ``max_records``.
    """

    operation = "list_calendar_groups"


class GHLListCalendarsSensor(GHLCollectionSensor):
    """Wait for new calendars of the location (``query={"groupId": ...}`` narrows to one group).

    Fires when a calendar appears that this task has not delivered yet (``watch="updated"``: also a delivered
    calendar whose settings changed). Calendars carry no timestamps, so the watermark is always the cursor.
    XCom: the list of those calendars (each the API's calendar object), in HighLevel's order, at most
    ``max_records``.
    """

    operation = "list_calendars"


class GHLGetCalendarSensor(GHLRecordSensor):
    """Wait until a calendar exists and ``condition(calendar)`` holds.

    Fires when Get Calendar answers (a 404 keeps waiting) and the optional ``condition`` is true, e.g.
    ``condition=lambda calendar: calendar["isActive"]``. XCom: the calendar (the response's ``calendar``).
    """

    operation = "get_calendar"


class GHLGetFreeSlotsSensor(GHLFreeSlotsSensor):
    """Wait until a slot of the calendar is free to book.

    Window: ``query={"startDate": epoch_ms, "endDate": epoch_ms}`` (at most 31 days), else the ``days_ahead``
    days (default 7) from the poke (in deferrable mode: from the deferral). Fires when at least one slot in the
    window is free (not booked up, not blocked, not past) and the optional ``condition(slots_by_day)`` holds,
    e.g. ``condition=lambda days: len(days) >= 2``. ``query`` also takes ``timezone``, ``userId``, ``userIds``.
    XCom: ``{"2026-12-01": ["2026-12-01T10:00:00-06:00", ...], ...}``: only the days that have a free slot,
    each with its free slot start times.
    """

    operation = "get_free_slots"


# -- appointments and blocked time -----------------------------------------------------------------------
class GHLListCalendarEventsSensor(GHLCollectionSensor):
    """Wait for newly booked (or, with ``watch="updated"``, changed) appointments.

    ``query`` must name a ``calendarId``, ``userId`` or ``groupId``; the events looked at are those overlapping
    ``startTime``/``endTime`` (epoch ms; default: a year back to a year ahead). Fires when appointments were
    booked (``dateAdded``; ``watch="updated"``: ``dateUpdated``) inside the run's data interval, once the
    interval has ended, or (cursor) since the last delivery. XCom: those appointments, oldest first (then by
    id), at most ``max_records``.
    """

    operation = "list_calendar_events"


class GHLListBlockedSlotsSensor(GHLCollectionSensor):
    """Wait for newly created (or, with ``watch="updated"``, changed) blocked slots.

    ``query`` must name a ``calendarId``, ``userId`` or ``groupId``; window ``startTime``/``endTime`` (epoch
    ms; default: a year back to a year ahead). Fires when block slots were created (``dateAdded``;
    ``watch="updated"``: ``dateUpdated``) inside the run's data interval, once it has ended, or (cursor) since
    the last delivery. XCom: those block slots, oldest first, at most ``max_records``.
    """

    operation = "list_blocked_slots"


class GHLGetAppointmentSensor(GHLRecordSensor):
    """Wait until an appointment exists and ``condition(appointment)`` holds.

    Example: wait for the contact to confirm::

        GHLGetAppointmentSensor(task_id="confirmed", event_id="...",
                                condition=lambda event: event["appointmentStatus"] == "confirmed")

    Fires when Get Appointment answers (a 404 keeps waiting) and the condition, if any, is true.
    XCom: the appointment (the response's ``event``).
    """

    operation = "get_appointment"


class GHLListAppointmentNotesSensor(GHLCollectionSensor):
    """Wait for new notes on an appointment (``appointment_id``).

    Fires when notes were added (``dateAdded``) inside the run's data interval, once it has ended, or (cursor)
    since the last delivery; notes that share a timestamp are each delivered once. Notes carry no update time,
    so ``watch="updated"`` compares each note with what was delivered. XCom: those notes, oldest first, at most
    ``max_records``.
    """

    operation = "list_appointment_notes"


# -- notifications and resources -------------------------------------------------------------------------
class GHLListCalendarNotificationsSensor(GHLCollectionSensor):
    """Wait for new notifications of a calendar (``calendar_id``; ``query`` takes ``isActive``, ``deleted``).

    Fires when the calendar has a notification this task has not delivered yet (``watch="updated"``: also a
    delivered one that changed). Notifications carry no timestamps: the watermark is always the cursor.
    XCom: the list of those notifications (each with its ``_id``), in HighLevel's order, at most ``max_records``.
    """

    operation = "list_calendar_notifications"


class GHLGetCalendarNotificationSensor(GHLRecordSensor):
    """Wait until a calendar notification exists and ``condition(notification)`` holds.

    Fires when Get Calendar Notification answers (a 404 keeps waiting) and the condition, if any, is true,
    e.g. ``condition=lambda n: n["isActive"]``. XCom: the notification (with its ``_id``).
    """

    operation = "get_calendar_notification"


class GHLListCalendarResourcesSensor(GHLCollectionSensor):
    """Wait for new rooms or equipment (``resource_type="rooms"`` or ``"equipments"``).

    Fires when the location has a resource of that type this task has not delivered yet (``watch="updated"``:
    also a delivered one that changed). Resources carry no timestamps: the watermark is always the cursor.
    XCom: the list of those resources, in HighLevel's order, at most ``max_records``.
    """

    operation = "list_calendar_resources"


class GHLGetCalendarResourceSensor(GHLRecordSensor):
    """Wait until a room or piece of equipment exists and ``condition(resource)`` holds.

    Fires when Get Calendar Resource answers (a 404 keeps waiting) and the condition, if any, is true,
    e.g. ``condition=lambda r: r["outOfService"] == 0``. XCom: the resource.
    """

    operation = "get_calendar_resource"
