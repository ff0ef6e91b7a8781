"""Every request has a deadline and a size cap: the connection's timeout bounds a whole exchange (a drip
cannot hold a call), and an answer over the cap stops being read (memory stays flat)."""

from __future__ import annotations

import json
import time
import tracemalloc

import pytest

from airflow_provider_ghl.exceptions import GHLNetworkError, GHLResponseError
from airflow_provider_ghl.hooks.ghl import GHLAsyncHook
from tests.hostile import Reply

CONTACT = {"contact": {"id": "abc", "firstName": "Ada", "notes": "x" * 200}}
MiB = 1 << 20


async def call(hostile, key: str, *, asynchronous: bool, **kwargs):
    hook_kwargs = {name: kwargs.pop(name) for name in ("timeout", "max_response_bytes") if name in kwargs}
    if not asynchronous:
        with hostile.hook(max_retries=0, **hook_kwargs) as hook:
            return hook.call(key, **kwargs)
    async with hostile.hook(cls=GHLAsyncHook, max_retries=0, **hook_kwargs) as hook:
        return await hook.acall(key, **kwargs)


@pytest.mark.timeout(30)
@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
async def test_a_drip_cannot_hold_a_call_past_its_deadline(hostile, asynchronous):
    # One byte a second: every single read is well inside the 2 s timeout, the whole answer takes minutes.
    hostile.route("GET", "/contacts/abc", Reply(200, json.dumps(CONTACT), content_type="application/json",
                                                drip_s=1.0))
    started = time.monotonic()
    with pytest.raises(GHLNetworkError, match="within 2 s"):
        await call(hostile, "get_contact", contact_id="abc", asynchronous=asynchronous, timeout=2)
    assert time.monotonic() - started < 6


@pytest.mark.timeout(60)
@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
async def test_an_endless_answer_stops_at_the_cap_with_flat_memory(hostile, asynchronous):
    hostile.route("GET", "/contacts/abc", Reply(200, b'{"contact": "', content_type="application/json", endless=True))
    tracemalloc.start()
    try:
        with pytest.raises(GHLResponseError, match="64 MiB cap") as caught:
            await call(hostile, "get_contact", contact_id="abc", asynchronous=asynchronous)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert caught.value.status == 200
    assert peak < 100 * MiB, f"peak {peak / MiB:.0f} MiB"
    assert len(hostile.sent("GET", "/contacts/abc")) == 1  # a too-large answer is not fetched again


def test_the_cap_is_settable_and_a_declared_length_is_refused_unread(hostile):
    hostile.route("GET", "/contacts/abc", Reply(200, b"{" + b" " * (3 * MiB) + b"}", content_type="application/json"))
    with hostile.hook(max_retries=3, max_response_bytes=MiB) as hook, pytest.raises(GHLResponseError, match="1 MiB cap"):
        hook.call("get_contact", contact_id="abc")
    assert len(hostile.sent("GET", "/contacts/abc")) == 1
