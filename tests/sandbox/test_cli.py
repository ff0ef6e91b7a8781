"""The ``ghl-sandbox`` command: its JSON line, a plain HTTP read with the printed token, and bad startup input."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

SCRIPT = Path(sys.executable).with_name("ghl-sandbox")


def start(*args: str) -> subprocess.Popen:
    return subprocess.Popen([str(SCRIPT), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_console_script_prints_connections_and_serves_a_seeded_contact():
    process = start("--port", "0", "--contacts", "30")
    try:
        info = json.loads(process.stdout.readline())
        assert set(info) >= {"base_url", "location_id", "company_id", "connections"}
        assert set(info["connections"]) >= {"full", "readonly", "oauth"}
        full = info["connections"]["full"]
        assert full["conn_type"] == "ghl" and full["password"].startswith("pit-")
        oauth = info["connections"]["oauth"]["extra"]
        assert {"client_id", "client_secret", "refresh_token"} <= set(oauth)

        contact = httpx.get(f"{info['base_url']}/__sandbox__/tables/contacts").json()[0]
        response = httpx.get(
            f"{info['base_url']}/contacts/{contact['id']}",
            headers={"Authorization": f"Bearer {full['password']}", "Version": "2021-07-28"},
        )
        assert response.status_code == 200
        assert response.json()["contact"]["id"] == contact["id"]
    finally:
        process.terminate()
        process.wait(10)


def test_connection_json_is_accepted_by_airflow(monkeypatch, sandbox):
    from airflow.sdk import BaseHook

    monkeypatch.setenv("AIRFLOW_CONN_GHL_CLI_TEST", sandbox.connection_json("oauth"))
    connection = BaseHook.get_connection("ghl_cli_test")
    assert connection.conn_type == "ghl"
    assert connection.host == sandbox.base_url
    assert connection.extra_dejson["client_id"] == sandbox.connection("oauth")["extra"]["client_id"]


def test_port_in_use_is_a_one_line_error():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run([str(SCRIPT), "--port", str(port)], capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "port already in use" in lines[0] and str(port) in lines[0]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--bogus"], "unrecognized arguments: --bogus"),
        (["--port", "70000"], "--port must be 0-65535"),
        (["--fault-kinds", "500,teapot"], "unknown teapot"),
        (["--contacts", "-1"], "--contacts must be >= 0"),
        (["--burst-max", "0"], "--burst-max must be >= 1"),
        (["--fault-rate", "1.5"], "--fault-rate must be <= 1"),
        (["--max-body-bytes", "10"], "--max-body-bytes must be >= 1024"),
    ],
)
def test_bad_options_are_one_line_errors(args, expected):
    result = subprocess.run(
        [sys.executable, "-m", "airflow_provider_ghl.sandbox", *args], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0], result.stderr
