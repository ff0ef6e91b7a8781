"""Every operation of HighLevel's v2 and v3 specs outside the 124: routed after the 124's router misses.

The routes are built on the first request the 124's router does not take (so requests that match the 124
never load or scan the second tier). A request's ``Version`` header picks the form: ``v3`` the v3 spec's,
dated versions and ``legacy`` the v2 spec's; a path only one spec has answers in that spec's form. Such
requests pass the Gateway like any other (token, version, scopes, location, rate limits, faults, required
parameters) and are answered by :func:`answer`: the body's field types are checked, then a deterministic
example of the official success schema is returned (``sandbox.examples``). Stateless: nothing is stored. An area
that registers a handler for a second-tier key (``areas/reporting``) answers it with records instead, behind the
same gate, its body checked by :func:`check_body_types` as here.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable
from typing import Any

from starlette.responses import Response

from airflow_provider_ghl.catalog import Operation, all_keys, get_operation, operations, versions_of
from airflow_provider_ghl.sandbox.bodies import field_problems
from airflow_provider_ghl.sandbox.errors import unprocessable
from airflow_provider_ghl.sandbox.examples import Context, collection_size
from airflow_provider_ghl.sandbox.examples import answer as example_answer
from airflow_provider_ghl.sandbox.params import integer
from airflow_provider_ghl.sandbox.paths import CatalogRouter
from airflow_provider_ghl.sandbox.routing import Call, Reply


def second_tier_forms() -> list[Operation]:
    """Every form (v2, v3) of every operation outside the 124."""
    seed = operations()
    return [get_operation(key, version) for key in all_keys() if key not in seed for version in versions_of(key)]


class SecondTier:
    """Routers of the second tier's forms, one per spec, built when first needed."""

    def __init__(self, taken: Iterable[tuple[str, str]] = ()) -> None:
        self.taken = frozenset(taken)
        """(method, path) the sandbox serves elsewhere (OAuth's own routes): never shadowed."""
        self.routers: dict[str, CatalogRouter] | None = None

    def _build(self) -> dict[str, CatalogRouter]:
        forms: dict[str, list[Operation]] = {"v2": [], "v3": []}
        for op in second_tier_forms():
            if (op.method, op.path) not in self.taken:
                forms[op.api].append(op)
        return {api: CatalogRouter(ops) for api, ops in forms.items()}

    def shadowed_by(self, router: CatalogRouter) -> list[Operation]:
        """Forms whose literal path a route of ``router`` would take as a placeholder (``GET
        /opportunities/lost-reason`` is not ``get_opportunity``): they join that router, where static
        segments win. Builds the second tier (once, at start-up: about 0.1 s)."""
        if self.routers is None:
            self.routers = self._build()
        shadowed = []
        for api_router in self.routers.values():
            for bucket in api_router.buckets.values():
                for _pattern, ops in bucket:
                    for method, op in ops.items():
                        found = router.match(method, op.path)
                        if found is not None and method in found[0]:
                            shadowed.append(op)
        return shadowed

    def match(self, method: str, path: str, version: str | None) -> tuple[dict[str, Operation], dict[str, str]] | None:
        """The operations of the route (preferring the ``Version`` header's spec) taking ``method`` at ``path``."""
        if self.routers is None:
            self.routers = self._build()
        order = ("v3", "v2") if version == "v3" else ("v2", "v3")
        for api in order:
            found = self.routers[api].match(method, path)
            if found is not None and method in found[0]:
                return found
        return None


def _query_int(call: Call, name: str | None, default: int, minimum: int) -> int:
    raw = call.query.get(name) if name else None
    return default if raw in (None, "") else integer(raw, name or "", minimum=minimum)


def cursor_for(start: int) -> str:
    """The opaque cursor of the page starting at record ``start`` (HighLevel's look alike: base64 JSON)."""
    return base64.urlsafe_b64encode(json.dumps({"skip": start}).encode()).decode().rstrip("=")


def _cursor_start(raw: str, name: str, size: int) -> int:
    try:
        start = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))["skip"]
    except (ValueError, TypeError, KeyError):
        raise unprocessable(f"{name} is not a cursor this API returned") from None
    if not isinstance(start, int) or isinstance(start, bool) or not 0 <= start <= size:
        raise unprocessable(f"{name} is not a cursor this API returned")
    return start


def _page(call: Call) -> tuple[int, int, dict[str, Any]]:
    """(first record, page size, the page's own fields) the request asks for, by the operation's pagination
    parameters or the body's. Page-number answers say which page they are and which comes next, as HighLevel's do
    (``page``/``pageSize``; ``meta.currentPage``/``nextPage``/``prevPage``); their total is the collection's.
    Cursor answers carry the next page's cursor (``nextCursor``; v3's ``pagination.nextPageToken`` with
    ``hasNextPage``), none on the last page."""
    paging = call.op.pagination
    style = paging.get("style")
    size = collection_size(call.op)  # the gate has checked the page size against the spec's range
    if style in ("cursor", "page_token"):
        limit = _query_int(call, paging.get("limit_param"), size, 1)
        raw = call.query.get(paging["cursor_param"])
        start = _cursor_start(raw, paging["cursor_param"], size) if raw else 0
        following = start + limit < size
        fields: dict[str, Any] = {paging["next_cursor"].rpartition(".")[2]: cursor_for(start + limit) if following else None}
        if paging.get("more"):
            fields.update({paging["more"].rpartition(".")[2]: following, "hasPrevPage": start > 0,
                           "currentPageSize": max(0, min(limit, size - start))})
        return start, limit, fields
    if style == "body_skip_limit":
        data = call.data
        skip, limit = paging["offset_param"], paging["limit_param"]
        return integer(data.get(skip, 0), skip), integer(data.get(limit, size), limit, minimum=1), {}
    if style == "search_after":  # the last record's searchAfter (its position, see examples), else page numbers
        data = call.data
        limit = integer(data.get(paging["limit_param"], size), paging["limit_param"], minimum=1)
        after = data.get("searchAfter")
        if isinstance(after, list) and after:
            return integer(after[0], "searchAfter[0]"), limit, {}
        return (integer(data.get("page", 1), "page", minimum=1) - 1) * limit, limit, {}
    limit = _query_int(call, paging.get("limit_param"), size, 1)
    if style == "page":
        first = paging.get("first_page", 1)
        number = _query_int(call, paging["page_param"], first, first)
        start = (number - first) * limit
        following = number + 1 if start + limit < size else None
        return start, limit, {"page": number, "currentPage": number, "pageSize": limit, "nextPage": following,
                              "prevPage": number - 1 if number > first else None}
    return _query_int(call, paging.get("offset_param"), 0, 0), limit, {}


def check_body_types(call: Call) -> None:
    """A 422 naming each body field whose type is not the one the operation's official request schema gives (the
    check every operation outside the 124 gets, stateful ones included)."""
    op = call.op
    if op.body is not None and op.body.type == "object" and isinstance(call.body, dict) and op.content_type == "application/json":
        problems = field_problems(call.body, op.body.properties)
        if problems:
            raise unprocessable(*problems)


def answer(call: Call) -> Any:
    """A second-tier operation's answer: its body's field types checked, then the spec's example."""
    op = call.op
    check_body_types(call)
    start, limit, page_fields = _page(call)
    echoes = {**call.path, **({"locationId": call.location_id} if call.location_id else {})}
    own = [call.path[p.name] for p in op.path_params if not (op.location and op.location.name == p.name)]
    ctx = Context(own_id=own[-1] if own else None, seed=call.state.config.seed,
                  path=f"{op.method} {op.path} {sorted(call.path.items())}",
                  echoes=echoes, records_key=op.records_key, start=start, limit=limit, page_fields=page_fields,
                  size=collection_size(op))
    status, body = example_answer(op, ctx)
    if status == 204 or status == 304:
        call.state.stats[f"status:{status}"] += 1
        return Response(status_code=status)  # HTTP allows no body here: the server would cut the connection
    return Reply(status, body)
