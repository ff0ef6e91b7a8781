"""Every example DAG in a real Airflow deployment, started every way a user starts a run.

One module starts real Airflow processes once (``airflow api-server``, ``scheduler`` and ``dag-processor``;
LocalExecutor; a fresh PostgreSQL database when ``GHL_TEST_POSTGRES_URL`` is set, as under CI, else SQLite; a
temporary ``AIRFLOW_HOME``, ``example_dags/`` as the DAG folder, the simple auth manager with everyone an admin,
connections as ``AIRFLOW_CONN_*`` pointing at the session sandbox) and checks, against them:

(c) on its schedule: the scheduler's own run of the ``@daily`` dashboard (DAGs are unpaused at creation,
    ``catchup=False``: the scheduler creates the latest day's run) and an asset-triggered run of the
    asset-scheduled contact sync (an asset event posted through the REST API; the watcher that posts
    such events in production is tested in ``tests/sensors/test_event_triggers.py``);
(a) every example triggered through the REST API with ``{"logical_date": null}`` (no logical date, no
    data interval: what the README documents for Gestioo);
(b) every example triggered with ``airflow dags trigger`` (no ``--logical-date``: no logical date either).

Each run must succeed, and no file an example wrote may have ``None`` in its name. Nothing defers in the
examples, so no triggerer is started. The phases run one after the other so that two runs of one DAG never
write the same day's files at once.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import restore_defaults
from tests.postgres import URL_VARIABLE, admin_url, fresh_database, unavailable, under_ci

ROOT = Path(__file__).resolve().parents[2]
AIRFLOW = str(Path(sys.executable).with_name("airflow"))
CONNECTIONS = {"GHL_DEFAULT": "full", "GHL_OAUTH": "oauth", "GHL_READONLY": "readonly", "GHL_AGENCY": "agency"}
SCHEDULED = "example_gestioo_dashboard"
ASSET_SCHEDULED = "example_gestioo_contact_sync"
FINISHED = {"success", "failed"}
PATIENCE_S = 240  # a generous bound on how long any one wait may take on a loaded 2-core machine

pytestmark = pytest.mark.timeout(900)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Deployment:
    """The Airflow processes, their environment and a REST client for their API server."""

    def __init__(self, home: Path, sandbox, output: Path, database: str | None) -> None:
        self.home, self.output, self.port = home, output, free_port()
        # The test session's own Airflow settings (unit-test mode, its DB) must not leak into the deployment.
        env = {key: value for key, value in os.environ.items() if not key.startswith("AIRFLOW")}
        env.update({
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "example_dags"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
            "AIRFLOW__CORE__PARALLELISM": "3",  # LocalExecutor starts this many workers up front
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
            "AIRFLOW__CORE__FERNET_KEY": base64.urlsafe_b64encode(os.urandom(32)).decode(),
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{self.port}/execution/",
            # PostgreSQL, production's database, where there is one. On SQLite the API server can stall for the
            # lock's whole timeout: a REST call waiting on the lock holds up a task's XCom write that holds it.
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": database or f"sqlite:///{home / 'airflow.db'}?timeout=60",
            "AIRFLOW__API__PORT": str(self.port),
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API__WORKERS": "1",
            "AIRFLOW__API_AUTH__JWT_SECRET": base64.urlsafe_b64encode(os.urandom(64)).decode(),
            # Free ports, not the defaults: other Airflow deployments may run on this machine.
            "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
            "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(free_port()),
            "AIRFLOW__DAG_PROCESSOR__PARSING_PROCESSES": "1",
            "AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL": "600",  # parse once: the files do not change
            "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
            "GHL_EXAMPLE_OUTPUT": str(output),
        })
        env.update({f"AIRFLOW_CONN_{conn_id}": sandbox.connection_json(kind) for conn_id, kind in CONNECTIONS.items()})
        self.env = env
        self.processes: dict[str, subprocess.Popen] = {}
        self.api = httpx.Client(base_url=f"http://127.0.0.1:{self.port}", timeout=30)

    def airflow(self, *commands: tuple[str, ...]) -> list[str]:
        """``airflow`` CLI commands against this deployment, run side by side; their standard outputs."""
        running = [subprocess.Popen([AIRFLOW, *args], env=self.env, cwd=self.home, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, text=True) for args in commands]
        outputs = []
        for args, process in zip(commands, running, strict=True):
            stdout, stderr = process.communicate(timeout=PATIENCE_S)
            assert process.returncode == 0, f"airflow {' '.join(args)}:\n{stdout}\n{stderr}"
            outputs.append(stdout)
        return outputs

    def start(self, *commands: str) -> None:
        for command in commands:
            log = (self.home / f"{command}.log").open("wb")
            # Its own session: stopping it stops the workers and task processes it started too.
            self.processes[command] = subprocess.Popen([AIRFLOW, command], env=self.env, cwd=self.home, stdout=log,
                                                       stderr=subprocess.STDOUT, start_new_session=True)

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        self.api.close()

    def until(self, what: str, check, interval: float = 1.0):
        """Poll ``check()`` until it returns something truthy; fail (with the processes' state) after PATIENCE_S."""
        deadline = time.monotonic() + PATIENCE_S
        while time.monotonic() < deadline:
            for name, process in self.processes.items():
                assert process.poll() is None, f"airflow {name} exited: see {self.home / (name + '.log')}"
            try:
                value = check()
            except httpx.TransportError:
                value = None
            if value:
                return value
            time.sleep(interval)
        raise AssertionError(f"timed out waiting for {what}; logs in {self.home}")

    def get(self, path: str, **params) -> dict:
        response = self.api.get(f"/api/v2{path}", params=params)
        assert response.status_code == 200, response.text
        return response.json()

    def post(self, path: str, body: dict) -> dict:
        response = self.api.post(f"/api/v2{path}", json=body)
        assert response.status_code in (200, 201), response.text
        return response.json()

    def finished(self, runs: dict[str, str]) -> dict[str, dict] | None:
        """``{dag_id: run}`` once every run (``{dag_id: run_id}``) has finished, else ``None``."""
        states = {dag_id: self.get(f"/dags/{dag_id}/dagRuns/{run_id}") for dag_id, run_id in runs.items()}
        return states if all(run["state"] in FINISHED for run in states.values()) else None

    def failures(self, runs: dict[str, dict]) -> dict[str, list[str]]:
        """The failed runs, each with its failed tasks."""
        failed = {}
        for dag_id, run in runs.items():
            if run["state"] != "success":
                instances = self.get(f"/dags/{dag_id}/dagRuns/{run['dag_run_id']}/taskInstances")["task_instances"]
                failed[dag_id] = [f"{ti['task_id']}[{ti['map_index']}]: {ti['state']}" for ti in instances
                                  if ti["state"] not in ("success", "skipped")]
        if failed:
            failed["task logs"] = [str(self.home / "logs")]
        return failed


@pytest.fixture(scope="module")
def database() -> Iterator[str | None]:
    """A fresh PostgreSQL database when ``GHL_TEST_POSTGRES_URL`` names a server (always under CI), else ``None``:
    one SQLite file, good enough on a quiet machine."""
    url = admin_url()
    if not url:
        if under_ci():
            unavailable(f"{URL_VARIABLE} is not set: the deployment runs on PostgreSQL under CI")
        yield None
        return
    with fresh_database(url, "ghl_deployment") as database:
        yield database


@pytest.fixture(scope="module")
def deployment(sandbox, database, tmp_path_factory) -> Iterator[Deployment]:
    sandbox.reset(seed=42, contacts=200)
    sandbox.configure(rate_limits={"enabled": False}, faults={"rate": 0.0})
    home, output = tmp_path_factory.mktemp("airflow-deployment"), tmp_path_factory.mktemp("deployment-output")
    airflow = Deployment(home, sandbox, output, database)
    airflow.airflow(("db", "migrate"))
    airflow.start("api-server", "scheduler", "dag-processor")
    try:
        airflow.until("the API server", lambda: airflow.api.get("/api/v2/monitor/health").status_code == 200)
        expected = {path.stem for path in (ROOT / "example_dags").glob("example_*.py")}
        airflow.until("every example DAG parsed",
                      lambda: {dag["dag_id"] for dag in airflow.get("/dags", limit=100)["dags"]} >= expected)
        errors = airflow.get("/importErrors")
        assert errors["total_entries"] == 0, errors
        yield airflow
    finally:
        airflow.stop()
        # Later modules share the session sandbox: hand it back as the session made it.
        sandbox.reset(seed=42, contacts=200)
        restore_defaults(sandbox)


@pytest.fixture(scope="module")
def example_ids(deployment) -> list[str]:
    return sorted(path.stem for path in (ROOT / "example_dags").glob("example_*.py"))


def files_named_none(output: Path) -> list[str]:
    return sorted(str(path.relative_to(output)) for path in output.rglob("*") if "None" in path.name)


def test_c_scheduled_runs_succeed(deployment):
    scheduled = deployment.until(f"the scheduler's run of {SCHEDULED}", lambda: deployment.get(
        f"/dags/{SCHEDULED}/dagRuns", run_type="scheduled")["dag_runs"])
    asset = deployment.get("/assets", name_pattern="ghl_contacts_changed")["assets"][0]
    deployment.post("/assets/events", {"asset_id": asset["id"], "extra": {"payload": {"ids": [], "event_key": "test"}}})
    triggered = deployment.until(f"the asset-triggered run of {ASSET_SCHEDULED}", lambda: deployment.get(
        f"/dags/{ASSET_SCHEDULED}/dagRuns", run_type="asset_triggered")["dag_runs"])

    runs = deployment.until("the scheduled runs to finish", lambda: deployment.finished(
        {SCHEDULED: scheduled[0]["dag_run_id"], ASSET_SCHEDULED: triggered[0]["dag_run_id"]}))

    assert deployment.failures(runs) == {}
    assert files_named_none(deployment.output) == []


def test_a_every_example_runs_when_triggered_through_the_rest_api_without_a_logical_date(deployment, example_ids):
    runs = {dag_id: deployment.post(f"/dags/{dag_id}/dagRuns", {"logical_date": None})["dag_run_id"]
            for dag_id in example_ids}

    finished = deployment.until("the REST-triggered runs to finish", lambda: deployment.finished(runs))

    assert all(run["logical_date"] is None for run in finished.values())
    assert deployment.failures(finished) == {}
    assert files_named_none(deployment.output) == []


def test_b_every_example_runs_when_triggered_with_airflow_dags_trigger(deployment, example_ids):
    runs = {}
    printed = deployment.airflow(*(("dags", "trigger", dag_id, "--output", "json") for dag_id in example_ids))
    for dag_id, output in zip(example_ids, printed, strict=True):
        [created] = json.loads(next(line for line in output.splitlines() if line.startswith("[")))
        assert created["logical_date"] is None and created["run_type"] == "manual"
        runs[dag_id] = created["dag_run_id"]

    finished = deployment.until("the CLI-triggered runs to finish", lambda: deployment.finished(runs))

    assert deployment.failures(finished) == {}
    assert files_named_none(deployment.output) == []
