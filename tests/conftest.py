"""One sandbox and one Airflow home per test session."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

# Airflow reads its settings at import: set them before anything imports airflow.
_HOME = Path(tempfile.mkdtemp(prefix="ghl-airflow-home-"))
os.environ.setdefault("AIRFLOW_HOME", str(_HOME))
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
os.environ.setdefault("AIRFLOW__CORE__UNIT_TEST_MODE", "True")
os.environ.setdefault("AIRFLOW__CORE__DAGS_FOLDER", str(Path(__file__).resolve().parents[1] / "example_dags"))

import httpx  # noqa: E402
import pytest  # noqa: E402

from airflow_provider_ghl.sandbox import Sandbox  # noqa: E402
from airflow_provider_ghl.sandbox.config import SandboxConfig  # noqa: E402


@pytest.fixture(scope="session")
def sandbox():
    """The session's sandbox server (rate limits off; tests that need them switch them on)."""
    with Sandbox(contacts=200, rate_limits=False) as server:
        yield server


@pytest.fixture
def fresh_sandbox(sandbox):
    """The session sandbox, reset to its seed with default settings (rate limits off) before and after the test."""
    sandbox.reset(seed=42, contacts=200)
    restore_defaults(sandbox)
    sandbox.control("DELETE", "stats")
    yield sandbox
    restore_defaults(sandbox)


def restore_defaults(sandbox) -> None:
    from dataclasses import asdict

    from airflow_provider_ghl.sandbox.config import Faults, RateLimits

    defaults = SandboxConfig()
    sandbox.configure(rate_limits={**asdict(RateLimits()), "enabled": False}, faults=asdict(Faults()),
                      access_token_ttl_s=defaults.access_token_ttl_s, search_index_lag_s=defaults.search_index_lag_s)


@pytest.fixture
def api(sandbox):
    """A plain httpx client with the full token, for checking the sandbox's state through its API."""

    def request(method: str, path: str, *, version: str = "2021-07-28", token: str | None = None, **kwargs):
        headers = {"Authorization": f"Bearer {token or sandbox.connection('full')['password']}", "Version": version}
        kwargs.setdefault("timeout", 30)
        return httpx.request(method, sandbox.base_url + path, headers=headers, **kwargs)

    return request


@pytest.fixture
def ghl_connections(sandbox, monkeypatch):
    """Airflow connections to the session sandbox: ghl_default (full), ghl_readonly, ghl_oauth, ghl_agency."""
    for conn_id, kind in (("GHL_DEFAULT", "full"), ("GHL_READONLY", "readonly"), ("GHL_OAUTH", "oauth"),
                          ("GHL_AGENCY", "agency")):
        monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id}", sandbox.connection_json(kind))
    return sandbox


class MemoryCursorStore:
    """Stands in for the Variable-backed cursor store of collection sensors outside a task runner."""

    cursors: dict[str, dict] = {}

    def __init__(self, key: str) -> None:
        self.key = key

    def get(self) -> dict | None:
        return self.cursors.get(self.key)

    def set(self, cursor: dict) -> None:
        self.cursors[self.key] = cursor


@pytest.fixture
def cursor_store(monkeypatch):
    """Collection sensors keep their cursors in memory for the test (cleared before and after)."""
    from airflow_provider_ghl.sensors.base import GHLCollectionSensor

    MemoryCursorStore.cursors.clear()
    monkeypatch.setattr(GHLCollectionSensor, "cursor_store_factory", MemoryCursorStore)
    yield MemoryCursorStore.cursors
    MemoryCursorStore.cursors.clear()


class FakeTaskInstance:
    def __init__(self, dag_id: str, task_id: str, try_number: int = 1, map_index: int = -1) -> None:
        self.dag_id, self.task_id, self.try_number, self.map_index = dag_id, task_id, try_number, map_index


def task_context(task_id: str = "task", *, dag_id: str = "test_dag", interval=None, try_number: int = 1,
                 map_index: int = -1) -> dict:
    """A minimal Airflow context for calling ``execute``/``poke`` directly (``interval``: (start, end) datetimes)."""
    start, end = interval or (None, None)
    return {"ti": FakeTaskInstance(dag_id, task_id, try_number, map_index),
            "data_interval_start": start, "data_interval_end": end}


@pytest.fixture(scope="session")
def dag_runner(sandbox):
    """One Airflow metadata DB and one parsed ``example_dags/`` for the session; runs DAGs with ``dag.test()``.

    ``ghl_default`` points at the session sandbox (full token). The first run in a process costs ~10 s
    of Airflow start-up; later ones are fast, so every DAG test should share this fixture.
    """
    os.environ["AIRFLOW_CONN_GHL_DEFAULT"] = sandbox.connection_json("full")
    from airflow_provider_ghl.testing import DagRunner

    return DagRunner(Path(__file__).resolve().parents[1] / "example_dags")


@pytest.fixture
def call_operation(api):
    """Run a catalog operation over plain HTTP and return its answer: ``call_operation("get_business",
    business_id=...)``; ``query=``/``body=`` as for the hook. Fails unless HighLevel answers with success."""
    from airflow_provider_ghl.catalog import get_operation

    def send(key: str, *, query: dict | None = None, body: Any = None, **path: str) -> Any:
        op = get_operation(key)
        response = api(op.method, op.render_path(path), version=op.version, params=query, json=body)
        assert response.status_code < 300, response.text
        return response.json() if "json" in response.headers.get("content-type", "") else response.content

    return send


@pytest.fixture(scope="session")
def hostile_server():
    from tests.hostile import HostileServer

    server = HostileServer().start()
    yield server
    server.stop()


@pytest.fixture
def hostile(hostile_server, monkeypatch):
    """The session's hostile server, with no routes and no recorded requests; ``ghl_hostile`` (a private
    integration connection to it) and ``ghl_hostile_oauth`` are set. See ``tests/hostile.py``."""
    hostile_server.clear()
    monkeypatch.setenv("AIRFLOW_CONN_GHL_HOSTILE", hostile_server.connection_json())
    monkeypatch.setenv("AIRFLOW_CONN_GHL_HOSTILE_OAUTH", hostile_server.connection_json("oauth"))
    yield hostile_server
    hostile_server.clear()


# -- the repository stands alone: nothing in a test session reads beside it ------------------------------------
_REPO = Path(__file__).resolve().parents[1]
OUTSIDE_READS: list[str] = []


_TEMP = Path(tempfile.gettempdir()).resolve()


def _outside_repository(path: Any) -> bool:
    """A path in the folder that holds the repository but not in the repository itself (temporary files aside:
    a clone in /tmp has the tests' own temporary folders beside it)."""
    try:
        resolved = Path(os.fsdecode(path)).resolve()
    except (TypeError, ValueError, OSError):
        return False
    return (resolved.is_relative_to(_REPO.parent) and not resolved.is_relative_to(_REPO)
            and not resolved.is_relative_to(_TEMP))


def _audit_reads(event: str, args: tuple) -> None:
    if event == "open" and args and isinstance(args[0], str | bytes | os.PathLike) and _outside_repository(args[0]):
        OUTSIDE_READS.append(os.fsdecode(args[0]))


import sys  # noqa: E402

sys.addaudithook(_audit_reads)


def pytest_sessionfinish(session, exitstatus):
    if OUTSIDE_READS:
        print(f"\nerror: the tests read files outside the repository: {sorted(set(OUTSIDE_READS))[:10]}")
        session.exitstatus = 1
