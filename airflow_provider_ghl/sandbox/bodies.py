"""Request bodies as HighLevel's gateway takes them: a size cap, JSON the way JavaScript reads it, field types.

HighLevel's API is Node: ``JSON.parse`` then class-validator. So ``NaN``/``Infinity`` are not JSON (400),
while ``1e400`` and a 400-digit integer *are* JSON (they read as ``Infinity``) and fail the field's
number check (422 naming the field). Python's ``json`` differs on each point (and raises
``RecursionError`` on deep nesting), so every JSON body (catalog, control, OAuth) goes through here.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping
from typing import Any

from starlette.types import Message, Receive, Scope

from airflow_provider_ghl.sandbox.errors import ApiError, bad_request, unprocessable

DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024
"""HighLevel publishes no cap for JSON bodies (only for multipart file uploads, which the sandbox does not
take). 4 MiB is far above any body of the catalog (a blog post's HTML, a bulk update of 100 records) and
keeps one request from costing the sandbox more than a few MiB of memory."""

MAX_JSON_DEPTH = 64
"""HighLevel's bodies nest a few levels (search filter groups); 64 is generous, and far below the depth
at which Python's parser, the handlers or the response encoder would run out of stack."""

NUMBER_MESSAGE = "{} must be a number conforming to the specified constraints"
"""class-validator's words for a number it refuses (``@IsNumber``/``@IsInt``), which HighLevel returns."""

LONG_INT_CHARS = 300
"""Integers longer than this may be beyond a double's range, where JavaScript reads them as Infinity."""


class BodyTooLarge(ApiError):
    def __init__(self, limit: int) -> None:
        super().__init__(413, f"Request body is larger than {limit} bytes", "Payload Too Large")


def declared_length(scope: Scope) -> tuple[int | None, bool]:
    """``Content-Length`` (None when absent) and whether the body comes chunked (its length unknown)."""
    length, chunked = None, False
    for name, value in scope["headers"]:
        if name == b"content-length":
            length = int(value) if value.isdigit() else None
        elif name == b"transfer-encoding":
            chunked = True
    return length, chunked


def capped(receive: Receive, limit: int) -> Receive:
    """``receive`` that counts the body as it streams in and raises ``BodyTooLarge`` past ``limit``.

    The HTTP server checks a declared ``Content-Length``; a chunked body has none, so it is counted. After
    the 413 the server discards the rest of the body unread, so the connection stays usable.
    """
    seen = 0

    async def counted() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise BodyTooLarge(limit)
        return message

    return counted


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def parse_json(raw: bytes) -> Any:
    """The JSON body (None when empty); 400 for what is not JSON or nests too deep, 422 for overflowing numbers."""
    if not raw:
        return None
    overflowed = False

    def as_float(text: str) -> float:
        nonlocal overflowed
        value = float(text)
        overflowed = overflowed or math.isinf(value)
        return value

    def as_int(text: str) -> int | float:
        nonlocal overflowed
        if len(text) > LONG_INT_CHARS:
            value = float(text)  # float() reads any length; int() stops at 4,300 digits
            if math.isinf(value):
                overflowed = True
                return value
        return int(text)

    try:
        body = json.loads(raw, parse_float=as_float, parse_int=as_int, parse_constant=_reject_constant)
    except RecursionError:
        raise _too_deep() from None
    except ValueError:
        raise bad_request("Body is not valid JSON") from None
    # Nesting needs one bracket per level: a body with few brackets is shallow without a walk.
    if raw.count(b"[") + raw.count(b"{") > MAX_JSON_DEPTH and _depth(body) > MAX_JSON_DEPTH:
        raise _too_deep()
    if overflowed:
        raise unprocessable(*(NUMBER_MESSAGE.format(where) for where in _infinite(body, "")))
    return body


def _too_deep() -> ApiError:
    return bad_request(f"Body is not valid JSON: it nests deeper than {MAX_JSON_DEPTH} levels")


def _depth(value: Any) -> int:
    """How deep ``value`` nests, counted without recursion; stops counting past the limit."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict | list):
            if level > MAX_JSON_DEPTH:
                return level
            deepest = max(deepest, level)
            stack.extend((child, level + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


def _infinite(value: Any, where: str) -> list[str]:
    """The dotted paths (``pageLimit``, ``filters.0.value``) of infinite numbers in a checked-shallow body."""
    if isinstance(value, float) and math.isinf(value):
        return [where or "body"]
    children = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    return [path for key, child in children for path in _infinite(child, f"{where}.{key}" if where else str(key))]


# -- field types -----------------------------------------------------------------------------------------
JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,), "boolean": (bool,), "array": (list,), "object": (dict,), "number": (int, float), "integer": (int,),
}
"""The catalog's property types; any other (``any``) takes every value."""

TYPE_MESSAGES = {
    "string": "{} must be a string", "boolean": "{} must be a boolean value", "array": "{} must be an array",
    "object": "{} must be an object", "number": NUMBER_MESSAGE, "integer": "{} must be an integer number",
}
"""class-validator's words for a value of the wrong type (``@IsString``, ``@IsBoolean``, ...)."""

EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
"""An email address as the sandbox checks it (``must be an email``): something@domain.tld, no spaces."""

ValueCheck = Callable[[str, str, Any], list[str]]
"""The problems with a value of the right type: called with the property's name, its dotted place and the value."""


def is_json_type(value: Any, kind: str) -> bool:
    expected = JSON_TYPES.get(kind)
    # JSON's true/false arrive as Python bools, which are ints too: only a boolean property takes them.
    return expected is None or (isinstance(value, expected) and (kind == "boolean" or not isinstance(value, bool)))


def field_problems(
    data: Mapping[str, Any], types: Mapping[str, str], *, prefix: str = "", unknown_forbidden: bool = False,
    null_allowed: bool = True, check: ValueCheck | None = None,
) -> list[str]:
    """What is wrong with a body's fields by ``types`` (name -> catalog type), one message per problem.

    ``unknown_forbidden``: a name not in ``types`` is a problem (HighLevel's ``forbidNonWhitelisted``), so
    every key of the body is walked, in the body's order; otherwise the typed names present are, in
    ``types`` order. ``null_allowed``: ``null`` is an unset field, else a value of the wrong type.
    ``check`` looks further at values of the right type (formats, enums, ids).
    """
    problems: list[str] = []
    names = data if unknown_forbidden else [name for name in types if name in data]
    for name in names:
        kind, value, where = types.get(name), data[name], prefix + name
        if kind is None:
            if unknown_forbidden:
                problems.append(f"property {where} should not exist")
        elif value is None:
            if not null_allowed and kind in TYPE_MESSAGES:
                problems.append(TYPE_MESSAGES[kind].format(where))
        elif not is_json_type(value, kind):
            problems.append(TYPE_MESSAGES[kind].format(where))
        elif check is not None:
            problems += check(name, where, value)
    return problems
