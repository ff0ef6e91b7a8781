"""The pacer keeps one budget per location: one hook serving several locations paces each on its own."""

from __future__ import annotations

from airflow_provider_ghl.hooks.pacing import RatePacer

HEADERS = {"X-RateLimit-Max": "3", "X-RateLimit-Interval-Milliseconds": "1000", "X-RateLimit-Remaining": "0"}


def spend(pacer: RatePacer, location: str, now: float, count: int) -> None:
    for i in range(count):
        pacer.started(location)
        pacer.finished(location, {**HEADERS, "X-RateLimit-Remaining": str(2 - i)}, now)


def test_a_spent_location_waits_while_another_goes_at_once():
    pacer = RatePacer()
    spend(pacer, "location-a", now=100.0, count=3)
    assert 0.9 < pacer.delay("location-a", now=100.1) <= 1.0, "the window of A must move on first"
    assert pacer.delay("location-b", now=100.1) == 0.0, "B has its own budget"
    spend(pacer, "location-b", now=100.1, count=2)
    assert pacer.delay("location-b", now=100.2) == 0.0, "B still has a slot left"
    assert pacer.delay("location-a", now=101.1) == 0.0, "A's window has moved on"


def test_budget_spent_by_someone_else_waits_a_window():
    pacer = RatePacer()
    pacer.started("location-a")
    pacer.finished("location-a", {**HEADERS, "X-RateLimit-Max": "100", "X-RateLimit-Remaining": "0"}, 50.0)
    assert 0.9 < pacer.delay("location-a", now=50.1) <= 1.0
    assert "0/100 per 1s" in pacer.describe("location-a")
