"""ghl:// assets: named by location and family, normalized by Airflow through the provider's URI handler."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from airflow_provider_ghl.assets import FAMILIES, asset_uri, events_of, ghl_asset, ghl_events


def test_ghl_asset_names_a_location_and_family():
    asset = ghl_asset("ve9EPM428h8vShlRW1KT", "contacts")
    assert asset.uri == "ghl://ve9EPM428h8vShlRW1KT/contacts"
    assert asset.name == asset.uri and asset.group == "ghl"
    assert "ContactTagUpdate" in events_of("contacts") and "NoteCreate" in events_of("notes")
    assert set(FAMILIES) >= {"contacts", "opportunities", "appointments", "conversations", "invoices"}


@pytest.mark.parametrize(("location", "family", "message"), [("ve9EPM428h8vShlRW1KT", "contact", "unknown family"),
                                                             ("a/b", "contacts", "not a HighLevel id"),
                                                             ("", "contacts", "not a HighLevel id")])
def test_a_wrong_location_or_family_is_refused_when_named(location, family, message):
    with pytest.raises(ValueError, match=message):
        ghl_asset(location, family)


def test_airflow_normalizes_ghl_uris_with_the_providers_handler():
    from airflow.sdk import Asset

    assert Asset(uri="ghl://loc1/contacts/").uri == "ghl://loc1/contacts"   # Airflow strips the slash, we check
    assert Asset(uri="GHL://loc1/contacts").uri == "ghl://loc1/contacts"
    with pytest.raises(ValueError, match="unknown family 'contact'"):
        Asset(uri="ghl://loc1/contact")                                       # a typo fails when the DAG is parsed
    with pytest.raises(ValueError, match="no query"):
        Asset(uri="ghl://loc1/contacts?x=1")
    assert asset_uri("loc1", "tasks") == "ghl://loc1/tasks"


def test_ghl_events_reads_webhook_and_poll_events_alike_oldest_first():
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    webhook = SimpleNamespace(timestamp=t0 + timedelta(seconds=5), extra={
        "source": "webhook", "event_type": "ContactUpdate", "location_id": "loc1", "record_id": "c2", "webhook_id": "w"})
    poll = SimpleNamespace(timestamp=t0, extra={"from_trigger": True, "payload": {
        "operation": "search_contacts", "watch": "updated", "ids": ["c1", "c3"], "event_key": "k"}})
    other = SimpleNamespace(timestamp=t0, extra={"anything": 1})
    from airflow.sdk import Asset

    events = ghl_events({ghl_asset("loc1", "contacts"): [webhook, poll], Asset(uri="s3://b/k"): [other]})
    assert [(e["source"], e["event_type"], e["location_id"], e["record_ids"]) for e in events] == [
        ("poll", "search_contacts:updated", "loc1", ["c1", "c3"]),
        ("webhook", "ContactUpdate", "loc1", ["c2"]),
    ]
    assert ghl_events(None) == [] and ghl_events({}) == []


def test_the_provider_registers_the_scheme_the_options_and_the_plugin_once():
    import tomllib
    from pathlib import Path

    from airflow_provider_ghl import get_provider_info
    from airflow_provider_ghl.webhooks.settings import OPTIONS

    info = get_provider_info()
    assert info["asset-uris"] == [{"schemes": ["ghl"], "handler": "airflow_provider_ghl.assets.normalize_uri"}]
    assert info["config"]["ghl"]["options"] == OPTIONS
    assert "plugins" not in info   # the entry point registers it; both would load it twice (lazy_discover_providers off)
    project = tomllib.loads((Path(__file__).resolve().parents[2] / "pyproject.toml").read_text())["project"]
    assert project["entry-points"]["airflow.plugins"] == {"ghl": "airflow_provider_ghl.webhooks.plugin:GHLWebhooksPlugin"}


def test_loading_the_plugin_imports_neither_fastapi_nor_cryptography():
    import subprocess
    import sys

    code = ("import sys, airflow_provider_ghl.webhooks.plugin as p; assert p.GHLWebhooksPlugin.fastapi_apps; "
            "print(sorted(m for m in sys.modules if m.startswith(('fastapi', 'cryptography.hazmat.primitives.asymmetric', "
            "'airflow_provider_ghl.webhooks.app', 'airflow_provider_ghl.webhooks.verify'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "[]"
