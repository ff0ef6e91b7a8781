"""Sensors for HighLevel's Calendars API: groups, calendars, events, free slots, notes, notifications, resources."""

from __future__ import annotations

from airflow_provider_ghl.sensors.base import GHLCollectionSensor, GHLFreeSlotsSensor, GHLRecordSensor


class GHLListCalendarGroupsSensor(GHLCollectionSensor):
    """Groups of a location.

    Fires when records are new (or, with ``watch="updated"``, changed) since the watermark.
    XCom: exactly those records, oldest first."""

    operation = "list_calendar_groups"


class GHLListCalendarsSensor(GHLCollectionSensor):
    """Calendars of a location.

    Fires when records are new (or, with ``watch="updated"``, changed) since the watermark.
    XCom: exactly those records, oldest first."""

    operation = "list_calendars"


class GHLGetCalendarSensor(GHLRecordSensor):
    """One calendar.

    Fires when the record exists and ``condition(record)`` (if given) holds.
    XCom: the record."""

    operation = "get_calendar"


class GHLGetFreeSlotsSensor(GHLFreeSlotsSensor):
    """Fires when a slot is free on the calendar in the next ``days_ahead`` days (or the ``query`` window
    ``startDate``/``endDate``, epoch ms) and ``condition(slots_by_day)`` holds; XCom: ``{day: [slot, ...]}``."""

    operation = "get_free_slots"


class GHLListCalendarEventsSensor(GHLCollectionSensor):
    """Appointments/events in a window.

    Fires when records are new (or, with ``watch="updated"``, changed) since the watermark.
    XCom: exactly those records, oldest first."""

    operation = "list_calendar_events"


class GHLListBlockedSlotsSensor(GHLCollectionSensor):
    """Blocked slots in a window.

    Fires when records are new (or, with ``watch="updated"``, changed) since the watermark.
    XCom: exactly those records, oldest first."""

    operation = "list_blocked_slots"


class GHLGetAppointmentSensor(GHLRecordSensor):
    """One appointment.

    Fires when the record exists and ``condition(record)`` (if given) holds.
    XCom: the record."""

    operation = "get_appointment"


class GHLListAppointmentNotesSensor(GHLCollectionSensor):
    """Notes of an appointment.

    Fires when records are new (or, with ``watch="updated"``, changed) since the watermark.
    XCom: exactly those records, oldest first."""

    operation = "list_appointment_notes"


class GHLListCalendarNotificationsSensor(GHLCollectionSensor):
    """Notifications of a calendar.

    Fires when records are new (or, with ``watch="updated"``, changed) since the watermark.
    XCom: exactly those records, oldest first."""

    operation = "list_calendar_notifications"


class GHLGetCalendarNotificationSensor(GHLRecordSensor):
    """One notification.

    Fires when the record exists and ``condition(record)`` (if given) holds.
    XCom: the record."""

    operation = "get_calendar_notification"


class GHLListCalendarResourcesSensor(GHLCollectionSensor):
    """Rooms/equipment.

    Fires when records are new (or, with ``watch="updated"``, changed) since the watermark.
    XCom: exactly those records, oldest first."""

    operation = "list_calendar_resources"


class GHLGetCalendarResourceSensor(GHLRecordSensor):
    """One resource.

    Fires when the record exists and ``condition(record)`` (if given) holds.
    XCom: the record."""

    operation = "get_calendar_resource"
