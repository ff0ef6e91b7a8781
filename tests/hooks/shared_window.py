"""Several pacers against one simulated HighLevel burst window, on a simulated clock (no sockets, no sleeps).

Each client is one process's hook exporting one location: sequential requests, its own :class:`RatePacer`
and nothing shared with the others but the server's answers. The server counts a sliding window the way
the sandbox does (``sandbox/state.py``): a request is refused with 429 when ``limit`` requests were accepted
in the last ``interval_s``, refused requests are not counted, and every answer carries ``X-RateLimit-Max``,
``-Remaining`` and ``-Interval-Milliseconds``. The client side follows ``RequestFlows.exchange``: ``delay``,
``started``, ``finished`` (not counted on a 429), ``wait_after_429``, and failure after
``max_rate_limit_waits`` 429s in one exchange.
"""

from __future__ import annotations

import heapq
import random
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from airflow_provider_ghl.hooks.pacing import RatePacer

KEY = "location"


@dataclass
class SlidingWindow:
    limit: int
    interval_s: float
    accepted: deque[float] = field(default_factory=deque)
    retry_after_s: float | None = None
    """Sent as ``Retry-After`` on 429s when set (HighLevel documents none)."""
    fixed: bool = False
    """Count fixed windows (``[k * interval, (k + 1) * interval)``) instead: HighLevel's docs say neither."""

    def answer(self, now: float) -> tuple[int, dict[str, str]]:
        start = (now // self.interval_s) * self.interval_s if self.fixed else now - self.interval_s
        while self.accepted and (self.accepted[0] < start if self.fixed else self.accepted[0] <= start):
            self.accepted.popleft()
        status = 429 if len(self.accepted) >= self.limit else 200
        if status == 200:
            self.accepted.append(now)
        headers = {"X-RateLimit-Max": str(self.limit), "X-RateLimit-Remaining": str(self.limit - len(self.accepted)),
                   "X-RateLimit-Interval-Milliseconds": str(round(self.interval_s * 1000))}
        if status == 429 and self.retry_after_s is not None:
            headers["Retry-After"] = f"{self.retry_after_s:g}"
        return status, headers


@dataclass
class Run:
    wall_s: float
    accepted: int
    refused: int
    failed: int
    finish_s: list[float]
    bound_s: float

    @property
    def ratio(self) -> float:
        return self.wall_s / self.bound_s


def simulate(clients: int, pages: int, *, limit: int = 100, interval_s: float = 10.0, latency_s: float = 0.01,
             starts: list[float] | None = None, seed: int = 0, max_rate_limit_waits: int = 30,
             window: SlidingWindow | None = None, pacer: Callable[[random.Random], RatePacer] = RatePacer) -> Run:
    """``clients`` exports of ``pages`` requests each, started at ``starts`` (default: all at 0)."""
    rng = random.Random(seed)
    server = window or SlidingWindow(limit, interval_s)
    pacers = [pacer(random.Random(seed * 1000 + i)) for i in range(clients)]
    done, waits = [0] * clients, [0] * clients
    finish: list[float] = [0.0] * clients
    failed = refused = 0
    events: list[tuple[float, int, int, str, object]] = []
    order = 0

    def push(at: float, client: int, kind: str, data: object = None) -> None:
        nonlocal order
        order += 1
        heapq.heappush(events, (at, order, client, kind, data))

    for client, start in enumerate(starts or [0.0] * clients):
        push(start, client, "ready")
    while events:
        now, _, client, kind, data = heapq.heappop(events)
        pacing = pacers[client]
        if kind == "ready":  # as the flow does: ask once, sleep what it says, then send
            wait = pacing.delay(KEY, now)
            if wait > 0:
                push(now + wait, client, "send")
                continue
            kind = "send"
        if kind == "send":
            pacing.started(KEY, now)
            push(now + latency_s * rng.uniform(0.25, 0.75), client, "arrive")
        elif kind == "arrive":
            push(now + latency_s * rng.uniform(0.25, 0.75), client, "respond", server.answer(now))
        else:
            status, headers = data  # type: ignore[misc]
            pacing.finished(KEY, headers, now, counted=status != 429)
            if status == 429:
                refused += 1
                waits[client] += 1
                if waits[client] > max_rate_limit_waits:
                    failed += 1
                    finish[client] = now
                    continue
                push(now + pacing.wait_after_429(KEY, headers, now), client, "ready")
                continue
            waits[client] = 0
            done[client] += 1
            if done[client] == pages:
                finish[client] = now
            else:
                push(now, client, "ready")
    accepted = sum(done)
    return Run(wall_s=max(finish) - min(starts or [0.0]), accepted=accepted, refused=refused, failed=failed,
               finish_s=finish, bound_s=accepted * server.interval_s / server.limit)
