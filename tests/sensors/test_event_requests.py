"""Event triggers and cursor-mode collection sensors ask HighLevel only for what changed since their cursor:
an idle poll is one request however many contacts the location holds, and what they deliver is exactly what a
whole listing would have delivered (ties at the cursor's timestamp included). Requests are counted by the
sandbox (``/__sandbox__/stats``)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from airflow_provider_ghl.hooks.ghl import GHLAsyncHook, GHLHook
from airflow_provider_ghl.polling import CollectionPoll, parse_timestamp, record_id
from airflow_provider_ghl.sensors.contacts import GHLSearchContactsSensor
from airflow_provider_ghl.triggers.ghl import (
    GHLContactEventTrigger,
    GHLMessageEventTrigger,
    GHLOpportunityEventTrigger,
)
from tests.conftest import task_context
from tests.hostile import Reply, Request

CONTACTS = 1_200  # more than two pages of Search Contacts (500 a page): a whole listing takes 3 requests


@pytest.fixture
def big_sandbox(fresh_sandbox, ghl_connections):
    fresh_sandbox.reset(seed=42, contacts=CONTACTS)
    fresh_sandbox.configure(rate_limits={"enabled": False})
    fresh_sandbox.control("DELETE", "stats")
    yield fresh_sandbox
    fresh_sandbox.reset(seed=42, contacts=200)  # the session's other tests expect the default seed


def searches(sandbox, key: str = "search_contacts") -> int:
    return sandbox.stats().get(f"op:{key}", 0)


async def test_an_idle_contact_event_trigger_polls_with_one_request(big_sandbox):
    trigger = GHLContactEventTrigger(first_run="skip")
    hook = GHLAsyncHook()
    payload, cursor = await trigger.poll_once(hook)  # the first poll remembers what exists
    assert payload is None and cursor is not None
    await trigger.save_cursor(cursor)
    first = searches(big_sandbox)
    for _ in range(3):
        payload, cursor = await trigger.poll_once(hook)
        assert payload is None
    assert searches(big_sandbox) - first == 3, "one request per idle poll"

    # A change shows up on the next poll, once, still in one request.
    contact = next(iter(GHLHook().paginate("search_contacts", max_records=1)))
    big_sandbox.control("DELETE", "stats")
    updated = GHLHook().call("update_contact", contact_id=contact["id"], body={"firstName": "Changed"})
    payload, cursor = await trigger.poll_once(hook)
    assert payload["ids"] == [contact["id"]]
    assert payload["changes"] == [{"id": contact["id"], "dateUpdated": updated["contact"]["dateUpdated"]}]
    await trigger.save_cursor(cursor)
    assert (await trigger.poll_once(hook))[0] is None
    assert searches(big_sandbox) == 2


def whole_listing_answer(records: list[dict], operation: str, watch: str, cursor: dict, max_records: int) -> list[str]:
    poll = CollectionPoll(operation=operation, watch=watch, cursor=cursor, max_records=max_records)
    verdict = poll.evaluate(records, datetime.now(UTC))
    return [record_id(r) for r in verdict.result or []]


@pytest.mark.parametrize("watch", ["new", "updated"])
async def test_narrowed_polls_deliver_what_a_whole_listing_delivers(big_sandbox, watch):
    """Cursors inside groups of contacts that share a timestamp (bulk edits): the narrowed search delivers the
    tied contacts not yet delivered and everything after, exactly as the whole listing does."""
    everything = list(GHLHook().paginate("search_contacts"))
    field = "dateAdded" if watch == "new" else "dateUpdated"
    by_moment: dict[datetime, list[str]] = {}
    for record in everything:
        by_moment.setdefault(parse_timestamp(record[field]), []).append(record["id"])
    tied = sorted(moment for moment, ids in by_moment.items() if len(ids) >= 3)
    assert tied, "the seed has ties"
    cursors = [{"after": moment.isoformat(), "ids": sorted(by_moment[moment])[:1], "field": field}
               for moment in (tied[0], tied[len(tied) // 2], tied[-1])]
    for cursor in cursors:
        expected = whole_listing_answer(everything, "search_contacts", watch, cursor, max_records=100_000)
        trigger = GHLContactEventTrigger(watch=watch, max_records=100_000)
        await trigger.save_cursor(cursor)
        big_sandbox.control("DELETE", "stats")
        payload, _ = await trigger.poll_once(GHLAsyncHook())
        assert payload is not None and payload["ids"] == expected
        assert searches(big_sandbox) <= -(-len(expected) // 500) + 1  # not the whole location


def test_a_cursor_mode_contact_sensor_pokes_idle_with_one_request(big_sandbox, cursor_store):
    sensor = GHLSearchContactsSensor(task_id="watch", watermark="cursor", watch="updated", first_run="skip")
    assert sensor.poke(task_context("watch")) is False  # the baseline: only the newest contacts
    assert searches(big_sandbox) == 1
    before = searches(big_sandbox)
    assert sensor.poke(task_context("watch")) is False
    assert sensor.poke(task_context("watch")) is False
    assert searches(big_sandbox) - before == 2


async def test_opportunity_trigger_watching_new_reads_newest_first_and_stops_at_its_cursor(big_sandbox):
    hook = GHLHook()
    everything = list(hook.paginate("search_opportunities"))
    assert len(everything) > 100, "more than one page of opportunities"
    ordered = sorted(everything, key=lambda r: (parse_timestamp(r["createdAt"]), r["id"]))
    pivot = ordered[len(ordered) // 2]
    cursor = {"after": parse_timestamp(pivot["createdAt"]).isoformat(), "ids": [pivot["id"]], "field": "createdAt"}
    expected = whole_listing_answer(everything, "search_opportunities", "new", cursor, max_records=100_000)
    trigger = GHLOpportunityEventTrigger(watch="new", max_records=100_000)
    await trigger.save_cursor(cursor)
    big_sandbox.control("DELETE", "stats")
    payload, _ = await trigger.poll_once(GHLAsyncHook())
    assert payload["ids"] == expected
    whole = -(-len(everything) // 100)
    assert searches(big_sandbox, "search_opportunities") < whole

    newest = ordered[-1]
    await trigger.save_cursor({"after": parse_timestamp(newest["createdAt"]).isoformat(),
                               "ids": [r["id"] for r in ordered if r["createdAt"] == newest["createdAt"]],
                               "field": "createdAt"})
    big_sandbox.control("DELETE", "stats")
    assert (await trigger.poll_once(GHLAsyncHook()))[0] is None
    assert searches(big_sandbox, "search_opportunities") == 1


async def test_message_trigger_stops_at_its_cursor(hostile):
    """Messages come newest first: reading stops at the first message older than the cursor (HighLevel's
    conversations here are scripted, as the sandbox seeds too few messages for a second page)."""


    newest_first = [{"id": f"m{n:03d}", "dateAdded": datetime.fromtimestamp(1_700_000_000 + n, UTC).isoformat()}
                    for n in range(250, 0, -1)]

    def messages(request: Request) -> Reply:
        start = 0
        if after := request.query.get("lastMessageId"):
            start = next(i for i, m in enumerate(newest_first) if m["id"] == after) + 1
        page = newest_first[start : start + int(request.query.get("limit", 20))]
        return Reply(200, {"messages": {"messages": page, "nextPage": start + len(page) < len(newest_first),
                                        "lastMessageId": page[-1]["id"]}})

    hostile.route("GET", "/conversations/c1/messages", messages)
    pivot = newest_first[30]
    trigger = GHLMessageEventTrigger(ghl_conn_id="ghl_hostile", conversation_id="c1", max_records=1000)
    await trigger.save_cursor({"after": pivot["dateAdded"], "ids": [pivot["id"]], "field": "dateAdded"})
    payload, _ = await trigger.poll_once(GHLAsyncHook("ghl_hostile"))
    assert payload["ids"] == [m["id"] for m in reversed(newest_first[:30])]
    assert len(hostile.sent("GET", "/conversations/c1/messages")) == 1, "three pages would be a whole listing"


def test_an_interval_mode_contact_sensor_asks_only_for_its_data_interval(big_sandbox):
    everything = list(GHLHook().paginate("search_contacts"))
    moments = sorted(parse_timestamp(r["dateUpdated"]) for r in everything)
    start, end = moments[len(moments) // 3], moments[len(moments) // 2]
    expected = sorted((r for r in everything if start <= parse_timestamp(r["dateUpdated"]) < end),
                      key=lambda r: (parse_timestamp(r["dateUpdated"]), r["id"]))
    sensor = GHLSearchContactsSensor(task_id="interval", watch="updated", max_records=100_000)
    big_sandbox.control("DELETE", "stats")
    got = sensor.poke(task_context("interval", interval=(start, end))).xcom_value
    assert [r["id"] for r in got] == [r["id"] for r in expected]
    assert searches(big_sandbox) == -(-len(expected) // 500) + (len(expected) % 500 == 0)


@pytest.mark.parametrize("watch", ["new", "updated"])
async def test_a_skipped_first_poll_reads_only_the_newest_contacts(big_sandbox, watch):
    """``first_run="skip"`` only remembers the newest timestamp and the ids at it: one request, and the same
    cursor a whole listing gives."""
    everything = list(GHLHook().paginate("search_contacts"))
    expected = CollectionPoll(operation="search_contacts", watch=watch, first_run="skip").evaluate(
        everything, datetime.now(UTC)).cursor
    big_sandbox.control("DELETE", "stats")
    payload, cursor = await GHLContactEventTrigger(watch=watch, first_run="skip").poll_once(GHLAsyncHook())
    assert payload is None and cursor == expected
    assert searches(big_sandbox) == 1
