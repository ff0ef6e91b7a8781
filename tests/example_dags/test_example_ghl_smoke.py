"""example_ghl_smoke: reads the first page of contacts (at most 20) and the first contact in full, writes nothing."""

from __future__ import annotations

import pytest

from tests.example_dags.helpers import location_contacts

READS = {"op:list_contacts", "op:get_contact"}


def test_reads_the_first_twenty_contacts_and_the_first_in_full(run_example, sandbox, api):
    listed = api("GET", "/contacts/", params={"locationId": sandbox.location_id, "limit": 20}).json()["contacts"]
    assert len(location_contacts(sandbox)) > 20

    result = run_example("example_ghl_smoke")

    assert result.xcoms["first_contacts"] == [c["id"] for c in listed]
    first = listed[0]
    assert result.summary_lines() == ["read 20 contacts",
                                      f"first: {first.get('firstName')} {first.get('lastName')} ({first['id']})"]
    stats = sandbox.stats()
    assert {key for key in stats if key.startswith("op:")} == READS  # a smoke test writes nothing
    assert stats["op:get_contact"] == 1


@pytest.fixture
def small_location(fresh_sandbox):
    """The session sandbox, reset to its usual seed after the test (which shrinks it)."""
    yield fresh_sandbox
    fresh_sandbox.reset(seed=42, contacts=200)


@pytest.mark.parametrize("contacts", [3, 0])
def test_a_location_with_fewer_contacts_reads_what_there_is(small_location, run_example, contacts):
    small_location.reset(seed=42, contacts=contacts)
    small_location.control("DELETE", "stats")
    present = location_contacts(small_location)
    assert len(present) == contacts

    result = run_example("example_ghl_smoke")

    assert sorted(result.xcoms["first_contacts"]) == sorted(c["id"] for c in present)
    assert result.summary_lines()[0] == (f"read {contacts} contacts" if contacts else
                                         "read 0 contacts: the location has none yet")
    assert small_location.stats().get("op:get_contact", 0) == (1 if contacts else 0)
