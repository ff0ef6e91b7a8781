"""The I/O steps the hook's protocol code asks its driver to perform (sans-I/O).

Protocol code (requests, retries, pacing, token refresh, pagination) is written once as generators
that yield these steps; the sync hook performs them with ``httpx.Client`` and blocking calls, the
async hook with ``httpx.AsyncClient`` and ``await``. Nothing else differs between the two.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx


@dataclass
class Send:
    """Send one HTTP request; the driver answers with an :class:`Outcome`."""

    request: httpx.Request
    timeout: httpx.Timeout | None = None


@dataclass
class Outcome:
    response: httpx.Response | None = None
    error: Exception | None = None
    finished_at: float = 0.0


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
class Lock:
    """Take (``acquire``) or give back the process-wide lock called ``name`` (single-flight refresh)."""

    name: str
    acquire: bool


@dataclass
class Emit:
    """Hand records to the caller of ``paginate``."""

    records: list[dict]
