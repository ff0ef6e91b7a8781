"""One location's rate budget shared by 8 exports on 2 workers: ``python bench/bench_shared_budget.py``.

HighLevel's burst limit is per app per location, so every task exporting one location spends the same
budget, whichever worker runs it. This bench starts one sandbox (its own process, loopback) and two
"workers", each a parent process that imports Airflow and forks 4 task processes, as Celery's prefork pool
does; each task runs a ``GHLExportOperator`` (``list_contacts``, full, JSON lines) with its own hook. Nothing
is shared in memory: the only state the 8 pacers share is the server's ``X-RateLimit-*`` headers.

Measured per pacer, each run in the same sandbox, alternating (``--rounds``):

* failed exports (an exception, or a file without every contact), 429s the server answered, requests;
* wall time, from the start signal to the last export's end;
* the lower bound: ``accepted requests / Max * interval``, the time the limit needs to admit that many
  requests at its sustained rate (accepted = requests - 429s; refused requests use no slot). A sliding
  window admits a first burst of ``Max`` at once, so a perfect schedule can end up to one interval
  sooner: the bound is the sustained-rate one, as in ``bench_hook.py``.

Goal: 0 failed exports and wall / bound <= 1.2. ``before`` is the pacer as it was (``bench/_baseline_pacer.py``),
``after`` the provider's. Each round first runs the same exports with the limits off (``capacity``): when the
machine is so busy that 8 exports cannot even reach the limit's rate, that run's wall time says so.

The window is scaled: ``Max`` stays HighLevel's 100 (the burst size, which is what 8 clients race for) and the
interval is 2 s instead of 10 (``--interval-ms 10000`` for the real one), so 8 x 5,000 contacts (408
requests, four windows) take ~8 s per run instead of ~40. Request latency on loopback (a few ms) stays
small against either interval.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
GOAL_RATIO = 1.2
PACERS = ("before", "after")
MARK = "@bench"
"""Starts the workers' own lines on stdout (Airflow may print there too)."""


def ours(lines):
    """The worker's own lines, without the mark."""
    return (line.split(" ", 1)[1].strip() for line in lines if line.startswith(MARK + " "))


# -- one worker: a parent that forks its task processes (Celery prefork) -------------------------
def worker(tasks: int, pacer: str, folder: str, name: str, contacts: int) -> None:
    import multiprocessing

    from airflow_provider_ghl.transfers.export import GHLExportOperator  # imported before forking, as Celery does

    context = multiprocessing.get_context("fork")
    ready, go, results = context.Barrier(tasks + 1), context.Event(), context.Queue()
    children = [context.Process(target=task, args=(GHLExportOperator, pacer, f"{folder}/{name}-{i}.jsonl",
                                                   contacts, ready, go, results)) for i in range(tasks)]
    for child in children:
        child.start()
    ready.wait()
    print(MARK, "ready", flush=True)
    sys.stdin.readline()  # "go"
    go.set()
    for _ in children:
        print(MARK, json.dumps(results.get()), flush=True)
    for child in children:
        child.join()


def task(operator_class, pacer: str, path: str, contacts: int, ready, go, results) -> None:
    from airflow_provider_ghl.hooks import protocol
    from airflow_provider_ghl.hooks.ghl import GHLHook

    if pacer == "before":
        sys.path.insert(0, str(HERE))
        from _baseline_pacer import BaselinePacer

        protocol.RatePacer = BaselinePacer  # type: ignore[misc]
    operator = operator_class(task_id="export", operation="list_contacts", path=path, mode="full", page_size=100)
    hook = GHLHook()
    hook.flows  # noqa: B018 - the connection is read before the start, like the task's setup
    operator.__dict__["hook"] = hook
    ready.wait()
    go.wait()
    started = time.time()
    error = None
    try:
        count = operator.execute({})["count"]
        with open(path) as lines:
            records = len({json.loads(line)["id"] for line in lines})
    except Exception as failure:  # a failed export is a measurement here
        count, records, error = 0, 0, f"{type(failure).__name__}: {failure}"[:300]
    results.put({"started": started, "ended": time.time(), "count": count, "records": records, "error": error,
                 "ok": error is None and records == contacts})


# -- the run ----------------------------------------------------------------------------------------
def run_once(sandbox, pacer: str, contacts: int, workers: int, tasks: int, interval_s: float,
             limited: bool = True) -> dict:
    sandbox.configure(rate_limits={"enabled": limited})
    time.sleep(interval_s + 0.1)  # an empty window at the start of each run
    sandbox.control("DELETE", "stats")
    env = {**os.environ, "AIRFLOW_CONN_GHL_DEFAULT": sandbox.connection_json("full"),
           "PYTHONPATH": os.pathsep.join(filter(None, [str(HERE.parent), os.environ.get("PYTHONPATH")]))}
    with tempfile.TemporaryDirectory() as folder:
        procs = [subprocess.Popen([sys.executable, __file__, "--worker", "--tasks", str(tasks), "--pacer", pacer,
                                   "--folder", folder, "--name", f"w{i}", "--contacts", str(contacts)],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
                 for i in range(workers)]
        for proc in procs:
            assert next(ours(proc.stdout)) == "ready", "a worker did not start"
        go = time.time()
        for proc in procs:
            proc.stdin.write("go\n")
            proc.stdin.flush()
        exports = [json.loads(line) for proc in procs for line in ours(proc.stdout)]
        for proc in procs:
            proc.wait()
    stats = sandbox.stats()
    refused, requests = stats.get("status:429", 0), stats.get("requests", 0)
    accepted = requests - refused
    wall = max(e["ended"] for e in exports) - go
    bound = accepted / BURST_MAX * interval_s
    failed = sum(not e["ok"] for e in exports)
    if not limited:
        return {"pacer": "capacity (limits off)", "exports": len(exports), "failed": failed, "requests": requests,
                "wall_s": round(wall, 2)}
    return {"pacer": pacer, "exports": len(exports), "failed": failed, "429s": refused, "requests": requests,
            "wall_s": round(wall, 2), "first_end_s": round(min(e["ended"] for e in exports) - go, 2),
            "bound_s": round(bound, 2), "ratio": round(wall / bound, 3),
            "passes": failed == 0 and wall / bound <= GOAL_RATIO,
            "errors": sorted({e["error"] for e in exports if e["error"]})[:3]}


BURST_MAX = 100


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=5_000)
    parser.add_argument("--interval-ms", type=int, default=2_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--tasks", type=int, default=4, help="task processes per worker")
    parser.add_argument("--rounds", type=int, default=2, help="runs of each pacer, alternating")
    parser.add_argument("--pacers", default=",".join(PACERS))
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--pacer", help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    parser.add_argument("--name", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.tasks, args.pacer, args.folder, args.name, args.contacts)
        return 0
    os.environ.setdefault("AIRFLOW_HOME", tempfile.mkdtemp(prefix="ghl-bench-"))
    os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
    from airflow_provider_ghl.sandbox import Sandbox

    limits = ["--burst-max", str(BURST_MAX), "--interval-ms", str(args.interval_ms)]
    results, capacities = [], []
    with Sandbox(contacts=args.contacts, rate_limits=True, extra_args=limits, startup_timeout=300) as sandbox:
        for _ in range(args.rounds):
            capacity = run_once(sandbox, "after", args.contacts, args.workers, args.tasks, 0, limited=False)
            capacities.append(capacity["wall_s"])
            print(json.dumps(capacity), flush=True)
            for pacer in args.pacers.split(","):
                result = run_once(sandbox, pacer, args.contacts, args.workers, args.tasks, args.interval_ms / 1000)
                results.append(result)
                print(json.dumps(result), flush=True)
    after = [r for r in results if r["pacer"] == "after"]
    print(json.dumps({"goal": f"0 failed exports, wall/bound <= {GOAL_RATIO}",
                      "after_passes": all(r["passes"] for r in after),
                      "ratios": {p: [r["ratio"] for r in results if r["pacer"] == p] for p in PACERS},
                      "capacity_wall_s": capacities}), flush=True)
    return 0 if all(r["passes"] for r in after) else 1


if __name__ == "__main__":
    sys.exit(main())
