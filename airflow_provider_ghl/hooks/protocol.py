"""Everything the hook decides, written once for the sync and async hooks (sans-I/O generators).

A *flow* is a generator that yields the I/O steps of :mod:`.actions` and gets their results sent back;
the hooks in :mod:`.ghl` (and the scripted driver of the tests) perform them. The retry settings come
from one :class:`~.policy.RequestPolicy`.

* :meth:`RequestFlows.prepare` validates a call against the catalog and builds the request, before
  any I/O: operation key, path arguments, argument types, scopes, location/company placement.
* :meth:`RequestFlows.exchange` sends one request through pacing, token refresh, retries and error
  mapping. Retry policy:

  - refused before any work (connection not established, 429): always retried. A 429 waits out
    the window (``X-RateLimit-Interval-Milliseconds``); a spent daily budget raises
    :class:`~airflow_provider_ghl.exceptions.GHLDailyLimitError` at once;
  - ambiguous (timeout after the request went out, connection cut mid-response, 5xx, an answer that is
    not data: a redirect, an HTML page, cut or misshapen JSON, see :mod:`.answers`): retried with
    capped exponential backoff and jitter when the operation is idempotent (catalog
    ``idempotent``: every GET/PUT/DELETE, searches, upserts). A non-idempotent create is never
    re-sent blindly: ``create_contact`` is reconciled with a duplicate search by email/phone and
    answers the existing contact in the create response shape, or is re-sent when the search shows
    it was not created; other creates raise
    :class:`~airflow_provider_ghl.exceptions.GHLAmbiguousWriteError` saying what to check;
  - a 401 on an OAuth/agency connection refreshes the token once and re-sends;
  - any other 4xx raises its typed error at once, and so does an answer over the size cap.

  Every exchange has a budget (:class:`~.actions.Budget`): the connection's timeout for all of it,
  connect to last byte, and a cap on the body's size.

* :meth:`RequestFlows.paginate` walks every page (see :mod:`.paging`) and logs progress.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass, replace
from typing import Any

import httpx

from airflow_provider_ghl.body_keys import check_nested_keys
from airflow_provider_ghl.catalog import (
    Operation,
    Placement,
    UnknownOperationError,
    api_choice,
    get_operation,
    json_value,
    operations,
    path_segment,
    query_values,
)
from airflow_provider_ghl.exceptions import (
    GHLAmbiguousWriteError,
    GHLAuthError,
    GHLDailyLimitError,
    GHLError,
    GHLInputError,
    GHLNetworkError,
    GHLNotFoundError,
    GHLRateLimitError,
    GHLResponseError,
    GHLScopeError,
    GHLServerError,
    GHLUnknownOperationError,
    GHLValidationError,
)
from airflow_provider_ghl.hooks.actions import DeadlineExceeded, Emit, Send, Sleep, TooLarge
from airflow_provider_ghl.hooks.answers import read_answer
from airflow_provider_ghl.hooks.auth import Settings, TokenManager
from airflow_provider_ghl.hooks.pacing import RatePacer
from airflow_provider_ghl.hooks.paging import Pager, given_page_size
from airflow_provider_ghl.hooks.policy import RequestPolicy

# Failures where the request certainly did not reach HighLevel.
NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)


@dataclass(frozen=True)
class Prepared:
    """A validated request, not yet authenticated or sent."""

    op: Operation
    url: str
    query: dict[str, Any]
    body: Any
    headers: dict[str, str]
    location_id: str | None
    rate_key: str
    token_slot: str
    timeout: httpx.Timeout
    api_version: str | None = None
    """The ``api_version`` the call asked for (``None``: the connection's), for follow-up requests."""

    @property
    def method(self) -> str:
        return self.op.method

    def build(self, token: str) -> httpx.Request:
        params = {k: v for k, v in self.query.items() if v is not None}
        request = httpx.Request(
            self.op.method, self.url, params=params, json=self.body,
            headers={**self.headers, "Authorization": f"Bearer {token}"},
        )
        request.extensions["timeout"] = self.timeout.as_dict()
        return request


def _message(response: httpx.Response) -> tuple[Any, str | None, Any]:
    try:
        body = response.json()
    except ValueError:
        body = None
    message = body.get("message") if isinstance(body, dict) else None
    trace = (body.get("traceId") if isinstance(body, dict) else None) or response.headers.get("traceId")
    return message or response.reason_phrase or f"HTTP {response.status_code}", trace, body


def error_for(op: Operation, response: httpx.Response) -> GHLError:
    """The typed error for a failed HighLevel response."""
    status = response.status_code
    message, trace, body = _message(response)
    context = {"status": status, "trace_id": trace, "operation": op.key, "body": body}
    text = " ".join(message) if isinstance(message, list) else str(message)
    if status == 401 and "scope" in text.lower():
        return GHLScopeError(message, missing=tuple(op.scopes), **context)
    if status in (401, 403):
        hint = "The token has no access to this location." if status == 403 else None
        return GHLAuthError(message, hint=hint, **context)
    if status == 404:
        return GHLNotFoundError(message, **context)
    if status in (400, 422):
        return GHLValidationError(message, **context)
    if status == 429:
        daily = response.headers.get("X-RateLimit-Daily-Remaining") == "0" or "daily" in text.lower()
        interval = response.headers.get("X-RateLimit-Interval-Milliseconds")
        retry_after = None if daily else (int(interval) / 1000 if interval and interval.isdigit() else None)
        cls = GHLDailyLimitError if daily else GHLRateLimitError
        return cls(message, retry_after_s=retry_after, **context)
    if status >= 500:
        return GHLServerError(message, **context)
    return GHLError(message, **context)


def failed_exchange(op: Operation, error: Exception | None) -> tuple[GHLError, bool]:
    """The error for an exchange that got no complete response, and whether it is ambiguous (sent)."""
    if isinstance(error, TooLarge):
        return GHLResponseError(
            f"{error}; reading stopped there", status=error.status, operation=op.key,
            content_type=error.content_type,
            hint="No HighLevel answer is that big: check the connection's host. If it is right, ask for "
                 "smaller pages, or raise the hook's max_response_bytes.",
        ), False
    if isinstance(error, httpx.DecodingError):
        # A corrupt gzip/deflate body: answered, but not data. Ambiguous like a cut body.
        return GHLResponseError(f"the answer could not be decoded ({error})", operation=op.key), True
    if isinstance(error, DeadlineExceeded):
        return GHLNetworkError(
            f"{error} (the connection's timeout bounds the whole request: connecting, sending, reading)",
            operation=op.key,
            hint="HighLevel, or something in between, answered too slowly; raise the connection's timeout "
                 "if its answers are legitimately that slow.",
        ), True
    sent = not isinstance(error, NOT_SENT)
    return GHLNetworkError(
        f"{type(error).__name__} {'after the request was sent' if sent else 'before sending'}", operation=op.key,
    ), sent


class Progress:
    """Logs a long pagination at a readable rate: records, total, requests, budget left."""

    def __init__(self, flows: RequestFlows, prepared: Prepared, every_s: float) -> None:
        self.flows, self.prepared, self.every_s = flows, prepared, every_s
        self.started = self.last = flows.clock()
        self.requests_at_start = flows.requests

    def _line(self, records: int, total: int | None) -> str:
        of_total = f" of {total:,}" if total is not None else ""
        requests = self.flows.requests - self.requests_at_start
        budget = self.flows.pacer.describe(self.prepared.rate_key)
        elapsed = self.flows.clock() - self.started
        return f"{self.prepared.op.key}: {records:,}{of_total} records, {requests:,} requests, {elapsed:.1f}s, {budget}"

    def tick(self, records: int, total: int | None) -> None:
        now = self.flows.clock()
        if now - self.last >= self.every_s:
            self.last = now
            self.flows.log.info("GHL progress %s", self._line(records, total))

    def done(self, records: int, total: int | None) -> None:
        if self.flows.clock() - self.started >= self.every_s or self.flows.log.isEnabledFor(logging.DEBUG):
            self.flows.log.info("GHL done %s", self._line(records, total))


class RequestFlows:
    """One connection's request flows (prepare, exchange, paginate); owns the pacer and the token manager.

    ``clock`` is monotonic: it times pacing and progress, and stands in for an exchange's end time when
    the driver gives none.
    """

    def __init__(self, settings: Settings, tokens: TokenManager, policy: RequestPolicy, *, log: logging.Logger,
                 clock: Callable[[], float] = time.monotonic, rng: random.Random | None = None) -> None:
        self.settings = settings
        self.tokens = tokens
        self.policy = policy
        self.log = log
        self.clock = clock
        self.rng = rng or random.Random()
        self.pacer = RatePacer(self.rng)
        self.requests = 0

    # -- building -------------------------------------------------------------------------------
    def prepare(self, key: str, *, query: Mapping[str, Any] | None = None, body: Any = None,
                location_id: str | None = None, arguments: Mapping[str, Any] | None = None,
                api_version: str | None = None, paging: bool = False) -> Prepared:
        """Validate a call and build its request without sending anything.

        ``api_version`` (else the connection's) picks the spec whose form of the operation is sent
        (:func:`~airflow_provider_ghl.catalog.api_choice`); names are the v2 form's in every version. ``paging``:
        the request is the first page of :meth:`paginate`, whose style sends the paging parameters itself (a spec
        that requires ``limit``/``offset`` or a time window does not require them of the caller), and a page size the
        caller puts in ``query``/``body`` is refused outside the range the spec allows (``hooks/page_sizes.py``)."""
        if not isinstance(key, str):
            raise GHLInputError(f"the operation key must be a string, got {type(key).__name__}")
        spec, header = api_choice(api_version if api_version is not None else self.settings.api_version)
        try:
            op = get_operation(key, spec)
        except UnknownOperationError as error:
            raise GHLUnknownOperationError(str(error)) from None
        settings = self.settings
        if query is not None and not isinstance(query, Mapping):
            raise GHLInputError(f"query must be a dict, got {type(query).__name__}", operation=key)
        body_kind = op.body.type if op.body else "object"
        if body is not None and not isinstance(body, list if body_kind == "array" else Mapping):
            raise GHLInputError(f"body must be {'a list' if body_kind == 'array' else 'a dict'}, "
                                f"got {type(body).__name__}", operation=key)
        if location_id is not None:  # an id like any other, and it may fill a path segment
            location_id = path_segment(location_id, "location_id", operation=key)
        if settings.scopes is not None:
            missing = tuple(scope for scope in op.scopes if scope not in settings.scopes)
            if missing:
                raise GHLScopeError(
                    f"the connection's token lacks scope {', '.join(missing)} (it has: "
                    f"{' '.join(sorted(settings.scopes)) or 'none'})", missing=missing, operation=key,
                )
        location = location_id or settings.location_id
        # Converted once here (dates to ISO 8601...), so operators and direct hook users send the same JSON.
        query = query_values(query or {}, operation=key)
        body = json_value(body, "body", operation=key)
        # Callers name parameters as v2 does; a form that respells them (v3's locationId) gets its own spelling.
        for names, values in ((op.query_renames, query), (op.body_renames, body if isinstance(body, dict) else {})):
            for old, new in names.items():
                if old in values and new not in values:
                    values[new] = values.pop(old)
        check_nested_keys(op, body)  # a nested key that misses the form's declared name (dndSettings.SMS in v3)
        arguments = dict(arguments or {})
        unknown = set(arguments) - set(op.path_arguments)
        if unknown:
            expected = ", ".join(op.path_arguments) or "none"
            raise GHLInputError(f"unknown argument(s) {', '.join(sorted(unknown))}; {key} takes path "
                                f"arguments: {expected} (plus query=, body=, location_id=)", operation=key)
        for placement, default in ((op.location, location), (op.company, settings.company_id)):
            if placement is None:
                continue
            if placement.where == "path":
                argument = next(p.argument for p in op.path_params if p.name == placement.name)
                if default:
                    arguments.setdefault(argument, default)
            elif placement.where == "query":
                self._fill(placement, query, default)
            elif op.method in ("POST", "PUT", "PATCH") and body_kind == "object":
                body = {} if body is None else body
                self._fill(placement, body, default)
        for param in op.path_params:  # their values are checked as they fill the path (render_path)
            if arguments.get(param.argument) is None:
                raise GHLInputError(f"missing path argument {param.argument}= (HighLevel's {{{param.name}}})",
                                    operation=key, hint=f"Pass {param.argument}=... (the record's id).")
        if key not in operations() or op.api != "v2":
            self._check_spec_form(op, query, body, op.paging_parameters if paging else frozenset())
        if paging and op.is_collection:  # the caller's own page size (query.limit...) is sent: within the spec's range
            given_page_size(op, query, body if isinstance(body, dict) else None)
        if op.location is not None:
            location = self._placed(op.location, query, body, arguments, op) or location
        uses_company = "agency" in op.token_types and (op.token_types[0] == "agency" or not location)
        return Prepared(
            op=op, url=settings.base_url + op.render_path(arguments), query=query, body=body,
            headers={"Version": header or op.version, "Accept": "application/json"},
            location_id=location, rate_key=location or settings.company_id or "-",
            token_slot=self.tokens.slot_for(uses_company, location), timeout=self.policy.budget.timeout,
            api_version=api_version,
        )

    @staticmethod
    def _fill(placement: Placement, values: dict, default: str | None) -> None:
        """The connection's (or ``location_id=``'s) id where the call gives none, and ``altType`` beside ``altId``."""
        if default:
            values.setdefault(placement.name, default)
        if placement.type_param is not None and values.get(placement.name) is not None:
            values.setdefault(placement.type_param, placement.type_value)

    @staticmethod
    def _check_spec_form(op: Operation, query: dict, body: Any, paged: frozenset[str]) -> None:
        """The spec's required query parameters and body fields (less ``paged``, the paging style's), for forms no
        operator class checks (every operation outside the seed, and v3 forms); the seed's v2 forms are checked by
        their operators, as before."""
        if op.content_type != "application/json":  # sent as JSON it would be refused, or worse, misread
            raise GHLInputError(f"{op.key} takes a {op.content_type} body, which call() does not send yet",
                                operation=op.key, hint="OAuth tokens are the connection's business (auth_type=); "
                                "upload files with httpx directly for now.")
        missing = [q.name for q in op.query_params if q.required and query.get(q.name) is None and q.name not in paged]
        if missing:
            raise GHLInputError(f"missing required query parameter(s) {', '.join(missing)}", operation=op.key,
                                hint=f"Pass query={{{', '.join(repr(m) + ': ...' for m in missing)}}} "
                                     f"(HighLevel's {op.api} spec requires them).")
        if op.body is not None and op.body.type == "object" and isinstance(body, dict):
            absent = [name for name in op.required_body_fields if body.get(name) in (None, "") and name not in paged]
            if absent:
                raise GHLInputError(f"body is missing required field(s) {', '.join(absent)}", operation=op.key,
                                    hint=f"Add them to body= (HighLevel's {op.api} request schema requires them).")

    @staticmethod
    def _placed(placement, query: dict, body: Any, arguments: dict, op: Operation) -> str | None:
        if placement.where == "query":
            return query.get(placement.name)
        if placement.where == "body":
            return body.get(placement.name) if isinstance(body, dict) else None
        return arguments.get(next(p.argument for p in op.path_params if p.name == placement.name))

    # -- sending ------------------------------------------------------------------------------
    def exchange(self, prepared: Prepared) -> Generator[Any, Any, Any]:
        """Send ``prepared`` until it succeeds or fails for good; returns the decoded body."""
        op, key = prepared.op, prepared.rate_key
        policy = self.policy
        attempt = rate_waits = 0
        reauthenticated = False
        while True:
            token = yield from self.tokens.token(prepared.token_slot)
            wait = self.pacer.delay(key, self.clock())
            if wait > 0:
                yield Sleep(wait)
            self.pacer.started(key, self.clock())
            self.requests += 1
            outcome = yield Send(prepared.build(token), policy.budget)
            response = outcome.response
            now = outcome.finished_at or self.clock()
            if response is None:
                failure, ambiguous = failed_exchange(op, outcome.error)
                self.pacer.finished(key, None, now, counted=not isinstance(outcome.error, NOT_SENT))
                if isinstance(outcome.error, TooLarge):
                    raise failure
            else:
                status = response.status_code
                self.pacer.finished(key, response.headers, now, counted=status != 429)
                if status < 400:
                    try:
                        return read_answer(op, response)
                    except GHLResponseError as error:
                        # Not data, but the request was answered: whether a write was applied is unknown.
                        failure, ambiguous = error, True
                else:
                    failure = error_for(op, response)
                    # 501/505 are permanent; other 5xx (500, 502, 503, 504...) are transient and ambiguous.
                    ambiguous = status >= 500 and status not in (501, 505)
                    if status == 429:
                        if isinstance(failure, GHLDailyLimitError) or rate_waits >= policy.max_rate_limit_waits:
                            raise failure
                        rate_waits += 1
                        pause = self.pacer.wait_after_429(key, response.headers, now)
                        self.log.info("GHL %s: 429 rate limited, waiting %.1fs (%s)", op.key, pause,
                                      self.pacer.describe(key))
                        yield Sleep(pause)
                        continue
                    if (status == 401 and self.settings.auth_type != "private_integration"
                            and not reauthenticated and not isinstance(failure, GHLScopeError)):
                        self.tokens.reject(token)
                        reauthenticated = True
                        continue
                    if not ambiguous:
                        raise failure
            if ambiguous and not op.idempotent:
                settled = yield from self._settle_ambiguous_write(prepared, failure)
                if settled is not None:
                    return settled
            if attempt >= policy.max_retries:
                raise failure
            pause = min(policy.backoff_cap, policy.backoff_base * 2**attempt) * self.rng.uniform(0.5, 1.0)
            self.log.warning("GHL %s: %s; retry %d/%d in %.1fs", op.key, failure, attempt + 1,
                             policy.max_retries, pause)
            attempt += 1
            yield Sleep(pause)

    def _settle_ambiguous_write(self, prepared: Prepared, failure: GHLError) -> Generator[Any, Any, Any]:
        """After an ambiguous failure of a non-idempotent write: the created record, or ``None`` when it
        certainly was not created (so it may be re-sent); anything else raises."""
        op = prepared.op
        body = prepared.body if isinstance(prepared.body, dict) else {}
        if op.key == "create_contact" and (body.get("email") or body.get("phone")):
            query = {"email": body.get("email"), "number": body.get("phone")}
            try:
                lookup = self.prepare("get_duplicate_contact", query=query,
                                      location_id=body.get("locationId") or prepared.location_id,
                                      api_version=prepared.api_version)
            except GHLScopeError:
                lookup = None
            if lookup is not None:
                found = yield from self.exchange(lookup)
                contact = found.get("contact") if isinstance(found, dict) else None
                if contact:
                    self.log.warning("GHL create_contact: %s, but the contact exists (id %s); returning it "
                                     "instead of creating a duplicate", failure, contact.get("id"))
                    return {"contact": contact}
                self.log.warning("GHL create_contact: %s; the duplicate search shows it was not created, "
                                 "so it is sent again", failure)
                return None
        what = "a contact with this email/phone" if op.key == "create_contact" else "the record"
        raise GHLAmbiguousWriteError(
            f"{failure}. This {op.method} is not idempotent, so it was not re-sent: HighLevel may or may not "
            f"have applied it",
            status=failure.status, trace_id=failure.trace_id, operation=op.key,
            hint=f"Check whether {what} exists in the location before running the task again.",
        )

    # -- paging -------------------------------------------------------------------------------
    def paginate(self, prepared: Prepared, *, page_size: int | None,
                 max_records: int | None) -> Generator[Any, Any, int]:
        """Emit every record of a collection operation once; returns how many were emitted."""
        op = prepared.op
        if not op.is_collection:
            raise GHLInputError(f"{op.key} does not return a collection; use call()", operation=op.key)
        if max_records is not None and (not isinstance(max_records, int) or max_records < 1):
            raise GHLInputError(f"max_records must be a positive int, got {max_records!r}", operation=op.key)
        pager = Pager.start(op, prepared.query, prepared.body, page_size)
        progress = Progress(self, prepared, self.policy.progress_every_s)
        emitted, total = 0, None
        request = pager.request
        while request is not None:
            data = yield from self.exchange(replace(prepared, query=request.query, body=request.body))
            page = pager.take(data)
            total = page.total if page.total is not None else total
            records = page.records if max_records is None else page.records[: max_records - emitted]
            emitted += len(records)
            if records:
                yield Emit(records)
            progress.tick(emitted, total)
            if max_records is not None and emitted >= max_records:
                break
            request = pager.advance(data)
        progress.done(emitted, total)
        return emitted
