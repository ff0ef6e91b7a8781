"""Sandbox handlers and seed data for HighLevel's users area (agency and sub-account staff)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from airflow_provider_ghl.sandbox.areas.companies import check_company
from airflow_provider_ghl.sandbox.areas.locations import seeded_moments
from airflow_provider_ghl.sandbox.bodies import EMAIL, field_problems
from airflow_provider_ghl.sandbox.errors import bad_request, not_found, unprocessable
from airflow_provider_ghl.sandbox.params import integer
from airflow_provider_ghl.sandbox.routing import Call, handles, offset_page, pick
from airflow_provider_ghl.sandbox.state import iso

if TYPE_CHECKING:
    from airflow_provider_ghl.sandbox.state import SandboxState

PERMISSIONS_OFF_BY_DEFAULT = frozenset({
    "campaignsReadOnly", "workflowsReadOnly", "websitesEnabled", "assignedDataOnly", "adwordsReportingEnabled",
    "membershipEnabled", "facebookAdsReportingEnabled", "attributionsReportingEnabled", "botService",
})
PERMISSIONS_ON_BY_DEFAULT = (
    "campaignsEnabled", "contactsEnabled", "workflowsEnabled", "triggersEnabled", "funnelsEnabled",
    "opportunitiesEnabled", "dashboardStatsEnabled", "bulkRequestsEnabled", "appointmentsEnabled", "reviewsEnabled",
    "onlineListingsEnabled", "phoneCallEnabled", "conversationsEnabled", "settingsEnabled", "tagsEnabled",
    "leadValueEnabled", "marketingEnabled", "agentReportingEnabled", "socialPlanner", "bloggingEnabled",
    "invoiceEnabled", "affiliateManagerEnabled", "contentAiEnabled", "refundsEnabled", "recordPaymentEnabled",
    "cancelSubscriptionEnabled", "paymentsEnabled", "communitiesEnabled", "exportPaymentsEnabled",
)
DEFAULT_PERMISSIONS = {
    **dict.fromkeys(PERMISSIONS_ON_BY_DEFAULT, True), **dict.fromkeys(PERMISSIONS_OFF_BY_DEFAULT, False),
}
# ``scopes`` is left out: the official response DTO types it as one enum string while requests send a list.
USER_FIELDS = (
    "id", "name", "firstName", "lastName", "email", "phone", "extension", "permissions", "roles", "lcPhone",
    "platformLanguage",
)
LISTED_USER_FIELDS = (*USER_FIELDS, "deleted")
STRING_TYPES = dict.fromkeys(
    ("firstName", "lastName", "email", "password", "phone", "type", "role", "profilePhoto"), "string")
SETTINGS_TYPES = {"permissions": "object", "twilioPhone": "object", "scopes": "array", "scopesAssignedToOnly": "array"}
USER_TYPES = ("agency", "account")
USER_ROLES = ("admin", "user")
PLATFORM_LANGUAGES = ("en_US", "es", "fr_CA", "fr_FR", "nl", "de", "pt_PT", "pt_BR", "it", "sv", "da", "fi", "no")
SORTABLE = {"firstName", "lastName", "email", "dateAdded"}
# (first, last, type, role): an agency owner and admin, then the sub-account's team.
SEED_USERS = (
    ("Avery", "Jordan", "agency", "admin"),
    ("Morgan", "Lee", "agency", "user"),
    ("Riley", "Chen", "account", "admin"),
    ("Casey", "Patel", "account", "user"),
    ("Jamie", "Garcia", "account", "user"),
    ("Taylor", "Nguyen", "account", "user"),
)


def seed(state: SandboxState) -> None:
    moments = seeded_moments(state, len(SEED_USERS), per_moment=2)
    for index, (first, last, user_type, role) in enumerate(SEED_USERS):
        phone = f"+1737555{index:04d}"
        state.insert("users", {
            "id": state.new_id(), "name": f"{first} {last}", "firstName": first, "lastName": last,
            "email": f"{first.lower()}.{last.lower()}@northwind-agency.example", "phone": phone,
            "extension": "", "permissions": dict(DEFAULT_PERMISSIONS),
            "roles": {"type": user_type, "role": role, "locationIds": [state.location_id],
                      "restrictSubAccount": user_type == "account"},
            "deleted": False, "lcPhone": {state.location_id: phone}, "platformLanguage": "en_US",
            "_companyId": state.company_id, "_dateAdded": iso(moments[index]), "_scopes": [],
        })


def active_user(call: Call, user_id: str) -> dict:
    user = call.table("users").get(user_id)
    if user is None or user["deleted"] or user["_companyId"] != call.token.company_id:
        raise not_found("User")
    return user


def user_ids_of_location(state: SandboxState, location_id: str) -> list[str]:
    """Active users who work in a location (other areas assign records to them)."""
    return [
        u["id"] for u in state.table("users").values()
        if not u["deleted"] and location_id in u["roles"]["locationIds"]
    ]


def _of_company(call: Call, company_id: str, *, deleted: bool = False) -> list[dict]:
    return [u for u in call.table("users").values() if u["_companyId"] == company_id and u["deleted"] == deleted]


def _validated(call: Call, data: dict, *, creating: bool) -> dict:
    """The user fields a create/update body sets, or 422 naming every bad field."""
    problems = field_problems(data, STRING_TYPES, null_allowed=False)
    if creating and isinstance(data.get("email"), str) and not EMAIL.fullmatch(data["email"]):
        problems.append("email must be an email")
    if isinstance(data.get("type"), str) and data["type"] not in USER_TYPES:
        problems.append(f"type must be one of the following values: {', '.join(USER_TYPES)}")
    if isinstance(data.get("role"), str) and data["role"] not in USER_ROLES:
        problems.append(f"role must be one of the following values: {', '.join(USER_ROLES)}")
    if "locationIds" in data and not (
        isinstance(data["locationIds"], list) and all(isinstance(i, str) for i in data["locationIds"])
    ):
        problems.append("locationIds must be an array of strings")
    elif creating and data["locationIds"] == [] and data.get("type") == "account":
        problems.append("locationIds should not be empty")
    if "platformLanguage" in data and data["platformLanguage"] not in PLATFORM_LANGUAGES:
        problems.append(f"platformLanguage must be one of the following values: {', '.join(PLATFORM_LANGUAGES)}")
    problems += field_problems(data, SETTINGS_TYPES, null_allowed=False)
    if problems:
        raise unprocessable(*problems)
    changes = pick(data, ("firstName", "lastName", "phone", "platformLanguage"))
    if "permissions" in data:
        unknown = set(data["permissions"]) - set(DEFAULT_PERMISSIONS)
        if unknown:
            raise unprocessable(*(f"permissions.{name} is not a known permission" for name in sorted(unknown)))
        changes["permissions"] = data["permissions"]
    if "scopes" in data:
        changes["_scopes"] = list(data["scopes"])
    if "twilioPhone" in data:
        changes["lcPhone"] = dict(data["twilioPhone"])
    return changes


def _apply(user: dict, changes: dict, data: dict) -> dict:
    permissions = changes.pop("permissions", None)
    user.update(changes)
    if permissions is not None:
        user["permissions"] = {**user["permissions"], **permissions}
    roles = user["roles"]
    roles.update(pick(data, ("type", "role", "locationIds")))
    roles["restrictSubAccount"] = roles["type"] == "account"
    user["name"] = f"{user['firstName']} {user['lastName']}".strip()
    return user


def _listing(users: list[dict]) -> list[dict]:
    return [pick(u, LISTED_USER_FIELDS) for u in users]


@handles("search_users")
def search_users(call: Call) -> dict:
    query = call.query
    users = _of_company(call, check_company(call, query["companyId"]))
    text = (query.get("query") or "").lower()
    ids = {i for i in (query.get("ids") or "").split(",") if i}
    location_id, user_type, role = query.get("locationId"), query.get("type"), query.get("role")
    matches = [
        u for u in users
        if (not text or any(text in (u.get(f) or "").lower() for f in ("name", "email", "phone")))
        and (not ids or u["id"] in ids)
        and (not location_id or location_id in u["roles"]["locationIds"])
        and (not user_type or u["roles"]["type"] == user_type)
        and (not role or u["roles"]["role"] == role)
    ]
    sort, direction = query.get("sort"), query.get("sortDirection") or "asc"
    if sort and sort not in SORTABLE:
        raise unprocessable(f"sort must be one of the following values: {', '.join(sorted(SORTABLE))}")
    if direction not in ("asc", "desc"):
        raise unprocessable("sortDirection must be one of the following values: asc, desc")
    # HighLevel's default order is by full name.
    sort_key = "_dateAdded" if sort == "dateAdded" else sort or "name"
    matches.sort(key=lambda u: ((u.get(sort_key) or "").lower(), u["id"]), reverse=direction == "desc")
    page = offset_page(call, matches, default_limit=25, max_limit=call.op.pagination["max_limit"])
    return {"users": _listing(page), "count": len(matches)}


@handles("filter_users_by_email")
def filter_users_by_email(call: Call) -> dict:
    data = call.data
    company_id = check_company(call, data["companyId"])
    emails = data["emails"]
    if isinstance(emails, str):
        emails = emails.split(",")
    if not isinstance(emails, list) or not all(isinstance(e, str) for e in emails):
        raise unprocessable("emails must be a comma-separated string of emails")
    wanted = {e.strip().lower() for e in emails if e.strip()}
    deleted = data.get("deleted", False)
    if not isinstance(deleted, bool):
        raise unprocessable("deleted must be a boolean value")
    matches = [u for u in _of_company(call, company_id, deleted=deleted) if u["email"].lower() in wanted]
    matches.sort(key=lambda u: (u["name"].lower(), u["id"]))
    skip, limit = _body_number(data, "skip", 0, 0), _body_number(data, "limit", 25, 1)  # the gate checked its maximum
    return {"users": _listing(matches[skip : skip + limit]), "count": len(matches)}


def _body_number(data: dict, name: str, default: int, minimum: int) -> int:
    """skip/limit travel as digit strings in this body (HighLevel's DTO); numbers are accepted too."""
    return integer(data.get(name, default), name, minimum=minimum)


@handles("get_user")
def get_user(call: Call) -> dict:
    return pick(active_user(call, call.path["userId"]), USER_FIELDS)


@handles("list_users_by_location")
def list_users_by_location(call: Call) -> dict:
    ids = set(user_ids_of_location(call.state, call.location_id))
    users = sorted((u for u in call.table("users").values() if u["id"] in ids), key=lambda u: u["name"].lower())
    return {"users": _listing(users)}


@handles("create_user")
def create_user(call: Call) -> dict:
    data = call.data
    company_id = check_company(call, data["companyId"])
    changes = _validated(call, data, creating=True)
    if any(u["email"].lower() == data["email"].lower() for u in _of_company(call, company_id)):
        raise bad_request("User already exists with this email")
    user = {
        "id": call.state.new_id(), "email": data["email"], "extension": "", "deleted": False,
        "permissions": dict(DEFAULT_PERMISSIONS), "roles": {}, "lcPhone": {}, "platformLanguage": "en_US",
        "_companyId": company_id, "_dateAdded": call.now(), "_scopes": [],
    }
    call.state.insert("users", _apply(user, changes, data))
    return pick(user, USER_FIELDS)


@handles("update_user")
def update_user(call: Call) -> dict:
    user = active_user(call, call.path["userId"])
    data = call.data
    if "companyId" in data:
        check_company(call, data["companyId"])
    # ``email`` is deprecated in UpdateUserDto: HighLevel accepts the field and keeps the address.
    return pick(_apply(user, _validated(call, data, creating=False), data), USER_FIELDS)


@handles("delete_user")
def delete_user(call: Call) -> dict:
    user = active_user(call, call.path["userId"])
    # HighLevel queues the deletion; the sandbox applies it at once (filter-by-email with deleted=true still finds it).
    user["deleted"] = True
    return {
        "succeded": True,
        "message": f"Queued deleting user with e-mail {user['email']} and name {user['name']}. "
                   "Will take effect in a few minutes.",
    }
