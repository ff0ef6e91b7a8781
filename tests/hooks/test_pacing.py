"""The pacer's rules in memory: one budget per location, the server's Remaining as the truth every client
shares, and several pacers against one simulated window (``shared_window.py``) on a simulated clock."""

from __future__ import annotations

import random
import sys
from pathlib import Path

import pytest

from airflow_provider_ghl.hooks.pacing import JITTER, MAX_SERVER_WAIT_S, RatePacer
from tests.hooks.shared_window import SlidingWindow, simulate

HEADERS = {"X-RateLimit-Max": "3", "X-RateLimit-Interval-Milliseconds": "1000", "X-RateLimit-Remaining": "0"}


def spend(pacer: RatePacer, location: str, now: float, count: int) -> None:
    for i in range(count):
        pacer.started(location, now)
        pacer.finished(location, {**HEADERS, "X-RateLimit-Remaining": str(2 - i)}, now)


def report(pacer: RatePacer, remaining: int, now: float, limit: int = 100, key: str = "a") -> None:
    pacer.started(key, now)
    pacer.finished(key, {"X-RateLimit-Max": str(limit), "X-RateLimit-Interval-Milliseconds": "10000",
                         "X-RateLimit-Remaining": str(remaining)}, now)


def test_a_spent_location_waits_while_another_goes_at_once():
    pacer = RatePacer()
    spend(pacer, "location-a", now=100.0, count=3)
    assert 0.9 < pacer.delay("location-a", now=100.1) <= 1.0, "the window of A must move on first"
    assert pacer.delay("location-b", now=100.1) == 0.0, "B has its own budget"
    spend(pacer, "location-b", now=100.1, count=2)
    assert pacer.delay("location-b", now=100.2) == 0.0, "B still has a slot left"
    assert pacer.delay("location-a", now=101.1) == 0.0, "A's window has moved on"


def test_budget_spent_by_someone_else_waits_for_our_own_slot():
    pacer = RatePacer()
    pacer.started("location-a", 50.0)
    pacer.finished("location-a", {**HEADERS, "X-RateLimit-Max": "100", "X-RateLimit-Remaining": "0"}, 50.0)
    assert 0.9 < pacer.delay("location-a", now=50.1) <= 1.0, "the slot we hold frees a window after our request"
    assert "0/100 per 1s" in pacer.describe("location-a")


def test_others_are_counted_from_the_drop_in_remaining():
    pacer = RatePacer(random.Random(1))
    for i in range(5):  # each of our requests sees 4 fewer: three others spend as fast as we do
        report(pacer, 100 - 4 * (i + 1), now=i * 0.01)
    budget = pacer.budget("a")
    assert budget.clients() == pytest.approx(4)
    assert pacer.delay("a", now=0.05) == 0.0, "80 left covers two round trips of the three others"
    report(pacer, 6, now=0.06)  # 94 counted, 6 of them ours: little left, so our share, spread
    share = 10.0 * budget.clients() / 100
    assert share * JITTER[0] - 0.01 <= pacer.delay("a", now=0.07) <= share * JITTER[1]


def test_a_client_holding_few_slots_does_not_imagine_a_crowd():
    pacer = RatePacer()
    report(pacer, 36, now=0.0)  # 64 counted, 1 ours: 64 clients, or one refused client among a few
    assert pacer.budget("a").clients() == 8, "at most the root of the server's count"


def test_a_lone_client_goes_until_the_window_is_full():
    pacer = RatePacer(random.Random(1))
    for i in range(100):
        assert pacer.delay("a", now=i * 0.01) == 0.0, f"request {i + 1} must go at once"
        report(pacer, 99 - i, now=i * 0.01)
    assert pacer.delay("a", now=1.0) == pytest.approx(10.0 + 0.02 - 1.0), "then our oldest slot frees"


def test_a_refused_client_holding_nothing_backs_off_up_to_a_window():
    pacer = RatePacer(random.Random(3))
    report(pacer, 0, now=0.0, limit=100)
    waits = []
    for attempt in range(8):
        now = 20.0 + attempt  # our request has left the window: we hold nothing
        pacer.started("a", now)
        pacer.finished("a", {"X-RateLimit-Remaining": "0"}, now, counted=False)
        waits.append(pacer.wait_after_429("a", {"X-RateLimit-Max": "100", "X-RateLimit-Remaining": "0",
                                                "X-RateLimit-Interval-Milliseconds": "10000"}, now))
    share = 10.0 * 10 / 100  # a full window, nothing of ours: at most root(100) clients
    assert waits[0] <= 2 * share * JITTER[1], "the first probe comes soon"
    assert all(10.0 * JITTER[0] <= wait <= 10.0 * JITTER[1] for wait in waits[4:]), "doubling, up to a window"


def test_retry_after_is_honoured():
    pacer = RatePacer()
    report(pacer, 5, now=0.0)
    assert pacer.wait_after_429("a", {"Retry-After": "3", "X-RateLimit-Remaining": "0"}, 1.0) == 3.0


def test_a_server_cannot_ask_for_waits_longer_than_a_minute():
    """A hostile or broken 429 asking for a day (``Retry-After``, or a window of a day) is clamped to 60 s."""
    pacer = RatePacer()
    report(pacer, 5, now=0.0)
    assert pacer.wait_after_429("a", {"Retry-After": "86399", "X-RateLimit-Remaining": "0"}, 1.0) == MAX_SERVER_WAIT_S
    pacer.finished("a", {"X-RateLimit-Max": "100", "X-RateLimit-Remaining": "0",
                         "X-RateLimit-Interval-Milliseconds": "86400000"}, 2.0)
    assert pacer.budget("a").interval_s == MAX_SERVER_WAIT_S
    assert pacer.wait_after_429("a", {"X-RateLimit-Interval-Milliseconds": "86400000"}, 3.0) <= MAX_SERVER_WAIT_S


# -- several processes against one window (simulated) -----------------------------------------------
def test_one_export_runs_at_the_limit_without_a_429():
    run = simulate(1, 201, latency_s=0.01)
    assert run.refused == 0 and run.failed == 0
    assert run.ratio <= 1.01


@pytest.mark.parametrize("latency_s", [0.005, 0.05, 0.1])
def test_eight_exports_of_one_location_share_its_window(latency_s):
    """Two workers x four task processes, a window scaled to 2 s: latency weighs as on a busy machine."""
    runs = [simulate(8, 51, interval_s=2.0, latency_s=latency_s, seed=seed) for seed in range(3)]
    for run in runs:
        assert run.failed == 0
        assert run.ratio <= 1.2, f"wall {run.wall_s:.2f}s vs bound {run.bound_s:.2f}s"
        assert run.refused <= 0.08 * run.accepted, "429s are few: where two clients claim the same spare slot"


def test_the_rules_hold_against_a_fixed_window_too():
    """A schedule that keeps every sliding window within the limit keeps every fixed one within it."""
    for seed in range(3):
        run = simulate(8, 51, interval_s=2.0, latency_s=0.05, seed=seed, window=SlidingWindow(100, 2.0, fixed=True))
        assert run.failed == 0 and run.ratio <= 1.2 and run.refused <= 0.08 * run.accepted


def test_late_joiners_get_their_share():
    run = simulate(8, 51, interval_s=2.0, latency_s=0.02, starts=[i * 0.6 for i in range(8)])
    assert run.failed == 0 and run.ratio <= 1.25


def test_retry_after_from_the_server_is_what_refused_clients_wait():
    window = SlidingWindow(100, 2.0, retry_after_s=0.05)
    run = simulate(8, 51, interval_s=2.0, latency_s=0.02, window=window)
    assert run.failed == 0 and run.refused > 0


def test_the_pacer_before_shared_budgets_falls_behind_as_latency_grows():
    """What the benchmark shows on real processes, in memory: waiting a whole window on Remaining 0 or a
    429 costs a window each time, which grows with latency; the shared-budget rules do not."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
    try:
        from _baseline_pacer import BaselinePacer
    finally:
        sys.path.pop(0)
    before = simulate(8, 51, interval_s=2.0, latency_s=0.1, pacer=BaselinePacer)
    after = simulate(8, 51, interval_s=2.0, latency_s=0.1)
    assert before.ratio > 1.5 and after.ratio < 1.2
