"""Operators for HighLevel's Calendars API: groups, calendars, appointments, block slots, notes, notifications, resources.

Times in bodies are ISO 8601 strings with an offset (``"2026-12-01T10:00:00-06:00"``); HighLevel stores them in
UTC. The location (``locationId``) is filled from ``location_id=`` or the connection wherever a body needs it.
"""

from __future__ import annotations

from airflow_provider_ghl.operators.base import GHLOperator


# -- groups ----------------------------------------------------------------------------------------------
class GHLCreateCalendarGroupOperator(GHLOperator):
    """Create a calendar group (a team page that lists several calendars).

    Example::

        GHLCreateCalendarGroupOperator(
            task_id="create_group",
            body={"name": "Sales team", "description": "Discovery and demo calls", "slug": "sales-team"},
        )

    The slug must be lowercase letters, digits and hyphens and free in the location (check it with
    ``GHLValidateCalendarGroupSlugOperator``). XCom: ``{"group": {"id": ..., "name": ..., ...}}``.
    """

    operation = "create_calendar_group"


class GHLUpdateCalendarGroupOperator(GHLOperator):
    """Rename a calendar group; HighLevel wants all three fields every time.

    Example: ``group_id="{{ ti.xcom_pull('create_group')['group']['id'] }}",
    body={"name": "Sales", "description": "All sales calls", "slug": "sales"}``. XCom: ``{"group": {...}}``.
    """

    operation = "update_calendar_group"


class GHLUpdateCalendarGroupStatusOperator(GHLOperator):
    """Enable or disable a calendar group: ``body={"isActive": False}`` hides its booking page.

    XCom: ``{"success": true}``.
    """

    operation = "update_calendar_group_status"


class GHLDeleteCalendarGroupOperator(GHLOperator):
    """Delete a calendar group (its calendars stay, ungrouped).

    XCom: ``{"deleted": true, "operation": "delete_calendar_group", "group_id": ..., "response": {...}}``.
    """

    operation = "delete_calendar_group"


class GHLValidateCalendarGroupSlugOperator(GHLOperator):
    """Check whether a group slug is well formed and free: ``body={"slug": "sales-team"}``.

    XCom: ``{"available": true}`` or ``{"available": false}``; use it to branch before creating a group.
    """

    operation = "validate_calendar_group_slug"


# -- calendars ---------------------------------------------------------------------------------------------
class GHLCreateCalendarOperator(GHLOperator):
    """Create a calendar; settings left out get HighLevel's defaults (30-minute slots, weekdays 9-17).

    Example::

        GHLCreateCalendarOperator(
            task_id="create_calendar",
            body={
                "name": "Consultations",
                "calendarType": "event",
                "slotDuration": 45,
                "openHours": [{"daysOfTheWeek": [1, 2, 3, 4, 5],
                               "hours": [{"openHour": 9, "openMinute": 0, "closeHour": 17, "closeMinute": 0}]}],
            },
        )

    ``daysOfTheWeek`` counts from 0 (Sunday); a ``round_robin`` calendar needs ``teamMembers``.
    XCom: ``{"calendar": {"id": ..., ...}}``.
    """

    operation = "create_calendar"


class GHLUpdateCalendarOperator(GHLOperator):
    """Change a calendar's settings; only the fields in ``body`` change.

    Example: ``calendar_id="...", body={"slotDuration": 60, "autoConfirm": False}``. XCom: ``{"calendar": {...}}``.
    """

    operation = "update_calendar"


class GHLDeleteCalendarOperator(GHLOperator):
    """Delete a calendar (and its notifications).

    XCom: ``{"deleted": true, "operation": "delete_calendar", "calendar_id": ..., "response": {"success": true}}``.
    """

    operation = "delete_calendar"


# -- appointments and blocked time -----------------------------------------------------------------------
class GHLCreateAppointmentOperator(GHLOperator):
    """Book an appointment for a contact on a calendar.

    Example::

        GHLCreateAppointmentOperator(
            task_id="book",
            body={
                "calendarId": "{{ params.calendar_id }}",
                "contactId": "{{ ti.xcom_pull('create_contact')['contact']['id'] }}",
                "startTime": "2026-12-01T10:00:00-06:00",
                "title": "Discovery call",
                "appointmentStatus": "confirmed",
            },
        )

    ``startTime`` must be a free slot (see ``GHLGetFreeSlotsSensor``) unless ``"ignoreFreeSlotValidation": True``;
    ``endTime`` defaults to the calendar's slot length. XCom: the appointment (``id``, ``startTime``, ...);
    the task gets a "View in HighLevel" link to it.
    """

    operation = "create_appointment"


class GHLUpdateAppointmentOperator(GHLOperator):
    """Edit an appointment: move it, confirm or cancel it, retitle it; only the fields in ``body`` change.

    Example: ``event_id="...", body={"appointmentStatus": "confirmed"}`` or
    ``body={"startTime": "2026-12-02T11:00:00-06:00"}`` (a move must land on a free slot). XCom: the appointment;
    the task gets a "View in HighLevel" link to it.
    """

    operation = "update_appointment"


class GHLDeleteCalendarEventOperator(GHLOperator):
    """Delete an appointment or a block slot (``event_id``); the time becomes free again.

    XCom: ``{"deleted": true, "operation": "delete_calendar_event", "event_id": ..., "response": {"succeeded": true}}``.
    """

    operation = "delete_calendar_event"


class GHLCreateBlockSlotOperator(GHLOperator):
    """Block time on a calendar so nobody can book it.

    Example::

        GHLCreateBlockSlotOperator(
            task_id="block_lunch",
            body={"calendarId": "...", "title": "Team lunch",
                  "startTime": "2026-12-01T12:00:00-06:00", "endTime": "2026-12-01T13:00:00-06:00"},
        )

    XCom: the block slot (``id``, ``startTime``, ``endTime``, ...); remove it with ``GHLDeleteCalendarEventOperator``.
    """

    operation = "create_block_slot"


class GHLUpdateBlockSlotOperator(GHLOperator):
    """Move, resize or retitle a block slot; HighLevel wants its ``calendarId`` every time.

    Example: ``event_id="...", body={"calendarId": "...", "endTime": "2026-12-01T14:00:00-06:00"}``.
    XCom: the block slot.
    """

    operation = "update_block_slot"


# -- appointment notes -----------------------------------------------------------------------------------
class GHLCreateAppointmentNoteOperator(GHLOperator):
    """Add a note to an appointment: ``appointment_id="...", body={"body": "Bring the signed proposal."}``.

    ``userId`` in the body names the author. XCom: ``{"note": {"id": ..., "body": ..., "dateAdded": ...}}``;
    the task links to the appointment in HighLevel.
    """

    operation = "create_appointment_note"


class GHLUpdateAppointmentNoteOperator(GHLOperator):
    """Rewrite an appointment's note: ``appointment_id="...", note_id="...", body={"body": "..."}``.

    XCom: ``{"note": {...}}``; the task links to the appointment in HighLevel.
    """

    operation = "update_appointment_note"


class GHLDeleteAppointmentNoteOperator(GHLOperator):
    """Delete an appointment's note (``appointment_id``, ``note_id``).

    XCom: ``{"deleted": true, "operation": "delete_appointment_note", "appointment_id": ..., "note_id": ..., ...}``.
    """

    operation = "delete_appointment_note"


# -- notifications ---------------------------------------------------------------------------------------
class GHLCreateCalendarNotificationOperator(GHLOperator):
    """Create one or more notifications of a calendar; the body is a list, one item per notification.

    Example::

        GHLCreateCalendarNotificationOperator(
            task_id="remind",
            calendar_id="...",
            body=[
                {"receiverType": "contact", "channel": "email", "notificationType": "confirmation",
                 "subject": "You're booked", "body": "See you soon!"},
                {"receiverType": "assignedUser", "channel": "inApp", "notificationType": "booked"},
            ],
        )

    Each item needs ``receiverType``, ``channel`` and ``notificationType``. The body is a template, so HighLevel's
    own merge fields need Jinja's raw block: ``"{% raw %}{{appointment.start_time}}{% endraw %}"``.
    XCom: the created notifications (each with its ``_id``).
    """

    operation = "create_calendar_notification"


class GHLUpdateCalendarNotificationOperator(GHLOperator):
    """Edit a calendar notification; only the fields in ``body`` change.

    Example: ``calendar_id="...", notification_id="...", body={"isActive": False}`` to switch it off.
    XCom: ``{"message": "Notification updated successfully"}``.
    """

    operation = "update_calendar_notification"


class GHLDeleteCalendarNotificationOperator(GHLOperator):
    """Delete a calendar notification (``calendar_id``, ``notification_id``).

    XCom: ``{"deleted": true, "operation": "delete_calendar_notification", ..., "response": {"message": ...}}``.
    """

    operation = "delete_calendar_notification"


# -- resources -------------------------------------------------------------------------------------------
class GHLCreateCalendarResourceOperator(GHLOperator):
    """Create a room or piece of equipment that service calendars book (``resource_type="rooms"`` or ``"equipments"``).

    Example::

        GHLCreateCalendarResourceOperator(
            task_id="add_room",
            resource_type="rooms",
            body={"name": "Yoga Studio", "description": "Second floor", "quantity": 1, "outOfService": 0,
                  "capacity": 12, "calendarIds": ["..."]},
        )

    HighLevel requires every one of those fields; one equipment maps to one calendar at most.
    XCom: the resource (``id``, ``name``, ...).
    """

    operation = "create_calendar_resource"


class GHLUpdateCalendarResourceOperator(GHLOperator):
    """Edit a room or piece of equipment; only the fields in ``body`` change.

    Example: ``resource_type="equipments", resource_id="...", body={"outOfService": 1}``. XCom: the resource.
    """

    operation = "update_calendar_resource"


class GHLDeleteCalendarResourceOperator(GHLOperator):
    """Delete a room or piece of equipment (``resource_type``, ``resource_id``).

    XCom: ``{"deleted": true, "operation": "delete_calendar_resource", ..., "response": {"success": true}}``.
    """

    operation = "delete_calendar_resource"
