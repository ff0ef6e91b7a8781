"""DAG-parse cost: importing every GHL operator module vs importing Airflow's HTTP operator, in one run.

DAG files import the provider on every parse. Each measurement is a fresh interpreter that first
imports ``airflow.sdk`` (every DAG file does), then the modules under test; we record the import's
wall time and the growth of the process's resident memory. Target: ratio <= 1.2 for both.

    python bench/bench_import.py [--runs 7]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys

GHL_OPERATORS = [
    "airflow_provider_ghl.operators.associations", "airflow_provider_ghl.operators.blogs",
    "airflow_provider_ghl.operators.businesses", "airflow_provider_ghl.operators.calendars",
    "airflow_provider_ghl.operators.contacts", "airflow_provider_ghl.operators.conversations",
    "airflow_provider_ghl.operators.locations", "airflow_provider_ghl.operators.opportunities",
    "airflow_provider_ghl.operators.users",
]
HTTP_OPERATOR = ["airflow.providers.http.operators.http"]

PROBE = """
import importlib, json, sys, time
def rss_kb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4
import airflow.sdk  # what every DAG file pays anyway
before_kb, started = rss_kb(), time.perf_counter()
for name in sys.argv[1:]:
    importlib.import_module(name)
print(json.dumps({"seconds": time.perf_counter() - started, "kb": rss_kb() - before_kb}))
"""


def measure(modules: list[str], runs: int) -> tuple[float, float]:
    seconds, kbs = [], []
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-c", PROBE, *modules], capture_output=True, text=True, check=True)
        sample = json.loads(out.stdout.strip().splitlines()[-1])
        seconds.append(sample["seconds"])
        kbs.append(sample["kb"])
    return statistics.median(seconds), statistics.median(kbs)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    try:
        import airflow.providers.http  # noqa: F401
    except ImportError:
        print("apache-airflow-providers-http is needed for the baseline: pip install apache-airflow-providers-http")
        return 2
    # Interleave the two so machine noise hits both alike.
    ghl_s, ghl_kb, http_s, http_kb = [], [], [], []
    for _ in range(args.runs):
        s, kb = measure(GHL_OPERATORS, 1)
        ghl_s.append(s)
        ghl_kb.append(kb)
        s, kb = measure(HTTP_OPERATOR, 1)
        http_s.append(s)
        http_kb.append(kb)
    g_s, g_kb, h_s, h_kb = (statistics.median(v) for v in (ghl_s, ghl_kb, http_s, http_kb))
    time_ratio, memory_ratio = g_s / h_s, g_kb / max(h_kb, 1)
    print(f"import all 9 GHL operator modules (69 operators): {g_s * 1000:.1f} ms, +{g_kb / 1024:.1f} MiB RSS")
    print(f"import airflow.providers.http.operators.http:       {h_s * 1000:.1f} ms, +{h_kb / 1024:.1f} MiB RSS")
    print(f"ratio time {time_ratio:.2f}, memory {memory_ratio:.2f} (target <= 1.2 each; median of {args.runs} runs)")
    return 0 if time_ratio <= 1.2 and memory_ratio <= 1.2 else 1


if __name__ == "__main__":
    sys.exit(main())
