"""The second tier of the catalog: every operation of HighLevel's v2 and v3 specs, in each version's form.

``build_catalog.py`` builds the 124 seed operations (``catalog.json``, rich product facts) and calls
:func:`build` here for ``airflow_provider_ghl/catalog_spec.json.gz``, which the package loads only when
an operation outside the seed or a v3 form is asked for (importing operators stays as cheap as before).

**Keys.** An operation is one entry whatever its versions: a v2 operation and a v3 one are the same
operation when their method and path agree (placeholders' names aside: v3 renamed ``{adsetId}`` to
``{adSetId}``), or, for the paths v3 renamed (``/contacts/{contactId}/campaigns/removeAll`` ->
``.../remove-all``, ``/oauth/locationToken`` -> ``/oauth/location-token``), when their area and
``operationId`` agree. The seed's 124 keep their keys. Every other operation is keyed by its
``operationId`` in snake_case (the v2 one where v2 has it): ``get-invoice`` -> ``get_invoice``. Where
that key is taken (a seed key for another operation, or another operation with the same id), it is
prefixed by its area, ``<area>__<id>`` (``custom_fields__create_custom_field``), and where the area
still collides, its method and version are appended. ``tests/catalog_keys.txt`` lists every key
with its operations: the builder must reproduce it, so a key never changes silently.

**Versions.** Each entry holds a ``v2`` and/or ``v3`` form, each following its own spec: method,
path, ``Version`` header, scopes (documented, else derived: ``spec_scopes.py``), parameters, body summary,
status, paging, where records sit. Python argument names are the v2 form's in both (a v3 placeholder fills the
v2 argument at its position), and ``query_renames``/``body_renames`` map the v2 names of query parameters and
body fields to v3's where v3 only respells them (``location_id`` -> ``locationId``). For a seed key the v2 form
is ``catalog.json``'s and the v3 form is stored as the fields that differ from it.
"""

from __future__ import annotations

import gzip
import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import spec_scopes
from spec_scopes import norm_path

METHODS = ("get", "post", "put", "patch", "delete")
OUTPUT_NAME = "catalog_spec.json.gz"
FALLBACK_VERSION = {"v2": "2021-07-28", "v3": "v3"}
"""The Version header where a spec file declares none at all for an operation nor any of its neighbours."""
PAGE_SIZE_PARAMS = ("limit", "pageLimit", "pageSize", "perPage", "pageLength")
"""The names a spec gives the page size beside a ``page`` number (the knowledge base crawler's is ``pageLength``)."""
PAGING_PARAMS = ("limit", "offset", "skip", "page", "pageLimit", "startAfter", "startAfterId", "searchAfter",
                 "lastMessageId", "startAfterDate")
DEFAULTS: dict[str, Any] = {
    "class_name": "", "category": "", "description": "", "pagination_text": "", "notes": "", "record_fields": [],
    "relaxed_body_fields": [], "undeclared_body_fields": {}, "columns_from": None, "incremental": None,
    "webhooks": None, "timestamps": None, "custom_field_model": None, "record_link": None,
    "contact_argument": None, "query_params": [], "body": None, "location": None, "company": None,
    "records_key": None, "record_key": None, "deprecated": False, "pagination": {"style": "none"},
    "query_renames": {}, "body_renames": {}, "content_type": "application/json", "answer": "object",
    "scopes_derived": None,
}
"""Fields a stored form leaves out when it has this value (``airflow_provider_ghl.catalog`` fills them back)."""


def spelling(name: str) -> str:
    """A name without case and separators: ``location_id``, ``locationId`` and ``location-id`` agree."""
    return re.sub(r"[^a-z0-9]", "", name.lower())


def load_specs(reference: Path) -> dict[str, list[tuple[str, dict, str, str, dict]]]:
    """(area, spec, method, path, operation) of every operation, per version, in file and path order."""
    found: dict[str, list] = {"v2": [], "v3": []}
    for version, folder, suffix in (("v2", "openapi", ""), ("v3", "openapi-v3", "-v3")):
        for file in sorted((reference / folder).glob("*.json")):
            area = file.stem.removesuffix(suffix)
            spec = json.loads(file.read_text())
            for path, item in spec["paths"].items():
                for method in METHODS:
                    if method in item:
                        found[version].append((area, spec, method.upper(), path, item[method]))
    return found


def declared_version(operation: dict) -> str | None:
    header = next((p for p in operation.get("parameters", []) if p.get("name") == "Version" and p.get("in") == "header"),
                  None)
    enum = (header or {}).get("schema", {}).get("enum") or []
    return enum[0] if enum else None


def form(version: str, area: str, spec: dict, method: str, path: str, operation: dict, ctx: dict,
         records: str | None = None) -> dict:
    """One version's form of an operation, as ``catalog.json`` writes an operation (less the defaults); ``records``:
    where the other version's form keeps its records (the name that picks one of several nested lists)."""
    bc, common = ctx["build_catalog"], ctx["common"]
    declared = {p["name"]: p for p in operation.get("parameters", []) if "name" in p}
    path_params = []
    for name in re.findall(r"{(\w+)}", path):
        argument = ctx["path_names"].get(name, {}).get("value") or bc.snake(name)
        path_params.append({"name": name, "argument": argument, "declared": name in declared})
    query_params = [
        {"name": p["name"], "required": bool(p.get("required")), "type": bc.json_type(spec, p.get("schema"), common),
         "enum": (bc.resolve(spec, p.get("schema"), common) or {}).get("enum")}
        for p in operation.get("parameters", []) if p.get("in") == "query"
    ]
    body = None
    schema_properties: dict[str, Any] = {}
    content = operation.get("requestBody", {}).get("content", {})
    # JSON where the operation takes it; else what it takes (multipart uploads, OAuth's form-encoded token calls).
    content_type = next((kind for kind in content if "json" in kind), next(iter(content), "application/json"))
    if content:
        schema = bc.resolve(spec, next(iter(content.values())).get("schema"), common) or {}
        body = bc.body_summary(spec, schema, common)
        if body["type"] == "object":
            schema_properties = schema.get("properties", {})
    success = next((code for code in operation["responses"] if code.startswith("2")), "200")
    response = (operation["responses"].get(success, {}).get("content", {}).get("application/json", {})
                .get("schema"))
    security = operation.get("security") or []
    scopes = list(dict.fromkeys(s for entry in security for names in entry.values() for s in names))
    if not scopes:  # the spec names none: HighLevel's scope table does, for many
        scopes = ctx["scopes"].get((method, norm_path(path).rstrip("/") or "/"), [])
    schemes = [name for entry in security for name in entry]
    token_types = list(dict.fromkeys("agency" if s.startswith("Agency") else "location" for s in schemes)) or ["location"]
    resolved = bc.resolve(spec, response, common) or {}
    paging = paging_style(spec, operation, body, bc, common, resolved)
    records_key = record_key = None
    if resolved.get("type") == "array" and (method == "GET" or paging["style"] != "none"):
        records_key = ""
    else:
        kinds = {k: bc.json_type(spec, v, common) for k, v in resolved.get("properties", {}).items()}
        # A list named as a count is no records (products' and email schedules' ``total``: [{"total": n}]).
        arrays = [k for k, kind in kinds.items() if kind == "array" and k != "total"]
        objects = [k for k, kind in kinds.items() if kind == "object" and k != "meta"]
        # A GET answering one list (beside counts and meta) is a collection even with no paging parameter, unless
        # it reads one record by its id (an order's ``items``, a call log's actions are parts of that record).
        one_record = path.rstrip("/").endswith("}")
        if paging["style"] != "none" or (method == "GET" and len(arrays) == 1 and not objects and not one_record):
            # Several lists: the one the other version keeps its records in (v3's advanced opportunity search
            # answers ``stageAggregations`` beside ``opportunities``).
            records_key = arrays[0] if len(arrays) == 1 else records if records in arrays else None
        if paging["style"] != "none" and not arrays:
            records_key = nested_records(spec, resolved, bc, common, records)
    record_key, record_fields = bc.record_shape(spec, common, response, records_key)
    if records_key is not None and paging["style"] == "none":
        paging = {"style": "single_page"}  # a list with no paging parameter comes whole
    searching = "search" in path.rsplit("/", 1)[-1].lower() or "search" in (operation.get("operationId") or "")
    data = {
        "area": area, "kind": "T" if method == "GET" or searching else "A",
        "name": operation.get("summary") or operation.get("operationId") or f"{method} {path}",
        "method": method, "path": path, "version": version_header(version, area, operation, ctx),
        # Re-sending after an ambiguous failure is safe for what HTTP calls idempotent, and for searches.
        "idempotent": method in ("GET", "PUT", "DELETE") or (method == "POST" and searching),
        "scopes": scopes, "token_types": token_types, "pagination": paging, "path_params": path_params,
        "query_params": query_params, "body": body,
        "location": location_placement(path_params, declared, body,
                                       {k: bc.resolve(spec, v, common) or {} for k, v in schema_properties.items()}),
        "company": placement("companyId", path_params, declared, body),
        "content_type": content_type, "success_status": int(success), "records_key": records_key, "record_key": record_key,
        "answer": bc.answer_kind(operation["responses"].get(success, {}), resolved, records_key),
        "record_fields": list(record_fields),
        "timestamps": bc.derived_timestamps(record_fields) if records_key is not None else None,
        "operation_id": operation.get("operationId"), "deprecated": bool(operation.get("deprecated")),
    }
    return data


def version_header(version: str, area: str, operation: dict, ctx: dict) -> str:
    """The spec's ``Version`` for the operation; where it names none, the one most of its file's operations name."""
    return declared_version(operation) or ctx["file_versions"][version].get(area) or FALLBACK_VERSION[version]


def location_placement(path_params: list, declared: dict, body: dict | None, body_fields: dict) -> dict | None:
    """Where the form carries the location: ``locationId`` (path, query, body) or HighLevel's ``altId`` + ``altType``.

    ``altId`` is the location where its description says so ("Location Id", "location Id / company Id based on
    altType"; not the inbound message's "external mail provider's message id"), with ``altType`` beside it in the
    same place when the form declares one (sent as ``location``, its only value). It wins over a ``locationId``
    query parameter the form does not require (payments' orders and transactions require ``altId``)."""
    found = placement("locationId", path_params, declared, body, also="location_id")
    if found is not None and (found["in"] != "query" or declared[found["name"]].get("required")):
        return found
    for where, fields in (("query", {n: p for n, p in declared.items() if p.get("in") == "query"}), ("body", body_fields)):
        alt_id, alt_type = fields.get("altId"), fields.get("altType")
        if alt_id is None or "location" not in str(alt_id.get("description", "")).lower():
            continue
        kinds = (alt_type or {}).get("schema", alt_type or {}).get("enum") or ["location"]
        if alt_type is not None and "location" not in kinds:
            continue
        return {"in": where, "name": "altId",
                **({"type_param": "altType", "type_value": "location"} if alt_type is not None else {})}
    return found


def placement(name: str, path_params: list, declared: dict, body: dict | None, also: str | None = None) -> dict | None:
    if any(p["name"] == name for p in path_params):
        return {"in": "path", "name": name}
    for candidate in (name, also):
        if candidate and declared.get(candidate, {}).get("in") == "query":
            return {"in": "query", "name": candidate}
    if body and name in body["properties"]:
        return {"in": "body", "name": name}
    return None


def nested_records(spec: dict, resolved: dict, bc: Any, common: dict, prefer: str | None) -> str | None:
    """``holder.list`` where a paged answer has no list at its top but one object holding one list, or several of
    which one is named ``prefer`` (v3's ``{"status", "data": {"numbers": [...], "rcsSenderIds": [...]}}`` envelope,
    whose v2 form answers ``numbers`` at the top; the social planner's ``results``)."""
    found = []
    for name, schema in resolved.get("properties", {}).items():
        inner = bc.unwrap(spec, schema, common)
        arrays = [k for k, v in inner.get("properties", {}).items() if bc.json_type(spec, v, common) == "array"]
        if len(arrays) == 1 or prefer in arrays:
            found.append(f"{name}.{arrays[0] if len(arrays) == 1 else prefer}")
    return found[0] if len(found) == 1 else None


def next_cursor(token: str, resolved: dict, spec: dict, bc: Any, common: dict) -> tuple[str, str | None] | None:
    """Where an answer carries the cursor to send back as ``token`` (``cursor`` -> ``nextCursor``, ``pageToken`` ->
    ``pagination.nextPageToken``), at its top or one object down, and the flag beside it saying a page follows."""
    holders = [("", resolved)] + [(name + ".", bc.unwrap(spec, schema, common))
                                  for name, schema in resolved.get("properties", {}).items()]
    for prefix, holder in holders:
        names = holder.get("properties", {})
        found = next((n for n in names if spelling(n) == "next" + spelling(token)), None)
        if found:
            flag = next((n for n in names if spelling(n) == "hasnextpage"), None)
            return prefix + found, prefix + flag if flag else None
    return None


def paging_style(spec: dict, operation: dict, body: dict | None, bc: Any, common: dict, resolved: dict) -> dict:
    """The Pager style the paging parameters name (query first, then body); ``none`` when they name none."""
    query = {p["name"]: p for p in operation.get("parameters", []) if p.get("in") == "query"}
    fields = set((body or {}).get("properties", {}))

    def cap(name: str) -> dict:
        return bc.page_size_bounds(spec, operation, name, common)  # max_limit, min_limit: the spec's bounds

    # An opaque cursor the answer hands back: ``cursor`` (the messages export), v3's AIP-158 ``pageToken``.
    for token, style in (("cursor", "cursor"), ("pageToken", "page_token")):
        found = next_cursor(token, resolved, spec, bc, common) if token in query else None
        if found:
            size = next((n for n in PAGE_SIZE_PARAMS if n in query), None)
            return {"style": style, "cursor_param": token, "next_cursor": found[0],
                    **({"more": found[1]} if found[1] else {}),
                    **({"limit_param": size, **cap(size)} if size else {})}
    limit = "limit" if "limit" in query else None
    if {"startAfter", "startAfterId"} <= set(query):
        return {"style": "start_after", **({"limit_param": limit} if limit else {}), **(cap(limit) if limit else {})}
    if "startAfterDate" in query:
        return {"style": "start_after_date", **({"limit_param": limit} if limit else {}), **(cap(limit) if limit else {})}
    if "lastMessageId" in query:
        return {"style": "last_message_id", **({"limit_param": limit} if limit else {}), **(cap(limit) if limit else {})}
    if "searchAfter" in fields:
        size = "pageLimit" if "pageLimit" in fields else "limit"
        return {"style": "search_after", "limit_param": size, **cap(size)}
    if {"skip", "limit"} <= fields:
        return {"style": "body_skip_limit", "offset_param": "skip", "limit_param": "limit", **cap("limit")}
    for offset in ("offset", "skip"):
        if offset in query and limit:
            return {"style": "offset", "offset_param": offset, "limit_param": limit, **cap(limit)}
    size = next((n for n in PAGE_SIZE_PARAMS if n in query), None)
    if "page" in query and size:  # a lone ``page`` is something else (OAuth's return page, saas-locations' answer)
        # Page numbers: 1, 2, ..., or 0, 1, ... where the spec's ``page`` starts at 0 (phone numbers).
        schema = query["page"].get("schema") or {}
        first = 0 if 0 in (schema.get("minimum"), schema.get("default")) else 1
        return {"style": "page", "page_param": "page", "limit_param": size, "first_page": first, **cap(size)}
    return {"style": "none"}


def renames(canonical: dict, other: dict) -> dict:
    """v2 names -> v3 names of query parameters and body fields that v3 only respells."""
    out: dict[str, dict[str, str]] = {"query_renames": {}, "body_renames": {}}
    pairs = (("query_renames", [q["name"] for q in canonical.get("query_params", [])],
              [q["name"] for q in other.get("query_params", [])]),
             ("body_renames", list((canonical.get("body") or {}).get("properties") or {}),
              list((other.get("body") or {}).get("properties") or {})))
    for field, old_names, new_names in pairs:
        for old in old_names:
            if old in new_names:
                continue
            match = [new for new in new_names if spelling(new) == spelling(old) and new not in old_names]
            if len(match) == 1:
                out[field][old] = match[0]
    return out


def positional_arguments(canonical: dict, other: dict) -> None:
    """Give ``other``'s placeholders the Python argument names of ``canonical``'s, place by place."""
    if len(canonical["path_params"]) == len(other["path_params"]):
        for theirs, ours in zip(other["path_params"], canonical["path_params"], strict=True):
            theirs["argument"] = ours["argument"]


def lean(data: dict, base: dict) -> dict:
    """``data`` less what ``base`` already says."""
    return {k: v for k, v in data.items() if k not in base or base[k] != v}


def match(found: dict) -> list[tuple[tuple | None, tuple | None]]:
    """Pairs (v2 operation, v3 operation), each operation of each spec in exactly one pair."""
    by_path = {(op[2], norm_path(op[3])): op for op in found["v2"]}
    v3_area = Counter((op[0], by_path[(op[2], norm_path(op[3]))][0]) for op in found["v3"]
                      if (op[2], norm_path(op[3])) in by_path)
    area_map = {}
    for (three, two), _ in v3_area.most_common():
        area_map.setdefault(three, two)
    pairs: dict[int, list] = {id(op): [op, None] for op in found["v2"]}
    unmatched = []
    for op in found["v3"]:
        twin = by_path.get((op[2], norm_path(op[3])))
        if twin is not None and pairs[id(twin)][1] is None:
            pairs[id(twin)][1] = op
        else:
            unmatched.append(op)
    left = {(op[0], op[4].get("operationId")): op for op in found["v2"] if pairs[id(op)][1] is None}
    result = list(pairs.values())
    for op in unmatched:
        twin = left.pop((area_map.get(op[0], op[0]), op[4].get("operationId")), None)
        if twin is not None:
            pairs[id(twin)][1] = op
        else:
            result.append([None, op])
    return [tuple(pair) for pair in result]


def build(reference: Path, seed: list[dict], overrides: dict, build_catalog: Any) -> dict:
    found = load_specs(reference)
    file_versions: dict[str, dict[str, str]] = {}
    for version, ops in found.items():
        counts: dict[str, Counter] = {}
        for area, _, _, _, operation in ops:
            if declared := declared_version(operation):
                counts.setdefault(area, Counter())[declared] += 1
        file_versions[version] = {area: c.most_common(1)[0][0] for area, c in counts.items()}
    spec_paths = {(op[2], norm_path(op[3]).rstrip("/") or "/") for ops in found.values() for op in ops}
    ctx = {"build_catalog": build_catalog, "common": json.loads((reference / "common" / "common-schemas.json").read_text()),
           "path_names": overrides["path_names"], "scopes": spec_scopes.scope_table(reference, spec_paths),
           "file_versions": file_versions}
    seed_by_op: dict[tuple[str, str], list[dict]] = {}
    for op in seed:  # two seed products may share an endpoint (find_contact is get_duplicate_contact's)
        seed_by_op.setdefault((op["method"], op["path"]), []).append(op)
    entries = []
    for two, three in match(found):
        forms = {"v2": form("v2", *two, ctx) if two else None}
        forms["v3"] = form("v3", *three, ctx, (forms["v2"] or {}).get("records_key")) if three else None
        seeds = seed_by_op.get((two[2], two[3]), []) if two else []
        for seeded in seeds:
            v3 = json.loads(json.dumps(forms["v3"])) if forms["v3"] is not None else None
            if v3 is not None:
                positional_arguments(seeded, v3)
                v3.update(renames(seeded, v3))
            entries.append({"key": seeded["key"], "seed": True, "v3": seed_form(seeded, v3)})
        if seeds:
            continue
        if forms["v3"] is not None and forms["v2"] is not None:
            positional_arguments(forms["v2"], forms["v3"])
            forms["v3"].update(renames(forms["v2"], forms["v3"]))
        source = two or three
        # snake_case, and nothing but [a-z0-9_] (one id holds a space: "create-integration provider").
        key = re.sub(r"[^a-z0-9]+", "_", build_catalog.snake(source[4].get("operationId") or "")).strip("_")
        entries.append({"key": None, "id": key,
                        "area": (forms["v2"] or forms["v3"])["area"], "v2": forms["v2"], "v3": forms["v3"]})
    assign_keys(entries, {op["key"] for op in seed})
    spec_scopes.derive(entries, seed, overrides.get("scopes", {}))
    for entry in entries:
        for version in ("v2", "v3"):
            if not entry.get("seed") and entry.get(version) is not None:
                entry[version] = lean(entry[version], DEFAULTS)
        entry.pop("id", None)
        entry.pop("area", None)
    seed_order = {op["key"]: index for index, op in enumerate(seed)}
    entries.sort(key=lambda e: (not e.get("seed"), seed_order.get(e["key"], 0), e["key"]))
    return {"source": "reference/openapi/ (v2) + reference/openapi-v3/ (v3), GoHighLevel/highlevel-api-docs@0af86a4",
            "defaults": DEFAULTS, "operations": entries}


def seed_form(seeded: dict, v3: dict | None) -> dict | None:
    """A seed operation's v3 form: the seed's facts where v3 says the same, v3's where it differs."""
    if v3 is None:
        return None
    merged = dict(v3)
    merged.pop("kind", None)
    merged.pop("name", None)
    merged.pop("area", None)
    # Product facts, checked against HighLevel for the seed (searches and upserts are idempotent, where records
    # sit where the spec's response schema is vague): v3 is assumed to answer in the same shape.
    for fact in ("idempotent", "records_key", "record_key", "token_types", "record_fields", "timestamps"):
        merged[fact] = seeded[fact]
    if not merged["scopes"]:  # v3's file declares no security for it either (bulk tags): the seed's scopes hold
        merged["scopes"] = seeded["scopes"]
    if merged["body"] is not None and seeded["body"] is not None and not merged["body"]["properties"]:
        merged["body"] = seeded["body"]  # v3's schema is as empty as v2's (SearchBodyV2DTO): the seed's facts hold
        merged["location"], merged["company"] = seeded["location"], seeded["company"]
    for field in ("query_renames", "body_renames"):
        if not merged.get(field):
            merged.pop(field, None)
    names = set(merged.get("query_renames", {}).values()) | {q["name"] for q in merged["query_params"]}
    names |= set((merged.get("body") or {}).get("properties") or {})
    v2_names = {q["name"] for q in seeded["query_params"]} | set((seeded.get("body") or {}).get("properties") or {})
    # The paging parameters v2's spec declares (some the seed knows from HighLevel's docs only, as search's):
    # when v3 declares them too, v3 pages as v2 does and the seed's limits hold.
    wanted = {v for k, v in seeded["pagination"].items() if k.endswith("_param")} & v2_names
    if wanted <= names or seeded["pagination"]["style"] in ("none", "single_page", "time_window"):
        # The seed's paging, with the smallest page v3's own spec allows where it names one (HighLevel's 422 below it).
        own = {fact: value for fact, value in merged["pagination"].items() if fact == "min_limit"}
        merged["pagination"] = {**seeded["pagination"], **own}
    return lean(merged, seeded)


def assign_keys(entries: list[dict], seed_keys: set[str]) -> None:
    """Keys by the rule in the module docstring (snake_case operationId; area prefix where it collides)."""
    wanted = Counter(entry["id"] for entry in entries if not entry.get("seed"))
    taken = set(seed_keys)
    first = {}
    for entry in entries:
        if entry.get("seed"):
            continue
        key = entry["id"]
        if key in seed_keys or wanted[key] > 1:
            key = f"{entry['area'].replace('-', '_')}__{entry['id']}"
        if key in taken or key in first:
            form_ = entry["v2"] or entry["v3"]
            key = f"{key}__{form_['method'].lower()}_{'v2' if entry['v2'] else 'v3'}"
        if key in taken or key in first:
            raise SystemExit(f"build_spec_catalog: two operations would be keyed {key!r}")
        first[key] = entry
        entry["key"] = key


def render(catalog: dict) -> bytes:
    """The stored file: compact JSON, gzip with no timestamp (the same bytes on every build)."""
    text = json.dumps(catalog, separators=(",", ":"), sort_keys=False)
    return gzip.compress(text.encode(), compresslevel=9, mtime=0)


def key_list(catalog: dict, seed: list[dict]) -> str:
    """``tests/catalog_keys.txt``: every key and the operation of each version it stands for."""
    seed_by_key = {op["key"]: op for op in seed}
    lines = ["# key\tv2 operation\tv3 operation  (generated by tools/build_catalog.py; a key must never change)"]
    for entry in catalog["operations"]:
        v2 = seed_by_key[entry["key"]] if entry.get("seed") else entry.get("v2")
        v3 = entry.get("v3")
        if entry.get("seed") and v3 is not None:
            v3 = {**seed_by_key[entry["key"]], **v3}
        cells = [f"{f['method']} {f['path']}" if f else "-" for f in (v2, v3)]
        lines.append("\t".join([entry["key"], *cells]))
    return "\n".join(lines) + "\n"
