"""What webhooks cost the sandbox: writes per second with no subscription and with one, in one run.

The sandbox runs pinned to one core; the load generator and a bare receiver (uvicorn, answers 200) to
the other. Phases alternate (none, one, none, one, ...; each ``--seconds``) so the machine's noise hits
both alike; after a phase with a subscription the backlog is delivered before the next phase starts.
With ``--baseline CHECKOUT`` (a checkout without webhooks, e.g. the main worktree) a third phase runs its
sandbox the same way. Claim: with no subscription a write costs what it did before webhooks existed (the
gateway checks one list); the ratio one/none is the cost of signing and sending one webhook per write.

    python bench/bench_webhook_cost.py [--seconds 2] [--rounds 3] [--baseline ../main]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _loadgen import _worker, requests_per_second
from bench_sandbox import BARE_APP, pinned


def writes_per_second(url: str, headers: dict[str, str], body: bytes, seconds: float, connections: int = 8) -> float:
    parts = urlsplit(url)
    lines = [f"PUT {parts.path} HTTP/1.1", f"Host: {parts.netloc}", "Content-Type: application/json",
             f"Content-Length: {len(body)}", *(f"{k}: {v}" for k, v in headers.items())]
    request = ("\r\n".join(lines) + "\r\n\r\n").encode() + body

    async def main() -> float:
        counts = [0, 0]
        started = time.perf_counter()
        deadline = started + seconds
        await asyncio.gather(*(_worker(parts.hostname, parts.port, request, deadline, counts) for _ in range(connections)))
        if counts[1]:
            raise RuntimeError(f"{counts[1]} writes failed")
        return counts[0] / (time.perf_counter() - started)

    return asyncio.run(main())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--baseline", type=Path, help="a checkout without webhooks, run the same way")
    args = parser.parse_args()
    if os.cpu_count() and os.cpu_count() > 1:
        os.sched_setaffinity(0, {1})
    import httpx

    command = [sys.executable, "-m", "airflow_provider_ghl.sandbox", "--port", "0", "--no-rate-limits", "--contacts", "1000"]
    servers = {"this": subprocess.Popen(pinned(command, 0), stdout=subprocess.PIPE, text=True)}
    if args.baseline:
        env = {**os.environ, "PYTHONPATH": str(args.baseline.resolve())}
        servers["baseline"] = subprocess.Popen(pinned(command, 0), stdout=subprocess.PIPE, text=True, env=env,
                                               cwd=args.baseline)
    receiver = subprocess.Popen(pinned([sys.executable, "-c", BARE_APP], 1), stdout=subprocess.PIPE, text=True)
    body = json.dumps({"city": "Austin"}).encode()
    try:
        targets = {}
        for name, process in servers.items():
            info = json.loads(process.stdout.readline())
            if name == "baseline" and "webhook_public_key" in info:
                raise SystemExit(f"{args.baseline} already sends webhooks: choose a checkout without them")
            contact_id = httpx.get(f"{info['base_url']}/__sandbox__/tables/contacts").json()[0]["id"]
            headers = {"Authorization": f"Bearer {info['connections']['full']['password']}", "Version": "2021-07-28"}
            targets[name] = (info["base_url"], f"{info['base_url']}/contacts/{contact_id}", headers)
            writes_per_second(targets[name][1], headers, body, 1.0)  # warm up
        receiver_url = f"http://127.0.0.1:{int(receiver.stdout.readline())}/hooks"
        control = f"{targets['this'][0]}/__sandbox__"
        reads_before, _ = requests_per_second(targets["this"][1], targets["this"][2], args.seconds)
        phases = (["baseline"] if args.baseline else []) + ["none", "one"]
        rates: dict[str, list[float]] = {phase: [] for phase in phases}
        delivered = 0
        for _ in range(args.rounds):
            for phase in phases:
                _, url, headers = targets["baseline" if phase == "baseline" else "this"]
                if phase == "one":
                    subscription = httpx.post(f"{control}/webhooks", json={"url": receiver_url}).json()
                rates[phase].append(writes_per_second(url, headers, body, args.seconds))
                if phase == "one":
                    httpx.delete(f"{control}/webhooks/{subscription['id']}")
                    counts = httpx.get(f"{control}/webhooks/deliveries?wait=120&limit=0", timeout=130).json()["counts"]
                    delivered = counts["sent"]
                    assert counts["pending"] == 0 and counts["failed"] == 0, counts
        reads_after, _ = requests_per_second(targets["this"][1], targets["this"][2], args.seconds)
    finally:
        for process in (*servers.values(), receiver):
            process.terminate()
    labels = {"baseline": f"baseline ({args.baseline}, no webhook code)", "none": "no subscription",
              "one": "one subscription"}
    medians = {phase: statistics.median(values) for phase, values in rates.items()}
    print(f"writes (PUT /contacts/{{id}}), sandbox on one core, median of {args.rounds} alternating phases of "
          f"{args.seconds:g} s:")
    for phase in phases:
        print(f"  {labels[phase]:<45} {medians[phase]:>7,.0f} writes/s  ({', '.join(f'{r:,.0f}' for r in rates[phase])})")
    print(f"  {delivered:,} webhooks signed and delivered in the subscribed phases, none failed")
    if args.baseline:
        print(f"  ratio no subscription / baseline: {medians['none'] / medians['baseline']:.2f}")
    print(f"  ratio one subscription / no subscription: {medians['one'] / medians['none']:.2f}")
    print(f"reads (GET /contacts/{{id}}) before/after the write phases: {reads_before:,.0f} / {reads_after:,.0f} per s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
