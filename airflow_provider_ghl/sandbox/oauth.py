"""HighLevel's OAuth endpoints: ``POST /oauth/token`` (rotating refresh tokens) and ``/oauth/locationToken``."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from airflow_provider_ghl.sandbox.state import SandboxState, Token


def _oauth_error(status: int, error: str, description: str) -> Response:
    # HighLevel answers OAuth failures with its usual shape plus the OAuth 2.0 error code.
    return JSONResponse(
        {"statusCode": status, "message": description, "error": error, "error_description": description},
        status_code=status,
    )


def _token_body(state: SandboxState, token: Token, refresh_token: str | None) -> dict:
    body = {
        "access_token": token.value,
        "token_type": "Bearer",
        "expires_in": state.config.access_token_ttl_s,
        "scope": " ".join(sorted(token.scopes)),
        "userType": token.user_type,
        "companyId": token.company_id,
        "userId": "sandbox-user",
        "isBulkInstallation": False,
    }
    if refresh_token:
        body["refresh_token"] = refresh_token
    if token.user_type == "Location":
        body["locationId"] = token.location_id
    else:
        body["approvedLocations"] = [state.location_id]
    return body


def routes(state: SandboxState) -> list[Route]:
    async def token_endpoint(request: Request) -> Response:
        state.stats["requests"] += 1
        state.stats["op:oauth_token"] += 1
        form = await request.form()
        if form.get("client_id") != state.app.client_id or form.get("client_secret") != state.app.client_secret:
            return _oauth_error(401, "invalid_client", "Invalid client credentials: check client_id and client_secret")
        grant_type = form.get("grant_type")
        if grant_type == "authorization_code":
            grant = state.codes.pop(str(form.get("code", "")), None)
            if grant is None:
                return _oauth_error(400, "invalid_grant", "Invalid grant: authorization code is invalid or used")
        elif grant_type == "refresh_token":
            grant = state.grants.pop(str(form.get("refresh_token", "")), None)
            if grant is None:
                state.stats["oauth:invalid_grant"] += 1
                return _oauth_error(400, "invalid_grant", "Invalid grant: refresh token is invalid or already used")
        else:
            return _oauth_error(400, "unsupported_grant_type", "grant_type must be authorization_code or refresh_token")
        user_type = form.get("user_type")
        if user_type and user_type != grant.user_type:
            return _oauth_error(400, "invalid_request", f"user_type {user_type} does not match the install")
        new_refresh = state.issue_grant(grant.user_type, grant.scopes, grant.location_id)
        token = state.issue_access_token(grant)
        state.stats["oauth:refreshed" if grant_type == "refresh_token" else "oauth:exchanged"] += 1
        return JSONResponse(_token_body(state, token, new_refresh))

    async def location_token_endpoint(request: Request) -> Response:
        state.stats["requests"] += 1
        state.stats["op:oauth_location_token"] += 1
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        agency = state.tokens.get(value.strip()) if scheme.lower() == "bearer" else None
        if agency is None or agency.expired(state.epoch()):
            return JSONResponse({"statusCode": 401, "message": "Invalid JWT", "error": "Unauthorized"}, 401)
        if not request.headers.get("version"):
            return JSONResponse({"statusCode": 400, "message": "Version header was not found"}, 400)
        if agency.user_type != "Company" or agency.kind != "access":
            return JSONResponse(
                {"statusCode": 401, "message": "This route needs an Agency OAuth access token", "error": "Unauthorized"},
                401,
            )
        form = await request.form()
        if form.get("companyId") != agency.company_id:
            return JSONResponse({"statusCode": 400, "message": "companyId does not match the token"}, 400)
        location_id = str(form.get("locationId", ""))
        if location_id != state.location_id:
            return JSONResponse({"statusCode": 400, "message": "Location is not installed for this app"}, 400)
        from airflow_provider_ghl.sandbox.state import Grant

        grant = Grant(state.app.client_id, "Location", location_id, agency.company_id, agency.scopes)
        token = state.issue_access_token(grant, location_id=location_id)
        state.stats["oauth:location_token"] += 1
        return JSONResponse(_token_body(state, token, None))

    return [
        Route("/oauth/token", token_endpoint, methods=["POST"]),
        Route("/oauth/locationToken", location_token_endpoint, methods=["POST"]),
    ]
