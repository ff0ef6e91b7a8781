"""HighLevel's 58 webhook event types, as data: the asset family each one feeds and where its record id is.

One entry per file of ``reference/docs/webhook-events`` (a test checks that the map covers exactly
those files). The key is the event's documented name (the file name); ``WIRE_TYPES`` lists the four
events whose ``type`` field says something else on the wire (``INSTALL``, ``UNINSTALL``,
``PLAN_CHANGE``, ``ConversationUnreadUpdate``). No imports beyond the standard library.
"""

from __future__ import annotations

from typing import Any, NamedTuple


class EventSpec(NamedTuple):
    family: str
    """The last segment of the asset URI: ``ghl://<location_id>/<family>``."""
    record_id: tuple[str, ...]
    """Path to the record's id in the payload (first match wins when several are listed, see ``RECORD_ID_PATHS``)."""


def _spec(family: str, *path: str) -> EventSpec:
    return EventSpec(family, tuple(path))


ID = ("id",)
EVENTS: dict[str, EventSpec] = {
    # app and location
    "AppInstall": _spec("app", "appId"),
    "AppUninstall": _spec("app", "appId"),
    "PlanChange": _spec("app", "appId"),
    "LocationCreate": _spec("locations", *ID),
    "LocationUpdate": _spec("locations", *ID),
    "UserCreate": _spec("users", *ID),
    # appointments
    "AppointmentCreate": _spec("appointments", "appointment", "id"),
    "AppointmentUpdate": _spec("appointments", "appointment", "id"),
    "AppointmentDelete": _spec("appointments", "appointment", "id"),
    # associations, relations and custom objects
    "AssociationCreate": _spec("associations", *ID),
    "AssociationUpdate": _spec("associations", *ID),
    "AssociationDelete": _spec("associations", *ID),
    "RelationCreate": _spec("associations", *ID),
    "RelationDelete": _spec("associations", *ID),
    "ObjectSchemaCreate": _spec("objects", *ID),
    "ObjectSchemaUpdate": _spec("objects", *ID),
    "RecordCreate": _spec("objects", *ID),
    "RecordUpdate": _spec("objects", *ID),
    "RecordDelete": _spec("objects", *ID),
    # contacts, their notes and tasks
    "ContactCreate": _spec("contacts", *ID),
    "ContactUpdate": _spec("contacts", *ID),
    "ContactDelete": _spec("contacts", *ID),
    "ContactDndUpdate": _spec("contacts", *ID),
    "ContactTagUpdate": _spec("contacts", *ID),
    "NoteCreate": _spec("notes", *ID),
    "NoteUpdate": _spec("notes", *ID),
    "NoteDelete": _spec("notes", *ID),
    "TaskCreate": _spec("tasks", *ID),
    "TaskComplete": _spec("tasks", *ID),
    "TaskDelete": _spec("tasks", *ID),
    # campaigns
    "CampaignStatusUpdate": _spec("campaigns", *ID),
    # conversations and email
    "InboundMessage": _spec("conversations", "messageId"),
    "OutboundMessage": _spec("conversations", "messageId"),
    "ProviderOutboundMessage": _spec("conversations", "messageId"),
    "ConversationUnreadWebhook": _spec("conversations", *ID),
    "LCEmailStats": _spec("emails", "webhookPayload", "id"),
    # invoices
    "InvoiceCreate": _spec("invoices", "_id"),
    "InvoiceUpdate": _spec("invoices", "_id"),
    "InvoiceDelete": _spec("invoices", "_id"),
    "InvoiceSent": _spec("invoices", "_id"),
    "InvoicePaid": _spec("invoices", "_id"),
    "InvoicePartiallyPaid": _spec("invoices", "_id"),
    "InvoiceVoid": _spec("invoices", "_id"),
    # opportunities
    "OpportunityCreate": _spec("opportunities", *ID),
    "OpportunityUpdate": _spec("opportunities", *ID),
    "OpportunityDelete": _spec("opportunities", *ID),
    "OpportunityStageUpdate": _spec("opportunities", *ID),
    "OpportunityStatusUpdate": _spec("opportunities", *ID),
    "OpportunityMonetaryValueUpdate": _spec("opportunities", *ID),
    "OpportunityAssignedToUpdate": _spec("opportunities", *ID),
    # orders, products and prices
    "OrderCreate": _spec("orders", "_id"),
    "OrderStatusUpdate": _spec("orders", "_id"),
    "ProductCreate": _spec("products", "_id"),
    "ProductUpdate": _spec("products", "_id"),
    "ProductDelete": _spec("products", "_id"),
    "PriceCreate": _spec("products", "_id"),
    "PriceUpdate": _spec("products", "_id"),
    "PriceDelete": _spec("products", "_id"),
}

WIRE_TYPES: dict[str, str] = {
    "INSTALL": "AppInstall",
    "UNINSTALL": "AppUninstall",
    "PLAN_CHANGE": "PlanChange",
    "ConversationUnreadUpdate": "ConversationUnreadWebhook",
}
"""``type`` values HighLevel sends for events documented under another name."""

FAMILIES: tuple[str, ...] = tuple(sorted({spec.family for spec in EVENTS.values()}))

RECORD_ID_FALLBACKS: tuple[str, ...] = ("id", "_id", "messageId", "conversationId")
"""Tried in order when an event's documented id path is absent (an ``_id`` sent as ``id``; a call without ``messageId``)."""


def event_name(wire_type: Any) -> str | None:
    """The documented event name for a payload's ``type``, or ``None`` for a type HighLevel does not document."""
    if not isinstance(wire_type, str):
        return None
    name = WIRE_TYPES.get(wire_type, wire_type)
    return name if name in EVENTS else None


def events_of(family: str) -> list[str]:
    """The event names that feed one family (``events_of("contacts")``)."""
    return sorted(name for name, spec in EVENTS.items() if spec.family == family)


def record_id(name: str, payload: dict[str, Any]) -> str | None:
    """The id of the record an event is about, or ``None`` when the payload carries none."""
    value: Any = payload
    for key in EVENTS[name].record_id:
        value = value.get(key) if isinstance(value, dict) else None
    if value is None:
        value = next((payload[k] for k in RECORD_ID_FALLBACKS if payload.get(k) is not None), None)
    return str(value) if isinstance(value, str | int) and value != "" else None


def location_of(name: str, payload: dict[str, Any]) -> str | None:
    """The sub-account an event belongs to: ``locationId``; a location's own ``id`` for Location events;
    ``altId`` when ``altType`` is ``location`` (invoices, orders); else the agency's ``companyId`` (agency-level
    installs); ``None`` when the payload has none of them."""
    candidates = [payload.get("locationId")]
    if EVENTS[name].family == "locations":
        candidates.append(payload.get("id"))
    if payload.get("altType") == "location":
        candidates.append(payload.get("altId"))
    candidates.append(payload.get("companyId"))
    return next((str(c) for c in candidates if isinstance(c, str) and c), None)
