"""The control surface under ``/__sandbox__/``: outside HighLevel's paths, for tests and benchmarks.

| route | does |
| --- | --- |
| ``GET /__sandbox__/info`` | the startup JSON (base URL, ids, connections) |
| ``POST /__sandbox__/reset`` | rebuild the world from ``{"seed": .., "contacts": ..}`` (both optional) |
| ``GET``/``PATCH /__sandbox__/config`` | settings: ``rate_limits``, ``faults``, ``access_token_ttl_s``, ``max_body_bytes``, ... |
| ``GET``/``DELETE /__sandbox__/stats`` | request counts by operation, status and fault; reset them |
| ``POST /__sandbox__/tokens`` | mint a Private Integration token: ``{"scopes": [...]}`` |
| ``POST /__sandbox__/oauth/grants`` | mint an OAuth refresh token: ``{"user_type": "Location"|"Company"}`` |
| ``POST /__sandbox__/oauth/codes`` | mint an authorization code for ``POST /oauth/token`` |
| ``POST /__sandbox__/clock`` | move the sandbox's clock: ``{"advance_s": 90000}`` (expires tokens) |
| ``GET /__sandbox__/tables/{name}`` | the records of one table, for assertions |

Every control route takes the ``X-Sandbox-Token`` header (``control_token`` in the startup JSON line).
Bound to loopback it is optional; bound to any other interface it is required, since the control
surface mints tokens and rewrites the world for anyone who can reach the port. Bodies are checked:
malformed JSON is a 400, a bad value a 422 naming the field, and a refusal changes nothing.
"""

from __future__ import annotations

import json
import math
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from airflow_provider_ghl.sandbox.bodies import parse_json
from airflow_provider_ghl.sandbox.config import ConfigError, check
from airflow_provider_ghl.sandbox.errors import ApiError, bad_request, not_found, unauthorized, unprocessable
from airflow_provider_ghl.sandbox.records import public
from airflow_provider_ghl.sandbox.state import Grant, SandboxState

Endpoint = Callable[[Request], Awaitable[Response]]
CONTROL_HEADER = "X-Sandbox-Token"
USER_TYPES = ("Location", "Company")
MAX_CLOCK_ADVANCE_S = 100 * 366 * 86_400


@dataclass(frozen=True)
class ControlAccess:
    """Who may use the control surface: anyone on loopback, only holders of ``token`` when ``required``."""

    token: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    required: bool = False

    def refusal(self, sent: str | None) -> ApiError | None:
        """Why a request with this header value is refused, or None. A token that is sent must be right."""
        if sent is None:
            if not self.required:
                return None
            return unauthorized(f"The sandbox's control surface needs the {CONTROL_HEADER} header "
                                "(control_token in the sandbox's startup line)")
        if secrets.compare_digest(sent.encode(), self.token.encode()):
            return None
        return unauthorized(f"Wrong {CONTROL_HEADER}: use control_token from the sandbox's startup line")


def info(state: SandboxState, base_url: str, access: ControlAccess | None = None) -> dict[str, Any]:
    """The JSON the CLI prints first: where the sandbox is, its control token and ready-made Airflow connections."""
    everything = " ".join(sorted(state.all_scopes))
    common = {"location_id": state.location_id, "company_id": state.company_id,
              "app_url": f"{base_url}{APP_PREFIX}"}
    return {
        "base_url": base_url,
        **({"control_token": access.token} if access else {}),
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


def _scopes(data: dict, state: SandboxState) -> frozenset[str]:
    scopes = data.get("scopes", sorted(state.all_scopes))
    if not isinstance(scopes, list) or not all(isinstance(scope, str) for scope in scopes):
        raise unprocessable("scopes must be a list of scope names")
    return frozenset(scopes)


def _user_type(data: dict) -> str:
    user_type = data.get("user_type", "Location")
    if user_type not in USER_TYPES:
        raise unprocessable(f"user_type must be one of the following values: {', '.join(USER_TYPES)}")
    return user_type


def guard(access: ControlAccess) -> Callable[[Endpoint], Endpoint]:
    """Wraps a control endpoint in the access check (every ``/__sandbox__`` route but the record pages)."""

    def guarded(endpoint: Endpoint) -> Endpoint:
        async def checked(request: Request) -> Response:
            refusal = access.refusal(request.headers.get(CONTROL_HEADER))
            if refusal is not None:
                raise refusal
            return await endpoint(request)

        return checked

    return guarded


def routes(state: SandboxState, access: ControlAccess) -> list[Route]:
    async def payload(request: Request) -> dict:
        data = parse_json(await request.body())
        if data is None:
            return {}
        if not isinstance(data, dict):
            raise bad_request("Body must be a JSON object")
        return data

    guarded = guard(access)

    async def get_info(request: Request) -> Response:
        return JSONResponse(info(state, str(request.base_url).rstrip("/"), access))

    async def reset(request: Request) -> Response:
        data = await payload(request)
        problems = [problem for name in ("seed", "contacts") if name in data and (problem := check(name, data[name]))]
        if problems:
            raise unprocessable(*problems)
        state.reset(seed=data.get("seed"), contacts=data.get("contacts"))
        return JSONResponse(info(state, str(request.base_url).rstrip("/"), access))

    async def config(request: Request) -> Response:
        if request.method == "PATCH":
            data = await payload(request)
            try:
                state.config.update(data)
            except ConfigError as error:
                raise ApiError(error.status, error.messages if error.status == 422 else str(error)) from None
            if isinstance(data.get("faults"), dict) and "seed" in data["faults"]:
                import random

                state.fault_rng = random.Random(state.config.faults.seed)
        return JSONResponse(state.config.to_dict())

    async def stats(request: Request) -> Response:
        if request.method == "DELETE":
            state.stats.clear()
        return JSONResponse(dict(state.stats))

    async def tokens(request: Request) -> Response:
        data = await payload(request)
        scopes = _scopes(data, state)
        location_id = data.get("location_id")
        if location_id is not None and not isinstance(location_id, str):
            raise unprocessable("location_id must be a string")
        return JSONResponse({"token": state.issue_pit(scopes, location_id)})

    async def grants(request: Request) -> Response:
        data = await payload(request)
        scopes, user_type = _scopes(data, state), _user_type(data)
        return JSONResponse({"refresh_token": state.issue_grant(user_type, scopes)})

    async def codes(request: Request) -> Response:
        data = await payload(request)
        scopes, user_type = _scopes(data, state), _user_type(data)
        code = f"sbx-code-{state.new_id()}"
        state.codes[code] = Grant(
            state.app.client_id, user_type, state.location_id if user_type == "Location" else None,
            state.company_id, scopes,
        )
        return JSONResponse({"code": code})

    async def clock(request: Request) -> Response:
        data = await payload(request)
        advance = data.get("advance_s", 0)
        if isinstance(advance, bool) or not isinstance(advance, int | float) or not math.isfinite(advance) \
                or abs(advance) > MAX_CLOCK_ADVANCE_S:
            raise unprocessable(f"advance_s must be a number of seconds within ±{MAX_CLOCK_ADVANCE_S}")
        state.clock_offset_s += advance
        return JSONResponse({"offset_s": state.clock_offset_s, "now": state.now().isoformat()})

    async def tables(request: Request) -> Response:
        name = request.path_params.get("name")
        if name is None:
            return JSONResponse({table: len(rows) for table, rows in state.tables.items()})
        if name not in state.tables:
            raise not_found(f"Table {name!r}")
        return JSONResponse([public(r) for r in state.tables[name].values()])

    async def app_page(request: Request) -> Response:
        """``/v2/location/{location}/contacts/detail/{id}`` and friends: the record, as HighLevel's app would show it."""
        from html import escape

        section = request.path_params["section"]
        table, source = RECORD_PAGES.get(section, (None, None))
        record_id = request.path_params["rest"].rsplit("/", 1)[-1] if source == "path" else request.query_params.get(source or "")
        record = state.table(table).get(record_id or "") if table else None
        if record is None:
            return HTMLResponse("<h1>Not found in the sandbox</h1>", status_code=404)
        body = escape(json.dumps(public(record), indent=2, ensure_ascii=False))
        title = escape(f"{section[:-1] if section.endswith('s') else section} {record_id}")
        return HTMLResponse(f"<!doctype html><title>{title}</title><h1>GHL sandbox: {title}</h1><pre>{body}</pre>")

    prefix = "/__sandbox__"
    control = [
        (f"{prefix}/info", get_info, ["GET"]),
        (f"{prefix}/reset", reset, ["POST"]),
        (f"{prefix}/config", config, ["GET", "PATCH"]),
        (f"{prefix}/stats", stats, ["GET", "DELETE"]),
        (f"{prefix}/tokens", tokens, ["POST"]),
        (f"{prefix}/oauth/grants", grants, ["POST"]),
        (f"{prefix}/oauth/codes", codes, ["POST"]),
        (f"{prefix}/clock", clock, ["POST"]),
        (f"{prefix}/tables", tables, ["GET"]),
        (f"{prefix}/tables/{{name}}", tables, ["GET"]),
    ]
    # The app pages stay open: "View in HighLevel" links are opened by a browser, which sends no header;
    # they only show one record of the synthetic world, read-only.
    return [
        Route(f"{APP_PREFIX}/v2/location/{{location}}/{{section}}/{{rest:path}}", app_page, methods=["GET"]),
        Route(f"{APP_PREFIX}/v2/location/{{location}}/{{section}}", app_page, methods=["GET"]),
        *(Route(path, guarded(endpoint), methods=methods) for path, endpoint, methods in control),
    ]
