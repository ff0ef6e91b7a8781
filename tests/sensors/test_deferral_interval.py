"""A deferrable sensor whose condition the triggerer cannot import (a lambda) re-defers each time its worker
finds the condition false: the next poll never comes sooner than ``poke_interval``.

Times are lower bounds on ``time.monotonic()`` between the requests the hostile server received, so a slow,
busy machine cannot make the test fail; only polling too early can."""

from __future__ import annotations

import asyncio
import itertools
import time

import pytest
from airflow.sdk.exceptions import TaskDeferred

from airflow_provider_ghl.sensors.contacts import GHLGetContactSensor
from airflow_provider_ghl.triggers.ghl import GHLPollTrigger
from tests.conftest import task_context
from tests.hostile import Reply, Request

POKE_INTERVAL = 1.0
CYCLES = 3


def deferral(call) -> GHLPollTrigger:
    with pytest.raises(TaskDeferred) as deferred:
        call()
    trigger = deferred.value.trigger
    classpath, kwargs = trigger.serialize()
    rebuilt = GHLPollTrigger(**kwargs)  # what the triggerer runs: only the serialized kwargs travel
    assert rebuilt.serialize() == (classpath, kwargs)
    return rebuilt


async def first_event(trigger: GHLPollTrigger) -> dict:
    run = trigger.run()
    try:
        return (await asyncio.wait_for(anext(run), 30)).payload
    finally:
        await run.aclose()


async def test_a_lambda_condition_re_defers_no_sooner_than_poke_interval(hostile):
    polled_at: list[float] = []

    def contact(request: Request) -> Reply:
        polled_at.append(time.monotonic())
        return Reply(200, {"contact": {"id": "abc", "tags": []}})

    hostile.route("GET", "/contacts/abc", contact)
    sensor = GHLGetContactSensor(task_id="vip", contact_id="abc", ghl_conn_id="ghl_hostile", deferrable=True,
                                 poke_interval=POKE_INTERVAL, condition=lambda c: "vip" in c["tags"])
    context = task_context("vip")
    trigger = deferral(lambda: sensor.execute(context))
    for _ in range(CYCLES):
        event = await first_event(trigger)
        assert event["status"] == "done"  # the record exists; the lambda, checked on the worker, is false
        trigger = deferral(lambda event=event: sensor.execute_complete(context, event))
    assert len(polled_at) == CYCLES
    gaps = [later - earlier for earlier, later in itertools.pairwise(polled_at)]
    assert all(gap >= POKE_INTERVAL for gap in gaps), f"polls came {gaps} s apart with poke_interval={POKE_INTERVAL}"
    assert trigger.start_delay == POKE_INTERVAL


async def test_the_first_deferral_polls_at_once(hostile):
    """Only a re-deferral waits: the sensor's first poll is not delayed."""
    hostile.route("GET", "/contacts/abc", Reply(200, {"contact": {"id": "abc", "tags": ["vip"]}}))
    sensor = GHLGetContactSensor(task_id="vip", contact_id="abc", ghl_conn_id="ghl_hostile", deferrable=True,
                                 poke_interval=600.0, condition=lambda c: "vip" in c["tags"])
    trigger = deferral(lambda: sensor.execute(task_context("vip")))
    assert trigger.start_delay == 0
    event = await first_event(trigger)  # a 600 s delay would time out here
    assert sensor.execute_complete(task_context("vip"), event) == {"id": "abc", "tags": ["vip"]}
