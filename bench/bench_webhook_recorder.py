"""The webhook recorder alone, in-process: CPU per recorded delivery, SQLite and PostgreSQL, without HTTP.

``bench_webhooks.py`` measures the whole API server, whose CPU per delivery varies by +-15 % from run to run
on a shared machine; this one isolates what the recorder changes (same deliveries, same database state):
verified deliveries go through ``recorder.BatchWriter`` (the API server's writer thread) into a metadata DB
with the webhook tests' consumer DAG scheduled on the asset (so each event also queues a DAG run).

- ``one at a time``: submit one, wait for its commit, next (an idle receiver: every delivery is a batch of one);
- ``sustained, batches of N``: every delivery submitted at once, the writer taking up to N per transaction
  (a receiver under load).

Each line: CPU-ms per delivery of this process (the writer thread; nothing else runs), of the PostgreSQL
server (its cluster's processes, for ``--database postgres``), and wall-ms. ``--events`` earlier events are
recorded first, so the duplicate check reads a replay window with that many events (its cost grows with them).

    python bench/bench_webhook_recorder.py [--database sqlite|postgres] [--deliveries 1000] [--events 2000]
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--postgres-url", default=os.environ.get("GHL_TEST_POSTGRES_URL"))
    parser.add_argument("--deliveries", type=int, default=1000)
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3, help="each measurement this many times; the lowest CPU counts")
    args = parser.parse_args()
    from bench_webhooks import _no_database, postgres_database

    if args.database == "postgres" and not args.postgres_url:
        parser.error("--database postgres needs --postgres-url or GHL_TEST_POSTGRES_URL")
    home = tempfile.mkdtemp(prefix="ghl-recorder-bench-")
    os.environ.update({"AIRFLOW_HOME": home, "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
                       "AIRFLOW__CORE__UNIT_TEST_MODE": "True"})
    with (postgres_database(args.postgres_url) if args.database == "postgres" else _no_database()) as (url, postmaster):
        os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = url or f"sqlite:///{home}/airflow.db"
        return run(args, postmaster)


def run(args: argparse.Namespace, postmaster: int | None) -> int:
    from airflow.dag_processing.bundles.manager import DagBundlesManager
    from airflow.dag_processing.dagbag import BundleDagBag, sync_bag_to_db
    from airflow.utils.db import initdb
    from bench_webhooks import process_tree_cpu_seconds

    from airflow_provider_ghl.webhooks import recorder
    from airflow_provider_ghl.webhooks.settings import ReceiverSettings
    from airflow_provider_ghl.webhooks.signing import new_private_key, public_key_b64
    from airflow_provider_ghl.webhooks.verify import Verifier
    from tests.webhooks.helpers import payload, signed

    logging.disable(logging.WARNING)
    initdb()
    dags = REPO / "tests" / "webhooks" / "dags"
    DagBundlesManager().sync_bundles_to_db()
    sync_bag_to_db(BundleDagBag(dag_folder=str(dags), bundle_path=dags, bundle_name="dags-folder"), "dags-folder", None)
    key = new_private_key()
    verifier = Verifier.from_settings(ReceiverSettings(public_key=public_key_b64(key)))

    def deliveries(prefix: str, count: int) -> list:
        made = []
        for i in range(count):
            body, headers = signed(key, payload("ContactUpdate", webhook_id=f"{prefix}-{i:06d}"))
            made.append(verifier.decide(body, headers, datetime.now(UTC)).delivery)
        return made

    options = {"payload_max_bytes": 8192, "max_age_s": 300}
    earlier = deliveries("earlier", args.events)
    for start in range(0, len(earlier), 200):
        recorder.record_batch(earlier[start:start + 200], **options)

    def measure(name: str, batch: int | None) -> None:
        best = None
        for round_ in range(args.rounds):
            todo = deliveries(f"{name}-{round_}", args.deliveries)
            writer = recorder.BatchWriter(**options, max_batch=batch or 1)
            writer.submit(deliveries(f"{name}-{round_}-warm", 1)[0]).result(60)
            db = process_tree_cpu_seconds(postmaster) if postmaster else 0.0
            cpu, wall = time.process_time(), time.perf_counter()
            if batch is None:
                results = [writer.submit(delivery).result(60) for delivery in todo]
            else:
                results = [future.result(120) for future in [writer.submit(delivery) for delivery in todo]]
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
            db = process_tree_cpu_seconds(postmaster) - db if postmaster else 0.0
            assert all(result.outcome == "recorded" for result in results), results[:3]
            if best is None or cpu < best[0]:
                best = (cpu, db, wall)
        cpu, db, wall = (value / args.deliveries * 1e3 for value in best)
        server = f", PostgreSQL {db:.2f} ms (together {cpu + db:.2f} ms)" if postmaster else ""
        print(f"{name:<28} recorder {cpu:.2f} CPU-ms per delivery{server}; {wall:.2f} ms wall "
              f"({1e3 / cpu:,.0f} per CPU-second of the recorder)", flush=True)

    print(f"{args.database}: {args.deliveries} deliveries per measurement, {args.events} earlier events in the window, "
          f"best of {args.rounds}", flush=True)
    measure("one at a time", None)
    for size in (10, 50):
        measure(f"sustained, batches of {size}", size)
    return 0


if __name__ == "__main__":
    sys.exit(main())
