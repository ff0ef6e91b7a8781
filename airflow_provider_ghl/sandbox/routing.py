"""What handlers receive and return, the handler registry, and helpers shared by the area modules."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from airflow_provider_ghl.sandbox.errors import ApiError, not_found, unprocessable
from airflow_provider_ghl.sandbox.params import integer

if TYPE_CHECKING:
    from airflow_provider_ghl.catalog import Operation
    from airflow_provider_ghl.sandbox.state import SandboxState, Token

Handler = Callable[["Call"], Any]
HANDLERS: dict[str, Handler] = {}


def handles(*keys: str) -> Callable[[Handler], Handler]:
    """Register a handler for one or more catalog operations (by key)."""

    def register(function: Handler) -> Handler:
        for key in keys:
            if key in HANDLERS:
                raise RuntimeError(f"two sandbox handlers for {key}")
            HANDLERS[key] = function
        return function

    return register


@dataclass
class Reply:
    """A handler's answer when it is not the operation's usual success status."""

    status: int
    body: Any


@dataclass
class Call:
    op: Operation
    state: SandboxState
    token: Token
    path: dict[str, str]
    """Path parameters by HighLevel's placeholder names (``contactId``)."""
    query: dict[str, str]
    query_lists: dict[str, list[str]]
    body: Any
    location_id: str | None
    """The location the request addresses (path, query or body, as the catalog says; else the token's)."""
    base_url: str = ""
    """Where the client reached the sandbox (``http://127.0.0.1:PORT``), for absolute ``nextPageUrl`` s."""
    form: Operation | None = None
    """The form the request follows where it is not ``op`` (a v3 request to one of the 124: v3's form). ``op``
    stays the seed's form and ``query`` speaks its names, so handlers keep one state and one vocabulary."""

    @property
    def served(self) -> Operation:
        """The form of the operation the request follows (its spec's body fields, answer shape)."""
        return self.form or self.op

    @property
    def api(self) -> str:
        """The spec the request follows: ``v2`` (dated and ``legacy`` Version headers) or ``v3``."""
        return self.served.api

    @property
    def data(self) -> dict:
        """The JSON body as a dict (``{}`` when absent)."""
        return self.body if isinstance(self.body, dict) else {}

    def table(self, name: str) -> dict[str, dict]:
        return self.state.table(name)

    def record(self, table: str, record_id: str, what: str) -> dict:
        """A record of this location, or HighLevel's not-found answer."""
        record = self.state.table(table).get(record_id)
        if record is None or (self.location_id and record.get("locationId", self.location_id) != self.location_id):
            raise not_found(what)
        return record

    def int_query(self, name: str, default: int | None = None, *, minimum: int = 0, maximum: int | None = None) -> int:
        """An integer query parameter (a paging parameter, mostly), checked as HighLevel checks it."""
        raw = self.query.get(name)
        if raw is None or raw == "":
            if default is None:
                raise unprocessable(f"{name} should not be empty")
            return default
        return integer(raw, name, minimum=minimum, maximum=maximum)

    def now(self) -> str:
        from airflow_provider_ghl.sandbox.state import iso

        return iso(self.state.now())


def of_location(records: Iterable[dict], location_id: str | None) -> list[dict]:
    return [r for r in records if r.get("locationId") == location_id]


def offset_page(
    call: Call, records: list[dict], *, skip_param: str = "skip", limit_param: str = "limit",
    default_limit: int = 20, max_limit: int = 100,
) -> list[dict]:
    """Slice a list by skip/offset and limit, the way HighLevel's offset endpoints do."""
    skip = call.int_query(skip_param, 0)
    limit = call.int_query(limit_param, default_limit, minimum=1, maximum=max_limit)
    return records[skip : skip + limit]


def pick(record: dict, fields: Iterable[str]) -> dict:
    return {k: record[k] for k in fields if k in record}


def require_fields(data: dict, *names: str) -> None:
    missing = [f"{name} should not be empty" for name in names if data.get(name) in (None, "", [])]
    if missing:
        raise unprocessable(*missing)


__all__ = ["HANDLERS", "ApiError", "Call", "Reply", "handles", "of_location", "offset_page", "pick", "require_fields"]
