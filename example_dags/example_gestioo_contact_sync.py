"""Pattern 5: event-driven sync. A DAG scheduled on an asset that a HighLevel event trigger watches: every
batch of new or updated contacts is copied into Gestioo's import folder.

- Webhooks (``GHL_LOCATION_ID`` set): the asset is ``ghl_asset(GHL_LOCATION_ID, "contacts")``. HighLevel
  posts every contact event (ContactCreate, ContactUpdate, ContactTagUpdate, ContactDelete...) to the
  receiver on the API server (``POST /ghl/webhooks``), which checks the signature and records one asset
  event per delivery (``extra``: ``event_type``, ``record_id``, ``webhook_id``, ``payload``). Seconds, not
  minutes, and no polling requests.
- Fallback, polling (``GHL_LOCATION_ID`` unset, e.g. no public URL for HighLevel to post to): the asset
  ``ghl_contacts_changed`` has an ``AssetWatcher`` running ``GHLContactEventTrigger`` in the triggerer: it
  polls Search Contacts every minute, keeps its cursor (timestamp + ids at that timestamp) in the asset's
  state store so a restart neither loses nor repeats a change, and emits one asset event per batch
  (payload: ``{"operation", "watch", "count", "ids", "changes", "event_key"}``).
- Each asset event starts a run of this DAG; the run reads the ids from ``triggering_asset_events``, in
  either shape. Run by hand (``dag.test()``, the UI's Trigger button, the REST API) there is no asset
  event: the run then takes the same payload from its ``conf``, e.g. ``{"ids": ["<contact id>", ...]}``.
  The demo feeds it the ids of the webhooks the receiver recorded while the demo ran.
- Each contact is read again with ``GHLHook`` (a contact deleted since is reported, not fatal) and written
  to ``$GHL_EXAMPLE_OUTPUT/gestioo_inbox/``: ``customers.json`` (every synced customer by HighLevel id,
  updated in place) and ``changes_<event_key>.json`` (this batch). A repeated delivery of
  the same event rewrites the same files.

Works unchanged against the real API: only the ``ghl_default`` connection (and ``GHL_LOCATION_ID``) differ.
"""

from __future__ import annotations

import json
import os

from airflow.sdk import Asset, AssetWatcher, dag, task
from gestioo_common import DAG_DEFAULTS, output_dir

from airflow_provider_ghl.assets import ghl_asset
from airflow_provider_ghl.triggers.ghl import GHLContactEventTrigger

LOCATION_ID = os.environ.get("GHL_LOCATION_ID")
CONTACT_CHANGES = ghl_asset(LOCATION_ID, "contacts") if LOCATION_ID else Asset(
    "ghl_contacts_changed",
    watchers=[AssetWatcher(name="ghl_contacts_watcher",
                           trigger=GHLContactEventTrigger(watch="updated", poll_interval=60, max_records=100))],
)


def gestioo_customer(contact: dict) -> dict:
    """A HighLevel contact in the shape of Gestioo's customer import."""
    return {"highlevel_id": contact["id"], "first_name": contact.get("firstName"), "last_name": contact.get("lastName"),
            "email": contact.get("email"), "phone": contact.get("phone"), "company": contact.get("companyName"),
            "city": contact.get("city"), "tags": ";".join(contact.get("tags") or []),
            "updated_at": contact.get("dateUpdated")}


@dag(schedule=[CONTACT_CHANGES], doc_md=__doc__, **DAG_DEFAULTS)
def example_gestioo_contact_sync():
    @task
    def changed_contacts(triggering_asset_events=None, dag_run=None) -> dict:
        """The events' payloads (a webhook's record, or a poll's batch), else the run's conf: the ids, each once."""
        payloads = [{"ids": [event.extra["record_id"]], "event_key": event.extra["webhook_id"]}
                    if event.extra.get("source") == "webhook" else event.extra.get("payload") or {}
                    for events in (triggering_asset_events or {}).values() for event in events]
        if not payloads:
            payloads = [(dag_run.conf if dag_run else None) or {}]
        ids = list(dict.fromkeys(contact_id for payload in payloads for contact_id in payload.get("ids", [])))
        keys = [payload.get("event_key") for payload in payloads if payload.get("event_key")]
        return {"ids": ids, "batch": "_".join(keys) or (dag_run.run_id if dag_run else "manual")}

    @task
    def sync_to_gestioo(changes: dict) -> dict:
        from airflow_provider_ghl.exceptions import GHLNotFoundError
        from airflow_provider_ghl.hooks.ghl import GHLHook

        synced, deleted = [], []
        with GHLHook() as hook:
            for contact_id in changes["ids"]:
                try:
                    synced.append(gestioo_customer(hook.call("get_contact", contact_id=contact_id)["contact"]))
                except GHLNotFoundError:
                    deleted.append(contact_id)
        inbox = output_dir("gestioo_inbox")
        state_file = inbox / "customers.json"
        customers = json.loads(state_file.read_text()) if state_file.exists() else {}
        customers.update({customer["highlevel_id"]: customer for customer in synced})
        for contact_id in deleted:
            customers.pop(contact_id, None)
        state_file.write_text(json.dumps(customers, indent=2, ensure_ascii=False))
        safe_batch = "".join(c if c.isalnum() or c in "-_" else "_" for c in changes["batch"])
        batch_file = inbox / f"changes_{safe_batch}.json"
        batch_file.write_text(json.dumps({"upserted": synced, "deleted": deleted}, indent=2, ensure_ascii=False))
        return {"synced": [c["highlevel_id"] for c in synced], "deleted": deleted, "batch_file": str(batch_file),
                "customers_file": str(state_file), "customers_total": len(customers)}

    @task
    def summary(result: dict) -> list[str]:
        if not result["synced"] and not result["deleted"]:
            return ["no contact changes in this run (no asset event and no ids in conf)"]
        return [f"{len(result['synced'])} new or updated contacts synced to Gestioo, {len(result['deleted'])} deleted",
                f"Gestioo inbox: {result['customers_total']} customers in {result['customers_file']}",
                f"this batch: {result['batch_file']}"]

    summary(sync_to_gestioo(changed_contacts()))


example_gestioo_contact_sync()
