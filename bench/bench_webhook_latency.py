"""Latency from a write in HighLevel to the DAG run being queued: webhook vs polling watcher, in one run.

One sandbox (``--webhook-url`` at the API server's receiver) and one Airflow deployment (api-server,
scheduler, dag-processor, triggerer; LocalExecutor, SQLite) with two DAGs on two assets:

- ``bench_webhook``: scheduled on ``ghl_asset(location, "contacts")``, fed by the sandbox's signed webhooks;
- ``bench_polling``: scheduled on an asset watched by ``GHLContactEventTrigger(watch="added",
  poll_interval=P)`` in the triggerer (the example DAG's fallback).

Each sample waits a random part of the poll interval (seeded), creates one contact through the API, then
waits for a new run of both DAGs; the latency of each is the run's ``queued_at`` minus the moment the
write was sent. Goal: webhook p50 under 2 s.

Most of a webhook's latency is the scheduler's loop: ``--scheduler-idle-sleep S`` sets
``[scheduler] scheduler_idle_sleep_time`` (Airflow's default: 1 s).

    python bench/bench_webhook_latency.py [--samples 10] [--poll-interval 5] [--scheduler-idle-sleep 1]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from airflow_provider_ghl.sandbox import Sandbox  # noqa: E402
from tests.webhooks.airflow_processes import Airflow  # noqa: E402

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


class AirflowWithTriggerer(Airflow):
    """The tests' Airflow plus a triggerer, for the polling watcher."""

    def __enter__(self) -> AirflowWithTriggerer:
        super().__enter__()
        self._start("triggerer", "triggerer")
        return self


def runs(airflow: Airflow, dag_id: str) -> list[dict]:
    return airflow.rest("GET", f"/dags/{dag_id}/dagRuns", params={"limit": 100, "order_by": "id"}).json()["dag_runs"]


def queued_at(run: dict) -> float:
    return datetime.fromisoformat(run["queued_at"]).timestamp()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=10)
    parser.add_argument("--poll-interval", type=float, default=5.0, help="the watcher's poll_interval (default 5 s)")
    parser.add_argument("--scheduler-idle-sleep", type=float, help="[scheduler] scheduler_idle_sleep_time (default 1 s)")
    args = parser.parse_args()

    started = time.monotonic()
    dags = Path(tempfile.mkdtemp(prefix="ghl-bench-dags-"))
    tuning = {} if args.scheduler_idle_sleep is None else {
        "AIRFLOW__SCHEDULER__SCHEDULER_IDLE_SLEEP_TIME": str(args.scheduler_idle_sleep)}
    airflow = AirflowWithTriggerer(dags, env=tuning)
    with Sandbox(seed=5, contacts=50, rate_limits=False,
                 extra_args=["--webhook-url", f"{airflow.url}/ghl/webhooks"]) as sandbox:
        (dags / "bench_webhook_latency.py").write_text(
            DAGS.format(location=sandbox.location_id, poll_interval=args.poll_interval))
        airflow.env.update({"AIRFLOW__GHL__WEBHOOK_PUBLIC_KEY": sandbox.webhook_public_key,
                            "AIRFLOW_CONN_GHL_DEFAULT": sandbox.connection_json("full")})
        with airflow:
            uri = f"ghl://{sandbox.location_id}/contacts"
            airflow.wait(lambda: all(not airflow.rest("GET", f"/dags/{d}").json().get("is_paused", True) for d in FEEDS)
                         and airflow.rest("GET", "/assets", params={"uri_pattern": uri}).json()["assets"],
                         "both DAGs parsed", timeout=180)
            # The watcher's first poll remembers what exists ("skip"): give it a poll before the first write.
            time.sleep(args.poll_interval + 2)
            print(f"deployment ready in {time.monotonic() - started:.1f} s "
                  f"(sandbox, airflow db migrate, api-server, scheduler, dag-processor, triggerer)", flush=True)
            headers = {"Authorization": f"Bearer {sandbox.connection('full')['password']}", "Version": "2021-07-28"}
            latencies: dict[str, list[float]] = {feed: [] for feed in FEEDS}
            pause = random.Random(0).uniform
            for n in range(args.samples):
                # Writes land at a random phase of the poll cycle (waiting for the previous run would sync them).
                time.sleep(pause(0, args.poll_interval))
                seen = {feed: len(runs(airflow, feed)) for feed in FEEDS}
                written = time.time()
                response = httpx.post(f"{sandbox.base_url}/contacts/", headers=headers, timeout=30, trust_env=False,
                                      json={"locationId": sandbox.location_id, "firstName": f"Bench{n}",
                                            "email": f"bench{n}@example.com"})
                response.raise_for_status()
                for feed in FEEDS:
                    deadline = time.monotonic() + 4 * args.poll_interval + 60
                    while not (new := runs(airflow, feed)[seen[feed]:]) and time.monotonic() < deadline:
                        time.sleep(0.05)
                    if not new:
                        raise TimeoutError(f"no run of {feed} after the write\n{airflow.log('scheduler')[-3000:]}")
                    latencies[feed].append(queued_at(new[0]) - written)
                print(f"  sample {n + 1}: webhook {latencies['bench_webhook'][-1]:.2f} s, "
                      f"polling {latencies['bench_polling'][-1]:.2f} s", flush=True)
            answer = sandbox.deliveries(wait=10)
            deliveries = answer["counts"]
            delivery_s = [d["latency_s"] for d in answer["deliveries"] if d["latency_s"] is not None]

    idle = "Airflow's default 1" if args.scheduler_idle_sleep is None else f"{args.scheduler_idle_sleep:g}"
    print(f"\nLatency from the write to the DAG run queued, {args.samples} contacts "
          f"(polling watcher: poll_interval={args.poll_interval:g} s; scheduler_idle_sleep_time: {idle} s)")
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
