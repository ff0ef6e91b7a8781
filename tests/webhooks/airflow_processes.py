"""A real Airflow (API server, DAG processor, scheduler) in child processes, with this checkout as the provider:
its package first on ``PYTHONPATH``, and the entry points of its ``pyproject.toml`` (``apache_airflow_provider``,
``airflow.plugins``) declared once, by the installed copy or else by a ``.dist-info`` made here."""

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
import tomllib
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[2]
AIRFLOW = str(Path(sys.executable).with_name("airflow"))
PASSWORD = "webhook-tests-admin"


def _dist_info(site: Path) -> None:
    """The entry points of this checkout's ``pyproject.toml`` that the installed copy of the provider lacks, in a
    ``.dist-info`` first on ``PYTHONPATH`` (the package itself comes from the checkout too). Airflow loads an entry
    point once per distribution that declares it, so none is declared twice."""
    from importlib import metadata

    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    try:
        installed = {(ep.group, ep.name): ep.value for ep in metadata.distribution(project["name"]).entry_points}
    except metadata.PackageNotFoundError:
        installed = {}
    lines = []
    for group, entries in project.get("entry-points", {}).items():
        missing = {name: target for name, target in entries.items() if (group, name) not in installed}
        for name, target in entries.items():
            if installed.get((group, name), target) != target:
                raise RuntimeError(f"the installed {project['name']} declares {group} {name} = "
                                   f"{installed[(group, name)]}, this checkout {target}: reinstall it")
        if missing:
            lines += [f"[{group}]", *(f"{name} = {target}" for name, target in missing.items()), ""]
    if not lines:
        return
    info = site / "airflow_provider_ghl_checkout_entry_points-0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: airflow-provider-ghl-checkout-entry-points\nVersion: 0\n")
    (info / "entry_points.txt").write_text("\n".join(lines))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Airflow:
    """``with Airflow(dags, env={...}, workers=2) as airflow: airflow.url, airflow.rest(...)``."""

    def __init__(self, dags_folder: Path, *, env: dict[str, str], workers: int = 1, scheduler: bool = True,
                 cpu: int | None = None) -> None:
        self.home = Path(tempfile.mkdtemp(prefix="ghl-webhooks-airflow-"))
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.workers = workers
        self.with_scheduler = scheduler
        self.cpu = cpu
        site = self.home / "site"
        _dist_info(site)
        # The package from this checkout, without the checkout's root: an editable install leaves an .egg-info there,
        # a second copy of the distribution's metadata, and Airflow would then load the plugin twice.
        site.mkdir(parents=True, exist_ok=True)
        (site / "airflow_provider_ghl").symlink_to(REPO / "airflow_provider_ghl", target_is_directory=True)
        (self.home / "passwords.json").write_text(json.dumps({"admin": PASSWORD}))
        base = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "_AIRFLOW"))}
        self.env = {
            **base,
            "PYTHONPATH": str(site),
            "AIRFLOW_HOME": str(self.home),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__DAGS_FOLDER": str(dags_folder),
            "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
            "AIRFLOW__CORE__PARALLELISM": "2",
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{self.url}/execution/",
            "AIRFLOW__CORE__FERNET_KEY": "Hx3wI9o2tI5nYJ6Qm1Hq8uT0G7kPpLdXcVbNa4eR2sw=",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(self.home / "passwords.json"),
            "AIRFLOW__API_AUTH__JWT_SECRET": "ghl-webhook-tests-jwt-secret-not-for-production",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{self.home / 'airflow.db'}",
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
            "AIRFLOW__SCHEDULER__STANDALONE_DAG_PROCESSOR": "True",
            # Log servers default to fixed ports (8793, 8794): another Airflow on the machine must not collide.
            "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(_free_port()),
            "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(_free_port()),
            **env,
        }
        self.processes: dict[str, subprocess.Popen] = {}

    def _start(self, name: str, *args: str) -> None:
        log = open(self.home / f"{name}.log", "wb")  # noqa: SIM115 - kept open for the child's lifetime
        pin = ["taskset", "-c", str(self.cpu)] if self.cpu is not None else []
        self.processes[name] = subprocess.Popen([*pin, AIRFLOW, *args], env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                                cwd=self.home, start_new_session=True)

    def __enter__(self) -> Airflow:
        subprocess.run([AIRFLOW, "db", "migrate"], env=self.env, cwd=self.home, check=True, capture_output=True, timeout=300)
        # The DAGs (and their assets) in the DB before any process starts; the DAG processor keeps them up to date.
        subprocess.run([AIRFLOW, "dags", "reserialize"], env=self.env, cwd=self.home, capture_output=True, timeout=300)
        self._start("api-server", "api-server", "--host", "127.0.0.1", "--port", str(self.port),
                    "--workers", str(self.workers))
        if self.with_scheduler:
            self._start("dag-processor", "dag-processor")
            self._start("scheduler", "scheduler")
        self.wait(lambda: httpx.get(f"{self.url}/api/v2/monitor/health", timeout=5).status_code == 200,
                  "the API server to answer", timeout=240)
        return self

    def __exit__(self, *exc: Any) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(10)
        shutil.rmtree(self.home, ignore_errors=True)

    def log(self, name: str) -> str:
        return (self.home / f"{name}.log").read_text(errors="replace")

    def wait(self, condition: Any, what: str, timeout: float = 120) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for name, process in self.processes.items():
                if process.poll() is not None:
                    raise RuntimeError(f"airflow {name} exited ({process.returncode}):\n{self.log(name)[-4000:]}")
            try:
                if result := condition():
                    return result
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        logs = "\n".join(f"--- {name}\n{self.log(name)[-3000:]}" for name in self.processes)
        raise TimeoutError(f"waited {timeout} s for {what}\n{logs}")

    def token(self) -> str:
        if getattr(self, "_token", None):
            return self._token
        response = httpx.post(f"{self.url}/auth/token", json={"username": "admin", "password": PASSWORD}, timeout=30)
        response.raise_for_status()
        self._token: str = response.json()["access_token"]
        return self._token

    def rest(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """A call to Airflow's REST API, logged in as admin."""
        headers = {"Authorization": f"Bearer {self.token()}", **kwargs.pop("headers", {})}
        return httpx.request(method, f"{self.url}/api/v2{path}", headers=headers, timeout=30, **kwargs)
