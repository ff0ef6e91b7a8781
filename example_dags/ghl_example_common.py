"""What every example DAG shares: one set of DAG defaults.

Not a DAG (``.airflowignore`` skips it); Airflow puts the DAG folder on ``sys.path``, so the DAGs import it.
Each example is declared ``@dag(schedule=..., doc_md=__doc__, **DAG_DEFAULTS)``, or with
``**dag_defaults("topic")`` for more tags (the Gestioo examples: ``gestioo_common.DAG_DEFAULTS``), and
ends with a task ``summary`` that returns lines saying what the run did (the demo prints them).
``tests/example_dags/test_conventions.py`` holds every example to this.
"""

from __future__ import annotations

from typing import Any

import pendulum

DAG_DEFAULTS: dict[str, Any] = {
    "start_date": pendulum.datetime(2026, 1, 1, tz="UTC"),
    "catchup": False,
    "tags": ["ghl", "example"],
}
"""Start date, catch-up and tags of every example DAG; nothing else (no ``default_args``)."""


def dag_defaults(*tags: str) -> dict[str, Any]:
    """``DAG_DEFAULTS`` with more tags after the shared ones, e.g. ``@dag(..., **dag_defaults("gestioo"))``."""
    return {**DAG_DEFAULTS, "tags": [*DAG_DEFAULTS["tags"], *tags]}
