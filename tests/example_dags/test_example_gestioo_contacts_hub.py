"""example_gestioo_contacts_hub: every contact aggregated, Gestioo's contacts routed by tag, each only once."""

from __future__ import annotations

import json
from collections import Counter

from tests.example_dags.helpers import CUSTOMERS, ROUTING, contact_by_email, location_contacts


def test_routes_gestioo_contacts_by_tag_once(run_example, gestioo_customers, sandbox, api, example_output):
    sandbox.control("DELETE", "stats")
    run_example("example_gestioo_contacts_hub")

    expected = Counter()
    for row in CUSTOMERS:
        rule = next(r for r in ROUTING["rules"] if r["tag"] in row["tags"].split(";"))
        expected["workflow" if "workflow" in rule else "campaign"] += 1
    assert expected["workflow"] and expected["campaign"]  # the sample routes both ways
    stats = sandbox.stats()
    assert stats.get("op:add_contact_to_workflow", 0) == expected["workflow"]
    assert stats.get("op:add_contact_to_campaign", 0) == expected["campaign"]
    for row in CUSTOMERS:
        assert ROUTING["routed_tag"] in contact_by_email(api, row["email"])["tags"]
    hub = json.loads((example_output / "contacts_hub" / "hub.json").read_text())
    assert hub["totals"]["contacts"] == len(location_contacts(sandbox))
    assert {c["email"] for c in hub["gestioo_contacts"]} == set(gestioo_customers)
    marta = next(c for c in hub["gestioo_contacts"] if c["email"] == CUSTOMERS[0]["email"])
    assert marta["route"]["kind"] == "workflow" and marta["route"]["name"] == "Webinar Registration"

    sandbox.control("DELETE", "stats")
    rerun = run_example("example_gestioo_contacts_hub")
    assert "op:add_contact_to_workflow" not in sandbox.stats()
    assert "op:add_contact_to_campaign" not in sandbox.stats()
    assert f"({len(CUSTOMERS)} routed by an earlier run)" in rerun.summary_lines()[1]
