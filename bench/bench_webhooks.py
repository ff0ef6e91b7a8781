"""Webhook receiver: verified deliveries per second on one core, and a burst with nothing lost or duplicated.

The receiver runs as deployed: ``airflow api-server`` (1 worker, SQLite metadata DB, the provider's plugin
installed from this checkout) pinned to core 0, with a DAG scheduled on the delivery's asset (so each
delivery also queues a DAG run). Baseline in the same run, on the same core: a bare FastAPI app whose
endpoint reads the body and answers JSON (no verification, no database). The load generator (core 1)
sends pre-signed Ed25519 deliveries, each with its own ``webhookId``, over keep-alive connections.

Each phase prints two rates: per wall-clock second, and per CPU-second the server used (its process
group's utime + stime from /proc): the second is what one whole core would give, whatever else the
machine runs (these machines are shared and noisy).

1. Verify only: ``--deliveries`` stale deliveries (signature, JSON, replay window; nothing to record).
2. Recorded: ``--deliveries`` unique deliveries over 32 connections, each recorded as an asset event.
3. The bare FastAPI endpoint, same requests, same connections.
4. Burst: ``--burst`` unique deliveries plus every 10th sent again, over 64 connections at once; then the
   metadata DB is counted: every delivery must be there once (0 lost, 0 duplicated).

Target: >= 500 verified (recorded) deliveries/s on one core.

``--database postgres``: the metadata DB is a fresh database (created, migrated, dropped afterwards) on the
PostgreSQL server of ``--postgres-url`` (default ``$GHL_TEST_POSTGRES_URL``, a role that may create databases;
``.ci/run`` sets one up). The database engine then runs outside the API server (with SQLite it runs inside
it), so the recorded phase also prints the CPU-seconds of the PostgreSQL server (every process of its cluster:
the backends of the API server's connections, the WAL writer, ...) and the rate per CPU-second of the
API server and the server together. PostgreSQL is not pinned: it shares the machine's 2 cores with the rest.

    python bench/bench_webhooks.py [--deliveries 2000] [--burst 5000] [--database sqlite|postgres]   # ~3 minutes
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sqlite3
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from airflow_provider_ghl.webhooks.signing import new_private_key, public_key_b64  # noqa: E402
from tests.webhooks.airflow_processes import Airflow  # noqa: E402
from tests.webhooks.helpers import payload, signed  # noqa: E402

DAGS = REPO / "tests" / "webhooks" / "dags"
PATH = "/ghl/webhooks"
BARE_APP = """
import socket, uvicorn
from fastapi import FastAPI, Request
app = FastAPI()
@app.post("/ghl/webhooks")
async def receive(request: Request):
    body = await request.body()
    return {"status": "ok", "size": len(body)}
sock = socket.socket(); sock.bind(("127.0.0.1", 0)); sock.listen(512)
print(sock.getsockname()[1], flush=True)
uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")).run(sockets=[sock])
"""


def http_request(host: str, body: bytes, headers: dict[str, str]) -> bytes:
    lines = [f"POST {PATH} HTTP/1.1", f"Host: {host}", f"Content-Length: {len(body)}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def _worker(port: int, queue: list[bytes], statuses: Counter) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while queue:
            writer.write(queue.pop())
            await writer.drain()
            status_line = await reader.readline()
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            answer = await reader.readexactly(length)
            code = status_line.split(b" ")[1].decode()
            statuses[f"{code}:{json.loads(answer).get('status', '?')}"] += 1
    finally:
        writer.close()


def send_all(port: int, requests: list[bytes], connections: int) -> tuple[float, Counter]:
    """POST every request (in order of the list's end) over ``connections`` keep-alive connections: (seconds, outcomes)."""
    queue = list(reversed(requests))
    statuses: Counter = Counter()

    async def main() -> float:
        started = time.perf_counter()
        await asyncio.gather(*(_worker(port, queue, statuses) for _ in range(connections)))
        return time.perf_counter() - started

    return asyncio.run(main()), statuses


def _cpu_seconds(selected: Callable[[int, list[str]], bool]) -> float:
    """CPU time (user + system) used so far by the processes ``selected(pid, stat fields after the name)`` keeps."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if selected(int(stat.parent.name), fields):
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def cpu_seconds(pgid: int) -> float:
    """CPU time (user + system) used so far by the processes of a process group."""
    return _cpu_seconds(lambda _pid, fields: int(fields[2]) == pgid)


def process_tree_cpu_seconds(root: int) -> float:
    """CPU time (user + system) used so far by ``root`` and its children (a PostgreSQL postmaster and its backends;
    a backend that exits meanwhile takes its time with it: the API server's pooled connections stay open)."""
    return _cpu_seconds(lambda pid, fields: pid == root or int(fields[1]) == root)


def measure(port: int, pgid: int, requests: list[bytes], connections: int,
            postmaster: int | None = None) -> tuple[float, float, Counter, float]:
    """(requests per wall second, requests per CPU-second of the server, outcomes, database server CPU-seconds)."""
    cpu = cpu_seconds(pgid)
    db_cpu = process_tree_cpu_seconds(postmaster) if postmaster else 0.0
    seconds, outcomes = send_all(port, requests, connections)
    used = cpu_seconds(pgid) - cpu
    db_used = process_tree_cpu_seconds(postmaster) - db_cpu if postmaster else 0.0
    return len(requests) / seconds, len(requests) / used if used else float("inf"), outcomes, db_used


@contextmanager
def postgres_database(admin_url: str) -> Iterator[tuple[str, int]]:
    """A fresh database on the server of ``admin_url``: (its psycopg2 URL, the server's postmaster pid); dropped after."""
    from sqlalchemy import create_engine, make_url, text

    admin = make_url(admin_url).set(drivername="postgresql+psycopg2")
    name = f"ghl_bench_{uuid.uuid4().hex[:12]}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        backend = conn.execute(text("SELECT pg_backend_pid()")).scalar()  # a child of the postmaster (same machine)
        postmaster = int(Path(f"/proc/{backend}/stat").read_text().rsplit(")", 1)[1].split()[1])
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin.set(database=name).render_as_string(hide_password=False), postmaster
    finally:
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


def burst_counts(airflow: Airflow, database_url: str | None) -> tuple[list[tuple[str, int]], int]:
    """(webhook id, events) of the burst's deliveries and the DAG run queue entries, from the metadata DB."""
    if database_url is None:
        db = sqlite3.connect(airflow.home / "airflow.db")
        rows = db.execute("SELECT json_extract(extra, '$.webhook_id'), count(*) FROM asset_event "
                          "WHERE json_extract(extra, '$.webhook_id') LIKE 'burst-%' GROUP BY 1").fetchall()
        return rows, db.execute("SELECT count(*) FROM asset_dag_run_queue").fetchone()[0]
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT extra ->> 'webhook_id', count(*) FROM asset_event "
                                 "WHERE extra ->> 'webhook_id' LIKE 'burst-%' GROUP BY 1")).all()
        queued = conn.execute(text("SELECT count(*) FROM asset_dag_run_queue")).scalar()
    engine.dispose()
    return [tuple(row) for row in rows], queued


def deliveries(key, prefix: str, count: int, host: str) -> tuple[list[bytes], list[str]]:
    ids = [f"{prefix}-{i:06d}" for i in range(count)]
    return [http_request(host, *signed(key, payload("ContactUpdate", webhook_id=wid))) for wid in ids], ids


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deliveries", type=int, default=2000)
    parser.add_argument("--burst", type=int, default=5000)
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--postgres-url", default=os.environ.get("GHL_TEST_POSTGRES_URL"),
                        help="a PostgreSQL role that may create databases (default: $GHL_TEST_POSTGRES_URL)")
    args = parser.parse_args()
    if args.database == "postgres" and not args.postgres_url:
        parser.error("--database postgres needs --postgres-url or GHL_TEST_POSTGRES_URL")
    with (postgres_database(args.postgres_url) if args.database == "postgres" else _no_database()) as (url, postmaster):
        return run(args, url, postmaster)


@contextmanager
def _no_database() -> Iterator[tuple[None, None]]:
    yield None, None


def run(args: argparse.Namespace, database_url: str | None, postmaster: int | None) -> int:
    two_cores = bool(os.cpu_count() and os.cpu_count() > 1)
    key = new_private_key()
    print(f"starting airflow api-server (1 worker, core 0, {args.database}) and a bare FastAPI app (core 0) ...", flush=True)
    bare = subprocess.Popen([*(["taskset", "-c", "0"] if two_cores else []), sys.executable, "-c", BARE_APP],
                            stdout=subprocess.PIPE, text=True, start_new_session=True)
    env = {"AIRFLOW__GHL__WEBHOOK_PUBLIC_KEY": public_key_b64(key)}
    if database_url is not None:
        env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = database_url
    with Airflow(DAGS, env=env, workers=1, scheduler=False, cpu=0 if two_cores else None) as airflow:
        try:
            if two_cores:
                os.sched_setaffinity(0, {1})
            bare_port = int(bare.stdout.readline())
            host = f"127.0.0.1:{airflow.port}"
            warm, _ = deliveries(key, "warm", 200, host)
            send_all(airflow.port, warm, 8)
            send_all(bare_port, warm, 8)
            server = airflow.processes["api-server"].pid
            stale = [http_request(host, *signed(key, payload(webhook_id=f"stale-{i}", age_s=3600)))
                     for i in range(args.deliveries)]
            verify_wall, verify_cpu, verify_out, _ = measure(airflow.port, server, stale, 32)
            unique, _ = deliveries(key, "tput", args.deliveries, host)
            receiver_wall, receiver_cpu, receiver_out, db_cpu = measure(airflow.port, server, unique, 32, postmaster)
            bare_wall, bare_cpu, _, _ = measure(bare_port, bare.pid, unique, 32)

            burst, burst_ids = deliveries(key, "burst", args.burst, host)
            resent = burst[::10]
            burst_s, burst_out = send_all(airflow.port, burst + resent, 64)
            rows, queued = burst_counts(airflow, database_url)
        finally:
            bare.terminate()
    recorded = {webhook_id: count for webhook_id, count in rows}
    lost = sum(1 for webhook_id in burst_ids if webhook_id not in recorded)
    duplicated = sum(count - 1 for count in recorded.values())
    receiver_ok = receiver_out["200:recorded"] == len(unique)
    print(f"verify only (signature + JSON + replay window, no DB): {verify_wall:,.0f}/s wall, "
          f"{verify_cpu:,.0f} per CPU-second; answers {dict(verify_out)}")
    engine = "SQLite" if database_url is None else "PostgreSQL"
    print(f"recorded (+ asset event through Airflow's asset manager, DAG queued, {engine} commit): {receiver_wall:,.0f}/s "
          f"wall, {receiver_cpu:,.0f} per CPU-second of the API server; answers {dict(receiver_out)}")
    if postmaster is not None:
        server_cpu = len(unique) / receiver_cpu
        print(f"  PostgreSQL server meanwhile: {db_cpu:.2f} CPU-seconds ({db_cpu / len(unique) * 1e3:.2f} ms per delivery; "
              f"API server {server_cpu / len(unique) * 1e3:.2f} ms); API server + PostgreSQL: "
              f"{len(unique) / (server_cpu + db_cpu):,.0f} per CPU-second")
    print(f"bare FastAPI endpoint (read body, answer JSON): {bare_wall:,.0f}/s wall, {bare_cpu:,.0f} per CPU-second")
    print(f"ratios to bare: verify only {verify_cpu / bare_cpu:.2f}, recorded {receiver_cpu / bare_cpu:.2f} "
          f"(per CPU-second); wall: {verify_wall / bare_wall:.2f}, {receiver_wall / bare_wall:.2f}")
    print(f"target >= 500 recorded deliveries/s on one core: {'met' if receiver_cpu >= 500 else 'NOT met'} "
          f"({receiver_cpu:,.0f} per CPU-second)")
    print(f"burst: {args.burst:,} deliveries + {len(resent):,} re-sent, 64 connections, {burst_s:.1f} s "
          f"({(args.burst + len(resent)) / burst_s:,.0f}/s wall); answers {dict(burst_out)}")
    print(f"burst in the metadata DB: {len(recorded):,} recorded, {lost} lost, {duplicated} duplicated; "
          f"DAG run queue entries: {queued}")
    ok = receiver_ok and receiver_cpu >= 500 and lost == 0 and duplicated == 0 and burst_out["200:duplicate"] == len(resent)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
