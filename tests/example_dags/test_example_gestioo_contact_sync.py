"""example_gestioo_contact_sync: the contacts an event reported are copied into Gestioo's inbox.

``dag.test()`` has no triggerer: the test polls the DAG's ``GHLContactEventTrigger`` itself, as the demo
does, and passes the payload as the run's ``conf``.
"""

from __future__ import annotations

import asyncio
import json

from tests.example_dags.helpers import location_contacts


def test_copies_exactly_what_the_event_trigger_reported(run_example, sandbox, api, example_output):
    from airflow_provider_ghl.hooks.ghl import GHLAsyncHook
    from airflow_provider_ghl.triggers.ghl import GHLContactEventTrigger

    trigger = GHLContactEventTrigger(watch="updated", first_run="skip")

    async def poll() -> dict | None:
        async with GHLAsyncHook() as hook:
            payload, cursor = await trigger.poll_once(hook)
        if cursor is not None:
            await trigger.save_cursor(cursor)
        return payload

    assert asyncio.run(poll()) is None  # the first poll only remembers what exists
    kept, gone = [c for c in location_contacts(sandbox) if c.get("email")][:2], location_contacts(sandbox)[-1]
    for contact in (*kept, gone):
        answer = api("PUT", f"/contacts/{contact['id']}", json={"city": "Lisbon"})
        assert answer.status_code == 200, answer.text
    payload = asyncio.run(poll())
    assert sorted(payload["ids"]) == sorted(c["id"] for c in (*kept, gone))
    assert api("DELETE", f"/contacts/{gone['id']}").status_code == 200  # deleted before the run reads it
    inbox = example_output / "gestioo_inbox"
    inbox.mkdir()
    (inbox / "customers.json").write_text(json.dumps({"earlier": {"highlevel_id": "earlier"}, gone["id"]: {}}))

    result = run_example("example_gestioo_contact_sync", payload)

    assert sorted(result.xcoms["sync_to_gestioo"]["synced"]) == sorted(c["id"] for c in kept)
    assert result.xcoms["sync_to_gestioo"]["deleted"] == [gone["id"]]
    batch = json.loads((inbox / f"changes_{payload['event_key']}.json").read_text())
    assert sorted(c["highlevel_id"] for c in batch["upserted"]) == sorted(c["id"] for c in kept)
    assert {c["city"] for c in batch["upserted"]} == {"Lisbon"} and batch["deleted"] == [gone["id"]]
    customers = json.loads((inbox / "customers.json").read_text())
    assert set(customers) == {"earlier", *(c["id"] for c in kept)}  # updated in place: the deleted one dropped


def test_a_run_without_ids_syncs_nothing(run_example, example_output):
    result = run_example("example_gestioo_contact_sync")

    assert result.summary_lines() == ["no contact changes in this run (no asset event and no ids in conf)"]
    assert json.loads((example_output / "gestioo_inbox" / "customers.json").read_text()) == {}
