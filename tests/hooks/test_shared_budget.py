"""Eight export processes share one location's rate budget on the real sandbox (loopback, a scaled window).

Each process is a task as Celery's prefork pool runs it: forked, its own hook, nothing shared in memory; the
server's ``X-RateLimit-*`` headers are all the pacers share. ``bench/bench_shared_budget.py`` measures the
same at size; this is its quick form for CI.
"""

from __future__ import annotations

import json
import multiprocessing
import time

from airflow_provider_ghl.transfers.export import GHLExportOperator

EXPORTS, PAGE_SIZE, BURST_MAX, INTERVAL_MS = 8, 20, 30, 1000


def _export(path: str, ready, results) -> None:
    outcome: dict = {"ok": False}
    try:
        operator = GHLExportOperator(task_id="export", operation="list_contacts", path=path, mode="full",
                                     page_size=PAGE_SIZE, ghl_conn_id="ghl_shared")
        operator.hook.prepare("list_contacts")  # the connection is read before the start signal
        ready.wait(60)
        operator.execute({})
        with open(path) as lines:
            outcome = {"ok": True, "ids": len({json.loads(line)["id"] for line in lines})}
    except BaseException as error:
        outcome = {"ok": False, "error": repr(error)}
    finally:
        outcome["ended"] = time.monotonic()
        results.put(outcome)


def test_eight_export_processes_share_one_budget_without_failing(fresh_sandbox, tmp_path, monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_GHL_SHARED", fresh_sandbox.connection_json("full"))
    fresh_sandbox.configure(rate_limits={"enabled": True, "burst_max": BURST_MAX, "interval_ms": INTERVAL_MS})
    contacts = len([r for r in fresh_sandbox.control("GET", "tables/contacts")
                    if r.get("locationId") == fresh_sandbox.location_id])
    time.sleep(INTERVAL_MS / 1000)  # the count above used no slot, but start from an empty window anyway
    fresh_sandbox.control("DELETE", "stats")
    context = multiprocessing.get_context("fork")  # forked workers skip re-importing Airflow
    ready, results = context.Barrier(EXPORTS + 1), context.Queue()
    workers = [context.Process(target=_export, args=(str(tmp_path / f"{i}.jsonl"), ready, results))
               for i in range(EXPORTS)]
    [w.start() for w in workers]
    ready.wait(60)
    started = time.monotonic()
    outcomes = [results.get(timeout=120) for _ in workers]
    [w.join(30) for w in workers]
    stats = fresh_sandbox.stats()
    assert all(o["ok"] and o["ids"] == contacts for o in outcomes), outcomes
    refused, accepted = stats.get("status:429", 0), stats["requests"] - stats.get("status:429", 0)
    assert accepted == EXPORTS * (contacts // PAGE_SIZE + 1)
    assert refused <= 0.25 * accepted, f"{refused} 429s for {accepted} requests"
    bound = accepted / BURST_MAX * INTERVAL_MS / 1000  # the limit's sustained rate
    wall = max(o["ended"] for o in outcomes) - started
    assert wall / bound <= 1.6, f"{wall:.2f}s against a bound of {bound:.2f}s"
