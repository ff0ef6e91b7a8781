"""Where no public URL exists: the polling event trigger feeds the same ``ghl://`` asset, and DAGs read both feeds alike."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from airflow_provider_ghl.assets import ghl_asset, ghl_events
from tests.webhooks.conftest import asset_events
from tests.webhooks.helpers import LOCATION, payload, signed

pytestmark = pytest.mark.usefixtures("webhook_db")


def test_an_asset_watcher_can_watch_the_ghl_asset():
    from airflow.sdk import AssetWatcher

    from airflow_provider_ghl.triggers.ghl import GHLContactEventTrigger

    trigger = GHLContactEventTrigger(watch="updated", poll_interval=60)
    asset = ghl_asset(LOCATION, "contacts", watchers=[AssetWatcher(name="ghl_contacts_poll", trigger=trigger)])
    assert asset.uri == f"ghl://{LOCATION}/contacts" and asset.watchers[0].trigger is trigger


async def test_polled_and_pushed_events_on_one_asset_read_alike(ghl_connections, signing_key):
    from airflow.assets.manager import asset_manager
    from airflow.models.asset import AssetModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    from airflow_provider_ghl.hooks.ghl import GHLAsyncHook
    from airflow_provider_ghl.triggers.ghl import GHLContactEventTrigger
    from airflow_provider_ghl.webhooks.recorder import record
    from airflow_provider_ghl.webhooks.settings import ReceiverSettings
    from airflow_provider_ghl.webhooks.signing import public_key_b64
    from airflow_provider_ghl.webhooks.verify import Verifier

    trigger = GHLContactEventTrigger(watch="new", first_run="deliver", max_records=3)
    async with GHLAsyncHook() as hook:
        polled, _ = await trigger.poll_once(hook)
    assert polled and polled["count"] == 3
    uri = f"ghl://{LOCATION}/contacts"
    with create_session() as session:          # what Airflow's Trigger.submit_event records for a watcher's event
        asset = session.scalar(select(AssetModel).where(AssetModel.uri == uri))
        asset_manager.register_asset_change(asset=asset, extra={"from_trigger": True, "payload": polled}, session=session)
    verifier = Verifier.from_settings(ReceiverSettings(public_key=public_key_b64(signing_key)))
    delivery = verifier.decide(*signed(signing_key, payload("ContactCreate", id="pushed1", webhook_id="wh-feeds")),
                               datetime.now(UTC)).delivery
    assert record(delivery, payload_max_bytes=8192, max_age_s=300).outcome == "recorded"

    rows = [e for e in asset_events(uri=uri) if e.extra.get("webhook_id") == "wh-feeds"
            or (e.extra.get("payload") or {}).get("event_key") == polled["event_key"]]
    events = ghl_events({ghl_asset(LOCATION, "contacts"): rows})
    assert [(e["source"], e["location_id"]) for e in events] == [("poll", LOCATION), ("webhook", LOCATION)]
    assert events[0]["event_type"] == "search_contacts:new" and events[0]["record_ids"] == polled["ids"]
    assert events[1]["event_type"] == "ContactCreate" and events[1]["record_ids"] == ["pushed1"]
