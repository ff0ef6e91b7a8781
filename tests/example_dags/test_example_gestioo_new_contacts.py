"""example_gestioo_new_contacts: Gestioo's batch becomes contacts with one follow-up task each; a rerun changes nothing."""

from __future__ import annotations

from collections import Counter

from tests.example_dags.helpers import CUSTOMERS, contact_by_email, location_contacts


def test_upserts_the_batch_with_one_follow_up_each_and_reruns_idempotently(run_example, sandbox, api):
    assert not {row["email"] for row in CUSTOMERS} & {c.get("email") for c in location_contacts(sandbox)}

    first = run_example("example_gestioo_new_contacts")
    assert first.summary_lines()[:2] == [
        f"{len(CUSTOMERS)} Gestioo customers upserted into HighLevel: {len(CUSTOMERS)} new, 0 updated",
        f"{len(CUSTOMERS)} follow-up tasks created (0 contacts already had theirs)"]
    second = run_example("example_gestioo_new_contacts")
    assert second.summary_lines()[:2] == [
        f"{len(CUSTOMERS)} Gestioo customers upserted into HighLevel: 0 new, {len(CUSTOMERS)} updated",
        f"0 follow-up tasks created ({len(CUSTOMERS)} contacts already had theirs)"]

    emails = Counter(c.get("email") for c in location_contacts(sandbox))
    tasks = sandbox.control("GET", "tables/contact_tasks")
    for row in CUSTOMERS:
        assert emails[row["email"]] == 1
        contact = contact_by_email(api, row["email"])
        assert {"gestioo", *row["tags"].split(";")} <= set(contact["tags"])
        assert contact["companyName"] == row["company"]
        follow_ups = [t for t in tasks if t["contactId"] == contact["id"] and t["title"] == row["follow_up"]]
        assert len(follow_ups) == 1 and follow_ups[0]["completed"] is False


def test_takes_the_batch_from_the_runs_conf(run_example, sandbox, api):
    row = {**CUSTOMERS[0], "email": "new.customer@gestioo.example", "phone": "", "follow_up": "Say hello"}

    result = run_example("example_gestioo_new_contacts", {"customers": [row]})

    assert result.summary_lines()[0] == "1 Gestioo customers upserted into HighLevel: 1 new, 0 updated"
    contact = contact_by_email(api, row["email"])
    assert contact["firstName"] == row["first_name"]
    assert [t["title"] for t in sandbox.control("GET", "tables/contact_tasks") if t["contactId"] == contact["id"]] \
        == ["Say hello"]
    assert contact_by_email(api, CUSTOMERS[1]["email"]) is None  # only the conf's batch, not the export file
