"""The hook's pacer before shared budgets (main at 962e363, ``hooks/pacing.py``), kept only so that
``bench_shared_budget.py`` measures the new pacer against it in the same run. Not used by the provider.

It paced from its own finish times and waited a whole interval whenever ``X-RateLimit-Remaining`` reached 0
or a 429 came back.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field

DEFAULT_INTERVAL_S = 10.0
# Our finish times trail HighLevel's receive times by the response latency, so a slot frees a
# little after we think it does; this margin absorbs clock granularity on top of that.
SLOT_MARGIN_S = 0.02


@dataclass
class RateBudget:
    """One location's rate-limit budget as last reported, and our requests in its window (not to be
    confused with :class:`.actions.Budget`, what one exchange may take)."""

    limit: int | None = None
    interval_s: float = DEFAULT_INTERVAL_S
    remaining: int | None = None
    remaining_at: float = 0.0
    daily_remaining: int | None = None
    daily_limit: int | None = None
    finished: deque[float] = field(default_factory=deque)
    in_flight: int = 0
    sent_since_report: int = 0


def _int(headers: Mapping[str, str], name: str) -> int | None:
    value = headers.get(name)
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


class RatePacer:
    """Per-location request budgets; thread-safe so one hook can serve several threads."""

    def __init__(self) -> None:
        self._budgets: dict[str, RateBudget] = {}
        self._lock = threading.Lock()

    def budget(self, key: str) -> RateBudget:
        with self._lock:
            return self._budgets.setdefault(key, RateBudget())

    def delay(self, key: str, now: float) -> float:
        """Seconds to wait before the next request to ``key`` (0: send now)."""
        with self._lock:
            budget = self._budgets.setdefault(key, RateBudget())
            if budget.limit is None:
                return 0.0
            window_start = now - budget.interval_s
            finished = budget.finished
            while finished and finished[0] <= window_start:
                finished.popleft()
            if len(finished) + budget.in_flight >= budget.limit:
                return max(finished[0] + budget.interval_s + SLOT_MARGIN_S - now, 0.0) if finished else SLOT_MARGIN_S
            if budget.remaining is not None and budget.remaining - budget.sent_since_report <= 0:
                # Someone else (another task, app or PIT on this location) used the rest: wait a window.
                return max(budget.remaining_at + budget.interval_s + SLOT_MARGIN_S - now, 0.0)
            return 0.0

    def started(self, key: str) -> None:
        with self._lock:
            budget = self._budgets.setdefault(key, RateBudget())
            budget.in_flight += 1
            budget.sent_since_report += 1

    def finished(self, key: str, headers: Mapping[str, str] | None, now: float, *, counted: bool = True) -> None:
        """Record a finished request and the budget its response reported (``counted``: it used a slot)."""
        with self._lock:
            budget = self._budgets.setdefault(key, RateBudget())
            budget.in_flight = max(budget.in_flight - 1, 0)
            if counted:
                budget.finished.append(now)
            if not headers:
                return
            limit = _int(headers, "X-RateLimit-Max")
            interval_ms = _int(headers, "X-RateLimit-Interval-Milliseconds")
            remaining = _int(headers, "X-RateLimit-Remaining")
            if limit is not None:
                budget.limit = limit
            if interval_ms:
                budget.interval_s = interval_ms / 1000
            if remaining is not None:
                budget.remaining, budget.remaining_at, budget.sent_since_report = remaining, now, budget.in_flight
            budget.daily_remaining = _int(headers, "X-RateLimit-Daily-Remaining")
            budget.daily_limit = _int(headers, "X-RateLimit-Limit-Daily")

    def wait_after_429(self, key: str, headers: Mapping[str, str], now: float) -> float:
        """How long to wait after a burst 429: until the window that refused us has moved on."""
        with self._lock:
            budget = self._budgets.setdefault(key, RateBudget())
            interval_ms = _int(headers, "X-RateLimit-Interval-Milliseconds")
            if interval_ms:
                budget.interval_s = interval_ms / 1000
            budget.remaining, budget.remaining_at, budget.sent_since_report = 0, now, 0
            if budget.finished and budget.limit and len(budget.finished) >= budget.limit:
                return max(budget.finished[0] + budget.interval_s + SLOT_MARGIN_S - now, SLOT_MARGIN_S)
            return budget.interval_s

    def describe(self, key: str) -> str:
        """The budget left, for progress logs."""
        budget = self.budget(key)
        if budget.limit is None:
            return "rate budget unknown"
        burst = f"{budget.remaining if budget.remaining is not None else '?'}/{budget.limit} per {budget.interval_s:g}s"
        daily = f", {budget.daily_remaining:,} left today" if budget.daily_remaining is not None else ""
        return f"rate budget {burst}{daily}"


class BaselinePacer(RatePacer):
    """The old pacer behind the new one's interface (``rng``, ``started(key, now)``)."""

    def __init__(self, rng: object = None) -> None:
        super().__init__()

    def started(self, key: str, now: float | None = None) -> None:  # type: ignore[override]
        super().started(key)
