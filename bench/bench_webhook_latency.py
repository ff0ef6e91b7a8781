"""Latency from a write in HighLevel to the DAG run being queued: webhook vs polling watcher, in one run.

One sandbox (``--webhook-url`` at the API server's receiver) and one Airflow deployment (api-server,
scheduler, dag-processor, triggerer; LocalExecutor, SQLite) with two DAGs on two assets:

- ``bench_webhook``: scheduled on ``ghl_asset(location, "contacts")``, fed by the sandbox's signed webhooks;
- ``bench_polling``: scheduled on an asset watched by ``GHLContactEventTrigger(watch="added",
  poll_interval=P)`` in the triggerer (the example DAG's fallback).

Each sample waits a random part of the poll interval (seeded), creates one contact through the API, then
waits for a new run of both DAGs; the latency of each is the run's ``queued_at`` minus the moment the
write was sent. Goal: webhook p50 under 2 s.

    python bench/bench_webhook_latency.py [--samples 10] [--poll-interval 5]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from airflow_provider_ghl.sandbox import Sandbox  # noqa: E402
from tests.webhooks.stack import AirflowStack, free_port  # noqa: E402

DAGS = '''
import pendulum
from airflow.sdk import Asset, AssetWatcher, dag, task

from airflow_provider_ghl.assets import ghl_asset
from airflow_provider_ghl.triggers.ghl import GHLContactEventTrigger

DEFAULTS = dict(start_date=pendulum.datetime(2026, 1, 1, tz="UTC"), catchup=False, is_paused_upon_creation=False)
POLLED = Asset("bench_polled_contacts", watchers=[AssetWatcher(
    name="bench_contacts_watcher",
    trigger=GHLContactEventTrigger(watch="added", poll_interval={poll_interval}, first_run="skip"))])


@dag(schedule=[ghl_asset("{location}", "contacts")], **DEFAULTS)
def bench_webhook():
    @task
    def noop() -> None:
        pass

    noop()


@dag(schedule=[POLLED], **DEFAULTS)
def bench_polling():
    @task
    def noop() -> None:
        pass

    noop()


bench_webhook()
bench_polling()
'''
FEEDS = ("bench_webhook", "bench_polling")


def queued_at(value: str) -> float:
    moment = datetime.fromisoformat(value)
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=10)
    parser.add_argument("--poll-interval", type=float, default=5.0, help="the watcher's poll_interval (default 5 s)")
    args = parser.parse_args()

    port = free_port()
    started = time.monotonic()
    with Sandbox(seed=5, contacts=50, rate_limits=False,
                 extra_args=["--webhook-url", f"http://127.0.0.1:{port}/ghl/webhooks"]) as sandbox:
        dags = {"bench_webhook_latency.py": DAGS.format(location=sandbox.location_id, poll_interval=args.poll_interval)}
        env = {"AIRFLOW__GHL__WEBHOOK_PUBLIC_KEY": sandbox.webhook_public_key,
               "AIRFLOW_CONN_GHL_DEFAULT": sandbox.connection_json("full")}
        with AirflowStack(dags, env, port=port, triggerer=True) as stack:
            stack.wait(lambda: all(stack.query("SELECT 1 FROM dag WHERE dag_id = ? AND NOT is_paused", d) for d in FEEDS)
                       and stack.query("SELECT 1 FROM asset WHERE uri = ?", f"ghl://{sandbox.location_id}/contacts"),
                       120, "both DAGs parsed")
            # The watcher's first poll remembers what exists ("skip"): wait until it has polled once.
            stack.wait(lambda: stack.query("SELECT 1 FROM trigger"), 60, "the watcher's trigger")
            time.sleep(args.poll_interval + 1)
            print(f"deployment ready in {time.monotonic() - started:.1f} s "
                  f"(sandbox, airflow db migrate, api-server, scheduler, dag-processor, triggerer)", flush=True)
            headers = {"Authorization": f"Bearer {sandbox.connection('full')['password']}", "Version": "2021-07-28"}
            latencies: dict[str, list[float]] = {feed: [] for feed in FEEDS}
            pause = random.Random(0).uniform
            for n in range(args.samples):
                # Writes land at a random phase of the poll cycle (waiting for the previous run would sync them).
                time.sleep(pause(0, args.poll_interval))
                seen = {feed: len(stack.runs(feed)) for feed in FEEDS}
                written = time.time()
                response = httpx.post(f"{sandbox.base_url}/contacts/", headers=headers, timeout=30, trust_env=False,
                                      json={"locationId": sandbox.location_id, "firstName": f"Bench{n}",
                                            "email": f"bench{n}@example.com"})
                response.raise_for_status()
                for feed in FEEDS:
                    run = stack.wait(lambda feed=feed, seen=seen: stack.runs(feed)[seen[feed]:], 4 * args.poll_interval + 60,
                                     f"a run of {feed}", every=0.05)[0]
                    latencies[feed].append(queued_at(run["queued_at"]) - written)
                print(f"  sample {n + 1}: webhook {latencies['bench_webhook'][-1]:.2f} s, "
                      f"polling {latencies['bench_polling'][-1]:.2f} s", flush=True)
            answer = sandbox.deliveries(wait=10)
            deliveries = answer["counts"]
            delivery_s = [d["latency_s"] for d in answer["deliveries"] if d["latency_s"] is not None]

    print(f"\nLatency from the write to the DAG run queued, {args.samples} contacts "
          f"(polling watcher: poll_interval={args.poll_interval:g} s)")
    print(f"{'feed':<10} {'p50':>7} {'p90':>7} {'max':>7}")
    for feed, label in zip(FEEDS, ("webhook", "polling"), strict=True):
        values = latencies[feed]
        print(f"{label:<10} {statistics.median(values):>6.2f}s {percentile(values, 0.9):>6.2f}s {max(values):>6.2f}s")
    print(f"  webhook delivery alone (queued in the sandbox -> receiver answered, asset event committed): "
          f"p50 {statistics.median(delivery_s):.2f}s, max {max(delivery_s):.2f}s; the rest is the scheduler")
    ratio = statistics.median(latencies["bench_polling"]) / statistics.median(latencies["bench_webhook"])
    print(f"polling p50 / webhook p50: {ratio:.1f}x; webhook deliveries: {deliveries['sent']} sent, "
          f"{deliveries['failed']} failed")
    goal = statistics.median(latencies["bench_webhook"]) < 2.0
    print(f"goal webhook p50 < 2 s: {'met' if goal else 'NOT met'}")
    return 0 if goal else 1


if __name__ == "__main__":
    sys.exit(main())
