"""HighLevel assets by location and family: ``ghl://<location_id>/<family>``, for DAGs scheduled on HighLevel events.

::

    from airflow.sdk import dag, task
    from airflow_provider_ghl.assets import ghl_asset, ghl_events

    @dag(schedule=[ghl_asset("ve9EPM428h8vShlRW1KT", "contacts")])
    def on_contact_events():
        @task
        def handle(triggering_asset_events=None):
            for event in ghl_events(triggering_asset_events):
                print(event["source"], event["event_type"], event["record_ids"])

Both feeds land on the same asset: the webhook receiver (``POST /ghl/webhooks`` on the API server) and
the polling event triggers (``ghl_asset(..., watchers=[AssetWatcher(...)])``). ``ghl_events`` reads
either shape. The families and the events feeding each are in ``airflow_provider_ghl.webhooks.events``.
Importing this module imports no Airflow code; ``ghl_asset`` imports ``airflow.sdk`` when called.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import SplitResult

from airflow_provider_ghl.webhooks.events import FAMILIES, events_of

if TYPE_CHECKING:
    from airflow.sdk import Asset

SCHEME = "ghl"
_LOCATION = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def _check(location_id: str, family: str) -> None:
    if not isinstance(location_id, str) or not _LOCATION.match(location_id):
        raise ValueError(f"ghl asset: location id {location_id!r} is not a HighLevel id (letters, digits, '_' or '-')")
    if family not in FAMILIES:
        raise ValueError(f"ghl asset: unknown family {family!r}; one of: {', '.join(FAMILIES)}")


def asset_uri(location_id: str, family: str) -> str:
    """``ghl://<location_id>/<family>``, checked: a HighLevel id and one of ``FAMILIES``."""
    _check(location_id, family)
    return f"{SCHEME}://{location_id}/{family}"


def ghl_asset(location_id: str, family: str, **asset_kwargs: Any) -> Asset:
    """The Airflow asset of one family of HighLevel events for one location (name and URI: ``ghl://loc/family``).

    ``asset_kwargs`` go to ``Asset`` (``watchers=[AssetWatcher(...)]`` to feed it by polling as well).
    """
    from airflow.sdk import Asset

    uri = asset_uri(location_id, family)
    asset_kwargs.setdefault("name", uri)
    asset_kwargs.setdefault("group", "ghl")
    return Asset(uri=uri, **asset_kwargs)


def normalize_uri(parts: SplitResult) -> SplitResult:
    """Airflow's URI normalizer for the ``ghl`` scheme (provider info ``asset-uris``): refuses a URI that is not
    ``ghl://<location_id>/<family>`` with a known family, so a typo fails when the DAG is parsed."""
    family = parts.path.strip("/")
    _check(parts.netloc, family)
    if parts.query:
        raise ValueError(f"ghl asset: no query in {parts.geturl()!r}; use ghl://<location_id>/<family>")
    return parts._replace(path=f"/{family}")


def ghl_events(triggering_asset_events: Mapping[Any, Iterable[Any]] | None) -> list[dict[str, Any]]:
    """The HighLevel events behind a run, oldest first, whichever feed recorded them.

    Each is a dict: ``source`` (``"webhook"`` or ``"poll"``), ``event_type`` (a webhook's documented event
    name; for a poll, ``"<operation>:<watch>"``), ``location_id``, ``record_ids`` (a list) and ``extra``
    (the asset event's extra as recorded). Events of other assets in the mapping are skipped.
    """
    out: list[tuple[Any, dict[str, Any]]] = []
    for asset, events in (triggering_asset_events or {}).items():
        uri = str(getattr(asset, "uri", asset))
        if not uri.startswith(f"{SCHEME}://"):
            continue
        location = uri[len(SCHEME) + 3:].partition("/")[0]
        for event in events:
            extra = dict(getattr(event, "extra", None) or {})
            when = getattr(event, "timestamp", None)
            if extra.get("source") == "webhook":
                item = {"source": "webhook", "event_type": extra.get("event_type"),
                        "location_id": extra.get("location_id") or location,
                        "record_ids": [extra["record_id"]] if extra.get("record_id") else [], "extra": extra}
            else:  # a polling trigger's event: {"from_trigger": True, "payload": {"operation", "watch", "ids", ...}}
                payload = extra.get("payload") or {}
                item = {"source": "poll", "event_type": f"{payload.get('operation')}:{payload.get('watch')}",
                        "location_id": location, "record_ids": list(payload.get("ids") or []), "extra": extra}
            out.append((when, item))
    out.sort(key=lambda pair: (pair[0] is None, pair[0] or 0))
    return [item for _, item in out]


__all__ = ["FAMILIES", "asset_uri", "events_of", "ghl_asset", "ghl_events", "normalize_uri"]
