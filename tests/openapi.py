"""Validate sandbox responses against HighLevel's official OpenAPI response schemas.

The reference is the repository's own copy of HighLevel's published files (``reference/``).
OpenAPI 3.0 is not JSON Schema: ``nullable`` becomes a ``null`` type and ``$ref`` s are inlined.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

from airflow_provider_ghl.catalog import Operation

REFERENCE = Path(__file__).resolve().parents[1] / "reference"


@cache
def spec(area: str, api: str = "v2") -> dict:
    """An area's official OpenAPI file: v2's (``reference/openapi``) or v3's (``reference/openapi-v3``)."""
    name = f"openapi-v3/{area}-v3.json" if api == "v3" else f"openapi/{area}.json"
    return json.loads((REFERENCE / name).read_text())


@cache
def common() -> dict:
    return json.loads((REFERENCE / "common" / "common-schemas.json").read_text())


def to_json_schema(node: Any, document: dict, seen: tuple[str, ...] = ()) -> Any:
    if isinstance(node, list):
        return [to_json_schema(item, document, seen) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        ref = node["$ref"]
        target_doc = document if ref.startswith("#") else common()
        name = ref.rsplit("/", 1)[-1]
        if ref in seen:  # recursive schema: accept anything below the cycle
            return {}
        return to_json_schema(target_doc["components"]["schemas"][name], target_doc, (*seen, ref))
    out = {k: to_json_schema(v, document, seen) for k, v in node.items() if k not in ("nullable", "example", "examples")}
    if node.get("nullable") and "type" in out:
        out["type"] = [out["type"], "null"] if isinstance(out["type"], str) else [*out["type"], "null"]
    if node.get("nullable") and "enum" in out:
        out["enum"] = [*out["enum"], None]
    if out.get("type") == "array" and out.get("items") == {"type": "array"}:
        # NestJS's ``@ApiProperty({type: Array})`` artifact: "a list of anything", not a list of lists.
        out["items"] = {}
    example = node.get("example")
    if out.get("type") == "array" and out.get("items") == {"type": "string"} and isinstance(example, list) \
            and example and all(isinstance(item, dict) for item in example):
        # The same artifact for a list of objects (``invoiceItems``): declared strings, the example (and every
        # answer) objects.
        out["items"] = {}
    if out.get("type") == "object" and "properties" not in node and isinstance(node.get("example"), str):
        # NestJS's ``Date`` artifact: declared ``object``, sent as the ISO string its example shows.
        out["type"] = ["object", "string"]
    return out


def response_schema(op: Operation, status: int | None = None) -> dict | None:
    """The JSON Schema of ``op``'s success response, per the spec of its form (``None`` where it gives none)."""
    document = spec(op.area, op.api)
    responses = document["paths"][op.path][op.method.lower()]["responses"]
    entry = responses.get(str(status or op.success_status)) or next(
        v for k, v in responses.items() if k.startswith("2")
    )
    schema = entry.get("content", {}).get("application/json", {}).get("schema")
    return None if schema is None else to_json_schema(schema, document)


def validate_response(op: Operation, body: Any, status: int | None = None) -> None:
    """Raise ``jsonschema.ValidationError`` when ``body`` does not match the official schema."""
    schema = response_schema(op, status)
    if schema is not None:
        jsonschema.validate(body, schema, cls=jsonschema.Draft7Validator)
