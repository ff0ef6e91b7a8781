"""HighLevel's v3 forms of the 124 over the same records as their v2 forms: one state, two views.

A request whose ``Version`` header is ``v3`` is routed by v3's paths (``DELETE .../campaigns/remove-all``
where v2 has ``removeAll``) and checked by v3's parameters and body fields; the handler then reads it in the
seed's (v2) names, so each area keeps one vocabulary and one copy of each record. Its answer is rendered in
the shape of v3's official success schema: keys spelled as v3 spells them (a contact's ``dndSettings``
channels are stored once and come back as ``SMS``/``Call`` under v2 and ``sms``/``call`` under v3), and
v2's misspelled ``succeded`` flag answered by the name v3 declares (``succeeded``, or ``success`` for
opportunities), kept beside it only where v3 still declares the old spelling. ``legacy`` and the dated
``Version`` headers are v2's (``reference/API-NOTES.md``, "Supported versions").
"""

from __future__ import annotations

from typing import Any

from airflow_provider_ghl.catalog import Operation
from airflow_provider_ghl.sandbox.errors import unprocessable
from airflow_provider_ghl.sandbox.examples import resolved, success_schema

LEGACY_FLAG = "succeded"
"""v2's spelling of the success flag of many writes; v3 answers ``succeeded`` or ``success`` instead."""
FLAGS = ("succeeded", "success")
MAX_DEPTH = 16


def seed_query(form: Operation, query: dict[str, Any], lists: dict[str, list[str]]) -> tuple[dict, dict]:
    """A v3 request's query in the seed's parameter names (``locationId`` -> ``location_id``).

    The v2 names v3 respelled are refused (422 naming v3's name), not read: v3's spec does not declare them,
    and a v3 client sending ``pipeline_id`` would otherwise get every pipeline's opportunities, silently."""
    stale = [name for name in form.query_renames if name in query]
    if stale:
        raise unprocessable(*(f"property {name} should not exist: v3 names this query parameter "
                              f"{form.query_renames[name]}" for name in stale))
    seed_names = {new: old for old, new in form.query_renames.items()}
    return ({seed_names.get(name, name): value for name, value in query.items()},
            {seed_names.get(name, name): value for name, value in lists.items()})


def answer_fields(op: Operation, form: Operation | None) -> tuple[str, ...]:
    """The fields of a record answered whole (an appointment): the seed's, plus those ``form``'s schema adds
    (v3's appointment answers carry ``dateAdded``/``dateUpdated``)."""
    if form is None or form is op:
        return op.record_fields
    _status, schema, document = success_schema(form)
    if schema is None or document is None:
        return op.record_fields
    node, _ = resolved(schema, document)
    return (*op.record_fields, *(name for name in node.get("properties", {}) if name not in op.record_fields))


def v3_answer(form: Operation, answer: Any) -> Any:
    """``answer`` (the seed's shape) in the shape of ``form``'s official success schema: a new structure."""
    _status, schema, document = success_schema(form)
    if schema is None or document is None or not isinstance(answer, dict | list):
        return answer
    shaped = respelled(answer, schema, document)
    if isinstance(shaped, dict) and LEGACY_FLAG in shaped:
        declared = resolved(schema, document)[0].get("properties", {})
        for name in FLAGS:
            if name in declared:
                shaped.setdefault(name, shaped[LEGACY_FLAG])
        if LEGACY_FLAG not in declared:
            del shaped[LEGACY_FLAG]
    return shaped


def respelled(value: Any, schema: dict, document: dict, depth: int = 0) -> Any:
    """``value`` with every object key that ``schema`` spells otherwise (by case alone) spelled the schema's way."""
    if depth > MAX_DEPTH:
        return value
    node, document = resolved(schema, document)
    if isinstance(value, dict):
        properties = node.get("properties") or {}
        if not properties:
            return dict(value)
        by_case = {name.lower(): name for name in properties}
        shaped = {}
        for key, item in value.items():
            name = key if key in properties else by_case.get(key.lower(), key)
            shaped[name] = respelled(item, properties[name], document, depth + 1) if name in properties else item
        return shaped
    if isinstance(value, list) and isinstance(node.get("items"), dict):
        return [respelled(item, node["items"], document, depth + 1) for item in value]
    return value
