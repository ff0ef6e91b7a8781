"""Example DAGs in runs that have no logical date (Airflow 3's default for a manual run), in process.

``dag.test(logical_date=None)`` makes the run the REST API makes for ``{"logical_date": null}`` and
``airflow dags trigger`` makes by default: no ``ds``, no data interval, only ``run_after``. The real
deployment (api-server, scheduler, dag-processor) is in ``tests/deployment/test_started_any_way.py``.
"""

from __future__ import annotations

import sqlite3


def test_dashboard_without_a_logical_date_snapshots_the_day_it_was_started(dag_runner, fresh_sandbox, example_output):
    from airflow.sdk import timezone

    before = timezone.utcnow()
    result = dag_runner.run("example_gestioo_dashboard", logical_date=None)
    after = timezone.utcnow()

    assert result.succeeded, result.task_states
    day = result.xcoms["load_snapshot"]["day"]
    assert day in {before.strftime("%Y-%m-%d"), after.strftime("%Y-%m-%d")}
    names = sorted(path.name for path in example_output.rglob("*"))
    assert not [name for name in names if "None" in name], names
    assert {f"contacts_{day}.jsonl", f"appointments_{day}.jsonl", f"dashboard_{day}.svg"} <= set(names)
    with sqlite3.connect(example_output / "dashboard" / "dashboard.sqlite") as db:
        days = {row[0] for row in db.execute("SELECT DISTINCT day FROM daily_snapshot")}
    db.close()
    assert days == {day}
