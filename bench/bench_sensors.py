"""100 sensors waiting at once: deferred (one triggerer process) vs poke mode (a worker slot each).

Deferred: 100 ``GHLPollTrigger`` s (what the sensors hand to the triggerer) run in one asyncio
process, each polling a contact that does not exist yet; we measure the resident memory each
waiting trigger adds and the CPU the process spends per poll cycle (100 polls). Poke mode: each
waiting sensor is a task process holding a worker slot; we run a few such processes (Airflow and
the provider imported, the sensor poking) and measure one's memory and CPU per poke, times 100.
Both against the sandbox on loopback, rate limits off, in the same run.

    python bench/bench_sensors.py [--sensors 100] [--cycles 5]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys

from airflow_provider_ghl.sandbox import Sandbox

DEFERRED = """
import asyncio, json, os, resource, sys, time
from airflow_provider_ghl.triggers.ghl import GHLPollTrigger

def rss_kb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4

count, cycles, interval = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])

def spec(i):
    return {"operation": "get_contact", "poll_kind": "record", "record_key": "contact", "condition": None,
            "arguments": {"contact_id": f"missing-contact-{i}", "body": None, "query": None, "location_id": None}}

async def main():
    import airflow_provider_ghl.hooks.ghl  # imported by the first trigger anyway: not per-trigger memory
    before = rss_kb()
    triggers = [GHLPollTrigger(spec=spec(i), poll_interval=interval) for i in range(count)]
    runs = [asyncio.ensure_future(anext(t.run())) for t in triggers]
    await asyncio.sleep(interval / 2)  # every trigger has made its first poll (clients, connections)
    cpu0, wall0 = time.process_time(), time.perf_counter()
    await asyncio.sleep(interval * cycles)
    cpu = time.process_time() - cpu0
    after = rss_kb()
    for run in runs:
        run.cancel()
    print(json.dumps({"per_trigger_kb": (after - before) / count, "total_kb": after, "cpu_per_cycle_s": cpu / cycles,
                      "done": sum(r.done() and not r.cancelled() for r in runs)}))

asyncio.run(main())
"""

POKE = """
import json, os, sys, time
from airflow_provider_ghl.sensors.contacts import GHLGetContactSensor

def rss_kb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4

cycles, interval = int(sys.argv[1]), float(sys.argv[2])
sensor = GHLGetContactSensor(task_id="wait", contact_id=f"missing-contact-{os.getpid()}", poke_interval=interval)
sensor.poke({})
cpu0 = time.process_time()
for _ in range(cycles):
    assert sensor.poke({}) is False
    time.sleep(interval)
print(json.dumps({"rss_kb": rss_kb(), "cpu_per_poke_s": (time.process_time() - cpu0) / cycles}))
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sensors", type=int, default=100)
    parser.add_argument("--cycles", type=int, default=5)
    parser.add_argument("--interval", type=float, default=1.0)
    parser.add_argument("--poke-samples", type=int, default=4, help="poke-mode processes actually started")
    args = parser.parse_args()
    with Sandbox(contacts=200, rate_limits=False) as sandbox:
        env = {**os.environ, "AIRFLOW_CONN_GHL_DEFAULT": sandbox.connection_json("full"),
               "AIRFLOW__LOGGING__LOGGING_LEVEL": "ERROR"}
        run = lambda code, *a: json.loads(subprocess.run(  # noqa: E731
            [sys.executable, "-c", code, *map(str, a)], capture_output=True, text=True, env=env, check=True,
        ).stdout.strip().splitlines()[-1])
        deferred = run(DEFERRED, args.sensors, args.cycles, args.interval)
        pokers = [subprocess.Popen([sys.executable, "-c", POKE, str(args.cycles), str(args.interval)],
                                   stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
                  for _ in range(args.poke_samples)]
        samples = [json.loads(p.communicate()[0].strip().splitlines()[-1]) for p in pokers]
    poke_rss_kb = statistics.median(s["rss_kb"] for s in samples)
    poke_cpu = statistics.median(s["cpu_per_poke_s"] for s in samples)
    n = args.sensors
    rows = [
        ("worker slots held", "0", f"{n}"),
        ("processes", "1 triggerer", f"{n} task processes (+ their supervisors)"),
        ("memory, total", f"{deferred['total_kb'] / 1024:.0f} MiB", f"{n * poke_rss_kb / 1024:,.0f} MiB"),
        ("memory per waiting sensor", f"{deferred['per_trigger_kb']:.0f} KiB", f"{poke_rss_kb / 1024:.0f} MiB"),
        ("CPU per poll cycle (all sensors)", f"{deferred['cpu_per_cycle_s'] * 1000:.0f} ms",
         f"{n * poke_cpu * 1000:.0f} ms"),
    ]
    print(f"{n} sensors waiting for a contact, polling every {args.interval:g} s ({args.cycles} cycles)")
    print(f"{'':34}{'deferred':>16}   {'poke mode':<}")
    for label, deferred_value, poke_value in rows:
        print(f"{label:34}{deferred_value:>16}   {poke_value}")
    print(f"(poke mode measured on {args.poke_samples} real sensor processes and scaled to {n}; "
          f"{deferred['done']} triggers fired early: expected 0)")
    return 0 if deferred["done"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
