"""Build ``airflow_provider_ghl/catalog.json`` from HighLevel's reference material.

The catalog is the provider's single source of truth: the hook, the operator and sensor classes,
the sandbox's routes and the README's table all read it. It is generated from the product catalog
(``operations.csv``) and the official OpenAPI files, and ``tests/test_catalog.py`` fails when the
committed file is out of date.

    python tools/build_catalog.py [--reference reference] [--check]
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_REFERENCE = ROOT / "reference"
OUTPUT = ROOT / "airflow_provider_ghl" / "catalog.json"

# Path parameters become keyword arguments named after what they identify. Generic names
# (``id``, ``type``) are qualified by the resource the path addresses.
PATH_ARGUMENT_OVERRIDES = {
    ("get_contact_note", "id"): "note_id",
    ("update_contact_note", "id"): "note_id",
    ("delete_contact_note", "id"): "note_id",
    ("get_calendar_resource", "id"): "resource_id",
    ("update_calendar_resource", "id"): "resource_id",
    ("delete_calendar_resource", "id"): "resource_id",
    ("get_opportunity", "id"): "opportunity_id",
    ("update_opportunity", "id"): "opportunity_id",
    ("delete_opportunity", "id"): "opportunity_id",
    ("update_opportunity_status", "id"): "opportunity_id",
    ("add_opportunity_followers", "id"): "opportunity_id",
    ("remove_opportunity_followers", "id"): "opportunity_id",
    ("get_email", "id"): "email_message_id",
    ("get_message", "id"): "message_id",
    ("bulk_update_contact_tags", "type"): "tag_action",
    ("get_association_key", "key_name"): "association_key",
}
# ``taskId`` would become ``task_id``, Airflow's own task identifier: it is the contact task's id.
PATH_NAME_OVERRIDES = {"taskId": "contact_task_id"}

# Airflow's own BaseOperator/BaseSensorOperator arguments: a path argument must never shadow one.
RESERVED_ARGUMENTS = {
    "task_id", "owner", "email", "email_on_retry", "email_on_failure", "retries", "retry_delay",
    "retry_exponential_backoff", "max_retry_delay", "start_date", "end_date", "depends_on_past",
    "ignore_first_depends_on_past", "wait_for_past_depends_before_skipping", "wait_for_downstream",
    "dag", "params", "default_args", "priority_weight", "weight_rule", "queue", "pool", "pool_slots",
    "sla", "execution_timeout", "on_execute_callback", "on_failure_callback", "on_success_callback",
    "on_retry_callback", "on_skipped_callback", "pre_execute", "post_execute", "trigger_rule",
    "resources", "run_as_user", "task_concurrency", "map_index_template", "max_active_tis_per_dag",
    "max_active_tis_per_dagrun", "executor", "executor_config", "do_xcom_push", "multiple_outputs",
    "inlets", "outlets", "task_group", "doc", "doc_md", "doc_json", "doc_yaml", "doc_rst",
    "logger_name", "allow_nested_operators", "render_template_as_native_obj", "poke_interval",
    "timeout", "mode", "soft_fail", "exponential_backoff", "max_wait", "silent_fail", "never_fail",
    "deferrable", "body", "query", "ghl_conn_id", "condition",
}

# What each pagination text of operations.csv means, as a machine-readable style.
PAGINATION_RULES: list[tuple[str, dict]] = [
    (r"^n/a$|^none$|^none \(returns all\)$", {"style": "none"}),
    (r"^body page\+pageLimit", {"style": "search_after", "limit_param": "pageLimit", "max_limit": 500}),
    (r"^cursor startAfterId\+startAfter", {"style": "start_after", "limit_param": "limit", "max_limit": 100}),
    (r"^page/limit \(<=100\) plus cursor", {"style": "start_after", "limit_param": "limit", "max_limit": 100}),
    (r"^body skip/limit", {"style": "body_skip_limit", "limit_param": "limit", "max_limit": 100}),
    (r"^limit \(default 20\) \+ cursor startAfterDate", {"style": "start_after_date", "limit_param": "limit", "max_limit": 100}),
    (r"^cursor lastMessageId", {"style": "last_message_id", "limit_param": "limit", "max_limit": 100}),
    (r"^time window startDate/endDate", {"style": "time_window", "window": ["startDate", "endDate"], "max_days": 31}),
    (r"^time window startTime/endTime", {"style": "time_window", "window": ["startTime", "endTime"]}),
    (r"^limit/offset", {"style": "offset", "offset_param": "offset", "limit_param": "limit", "max_limit": 100}),
    (r"^skip/limit", {"style": "offset", "offset_param": "skip", "limit_param": "limit", "max_limit": 100}),
]

# Where the official response schema leaves the record list undeclared (spec gaps), HighLevel's
# documented key is used.
RECORDS_KEY_OVERRIDES = {
    "search_contacts": "contacts",
    "find_associations": "associations",
    "get_relations_by_record": "relations",
    "get_free_slots": None,
}


# POSTs that can be sent twice with the same effect (searches, upserts, set-like additions). Every
# other POST creates something: after an ambiguous failure it must be reconciled, not resent.
IDEMPOTENT_POST_PREFIXES = ("search_", "upsert_", "filter_", "validate_", "add_tags", "bulk_", "send_agent_typing")
IDEMPOTENT_POSTS = {"add_contact_followers", "add_opportunity_followers"}


def idempotent(key: str, method: str) -> bool:
    return method != "POST" or key.startswith(IDEMPOTENT_POST_PREFIXES) or key in IDEMPOTENT_POSTS


def snake(name: str) -> str:
    name = re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name)
    return name.replace("-", "_").lower()


def resolve(spec: dict, schema: dict | None, common: dict) -> dict | None:
    while isinstance(schema, dict) and "$ref" in schema:
        ref = schema["$ref"]
        document = spec if ref.startswith("#") else common
        schema = document["components"]["schemas"][ref.rsplit("/", 1)[-1]]
    return schema


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


def parse_scopes(text: str) -> tuple[list[str], list[str]]:
    scopes = re.findall(r"[a-z][a-zA-Z/-]*\.(?:readonly|write)", text)
    tokens = re.search(r"\[(.*?)\]", text)
    token_types = []
    if tokens:
        token_types = ["agency" if "Agency" in part else "location" for part in tokens.group(1).split(" or ")]
    elif "Agency" in text:
        token_types = ["agency"]
    return list(dict.fromkeys(scopes)), token_types or ["location"]


def pagination(text: str) -> dict:
    for pattern, style in PAGINATION_RULES:
        if re.search(pattern, text):
            return dict(style)
    raise SystemExit(f"no pagination rule matches {text!r}")


def record_shape(spec: dict, common: dict, response_schema: dict | None, records_key: str | None) -> tuple:
    """Where a single-record response keeps its record, and the field names of the records (from the spec)."""
    resolved = resolve(spec, response_schema, common) or {}
    properties = resolved.get("properties", {})
    if records_key is not None:
        holder = resolved if records_key == "" else resolve(spec, properties.get(records_key), common) or {}
        items = holder.get("items")
        return None, sorted((resolve(spec, items, common) or {}).get("properties", {}))
    objects = [k for k, v in properties.items() if json_type(spec, v, common) == "object"]
    if len(objects) == 1:
        return objects[0], sorted((resolve(spec, properties[objects[0]], common) or {}).get("properties", {}))
    return None, sorted(properties)


def build(reference: Path) -> dict:
    common = json.loads((reference / "common" / "common-schemas.json").read_text())
    specs: dict[str, dict] = {}
    operations = []
    with (reference / "operations.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        area = row["area"]
        spec = specs.setdefault(area, json.loads((reference / "openapi" / f"{area}.json").read_text()))
        operation = spec["paths"][row["path"]][row["method"].lower()]
        declared = {p["name"]: p for p in operation.get("parameters", []) if "name" in p}

        path_params = []
        for name in re.findall(r"{(\w+)}", row["path"]):
            argument = PATH_ARGUMENT_OVERRIDES.get((row["key"], name)) or PATH_NAME_OVERRIDES.get(name) or snake(name)
            if argument in RESERVED_ARGUMENTS:
                raise SystemExit(f"{row['key']}: path argument {argument!r} clashes with an Airflow argument")
            path_params.append({"name": name, "argument": argument, "declared": name in declared})

        query_params = [
            {"name": p["name"], "required": bool(p.get("required")), "type": json_type(spec, p.get("schema"), common)}
            for p in operation.get("parameters", [])
            if p.get("in") == "query"
        ]

        body = None
        content = operation.get("requestBody", {}).get("content", {})
        if content:
            body_schema = resolve(spec, next(iter(content.values())).get("schema"), common) or {}
            if body_schema.get("type") == "array":
                body = {"type": "array", "required": [], "properties": {}}
            else:
                properties = body_schema.get("properties", {})
                body = {
                    "type": "object",
                    "required": list(body_schema.get("required", [])),
                    "properties": {k: json_type(spec, v, common) for k, v in properties.items()},
                }

        success = next(code for code in operation["responses"] if code.startswith("2"))
        response_schema = (
            operation["responses"][success].get("content", {}).get("application/json", {}).get("schema")
        )
        paging = pagination(row["pagination"])
        limit_schema = declared.get(paging.get("limit_param", ""), {}).get("schema", {})
        if "maximum" in limit_schema:  # the spec's own page-size cap wins over the product default
            paging["max_limit"] = int(limit_schema["maximum"])
        is_collection = paging["style"] != "none" or "returns all" in row["pagination"] or row["key"].startswith("list_")
        if paging["style"] == "none" and is_collection:
            paging = {"style": "single_page"}  # the whole collection comes in one response
        records_key = RECORDS_KEY_OVERRIDES.get(row["key"], "") if is_collection else None
        if is_collection and row["key"] not in RECORDS_KEY_OVERRIDES:
            resolved = resolve(spec, response_schema, common) or {}
            if resolved.get("type") == "array":
                records_key = ""  # the response is the list itself
            else:
                arrays = [k for k, v in resolved.get("properties", {}).items() if json_type(spec, v, common) == "array"]
                records_key = arrays[0] if len(arrays) == 1 else None

        record_key, record_fields = record_shape(spec, common, response_schema, records_key)

        if any(p["name"] == "locationId" for p in path_params):
            location = {"in": "path", "name": "locationId"}
        elif "locationId" in declared and declared["locationId"].get("in") == "query":
            location = {"in": "query", "name": "locationId"}
        elif "location_id" in declared:
            location = {"in": "query", "name": "location_id"}
        elif (body and "locationId" in body["properties"]) or row["key"] == "search_contacts":
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
                "idempotent": idempotent(row["key"], row["method"]),
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
                "operation_id": operation.get("operationId"),
                "deprecated": bool(operation.get("deprecated")),
                "notes": row["notes"],
            }
        )
    return {"source": "reference/operations.csv + openapi/ (GoHighLevel/highlevel-api-docs@0af86a4)",
            "operations": operations}


def render(catalog: dict) -> str:
    return json.dumps(catalog, indent=1, sort_keys=False) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference", type=Path, default=DEFAULT_REFERENCE)
    parser.add_argument("--check", action="store_true", help="fail if the committed catalog is out of date")
    args = parser.parse_args()
    text = render(build(args.reference))
    if args.check:
        if OUTPUT.read_text() != text:
            print(f"{OUTPUT} is out of date: run python tools/build_catalog.py", file=sys.stderr)
            return 1
        return 0
    OUTPUT.write_text(text)
    print(f"wrote {OUTPUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
