"""A real ``airflow api-server`` and a headless Chromium, once per UI test module.

The api-server runs in its own Airflow home (never the session's), with the Test button enabled and every
user an admin (simple auth manager). Its DAG folder holds one DAG that creates a contact, run once with
``airflow dags test`` against the same metadata DB so the UI can show its "View in HighLevel" link.

Chromium: CI (``CI`` set) fails without it, so a green CI always means the browser ran; a developer
without it gets a skip whose reason (and a warning) says how to install it.

``GHL_UI_KEEP=1`` keeps the Airflow home (its logs: api-server, dags-test, cli, migrate) after the module.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]

# Headless without a network: the background-networking flags stop Chromium from hanging on refused
# connections to Google's services.
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]

CLI_CONN_ID = "ghl_cli"
LINK_DAG_ID = "ghl_ui_link"
LINK_DAG = f'''
from airflow.sdk import dag

from airflow_provider_ghl.operators.contacts import GHLCreateContactOperator


@dag(dag_id="{LINK_DAG_ID}", schedule=None, catchup=False)
def link_dag():
    GHLCreateContactOperator(task_id="create_contact", body={{"firstName": "Linked", "email": "ui-link@example.com"}})


link_dag()
'''


def unavailable(reason: str) -> None:
    """Fail under CI (the UI tests must not pass without running); skip loudly elsewhere."""
    if os.environ.get("CI", "").lower() not in ("", "0", "false"):
        pytest.fail(f"{reason} (CI must run the UI tests: .ci/run installs chromium)")
    warnings.warn(f"UI tests skipped: {reason}", stacklevel=2)
    pytest.skip(reason)


def chromium_path() -> str | None:
    return os.environ.get("GHL_UI_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class AirflowUI:
    """The running api-server: its URL, home, environment and logs."""

    base_url: str
    home: Path
    env: dict[str, str]
    logs: dict[str, Path] = field(default_factory=dict)
    link_run: subprocess.Popen | None = None

    def airflow(self, *args: str, log: str, timeout: float = 120) -> None:
        """Run an ``airflow`` CLI command in this home; its output goes to a log file (it may print secrets)."""
        path = self.logs.setdefault(log, self.home / f"{log}.log")
        with path.open("ab") as out:
            done = subprocess.run([sys.executable, "-m", "airflow", *args], env=self.env, stdout=out,
                                  stderr=subprocess.STDOUT, timeout=timeout, check=False)
        assert done.returncode == 0, f"airflow {args[0]} failed, see {path}"

    def start(self, log: str, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen:
        """Start an ``airflow`` CLI command in this home, in its own process group; output to a log file."""
        path = self.logs.setdefault(log, self.home / f"{log}.log")
        with path.open("ab") as out:
            return subprocess.Popen([sys.executable, "-m", "airflow", *args], env={**self.env, **(env or {})},
                                    stdout=out, stderr=subprocess.STDOUT, start_new_session=True)

    def wait_for_link_run(self, timeout: float = 120) -> None:
        assert self.link_run is not None
        assert self.link_run.wait(timeout) == 0, f"airflow dags test failed, see {self.logs['dags-test']}"

    def log_text(self) -> str:
        return "".join(path.read_text(errors="replace") for path in self.logs.values() if path.exists())


def _clean_env(home: Path, dags: Path) -> dict[str, str]:
    # The session's conftest points AIRFLOW_* at its own home and unit-test mode: none of that may leak in.
    env = {key: value for key, value in os.environ.items() if not key.startswith("AIRFLOW")}
    env.update({
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(dags),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__TEST_CONNECTION": "Enabled",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    })
    return env


@pytest.fixture(scope="module")
def airflow_ui(sandbox) -> Iterator[AirflowUI]:
    """``airflow api-server`` on a free loopback port; ``airflow dags test`` of the link DAG runs meanwhile."""
    home = Path(tempfile.mkdtemp(prefix="ghl-ui-airflow-"))
    dags = home / "dags"
    dags.mkdir()
    (dags / f"{LINK_DAG_ID}.py").write_text(LINK_DAG)
    port = free_port()
    ui = AirflowUI(base_url=f"http://127.0.0.1:{port}", home=home, env=_clean_env(home, dags))
    ui.airflow("db", "migrate", log="migrate")

    # Three Airflow processes start together: each spends seconds importing Airflow, and on a busy
    # machine running them side by side is what keeps the module's wall time down.
    # The UI only needs the core API ("dags test" runs its tasks in-process).
    server = ui.start("api-server", "api-server", "--apps", "core", "--host", "127.0.0.1", "--port", str(port),
                      "--workers", "1")
    # A connection stored with the CLI exactly as the sandbox prints it: no port, like most CLI-made ones.
    cli_conns = write_connections(home / "connections.json", {CLI_CONN_ID: sandbox.connection("full")})
    cli = ui.start("cli", "connections", "import", str(cli_conns))
    ui.link_run = ui.start("dags-test", "dags", "test", LINK_DAG_ID,
                           env={"AIRFLOW_CONN_GHL_DEFAULT": sandbox.connection_json("full")})
    try:
        deadline = time.monotonic() + 90
        while True:
            assert server.poll() is None, f"airflow api-server exited, see {ui.logs['api-server']}"
            try:
                if httpx.get(f"{ui.base_url}/api/v2/monitor/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, f"airflow api-server did not answer in 90 s, see {ui.logs['api-server']}"
            time.sleep(0.3)
        assert cli.wait(120) == 0, f"airflow connections import failed, see {ui.logs['cli']}"
        cli_conns.unlink()
        yield ui
    finally:
        # A throw-away server: a short grace, then the whole process group goes (its graceful stop takes ~6 s).
        for process in (ui.link_run, cli, server):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(2)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait(10)
        if not os.environ.get("GHL_UI_KEEP"):
            shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="module")
def browser_context(tmp_path_factory) -> Iterator[Any]:
    """A headless Chromium with a fresh profile (Playwright drives the system's chromium; it downloads none)."""
    executable = chromium_path()
    if executable is None:
        unavailable("no chromium found (apt-get install chromium, or set GHL_UI_CHROMIUM)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("playwright is not installed (pip install -e '.[test]')")
    playwright = sync_playwright().start()
    try:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")), executable_path=executable, headless=True,
            args=CHROMIUM_FLAGS, viewport={"width": 1400, "height": 1000})
        context.set_default_timeout(30_000)
        yield context
        context.close()
    finally:
        playwright.stop()


@pytest.fixture
def page(browser_context) -> Iterator[Any]:
    page = browser_context.new_page()
    yield page
    page.close()


def write_connections(path: Path, connections: dict[str, dict[str, Any]]) -> Path:
    path.write_text(json.dumps(connections))
    return path
