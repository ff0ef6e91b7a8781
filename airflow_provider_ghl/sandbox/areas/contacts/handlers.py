"""The handlers of one contact: create, read, update, upsert, delete, duplicate lookup, appointments, tags,
followers, campaign and workflow enrolments, and bulk tag and business updates."""

from __future__ import annotations

from airflow_provider_ghl.sandbox.areas.contacts.checks import validated
from airflow_provider_ghl.sandbox.areas.contacts.index import CONTACTS, NOTES, TASKS, contact_index, path_contact
from airflow_provider_ghl.sandbox.areas.contacts.writes import (
    allows_duplicates,
    change_contact,
    duplicate_refusal,
    new_contact,
    normalized_tags,
    touch_contact,
    trace_id,
)
from airflow_provider_ghl.sandbox.errors import unprocessable
from airflow_provider_ghl.sandbox.records import public
from airflow_provider_ghl.sandbox.routing import Call, Reply, handles


@handles("get_contact")
def get_contact(call: Call) -> dict:
    return {"contact": public(path_contact(call))}


@handles("create_contact")
def create_contact(call: Call) -> dict | Reply:
    changes = validated(call, call.data, nullable=True)
    if not allows_duplicates(call):
        match = contact_index(call.state).duplicate(call.location_id, changes.get("email"), changes.get("phone"))
        if match:
            return duplicate_refusal(match)
    return {"contact": public(new_contact(call, changes))}


@handles("update_contact")
def update_contact(call: Call) -> dict | Reply:
    record = path_contact(call)
    changes = validated(call, call.data, nullable=True)
    if not allows_duplicates(call) and ({"email", "phone"} & changes.keys()):
        match = contact_index(call.state).duplicate(call.location_id, changes.get("email"), changes.get("phone"),
                                                    exclude=record["id"])
        if match:
            return duplicate_refusal(match)
    change_contact(call, record, changes)
    return {"succeded": True, "contact": public(record)}


@handles("upsert_contact")
def upsert_contact(call: Call) -> dict:
    changes = validated(call, call.data, nullable=True)
    allowed = allows_duplicates(call)
    match = None
    if not (allowed and changes.get("createNewIfDuplicateAllowed")):
        match = contact_index(call.state).duplicate(call.location_id, changes.get("email"), changes.get("phone"))
    if match:
        record = match[0]
        change_contact(call, record, changes)
    else:
        record = new_contact(call, changes)
    return {"new": match is None, "contact": public(record), "traceId": trace_id()}


@handles("delete_contact")
def delete_contact(call: Call) -> dict:
    record = path_contact(call)
    for table, slot in ((TASKS, "_tasks"), (NOTES, "_notes")):
        rows = call.table(table)
        for child_id in record.get(slot, ()):
            rows.pop(child_id, None)
    contact_index(call.state).remove(record)
    del call.table(CONTACTS)[record["id"]]
    return {"succeded": True}


@handles("get_duplicate_contact", "find_contact")
def get_duplicate_contact(call: Call) -> dict:
    email, number = call.query.get("email"), call.query.get("number")
    if not email and not number:
        # Nothing to match on: say so, rather than answer {"contact": null} as if no contact matched.
        raise unprocessable("email or number should not be empty")
    match = contact_index(call.state).duplicate(call.location_id, email, number)
    return {"contact": public(match[0]) if match else None}


@handles("get_contact_appointments")
def get_contact_appointments(call: Call) -> dict:
    contact_id = path_contact(call)["id"]
    events = [
        public(e) for e in call.table("events").values()
        if e.get("contactId") == contact_id and e.get("locationId", call.location_id) == call.location_id
    ]
    return {"events": sorted(events, key=lambda e: (str(e.get("startTime", "")), e["id"]))}


@handles("add_tags_to_contact", "remove_tags_from_contact")
def change_tags(call: Call) -> dict:
    record = path_contact(call)
    tags = normalized_tags(validated(call, call.data)["tags"])
    touch_contact(call, record)
    if call.op.key == "add_tags_to_contact":
        record["tags"] = normalized_tags([*record.get("tags", []), *tags])
    else:
        record["tags"] = [t for t in record.get("tags", []) if t not in tags]
    return {"tags": record["tags"]}


@handles("bulk_update_contact_tags")
def bulk_update_contact_tags(call: Call) -> dict:
    action = call.path["type"]
    data = validated(call, call.data)
    problems = []
    if action not in ("add", "remove"):
        problems.append("type must be one of the following values: add, remove")
    if data.get("removeAllTags") and action != "remove":
        problems.append("removeAllTags can only be used with the remove type")
    if not data["tags"] and not data.get("removeAllTags"):
        problems.append("tags should not be empty")
    if problems:
        raise unprocessable(*problems)
    tags, table = normalized_tags(data["tags"]), call.table(CONTACTS)
    responses, errors = [], 0
    for contact_id in dict.fromkeys(data["contacts"]):
        record = table.get(contact_id)
        if record is None or record.get("locationId") != call.location_id:
            errors += 1
            responses.append(f"{contact_id}: Contact not found")
            continue
        touch_contact(call, record)
        if action == "add":
            record["tags"] = normalized_tags([*record.get("tags", []), *tags])
        else:
            record["tags"] = [] if data.get("removeAllTags") else [t for t in record.get("tags", []) if t not in tags]
        responses.append(f"{contact_id}: tags {'added' if action == 'add' else 'removed'}")
    return {"succeded": errors == 0, "errorCount": errors, "responses": responses}


@handles("add_contact_followers", "remove_contact_followers")
def change_followers(call: Call) -> dict:
    record = path_contact(call)
    followers = list(dict.fromkeys(validated(call, call.data)["followers"]))
    current = record.get("followers") or []
    touch_contact(call, record)
    if call.op.key == "add_contact_followers":
        added = [f for f in followers if f not in current]
        record["followers"] = [*current, *added]
        return {"followers": record["followers"], "followersAdded": added}
    removed = [f for f in followers if f in current]
    record["followers"] = [f for f in current if f not in removed]
    return {"followers": record["followers"], "followersRemoved": removed}


@handles("add_contact_to_campaign", "remove_contact_from_campaign")
def change_campaign(call: Call) -> dict:
    record = path_contact(call)
    validated(call, call.data)
    campaign_id = call.record("campaigns", call.path["campaignId"], "Campaign")["id"]
    others = [c for c in record.get("_campaigns", []) if c != campaign_id]
    record["_campaigns"] = [*others, campaign_id] if call.op.key == "add_contact_to_campaign" else others
    return {"succeded": True}


@handles("remove_contact_from_all_campaigns")
def remove_contact_from_all_campaigns(call: Call) -> dict:
    path_contact(call)["_campaigns"] = []
    return {"succeded": True}


@handles("add_contact_to_workflow", "remove_contact_from_workflow")
def change_workflow(call: Call) -> dict:
    record = path_contact(call)
    data = validated(call, call.data)
    workflow_id = call.record("workflows", call.path["workflowId"], "Workflow")["id"]
    enrolled = dict(record.get("_workflows", {}))
    if call.op.key == "add_contact_to_workflow":
        enrolled[workflow_id] = {"eventStartTime": data.get("eventStartTime") or call.now()}
    else:
        enrolled.pop(workflow_id, None)
    record["_workflows"] = enrolled
    return {"succeded": True}


@handles("bulk_business_update")
def bulk_business_update(call: Call) -> dict:
    data = validated(call, call.data, nullable=True)
    problems = [] if "businessId" in data else ["businessId must be a string or null"]
    if not isinstance(data.get("ids"), list):
        problems.append("ids must be an array")
    elif any(len(i) > 50 for i in data["ids"]):
        problems.append("each value in ids must be shorter than or equal to 50 characters")
    if problems:
        raise unprocessable(*problems)
    business_id = data["businessId"]
    if business_id is not None:  # null detaches the contacts from their business
        call.record("businesses", business_id, "Business")
    table, updated = call.table(CONTACTS), []
    for contact_id in dict.fromkeys(data["ids"]):
        record = table.get(contact_id)
        if record is None or record.get("locationId") != call.location_id:
            continue
        touch_contact(call, record)
        if business_id is None:
            record.pop("businessId", None)
        else:
            record["businessId"] = business_id
        updated.append(contact_id)
    return {"success": True, "ids": updated}
