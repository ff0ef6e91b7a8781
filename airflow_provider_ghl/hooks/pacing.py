"""Rate-limit pacing from HighLevel's ``X-RateLimit-*`` headers, shared by every client of a location (no I/O:
callers pass the clock).

HighLevel counts a burst window per app (or Private Integration) per location, and a daily budget per
location: every task on every worker and the triggerer spend one budget, and processes share no memory.
The one state they all see is the server's answer, so the pacer treats ``X-RateLimit-Remaining`` as the
truth and its own requests as its part of it. The rules, per location, before each request:

1. **Plenty left: go.** While the spare the server last reported (less what we sent since, plus our own
   slots that left the window since) covers our request and two round trips of every other client, send
   at once: a lone export runs at full speed until the window is full.
2. **Little left: take a share, spread.** The clients sharing the window are estimated from the
   server's count against ours (``clients = (Max - Remaining) / our requests in the window``, at most
   the root of the server's count): together they may send ``Max`` per interval, so our share is one
   request every ``interval * clients / Max`` seconds, jittered so that processes started together do
   not send together.
3. **Nothing left: reuse our own slots.** A slot we hold frees when our request leaves the window (we
   know exactly when); slots others hold are theirs to reuse. With no slot of our own, probe after a
   jittered share, backing off on repeated 429s.
4. **429:** honour ``Retry-After`` when sent (HighLevel documents none); otherwise the window is full:
   rule 3.

A client that keeps every sliding window within ``Max`` also keeps every fixed window within it, so the
same rules hold whichever window HighLevel counts (the sandbox counts a sliding one, the stricter).
"""

from __future__ import annotations

import math
import random
import threading
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field

DEFAULT_INTERVAL_S = 10.0
# Our finish times trail HighLevel's receive times by the response latency, so a slot frees a
# little after we think it does; this margin absorbs clock granularity on top of that.
SLOT_MARGIN_S = 0.02
RESERVE_ROUND_TRIPS = 2
"""Rule 1 holds while the spare covers our request and this many of every other client sharing the window."""
MAX_SERVER_WAIT_S = 60.0
"""The longest wait a server's headers may ask for (``Retry-After``, the window's interval): six of HighLevel's
10 s windows. A broken or hostile answer asking for a day would park the task; ``max_rate_limit_waits`` still ends
an exchange that keeps drawing 429s."""
JITTER = (0.5, 1.5)
"""Spread and probe waits are multiplied by a factor drawn from this range."""


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
    """When our requests that the server counted finished, oldest first, within the interval."""
    in_flight: int = 0
    sent_since_report: int = 0
    ours_at_report: int = 0
    """Our requests in the window when ``remaining`` was reported (the server's count includes them)."""
    freed_since_report: int = 0
    """Our requests counted in ``remaining``'s window that have left the window since."""
    last_sent_at: float | None = None
    refusals: int = 0
    """429s in a row: a client holding no slot probes less often each time."""
    retry_due: bool = False
    """The wait after a 429 was the decision: the re-send goes when it ends, without a second wait."""

    def prune(self, now: float) -> None:
        window_start = now - self.interval_s
        while self.finished and self.finished[0] <= window_start:
            if self.finished.popleft() > self.remaining_at - self.interval_s:
                self.freed_since_report += 1

    def clients(self) -> float:
        """How many clients share the window, judged from the server's count against ours (at least 1).

        At most the square root of the server's count: a client that was refused holds few slots, and taking
        ``count / ours`` at its word it would yield to a crowd that is not there and starve itself. The root
        is the geometric middle of the extremes (we alone; everyone holding as little as we do).
        """
        if self.limit is None or self.remaining is None:
            return 1.0
        counted = self.limit - self.remaining
        return max(min(counted / max(self.ours_at_report, 1), math.sqrt(counted)), 1.0)

    def spare(self) -> int:
        """What the server's last report leaves for us now: its spare, less what we sent since, plus ours that left."""
        return (self.remaining or 0) - self.sent_since_report + self.freed_since_report

    def share_s(self) -> float:
        """Our share of the window's pace: one request every this many seconds."""
        return self.interval_s * self.clients() / (self.limit or 1)


def _int(headers: Mapping[str, str], name: str) -> int | None:
    value = headers.get(name)
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _seconds(value: str | None) -> float | None:
    try:
        seconds = float(value) if value is not None else None
    except ValueError:
        return None
    return min(seconds, MAX_SERVER_WAIT_S) if seconds is not None and seconds >= 0 else None


def _interval_s(interval_ms: int) -> float:
    return min(interval_ms / 1000, MAX_SERVER_WAIT_S)


class RatePacer:
    """Per-location request budgets; thread-safe so one hook can serve several threads.

    ``rng`` draws the jitter (seed it to replay a run).
    """

    def __init__(self, rng: random.Random | None = None) -> None:
        self._budgets: dict[str, RateBudget] = {}
        self._lock = threading.Lock()
        self._rng = rng or random.Random()

    def budget(self, key: str) -> RateBudget:
        with self._lock:
            return self._budgets.setdefault(key, RateBudget())

    def delay(self, key: str, now: float) -> float:
        """Seconds to wait before the next request to ``key`` (0: send now)."""
        with self._lock:
            budget = self._budgets.setdefault(key, RateBudget())
            if budget.limit is None or budget.retry_due:
                budget.retry_due = False
                return 0.0
            budget.prune(now)
            finished = budget.finished
            if len(finished) + budget.in_flight >= budget.limit:  # our own requests fill the window
                return self._own_slot(budget, now)
            if budget.remaining is None:
                return 0.0
            spare = budget.spare()
            if spare >= 1 + RESERVE_ROUND_TRIPS * (budget.clients() - 1):
                return 0.0
            if spare >= 1:
                since = now - budget.last_sent_at if budget.last_sent_at is not None else budget.interval_s
                return max(budget.share_s() * self._jitter() - since, 0.0)
            return self._own_slot(budget, now) if finished else self._probe(budget)

    def _own_slot(self, budget: RateBudget, now: float) -> float:
        if not budget.finished:
            return SLOT_MARGIN_S
        return max(budget.finished[0] + budget.interval_s + SLOT_MARGIN_S - now, 0.0)

    def _probe(self, budget: RateBudget) -> float:
        """No slot of ours and none spare: try again after a jittered share, doubling on each 429 up to a window."""
        return min(budget.share_s() * 2**budget.refusals, budget.interval_s) * self._jitter()

    def _jitter(self) -> float:
        return self._rng.uniform(*JITTER)

    def started(self, key: str, now: float) -> None:
        with self._lock:
            budget = self._budgets.setdefault(key, RateBudget())
            budget.in_flight += 1
            budget.sent_since_report += 1
            budget.last_sent_at = now

    def finished(self, key: str, headers: Mapping[str, str] | None, now: float, *, counted: bool = True) -> None:
        """Record a finished request and the budget its response reported (``counted``: it used a slot)."""
        with self._lock:
            budget = self._budgets.setdefault(key, RateBudget())
            budget.in_flight = max(budget.in_flight - 1, 0)
            if counted:
                budget.finished.append(now)
                budget.refusals = 0
            if not headers:
                return
            limit = _int(headers, "X-RateLimit-Max")
            interval_ms = _int(headers, "X-RateLimit-Interval-Milliseconds")
            remaining = _int(headers, "X-RateLimit-Remaining")
            if limit is not None:
                budget.limit = limit
            if interval_ms:
                budget.interval_s = _interval_s(interval_ms)
            if remaining is not None:
                self._report(budget, remaining, now)
            budget.daily_remaining = _int(headers, "X-RateLimit-Daily-Remaining")
            budget.daily_limit = _int(headers, "X-RateLimit-Limit-Daily")

    @staticmethod
    def _report(budget: RateBudget, remaining: int, now: float) -> None:
        budget.prune(now)
        budget.remaining, budget.remaining_at = remaining, now
        budget.sent_since_report, budget.freed_since_report = budget.in_flight, 0
        budget.ours_at_report = len(budget.finished)

    def wait_after_429(self, key: str, headers: Mapping[str, str], now: float) -> float:
        """How long to wait after a burst 429: ``Retry-After`` when sent, else until a slot of ours frees
        (or a backed-off probe when we hold none)."""
        with self._lock:
            budget = self._budgets.setdefault(key, RateBudget())
            interval_ms = _int(headers, "X-RateLimit-Interval-Milliseconds")
            if interval_ms:
                budget.interval_s = _interval_s(interval_ms)
            limit = _int(headers, "X-RateLimit-Max")
            if limit is not None:
                budget.limit = limit
            self._report(budget, 0, now)
            budget.refusals += 1
            budget.retry_due = True
            retry_after = _seconds(headers.get("Retry-After"))
            if retry_after is not None:
                return retry_after
            if budget.limit is None:  # nothing to go by: HighLevel's advice, wait the interval
                return budget.interval_s
            return self._own_slot(budget, now) if budget.finished else self._probe(budget)

    def describe(self, key: str) -> str:
        """The budget left, for progress logs."""
        budget = self.budget(key)
        if budget.limit is None:
            return "rate budget unknown"
        burst = f"{budget.remaining if budget.remaining is not None else '?'}/{budget.limit} per {budget.interval_s:g}s"
        daily = f", {budget.daily_remaining:,} left today" if budget.daily_remaining is not None else ""
        return f"rate budget {burst}{daily}"
