"""What the Gestioo example DAGs share: their DAG defaults, where Gestioo's exports are read and where files
for Gestioo go, reading exported JSON Lines, and the hand-written SVG bar charts of the reporting DAGs.

Not a DAG (``.airflowignore`` skips it); Airflow puts the DAG folder on ``sys.path``, so the DAGs import it.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from datetime import date, datetime
from html import escape
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


def read_jsonl(path: str) -> Iterator[dict]:
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            yield json.loads(line)


def day_of(timestamp: str | None) -> date | None:
    return datetime.fromisoformat(timestamp.replace("Z", "+00:00")).date() if timestamp else None


def svg_chart(title: str, panels: list[tuple[str, list[tuple[str, float]], str]]) -> str:
    """Horizontal bar panels, stacked: (panel title, [(label, value)], value format)."""
    width, bar_height, label_width, bar_width = 720, 22, 250, 350
    rows = [f'<text x="20" y="34" font-size="20" font-weight="bold">{escape(title)}</text>']
    y = 60
    for panel_title, items, value_format in panels:
        rows.append(f'<text x="20" y="{y + 16}" font-size="15" font-weight="bold">{escape(panel_title)}</text>')
        y += 28
        top = max((value for _, value in items), default=0) or 1
        for label, value in items:
            length = max(1.0, bar_width * value / top) if value else 0
            rows += [
                f'<text x="{label_width + 10}" y="{y + 15}" font-size="13" text-anchor="end">{escape(label)}</text>',
                f'<rect x="{label_width + 20}" y="{y + 3}" width="{length:.1f}" height="{bar_height - 6}" fill="#2f7ed8">'
                f'<title>{escape(label)}: {value_format.format(value)}</title></rect>',
                f'<text x="{label_width + 26 + length:.1f}" y="{y + 15}" font-size="12">{value_format.format(value)}</text>',
            ]
            y += bar_height
        if not items:
            rows.append(f'<text x="{label_width + 20}" y="{y + 15}" font-size="13" fill="#777">no data</text>')
            y += bar_height
        y += 18
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{y}" viewBox="0 0 {width} {y}" '
            f'font-family="Helvetica, Arial, sans-serif">\n<rect width="100%" height="100%" fill="white"/>\n'
            + "\n".join(rows) + "\n</svg>\n")
