"""The control surface under ``/__sandbox__/``: outside HighLevel's paths, for tests and benchmarks.

| route | does |
| --- | --- |
| ``GET /__sandbox__/info`` | the startup JSON (base URL, ids, connections) |
| ``POST /__sandbox__/reset`` | rebuild the world from ``{"seed": .., "contacts": ..}`` (both optional) |
| ``GET``/``PATCH /__sandbox__/config`` | read or change settings: ``rate_limits``, ``faults``, ``access_token_ttl_s``, ... |
| ``GET``/``DELETE /__sandbox__/stats`` | request counts by operation, status and fault; reset them |
| ``POST /__sandbox__/tokens`` | mint a Private Integration token: ``{"scopes": [...]}`` |
| ``POST /__sandbox__/oauth/grants`` | mint an OAuth refresh token: ``{"user_type": "Location"|"Company"}`` |
| ``POST /__sandbox__/oauth/codes`` | mint an authorization code for ``POST /oauth/token`` |
| ``POST /__sandbox__/clock`` | move the sandbox's clock: ``{"advance_s": 90000}`` (expires tokens) |
| ``GET /__sandbox__/tables/{name}`` | the records of one table, for assertions |
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from airflow_provider_ghl.sandbox.state import Grant, SandboxState


def info(state: SandboxState, base_url: str) -> dict[str, Any]:
    """The JSON the CLI prints first: where the sandbox is and ready-made Airflow connections."""
    everything = " ".join(sorted(state.all_scopes))
    common = {"location_id": state.location_id, "company_id": state.company_id,
              "app_url": f"{base_url}{APP_PREFIX}"}
    return {
        "base_url": base_url,
        "location_id": state.location_id,
        "company_id": state.company_id,
        "webhook_public_key": state.webhooks.public_key,
        "connections": {
            "full": {"conn_type": "ghl", "host": base_url, "password": state.pit_full,
                     "extra": {"auth_type": "private_integration", **common, "scopes": everything}},
            "readonly": {"conn_type": "ghl", "host": base_url, "password": state.pit_readonly,
                         "extra": {"auth_type": "private_integration", **common,
                                   "scopes": " ".join(sorted(state.readonly_scopes))}},
            "oauth": {"conn_type": "ghl", "host": base_url,
                      "extra": {"auth_type": "oauth", **common, "client_id": state.app.client_id,
                                "client_secret": state.app.client_secret,
                                "refresh_token": state.location_refresh_token}},
            "agency": {"conn_type": "ghl", "host": base_url,
                       "extra": {"auth_type": "agency", **common, "client_id": state.app.client_id,
                                 "client_secret": state.app.client_secret,
                                 "refresh_token": state.agency_refresh_token}},
        },
    }


APP_PREFIX = "/__sandbox__/app"
"""Stands in for HighLevel's web app, so "View in HighLevel" links open a page offline."""
RECORD_PAGES = {"contacts": ("contacts", "path"), "opportunities": ("opportunities", "opportunityId"),
                "calendars": ("events", "eventId")}


def _public(record: dict) -> dict:
    return {k: v for k, v in record.items() if not k.startswith("_")}


def routes(state: SandboxState) -> list[Route]:
    async def payload(request: Request) -> dict:
        raw = await request.body()
        return json.loads(raw) if raw else {}

    def problem(message: str) -> Response:
        return JSONResponse({"statusCode": 400, "message": message}, status_code=400)

    async def get_info(request: Request) -> Response:
        return JSONResponse(info(state, str(request.base_url).rstrip("/")))

    async def reset(request: Request) -> Response:
        data = await payload(request)
        state.reset(seed=data.get("seed"), contacts=data.get("contacts"))
        return JSONResponse(info(state, str(request.base_url).rstrip("/")))

    async def config(request: Request) -> Response:
        if request.method == "PATCH":
            try:
                state.config.update(await payload(request))
            except ValueError as error:
                return problem(str(error))
            if "faults" in (data := await payload(request)) and "seed" in data["faults"]:
                import random

                state.fault_rng = random.Random(state.config.faults.seed)
        return JSONResponse(state.config.to_dict())

    async def stats(request: Request) -> Response:
        if request.method == "DELETE":
            state.stats.clear()
        return JSONResponse(dict(state.stats))

    async def tokens(request: Request) -> Response:
        data = await payload(request)
        scopes = data.get("scopes", sorted(state.all_scopes))
        return JSONResponse({"token": state.issue_pit(frozenset(scopes), data.get("location_id"))})

    async def grants(request: Request) -> Response:
        data = await payload(request)
        scopes = frozenset(data.get("scopes", sorted(state.all_scopes)))
        return JSONResponse({"refresh_token": state.issue_grant(data.get("user_type", "Location"), scopes)})

    async def codes(request: Request) -> Response:
        data = await payload(request)
        code = f"sbx-code-{state.new_id()}"
        user_type = data.get("user_type", "Location")
        state.codes[code] = Grant(
            state.app.client_id, user_type, state.location_id if user_type == "Location" else None,
            state.company_id, frozenset(data.get("scopes", sorted(state.all_scopes))),
        )
        return JSONResponse({"code": code})

    async def clock(request: Request) -> Response:
        data = await payload(request)
        state.clock_offset_s += float(data.get("advance_s", 0))
        return JSONResponse({"offset_s": state.clock_offset_s, "now": state.now().isoformat()})

    async def tables(request: Request) -> Response:
        name = request.path_params.get("name")
        if name is None:
            return JSONResponse({table: len(rows) for table, rows in state.tables.items()})
        if name not in state.tables:
            return JSONResponse({"statusCode": 404, "message": f"no table {name!r}"}, status_code=404)
        return JSONResponse([_public(r) for r in state.tables[name].values()])

    async def app_page(request: Request) -> Response:
        """``/v2/location/{location}/contacts/detail/{id}`` and friends: the record, as HighLevel's app would show it."""
        from html import escape

        section = request.path_params["section"]
        table, source = RECORD_PAGES.get(section, (None, None))
        record_id = request.path_params["rest"].rsplit("/", 1)[-1] if source == "path" else request.query_params.get(source or "")
        record = state.table(table).get(record_id or "") if table else None
        if record is None:
            return HTMLResponse("<h1>Not found in the sandbox</h1>", status_code=404)
        body = escape(json.dumps(_public(record), indent=2, ensure_ascii=False))
        title = escape(f"{section[:-1] if section.endswith('s') else section} {record_id}")
        return HTMLResponse(f"<!doctype html><title>{title}</title><h1>GHL sandbox: {title}</h1><pre>{body}</pre>")

    prefix = "/__sandbox__"
    return [
        Route(f"{APP_PREFIX}/v2/location/{{location}}/{{section}}/{{rest:path}}", app_page, methods=["GET"]),
        Route(f"{APP_PREFIX}/v2/location/{{location}}/{{section}}", app_page, methods=["GET"]),
        Route(f"{prefix}/info", get_info, methods=["GET"]),
        Route(f"{prefix}/reset", reset, methods=["POST"]),
        Route(f"{prefix}/config", config, methods=["GET", "PATCH"]),
        Route(f"{prefix}/stats", stats, methods=["GET", "DELETE"]),
        Route(f"{prefix}/tokens", tokens, methods=["POST"]),
        Route(f"{prefix}/oauth/grants", grants, methods=["POST"]),
        Route(f"{prefix}/oauth/codes", codes, methods=["POST"]),
        Route(f"{prefix}/clock", clock, methods=["POST"]),
        Route(f"{prefix}/tables", tables, methods=["GET"]),
        Route(f"{prefix}/tables/{{name}}", tables, methods=["GET"]),
    ]
