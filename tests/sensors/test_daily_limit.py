"""When HighLevel's daily request budget is spent, sensors wait (poke False / trigger keeps waiting); they never fail."""

from __future__ import annotations

import asyncio

import pytest

from airflow_provider_ghl.sensors.contacts import GHLGetContactSensor, GHLSearchContactsSensor
from airflow_provider_ghl.triggers.ghl import GHLPollTrigger
from tests.conftest import task_context

pytestmark = pytest.mark.usefixtures("ghl_connections", "cursor_store")


@pytest.fixture
def spent_budget(fresh_sandbox, api):
    fresh_sandbox.configure(rate_limits={"enabled": True, "daily_max": 1, "burst_max": 100})
    api("GET", "/contacts/", params={"locationId": fresh_sandbox.location_id, "limit": 1})  # the one request of the day
    return fresh_sandbox


def test_poke_waits_instead_of_failing(spent_budget):
    record = GHLGetContactSensor(task_id="contact", contact_id="any-contact", mode="reschedule")
    assert record.poke(task_context("contact")) is False
    collection = GHLSearchContactsSensor(task_id="search", watermark="cursor")
    assert collection.poke(task_context("search")) is False
    assert spent_budget.stats().get("status:429", 0) >= 2, "the sensors did ask, and were told the budget is spent"


async def test_the_deferred_trigger_keeps_waiting(spent_budget):
    sensor = GHLGetContactSensor(task_id="contact", contact_id="any-contact", poke_interval=0.1)
    trigger = GHLPollTrigger(spec=sensor.poll_spec(task_context("contact")), poll_interval=0.1)
    with pytest.raises(asyncio.TimeoutError):  # no event, in particular no error event: it sleeps until the reset
        await asyncio.wait_for(anext(trigger.run()), timeout=1.5)
    assert spent_budget.stats().get("status:429", 0) >= 1
