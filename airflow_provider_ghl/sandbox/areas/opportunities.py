"""Sandbox handlers and seed data for HighLevel's opportunities area: pipelines, their stages and deals."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from airflow_provider_ghl.sandbox.areas.locations import seeded_moments
from airflow_provider_ghl.sandbox.areas.users import user_ids_of_location
from airflow_provider_ghl.sandbox.bodies import field_problems
from airflow_provider_ghl.sandbox.errors import bad_request, unprocessable
from airflow_provider_ghl.sandbox.records import public
from airflow_provider_ghl.sandbox.routing import Call, handles, of_location, pick
from airflow_provider_ghl.sandbox.state import epoch_ms, iso, parse_time

if TYPE_CHECKING:
    from airflow_provider_ghl.sandbox.state import SandboxState

STATUSES = ("open", "won", "lost", "abandoned")
SEARCH_STATUSES = (*STATUSES, "all")
SEARCH_ORDERS = ("added_desc", "added_asc")
OPPORTUNITY_FIELDS = (
    "id", "name", "monetaryValue", "pipelineId", "pipelineStageId", "assignedTo", "status", "source",
    "lastStatusChangeAt", "lastStageChangeAt", "lastActionDate", "createdAt", "updatedAt", "dateAdded", "contactId",
    "locationId", "lostReasonId", "customFields", "followers",
)
FORECAST_TYPES = {"forecastProbability": "number", "forecastExpectedCloseDate": "string"}
"""What v3's create, update and upsert bodies add (opportunities-v3.json): stored on the record, shown in v3's answers."""
STRING_TYPES = dict.fromkeys(("name", "pipelineId", "pipelineStageId", "assignedTo", "contactId", "lostReasonId"), "string")
PIPELINE_FIELDS = ("id", "name", "stages", "showInFunnel", "showInPieChart", "locationId", "dateAdded", "dateUpdated")
# What search_opportunities' get* flags pull in for each opportunity's contact.
CONTACT_EXTRAS = {"getTasks": ("tasks", "contact_tasks"), "getNotes": ("notes", "contact_notes"),
                  "getCalendarEvents": ("calendarEvents", "events")}
SEED_PIPELINES = (
    ("Sales Pipeline", ("New Lead", "Contacted", "Proposal Sent", "Negotiation", "Closed")),
    ("Renewals", ("Upcoming", "In Review", "Renewed")),
    ("Partnerships", ("Intro", "Evaluation", "Signed")),
)
PRODUCTS = ("Website Redesign", "SEO Retainer", "Ads Management", "Annual Plan", "Consulting Package", "Starter Plan")
SOURCES = ("website", "referral", "google ads", "facebook", "cold outreach")
LOST_REASONS = ("lr-price-too-high", "lr-went-with-competitor", "lr-no-response")


def seed(state: SandboxState) -> None:
    location_id = state.location_id
    rng = state.rng
    anchor = state.seed_anchor()
    pipelines = []
    for name, stage_names in SEED_PIPELINES:
        created = iso(anchor - timedelta(days=120))
        pipelines.append(state.insert("pipelines", {
            "id": state.new_id(), "name": name, "showInFunnel": True, "showInPieChart": True,
            "locationId": location_id, "dateAdded": created, "dateUpdated": created,
            "stages": [
                {"id": str(uuid.UUID(int=rng.getrandbits(128), version=4)), "name": stage, "position": position,
                 "showInFunnel": True, "showInPieChart": True}
                for position, stage in enumerate(stage_names)
            ],
        }))
    contacts = of_location(state.table("contacts").values(), location_id)
    # One opportunity per contact at most, so a seeded deal never breaks HighLevel's no-duplicate rule.
    contacts = rng.sample(contacts, len(contacts) // 2)
    users = user_ids_of_location(state, location_id)
    fields = [f for f in of_location(state.table("custom_fields").values(), location_id) if f["model"] == "opportunity"]
    # Moments tie in groups (several deals created in the same millisecond) to test the cursor.
    for contact, created in zip(contacts, seeded_moments(state, len(contacts)), strict=True):
        pipeline = rng.choice(pipelines)
        status = rng.choices(STATUSES, weights=(70, 15, 10, 5))[0]
        updated = min(created + timedelta(hours=rng.randrange(0, 24 * 20)), anchor)
        record = {
            "id": state.new_id(), "name": f"{_contact_name(contact)} - {rng.choice(PRODUCTS)}",
            "monetaryValue": rng.randrange(5, 200) * 100, "pipelineId": pipeline["id"],
            "pipelineStageId": rng.choice(pipeline["stages"])["id"], "status": status, "source": rng.choice(SOURCES),
            "contactId": contact["id"], "locationId": location_id, "followers": [],
            "customFields": [{"id": fields[0]["id"], "fieldValue": rng.choice(fields[0]["picklistOptions"])}]
            if fields else [],
        }
        if users and rng.random() < 0.8:
            record["assignedTo"] = rng.choice(users)
        if status == "lost":
            record["lostReasonId"] = rng.choice(LOST_REASONS)
        _stamp_created(record, created)
        touched = iso(updated)
        record.update(lastStatusChangeAt=touched, lastStageChangeAt=touched, lastActionDate=touched, updatedAt=touched)
        state.insert("opportunities", record)


def _stamp_created(record: dict, moment: datetime) -> None:
    stamp = iso(moment)
    record.update(createdAt=stamp, dateAdded=stamp, updatedAt=stamp, lastStatusChangeAt=stamp,
                  lastStageChangeAt=stamp, lastActionDate=stamp, _createdMs=epoch_ms(moment))


def _contact_name(contact: dict) -> str:
    full = f"{contact.get('firstName') or ''} {contact.get('lastName') or ''}".strip()
    return contact.get("contactName") or full or contact.get("email") or contact["id"]


def _contact_summary(call: Call, contact_id: str) -> dict:
    contact = call.table("contacts").get(contact_id)
    if contact is None:
        return {"id": contact_id}
    summary = {"id": contact_id, "name": _contact_name(contact), "tags": list(contact.get("tags") or [])}
    summary.update({k: contact[k] for k in ("companyName", "email", "phone") if contact.get(k)})
    return summary


def _present(call: Call, record: dict, related: dict[str, dict[str, list]] | None = None) -> dict:
    """An opportunity as HighLevel answers it: its contact inlined, related lists present.

    ``related``: list name -> contact id -> rows, for the lists a search asked for.
    """
    fields = (*OPPORTUNITY_FIELDS, *FORECAST_TYPES) if call.api == "v3" else OPPORTUNITY_FIELDS
    shown = {**pick(record, fields), "contact": _contact_summary(call, record["contactId"]),
             "notes": [], "tasks": [], "calendarEvents": []}
    for key, by_contact in (related or {}).items():
        shown[key] = by_contact.get(record["contactId"], [])
    return shown


def _related(call: Call, records: list[dict]) -> dict[str, dict[str, list]]:
    """The contacts' tasks/notes/events a search's get* flags ask for, grouped by contact in one pass per table."""
    contact_ids = {r["contactId"] for r in records}
    related: dict[str, dict[str, list]] = {}
    for flag, (key, table) in CONTACT_EXTRAS.items():
        if call.query.get(flag) == "true":
            grouped = related[key] = {}
            for row in call.table(table).values():
                if row.get("contactId") in contact_ids:
                    grouped.setdefault(row["contactId"], []).append(public(row))
    return related


def _opportunity(call: Call) -> dict:
    return call.record("opportunities", call.path["id"], "Opportunity")


def _pipeline_of(call: Call, pipeline_id: Any) -> dict:
    pipeline = call.table("pipelines").get(pipeline_id) if isinstance(pipeline_id, str) else None
    if pipeline is None or pipeline["locationId"] != call.location_id:
        raise unprocessable("pipelineId must be the id of a pipeline of this location")
    return pipeline


def _changes(call: Call, data: dict, record: dict | None) -> dict:
    """The validated field changes of a create/update/upsert body; 422 names every bad field."""
    problems = field_problems(data, {**STRING_TYPES, **(FORECAST_TYPES if call.api == "v3" else {})}, null_allowed=False)
    probability = data.get("forecastProbability") if call.api == "v3" else None
    if isinstance(probability, int | float) and not 0 <= probability <= 100:
        problems.append("forecastProbability must be a percentage from 0 to 100")
    if "status" in data and data["status"] not in STATUSES:
        problems.append(f"status must be one of the following values: {', '.join(STATUSES)}")
    value = data.get("monetaryValue")
    if value is not None and (isinstance(value, bool) or not isinstance(value, int | float) or value < 0):
        problems.append("monetaryValue must be a number not less than 0")
    if data.get("assignedTo") and data["assignedTo"] not in user_ids_of_location(call.state, call.location_id):
        problems.append("assignedTo must be the id of a user of this location")
    if "contactId" in data and isinstance(data["contactId"], str):
        contact = call.table("contacts").get(data["contactId"])
        if contact is None or contact.get("locationId") != call.location_id:
            problems.append("contactId must be the id of a contact of this location")
    custom_fields = _custom_fields(call, data.get("customFields", []), problems)
    if problems:
        raise unprocessable(*problems)
    changes = pick(data, ("name", "status", "monetaryValue", "assignedTo", "contactId", "lostReasonId",
                          *(FORECAST_TYPES if call.api == "v3" else ())))
    pipeline_id = data.get("pipelineId") or (record or {}).get("pipelineId")
    if pipeline_id is not None and ("pipelineId" in data or "pipelineStageId" in data):
        stages = [stage["id"] for stage in _pipeline_of(call, pipeline_id)["stages"]]
        stage_id = data.get("pipelineStageId") or (
            record["pipelineStageId"] if record and record["pipelineId"] == pipeline_id else stages[0]
        )
        if stage_id not in stages:
            raise unprocessable("pipelineStageId must be a stage of the pipeline")
        changes.update(pipelineId=pipeline_id, pipelineStageId=stage_id)
    if custom_fields:
        kept = [f for f in (record or {}).get("customFields", []) if f["id"] not in {c["id"] for c in custom_fields}]
        changes["customFields"] = kept + custom_fields
    return changes


def _custom_fields(call: Call, given: Any, problems: list[str]) -> list[dict]:
    """``[{id or key, field_value}]`` in, ``[{id, fieldValue}]`` stored (the shape HighLevel answers with)."""
    if not isinstance(given, list):
        problems.append("customFields must be an array")
        return []
    known = {f["id"]: f for f in of_location(call.table("custom_fields").values(), call.location_id)
             if f["model"] == "opportunity"}
    by_key = {f["fieldKey"]: f for f in known.values()} | {f["fieldKey"].split(".", 1)[1]: f for f in known.values()}
    stored = []
    for index, item in enumerate(given):
        field = known.get(item.get("id")) or by_key.get(item.get("key")) if isinstance(item, dict) else None
        if field is None:
            problems.append(f"customFields.{index} must name an opportunity custom field by id or key")
        else:
            stored.append({"id": field["id"], "fieldValue": item.get("field_value", item.get("fieldValue"))})
    return stored


def _apply(call: Call, record: dict, changes: dict) -> dict:
    now = call.now()
    if changes.get("status", record.get("status")) != record.get("status"):
        record["lastStatusChangeAt"] = now
        if changes["status"] != "lost":
            record.pop("lostReasonId", None)
    if changes.get("pipelineStageId", record.get("pipelineStageId")) != record.get("pipelineStageId"):
        record["lastStageChangeAt"] = now
    record.update(changes, updatedAt=now, lastActionDate=now)
    return record


def _create(call: Call, data: dict, changes: dict) -> dict:
    for name in ("name", "contactId", "pipelineId"):
        if not changes.get(name):
            raise unprocessable(f"{name} should not be empty")
    location = call.table("locations").get(call.location_id, {})
    duplicate = any(
        o["contactId"] == changes["contactId"] and o["pipelineId"] == changes["pipelineId"]
        for o in of_location(call.table("opportunities").values(), call.location_id)
    )
    if duplicate and not location.get("settings", {}).get("allowDuplicateOpportunity"):
        raise bad_request("Can not create duplicate opportunity for the contact.")
    record = {"id": call.state.new_id(), "status": "open", "source": "api", "monetaryValue": 0, "followers": [],
              "customFields": [], "locationId": call.location_id, **changes}
    _stamp_created(record, call.state.now())
    return call.state.insert("opportunities", record)


def _followers(call: Call, data: dict) -> list[str]:
    followers = data.get("followers", [])
    if not isinstance(followers, list) or not all(isinstance(f, str) for f in followers):
        raise unprocessable("followers must be an array of user ids")
    users = set(user_ids_of_location(call.state, call.location_id))
    unknown = [f for f in followers if f not in users]
    if unknown:
        raise unprocessable(*(f"followers: {f} is not a user of this location" for f in unknown))
    return followers


def _add_followers(record: dict, followers: list[str]) -> list[str]:
    added = [f for f in dict.fromkeys(followers) if f not in record["followers"]]
    record["followers"] = record["followers"] + added
    return added


def _remove_followers(record: dict, followers: list[str] | None) -> list[str]:
    """Remove ``followers`` (``None``: everyone)."""
    removed = [f for f in record["followers"] if followers is None or f in followers]
    record["followers"] = [f for f in record["followers"] if f not in removed]
    return removed


# -- search ---------------------------------------------------------------------------------------
def _day(call: Call, name: str, end: bool) -> int | None:
    raw = call.query.get(name)
    if not raw:
        return None
    try:
        moment = datetime.strptime(raw, "%m-%d-%Y").replace(tzinfo=UTC)
    except ValueError:
        try:
            moment = parse_time(raw)
        except ValueError:
            raise unprocessable(f"{name} must be a date in mm-dd-yyyy format") from None
        return epoch_ms(moment)
    return epoch_ms(moment + timedelta(days=1)) - 1 if end else epoch_ms(moment)


def _matches(call: Call) -> list[dict]:
    query = call.query
    status = query.get("status") or "all"
    if status not in SEARCH_STATUSES:
        raise unprocessable(f"status must be one of the following values: {', '.join(SEARCH_STATUSES)}")
    since, until = _day(call, "date", end=False), _day(call, "endDate", end=True)
    equal = {field: query.get(param) for param, field in (
        ("pipeline_id", "pipelineId"), ("pipeline_stage_id", "pipelineStageId"), ("contact_id", "contactId"),
        ("assigned_to", "assignedTo"), ("id", "id"),
    ) if query.get(param)}
    text = (query.get("q") or "").lower()
    contacts = call.table("contacts")
    found = []
    for record in of_location(call.table("opportunities").values(), call.location_id):
        if (status != "all" and record["status"] != status) or any(record.get(f) != v for f, v in equal.items()):
            continue
        if (since is not None and record["_createdMs"] < since) or (until is not None and record["_createdMs"] > until):
            continue
        if text:
            contact = contacts.get(record["contactId"], {})
            haystack = (record["name"], _contact_name(contact) if contact else "", contact.get("email") or "",
                        contact.get("phone") or "")
            if not any(text in part.lower() for part in haystack):
                continue
        found.append(record)
    return found


@handles("search_opportunities")
def search_opportunities(call: Call) -> dict:
    query = call.query
    if not query.get("location_id"):
        # HighLevel's own wording; n8n#18436 met it when its pager dropped the filter on page 2.
        raise unprocessable("location_id can't be undefined")
    order = query.get("order") or "added_desc"
    if order not in SEARCH_ORDERS:
        raise unprocessable(f"order must be one of the following values: {', '.join(SEARCH_ORDERS)}")
    limit = call.int_query("limit", 20, minimum=1, maximum=call.op.pagination["max_limit"])
    page = call.int_query("page", 1, minimum=1)
    descending = order == "added_desc"
    matches = sorted(_matches(call), key=lambda r: (r["_createdMs"], r["id"]), reverse=descending)
    after_id = query.get("startAfterId")
    if query.get("startAfter") and after_id:
        # The cursor is the (createdAt, id) pair of the last record seen: ties on createdAt are ordered by id.
        cursor = (call.int_query("startAfter"), after_id)
        remaining = [r for r in matches if ((r["_createdMs"], r["id"]) < cursor if descending
                                            else (r["_createdMs"], r["id"]) > cursor)]
    else:
        # Without startAfterId the cursor is ignored and pages are counted from the top (Pipedream#21941
        # looped on page one this way).
        remaining = matches[(page - 1) * limit:]
    records = remaining[:limit]
    meta: dict[str, Any] = {"total": len(matches), "currentPage": page}
    # HighLevel sends null for the cursor fields, nextPage and prevPage when there is none; the official
    # DTO types them as plain strings/numbers, so the sandbox leaves such keys out instead.
    if page > 1:
        meta["prevPage"] = page - 1
    if len(remaining) > limit:
        last = records[-1]
        meta.update(startAfterId=last["id"], startAfter=last["_createdMs"], nextPage=page + 1)
        following = {k: v for k, v in query.items() if k not in ("startAfter", "startAfterId", "page")}
        following.update(startAfter=str(last["_createdMs"]), startAfterId=last["id"], page=str(page + 1))
        meta["nextPageUrl"] = f"{call.base_url}{call.op.path}?{urlencode(following)}"
    related = _related(call, records)
    return {"opportunities": [_present(call, r, related) for r in records], "meta": meta, "aggregations": {}}


# -- handlers -------------------------------------------------------------------------------------
@handles("get_opportunity")
def get_opportunity(call: Call) -> dict:
    return {"opportunity": _present(call, _opportunity(call))}


@handles("list_pipelines")
def list_pipelines(call: Call) -> dict:
    return {"pipelines": [pick(p, PIPELINE_FIELDS) for p in of_location(call.table("pipelines").values(),
                                                                          call.location_id)]}


@handles("create_opportunity")
def create_opportunity(call: Call) -> dict:
    return {"opportunity": _present(call, _create(call, call.data, _changes(call, call.data, None)))}


@handles("update_opportunity")
def update_opportunity(call: Call) -> dict:
    record = _opportunity(call)
    if "contactId" in call.data:
        raise unprocessable("property contactId should not exist")
    return {"opportunity": _present(call, _apply(call, record, _changes(call, call.data, record)))}


@handles("update_opportunity_status")
def update_opportunity_status(call: Call) -> dict:
    record = _opportunity(call)
    _apply(call, record, _changes(call, pick(call.data, ("status", "lostReasonId")), record))
    return {"succeded": True}


@handles("delete_opportunity")
def delete_opportunity(call: Call) -> dict:
    del call.table("opportunities")[_opportunity(call)["id"]]
    return {"succeded": True}


@handles("upsert_opportunity")
def upsert_opportunity(call: Call) -> dict:
    """Update the opportunity named by ``id``, else the one of ``contactId`` in ``pipelineId``, else create one.

    ``contactId`` is missing from the official DTO, but HighLevel's upsert matches on it (spec gap).
    """
    data = call.data
    _pipeline_of(call, data["pipelineId"])
    if data.get("followersActionType") not in (None, "add", "remove"):
        raise unprocessable("followersActionType must be one of the following values: add, remove")
    followers = _followers(call, data)
    if data.get("id"):
        if not isinstance(data["id"], str):
            raise unprocessable("id must be a string")
        record = call.record("opportunities", data["id"], "Opportunity")
    else:
        record = next((
            o for o in of_location(call.table("opportunities").values(), call.location_id)
            if o["contactId"] == data.get("contactId") and o["pipelineId"] == data["pipelineId"]
        ), None)
    changes = _changes(call, data, record)
    created = record is None
    record = _create(call, data, changes) if created else _apply(call, record, changes)
    if data.get("isRemoveAllFollowers"):
        _remove_followers(record, None)
    if data.get("followersActionType") == "remove":
        _remove_followers(record, followers)
    else:
        _add_followers(record, followers)
    return {"opportunity": _present(call, record), "new": created}


@handles("add_opportunity_followers")
def add_opportunity_followers(call: Call) -> dict:
    record = _opportunity(call)
    added = _add_followers(record, _followers(call, call.data))
    return {"followers": list(record["followers"]), "followersAdded": added}


@handles("remove_opportunity_followers")
def remove_opportunity_followers(call: Call) -> dict:
    record = _opportunity(call)
    everyone = call.query.get("isRemoveAllFollowers") == "true"
    removed = _remove_followers(record, None if everyone else _followers(call, call.data))
    return {"followers": list(record["followers"]), "followersRemoved": removed}
