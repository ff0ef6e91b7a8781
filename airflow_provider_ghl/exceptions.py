"""Typed errors raised by the HighLevel hook; operators and sensors catch these by class.

Every error carries what HighLevel said (``status``, ``message`` as a string or the list a 422
sends, ``trace_id`` to quote to HighLevel support) and the operation key, and its text says what
to do. No error text ever contains a token or a client secret: every secret the hook handles is
registered here (:func:`register_secret`) and every error redacts them from all it carries, since
servers and proxies echo requests back (an OAuth ``error_description`` quoting the form, an HTML
page quoting the ``Authorization`` header).
"""

from __future__ import annotations

import threading
from typing import Any
from urllib.parse import quote, quote_plus

from airflow.sdk.exceptions import AirflowException

REDACTED = "***"
MIN_SECRET_LENGTH = 5  # shorter values would blank out ordinary words
MAX_SECRETS = 1024  # rotated tokens keep arriving in a long-lived triggerer: keep the newest
_secrets: dict[str, None] = {}  # an insertion-ordered set, longest first when redacting
_secrets_lock = threading.Lock()


def register_secret(*values: str | None) -> None:
    """Remember secret values (and their URL-encoded forms, as a form echo shows them) to redact."""
    with _secrets_lock:
        for value in values:
            if not isinstance(value, str) or len(value) < MIN_SECRET_LENGTH:
                continue
            for form in {value, quote(value, safe=""), quote_plus(value)}:
                _secrets.pop(form, None)
                _secrets[form] = None
        while len(_secrets) > MAX_SECRETS:
            del _secrets[next(iter(_secrets))]


def redact(value: Any) -> Any:
    """``value`` (a string, or the strings inside lists and dicts) with every registered secret replaced."""
    if isinstance(value, str):
        with _secrets_lock:
            secrets = sorted(_secrets, key=len, reverse=True)
        for secret in secrets:
            if secret in value:
                value = value.replace(secret, REDACTED)
        return value
    if isinstance(value, list | tuple):
        return type(value)(redact(item) for item in value)
    if isinstance(value, dict):
        return {key: redact(item) for key, item in value.items()}
    return value


class GHLError(AirflowException):
    """Base class of every HighLevel error."""

    hint = ""

    def __init__(
        self, message: str | list[str], *, status: int | None = None, trace_id: str | None = None,
        operation: str | None = None, hint: str | None = None, body: Any = None,
    ) -> None:
        self.message = redact(message)
        self.status = status
        self.trace_id = trace_id
        self.operation = operation
        self.body = redact(body)
        if hint is not None:
            self.hint = redact(hint)
        super().__init__(self._text())

    def _text(self) -> str:
        said = "; ".join(self.message) if isinstance(self.message, list) else str(self.message)
        where = f"HighLevel {self.operation}" if self.operation else "HighLevel"
        status = f" (HTTP {self.status})" if self.status else ""
        trace = f" [traceId {self.trace_id}]" if self.trace_id else ""
        hint = f" {self.hint}" if self.hint else ""
        stop = "" if said.endswith((".", "!", "?")) else "."
        return f"{where}{status}: {said}{stop}{hint}{trace}"

    def __str__(self) -> str:
        return self._text()


class GHLInputError(GHLError, ValueError):
    """Bad arguments or connection settings, found before any request was sent."""


class GHLUnknownOperationError(GHLInputError, KeyError):
    """An operation key the catalog does not know (the message names the closest keys); a ``KeyError`` like the
    catalog's own ``UnknownOperationError``, which this module must not import (the catalog imports it)."""

    def __str__(self) -> str:
        return self._text()


class GHLTokenStoreError(GHLError):
    """The rotated OAuth refresh token cannot be persisted where this code runs."""


class GHLAuthError(GHLError):
    """401/403, or an OAuth refresh that failed (invalid client, refresh token revoked or consumed)."""

    hint = "Check the connection's token, or re-authorize the app to get a new refresh token."


class GHLScopeError(GHLAuthError):
    """The token lacks a scope the operation needs (checked locally when the connection lists scopes)."""

    def __init__(self, message: str | list[str], *, missing: tuple[str, ...] = (), **kwargs: Any) -> None:
        self.missing = missing
        kwargs.setdefault(
            "hint", "Grant the scope to the Private Integration / app (and add it to the connection's 'scopes')."
        )
        super().__init__(message, **kwargs)


class GHLNotFoundError(GHLError):
    """404: the record (or the route) does not exist for this location."""

    hint = "Check the id and that it belongs to the connection's location."


class GHLValidationError(GHLError):
    """400/422: HighLevel rejected the request's parameters or body."""

    hint = "Fix the listed fields (see the operation's body/query in airflow_provider_ghl.catalog)."


class GHLRateLimitError(GHLError):
    """429 that persisted through the hook's waits (the burst budget is shared with other clients)."""

    hint = ("Other clients share this location's budget; run fewer GHL tasks at once: an Airflow pool per location "
            "(docs/rate-limits.md).")

    def __init__(self, message: str | list[str], *, retry_after_s: float | None = None, **kwargs: Any) -> None:
        self.retry_after_s = retry_after_s
        super().__init__(message, **kwargs)


class GHLDailyLimitError(GHLRateLimitError):
    """The location's daily request budget is spent: wait (or defer) until it resets."""

    hint = "The daily budget (X-RateLimit-Limit-Daily) resets within 24 hours; sensors and operators defer on this."


class GHLServerError(GHLError):
    """5xx that persisted through the retries."""

    hint = "HighLevel is failing; retry later and quote the traceId to HighLevel support if it persists."


class GHLNetworkError(GHLError):
    """The request could not be completed over the network (after retries)."""

    hint = "Check the base URL and network access to it."


class GHLResponseError(GHLError):
    """HighLevel's answer is not what the operation answers: a redirect, an HTML page, cut or misshapen
    JSON, a wrong content type, or a body over the size cap. It is never returned as data."""

    hint = ("Something between this worker and HighLevel (a proxy, a maintenance page, a wrong base URL) "
            "answered instead of the API; check the connection's host and HighLevel's status page.")

    def __init__(self, message: str | list[str], *, content_type: str | None = None, excerpt: str = "",
                 **kwargs: Any) -> None:
        self.content_type = content_type
        self.excerpt = redact(excerpt)
        super().__init__(message, **kwargs)


class GHLAmbiguousWriteError(GHLError):
    """A non-idempotent write failed in a way that leaves unknown whether HighLevel applied it.

    The hook never re-sends such a request blindly (it could create a duplicate): check whether the
    record exists before running the task again.
    """


class GHLPaginationError(GHLError):
    """Paging stopped making progress: pages bring no new records, a cursor came back, or HighLevel sent
    more than its own total allows. Raised instead of reading (and re-emitting) pages forever."""

    hint = ("The records emitted before this error are real but the listing is incomplete. Run the task again "
            "later; if it persists, narrow the query (filters, a smaller window) and quote the operation and "
            "page count to HighLevel support.")

    def __init__(self, message: str | list[str], *, pages: int = 0, **kwargs: Any) -> None:
        self.pages = pages
        super().__init__(message, **kwargs)
