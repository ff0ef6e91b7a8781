"""Deterministic example answers generated from HighLevel's official response schemas (the second tier).

The 124 seed operations have stateful handlers; every other operation of the v2 and v3 specs is answered
by an example of its spec's success schema: the spec's ``example`` where it has one of the right type,
else a value driven by the type (``format``, ``enum``, bounds). Ids are derived from the seed and the
request path, values named like a path parameter echo the request's, and lists honour ``limit``/``offset``
(or ``page`` numbers with their size, saying which page comes next) with totals where the schema has them, so a
client's pagination ends.

The schemas come from ``schemas.json.gz`` beside this module (HighLevel's success responses, copied from
``reference/`` by ``tools/build_sandbox_schemas.py``), read on the first second-tier request.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from airflow_provider_ghl.catalog import Operation

SCHEMAS_FILE = Path(__file__).with_name("schemas.json.gz")
COLLECTION_SIZE = 3
"""How many records a generated collection holds (across its pages), unless its spec's pages are larger
(:func:`collection_size`)."""
MAX_DEPTH = 8
ID_NAME = re.compile(r"^(_?id|.*Id)$")
TOTAL_NAME = re.compile(r"^(total|count|totalCount|totalRecords|totalItems|total_count|totalResults)$")
EPOCH = "2024-01-01T00:00:00.000Z"
FORMATS = {"date-time": EPOCH, "date": "2024-01-01", "email": "jane@example.com", "uri": "https://example.com",
           "url": "https://example.com", "uuid": "00000000-0000-4000-8000-000000000000"}
PY_TYPES: dict[str, tuple[type, ...]] = {"string": (str,), "integer": (int,), "number": (int, float),
                                         "boolean": (bool,), "array": (list,), "object": (dict,)}


def spec_name(op: Operation) -> str:
    """``op``'s spec file under ``reference/`` (``openapi/invoices.json``, ``openapi-v3/invoices-v3.json``)."""
    return f"openapi-v3/{op.area}-v3.json" if op.api == "v3" else f"openapi/{op.area}.json"


@cache
def _schemas() -> dict:
    import gzip

    return json.loads(gzip.decompress(SCHEMAS_FILE.read_bytes()))


def _document(name: str) -> dict | None:
    return _schemas()["documents"].get(name)


def success_schema(op: Operation) -> tuple[int, dict | None, dict | None]:
    """(status, schema, its document) of ``op``'s success answer per its spec (schema ``None``: no JSON body)."""
    document = _document(spec_name(op))
    if document is None:
        return op.success_status, None, None
    responses = document["paths"].get(op.path, {}).get(op.method.lower(), {}).get("responses", {})
    status = str(op.success_status)
    entry = responses.get(status)
    if entry is None:
        status, entry = next(((k, v) for k, v in responses.items() if k.startswith("2")), (status, {}))
    schema = (entry.get("content") or {}).get("application/json", {}).get("schema")
    return int(status) if status.isdigit() else op.success_status, schema, document


def collection_size(op: Operation) -> int:
    """How many records ``op``'s generated collection holds: :data:`COLLECTION_SIZE`, or where the form's spec takes
    pages of at least ``min_limit`` records (the messages export's ``limit``: 10), two such pages and one record
    more, so that paging at the smallest page the spec allows still reads several pages."""
    return max(COLLECTION_SIZE, 2 * op.pagination.get("min_limit", 1) + 1)


@dataclass
class Context:
    """What a generated answer depends on: the request (ids, echoes) and the page asked for."""

    seed: int
    path: str
    echoes: dict[str, str]
    records_key: str | None
    start: int = 0
    limit: int = COLLECTION_SIZE
    own_id: str | None = None
    """The id of the record the path addresses (its last path parameter), if any."""
    page_fields: dict[str, Any] = field(default_factory=dict)
    """Numbers a page-number answer carries about itself (``page``, ``nextPage``...), at its top or in ``meta``."""
    seen: tuple[str, ...] = field(default_factory=tuple)
    size: int = COLLECTION_SIZE
    """How many records the whole collection holds (:func:`collection_size`)."""

    def page_field(self, where: str, name: str) -> tuple[bool, Any]:
        """(whether ``name`` at ``where`` is one of the page's own fields, its value): at the answer's top, in its
        ``meta`` or ``pagination``, or beside the records where they are nested (``data.page``)."""
        parent = where.rpartition(".")[0]
        if name in self.page_fields and parent in ("", "meta", "pagination", (self.records_key or "").rpartition(".")[0]):
            return True, self.page_fields[name]
        return False, None

    def page_size(self) -> int:
        return max(0, min(self.limit, self.size - self.start))

    def record_id(self, where: str) -> str:
        digest = hashlib.sha256(f"{self.seed}|{self.path}|{where}".encode()).hexdigest()
        return digest[:20]


def _resolve(node: dict, document: dict) -> tuple[dict, dict, str | None]:
    ref = node.get("$ref")
    if not ref:
        return node, document, None
    if not ref.startswith("#"):
        document = _schemas()["common"]
    target = document.get("components", {}).get("schemas", {}).get(ref.rsplit("/", 1)[-1], {})
    return target, document, ref


def resolved(node: dict, document: dict) -> tuple[dict, dict]:
    """``node`` with its ``$ref`` s followed and an ``allOf`` merged into one object schema (properties, required),
    with the document its properties belong to."""
    seen = 0
    node, document, ref = _resolve(node, document)
    while ref is not None and seen < MAX_DEPTH:
        node, document, ref = _resolve(node, document)
        seen += 1
    if not node.get("allOf"):
        return node, document
    merged: dict = {k: v for k, v in node.items() if k != "allOf"}
    for part in node["allOf"]:
        part, _ = resolved(part, document)
        merged.setdefault("properties", {}).update(part.get("properties", {}))
        merged["required"] = [*merged.get("required", []), *part.get("required", [])]
        for key, value in part.items():
            merged.setdefault(key, value)
    return merged, document


def _fits(value: Any, schema: dict) -> bool:
    kinds = schema.get("type")
    kinds = [kinds] if isinstance(kinds, str) else kinds or []
    if not kinds or any(isinstance(value, PY_TYPES.get(k, ())) and not (isinstance(value, bool) and k != "boolean")
                        for k in kinds):
        if isinstance(value, dict | list) and ("properties" in schema or "items" in schema):
            return False  # an object's example rarely matches its own properties: build it from them
        if "enum" in schema and value not in schema["enum"]:
            return False
        if isinstance(value, str) and not (schema.get("minLength", 0) <= len(value) <= schema.get("maxLength", 1 << 30)):
            return False
        return isinstance(value, str | int | float | bool | list | dict) and bool(kinds)
    return False


def example(node: Any, document: dict, ctx: Context, where: str = "", name: str = "") -> Any:
    """An example value of schema ``node`` (of ``document``) at ``where`` (dotted place in the answer)."""
    if not isinstance(node, dict):
        return None
    node, document, ref = _resolve(node, document)
    if ref is not None:
        if ref in ctx.seen or len(ctx.seen) > MAX_DEPTH:
            return {}  # a recursive schema: the validators accept anything below the cycle
        ctx.seen = (*ctx.seen, ref)
        try:
            return example(node, document, ctx, where, name)
        finally:
            ctx.seen = ctx.seen[:-1]
    if node.get("allOf"):
        parts = [example(part, document, ctx, where, name) for part in node["allOf"]]
        if all(isinstance(part, dict) for part in parts):
            return {k: v for part in parts for k, v in part.items()}
        return parts[-1]
    if node.get("anyOf"):
        return example(node["anyOf"][0], document, ctx, where, name)
    if node.get("oneOf"):
        return _one_of(node["oneOf"], document, ctx, where, name)
    if node.get("enum"):
        return next((value for value in node["enum"] if value is not None), node["enum"][0])
    kind = node.get("type")
    kind = next((k for k in kind if k != "null"), None) if isinstance(kind, list) else kind
    if kind is None and "properties" in node:
        kind = "object"
    paging, value = ctx.page_field(where, name)
    if paging and kind in ("integer", "number", "string", "boolean") and (value is not None or node.get("nullable")):
        return value
    if kind in ("string", "integer", "number") and name:
        special = _named(kind, name, where, ctx)
        if special is not None:
            return special
    if "example" in node and _fits(node["example"], node):
        return node["example"]
    if kind == "object":
        properties = node.get("properties") or {}
        if not properties and isinstance(node.get("example"), str):
            return node["example"]  # NestJS's Date artifact: declared object, sent as a string
        required = node.get("required") or ()
        built = {key: example(value, document, ctx, f"{where}.{key}" if where else key, key)
                 for key, value in properties.items() if key in required or not _unset(ctx, where, key, value)}
        for key in required:  # required but not described (a spec gap): a plain value
            if key not in built:
                built[key] = _named("string", key, f"{where}.{key}", ctx) or key
        return built
    if kind == "array":
        paged = where == (ctx.records_key or "")
        count, first = (ctx.page_size(), ctx.start) if paged else (1, 0)
        items = node.get("items") or {}
        # A record's place in the whole collection names it: the same record on every page, none twice.
        values = [example(items, document, ctx, f"{where}[{first + index}]", name) for index in range(count)]
        if paged:
            values = [_placed(value, items, document, first + index) for index, value in enumerate(values)]
        low = node.get("minItems", 0)
        values += [example(items, document, ctx, f"{where}[{index}]", name) for index in range(len(values), low)]
        return _distinct(values) if node.get("uniqueItems") else values
    if kind == "string":
        return _string(node, name)
    if kind in ("integer", "number"):
        low = node.get("minimum", 1)
        return max(low, min(1, node.get("maximum", 1)))
    if kind == "boolean":
        return True
    return node.get("example", "")


def _unset(ctx: Context, where: str, key: str, node: Any) -> bool:
    """A page field without a value that its schema cannot say is null (the last page's next cursor): left out."""
    paging, value = ctx.page_field(f"{where}.{key}" if where else key, key)
    return paging and value is None and not (isinstance(node, dict) and node.get("nullable"))


def _one_of(branches: list, document: dict, ctx: Context, where: str, name: str) -> Any:
    """An example of the first branch that no other branch also takes (``oneOf`` wants exactly one)."""
    values = [example(branch, document, ctx, where, name) for branch in branches]
    for index, value in enumerate(values):
        if not any(_takes(other, value, document) for j, other in enumerate(branches) if j != index):
            return value
    return values[0]


def _takes(node: Any, value: Any, document: dict, depth: int = 0) -> bool:
    """Whether schema ``node`` may take ``value`` (types, enums, required and known properties; a few levels deep)."""
    if not isinstance(node, dict) or depth > 4:
        return True
    node, document, _ = _resolve(node, document)
    for key in ("allOf",):
        if node.get(key) and not all(_takes(part, value, document, depth + 1) for part in node[key]):
            return False
    if node.get("oneOf") or node.get("anyOf"):
        return any(_takes(part, value, document, depth + 1) for part in node.get("oneOf") or node["anyOf"])
    kinds = node.get("type")
    kinds = [kinds] if isinstance(kinds, str) else kinds or []
    if node.get("nullable") and value is None:
        return True
    if kinds and not any(isinstance(value, PY_TYPES.get(k, ())) and not (isinstance(value, bool) and k != "boolean")
                         for k in kinds):
        return False
    if "enum" in node and value not in node["enum"]:
        return False
    if isinstance(value, dict):
        properties = node.get("properties") or {}
        if any(key not in value for key in node.get("required") or ()):
            return False
        return all(_takes(properties[key], item, document, depth + 1) for key, item in value.items() if key in properties)
    if isinstance(value, list) and isinstance(node.get("items"), dict):
        return all(_takes(node["items"], item, document, depth + 1) for item in value)
    return True


def _placed(record: Any, items: Any, document: dict, position: int) -> Any:
    """A record of a collection at ``position``: its ``searchAfter`` sort values say where it is (a client sends
    them back for the next page), and one without an id is made unlike the others, as a client tells such records
    apart by content: its first plain text (no enum, format or pattern) says which it is."""
    node, document = resolved(items if isinstance(items, dict) else {}, document)
    if isinstance(record, list) and record:
        return [_placed(record[0], node.get("items"), document, position), *record[1:]]
    if isinstance(record, str) and _plain(node):
        return f"{record} {position + 1}"
    if not isinstance(record, dict):
        return record
    if isinstance(record.get("searchAfter"), list):
        record = {**record, "searchAfter": [position + 1]}
    if record.get("id") or record.get("_id"):
        return record
    for key, value in record.items():
        if isinstance(value, str) and _plain(resolved((node.get("properties") or {}).get(key) or {}, document)[0]):
            return {**record, key: f"{value} {position + 1}"}
    return record


def _plain(node: dict) -> bool:
    return node.get("type", "string") == "string" and not {"enum", "format", "pattern", "maxLength"} & set(node)


def _distinct(values: list) -> list:
    """``values`` made pairwise different where they repeat (an example reused for every item)."""
    seen: list = []
    for index, value in enumerate(values):
        if value in seen:
            if isinstance(value, str):
                value = f"{value} {index + 1}"
            elif isinstance(value, dict):
                value = {k: f"{v} {index + 1}" if isinstance(v, str) else v for k, v in value.items()}
            values[index] = value
        seen.append(value)
    return values


def _named(kind: str, name: str, where: str, ctx: Context) -> Any:
    if kind == "string" and name in ctx.echoes:
        return ctx.echoes[name]
    if kind == "string" and name in ("id", "_id") and ctx.own_id and "[" not in where and where.count(".") <= 1:
        return ctx.own_id  # the record a path addresses (GET /invoices/{invoiceId}) carries its id
    if kind == "string" and ID_NAME.match(name):
        return ctx.record_id(where)
    if kind in ("integer", "number") and TOTAL_NAME.match(name):
        return ctx.size
    return None


def _string(node: dict, name: str) -> str:
    text = FORMATS.get(node.get("format", ""), name or "string")
    low, high = node.get("minLength", 0), node.get("maxLength")
    text = text.ljust(low, "x")
    return text[:high] if high is not None else text


def answer(op: Operation, ctx: Context) -> tuple[int, Any]:
    """The status and body of ``op``'s success answer for the request ``ctx`` describes."""
    status, schema, document = success_schema(op)
    if schema is None or document is None:
        return status, {}
    return status, example(schema, document, ctx)
