"""What each operation answers, and the check that a success response is that answer (no I/O).

Only a real answer is data. A redirect, an HTML page with status 200 (a proxy's or a maintenance
page), cut or malformed JSON, JSON of the wrong shape, a collection page without its records, or a
wrong content type raises :class:`~airflow_provider_ghl.exceptions.GHLResponseError` instead of being
returned, paged through as "no records", exported as an empty file or taken by a sensor as its record.

What an operation answers is catalog data (``Operation.answer``, from HighLevel's official OpenAPI files):
a JSON object, a JSON list, or a file.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import httpx
import msgspec

from airflow_provider_ghl.catalog import Operation
from airflow_provider_ghl.exceptions import GHLResponseError, redact
from airflow_provider_ghl.hooks.paging import at_path

EXCERPT_CHARS = 160
_SCAN_BYTES = 4096  # redact over more than is shown, so no secret is cut in half at the excerpt's end


def excerpt(response: httpx.Response) -> str:
    """The start of a body as one short line, secrets redacted (for error texts)."""
    text = response.content[:_SCAN_BYTES].decode("utf-8", errors="replace")
    text = redact(" ".join("".join(c if c.isprintable() else " " for c in text).split()))
    return text if len(text) <= EXCERPT_CHARS else text[: EXCERPT_CHARS - 1] + "…"


def _media(response: httpx.Response) -> str:
    return response.headers.get("content-type", "").split(";", 1)[0].strip().lower()


def _is_json(media: str) -> bool:
    return media == "application/json" or media.endswith("+json")


def _kind(value: Any) -> str:
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    return "null" if value is None else f"a {type(value).__name__}"


def not_data(op: Operation, response: httpx.Response, problem: str) -> GHLResponseError:
    content_type = response.headers.get("content-type")
    sample = excerpt(response)
    shown = f": {sample!r}" if sample else ""
    return GHLResponseError(f"{problem}{shown}", status=response.status_code, operation=op.key,
                            content_type=content_type, excerpt=sample,
                            trace_id=response.headers.get("traceId"))


def read_answer(op: Operation, response: httpx.Response) -> Any:
    """The data of a success (< 400) response: decoded JSON, or text/bytes for a download."""
    status = response.status_code
    if status >= 300:
        target = urlsplit(response.headers.get("location", ""))
        # Only where it points (scheme and host): the rest of a Location may carry tokens.
        where = f" to {target.scheme}://{target.netloc}" if target.netloc else ""
        raise not_data(op, response, f"HighLevel answered a redirect{where}; redirects are never followed, "
                                     "so the token is not sent anywhere else")
    answer, media, content = op.answer, _media(response), response.content
    if status == 204 or not content:
        # Only a write that returns nothing may answer nothing (a delete, a status change).
        if op.method != "GET" and not op.is_collection and (status == 204 or op.method == "DELETE"):
            return None
        raise not_data(op, response, f"the answer is empty, but {op.key} answers {_expected(op)}")
    if answer == "download" or (op.method == "DELETE" and media == "text/plain"):
        if media == "text/html":
            raise not_data(op, response, f"the answer is an HTML page, not the file {op.key} answers")
        if _is_json(media):
            return _json(op, response)
        return response.text if media.startswith("text/") else content
    if not _is_json(media):
        said = f"is {media}" if media else "has no content type"
        raise not_data(op, response, f"the answer {said}, not the JSON {op.key} answers")
    data = _json(op, response)
    if answer == "list" and not isinstance(data, list):
        raise not_data(op, response, f"the answer is {_kind(data)}, but {op.key} answers a list")
    if answer == "object" and not isinstance(data, dict):
        raise not_data(op, response, f"the answer is {_kind(data)}, but {op.key} answers an object")
    if op.records_key:
        parent, _, name = op.records_key.rpartition(".")  # a dotted records_key: the list is nested
        holder = at_path(data, parent)
        if not isinstance(holder, dict) or name not in holder:
            raise not_data(op, response, f"the answer has no {op.records_key!r}, where {op.key} keeps its records")
    return data


def _expected(op: Operation) -> str:
    answer = op.answer
    return {"object": "a JSON object", "list": "a JSON list", "download": "a file"}[answer]


def _json(op: Operation, response: httpx.Response) -> Any:
    # msgspec (an Airflow dependency) parses a page of records ~3x faster than the json module.
    try:
        return msgspec.json.decode(response.content)
    except msgspec.DecodeError:
        raise not_data(op, response, "the answer is not valid JSON (cut or malformed)") from None
