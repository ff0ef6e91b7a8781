"""The README's main job: run every example DAG through Airflow against a fresh sandbox and summarise.

Real Airflow runs (``dag.test()``, SQLite metadata database under ``.demo/``), a real HTTP sandbox
on loopback with HighLevel's rate limits; nothing reaches the internet. Each example DAG's ``summary``
task says what it did; Airflow's own output goes to one log file per DAG under ``.demo/logs/``.

The Gestioo DAGs run in the order of the story: new customers arrive first, then they are read, reported
on and routed. The event-driven DAG runs on webhooks: the sandbox posts a signed HighLevel webhook for
every contact write to the webhook receiver (the app the API server mounts at ``/ghl/webhooks``), served
here from this process, which records each one as an asset event on ``ghl://<location>/contacts`` in the
demo's metadata database. ``dag.test()`` has no scheduler to start the run from those events, so the demo
passes the recorded contact ids as the run's ``conf`` (with a scheduler each event starts a run by itself:
``tests/webhooks/test_end_to_end.py``). Without webhooks the DAG falls back to its polling watcher.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / ".demo"
STORY = (
    "example_ghl_smoke", "example_ghl_hook_oauth", "example_ghl_mapped_contacts",
    "example_gestioo_new_contacts", "example_gestioo_contact_details", "example_gestioo_business_report",
    "example_gestioo_contacts_hub", "example_gestioo_contact_sync", "example_gestioo_dashboard",
    "example_gestioo_revenue",
)
EVENT_DRIVEN = "example_gestioo_contact_sync"
HISTORY_DAYS = {"example_gestioo_revenue": 6}
"""DAGs whose story is their history: the days before yesterday's run are loaded first, one run per day as
``airflow dags backfill`` would (their summary is the last run's)."""
CONNECTIONS = {"GHL_DEFAULT": "full", "GHL_OAUTH": "oauth", "GHL_READONLY": "readonly", "GHL_AGENCY": "agency"}
CONTACT_EVENTS = ["ContactCreate", "ContactUpdate", "ContactDelete", "ContactTagUpdate", "ContactDndUpdate"]


def in_story_order(dag_ids: list[str]) -> list[str]:
    rank = {dag_id: position for position, dag_id in enumerate(STORY)}
    return sorted(dag_ids, key=lambda dag_id: (rank.get(dag_id, len(STORY)), dag_id))


@contextlib.contextmanager
def output_to(path: Path) -> Iterator[None]:
    """Send everything written to stdout/stderr (Airflow's logs, task output) to ``path``, at the fd level."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with path.open("ab") as log:
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
        try:
            yield
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])


class WebhookInbox:
    """The webhook receiver served from this process, recording into the demo's metadata database."""

    def __init__(self, public_key: str, location_id: str) -> None:
        import socket
        import threading

        import uvicorn

        from airflow_provider_ghl.webhooks.app import create_app
        from airflow_provider_ghl.webhooks.settings import ReceiverSettings

        self.uri = f"ghl://{location_id}/contacts"
        self.last_event_id = 0
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{sock.getsockname()[1]}/webhooks"
        app = create_app(ReceiverSettings(public_key=public_key))
        self.server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off"))
        threading.Thread(target=self.server.run, kwargs={"sockets": [sock]}, daemon=True).start()

    def batch(self) -> dict:
        """The contacts of the asset events recorded since the last batch, as the DAG's ``conf``."""
        from airflow.models.asset import AssetEvent, AssetModel
        from airflow.utils.session import create_session
        from sqlalchemy import select

        with create_session() as session:
            rows = session.execute(select(AssetEvent.id, AssetEvent.extra).join(
                AssetModel, AssetModel.id == AssetEvent.asset_id).where(
                AssetModel.uri == self.uri, AssetEvent.id > self.last_event_id).order_by(AssetEvent.id)).all()
        if not rows:
            return {"ids": []}
        self.last_event_id = rows[-1][0]
        ids = list(dict.fromkeys(extra["record_id"] for _, extra in rows if extra.get("record_id")))
        return {"ids": ids, "event_key": f"webhooks_{rows[0][0]}-{rows[-1][0]}", "events": len(rows)}


def register(runner, dag_id: str) -> None:
    """Write the DAG (and so its asset) to the metadata database, as the DAG processor would."""
    from airflow.dag_processing.bundles.manager import DagBundlesManager
    from airflow.dag_processing.dagbag import sync_bag_to_db

    DagBundlesManager().sync_bundles_to_db()
    sync_bag_to_db(runner.dagbag, "dags-folder", None)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=500, help="size of the sandbox's seed data")
    parser.add_argument("dag_ids", nargs="*", help="only these example DAGs (default: all)")
    args = parser.parse_args()
    started = time.monotonic()

    for folder in ("airflow", "output", "logs"):
        shutil.rmtree(DEMO / folder, ignore_errors=True)
        (DEMO / folder).mkdir(parents=True)
    os.environ.update(
        AIRFLOW_HOME=str(DEMO / "airflow"),
        AIRFLOW__CORE__DAGS_FOLDER=str(ROOT / "example_dags"),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__LOGGING__LOGGING_LEVEL="INFO",
        GHL_EXAMPLE_OUTPUT=str(DEMO / "output"),
    )
    from airflow_provider_ghl.sandbox import Sandbox

    print(f"==> starting a fresh HighLevel sandbox ({args.contacts} contacts, HighLevel's rate limits)", flush=True)
    with Sandbox(contacts=args.contacts) as sandbox:
        for conn_id, kind in CONNECTIONS.items():
            os.environ[f"AIRFLOW_CONN_{conn_id}"] = sandbox.connection_json(kind)
        os.environ["GHL_LOCATION_ID"] = sandbox.location_id  # the event-driven DAG runs on webhooks
        print(f"    {sandbox.base_url} (location {sandbox.location_id})", flush=True)
        print("==> creating the Airflow metadata database and parsing example_dags/", flush=True)
        with output_to(DEMO / "logs" / "airflow-setup.log"):
            from airflow_provider_ghl.testing import DagRunner

            runner = DagRunner(ROOT / "example_dags")
            register(runner, EVENT_DRIVEN)
            inbox = WebhookInbox(sandbox.webhook_public_key, sandbox.location_id)
        sandbox.subscribe(inbox.url, CONTACT_EVENTS)
        # The receiver answers 503 while SQLite is busy with a DAG run: retry those too (HighLevel retries 429 only).
        sandbox.control("PATCH", "webhooks", {"retry": {"on": "any", "interval_s": 0.5}})
        print(f"    webhooks: {inbox.url} (the receiver of /ghl/webhooks, in this process)", flush=True)
        results = []
        for dag_id in in_story_order(args.dag_ids or runner.dag_ids()):
            print(f"==> running {dag_id}", flush=True)
            log = DEMO / "logs" / f"{dag_id}.log"
            dag_started = time.monotonic()
            with output_to(log):
                conf = None
                if dag_id == EVENT_DRIVEN:
                    delivered = sandbox.deliveries(wait=30)["counts"]
                    conf = inbox.batch()
                result = None
                midnight = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
                for days_back in range(HISTORY_DAYS.get(dag_id, 0), 0, -1):
                    # A daily data interval ends at its logical date: this run loads the day before it.
                    earlier = runner.run(dag_id, logical_date=midnight - timedelta(days=days_back))
                    if not earlier.succeeded:
                        result = earlier
                        break
                result = result or runner.run(dag_id, run_conf=conf)
            result.seconds = time.monotonic() - dag_started
            if dag_id == EVENT_DRIVEN:
                print(f"    {delivered['sent']} webhooks delivered ({delivered['failed']} failed), "
                      f"{conf.get('events', 0)} recorded as asset events", flush=True)
            result.log = log
            results.append(result)

    print("\nSummary")
    for result in results:
        mark = "ok  " if result.succeeded else "FAIL"
        print(f"  [{mark}] {result.dag_id} ({result.seconds:.1f} s)")
        for line in result.summary_lines():
            print(f"         {line}")
        for task_id in result.failed_tasks:
            print(f"         failed task: {task_id} (see {result.log.relative_to(ROOT)})")
    succeeded = sum(result.succeeded for result in results)
    print(f"\n{succeeded} of {len(results)} DAGs succeeded in {time.monotonic() - started:.0f} s")
    print(f"Outputs:   {DEMO / 'output'}")
    for path in sorted((DEMO / "output").rglob("*")):
        if path.is_file() and "raw" not in path.parts:
            print(f"           {path.relative_to(DEMO / 'output')}")
    print(f"Logs:      {DEMO / 'logs'} (one per DAG)")
    print(f"Airflow:   {DEMO / 'airflow'} (metadata DB)")
    return 0 if succeeded == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
