"""Sandbox handlers and seed data for HighLevel's locations area: sub-accounts and their custom fields.

Also home of ``seeded_moments``, the tie-producing timestamp spread every seeding area uses.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from airflow_provider_ghl.sandbox.areas.companies import check_company
from airflow_provider_ghl.sandbox.bodies import field_problems
from airflow_provider_ghl.sandbox.errors import unprocessable
from airflow_provider_ghl.sandbox.routing import Call, handles, offset_page, pick
from airflow_provider_ghl.sandbox.state import iso

if TYPE_CHECKING:
    from airflow_provider_ghl.sandbox.state import SandboxState

SEED_WINDOW = timedelta(days=90)
SETTINGS_DEFAULTS = {
    "allowDuplicateContact": False, "allowDuplicateOpportunity": False,
    "allowFacebookNameMerge": False, "disableContactTimezone": False,
}
LOCATION_FIELDS = (
    "id", "companyId", "name", "domain", "address", "city", "state", "logoUrl", "country", "postalCode", "website",
    "timezone", "firstName", "lastName", "email", "phone", "business", "social", "settings", "reseller",
)
SEARCH_FIELDS = (
    "id", "name", "phone", "email", "address", "city", "state", "country", "postalCode", "website", "timezone",
    "settings", "social",
)
CREATED_FIELDS = (
    "id", "companyId", "name", "phone", "email", "address", "city", "state", "domain", "country", "postalCode",
    "website", "timezone", "settings", "social",
)
TEXT_FIELDS = ("name", "phone", "email", "address", "city", "state", "postalCode", "website", "timezone")
TEXT_TYPES = dict.fromkeys(TEXT_FIELDS, "string")
OBJECT_TYPES = {"settings": "object", "social": "object"}
CUSTOM_FIELD_FIELDS = (
    "id", "name", "fieldKey", "placeholder", "dataType", "position", "picklistOptions", "picklistImageOptions",
    "isAllowedCustomOption", "isMultiFileAllowed", "maxFileLimit", "locationId", "model",
)

# (name, dataType, options): what a small services business typically tracks.
CONTACT_FIELDS = (
    ("Lead Source", "SINGLE_OPTIONS", ["Website", "Referral", "Google Ads", "Facebook", "Trade Show"]),
    ("Customer Tier", "SINGLE_OPTIONS", ["Bronze", "Silver", "Gold", "Platinum"]),
    ("Interests", "MULTIPLE_OPTIONS", ["SEO", "Paid Ads", "Email Marketing", "Web Design"]),
    ("Renewal Date", "DATE", None),
    ("Annual Budget", "MONETORY", None),
    ("Employees", "NUMERICAL", None),
    ("Background Notes", "LARGE_TEXT", None),
    ("Newsletter Opt In", "CHECKBOX", ["Yes"]),
    ("Account Manager", "TEXT", None),
)
OPPORTUNITY_FIELDS = (
    ("Deal Source", "SINGLE_OPTIONS", ["Inbound", "Outbound", "Partner"]),
    ("Expected Close Date", "DATE", None),
    ("Competitor", "TEXT", None),
)
# The sandbox location first; the others are sibling sub-accounts of the same agency.
LOCATIONS = (
    ("Northwind Dental", "Austin", "TX", "78701", "America/Chicago"),
    ("Northwind Fitness", "Denver", "CO", "80202", "America/Denver"),
    ("Northwind Legal", "Boston", "MA", "02108", "America/New_York"),
    ("Northwind Realty", "Seattle", "WA", "98101", "America/Los_Angeles"),
)


def seeded_moments(state: SandboxState, count: int, per_moment: int = 3) -> list[datetime]:
    """``count`` instants in the 90 days before the seed anchor, about ``per_moment`` sharing each instant.

    Shared instants are deliberate: cursors on a timestamp must be tested against ties.
    """
    anchor, window_ms = state.seed_anchor(), int(SEED_WINDOW.total_seconds() * 1000)
    pool = [anchor - timedelta(milliseconds=state.rng.randrange(1, window_ms)) for _ in range(max(1, count // per_moment))]
    return [state.rng.choice(pool) for _ in range(count)]


def field_key(model: str, name: str) -> str:
    return f"{model}.{re.sub(r'[^a-z0-9]+', '_', name.lower()).strip('_')}"


def seed(state: SandboxState) -> None:
    moments = sorted(seeded_moments(state, len(LOCATIONS), per_moment=1))
    for index, (name, city, region, postal, timezone) in enumerate(LOCATIONS):
        slug = name.lower().replace(" ", "")
        location_id = state.location_id if index == 0 else state.new_id()
        state.insert("locations", {
            "id": location_id, "companyId": state.company_id, "name": name, "domain": f"{slug}.example",
            "address": f"{100 + index * 25} Main Street", "city": city, "state": region, "country": "US",
            "postalCode": postal, "website": f"https://{slug}.example", "timezone": timezone,
            "logoUrl": f"https://assets.{slug}.example/logo.png", "firstName": "Jordan", "lastName": "Avery",
            "email": f"hello@{slug}.example", "phone": f"+1512555{index:04d}",
            "business": {"name": name, "address": f"{100 + index * 25} Main Street", "city": city, "state": region,
                         "country": "US", "postalCode": postal, "website": f"https://{slug}.example",
                         "timezone": timezone},
            "social": {"facebookUrl": f"https://facebook.com/{slug}", "instagram": f"https://instagram.com/{slug}"},
            "settings": dict(SETTINGS_DEFAULTS), "reseller": {},
            "_dateAdded": iso(moments[index]),
        })
    for model, fields in (("contact", CONTACT_FIELDS), ("opportunity", OPPORTUNITY_FIELDS)):
        for position, (name, data_type, options) in enumerate(fields):
            record = {
                "name": name, "fieldKey": field_key(model, name), "placeholder": name, "dataType": data_type,
                "position": position * 50, "locationId": state.location_id, "model": model,
                "isAllowedCustomOption": False, "isMultiFileAllowed": False, "maxFileLimit": 0,
                "picklistImageOptions": [],
            }
            if options:
                record["picklistOptions"] = list(options)
            state.insert("custom_fields", record)


@handles("list_locations")
def list_locations(call: Call) -> dict:
    company_id = check_company(call, call.query.get("companyId"))
    order = call.query.get("order") or "asc"
    if order not in ("asc", "desc"):
        raise unprocessable("order must be one of the following values: asc, desc")
    email = (call.query.get("email") or "").lower()
    matches = [
        loc for loc in call.table("locations").values()
        if loc.get("companyId") == company_id and (not email or loc.get("email", "").lower() == email)
    ]
    matches.sort(key=lambda loc: (loc["_dateAdded"], loc["id"]), reverse=order == "desc")
    page = offset_page(call, matches, default_limit=10, max_limit=call.op.pagination["max_limit"])
    return {"locations": [pick(loc, SEARCH_FIELDS) for loc in page]}


@handles("find_location")
def find_location(call: Call) -> dict:
    return {"location": pick(call.record("locations", call.path["locationId"], "Location"), LOCATION_FIELDS)}


@handles("create_location")
def create_location(call: Call) -> dict:
    data = call.data
    company_id = check_company(call, data["companyId"])
    country = data.get("country", "US")
    problems = field_problems(data, TEXT_TYPES, null_allowed=False)
    if not (isinstance(country, str) and re.fullmatch(r"[A-Z]{2}", country)):
        problems.append("country must be a valid ISO 3166-1 alpha-2 country code")
    problems += field_problems(data, OBJECT_TYPES, null_allowed=False)
    if problems:
        raise unprocessable(*problems)
    slug = re.sub(r"[^a-z0-9]+", "", data["name"].lower()) or "location"
    location = call.state.insert("locations", {
        "id": call.state.new_id(), "companyId": company_id, "country": country, "domain": f"{slug}.example",
        **pick(data, TEXT_FIELDS),
        "settings": {**SETTINGS_DEFAULTS, **data.get("settings", {})}, "social": dict(data.get("social", {})),
        "business": pick(data, ("name", "address", "city", "state", "country", "postalCode", "website", "timezone")),
        "reseller": {}, "_dateAdded": call.now(),
    })
    return pick(location, CREATED_FIELDS)


@handles("list_custom_fields")
def list_custom_fields(call: Call) -> dict:
    model = call.query.get("model") or "all"
    models = call.op.query_param("model").enum  # HighLevel's enum, from the official spec via the catalog
    if model not in models:
        raise unprocessable(f"model must be one of the following values: {', '.join(models)}")
    fields = [
        pick(field, CUSTOM_FIELD_FIELDS) for field in call.table("custom_fields").values()
        if field.get("locationId") == call.location_id and model in ("all", field.get("model"))
    ]
    return {"customFields": fields}
