"""Sensors for HighLevel's Contacts API: contacts, their tasks, notes and appointments.

Record sensors (one contact, task or note) fire when the record exists and ``condition(record)``
holds, and push the record. Collection sensors fire when records are new (``watch="new"``, by
``dateAdded``) or changed (``watch="updated"``, by ``dateUpdated``) since their watermark, and push
exactly those records, oldest first: in a scheduled DAG the records of the run's data interval
``[start, end)`` (after the interval has closed), otherwise those not delivered before (a cursor kept
in an Airflow Variable). See ``GHLCollectionSensor`` for ``first_run``, ``min_records`` and ``max_records``.
"""

from __future__ import annotations

from airflow_provider_ghl.sensors.base import GHLCollectionSensor, GHLRecordSensor


class GHLGetContactSensor(GHLRecordSensor):
    """Wait for a contact to exist and, optionally, to be in a given state.

    Fires when ``GET /contacts/{contact_id}`` returns the contact (a 404 keeps it waiting) and
    ``condition(contact)`` is true, e.g. ``condition=lambda c: "vip" in c["tags"]``.
    XCom: the contact (the ``contact`` object of the answer).
    """

    operation = "get_contact"


class GHLSearchContactsSensor(GHLCollectionSensor):
    """Wait for new (or changed) contacts of the location, optionally only those a search matches.

    Fires when at least ``min_records`` contacts were added (``watch="new"``, by ``dateAdded``) or
    changed (``watch="updated"``, by ``dateUpdated``) since the watermark and match the search:
    ``body={"filters": [{"field": "tags", "operator": "eq", "value": "webinar"}], "query": "smith"}``
    (HighLevel's filter syntax; paging is handled). HighLevel's search index trails writes by a few seconds,
    so a contact written at the very end of a data interval may show up one poke later.
    XCom: exactly those contacts (as the search returns them), oldest first, at most ``max_records``.
    """

    operation = "search_contacts"


class GHLGetContactsByBusinessSensor(GHLCollectionSensor):
    """Wait for contacts linked to a business (``business_id``).

    Fires when contacts of the business were added (``watch="new"``, by ``dateAdded``) or changed
    (``watch="updated"``, by ``dateUpdated``) since the watermark. Attaching an existing contact to the
    business changes its ``dateUpdated``, not its ``dateAdded``: use ``watch="updated"`` to catch it.
    XCom: exactly those contacts, oldest first, at most ``max_records``.
    """

    operation = "get_contacts_by_business"


class GHLGetDuplicateContactSensor(GHLRecordSensor):
    """Wait until a contact with a given email and/or phone exists: ``query={"email": "ada@example.com"}``
    (or ``{"number": "+15125550100"}``), matched by the location's duplicate rules.

    Fires when HighLevel answers with a contact (it answers ``{"contact": null}`` while none matches)
    and ``condition(contact)`` is true.
    XCom: the matching contact.
    """

    operation = "get_duplicate_contact"


class GHLGetContactAppointmentsSensor(GHLCollectionSensor):
    """Wait for appointments of a contact (``contact_id``), e.g. a booking after a campaign email.

    Fires when appointments of the contact were booked (``watch="new"``, by ``dateAdded``) or changed
    (``watch="updated"``) since the watermark.
    XCom: exactly those appointments (calendar events), oldest first, at most ``max_records``.
    """

    operation = "get_contact_appointments"


class GHLGetContactTasksSensor(GHLCollectionSensor):
    """Wait for tasks on a contact (``contact_id``).

    Fires when tasks were created (``watch="new"``, by ``dateAdded``) or changed, e.g. completed
    (``watch="updated"``, by ``dateUpdated``), since the watermark.
    XCom: exactly those tasks, oldest first, at most ``max_records``.
    """

    operation = "get_contact_tasks"


class GHLGetContactTaskSensor(GHLRecordSensor):
    """Wait for one task of a contact (``contact_id``, ``contact_task_id``) to exist and reach a state.

    Fires when the task exists (a 404 keeps it waiting) and ``condition(task)`` is true, e.g.
    ``condition=lambda t: t["completed"]`` to wait until someone completes it.
    XCom: the task.
    """

    operation = "get_contact_task"


class GHLGetContactNotesSensor(GHLCollectionSensor):
    """Wait for notes on a contact (``contact_id``).

    Fires when notes were added (``watch="new"``, by ``dateAdded``) or edited (``watch="updated"``,
    by ``dateUpdated``) since the watermark.
    XCom: exactly those notes, oldest first, at most ``max_records``.
    """

    operation = "get_contact_notes"


class GHLGetContactNoteSensor(GHLRecordSensor):
    """Wait for one note of a contact (``contact_id``, ``note_id``) to exist and say something.

    Fires when the note exists (a 404 keeps it waiting) and ``condition(note)`` is true, e.g.
    ``condition=lambda n: "demo" in n["body"]``.
    XCom: the note.
    """

    operation = "get_contact_note"


class GHLListContactsSensor(GHLCollectionSensor):
    """Wait for new (or changed) contacts of the location through the deprecated list endpoint.

    Prefer ``GHLSearchContactsSensor`` (HighLevel deprecated ``GET /contacts/``); this one serves
    accounts and tools that still rely on it. Fires when contacts were added (``watch="new"``, by
    ``dateAdded``) or changed (``watch="updated"``, by ``dateUpdated``) since the watermark;
    ``query={"query": "smith"}`` narrows the list.
    XCom: exactly those contacts, oldest first, at most ``max_records``.
    """

    operation = "list_contacts"
