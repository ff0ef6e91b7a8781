"""An offline HighLevel API server for demos, tests and your own DAG tests.

Run it with ``ghl-sandbox --port 0`` (or ``python -m airflow_provider_ghl.sandbox``), or from Python::

    from airflow_provider_ghl.sandbox import Sandbox

    with Sandbox(contacts=500) as sandbox:
        os.environ["AIRFLOW_CONN_GHL_DEFAULT"] = sandbox.connection_json("full")
        ...

``Sandbox`` starts the server in a child process (like the CLI) and talks to its control surface
(``/__sandbox__/...``) for resets, limits, faults and request counts, sending the server's control
token (``X-Sandbox-Token``) itself.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections import deque
from typing import Any

__all__ = ["Sandbox"]


class Sandbox:
    """A sandbox server in a child process; a context manager."""

    def __init__(self, *, seed: int = 42, contacts: int = 200, rate_limits: bool = True,
                 extra_args: list[str] | None = None, startup_timeout: float = 60.0) -> None:
        self.args = ["--port", "0", "--seed", str(seed), "--contacts", str(contacts), *(extra_args or [])]
        if not rate_limits:
            self.args.append("--no-rate-limits")
        self.startup_timeout = startup_timeout
        self.process: subprocess.Popen | None = None
        self.info: dict[str, Any] = {}
        self.log: deque[str] = deque(maxlen=200)
        """The server's last lines of stderr (its log)."""

    def start(self) -> Sandbox:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "airflow_provider_ghl.sandbox", *self.args],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        line: list[str] = []
        reader = threading.Thread(target=lambda: line.append(self.process.stdout.readline()), daemon=True)
        reader.start()
        reader.join(self.startup_timeout)
        if not line or not line[0].strip():
            self.stop()
            error = self.process.stderr.read() if self.process.stderr else ""
            raise RuntimeError(f"the GHL sandbox did not start: {error.strip() or 'no output'}")
        self.info = json.loads(line[0])
        # Keep reading the server's log: a full pipe would block the server on its next log line.
        threading.Thread(target=self._drain, args=(self.process.stderr,), daemon=True).start()
        return self

    def _drain(self, stream: Any) -> None:
        for text in stream:
            self.log.append(text)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        return self.info["base_url"]

    @property
    def control_token(self) -> str:
        """The ``X-Sandbox-Token`` of the control surface (required when the server is bound off loopback)."""
        return self.info["control_token"]

    @property
    def location_id(self) -> str:
        return self.info["location_id"]

    @property
    def company_id(self) -> str:
        return self.info["company_id"]

    def connection(self, kind: str = "full") -> dict[str, Any]:
        """An Airflow connection (``full``, ``readonly``, ``oauth`` or ``agency``) as a dict."""
        return self.info["connections"][kind]

    def connection_json(self, kind: str = "full") -> str:
        """The connection in the JSON form ``AIRFLOW_CONN_<ID>`` accepts."""
        return json.dumps(self.connection(kind))

    def control(self, method: str, path: str, payload: dict | None = None) -> Any:
        """Call the control surface, e.g. ``control("PATCH", "config", {"faults": {"rate": 0.1}})``."""
        import httpx

        headers = {"X-Sandbox-Token": self.control_token}
        response = httpx.request(method, f"{self.base_url}/__sandbox__/{path}", json=payload, headers=headers,
                                 timeout=60)
        response.raise_for_status()
        return response.json()

    def reset(self, **settings: Any) -> dict[str, Any]:
        self.info = self.control("POST", "reset", settings)
        return self.info

    def configure(self, **settings: Any) -> dict[str, Any]:
        return self.control("PATCH", "config", settings)

    def stats(self) -> dict[str, int]:
        return self.control("GET", "stats")

    @property
    def webhook_public_key(self) -> str:
        """Base64 of the raw Ed25519 public key that verifies the sandbox's webhooks (``[ghl] webhook_public_key``)."""
        return self.info["webhook_public_key"]

    def subscribe(self, url: str, events: list[str] | None = None) -> dict[str, Any]:
        """Send webhooks of every write (or of these event types) to ``url``; the subscription."""
        return self.control("POST", "webhooks", {"url": url, "events": events or []})

    def deliveries(self, wait: float = 10.0) -> dict[str, Any]:
        """The webhook deliveries (``counts``: pending/sent/failed...), after up to ``wait`` s for none pending."""
        return self.control("GET", f"webhooks/deliveries?wait={wait}")
