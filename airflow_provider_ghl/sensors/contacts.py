"""Sensors for HighLevel's Contacts API: contacts, their tasks, notes and appointments."""

from __future__ import annotations

from airflow_provider_ghl.sensors.base import GHLCollectionSensor, GHLRecordSensor


class GHLGetContactSensor(GHLRecordSensor):
    """Fetch one contact by ID.

    Fires when the record exists and ``condition(record)`` (if given) holds.
    XCom: the record."""

    operation = "get_contact"


class GHLSearchContactsSensor(GHLCollectionSensor):
    """Advanced contact search with filters/sort.

    Fires when records are new (or, with ``watch="updated"``, changed) since the watermark.
    XCom: exactly those records, oldest first."""

    operation = "search_contacts"


class GHLGetContactsByBusinessSensor(GHLCollectionSensor):
    """Contacts linked to a business.

    Fires when records are new (or, with ``watch="updated"``, changed) since the watermark.
    XCom: exactly those records, oldest first."""

    operation = "get_contacts_by_business"


class GHLGetDuplicateContactSensor(GHLRecordSensor):
    """Find existing contact by email/phone per location duplicate rules.

    Fires when the record exists and ``condition(record)`` (if given) holds.
    XCom: the record."""

    operation = "get_duplicate_contact"

    def record_key(self) -> str | None:
        return "contact"  # HighLevel answers {"contact": null} when nothing matches


class GHLGetContactAppointmentsSensor(GHLCollectionSensor):
    """Appointments of a contact.

    Fires when records are new (or, with ``watch="updated"``, changed) since the watermark.
    XCom: exactly those records, oldest first."""

    operation = "get_contact_appointments"


class GHLGetContactTasksSensor(GHLCollectionSensor):
    """All tasks of a contact.

    Fires when records are new (or, with ``watch="updated"``, changed) since the watermark.
    XCom: exactly those records, oldest first."""

    operation = "get_contact_tasks"


class GHLGetContactTaskSensor(GHLRecordSensor):
    """One task.

    Fires when the record exists and ``condition(record)`` (if given) holds.
    XCom: the record."""

    operation = "get_contact_task"


class GHLGetContactNotesSensor(GHLCollectionSensor):
    """All notes of a contact.

    Fires when records are new (or, with ``watch="updated"``, changed) since the watermark.
    XCom: exactly those records, oldest first."""

    operation = "get_contact_notes"


class GHLGetContactNoteSensor(GHLRecordSensor):
    """One note.

    Fires when the record exists and ``condition(record)`` (if given) holds.
    XCom: the record."""

    operation = "get_contact_note"


class GHLListContactsSensor(GHLCollectionSensor):
    """Legacy list of contacts.

    Fires when records are new (or, with ``watch="updated"``, changed) since the watermark.
    XCom: exactly those records, oldest first."""

    operation = "list_contacts"
