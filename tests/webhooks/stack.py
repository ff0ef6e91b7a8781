"""A real Airflow deployment for end-to-end webhook runs: ``airflow api-server``, ``scheduler``, ``dag-processor``
(and ``triggerer`` when asked) as child processes, LocalExecutor, SQLite in a temporary ``AIRFLOW_HOME``.

The receiver plugin is loaded from a plugins folder (``from airflow_provider_ghl.webhooks.plugin import
GHLWebhooksPlugin``), so the run does not depend on the package's installed entry points; ``PYTHONPATH``
puts this checkout first. Used by ``tests/webhooks/test_end_to_end.py`` and ``bench/bench_webhook_latency.py``.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import httpx

ROOT = Path(__file__).resolve().parents[2]
PLUGIN = "from airflow_provider_ghl.webhooks.plugin import GHLWebhooksPlugin  # noqa: F401\n"
T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def airflow_command() -> list[str]:
    """``airflow`` of this interpreter (the venv's)."""
    return [sys.executable, "-m", "airflow"]


class AirflowStack:
    """Airflow's processes on one temporary home; ``with AirflowStack(dags, env) as stack: ...``."""

    def __init__(self, dags: dict[str, str], env: dict[str, str] | None = None, *, triggerer: bool = False,
                 port: int | None = None, keep: bool = False) -> None:
        self.dags = dags
        self.extra_env = env or {}
        self.triggerer = triggerer
        self.port = port or free_port()
        self.keep = keep
        self.home = Path(tempfile.mkdtemp(prefix="ghl-e2e-airflow-"))
        self.processes: dict[str, subprocess.Popen] = {}
        self.env: dict[str, str] = {}

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def webhook_url(self) -> str:
        return f"{self.base_url}/ghl/webhooks"

    def _environment(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
        env.update(
            AIRFLOW_HOME=str(self.home),
            AIRFLOW__CORE__DAGS_FOLDER=str(self.home / "dags"),
            AIRFLOW__CORE__PLUGINS_FOLDER=str(self.home / "plugins"),
            AIRFLOW__CORE__LOAD_EXAMPLES="False",
            AIRFLOW__CORE__EXECUTOR="LocalExecutor",
            AIRFLOW__CORE__PARALLELISM="4",
            AIRFLOW__CORE__EXECUTION_API_SERVER_URL=f"{self.base_url}/execution/",
            AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS="True",
            AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=f"sqlite:///{self.home / 'airflow.db'}",
            AIRFLOW__API__HOST="127.0.0.1",
            AIRFLOW__API__PORT=str(self.port),
            AIRFLOW__API__WORKERS="1",
            AIRFLOW__API__BASE_URL=self.base_url,
            AIRFLOW__API_AUTH__JWT_SECRET=secrets.token_urlsafe(32),
            AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL="5",
            AIRFLOW__SCHEDULER__SCHEDULER_IDLE_SLEEP_TIME="0.2",
            AIRFLOW__LOGGING__LOGGING_LEVEL="INFO",
            PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
            NO_PROXY="127.0.0.1,localhost",
        )
        env.update(self.extra_env)
        return env

    # -- life cycle ------------------------------------------------------------------------------------------
    def start(self, timeout: float = 150.0) -> AirflowStack:
        (self.home / "dags").mkdir()
        (self.home / "plugins").mkdir()
        (self.home / "plugins" / "ghl_webhooks.py").write_text(PLUGIN)
        for name, source in self.dags.items():
            (self.home / "dags" / name).write_text(source)
        self.env = self._environment()
        migrate = subprocess.run([*airflow_command(), "db", "migrate"], env=self.env, capture_output=True, text=True,
                                 timeout=timeout)
        if migrate.returncode:
            raise RuntimeError(f"airflow db migrate failed: {migrate.stderr[-2000:]}")
        commands = {"api-server": ["api-server"], "scheduler": ["scheduler"], "dag-processor": ["dag-processor"]}
        if self.triggerer:
            commands["triggerer"] = ["triggerer"]
        for name, args in commands.items():
            log = (self.home / f"{name}.log").open("wb")
            self.processes[name] = subprocess.Popen([*airflow_command(), *args], env=self.env, stdout=log,
                                                    stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        self.wait(self._api_ready, deadline - time.monotonic(), "the API server and the webhook receiver")
        return self

    def _api_ready(self) -> bool:
        self.check_alive()
        try:
            health = httpx.get(f"{self.base_url}/api/v2/monitor/health", timeout=5, trust_env=False)
            unsigned = httpx.post(self.webhook_url, content=b"{}", timeout=5, trust_env=False)
        except httpx.HTTPError:
            return False
        return health.status_code == 200 and unsigned.status_code in (400, 401)

    def check_alive(self) -> None:
        for name, process in self.processes.items():
            if process.poll() is not None:
                raise RuntimeError(f"airflow {name} exited ({process.returncode}):\n{self.log_tail(name)}")

    def log_tail(self, name: str, size: int = 3000) -> str:
        path = self.home / f"{name}.log"
        return path.read_text(errors="replace")[-size:] if path.exists() else ""

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)  # the process group of a child we started
        for process in self.processes.values():
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(5)
        if not self.keep:
            shutil.rmtree(self.home, ignore_errors=True)

    def __enter__(self) -> AirflowStack:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- reading the metadata database -------------------------------------------------------------------
    def query(self, sql: str, *params: Any) -> list[tuple]:
        with sqlite3.connect(f"file:{self.home / 'airflow.db'}?mode=ro", uri=True, timeout=10) as db:
            return db.execute(sql, params).fetchall()

    def wait(self, probe: Callable[[], T], timeout: float, what: str, every: float = 0.1) -> T:
        deadline = time.monotonic() + timeout
        while True:
            try:
                found = probe()
            except sqlite3.OperationalError:  # a table not created yet, or the writer holds the lock
                found = None
            if found:
                return found
            if time.monotonic() > deadline:
                tails = "\n".join(f"--- {name}\n{self.log_tail(name, 1500)}" for name in self.processes)
                raise TimeoutError(f"waited {timeout:.0f} s for {what}\n{tails}")
            self.check_alive()
            time.sleep(every)

    def dag_ready(self, dag_id: str, asset_uri: str) -> bool:
        """The DAG is parsed and unpaused, and its asset is known (the receiver records nothing for an unknown asset)."""
        dags = self.query("SELECT is_paused FROM dag WHERE dag_id = ?", dag_id)
        assets = self.query("SELECT id FROM asset WHERE uri = ?", asset_uri)
        return bool(dags) and not dags[0][0] and bool(assets)

    def runs(self, dag_id: str) -> list[dict[str, Any]]:
        rows = self.query("SELECT run_id, state, run_type, queued_at, start_date, end_date FROM dag_run "
                          "WHERE dag_id = ? ORDER BY id", dag_id)
        return [dict(zip(("run_id", "state", "run_type", "queued_at", "start_date", "end_date"), row, strict=True))
                for row in rows]

    def return_value(self, dag_id: str, run_id: str, task_id: str) -> Any:
        rows = self.query("SELECT value FROM xcom WHERE dag_id = ? AND run_id = ? AND task_id = ? "
                          "AND key = 'return_value'", dag_id, run_id, task_id)
        if not rows:
            return None
        value = rows[0][0]
        return json.loads(value) if isinstance(value, str | bytes) else value
