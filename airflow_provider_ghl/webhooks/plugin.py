"""The Airflow plugin that mounts the receiver on the API server at ``/ghl`` (``POST /ghl/webhooks``).

Registered by the ``airflow.plugins`` entry point (``ghl = airflow_provider_ghl.webhooks.plugin:GHLWebhooksPlugin``).
Every Airflow process that loads plugins imports this module, so it stays cheap: the FastAPI app (and
``cryptography``) load on the first request, in the API server only.
"""

from __future__ import annotations

import threading
from typing import Any

from airflow.plugins_manager import AirflowPlugin

URL_PREFIX = "/ghl"


class LazyReceiverApp:
    """An ASGI app that builds ``webhooks.app.create_app()`` on its first request."""

    def __init__(self) -> None:
        self._app: Any = None
        self._lock = threading.Lock()

    def _build(self) -> Any:
        with self._lock:
            if self._app is None:
                from airflow_provider_ghl.webhooks.app import create_app

                self._app = create_app()
        return self._app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        app = self._app or self._build()
        await app(scope, receive, send)


class GHLWebhooksPlugin(AirflowPlugin):
    """HighLevel webhooks: ``POST /ghl/webhooks`` records signed deliveries as ``ghl://`` asset events."""

    name = "ghl"
    fastapi_apps = [{"app": LazyReceiverApp(), "url_prefix": URL_PREFIX, "name": "HighLevel webhooks"}]
