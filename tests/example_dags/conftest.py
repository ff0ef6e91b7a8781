"""What the example DAG tests share. Every test sets up what it needs, so any one runs alone or in any order.

- ``run_example`` runs an example DAG with ``dag.test()`` against the session sandbox reset to its seed
  for this test (``fresh_sandbox``), writing into this test's own output folder (``example_output``); it
  fails unless the run succeeded and ended with a ``summary``.
- ``gestioo_customers`` puts Gestioo's batch of new customers into HighLevel the way
  ``example_gestioo_new_contacts`` does (same upsert body, over plain HTTP), for the DAGs that read,
  report on and route them.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.example_dags.helpers import CUSTOMERS

# As in Airflow (and DagRunner): the DAG folder is on sys.path, so tests import the DAGs' helpers and data.
DAG_FOLDER = str(Path(__file__).resolve().parents[2] / "example_dags")
if DAG_FOLDER not in sys.path:
    sys.path.append(DAG_FOLDER)


@pytest.fixture
def example_output(tmp_path, monkeypatch) -> Path:
    """This test's own ``GHL_EXAMPLE_OUTPUT``: empty, nothing shared with another test."""
    folder = tmp_path / "output"
    folder.mkdir()
    monkeypatch.setenv("GHL_EXAMPLE_OUTPUT", str(folder))
    return folder


@pytest.fixture
def run_example(dag_runner, fresh_sandbox, example_output):
    """``run_example(dag_id, conf=None, **dag_test_kwargs)``: a successful run that ends with a summary."""

    def run(dag_id: str, conf: dict | None = None, **kwargs):
        result = dag_runner.run(dag_id, run_conf=conf, **kwargs)
        assert result.succeeded, result.task_states
        assert result.summary_lines(), "every example DAG ends with a summary"
        return result

    return run


@pytest.fixture
def gestioo_customers(dag_runner, fresh_sandbox, api) -> dict[str, dict]:
    """Gestioo's new customers (``customers_new.csv``) as HighLevel contacts, by email, in the reset sandbox."""
    from example_gestioo_new_contacts import contact_body  # the DAG folder is on sys.path, as in Airflow

    contacts = {}
    for row in CUSTOMERS:
        answer = api("POST", "/contacts/upsert", json={**contact_body(row), "locationId": fresh_sandbox.location_id})
        assert answer.status_code < 300, answer.text
        contacts[row["email"]] = answer.json()["contact"]
    return contacts
