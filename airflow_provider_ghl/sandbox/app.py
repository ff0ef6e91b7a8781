"""The sandbox's ASGI application: HighLevel's routes from the catalog, plus OAuth and a control surface.

Every catalog route passes the same gate, in HighLevel's order: bearer token, ``Version`` header,
scope, location access, rate limits; then reproducible fault injection, the request's required
parameters and page size (within the range its spec allows), and the area handler (``sandbox/areas/``,
listed in ``areas/__init__.py``).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from airflow_provider_ghl.body_keys import near_misses
from airflow_provider_ghl.catalog import Operation, get_operation, operations, versions_of
from airflow_provider_ghl.sandbox import second_tier, versions
from airflow_provider_ghl.sandbox.areas import load_areas
from airflow_provider_ghl.sandbox.bodies import BodyTooLarge, capped, declared_length, parse_json
from airflow_provider_ghl.sandbox.control import ControlAccess
from airflow_provider_ghl.sandbox.errors import (
    ApiError,
    bad_request,
    error_response,
    forbidden,
    internal_error,
    json_response,
    no_route,
    unauthorized,
    unprocessable,
)
from airflow_provider_ghl.sandbox.params import page_size_in_range
from airflow_provider_ghl.sandbox.paths import CatalogRouter, has_dot_segment, has_encoded_slash, raw_path
from airflow_provider_ghl.sandbox.routing import HANDLERS, Call, Reply
from airflow_provider_ghl.sandbox.state import SandboxState

SUPPORTED_VERSIONS = frozenset({"2021-07-28", "2021-04-15", "2023-02-21", "legacy", "v3"})
"""HighLevel's documented versions ("Supported versions" in reference/API-NOTES.md): ``v3``, and the Version
headers of the v2 API (``legacy`` and the dated ones), which every form of v2 accepts."""
DISCONNECT_MARKER = "ghl-sandbox: connection cut on purpose (fault injection)"
log = logging.getLogger("airflow_provider_ghl.sandbox")


class _DropDisconnectNoise(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        if record.exc_info and record.exc_info[1] is not None:
            text += str(record.exc_info[1])
        return DISCONNECT_MARKER not in text and "without completing response" not in text


class _Disconnect(Response):
    """Starts a response, sends part of it, then cuts the connection."""

    async def __call__(self, scope, receive, send) -> None:  # type: ignore[override]
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", b"4096")]})
        await send({"type": "http.response.body", "body": b'{"partial":', "more_body": True})
        raise ConnectionAbortedError(DISCONNECT_MARKER)


class Gateway:
    """Runs one catalog operation through HighLevel's checks and its handler."""

    def __init__(self, state: SandboxState) -> None:
        self.state = state

    async def handle(self, request: Request, ops: dict[str, Operation]) -> Response:
        op = ops.get(request.method)
        if op is None:
            return error_response(no_route(request.method, request.url.path))
        # A v3 request to one of the 124 follows v3's form; its handler reads it in the seed's terms (versions.py).
        form, op = (op, operations()[op.key]) if op.api == "v3" and op.key in operations() else (None, op)
        served = form or op
        state = self.state
        state.stats[f"op:{op.key}"] += 1
        if form is not None:
            state.stats[f"v3:{op.key}"] += 1
        state.stats["requests"] += 1
        headers: dict[str, str] = {}
        try:
            token = self._authenticate(request)
            self._check_version(request, op)
            missing = [scope for scope in op.scopes if scope not in token.scopes]
            if missing:
                raise unauthorized(
                    f"The token is not authorized for this scope. Missing scope: {', '.join(missing)}"
                )
            body = await self._body(request, op)
            query = dict(request.query_params)
            location_id = self._location(served, request, query, body, token)
            resource = location_id or token.company_id
            headers, verdict = state.rate_headers_and_verdict(token, resource)
            if verdict is not None:
                state.stats["status:429"] += 1
                message = (
                    "Daily rate limit exceeded. The limit resets every 24 hours."
                    if verdict == "daily" else "Too many requests. Please try again after some time."
                )
                return error_response(ApiError(429, message, "Too Many Requests"), headers)
            fault = state.draw_fault(op.key)
            if fault and fault.isdigit():
                state.stats[f"fault:{fault}"] += 1
                return error_response(ApiError(int(fault), "Injected fault (sandbox)"), headers)
            self._validate(served, query, body)
            query_lists = {k: request.query_params.getlist(k) for k in query}
            if form is not None:  # the handler reads the seed's names (v2's names that v3 respelled are refused)
                query, query_lists = versions.seed_query(form, query, query_lists)
            call = Call(
                op=op, state=state, token=token, path=dict(request.path_params), query=query,
                query_lists=query_lists, body=body, location_id=location_id,
                base_url=f"{request.url.scheme}://{request.headers.get('host', 'localhost')}", form=form,
            )
            handler = HANDLERS.get(op.key)
            if handler is None:
                if op.key in operations():
                    raise ApiError(501, f"{op.key} is not implemented by the sandbox", "Not Implemented")
                handler = second_tier.answer  # every other operation of the specs: the spec's example
            webhooks = state.webhooks
            before = webhooks.before(call) if webhooks.subscriptions else None
            result = handler(call)
            if before is not None:
                webhooks.after(call, before, result)
            if form is not None and not isinstance(result, Response):
                result = (Reply(result.status, versions.v3_answer(form, result.body)) if isinstance(result, Reply)
                          else versions.v3_answer(form, result))
        except ApiError as error:
            state.stats[f"status:{error.status}"] += 1
            return error_response(error, headers)
        if fault == "timeout":
            state.stats["fault:timeout"] += 1
            await asyncio.sleep(state.config.faults.delay_s)
        elif fault == "disconnect":
            state.stats["fault:disconnect"] += 1
            return _Disconnect()
        if isinstance(result, Response):
            result.headers.update(headers)
            return result
        status, payload = (result.status, result.body) if isinstance(result, Reply) else (op.success_status, result)
        state.stats[f"status:{status}"] += 1
        return json_response(status, payload, headers)

    def _authenticate(self, request: Request):
        header = request.headers.get("authorization", "")
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer" or not value:
            raise unauthorized("Invalid JWT")
        token = self.state.tokens.get(value.strip())
        if token is None:
            raise unauthorized()
        if token.expired(self.state.epoch()):
            raise unauthorized("Invalid JWT: token expired")
        return token

    @staticmethod
    def _check_version(request: Request, op: Operation) -> None:
        version = request.headers.get("version")
        if not version:
            raise bad_request("Version header was not found")
        if version not in SUPPORTED_VERSIONS:
            raise bad_request(f"Version {version!r} is not supported; use {op.version}")

    @staticmethod
    async def _body(request: Request, op: Operation) -> Any:
        if op.content_type != "application/json":
            return None  # a multipart upload or a form (second tier only): not read as JSON
        return parse_json(await request.body())

    def _location(self, op: Operation, request: Request, query: dict, body: Any, token) -> str | None:
        placement = op.location
        location_id = alt_type = None
        if placement is not None:
            if placement.where == "path":
                location_id = request.path_params.get(placement.name)
            elif placement.where == "query":
                location_id, alt_type = query.get(placement.name), query.get(placement.type_param or "")
            elif isinstance(body, dict):
                location_id, alt_type = body.get(placement.name), body.get(placement.type_param or "")
        if location_id and token.user_type == "Location" and location_id != token.location_id:
            raise forbidden("The token does not have access to this location.")
        if token.user_type == "Company" and "agency" not in op.token_types and token.kind == "access":
            raise unauthorized(
                "This route needs a Sub-Account (Location) token; exchange the agency token "
                "with POST /oauth/locationToken."
            )
        if token.user_type == "Location" and op.token_types == ("agency",) and token.kind == "access":
            raise unauthorized("This route needs an Agency (Company) token.")
        if alt_type is not None and alt_type != placement.type_value:  # altId names a location only with altType=location
            raise unprocessable(f"{placement.type_param} must be one of the following values: {placement.type_value}")
        return location_id or token.location_id

    @staticmethod
    def _validate(op: Operation, query: dict, body: Any) -> None:
        problems = [
            f"{param.name} should not be empty"
            for param in op.query_params
            if param.required and not query.get(param.name)
            and not (op.location and op.location.name == param.name)
            and not (op.pagination.get("offset_param") == param.name or op.pagination.get("limit_param") == param.name)
        ]
        if op.body is not None and op.body.type == "object" and op.content_type == "application/json":
            if body is not None and not isinstance(body, dict):
                problems.append("body must be an object")
            else:
                data = body or {}
                problems += [f"{name} should not be empty" for name in op.required_body_fields if data.get(name) in (None, "")]
        if op.content_type == "application/json":  # HighLevel forbids undeclared nested properties (class-validator)
            for miss in near_misses(op, body):  # class-validator's places: openHours.0.hours.0.openHour
                where, fixed = (text.replace("[", ".").replace("]", "") for text in (miss.where, miss.fixed))
                problems.append(f"property {where} should not exist (" + (
                    f"this API version spells it {miss.name})" if miss.key.lower() == miss.name.lower()
                    else f"did you mean {fixed}?)"))
        if problems:
            raise unprocessable(*problems)
        page_size_in_range(op, query, body)


def _version(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"version":
            return value.decode("latin-1")
    return None


def create_app(state: SandboxState, access: ControlAccess | None = None) -> ASGIApp:
    """The sandbox as an ASGI app over ``state``: catalog routes, OAuth, the control surface (guarded by ``access``)."""
    from airflow_provider_ghl.sandbox import control, oauth, webhooks

    access = access or ControlAccess()
    load_areas()
    gateway = Gateway(state)
    own_routes = [*oauth.routes(state), *control.routes(state, access),
                  *webhooks.routes(state, control.guard(access))]
    second = second_tier.SecondTier(
        (method, route.path) for route in own_routes for method in (getattr(route, "methods", None) or ()))
    seed = list(operations().values())
    router = CatalogRouter(seed + second.shadowed_by(CatalogRouter(seed)))
    # The 124's v3 forms: the same handlers, v3's paths (``.../campaigns/remove-all``) for ``Version: v3``.
    seed_v3 = [get_operation(op.key, "v3") for op in seed if "v3" in versions_of(op.key)]
    router_v3 = CatalogRouter(seed_v3 + second.shadowed_by(CatalogRouter(seed_v3)))

    async def not_found_route(request: Request, exc: Exception) -> Response:
        return error_response(no_route(request.method, request.url.path, getattr(exc, "status_code", 404)))

    async def api_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ApiError)
        return error_response(exc)

    async def http_error(request: Request, exc: Exception) -> Response:
        # Starlette's own refusals (a form field over its size) would be plain text.
        assert isinstance(exc, HTTPException)
        return error_response(ApiError(exc.status_code, exc.detail))

    async def unexpected(request: Request, exc: Exception) -> Response:
        # Starlette logs the traceback (to the server's log, never into the answer).
        return error_response(internal_error())

    others = Starlette(
        routes=own_routes,
        exception_handlers={404: not_found_route, 405: not_found_route, ApiError: api_error,
                            HTTPException: http_error, Exception: unexpected},
    )
    logging.getLogger("uvicorn.error").addFilter(_DropDisconnectNoise())

    async def refuse(error: ApiError, scope: Scope, receive: Receive, send: Send) -> None:
        await error_response(error)(scope, receive, send)

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await others(scope, receive, send)
            return
        # A gateway's checks come first: the body's size (before a byte of it is read), then the path.
        length, chunked = declared_length(scope)
        limit = state.config.max_body_bytes
        if length is not None and length > limit:
            await refuse(BodyTooLarge(limit), scope, receive, send)
            return
        if chunked:
            receive = capped(receive, limit)
        path = raw_path(scope)
        if has_dot_segment(path):
            await refuse(no_route(scope["method"], path), scope, receive, send)
            return
        version = _version(scope)
        found = (router_v3 if version == "v3" else router).match(scope["method"], path)
        if found is None or scope["method"] not in found[0]:
            # Not one of the 124 (only now is the second tier loaded): every other operation of the specs.
            other = second.match(scope["method"], path, version)
            found = other or found
        if found is None:
            if has_encoded_slash(path):
                # Starlette routes the decoded path, where %2F became a separator: it never sees these.
                await refuse(no_route(scope["method"], path), scope, receive, send)
                return
            await others(scope, receive, send)
            return
        scope["path_params"] = found[1]
        try:
            response = await gateway.handle(Request(scope, receive), found[0])
        except Exception:
            log.exception("the sandbox failed on %s %s", scope["method"], scope["path"])
            response = error_response(internal_error())
        await response(scope, receive, send)

    return app
