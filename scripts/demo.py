"""The README's main job: run every example DAG through Airflow against a fresh sandbox and summarise.

Real Airflow runs (``dag.test()``, SQLite metadata database under ``.demo/``), a real HTTP sandbox
on loopback with HighLevel's rate limits; nothing reaches the internet. Each example DAG's ``summary``
task says what it did; Airflow's own output goes to one log file per DAG under ``.demo/logs/``.

The Gestioo DAGs run in the order of the story: new customers arrive first, then they are read, reported
on and routed. The event-driven DAG gets what a real ``GHLContactEventTrigger`` saw change during the demo
(the triggerer would start that run by itself; ``dag.test()`` has no triggerer, so the demo polls the same
trigger and passes its payload as the run's ``conf``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import sys
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / ".demo"
STORY = (
    "example_ghl_smoke", "example_ghl_hook_oauth", "example_ghl_mapped_contacts",
    "example_gestioo_new_contacts", "example_gestioo_contact_details", "example_gestioo_business_report",
    "example_gestioo_contacts_hub", "example_gestioo_contact_sync", "example_gestioo_dashboard",
)
EVENT_DRIVEN = "example_gestioo_contact_sync"
CONNECTIONS = {"GHL_DEFAULT": "full", "GHL_OAUTH": "oauth", "GHL_READONLY": "readonly", "GHL_AGENCY": "agency"}


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


class ContactWatcher:
    """The event trigger of the event-driven DAG, polled by hand: baseline now, changes later."""

    def __init__(self) -> None:
        from airflow_provider_ghl.triggers.ghl import GHLContactEventTrigger

        self.trigger = GHLContactEventTrigger(watch="updated", first_run="skip", max_records=1000)

    async def _poll(self) -> dict | None:
        from airflow_provider_ghl.hooks.ghl import GHLAsyncHook

        async with GHLAsyncHook() as hook:
            payload, cursor = await self.trigger.poll_once(hook)
        if cursor is not None:
            await self.trigger.save_cursor(cursor)
        return payload

    def poll(self) -> dict | None:
        return asyncio.run(self._poll())


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
        print(f"    {sandbox.base_url} (location {sandbox.location_id})", flush=True)
        print("==> creating the Airflow metadata database and parsing example_dags/", flush=True)
        with output_to(DEMO / "logs" / "airflow-setup.log"):
            from airflow_provider_ghl.testing import DagRunner

            runner = DagRunner(ROOT / "example_dags")
            watcher = ContactWatcher()
            watcher.poll()  # the trigger's first poll remembers what exists
        results = []
        for dag_id in in_story_order(args.dag_ids or runner.dag_ids()):
            print(f"==> running {dag_id}", flush=True)
            log = DEMO / "logs" / f"{dag_id}.log"
            dag_started = time.monotonic()
            with output_to(log):
                conf = (watcher.poll() or {"ids": []}) if dag_id == EVENT_DRIVEN else None
                result = runner.run(dag_id, run_conf=conf)
            result.seconds = time.monotonic() - dag_started
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
