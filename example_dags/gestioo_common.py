"""What the Gestioo example DAGs share: their DAG defaults, where Gestioo's exports are read and where files
for Gestioo go.

Not a DAG (``.airflowignore`` skips it); Airflow puts the DAG folder on ``sys.path``, so the DAGs import it.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from ghl_example_common import dag_defaults

DAG_DEFAULTS = dag_defaults("gestioo")
"""Every example's defaults (``ghl_example_common``) plus the tag ``gestioo``:
``@dag(schedule=..., doc_md=__doc__, **DAG_DEFAULTS)``."""


def run_day(dag_run: Any) -> str:
    """The day a run is about (``YYYY-MM-DD``): its logical date, else when it was started.

    In Airflow 3 a manual run (REST API with ``"logical_date": null``, ``airflow dags trigger``, the UI) or
    an asset-triggered run has no logical date, so ``{{ ds }}`` does not exist; ``run_after`` (when the
    run was requested) always does. Scheduled runs and backfills keep their logical date, so their files
    stay one per day and reruns rewrite them.
    """
    moment = dag_run.logical_date or dag_run.run_after
    return moment.strftime("%Y-%m-%d")


def gestioo_file(name: str) -> Path:
    """A file of Gestioo's exports: ``GESTIOO_DATA_DIR``, else the samples next to the DAGs."""
    return Path(os.environ.get("GESTIOO_DATA_DIR") or Path(__file__).parent / "gestioo_data") / name


def output_dir(name: str) -> Path:
    """A folder for files Gestioo picks up: under ``GHL_EXAMPLE_OUTPUT``, else a temporary folder."""
    path = Path(os.environ.get("GHL_EXAMPLE_OUTPUT") or Path(tempfile.gettempdir()) / "ghl-examples") / name
    path.mkdir(parents=True, exist_ok=True)
    return path
