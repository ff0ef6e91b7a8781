"""GHLHook benchmarks against the sandbox: ``python bench/bench_hook.py [export|overhead|naive|all]``.

* export: 20,000 contacts through ``paginate("list_contacts")`` with HighLevel's real limits
  (100 requests / 10 s): wall time / (requests / 10 per s) must be <= 1.10, with no failed request.
* overhead: ``get_contact`` requests per second through the hook vs a raw ``httpx.Client``, limits off.
* naive: the same export as a plain loop (what HttpOperator or the official SDK give you: no pacing,
  no retries), with the real limits and with 10% injected faults.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time

os.environ.setdefault("AIRFLOW_HOME", tempfile.mkdtemp(prefix="ghl-bench-"))
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")

import httpx

from airflow_provider_ghl.hooks.ghl import GHLHook, InMemoryTokenStore
from airflow_provider_ghl.sandbox import Sandbox

FAULTS = {"rate": 0.1, "seed": 7, "delay_s": 2, "kinds": {"500": 1, "502": 1, "503": 1, "429": 1, "timeout": 1,
                                                            "disconnect": 1}}


def hook_for(sandbox: Sandbox, **kwargs) -> GHLHook:
    os.environ["AIRFLOW_CONN_GHL_BENCH"] = sandbox.connection_json("full")
    return GHLHook("ghl_bench", token_store=InMemoryTokenStore(), **kwargs)


def bench_export(contacts: int = 20_000) -> dict:
    with Sandbox(contacts=contacts, rate_limits=True) as sandbox:
        hook = hook_for(sandbox)
        started = time.monotonic()
        records = {r["id"] for r in hook.paginate("list_contacts", page_size=100)}
        wall = time.monotonic() - started
        stats = sandbox.stats()
    requests = stats["op:list_contacts"]
    bound = requests / 10
    failed = sum(v for k, v in stats.items() if k.startswith("status:") and not k.startswith("status:2"))
    return {"bench": "export", "records": len(records), "requests": requests, "wall_s": round(wall, 2),
            "lower_bound_s": bound, "ratio": round(wall / bound, 3), "failed_requests": failed}


def bench_overhead(calls: int = 3000, rounds: int = 3) -> dict:
    with Sandbox(contacts=200, rate_limits=False) as sandbox:
        hook = hook_for(sandbox)
        contact_id = sandbox.control("GET", "tables/contacts")[0]["id"]
        headers = {"Authorization": f"Bearer {sandbox.connection('full')['password']}", "Version": "2021-07-28"}
        raw = httpx.Client(base_url=sandbox.base_url, headers=headers, timeout=30)
        hook.call("get_contact", contact_id=contact_id)
        raw.get(f"/contacts/{contact_id}").raise_for_status()
        totals = {"raw": 0.0, "hook": 0.0}
        for _ in range(rounds):  # interleaved, so both see the same machine load
            started = time.perf_counter()
            for _ in range(calls):
                raw.get(f"/contacts/{contact_id}").raise_for_status()
            totals["raw"] += time.perf_counter() - started
            started = time.perf_counter()
            for _ in range(calls):
                hook.call("get_contact", contact_id=contact_id)
            totals["hook"] += time.perf_counter() - started
        raw.close()
        hook.close()
    raw_rps, hook_rps = calls * rounds / totals["raw"], calls * rounds / totals["hook"]
    return {"bench": "overhead", "raw_rps": round(raw_rps), "hook_rps": round(hook_rps),
            "ratio": round(hook_rps / raw_rps, 3)}


def naive_export(sandbox: Sandbox) -> tuple[int, str | None]:
    """A user's loop: follow meta's cursor, raise on any error (no pacing, no retries)."""
    headers = {"Authorization": f"Bearer {sandbox.connection('full')['password']}", "Version": "2021-07-28"}
    params: dict = {"locationId": sandbox.location_id, "limit": 100}
    seen = 0
    with httpx.Client(base_url=sandbox.base_url, headers=headers, timeout=30) as client:
        while True:
            try:
                response = client.get("/contacts/", params=params)
                response.raise_for_status()
                page = response.json()
            except (httpx.HTTPError, ValueError) as error:
                return seen, type(error).__name__ + (f" {error.response.status_code}"
                                                     if isinstance(error, httpx.HTTPStatusError) else "")
            seen += len(page["contacts"])
            meta = page.get("meta") or {}
            if len(page["contacts"]) < 100 or not meta.get("startAfterId"):
                return seen, None
            params.update(startAfterId=meta["startAfterId"], startAfter=meta["startAfter"])


def bench_naive(contacts: int = 20_000) -> dict:
    result: dict = {"bench": "naive"}
    with Sandbox(contacts=contacts, rate_limits=True) as sandbox:
        started = time.monotonic()
        seen, error = naive_export(sandbox)
        result["real_limits"] = {"records": seen, "failed_with": error, "wall_s": round(time.monotonic() - started, 2)}
        sandbox.configure(rate_limits={"enabled": False}, faults=FAULTS)
        runs = []
        for seed in range(5):
            sandbox.configure(faults={"seed": seed})
            started = time.monotonic()
            seen, error = naive_export(sandbox)
            runs.append({"records": seen, "failed_with": error, "wall_s": round(time.monotonic() - started, 2)})
        result["faults_10pct"] = runs
        hook = hook_for(sandbox, timeout=1.0)
        started = time.monotonic()
        records = {r["id"] for r in hook.paginate("list_contacts", page_size=100)}
        result["hook_with_faults"] = {"records": len(records), "wall_s": round(time.monotonic() - started, 2)}
    return result


if __name__ == "__main__":
    modes = sys.argv[1:] or ["all"]
    benches = {"export": bench_export, "overhead": bench_overhead, "naive": bench_naive}
    for name, bench in benches.items():
        if name in modes or "all" in modes:
            print(json.dumps(bench()), flush=True)
