"""Build ``airflow_provider_ghl/catalog.json`` from HighLevel's reference material.

The catalog is the provider's single source of truth: the hook, the operator and sensor classes,
polling, the export, the sandbox's routes and the README's table all read it. It is generated from the
product catalog (``operations.csv``) and the official OpenAPI files, plus ``catalog_overrides.json`` for
what the reference does not say (spec gaps, HighLevel behaviour, product decisions, each with its why).
This module is code only: every per-operation fact is in one of those files. ``tests/test_catalog.py``
fails when the committed catalog is out of date.

    python tools/build_catalog.py [--reference reference] [--check]

It also writes the second tier, every other operation of HighLevel's v2 and v3 specs and the seed's v3
forms (``catalog_spec.json.gz``, loaded lazily), and ``tests/catalog_keys.txt``; the key rule (the 124
keep theirs, the others are their snake_case ``operationId``, prefixed ``<area>__`` where that collides)
and the version rule are in ``build_spec_catalog``'s docstring.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import build_spec_catalog

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_REFERENCE = ROOT / "reference"
OUTPUT = ROOT / "airflow_provider_ghl" / "catalog.json"
SPEC_OUTPUT = ROOT / "airflow_provider_ghl" / "catalog_spec.json.gz"
"""Every other operation of the v2 and v3 specs, and the seed's v3 forms (``build_spec_catalog.py``)."""
KEY_LIST = ROOT / "tests" / "catalog_keys.txt"
"""Every key with its v2 and v3 operation: reviewed in diffs, so that no key changes unnoticed."""

OVERRIDES = ROOT / "tools" / "catalog_overrides.json"
"""What the catalog knows beyond the reference, as data: each entry says why (see its ``about``)."""
OVERRIDABLE = ("path_arguments", "location", "records_key", "record_key", "idempotent", "relaxed_body_fields",
               "undeclared_body_fields", "timestamps", "incremental", "columns_from", "custom_field_model", "record_link",
               "webhooks")
"""The facts an override may set for an operation."""

# The records HighLevel's app has a page for (links.RECORD_PAGES), by the path argument that names one. An
# operation links the record its answer is (record key) or its path names.
LINKED_RECORDS = {"contact": "contact_id", "opportunity": "opportunity_id", "appointment": "event_id"}

# HighLevel's names for when a record was created and last changed: the first one a record schema lists wins.
CREATED_FIELDS = ("dateAdded", "createdAt")
UPDATED_FIELDS = ("dateUpdated", "updatedAt")


def derived_timestamps(fields: list[str] | tuple[str, ...]) -> dict[str, str | None] | None:
    """When records with these fields were created and last changed, by HighLevel's names for both."""
    created = next((name for name in CREATED_FIELDS if name in fields), None)
    updated = next((name for name in UPDATED_FIELDS if name in fields), None)
    return {"created": created, "updated": updated} if created or updated else None


def load_overrides(path: Path = OVERRIDES) -> dict:
    return json.loads(path.read_text())


def override(overrides: dict, key: str, fact: str, default: Any = None) -> Any:
    """The overridden ``fact`` of operation ``key``, or ``default`` when the reference alone decides it."""
    entry = overrides["operations"].get(key, {}).get(fact)
    return default if entry is None else entry["value"]


def snake(name: str) -> str:
    name = re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name)
    return name.replace("-", "_").lower()


def resolve(spec: dict, schema: dict | None, common: dict) -> dict | None:
    while isinstance(schema, dict) and "$ref" in schema:
        ref = schema["$ref"]
        document = spec if ref.startswith("#") else common
        schema = document["components"]["schemas"][ref.rsplit("/", 1)[-1]]
    return schema


def unwrap(spec: dict, schema: dict | None, common: dict) -> dict:
    """``schema`` resolved, through the one-part ``allOf`` NestJS wraps a described ``$ref`` in."""
    schema = resolve(spec, schema, common) or {}
    parts = schema.get("allOf") or []
    return (resolve(spec, parts[0], common) or {}) if len(parts) == 1 and "properties" not in schema else schema


def json_type(spec: dict, schema: dict | None, common: dict) -> str:
    schema = resolve(spec, schema, common) or {}
    if schema.get("type") == "object" and "properties" not in schema and "example" in schema \
            and not isinstance(schema["example"], dict):
        # NestJS declares some scalars as object (labels, dates, amounts) while its example, and HighLevel,
        # use a scalar: the type is unknown, so operators must not refuse the value HighLevel expects.
        return "any"
    if "type" in schema:
        return schema["type"]
    if "anyOf" in schema or "oneOf" in schema:
        return "any"
    return "object" if "properties" in schema else "any"


NESTED_DEPTH = 4
"""How deep ``nested_names`` follows a body's objects (HighLevel's bodies nest two or three levels)."""


def body_summary(spec: dict, schema: dict | None, common: dict) -> dict:
    """A request body as the catalog writes it: its type, required fields, the top-level fields' JSON types, and
    ``nested`` (only when the schema declares any): the property names of its nested objects (``nested_names``)."""
    schema = resolve(spec, schema, common) or {}
    if schema.get("type") == "array":
        body: dict[str, Any] = {"type": "array", "required": [], "properties": {}}
    else:
        properties = schema.get("properties", {})
        body = {"type": "object", "required": list(schema.get("required", [])),
                "properties": {k: json_type(spec, v, common) for k, v in properties.items()}}
    nested = nested_names(spec, schema, common)
    if nested:
        body["nested"] = nested
    return body


def nested_names(spec: dict, schema: dict | None, common: dict, path: str = "", depth: int = 0) -> dict[str, str]:
    """Dotted path (``[]`` for a list's items: ``dndSettings.SMS``, ``openHours[].hours[]``) -> the property names the
    spec declares for the object there (space-separated, one line of catalog.json), for every nested object whose
    schema lists its properties and allows no others by name (HighLevel's DTOs set no ``additionalProperties``:
    their properties are the whole list)."""
    schema = unwrap(spec, schema, common)
    if depth > NESTED_DEPTH or schema.get("additionalProperties"):
        return {}
    if schema.get("type") == "array" or "items" in schema:
        return nested_names(spec, schema.get("items"), common, path + "[]", depth + 1)
    properties = schema.get("properties") or {}
    found = {path: " ".join(sorted(properties))} if properties and path else {}
    for name, child in properties.items():
        found.update(nested_names(spec, child, common, f"{path}.{name}" if path else name, depth + 1))
    return found


def parse_scopes(text: str) -> tuple[list[str], list[str]]:
    scopes = re.findall(r"[a-z][a-zA-Z/-]*\.(?:readonly|write)", text)
    tokens = re.search(r"\[(.*?)\]", text)
    token_types = []
    if tokens:
        token_types = ["agency" if "Agency" in part else "location" for part in tokens.group(1).split(" or ")]
    elif "Agency" in text:
        token_types = ["agency"]
    return list(dict.fromkeys(scopes)), token_types or ["location"]


def pagination(text: str, rules: list[dict]) -> dict:
    """The machine-readable paging style of an operations.csv pagination text."""
    for rule in rules:  # catalog_overrides.json's pagination_rules, first match wins
        if re.search(rule["pattern"], text):
            return dict(rule["value"])
    raise SystemExit(f"no pagination rule matches {text!r}")


def page_size_bounds(spec: dict, operation: dict, name: str, common: dict) -> dict[str, int]:
    """The spec's bounds of an operation's page-size parameter ``name`` (a query parameter, else a body field):
    ``max_limit`` and ``min_limit`` where its schema says ``maximum`` and ``minimum`` (the messages export's
    ``limit``: 10 to 500; HighLevel answers 422 outside them)."""
    schema = next((p.get("schema") for p in operation.get("parameters", [])
                   if p.get("in") == "query" and p.get("name") == name), None)
    if schema is None:
        content = operation.get("requestBody", {}).get("content", {})
        body = resolve(spec, next(iter(content.values())).get("schema"), common) if content else None
        schema = (body or {}).get("properties", {}).get(name)
    schema = resolve(spec, schema, common) or {}
    return {fact: int(schema[word]) for fact, word in (("max_limit", "maximum"), ("min_limit", "minimum"))
            if isinstance(schema.get(word), int | float) and not isinstance(schema.get(word), bool)}


def answer_kind(response: dict, resolved: dict, records_key: str | None) -> str:
    """What a success answers: a file (the spec documents ``Content-Disposition: attachment``), a JSON list (the
    records themselves, or a list that is no collection), else a JSON object."""
    disposition = str(response.get("headers", {}).get("Content-Disposition", {}).get("description", ""))
    if disposition.lower().startswith("attachment"):
        return "download"
    if records_key == "" or (records_key is None and resolved.get("type") == "array"):
        return "list"
    return "object"


def record_shape(spec: dict, common: dict, response_schema: dict | None, records_key: str | None) -> tuple:
    """Where a single-record response keeps its record, and the field names of the records (from the spec)."""
    resolved = resolve(spec, response_schema, common) or {}
    properties = resolved.get("properties", {})
    if records_key is not None:
        holder = resolved
        for name in records_key.split(".") if records_key else ():  # a dotted path where the list is nested
            holder = unwrap(spec, holder.get("properties", {}).get(name), common)
        items = holder.get("items")
        return None, sorted((resolve(spec, items, common) or {}).get("properties", {}))
    objects = [k for k, v in properties.items() if json_type(spec, v, common) == "object"]
    if len(objects) == 1:
        return objects[0], sorted((resolve(spec, properties[objects[0]], common) or {}).get("properties", {}))
    return None, sorted(properties)


def check_overrides(overrides: dict, keys: set[str]) -> None:
    """Every override names an operation of operations.csv and a known fact, and says why it exists."""
    for key, facts in overrides["operations"].items():
        if key not in keys:
            raise SystemExit(f"catalog_overrides.json: {key!r} is not an operation of operations.csv")
        for fact, entry in facts.items():
            if fact not in OVERRIDABLE:
                raise SystemExit(f"catalog_overrides.json: {key}.{fact} is not a fact an override can set")
            if set(entry) != {"value", "why"} or not str(entry["why"]).strip():
                raise SystemExit(f"catalog_overrides.json: {key}.{fact} needs exactly a value and a why")


def add_record_facts(operations: list[dict], overrides: dict) -> None:
    """Facts derived from the whole catalog: timestamps (from the records' schema, or the schema ``columns_from``
    names), custom field model and record link, each unless an override says otherwise."""
    by_key = {op["key"]: op for op in operations}
    # HighLevel's custom field models are List Custom Fields' ``model`` values ("all" lists every model); each
    # belongs to the API area named after its plural (contact -> contacts, opportunity -> opportunities).
    model_param = next(q for q in by_key["list_custom_fields"]["query_params"] if q["name"] == "model")
    areas = {op["area"] for op in operations}
    model_of_area = {}
    for model in (m for m in model_param["enum"] if m != "all"):
        area = next((a for a in (model + "s", model[:-1] + "ies") if a in areas), None)
        if area is None:
            raise SystemExit(f"custom field model {model!r} names no API area")
        model_of_area[area] = model
    for op in operations:
        key = op["key"]
        fields = by_key[op["columns_from"]]["record_fields"] if op["columns_from"] else op["record_fields"]
        derived = derived_timestamps(fields) if op["records_key"] is not None else None
        op["timestamps"] = override(overrides, key, "timestamps", derived)
        carries = "customFields" in fields or "customFields" in ((op["body"] or {}).get("properties") or {})
        model = model_of_area.get(op["area"]) if carries else None
        op["custom_field_model"] = override(overrides, key, "custom_field_model", model)
        op["record_link"] = override(overrides, key, "record_link", record_link(op))


def record_link(op: dict) -> dict | None:
    """The record of HighLevel's app an operation creates or touches, and the path argument holding its id."""
    arguments = [param["argument"] for param in op["path_params"]]
    for kind, argument in LINKED_RECORDS.items():
        if op["record_key"] == kind or argument in arguments:
            return {"kind": kind, "argument": argument if argument in arguments else None}
    return None


def build(reference: Path, overrides: dict | None = None) -> dict:
    overrides = load_overrides() if overrides is None else overrides
    common = json.loads((reference / "common" / "common-schemas.json").read_text())
    specs: dict[str, dict] = {}
    operations = []
    with (reference / "operations.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    check_overrides(overrides, {row["key"] for row in rows})
    for row in rows:
        key = row["key"]
        area = row["area"]
        spec = specs.setdefault(area, json.loads((reference / "openapi" / f"{area}.json").read_text()))
        operation = spec["paths"][row["path"]][row["method"].lower()]
        declared = {p["name"]: p for p in operation.get("parameters", []) if "name" in p}

        path_params = []
        for name in re.findall(r"{(\w+)}", row["path"]):
            renamed = overrides["path_names"].get(name, {}).get("value")
            argument = override(overrides, key, "path_arguments", {}).get(name) or renamed or snake(name)
            path_params.append({"name": name, "argument": argument, "declared": name in declared})

        query_params = [
            {"name": p["name"], "required": bool(p.get("required")), "type": json_type(spec, p.get("schema"), common),
             "enum": (resolve(spec, p.get("schema"), common) or {}).get("enum")}
            for p in operation.get("parameters", [])
            if p.get("in") == "query"
        ]

        content = operation.get("requestBody", {}).get("content", {})
        body = body_summary(spec, next(iter(content.values())).get("schema"), common) if content else None

        success = next(code for code in operation["responses"] if code.startswith("2"))
        response_schema = (
            operation["responses"][success].get("content", {}).get("application/json", {}).get("schema")
        )
        paging = pagination(row["pagination"], overrides["pagination_rules"])
        if "limit_param" in paging:  # the spec's own page-size bounds win over the product default
            paging.update(page_size_bounds(spec, operation, paging["limit_param"], common))
        is_collection = paging["style"] != "none" or "returns all" in row["pagination"] or row["key"].startswith("list_")
        if paging["style"] == "none" and is_collection:
            paging = {"style": "single_page"}  # the whole collection comes in one response
        records_key = override(overrides, key, "records_key", "") if is_collection else None
        if is_collection and "records_key" not in overrides["operations"].get(key, {}):
            resolved = resolve(spec, response_schema, common) or {}
            if resolved.get("type") == "array":
                records_key = ""  # the response is the list itself
            else:
                arrays = [k for k, v in resolved.get("properties", {}).items() if json_type(spec, v, common) == "array"]
                records_key = arrays[0] if len(arrays) == 1 else None

        record_key, record_fields = record_shape(spec, common, response_schema, records_key)
        record_key = override(overrides, key, "record_key", record_key)

        if (location := override(overrides, key, "location")) is not None:
            pass
        elif any(p["name"] == "locationId" for p in path_params):
            location = {"in": "path", "name": "locationId"}
        elif "locationId" in declared and declared["locationId"].get("in") == "query":
            location = {"in": "query", "name": "locationId"}
        elif "location_id" in declared:
            location = {"in": "query", "name": "location_id"}
        elif body and "locationId" in body["properties"]:
            location = {"in": "body", "name": "locationId"}
        else:
            location = None

        if any(p["name"] == "companyId" for p in path_params):
            company = {"in": "path", "name": "companyId"}
        elif "companyId" in declared and declared["companyId"].get("in") == "query":
            company = {"in": "query", "name": "companyId"}
        elif body and "companyId" in body["properties"]:
            company = {"in": "body", "name": "companyId"}
        else:
            company = None

        scopes, token_types = parse_scopes(row["scopes"])
        version = row["version_header"].split()[0]
        operations.append(
            {
                "key": row["key"],
                "class_name": row["class_name"],
                "area": area,
                "category": row["category"],
                "kind": row["kind"],
                "name": row["name"],
                "description": row["description"],
                "method": row["method"],
                "path": row["path"],
                "version": version,
                "idempotent": override(overrides, key, "idempotent", row["method"] != "POST"),
                "scopes": scopes,
                "token_types": token_types,
                "pagination": paging,
                "pagination_text": row["pagination"],
                "path_params": path_params,
                "query_params": query_params,
                "body": body,
                "location": location,
                "company": company,
                "success_status": int(success),
                "records_key": records_key,
                "record_key": record_key,
                "record_fields": record_fields,
                "answer": answer_kind(operation["responses"][success], resolve(spec, response_schema, common) or {},
                                      records_key),
                "operation_id": operation.get("operationId"),
                "deprecated": bool(operation.get("deprecated")),
                "notes": row["notes"],
                "relaxed_body_fields": override(overrides, key, "relaxed_body_fields", []),
                "undeclared_body_fields": override(overrides, key, "undeclared_body_fields", {}),
                "columns_from": override(overrides, key, "columns_from"),
                "incremental": override(overrides, key, "incremental"),
                "webhooks": override(overrides, key, "webhooks"),
                "contact_argument": next((p["argument"] for p in path_params if p["name"] == "contactId"), None),
            }
        )
    add_record_facts(operations, overrides)
    return {"source": "reference/operations.csv + openapi/ (GoHighLevel/highlevel-api-docs@0af86a4)",
            "operations": operations}


def render(catalog: dict) -> str:
    return json.dumps(catalog, indent=1, sort_keys=False) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference", type=Path, default=DEFAULT_REFERENCE)
    parser.add_argument("--check", action="store_true", help="fail if the committed catalog is out of date")
    args = parser.parse_args()
    catalog = build(args.reference)
    spec = build_spec_catalog.build(args.reference, catalog["operations"], load_overrides(), sys.modules[__name__])
    outputs = {OUTPUT: render(catalog).encode(), SPEC_OUTPUT: build_spec_catalog.render(spec),
               KEY_LIST: build_spec_catalog.key_list(spec, catalog["operations"]).encode()}
    if args.check:
        stale = [path for path, data in outputs.items() if not path.is_file() or path.read_bytes() != data]
        for path in stale:
            print(f"{path} is out of date: run python tools/build_catalog.py", file=sys.stderr)
        return 1 if stale else 0
    for path, data in outputs.items():
        path.write_bytes(data)
        print(f"wrote {path.relative_to(ROOT)}")
    print(build_spec_catalog.spec_scopes.summary(spec["operations"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
