"""Requests per idle poll of the contact event trigger (asset watcher) at 1k, 10k and 100k contacts.

An idle poll finds nothing new. Now: ``GHLContactEventTrigger.poll_once`` asks Search Contacts only for what
changed since its cursor (a ``range`` filter on dateUpdated, oldest first). Baseline, in the same run: the
former poll, which listed the whole location (``apaginate("search_contacts")``) and compared it with the
cursor. Requests are counted by the sandbox (``/__sandbox__/stats``); rate limits off. Also printed: the
requests a day at a one-minute poll interval, against HighLevel's daily budget of 200,000 per location.
Target: 1 request per idle poll at every size.

    python bench/bench_events.py [--contacts 1000 10000 100000] [--polls 5]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from datetime import UTC, datetime

os.environ.setdefault("AIRFLOW_HOME", tempfile.mkdtemp(prefix="ghl-bench-events-"))
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
os.environ.setdefault("AIRFLOW__LOGGING__LOGGING_LEVEL", "WARNING")

from airflow_provider_ghl.sandbox import Sandbox

DAILY_BUDGET = 200_000
POLLS_A_DAY = 24 * 60  # one poll a minute


async def measure(sandbox: Sandbox, polls: int) -> dict[str, float]:
    from airflow_provider_ghl.hooks.ghl import GHLAsyncHook
    from airflow_provider_ghl.polling import CollectionPoll
    from airflow_provider_ghl.triggers.ghl import GHLContactEventTrigger

    def searches() -> int:
        return sandbox.stats().get("op:search_contacts", 0)

    hook = GHLAsyncHook()
    trigger = GHLContactEventTrigger(first_run="skip")
    sandbox.control("DELETE", "stats")
    started = time.perf_counter()
    _, cursor = await trigger.poll_once(hook)  # the first poll: remember what exists (a whole listing, once)
    first = {"requests": searches(), "seconds": time.perf_counter() - started}
    await trigger.save_cursor(cursor)

    sandbox.control("DELETE", "stats")
    started = time.perf_counter()
    for _ in range(polls):
        payload, _ = await trigger.poll_once(hook)
        assert payload is None, "an idle poll found a change"
    now = {"requests": searches() / polls, "seconds": (time.perf_counter() - started) / polls}

    sandbox.control("DELETE", "stats")
    started = time.perf_counter()
    for _ in range(polls):  # the baseline: the former poll_once, a whole listing compared with the cursor
        records = [record async for record in hook.apaginate("search_contacts")]
        verdict = CollectionPoll(operation="search_contacts", watch="updated", cursor=cursor).evaluate(
            records, datetime.now(UTC))
        assert not verdict.done, "an idle poll found a change"
    before = {"requests": searches() / polls, "seconds": (time.perf_counter() - started) / polls}
    return {"first_requests": first["requests"], "first_s": first["seconds"], "now_requests": now["requests"],
            "now_s": now["seconds"], "baseline_requests": before["requests"], "baseline_s": before["seconds"]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--polls", type=int, default=5)
    args = parser.parse_args()
    results: dict[int, dict[str, float]] = {}
    with Sandbox(contacts=min(args.contacts), rate_limits=False, startup_timeout=600) as sandbox:
        os.environ["AIRFLOW_CONN_GHL_DEFAULT"] = sandbox.connection_json("full")
        for size in args.contacts:
            started = time.perf_counter()
            sandbox.reset(contacts=size)
            sandbox.configure(rate_limits={"enabled": False})
            seeded = time.perf_counter() - started
            results[size] = asyncio.run(measure(sandbox, args.polls))
            print(f"seeded {size:,} contacts in {seeded:.1f} s", flush=True)
    print(f"{'contacts':>9} | {'requests per idle poll':^26} | {'requests a day, 1-min poll':^31} | "
          f"{'seconds per idle poll':^23} | first poll")
    print(f"{'':>9} | {'baseline':>8} {'now':>6} {'ratio':>9} | {'baseline':>10} {'now':>8} {'budget':>10} | "
          f"{'baseline':>10} {'now':>10} | requests")
    ok = True
    for size, r in results.items():
        ratio = r["baseline_requests"] / max(r["now_requests"], 1e-9)
        daily_before, daily_now = r["baseline_requests"] * POLLS_A_DAY, r["now_requests"] * POLLS_A_DAY
        print(f"{size:>9,} | {r['baseline_requests']:>8.1f} {r['now_requests']:>6.1f} {ratio:>8.1f}x | "
              f"{daily_before:>10,.0f} {daily_now:>8,.0f} {DAILY_BUDGET:>10,} | "
              f"{r['baseline_s']:>10.3f} {r['now_s']:>10.3f} | {r['first_requests']:>8.0f}")
        ok = ok and r["now_requests"] <= 1
    print(f"target: 1 request per idle poll at every size: {'met' if ok else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
