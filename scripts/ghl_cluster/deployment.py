"""The services of the cluster: a private PostgreSQL cluster, Redis, the sandbox and Airflow (CeleryExecutor).

Everything lives under ``.cluster/`` and listens on 127.0.0.1 only. Each process this module starts has a pid
file in ``.cluster/pids/`` (its pid and its start time, so a reused pid is never killed); ``stop()`` ends those
and nothing else (PostgreSQL through its own ``pg_ctl stop`` on its own data directory). PostgreSQL and Redis are
reused when they still run from an earlier start; the sandbox and Airflow start afresh on a new database.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]
STATE = ROOT / ".cluster"
PIDS, RUN = STATE / "pids", STATE / "run"
LOGS = RUN / "logs"
"""Everything a run writes that is a log (the secrets check reads every file under it) and its screenshots."""
BIN = Path(sys.executable).parent
AIRFLOW = str(BIN / "airflow")
WORKERS = ("worker-1", "worker-2")
CONNECTIONS = {"ghl_default": "full", "ghl_oauth": "oauth", "ghl_readonly": "readonly", "ghl_agency": "agency"}
OAUTH_TOKEN_TTL_S = 30
"""The sandbox's access-token life: short, so the OAuth check's moved clock expires tokens mid-run."""
PATIENCE_S = 240.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def settings() -> dict[str, Any]:
    """Ports, paths and secrets of this deployment, made once and kept (mode 600): reruns reuse PostgreSQL and Redis."""
    STATE.mkdir(exist_ok=True)
    path = STATE / "settings.json"
    kept = json.loads(path.read_text()) if path.exists() else {}
    made = {"pg_port": free_port, "redis_port": free_port, "db_password": lambda: secrets.token_urlsafe(18),
            "pg_home": lambda: str(_postgres_home())}
    if missing := [key for key in made if key not in kept]:
        kept.update({key: made[key]() for key in missing})
        path.touch(mode=0o600)
        path.write_text(json.dumps(kept))
    return kept


def _postgres_home() -> Path:
    """``.cluster/postgres``, unless the ``postgres`` user (which runs the server when we are root) cannot reach it
    (a checkout under ``/root``): then a directory of this checkout's own under ``/var/lib/postgresql``."""
    home = STATE / "postgres"
    if os.geteuid() != 0 or subprocess.run(["runuser", "-u", "postgres", "--", "test", "-x", str(STATE)]).returncode == 0:
        return home
    return Path("/var/lib/postgresql") / f"ghl-cluster-{hashlib.sha256(str(ROOT).encode()).hexdigest()[:12]}"


# -- processes and pid files ---------------------------------------------------------------------------------

def _start_time(pid: int) -> str | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def _alive(name: str) -> int | None:
    """The pid recorded for ``name`` if that very process still runs."""
    try:
        pid, started = (PIDS / f"{name}.pid").read_text().split()
    except (OSError, ValueError):
        return None
    return int(pid) if _start_time(int(pid)) == started else None


def spawn(name: str, command: list[str], env: dict[str, str] | None = None, cwd: Path = ROOT) -> subprocess.Popen:
    """Start ``command`` in its own session (stopping it stops its children), output to ``LOGS/<name>.log``."""
    LOGS.mkdir(parents=True, exist_ok=True)
    PIDS.mkdir(parents=True, exist_ok=True)
    with (LOGS / f"{name}.log").open("ab") as log:
        process = subprocess.Popen(command, env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True)
    (PIDS / f"{name}.pid").write_text(f"{process.pid} {_start_time(process.pid)}")
    return process


def end(*names: str, grace_s: float = 20) -> list[str]:
    """End the process groups ``names`` started, all at once (SIGTERM, then SIGKILL after ``grace_s``); forget their
    pid files. The names that were running."""
    running = {name: pid for name in names if (pid := _alive(name)) is not None}
    for pid in running.values():
        os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace_s
    while any(_start_time(pid) for pid in running.values()) and time.monotonic() < deadline:
        time.sleep(0.2)
    for pid in running.values():
        if _start_time(pid):
            os.killpg(pid, signal.SIGKILL)
    for name in names:
        (PIDS / f"{name}.pid").unlink(missing_ok=True)
    return list(running)


def group_rss_kib(name: str) -> int:
    """Resident memory of every process in the session ``name`` leads (its own and its children's), in KiB."""
    leader = _alive(name)
    if leader is None:
        return 0
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[3]) == leader:  # the session id
                status = (stat.parent / "status").read_text()
                total += int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS:")))
        except (OSError, StopIteration, ValueError):
            continue
    return total


def wait(what: str, condition: Any, timeout: float = PATIENCE_S, interval: float = 1.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if result := condition():
                return result
        except (httpx.HTTPError, OSError, subprocess.SubprocessError):
            pass
        time.sleep(interval)
    raise TimeoutError(f"waited {timeout:.0f} s for {what}")


# -- PostgreSQL and Redis ------------------------------------------------------------------------------------

def _as_postgres(command: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: as root, run its tools as the distribution's ``postgres`` user."""
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


def _pg_bin(tool: str) -> str:
    found = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{tool}"), key=lambda p: int(p.parts[-3]))
    return str(found[-1]) if found else tool


class PostgreSQL:
    """A private cluster in ``.cluster/postgres`` (never the system's), on 127.0.0.1 and a socket of its own."""

    def __init__(self, settings: dict[str, Any]) -> None:
        self.port, self.home = settings["pg_port"], Path(settings["pg_home"])
        self.data, self.socket_dir, self.log = self.home / "data", self.home / "run", self.home / "postgres.log"

    def start(self) -> str:
        if not (self.data / "PG_VERSION").exists():
            shutil.rmtree(self.home, ignore_errors=True)
            self.socket_dir.mkdir(parents=True)
            if os.geteuid() == 0:
                shutil.chown(self.home, "postgres")
                shutil.chown(self.socket_dir, "postgres")
            # Local (socket) connections trust the OS user that reaches the socket (postgres or root); TCP needs
            # the password.
            subprocess.run(_as_postgres([_pg_bin("initdb"), "-D", str(self.data), "-U", "postgres",
                                         "--auth-local=trust", "--auth-host=scram-sha-256"]),
                           check=True, capture_output=True)
        if subprocess.run(_as_postgres([_pg_bin("pg_ctl"), "-D", str(self.data), "status"]),
                          capture_output=True).returncode != 0:
            subprocess.run(_as_postgres([
                _pg_bin("pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-w", "start", "-o",
                f"-p {self.port} -k {self.socket_dir} -c listen_addresses=127.0.0.1"]), check=True, capture_output=True)
        return "running"

    def psql(self, sql: str, database: str = "postgres") -> str:
        done = subprocess.run(_as_postgres([_pg_bin("psql"), "-h", str(self.socket_dir), "-p", str(self.port), "-U",
                                            "postgres", "-d", database, "-v", "ON_ERROR_STOP=1", "-qAt", "-c", sql]),
                              check=True, capture_output=True, text=True, cwd="/")
        return done.stdout

    def fresh_database(self, password: str) -> str:
        """The role ``airflow`` and an empty database ``airflow`` (a leftover one from an earlier run is dropped)."""
        self.psql("SELECT 1")
        if not self.psql("SELECT 1 FROM pg_roles WHERE rolname = 'airflow'").strip():
            self.psql("CREATE ROLE airflow LOGIN")
        self.psql(f"ALTER ROLE airflow PASSWORD '{password}'")
        self.psql("DROP DATABASE IF EXISTS airflow WITH (FORCE)")
        self.psql("CREATE DATABASE airflow OWNER airflow")
        return f"airflow:{password}@127.0.0.1:{self.port}/airflow"

    def stop(self) -> None:
        if (self.data / "PG_VERSION").exists():
            subprocess.run(_as_postgres([_pg_bin("pg_ctl"), "-D", str(self.data), "-m", "fast", "stop"]),
                           capture_output=True)


def start_redis(port: int) -> None:
    if _alive("redis"):
        subprocess.run(["redis-cli", "-h", "127.0.0.1", "-p", str(port), "FLUSHALL"], check=True, capture_output=True)
        return
    (STATE / "redis").mkdir(parents=True, exist_ok=True)
    spawn("redis", ["redis-server", "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no",
                    "--dir", str(STATE / "redis"), "--protected-mode", "yes"])
    wait("Redis", lambda: subprocess.run(["redis-cli", "-h", "127.0.0.1", "-p", str(port), "PING"],
                                         capture_output=True, text=True).stdout.strip() == "PONG", timeout=30, interval=0.2)


# -- the sandbox ---------------------------------------------------------------------------------------------

@dataclass
class Sandbox:
    info: dict[str, Any]

    @property
    def url(self) -> str:
        return self.info["base_url"]

    def control(self, method: str, path: str, **kwargs: Any) -> Any:
        response = httpx.request(method, f"{self.url}/__sandbox__/{path}", timeout=30,
                                 headers={"X-Sandbox-Token": self.info["control_token"]}, **kwargs)
        response.raise_for_status()
        return response.json() if response.content else None

    def api(self, method: str, path: str, **kwargs: Any) -> Any:
        """HighLevel's API with the full Private Integration token (as a HighLevel admin would change data)."""
        token = self.info["connections"]["full"]["password"]
        response = httpx.request(method, f"{self.url}{path}", timeout=30, **kwargs,
                                 headers={"Authorization": f"Bearer {token}", "Version": "2021-07-28"})
        response.raise_for_status()
        return response.json()

    def secrets(self) -> set[str]:
        """Every credential the sandbox handed out at start (tokens issued later are found by their shape)."""
        found = {self.info["control_token"]}
        for connection in self.info["connections"].values():
            found |= {connection.get("password") or "", *(connection["extra"].get(key, "") for key in
                                                           ("client_secret", "refresh_token"))}
        return found - {""}


def start_sandbox() -> Sandbox:
    sandbox = spawn("sandbox", [str(BIN / "ghl-sandbox"), "--port", "0", "--token-ttl", str(OAUTH_TOKEN_TTL_S)])
    log = LOGS / "sandbox.log"
    line = wait("the sandbox's first line", lambda: log.read_text().partition("\n")[1] and log.read_text(), 60, 0.2)
    if sandbox.poll() is not None:
        raise RuntimeError(f"ghl-sandbox exited: {line}")
    # The first line holds the sandbox's credentials: keep it out of the log that the secrets check reads.
    info = json.loads(line.partition("\n")[0])
    log.write_text("")
    return Sandbox(info)


# -- Airflow ------------------------------------------------------------------------------------------------

@dataclass
class Airflow:
    env: dict[str, str]
    url: str
    secrets: set[str] = field(default_factory=set)

    def rest(self, method: str, path: str, **kwargs: Any) -> Any:
        response = httpx.request(method, f"{self.url}/api/v2{path}", timeout=30, **kwargs)
        if response.status_code >= 400:
            raise RuntimeError(f"{method} {path}: {response.status_code} {response.text[:500]}")
        return response.json() if response.content else None

    def cli(self, *args: str, log: str, timeout: float = 300) -> None:
        with (LOGS / f"{log}.log").open("ab") as out:
            done = subprocess.run([AIRFLOW, *args], env=self.env, cwd=STATE, stdout=out, stderr=subprocess.STDOUT,
                                  timeout=timeout, check=False)
        if done.returncode:
            raise RuntimeError(f"airflow {' '.join(args)} failed: see {LOGS / (log + '.log')}")

    def start(self, name: str, *args: str, **extra_env: str) -> None:
        spawn(name, [AIRFLOW, *args], env={**self.env, **extra_env}, cwd=STATE)

    def celery(self, *args: str) -> str:
        """A ``celery control`` command to the workers through the broker (e.g. stop a worker's consumption)."""
        done = subprocess.run([str(BIN / "celery"), "-A", "airflow.providers.celery.executors.celery_executor.app",
                               *args], env=self.env, cwd=STATE, capture_output=True, text=True, timeout=60, check=True)
        return done.stdout


COMPONENTS = ("api-server", "scheduler", "dag-processor", "triggerer", *WORKERS)


def dags_folder() -> Path:
    """The example DAGs and the cluster's own, side by side in one folder (symlinks: the files stay where they are;
    the examples import their common modules from the DAG folder)."""
    folder = STATE / "dags"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for source in [*(ROOT / "example_dags").iterdir(), *Path(__file__).with_name("dags").glob("cluster_*.py")]:
        if source.name != "__pycache__":
            (folder / source.name).symlink_to(source)
    return folder


def airflow_env(settings: dict[str, Any], db: str, sandbox: Sandbox, api_port: int) -> dict[str, str]:
    fernet = base64.urlsafe_b64encode(os.urandom(32)).decode()
    jwt_secret = secrets.token_urlsafe(48)
    base = {key: value for key, value in os.environ.items() if not key.startswith(("AIRFLOW", "_AIRFLOW"))}
    return {
        **base,
        "PYTHONPATH": str(ROOT / "scripts"),  # ghl_cluster.worker_name and .conditions; the provider is installed
        "AIRFLOW_HOME": str(STATE / "airflow"),
        "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
        "AIRFLOW__CORE__DAGS_FOLDER": str(dags_folder()),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__PARALLELISM": "32",
        "AIRFLOW__CORE__FERNET_KEY": fernet,
        "AIRFLOW__CORE__TEST_CONNECTION": "Enabled",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",  # loopback only: no login for the checks
        "AIRFLOW__CORE__HOSTNAME_CALLABLE": "ghl_cluster.worker_name.hostname",
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{api_port}/execution/",
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__PORT": str(api_port),
        "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{api_port}",
        "AIRFLOW__API_AUTH__JWT_SECRET": jwt_secret,
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"postgresql+psycopg2://{db}",
        "AIRFLOW__CELERY__BROKER_URL": f"redis://127.0.0.1:{settings['redis_port']}/0",
        # psycopg2 named: SQLAlchemy 2.1 maps a bare postgresql:// to psycopg 3, which Airflow does not install.
        "AIRFLOW__CELERY__RESULT_BACKEND": f"db+postgresql+psycopg2://{db}",
        "AIRFLOW__CELERY__WORKER_CONCURRENCY": "8",
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "10",
        "AIRFLOW__DAG_PROCESSOR__PARSING_PROCESSES": "1",
        "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "2",
        "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(LOGS / "airflow"),
        "AIRFLOW__GHL__WEBHOOK_PUBLIC_KEY": sandbox.info["webhook_public_key"],
        "GHL_LOCATION_ID": sandbox.info["location_id"],  # example_gestioo_contact_sync: on the webhook asset
        "GHL_EXAMPLE_OUTPUT": str(RUN / "output"),
        "_GHL_CLUSTER_SECRETS": json.dumps([fernet, jwt_secret, settings["db_password"]]),
    }


def start_airflow(settings: dict[str, Any], db: str, sandbox: Sandbox) -> Airflow:
    api_port = free_port()
    env = airflow_env(settings, db, sandbox, api_port)
    airflow = Airflow(env=env, url=f"http://127.0.0.1:{api_port}",
                      secrets={*json.loads(env.pop("_GHL_CLUSTER_SECRETS")), *sandbox.secrets()})
    (STATE / "airflow").mkdir(exist_ok=True)
    airflow.cli("db", "migrate", log="migrate")
    # Connections in the metadata DB (a secrets backend works as well, but only stored ones have the UI's Test
    # button); every ghl connection gets port 443, which the Test button needs (README).
    connections = {conn_id: {**sandbox.info["connections"][kind], "port": 443} for conn_id, kind in CONNECTIONS.items()}
    path = STATE / "connections.json"
    path.touch(mode=0o600)
    path.write_text(json.dumps(connections))
    try:
        airflow.cli("connections", "import", str(path), log="connections")
    finally:
        path.unlink()
    airflow.start("api-server", "api-server", "--workers", "1")
    airflow.start("scheduler", "scheduler")
    airflow.start("dag-processor", "dag-processor")
    # The log servers of Airflow 3.3.2 bind every interface (serve_logs: host=""), with no option: on one machine
    # the API server reads the log files itself, so they are not started.
    airflow.start("triggerer", "triggerer", "--skip-serve-logs")
    for worker in WORKERS:
        airflow.start(worker, "celery", "worker", "--celery-hostname", f"{worker}@%h", "--skip-serve-logs",
                      GHL_CLUSTER_WORKER=worker)
    wait("the API server", lambda: httpx.get(f"{airflow.url}/api/v2/monitor/health", timeout=5).status_code == 200)
    return airflow


def up() -> tuple[Airflow, Sandbox]:
    """Install-free part of the start: services up, a fresh Airflow database and a fresh sandbox."""
    stop(keep_data_services=True)
    shutil.rmtree(RUN, ignore_errors=True)
    LOGS.mkdir(parents=True)
    config = settings()
    postgres = PostgreSQL(config)
    postgres.start()
    db = postgres.fresh_database(config["db_password"])
    start_redis(config["redis_port"])
    sandbox = start_sandbox()
    return start_airflow(config, db, sandbox), sandbox


def stop(keep_data_services: bool = False) -> list[str]:
    """End what ``scripts/cluster`` started (pid files; PostgreSQL by its data directory); the names ended."""
    # The components first (the scheduler and workers still talk to the sandbox, Redis and PostgreSQL as they end).
    ended = end(*COMPONENTS) + end("sandbox")
    if not keep_data_services:
        ended += end("redis", *(path.stem for path in PIDS.glob("*.pid")))
    if not keep_data_services and (STATE / "settings.json").exists():
        postgres = PostgreSQL(settings())
        if subprocess.run(_as_postgres([_pg_bin("pg_ctl"), "-D", str(postgres.data), "status"]),
                          capture_output=True).returncode == 0:
            postgres.stop()
            ended.append("postgresql")
    return ended
