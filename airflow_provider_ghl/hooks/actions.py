"""The I/O steps the hook's request flows ask their driver to perform (sans-I/O).

The flows (requests, retries, pacing, token refresh, pagination: :mod:`.protocol`, :mod:`.auth`) are
written once as generators that yield these steps and never touch the network, the token store, Airflow's
database or its supervisor themselves; the sync hook performs them with ``httpx.Client`` and blocking calls, the
async hook with ``httpx.AsyncClient`` and ``await``. Nothing else differs between the two.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import httpx

DEFAULT_MAX_RESPONSE_BYTES = 64 << 20
"""64 MiB: a full page of the largest records is a few MiB; anything bigger is not an API answer."""


@dataclass(frozen=True)
class Budget:
    """What one HTTP exchange may take: ``seconds`` in all (connect to last byte), ``max_bytes`` of body.

    httpx's timeouts are per network operation, so a server dripping a byte a second never trips them;
    the drivers also enforce ``seconds`` for the whole exchange and stop reading at ``max_bytes``.
    """

    seconds: float
    max_bytes: int = DEFAULT_MAX_RESPONSE_BYTES
    timeout: httpx.Timeout = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "timeout", httpx.Timeout(self.seconds, connect=min(self.seconds, 10.0)))


@dataclass
class Send:
    """Send one HTTP request within ``budget``; the driver answers with an :class:`Outcome`."""

    request: httpx.Request
    budget: Budget


@dataclass
class Outcome:
    response: httpx.Response | None = None
    """The response, its body fully read (within the budget)."""
    error: Exception | None = None
    """An ``httpx.TransportError`` or ``httpx.DecodingError``, :class:`DeadlineExceeded` or :class:`TooLarge`."""
    finished_at: float = 0.0


class DeadlineExceeded(Exception):
    """The exchange did not complete within its budget (the request had been sent)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        super().__init__(f"no complete answer within {seconds:g} s")


class TooLarge(Exception):
    """The response body is over the budget's byte cap; reading stopped there."""

    def __init__(self, max_bytes: int, response: httpx.Response) -> None:
        self.max_bytes = max_bytes
        self.status = response.status_code
        self.content_type = response.headers.get("content-type")
        super().__init__(f"the answer is over the {max_bytes / (1 << 20):g} MiB cap")


class BodyReader:
    """Collects a streamed body chunk by chunk, stopping at the budget's byte cap or deadline."""

    __slots__ = ("budget", "chunks", "deadline", "response", "size")

    def __init__(self, budget: Budget, response: httpx.Response, started: float) -> None:
        self.budget, self.response = budget, response
        self.deadline = started + budget.seconds
        self.chunks: list[bytes] = []
        self.size = 0
        declared = response.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > budget.max_bytes:
            raise TooLarge(budget.max_bytes, response)  # refused before reading a byte of it
        self.check_deadline()

    def check_deadline(self) -> None:
        if time.monotonic() > self.deadline:
            raise DeadlineExceeded(self.budget.seconds)

    def add(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > self.budget.max_bytes:
            raise TooLarge(self.budget.max_bytes, self.response)
        self.chunks.append(chunk)
        self.check_deadline()

    def response_with_body(self) -> httpx.Response:
        """The response, its body in memory: what ``Response.read()`` does, with the cap and deadline on the
        way. (Building a new ``Response`` from the bytes costs ~25 us a call, a quarter of the hook's own.)"""
        self.response._content = b"".join(self.chunks)
        return self.response


@dataclass
class Sleep:
    seconds: float


@dataclass
class LoadToken:
    """Read one slot of the token store; the driver answers with the stored dict or ``None``."""

    slot: str


@dataclass
class SaveToken:
    slot: str
    state: dict[str, Any] = field(repr=False)


@dataclass
class CheckTokenStore:
    """Make sure the token store can save a rotated token here, before a refresh spends the old one: the
    driver calls the store's ``check_writable`` (it may read Airflow's database) and lets its error rise."""


@dataclass
class MaskSecrets:
    """Keep these values out of every log and error: the driver registers them with Airflow's masker, which
    inside a task or trigger also tells the supervisor (a message over its socket)."""

    secrets: tuple[str | None, ...] = field(repr=False)


@dataclass
class Lock:
    """Take (``acquire``) or give back the process-wide lock called ``name`` (single-flight refresh)."""

    name: str
    acquire: bool


@dataclass
class Emit:
    """Hand records to the caller of ``paginate``."""

    records: list[dict]
