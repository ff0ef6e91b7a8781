"""HighLevel's error answers: ``{statusCode, message, error}`` (``message`` a string, or a list for 422)."""

from __future__ import annotations

import json
import uuid
from http import HTTPStatus
from typing import Any

from starlette.responses import Response


class ApiError(Exception):
    """Raised by handlers; the dispatcher answers it in HighLevel's error shape."""

    def __init__(self, status: int, message: str | list[str], error: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.error = error if error is not None else HTTPStatus(status).phrase

    def body(self, trace_id: str) -> dict:
        body: dict = {"statusCode": self.status, "message": self.message}
        if self.status != 400 or self.error != "Bad Request":
            body["error"] = self.error
        body["traceId"] = trace_id
        return body


def not_found(what: str) -> ApiError:
    return ApiError(404, f"{what} not found", "Not Found")


def no_route(method: str, path: str, status: int = 404) -> ApiError:
    """Express's answer (in HighLevel's shape) when no route takes the method and path."""
    return ApiError(status, f"Cannot {method} {path}", "Not Found" if status == 404 else "Method Not Allowed")


def bad_request(message: str) -> ApiError:
    return ApiError(400, message, "Bad Request")


def unprocessable(*messages: str) -> ApiError:
    return ApiError(422, list(messages), "Unprocessable Entity")


def unauthorized(message: str = "Invalid token: access token is invalid") -> ApiError:
    return ApiError(401, message, "Unauthorized")


def forbidden(message: str) -> ApiError:
    return ApiError(403, message, "Forbidden")


def internal_error() -> ApiError:
    """What an unexpected failure answers: HighLevel's shape, and nothing of the traceback."""
    return ApiError(500, "Internal server error", "Internal Server Error")


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(
        json.dumps(body, separators=(",", ":"), ensure_ascii=False),
        status_code=status, headers=headers, media_type="application/json",
    )


def error_response(error: ApiError, headers: dict[str, str] | None = None) -> Response:
    """``error`` in HighLevel's shape, with the ``traceId`` HighLevel sends along every answer."""
    trace = str(uuid.uuid4())
    return json_response(error.status, error.body(trace), {"traceId": trace, **(headers or {})})
