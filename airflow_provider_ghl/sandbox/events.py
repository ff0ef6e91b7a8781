"""Which webhook events HighLevel sends for each write of the catalog, and what their payloads carry.

``EMITS``: every action of the catalog (kind ``A``) -> the records it touches and the event types it
sends, each with the conditions under which it is sent (catalog data: each operation's ``webhooks``, from
tools/catalog_overrides.json). ``SHAPES``: each event type's payload fields, per
``reference/docs/webhook-events/<Type>.md`` (a test checks both against the catalog and the schemas).
Actions with no event type in HighLevel's list (calendars, block slots, businesses, blogs, workflows, ...)
map to ``None``: HighLevel sends nothing for them.

Conditions (all must hold for the event to be sent):

- ``new`` / ``existing``: an upsert created / updated the record (its answer's ``new``, else whether
  the record existed before the write);
- ``changed:a,b``: one of these fields differs before/after the write (without a snapshot of the
  record before the write, e.g. an upsert matched by email: the field was in the request body);
- ``became:f``: field ``f`` is true after the write and was not before;
- ``unless:f``: the record's field ``f`` is falsy (a blocked slot is an event but not an appointment).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from airflow_provider_ghl.catalog import Operation, by_kind

if TYPE_CHECKING:
    from airflow_provider_ghl.sandbox.routing import Call

ENVELOPE = ("type", "locationId", "webhookId", "timestamp")
"""Top-level fields of every delivery besides the event's own (signed deliveries carry all four)."""

# -- payload fields per event type (reference/docs/webhook-events/<Type>.md) ---------------------------------
CONTACT = ("id", "address1", "city", "companyName", "country", "source", "dateAdded", "dateOfBirth", "dnd", "email",
           "name", "firstName", "lastName", "phone", "postalCode", "state", "tags", "website", "attachments",
           "assignedTo", "customFields")
TASK = ("id", "assignedTo", "body", "contactId", "title", "dateAdded", "dueDate")
NOTE = ("id", "body", "contactId", "dateAdded")
OPPORTUNITY = ("id", "assignedTo", "contactId", "monetaryValue", "name", "pipelineId", "pipelineStageId", "source",
               "status", "dateAdded")
APPOINTMENT = ("id", "address", "title", "calendarId", "contactId", "groupId", "appointmentStatus", "assignedUserId",
               "users", "notes", "source", "startTime", "endTime", "dateAdded", "dateUpdated")
ASSOCIATION = ("id", "associationType", "firstObjectKey", "firstObjectLabel", "secondObjectKey", "secondObjectLabel",
               "key")
CARDINALITY = ("firstObjectToSecondObjectCardinality", "secondObjectToFirstObjectCardinality")
RELATION = ("id", "firstObjectKey", "firstRecordId", "secondObjectKey", "secondRecordId", "associationId")
CAMPAIGN = ("id", "contactId", "status", "templateId", "replied", "dateAdded")
LOCATION = ("id", "name", "email", "stripeProductId", "companyId")
USER = ("id", "firstName", "lastName", "email", "phone", "extension", "role", "permissions")


@dataclass(frozen=True)
class Shape:
    fields: tuple[str, ...]
    nest: str | None = None
    """The key the fields sit under (``appointment``), else top level."""


SHAPES: dict[str, Shape] = {
    **{t: Shape(CONTACT) for t in ("ContactCreate", "ContactUpdate", "ContactDelete", "ContactTagUpdate")},
    "ContactDndUpdate": Shape((*CONTACT, "dndSettings")),
    **{t: Shape(TASK) for t in ("TaskCreate", "TaskComplete", "TaskDelete")},
    **{t: Shape(NOTE) for t in ("NoteCreate", "NoteUpdate", "NoteDelete")},
    **{f"Opportunity{t}": Shape(OPPORTUNITY) for t in (
        "Create", "Update", "Delete", "StageUpdate", "StatusUpdate", "MonetaryValueUpdate", "AssignedToUpdate")},
    **{t: Shape(APPOINTMENT, nest="appointment") for t in ("AppointmentCreate", "AppointmentUpdate", "AppointmentDelete")},
    "AssociationCreate": Shape(ASSOCIATION),
    "AssociationUpdate": Shape((*ASSOCIATION, *CARDINALITY)),
    "AssociationDelete": Shape((*ASSOCIATION, *CARDINALITY)),
    "RelationCreate": Shape(RELATION),
    "RelationDelete": Shape(RELATION),
    "CampaignStatusUpdate": Shape(CAMPAIGN),
    "LocationCreate": Shape(LOCATION),
    "UserCreate": Shape(USER),
}
EVENT_TYPES = frozenset(SHAPES)
"""Every event type the sandbox sends."""


# -- which records a write touches ---------------------------------------------------------------------
Resolver = Callable[["Call", Any], list[str]]
"""(call, handler answer or None before the write) -> record ids."""


def _dig(value: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _ids(where: str) -> tuple[Resolver, bool]:
    """``path:contactId``, ``body:id``, ``body[]:contacts``, ``result:contact.id``, ``result[]:ids`` -> a resolver,
    and whether it can run before the write (for the snapshot)."""
    source, _, name = where.partition(":")
    many = source.endswith("[]")
    source = source.removesuffix("[]")

    def resolve(call: Call, answer: Any) -> list[str]:
        if source == "path":
            found: Any = call.path.get(name)
        elif source == "body":
            found = call.data.get(name)
        else:
            found = _dig(answer, name)
        values = found if many and isinstance(found, list) else [found]
        return [v for v in dict.fromkeys(values) if isinstance(v, str) and v]

    return resolve, source != "result"


@dataclass(frozen=True)
class Emit:
    """The events of one action: the table of its records, where their ids are, and the rules."""

    table: str
    ids: tuple[str, ...]
    rules: tuple[tuple[str, tuple[str, ...]], ...]
    """(event type, conditions) in the order HighLevel sends them."""


def _emit(op: Operation) -> Emit | None:
    hooks = op.webhooks
    return Emit(hooks.table, hooks.ids, hooks.events) if hooks else None


EMITS: dict[str, Emit | None] = {op.key: _emit(op) for op in by_kind("A")}
"""Every action of the catalog -> its events (the catalog's ``webhooks``: tools/catalog_overrides.json)."""


# -- from a write to payloads ---------------------------------------------------------------------------
def _snapshot(record: dict) -> dict:
    """A deep copy of a record as the event conditions see it: API fields plus the bookkeeping they read."""
    return copy.deepcopy({k: v for k, v in record.items() if not k.startswith("_") or k in ("_block", "_campaigns")})


def _campaign_rows(call: Call, contact: dict | None) -> dict[str, dict]:
    """A contact's campaign enrolments as records (the "table" of CampaignStatusUpdate)."""
    if contact is None:
        return {}
    return {campaign_id: {"id": campaign_id, "templateId": campaign_id, "contactId": contact["id"],
                          "locationId": contact.get("locationId")}
            for campaign_id in contact.get("_campaigns", [])}


def snapshot(call: Call) -> dict[str, dict] | None:
    """The records an action is about to change, copied before the write (None: the action sends nothing)."""
    spec = EMITS.get(call.op.key)
    if spec is None:
        return None
    if spec.table == "campaign_status":
        contact = call.state.table("contacts").get(call.path.get("contactId", ""))
        return {"_contact": _snapshot(contact) if contact else {}}
    rows = call.state.table(spec.table)
    before: dict[str, dict] = {}
    for where in spec.ids:
        resolve, early = _ids(where)
        if early:
            before.update({i: _snapshot(rows[i]) for i in resolve(call, None) if i in rows})
    return before


def _changed(fields: str, old: dict | None, new: dict, call: Call) -> bool:
    names = fields.split(",")
    if old is None:
        return any(name in call.data for name in names)
    return any(old.get(name) != new.get(name) for name in names)


def _holds(condition: str, old: dict | None, new: dict, created: bool, call: Call) -> bool:
    kind, _, arg = condition.partition(":")
    if kind == "new":
        return created
    if kind == "existing":
        return not created
    if kind == "changed":
        return _changed(arg, old, new, call)
    if kind == "became":
        return bool(new.get(arg)) and not (old or {}).get(arg)
    if kind == "unless":
        return not new.get(arg)
    raise ValueError(f"unknown webhook condition {condition!r}")


def payload(event_type: str, record: dict) -> dict:
    """The event's own fields from a record: those of its shape the record has (HighLevel omits empty ones)."""
    shape = SHAPES[event_type]
    fields = {name: value for name in shape.fields if (value := _field(record, name)) is not None}
    return {shape.nest: fields} if shape.nest else fields


def _field(record: dict, name: str) -> Any:
    if name == "role":
        return (record.get("roles") or {}).get("role")
    if name == "dateAdded" and "dateAdded" not in record:
        return record.get("createdAt") or record.get("_dateAdded")
    return record.get(name)


def events(call: Call, before: dict[str, dict], answer: Any) -> Iterable[tuple[str, str | None, dict]]:
    """(event type, location id, event fields) for each event a successful write sends, in order."""
    spec = EMITS.get(call.op.key)
    if spec is None:
        return
    if spec.table == "campaign_status":
        yield from _campaign_events(call, before)
        return
    rows = call.state.table(spec.table)
    ids = list(dict.fromkeys(i for where in spec.ids for i in _ids(where)[0](call, answer)))
    for record_id in ids:
        old = before.get(record_id)
        current = rows.get(record_id)
        new = _snapshot(current) if current is not None else old
        if new is None:
            continue
        created = answer.get("new") if isinstance(answer, dict) and isinstance(answer.get("new"), bool) else old is None
        location_id = new.get("locationId") or call.location_id
        for event_type, conditions in spec.rules:
            if all(_holds(condition, old, new, created, call) for condition in conditions):
                yield event_type, location_id, payload(event_type, new)


def _campaign_events(call: Call, before: dict[str, dict]) -> Iterable[tuple[str, str | None, dict]]:
    contact = call.state.table("contacts").get(call.path.get("contactId", ""))
    old, new = _campaign_rows(call, before.get("_contact")), _campaign_rows(call, contact)
    now = call.now()
    for campaign_id in [*[i for i in new if i not in old], *[i for i in old if i not in new]]:
        row = {**(new.get(campaign_id) or old[campaign_id]), "status": "active" if campaign_id in new else "removed",
               "dateAdded": now}
        yield "CampaignStatusUpdate", row.get("locationId") or call.location_id, payload("CampaignStatusUpdate", row)
