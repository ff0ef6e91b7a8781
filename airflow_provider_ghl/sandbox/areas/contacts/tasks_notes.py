"""A contact's tasks and notes: child records with CRUD under ``/contacts/{contactId}/tasks|notes``."""

from __future__ import annotations

from dataclasses import dataclass, field

from airflow_provider_ghl.sandbox.areas.contacts.checks import validated
from airflow_provider_ghl.sandbox.areas.contacts.index import NOTES, TASKS, path_contact
from airflow_provider_ghl.sandbox.areas.contacts.writes import bump_updated
from airflow_provider_ghl.sandbox.errors import not_found
from airflow_provider_ghl.sandbox.routing import Call, handles

TASK_FIELDS = ("id", "title", "body", "assignedTo", "dueDate", "completed", "contactId", "locationId",
               "dateAdded", "dateUpdated")
NOTE_FIELDS = ("id", "body", "userId", "title", "color", "pinned", "contactId", "locationId", "dateAdded", "dateUpdated")


@dataclass(frozen=True)
class _ChildKind:
    """Tasks and notes: records owned by one contact, CRUD under ``/contacts/{contactId}/...``."""

    table: str
    slot: str  # the contact's internal list of its children's ids
    one: str
    many: str
    id_param: str
    fields: tuple[str, ...]
    newest_first: bool
    defaults: dict = field(default_factory=dict)


CHILD_KINDS = (
    _ChildKind(TASKS, "_tasks", "task", "tasks", "taskId", TASK_FIELDS, newest_first=False, defaults={"completed": False}),
    _ChildKind(NOTES, "_notes", "note", "notes", "id", NOTE_FIELDS, newest_first=True),
)


def _child(call: Call, kind: _ChildKind) -> tuple[dict, dict]:
    contact = path_contact(call)
    child = call.table(kind.table).get(call.path[kind.id_param])
    if child is None or child.get("contactId") != contact["id"]:
        raise not_found(kind.one.capitalize())
    return contact, child


def _shown(kind: _ChildKind, child: dict) -> dict:
    return {k: child[k] for k in kind.fields if k in child}


def _register_child_handlers(kind: _ChildKind) -> None:
    @handles(f"get_contact_{kind.many}")
    def list_children(call: Call) -> dict:
        rows = call.table(kind.table)
        children = [rows[i] for i in path_contact(call).get(kind.slot, ()) if i in rows]
        children.sort(key=lambda c: (c.get("dateAdded", ""), c["id"]), reverse=kind.newest_first)
        return {kind.many: [_shown(kind, c) for c in children]}

    @handles(f"get_contact_{kind.one}")
    def get_child(call: Call) -> dict:
        return {kind.one: _shown(kind, _child(call, kind)[1])}

    @handles(f"create_contact_{kind.one}")
    def create_child(call: Call) -> dict:
        contact = path_contact(call)
        data = validated(call, call.data)
        now = call.now()
        child = {**kind.defaults, **data, "id": call.state.new_id(), "contactId": contact["id"],
                 "locationId": contact.get("locationId"), "dateAdded": now, "dateUpdated": now}
        call.state.insert(kind.table, child)
        contact[kind.slot] = [*contact.get(kind.slot, []), child["id"]]
        return {kind.one: _shown(kind, child)}

    @handles(f"update_contact_{kind.one}")
    def update_child(call: Call) -> dict:
        child = _child(call, kind)[1]
        data = validated(call, call.data)
        bump_updated(call, child)
        child.update(data)
        return {kind.one: _shown(kind, child)}

    @handles(f"delete_contact_{kind.one}")
    def delete_child(call: Call) -> dict:
        contact, child = _child(call, kind)
        del call.table(kind.table)[child["id"]]
        contact[kind.slot] = [i for i in contact.get(kind.slot, []) if i != child["id"]]
        return {"succeded": True}


for _kind in CHILD_KINDS:
    _register_child_handlers(_kind)


@handles("complete_contact_task")
def complete_contact_task(call: Call) -> dict:
    task = _child(call, CHILD_KINDS[0])[1]
    data = validated(call, call.data)
    bump_updated(call, task)
    task["completed"] = data["completed"]
    return {"task": _shown(CHILD_KINDS[0], task)}
