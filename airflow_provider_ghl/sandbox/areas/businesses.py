"""Sandbox handlers and seed data for HighLevel's businesses area (the companies contacts work for)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from airflow_provider_ghl.sandbox.areas.locations import seeded_moments
from airflow_provider_ghl.sandbox.bodies import EMAIL, field_problems
from airflow_provider_ghl.sandbox.errors import unprocessable
from airflow_provider_ghl.sandbox.routing import Call, handles, of_location, offset_page, pick
from airflow_provider_ghl.sandbox.state import iso

if TYPE_CHECKING:
    from airflow_provider_ghl.sandbox.state import SandboxState

EDITABLE_FIELDS = (
    "name", "phone", "email", "website", "address", "city", "description", "state", "postalCode", "country",
)
EDITABLE_TYPES = dict.fromkeys(EDITABLE_FIELDS, "string")
BUSINESS_FIELDS = ("id", *EDITABLE_FIELDS, "updatedBy", "locationId", "createdBy", "createdAt", "updatedAt")
NAME_PARTS = (
    ("Acme", "Blue Harbor", "Cedar", "Summit", "Lakeside", "Redwood", "Granite", "Silver Oak", "Brightline", "Maple"),
    ("Logistics", "Dental Group", "Roofing", "Consulting", "Bakery", "Law Firm", "Fitness", "Realty", "Labs", "Motors"),
)
CITIES = (("Austin", "TX", "78701"), ("Denver", "CO", "80202"), ("Portland", "OR", "97201"), ("Miami", "FL", "33101"))
# Who wrote a record, as HighLevel stamps it (the official DTO leaves the object's shape open).
API_WRITER = {"source": "INTEGRATION", "channel": "API"}


def seed(state: SandboxState) -> None:
    count = max(3, state.config.contacts // 20)
    rng = state.rng
    for index, moment in enumerate(seeded_moments(state, count)):
        name = f"{rng.choice(NAME_PARTS[0])} {rng.choice(NAME_PARTS[1])}"
        if index >= 100:
            name = f"{name} {index}"
        city, region, postal = rng.choice(CITIES)
        slug = re.sub(r"[^a-z0-9]+", "", name.lower())
        stamp = iso(moment)
        state.insert("businesses", {
            "id": state.new_id(), "name": name, "phone": f"+1512{rng.randrange(10**7):07d}",
            "email": f"info@{slug}.example", "website": f"https://{slug}.example",
            "address": f"{rng.randrange(1, 9999)} Commerce Way", "city": city, "state": region,
            "postalCode": postal, "country": "US", "description": f"{name}, a customer since {stamp[:4]}.",
            "locationId": state.location_id, "createdBy": {"source": "WEB_USER", "channel": "APP"},
            "updatedBy": {"source": "WEB_USER", "channel": "APP"}, "createdAt": stamp, "updatedAt": stamp,
        })


def _changes(data: dict) -> dict:
    problems = field_problems(data, EDITABLE_TYPES, null_allowed=False)
    if "name" in data and isinstance(data["name"], str) and not data["name"].strip():
        problems.append("name should not be empty")
    if isinstance(data.get("email"), str) and data["email"] and not EMAIL.fullmatch(data["email"]):
        problems.append("email must be an email")
    if problems:
        raise unprocessable(*problems)
    return pick(data, EDITABLE_FIELDS)


def _business(call: Call) -> dict:
    return call.record("businesses", call.path["businessId"], "Business")


@handles("get_business")
def get_business(call: Call) -> dict:
    return {"business": pick(_business(call), BUSINESS_FIELDS)}


@handles("list_businesses_by_location")
def list_businesses_by_location(call: Call) -> dict:
    businesses = sorted(of_location(call.table("businesses").values(), call.location_id),
                        key=lambda b: (b["createdAt"], b["id"]))
    page = offset_page(call, businesses, default_limit=100, max_limit=call.op.pagination["max_limit"])
    return {"businesses": [pick(b, BUSINESS_FIELDS) for b in page]}


# ``buiseness`` (sic) is the key HighLevel's create/update answers use.
@handles("create_business")
def create_business(call: Call) -> dict:
    now = call.now()
    business = call.state.insert("businesses", {
        "id": call.state.new_id(), **_changes(call.data), "locationId": call.location_id,
        "createdBy": dict(API_WRITER), "updatedBy": dict(API_WRITER), "createdAt": now, "updatedAt": now,
    })
    return {"success": True, "buiseness": pick(business, BUSINESS_FIELDS)}


@handles("update_business")
def update_business(call: Call) -> dict:
    business = _business(call)
    business.update(_changes(call.data), updatedBy=dict(API_WRITER), updatedAt=call.now())
    return {"success": True, "buiseness": pick(business, BUSINESS_FIELDS)}


@handles("delete_business")
def delete_business(call: Call) -> dict:
    del call.table("businesses")[_business(call)["id"]]
    return {"success": True}
