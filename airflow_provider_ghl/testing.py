"""Helpers for testing DAGs that use this provider: run a DAG with ``dag.test()`` and read its results.

Pair it with the sandbox (``airflow_provider_ghl.sandbox.Sandbox``) to test your own DAGs offline::

    with Sandbox() as sandbox:
        os.environ["AIRFLOW_CONN_GHL_DEFAULT"] = sandbox.connection_json("full")
        result = DagRunner("dags/").run("my_dag")
        assert result.succeeded, result.failed_tasks

Set ``AIRFLOW_HOME`` (and ``AIRFLOW__CORE__DAGS_FOLDER`` to the DAG folder) before Airflow is imported.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class DagResult:
    dag_id: str
    run_id: str
    state: str
    task_states: dict[str, str]
    xcoms: dict[str, Any] = field(default_factory=dict)
    """``return_value`` of each task (mapped tasks: a list in map-index order)."""
    seconds: float = 0.0

    @property
    def succeeded(self) -> bool:
        return self.state == "success"

    @property
    def failed_tasks(self) -> list[str]:
        return [task for task, state in self.task_states.items() if state not in ("success", "skipped")]

    def summary_lines(self) -> list[str]:
        summary = self.xcoms.get("summary")
        if summary is None:
            return []
        if isinstance(summary, dict):
            return [f"{key}: {value}" for key, value in summary.items()]
        return [str(line) for line in (summary if isinstance(summary, list) else str(summary).splitlines())]


class DagRunner:
    """Parses a DAG folder once and runs its DAGs in this process with ``dag.test()``."""

    def __init__(self, dag_folder: str | Path, *, reset_db: bool = True) -> None:
        from airflow.dag_processing.dagbag import DagBag

        if reset_db:
            from airflow.utils.db import resetdb

            resetdb()
        # Airflow's DAG processor puts a bundle's folder on sys.path, so DAG files can import their helpers.
        if str(dag_folder) not in sys.path:
            sys.path.append(str(dag_folder))
        self.dagbag = DagBag(dag_folder=str(dag_folder))
        if self.dagbag.import_errors:
            problems = "; ".join(f"{path}: {error}" for path, error in self.dagbag.import_errors.items())
            raise RuntimeError(f"DAG import errors: {problems}")

    def dag_ids(self) -> list[str]:
        return sorted(self.dagbag.dag_ids)

    def run(self, dag_id: str, **test_kwargs: Any) -> DagResult:
        """Run ``dag_id`` with ``dag.test(**test_kwargs)``.

        By default the run has a logical date (now). ``logical_date=None`` makes the run that the REST API
        (``{"logical_date": null}``), ``airflow dags trigger`` and the UI make: no logical date, no data
        interval, no ``{{ ds }}``; only ``dag_run.run_after``. Test your DAGs both ways.
        """
        dag = self.dagbag.get_dag(dag_id)
        if dag is None:
            raise KeyError(f"no DAG {dag_id!r}; known: {', '.join(self.dag_ids())}")
        dag_run = dag.test(**test_kwargs)
        return self.result(dag_id, dag_run.run_id)

    @staticmethod
    def result(dag_id: str, run_id: str) -> DagResult:
        from airflow.models.dagrun import DagRun
        from airflow.models.xcom import XComModel
        from airflow.utils.session import create_session

        with create_session() as session:
            dag_run = session.query(DagRun).filter_by(dag_id=dag_id, run_id=run_id).one()
            task_states: dict[str, str] = {}
            for ti in dag_run.get_task_instances(session=session):
                # A mapped task is as good as its worst instance.
                previous = task_states.get(ti.task_id)
                state = str(ti.state.value if hasattr(ti.state, "value") else ti.state)
                task_states[ti.task_id] = state if previous in (None, "success") else previous
            xcoms: dict[str, Any] = {}
            rows = session.scalars(
                XComModel.get_many(run_id=run_id, dag_ids=dag_id, key="return_value")
                .order_by(XComModel.task_id, XComModel.map_index)
            ).all()
            for row in rows:
                value = XComModel.deserialize_value(row)
                if row.map_index >= 0:
                    xcoms.setdefault(row.task_id, []).append(value)
                else:
                    xcoms[row.task_id] = value
            state = str(dag_run.state.value if hasattr(dag_run.state, "value") else dag_run.state)
        return DagResult(dag_id=dag_id, run_id=run_id, state=state, task_states=task_states, xcoms=xcoms)
