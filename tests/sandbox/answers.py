"""How the sandbox tests judge an answer: the expected status, then the official schema or HighLevel's error shape."""

from __future__ import annotations

from typing import Any

import httpx

from airflow_provider_ghl.catalog import Operation
from tests.openapi import validate_response


def assert_error_shape(body: dict, status: int, *fragments: str) -> None:
    """``{statusCode, message, error}``: ``message`` lists a 422's problems (each fragment names one of them);
    HighLevel's plain 400 carries no ``error``."""
    assert body["statusCode"] == status and body["message"], body
    assert "error" not in body if status == 400 else body["error"], body
    assert isinstance(body["message"], list if status == 422 else str), body
    messages = body["message"] if status == 422 else [body["message"]]
    for fragment in fragments:
        assert any(fragment in message for message in messages), (fragment, messages)


def checked(op: Operation, response: httpx.Response, expect: int | None, covered: set[str]) -> Any:
    """The JSON of an answer with the expected status; success answers match the official schema (and count as
    covering the operation), errors HighLevel's shape."""
    expected = op.success_status if expect is None else expect
    assert response.status_code == expected, f"{op.key}: {response.status_code} {response.text}"
    body = response.json()
    if response.is_success:
        validate_response(op, body, expected)
        covered.add(op.key)
    else:
        assert_error_shape(body, expected)
    return body
