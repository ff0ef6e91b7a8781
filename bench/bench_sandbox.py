"""Sandbox throughput: simple GETs per second (rate limits off) next to the raw cost of a request.

The sandbox runs pinned to one core and the load generator to the other, in the same run as a
baseline: a bare ASGI app on the same server stack (uvicorn) answering a fixed JSON body. The
ratio says how much the sandbox's gate (auth, Version, scopes, limits, faults) and handler cost.
Target: >= 1,000 requests/s on one core.

    python bench/bench_sandbox.py [--seconds 5]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _loadgen import requests_per_second

BARE_APP = """
import socket, sys, uvicorn
body = b'{"contact":{"id":"abc","firstName":"Ada"}}'
async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
sock = socket.socket(); sock.bind(("127.0.0.1", 0)); sock.listen(128)
print(sock.getsockname()[1], flush=True)
uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")).run(sockets=[sock])
"""


def pinned(command: list[str], core: int) -> list[str]:
    return ["taskset", "-c", str(core), *command] if os.cpu_count() and os.cpu_count() > 1 else command


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    if os.cpu_count() and os.cpu_count() > 1:
        os.sched_setaffinity(0, {1})

    sandbox = subprocess.Popen(pinned([sys.executable, "-m", "airflow_provider_ghl.sandbox", "--port", "0",
                                       "--no-rate-limits", "--contacts", "1000"], 0), stdout=subprocess.PIPE, text=True)
    bare = subprocess.Popen(pinned([sys.executable, "-c", BARE_APP], 0), stdout=subprocess.PIPE, text=True)
    try:
        info = json.loads(sandbox.stdout.readline())
        bare_port = int(bare.stdout.readline())
        import httpx

        contact_id = httpx.get(f"{info['base_url']}/__sandbox__/tables/contacts").json()[0]["id"]
        headers = {"Authorization": f"Bearer {info['connections']['full']['password']}", "Version": "2021-07-28"}
        time.sleep(0.5)
        requests_per_second(f"{info['base_url']}/contacts/{contact_id}", headers, 1.0)  # warm up
        sandbox_rps, errors = requests_per_second(f"{info['base_url']}/contacts/{contact_id}", headers, args.seconds)
        bare_rps, _ = requests_per_second(f"http://127.0.0.1:{bare_port}/contacts/{contact_id}", headers, args.seconds)
    finally:
        sandbox.terminate()
        bare.terminate()
    print(f"sandbox GET /contacts/{{id}}: {sandbox_rps:,.0f} requests/s on one core ({errors} non-200)")
    print(f"bare uvicorn app (raw request cost): {bare_rps:,.0f} requests/s on one core")
    print(f"ratio sandbox/raw: {sandbox_rps / bare_rps:.2f}; target >= 1,000 requests/s: "
          f"{'met' if sandbox_rps >= 1000 else 'NOT met'}")
    return 0 if sandbox_rps >= 1000 and errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
