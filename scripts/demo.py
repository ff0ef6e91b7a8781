"""The README's main job: run every example DAG through Airflow against a fresh sandbox and summarise.

Real Airflow runs (``dag.test()``, SQLite metadata database under ``.demo/``), a real HTTP sandbox
on loopback; nothing reaches the internet. Each example DAG's ``summary`` task says what it did.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / ".demo"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=500, help="size of the sandbox's seed data")
    parser.add_argument("dag_ids", nargs="*", help="only these example DAGs (default: all)")
    args = parser.parse_args()

    shutil.rmtree(DEMO / "airflow", ignore_errors=True)
    (DEMO / "output").mkdir(parents=True, exist_ok=True)
    os.environ.update(
        AIRFLOW_HOME=str(DEMO / "airflow"),
        AIRFLOW__CORE__DAGS_FOLDER=str(ROOT / "example_dags"),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__LOGGING__LOGGING_LEVEL="WARNING",
        GHL_EXAMPLE_OUTPUT=str(DEMO / "output"),
    )
    from airflow_provider_ghl.sandbox import Sandbox

    print("==> starting a fresh HighLevel sandbox")
    with Sandbox(contacts=args.contacts) as sandbox:
        os.environ["AIRFLOW_CONN_GHL_DEFAULT"] = sandbox.connection_json("full")
        print(f"    {sandbox.base_url} (location {sandbox.location_id})")
        from airflow_provider_ghl.testing import DagRunner

        print("==> creating the Airflow metadata database")
        runner = DagRunner(ROOT / "example_dags")
        results = []
        for dag_id in args.dag_ids or runner.dag_ids():
            started = time.monotonic()
            print(f"==> running {dag_id}", flush=True)
            result = runner.run(dag_id)
            result.seconds = time.monotonic() - started
            results.append(result)

    print("\nSummary")
    for result in results:
        mark = "ok  " if result.succeeded else "FAIL"
        print(f"  [{mark}] {result.dag_id} ({result.seconds:.1f} s)")
        for line in result.summary_lines():
            print(f"         {line}")
        for task_id in result.failed_tasks:
            print(f"         failed task: {task_id}")
    print(f"\nOutputs: {DEMO / 'output'}")
    print(f"Airflow home (metadata DB, logs): {DEMO / 'airflow'}")
    return 0 if all(r.succeeded for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
