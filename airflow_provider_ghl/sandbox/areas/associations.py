"""Sandbox handlers and seed data for HighLevel's associations area.

``associations`` hold association definitions (which two object types may be linked, with labels);
``relations`` hold links between two records under one association.

Spec gaps, resolved the way HighLevel answers:
- the schema types labels, object keys and ``associationType`` as ``object`` while its examples (and
  HighLevel) use strings (``"student"``, ``"custom_objects.children"``, ``"USER_DEFINED"``);
- the list routes (find associations, relations of a record) declare a single association as their
  response; HighLevel answers ``{"associations"|"relations": [...], "total": N}``;
- relation routes declare the association shape too: a relation is answered with its own
  ``id``/``associationId``/``firstRecordId``/``secondRecordId`` plus its association's key and labels.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from airflow_provider_ghl.sandbox.errors import bad_request, not_found, unprocessable
from airflow_provider_ghl.sandbox.records import public
from airflow_provider_ghl.sandbox.routing import Call, handles, of_location
from airflow_provider_ghl.sandbox.state import iso

if TYPE_CHECKING:
    from airflow_provider_ghl.sandbox.state import SandboxState

ASSOCIATION_FIELDS = (
    "id", "locationId", "key", "firstObjectLabel", "firstObjectKey", "secondObjectLabel", "secondObjectKey",
    "associationType",
)
# Object keys whose records the sandbox holds, so relations to unknown records are refused. Other
# objects (custom objects) are taken on trust.
OBJECT_TABLES = {"contact": "contacts", "opportunity": "opportunities", "business": "businesses"}
OBJECT_KEY = re.compile(r"^(contact|opportunity|business|custom_objects\.[a-z0-9_]+)$")
STANDARD_ASSOCIATIONS = (
    ("contact_contact", "Contact", "contact", "Related Contact", "contact", "SYSTEM_DEFINED"),
    ("contact_opportunity", "Contact", "contact", "Opportunity", "opportunity", "SYSTEM_DEFINED"),
    ("pet_owner", "Pet", "custom_objects.pets", "Owner", "contact", "USER_DEFINED"),
)


def seed(state: SandboxState) -> None:
    rng = state.rng
    created = iso(state.seed_anchor())
    by_key = {}
    for key, first_label, first_key, second_label, second_key, kind in STANDARD_ASSOCIATIONS:
        by_key[key] = state.insert("associations", {
            "locationId": state.location_id, "key": key,
            "firstObjectLabel": first_label, "firstObjectKey": first_key,
            "secondObjectLabel": second_label, "secondObjectKey": second_key, "associationType": kind,
            "_createdAt": created,
        })
    contacts = [c["id"] for c in of_location(state.tables.get("contacts", {}).values(), state.location_id)]
    opportunities = [
        (o["id"], o.get("contactId")) for o in of_location(state.tables.get("opportunities", {}).values(),
                                                           state.location_id)
    ]
    if len(contacts) < 2:  # no contacts seeded: relations would point at nothing
        return
    count = max(10, state.config.contacts // 20)
    links: dict[tuple[str, str], str] = {}
    for _ in range(count):
        links[tuple(rng.sample(contacts, 2))] = "contact_contact"
    for opportunity, contact in opportunities[:count]:
        if contact:
            links[(contact, opportunity)] = "contact_opportunity"
    for _ in range(count // 2):  # pets (custom object records the sandbox does not hold) and their owners
        links[(state.new_id(), rng.choice(contacts))] = "pet_owner"
    for (first, second), key in links.items():
        _insert_relation(state, by_key[key], first, second, created)


def _insert_relation(state: SandboxState, association: dict, first: str, second: str, created: str) -> dict:
    return state.insert("relations", {
        "locationId": association["locationId"], "associationId": association["id"],
        "firstRecordId": first, "secondRecordId": second, "firstObjectKey": association["firstObjectKey"],
        "secondObjectKey": association["secondObjectKey"], "createdAt": created,
    })


def _association(record: dict) -> dict:
    return {name: record[name] for name in ASSOCIATION_FIELDS}


def _relation(call: Call, relation: dict) -> dict:
    association = call.table("associations").get(relation["associationId"], {})
    labels = {name: association.get(name, "") for name in ASSOCIATION_FIELDS if name not in ("id", "locationId")}
    return {**labels, **public(relation)}


def _skip_limit(call: Call) -> tuple[int, int]:
    """HighLevel requires both here (the gateway leaves paging parameters to the handler)."""
    return call.int_query("skip"), call.int_query("limit", minimum=1, maximum=100)


def _labels(data: dict, *names: str) -> None:
    problems = [f"{name} must be a string" for name in names if not isinstance(data.get(name), str)]
    if problems:
        raise unprocessable(*problems)


# -- association definitions --------------------------------------------------------------------
@handles("find_associations")
def find_associations(call: Call) -> dict:
    skip, limit = _skip_limit(call)
    found = of_location(call.table("associations").values(), call.location_id)
    return {"associations": [_association(a) for a in found[skip : skip + limit]], "total": len(found)}


@handles("get_association")
def get_association(call: Call) -> dict:
    return _association(call.record("associations", call.path["associationId"], "Association"))


def _first_association(call: Call, matches, what: str) -> dict:
    for association in of_location(call.table("associations").values(), call.location_id):
        if matches(association):
            return _association(association)
    raise not_found(what)


@handles("get_association_key")
def get_association_key(call: Call) -> dict:
    key = call.path["key_name"]
    return _first_association(call, lambda a: a["key"] == key, "Association")


@handles("get_association_by_object_key")
def get_association_by_object_key(call: Call) -> dict:
    # The spec answers one association; the first one (in creation order) that involves the object.
    key = call.path["objectKey"]
    return _first_association(call, lambda a: key in (a["firstObjectKey"], a["secondObjectKey"]), "Association")


@handles("create_association")
def create_association(call: Call) -> dict:
    data = call.data
    _labels(data, "key", "firstObjectLabel", "firstObjectKey", "secondObjectLabel", "secondObjectKey")
    bad_keys = [f"{name} must be contact, opportunity, business or custom_objects.<name>"
                for name in ("firstObjectKey", "secondObjectKey") if not OBJECT_KEY.match(data[name])]
    if bad_keys:
        raise unprocessable(*bad_keys)
    if any(a["key"] == data["key"] for a in of_location(call.table("associations").values(), call.location_id)):
        raise bad_request(f"Association with key {data['key']} already exists")
    record = {name: data[name] for name in ASSOCIATION_FIELDS if name in data}
    record.update(locationId=call.location_id, associationType="USER_DEFINED", _createdAt=call.now())
    return _association(call.state.insert("associations", record))


def _user_defined(call: Call) -> dict:
    association = call.record("associations", call.path["associationId"], "Association")
    if association["associationType"] == "SYSTEM_DEFINED":
        raise bad_request("System defined associations cannot be modified")
    return association


@handles("update_association")
def update_association(call: Call) -> dict:
    _labels(call.data, "firstObjectLabel", "secondObjectLabel")
    association = _user_defined(call)
    association.update(firstObjectLabel=call.data["firstObjectLabel"], secondObjectLabel=call.data["secondObjectLabel"])
    return _association(association)


@handles("delete_association")
def delete_association(call: Call) -> dict:
    association = _user_defined(call)
    relations = call.table("relations")
    for relation_id in [r["id"] for r in relations.values() if r["associationId"] == association["id"]]:
        del relations[relation_id]
    del call.table("associations")[association["id"]]
    return {"deleted": True, "id": association["id"], "message": "Association deleted successfully"}


# -- relations ----------------------------------------------------------------------------------
def _check_record(call: Call, object_key: str, record_id: str) -> None:
    table = OBJECT_TABLES.get(object_key)
    if table is not None and call.state.tables.get(table):  # an area that seeded nothing cannot be checked
        call.record(table, record_id, f"Record {record_id}")


@handles("create_relation")
def create_relation(call: Call) -> dict:
    data = call.data
    _labels(data, "associationId", "firstRecordId", "secondRecordId")
    association = call.record("associations", data["associationId"], "Association")
    _check_record(call, association["firstObjectKey"], data["firstRecordId"])
    _check_record(call, association["secondObjectKey"], data["secondRecordId"])
    pair = (data["firstRecordId"], data["secondRecordId"])
    for relation in call.table("relations").values():
        if relation["associationId"] == association["id"] and (relation["firstRecordId"], relation["secondRecordId"]) == pair:
            raise bad_request("Relation already exists between these records")
    return _relation(call, _insert_relation(call.state, association, *pair, call.now()))


@handles("get_relations_by_record")
def get_relations_by_record(call: Call) -> dict:
    skip, limit = _skip_limit(call)
    record_id = call.path["recordId"]
    wanted = {
        part for name in ("associationIds", "associationIds[]")
        for value in call.query_lists.get(name, ()) for part in value.split(",") if part
    }
    found = [
        r for r in of_location(call.table("relations").values(), call.location_id)
        if record_id in (r["firstRecordId"], r["secondRecordId"]) and (not wanted or r["associationId"] in wanted)
    ]
    return {"relations": [_relation(call, r) for r in found[skip : skip + limit]], "total": len(found)}


@handles("delete_relation")
def delete_relation(call: Call) -> dict:
    relation = call.record("relations", call.path["relationId"], "Relation")
    del call.table("relations")[relation["id"]]
    return _relation(call, relation)
