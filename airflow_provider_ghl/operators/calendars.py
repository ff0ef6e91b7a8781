"""Operators for HighLevel's Calendars API: groups, calendars, appointments, block slots, notes, notifications, resources."""

from __future__ import annotations

from typing import ClassVar

from airflow_provider_ghl.operators.base import GHLOperator


class _AppointmentOperator(GHLOperator):
    record_kind: ClassVar[str | None] = "appointment"


class GHLCreateCalendarGroupOperator(GHLOperator):
    """Create a calendar group: ``body={"name": ..., "description": ..., "slug": ...}``."""

    operation = "create_calendar_group"


class GHLUpdateCalendarGroupOperator(GHLOperator):
    """Update a calendar group's name, description and slug."""

    operation = "update_calendar_group"


class GHLUpdateCalendarGroupStatusOperator(GHLOperator):
    """Enable or disable a calendar group: ``body={"isActive": false}``."""

    operation = "update_calendar_group_status"


class GHLDeleteCalendarGroupOperator(GHLOperator):
    """Delete a calendar group."""

    operation = "delete_calendar_group"


class GHLValidateCalendarGroupSlugOperator(GHLOperator):
    """Check whether a group slug is free: ``body={"slug": "sales-team"}``; returns ``{"available": bool}``."""

    operation = "validate_calendar_group_slug"


class GHLCreateCalendarOperator(GHLOperator):
    """Create a calendar: ``body={"name": "Consultations", ...}``."""

    operation = "create_calendar"


class GHLUpdateCalendarOperator(GHLOperator):
    """Update a calendar's settings."""

    operation = "update_calendar"


class GHLDeleteCalendarOperator(GHLOperator):
    """Delete a calendar."""

    operation = "delete_calendar"


class GHLCreateAppointmentOperator(_AppointmentOperator):
    """Book an appointment: ``body={"calendarId": ..., "contactId": ..., "startTime": ISO}``."""

    operation = "create_appointment"


class GHLUpdateAppointmentOperator(_AppointmentOperator):
    """Edit an appointment (time, status such as ``confirmed``, title, ...)."""

    operation = "update_appointment"


class GHLDeleteCalendarEventOperator(_AppointmentOperator):
    """Delete an appointment or a block slot."""

    operation = "delete_calendar_event"


class GHLCreateBlockSlotOperator(GHLOperator):
    """Block time on a calendar: ``body={"calendarId": ..., "startTime": ISO, "endTime": ISO}``."""

    operation = "create_block_slot"


class GHLUpdateBlockSlotOperator(GHLOperator):
    """Edit a block slot."""

    operation = "update_block_slot"


class GHLCreateAppointmentNoteOperator(_AppointmentOperator):
    """Add a note to an appointment: ``body={"body": ...}``."""

    operation = "create_appointment_note"


class GHLUpdateAppointmentNoteOperator(_AppointmentOperator):
    """Edit an appointment's note."""

    operation = "update_appointment_note"


class GHLDeleteAppointmentNoteOperator(_AppointmentOperator):
    """Delete an appointment's note."""

    operation = "delete_appointment_note"


class GHLCreateCalendarNotificationOperator(GHLOperator):
    """Create notifications for a calendar: ``body=[{"receiverType": ..., "channel": ..., ...}]`` (a list)."""

    operation = "create_calendar_notification"


class GHLUpdateCalendarNotificationOperator(GHLOperator):
    """Edit a calendar notification."""

    operation = "update_calendar_notification"


class GHLDeleteCalendarNotificationOperator(GHLOperator):
    """Delete a calendar notification."""

    operation = "delete_calendar_notification"


class GHLCreateCalendarResourceOperator(GHLOperator):
    """Create a room or piece of equipment (``resource_type="rooms"|"equipments"``)."""

    operation = "create_calendar_resource"


class GHLUpdateCalendarResourceOperator(GHLOperator):
    """Edit a room or piece of equipment."""

    operation = "update_calendar_resource"


class GHLDeleteCalendarResourceOperator(GHLOperator):
    """Delete a room or piece of equipment."""

    operation = "delete_calendar_resource"
