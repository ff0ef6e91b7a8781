"""One sandbox and one Airflow home per test session."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

# Airflow reads its settings at import: set them before anything imports airflow.
_HOME = Path(tempfile.mkdtemp(prefix="ghl-airflow-home-"))
os.environ.setdefault("AIRFLOW_HOME", str(_HOME))
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
os.environ.setdefault("AIRFLOW__CORE__UNIT_TEST_MODE", "True")
os.environ.setdefault("AIRFLOW__CORE__DAGS_FOLDER", str(Path(__file__).resolve().parents[1] / "example_dags"))

import httpx  # noqa: E402
import pytest  # noqa: E402

from airflow_provider_ghl.sandbox import Sandbox  # noqa: E402


@pytest.fixture(scope="session")
def sandbox():
    """The session's sandbox server (rate limits off; tests that need them switch them on)."""
    with Sandbox(contacts=200, rate_limits=False) as server:
        yield server


@pytest.fixture
def fresh_sandbox(sandbox):
    """The session sandbox, reset to its seed with default settings before the test."""
    sandbox.reset(seed=42, contacts=200)
    sandbox.configure(rate_limits={"enabled": False}, faults={"rate": 0.0}, access_token_ttl_s=86_399)
    sandbox.control("DELETE", "stats")
    yield sandbox
    sandbox.configure(rate_limits={"enabled": False}, faults={"rate": 0.0}, access_token_ttl_s=86_399)


@pytest.fixture
def api(sandbox):
    """A plain httpx client with the full token, for checking the sandbox's state through its API."""

    def request(method: str, path: str, *, version: str = "2021-07-28", token: str | None = None, **kwargs):
        headers = {"Authorization": f"Bearer {token or sandbox.connection('full')['password']}", "Version": version}
        return httpx.request(method, sandbox.base_url + path, headers=headers, timeout=30, **kwargs)

    return request
