"""Export memory and speed: 50,000 vs 5,000 contacts, and the export vs the hook's paginate alone.

Each export runs in a fresh process (the task process); memory growth is its peak resident memory
minus its resident memory just before the export starts. Rate limits off. Targets: growth(50k) /
growth(5k) <= 1.5 (memory does not scale with the record count), and records/s of the export vs
records/s of ``GHLHook.paginate`` alone, in the same run, >= 0.8.

    python bench/bench_export.py [--large 50000] [--small 5000]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile

from airflow_provider_ghl.sandbox import Sandbox

TASK = """
import json, os, resource, sys, time
from airflow_provider_ghl.hooks.ghl import GHLHook
from airflow_provider_ghl.transfers.export import GHLExportOperator

def rss_kb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4

mode, target = sys.argv[1], sys.argv[2]
operator = GHLExportOperator(task_id="export", operation="search_contacts", path=target, mode="full")
hook = GHLHook()
next(iter(hook.paginate("search_contacts", max_records=1)))  # connection, client, imports: not the export
before = rss_kb()
started = time.perf_counter()
if mode == "export":
    operator.__dict__["hook"] = hook
    count = operator.execute({})["count"]
else:
    count = sum(1 for _ in hook.paginate("search_contacts"))
elapsed = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"count": count, "seconds": elapsed, "growth_kb": max(peak - before, 0)}))
"""


def run(mode: str, target: str, env: dict) -> dict:
    out = subprocess.run([sys.executable, "-c", TASK, mode, target], capture_output=True, text=True, env=env, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--large", type=int, default=50_000)
    parser.add_argument("--small", type=int, default=5_000)
    args = parser.parse_args()
    results = {}
    with tempfile.TemporaryDirectory() as folder, Sandbox(contacts=args.small, rate_limits=False,
                                                          startup_timeout=300) as sandbox:
        env = {**os.environ, "AIRFLOW_CONN_GHL_DEFAULT": sandbox.connection_json("full"),
               "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING"}
        for size in (args.small, args.large):
            sandbox.reset(contacts=size)
            sandbox.configure(rate_limits={"enabled": False})
            results[size] = {mode: run(mode, os.path.join(folder, f"{size}.jsonl"), env)
                             for mode in ("paginate", "export")}
    small, large = results[args.small]["export"], results[args.large]["export"]
    growth_ratio = large["growth_kb"] / max(small["growth_kb"], 1)
    for modes in results.values():
        for mode, r in modes.items():
            print(f"{mode:>8} {r['count']:>7,} contacts: {r['seconds']:6.2f} s, {r['count'] / r['seconds']:8,.0f} records/s, "
                  f"peak memory growth {r['growth_kb'] / 1024:6.1f} MiB")
    speed = (large["count"] / large["seconds"]) / (results[args.large]["paginate"]["count"]
                                                   / results[args.large]["paginate"]["seconds"])
    print(f"memory growth {args.large:,} vs {args.small:,}: ratio {growth_ratio:.2f} (target <= 1.5)")
    print(f"export vs paginate alone ({args.large:,}): ratio {speed:.2f} records/s (target >= 0.8)")
    return 0 if growth_ratio <= 1.5 and speed >= 0.8 else 1


if __name__ == "__main__":
    sys.exit(main())
