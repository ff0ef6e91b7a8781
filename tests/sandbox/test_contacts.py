"""The sandbox's contacts area over real HTTP: every operation, state round trips, both paging styles, errors."""

from __future__ import annotations

from collections import Counter
from functools import cached_property
from typing import Any

import httpx
import pytest

from airflow_provider_ghl.catalog import operations
from airflow_provider_ghl.sandbox.state import epoch_ms, parse_time
from tests.sandbox.answers import checked

AREA = "contacts"
COVERED: set[str] = set()
MISSING_ID = "NoSuchRecord00000000"


@pytest.fixture
def client(fresh_sandbox):
    """One keep-alive client per test, with the full token: a new client per request costs more than the answer."""
    token = fresh_sandbox.connection("full")["password"]
    with httpx.Client(base_url=fresh_sandbox.base_url, headers={"Authorization": f"Bearer {token}"}, timeout=30) as client:
        yield client


@pytest.fixture
def ghl(client):
    """Call a catalog operation by key (path by HighLevel's placeholder names); check the status; validate
    success bodies against the official schema and errors against HighLevel's error shape."""

    def call(key: str, expect: int | None = None, *, params: dict | None = None, json: Any = None, **path: str) -> Any:
        op = operations()[key]
        url = op.path
        for name, value in path.items():
            url = url.replace("{" + name + "}", value)
        response = client.request(op.method, url, headers={"Version": op.version}, params=params, json=json)
        return checked(op, response, expect, COVERED)

    return call


class World:
    """The seeded records a test picks from, read through the control surface when first asked for."""

    def __init__(self, client: httpx.Client, location: str) -> None:
        self.client, self.location = client, location

    def table(self, name: str) -> list[dict]:
        response = self.client.get(f"/__sandbox__/tables/{name}")
        response.raise_for_status()
        return response.json()

    def mine(self, name: str) -> list[dict]:
        return [r for r in self.table(name) if r.get("locationId") == self.location]

    @cached_property
    def contacts(self) -> list[dict]:
        return self.mine("contacts")

    @cached_property
    def elsewhere(self) -> list[dict]:
        return [c for c in self.table("contacts") if c["locationId"] != self.location]

    @cached_property
    def users(self) -> list[str]:
        return [u["id"] for u in self.table("users") if self.location in u["roles"]["locationIds"] and not u["deleted"]]

    @cached_property
    def fields(self) -> list[dict]:
        return [f for f in self.mine("custom_fields") if f["model"] == "contact"]

    def __getattr__(self, name: str) -> list[dict]:  # businesses, campaigns, workflows, events, contact_tasks, ...
        if name.startswith("_"):
            raise AttributeError(name)
        return self.mine(name)


@pytest.fixture
def world(client, fresh_sandbox) -> World:
    return World(client, fresh_sandbox.location_id)


def messages(body: dict) -> str:
    return " | ".join(body["message"]) if isinstance(body["message"], list) else body["message"]


def new_contact(ghl, world, **fields) -> dict:
    body = {"locationId": world.location, **fields}
    return ghl("create_contact", json=body)["contact"]


# -- single contacts --------------------------------------------------------------------------------------
def test_get_contact_and_404_in_highlevels_shape(ghl, world):
    seeded = world.contacts[0]
    contact = ghl("get_contact", contactId=seeded["id"])["contact"]
    assert contact["id"] == seeded["id"] and contact["locationId"] == world.location
    assert contact["dateAdded"] == seeded["dateAdded"] and not any(k.startswith("_") for k in contact)
    missing = ghl("get_contact", 404, contactId=MISSING_ID)
    assert missing == {**missing, "statusCode": 404, "message": "Contact not found", "error": "Not Found"}
    # A contact of a sibling sub-account is invisible to this location's token.
    assert world.elsewhere, "the seed puts a few contacts in sibling locations"
    ghl("get_contact", 404, contactId=world.elsewhere[0]["id"])


def test_contact_round_trip(ghl, world, fresh_sandbox):
    field = world.fields[0]
    user = world.users[0]
    created = new_contact(
        ghl, world, firstName="Ada", lastName="Lovelace", email="Ada.Lovelace@Example.com", phone="(512) 555-0199",
        tags=["VIP ", "New Lead", "vip"], source="public api", assignedTo=user, companyName="Analytical Engines",
        customFields=[{"id": field["id"], "value": "first"}], dateOfBirth="12/10/1815",
    )
    contact_id = created["id"]
    got = ghl("get_contact", contactId=contact_id)["contact"]
    assert got["name"] == got["contactName"] == "Ada Lovelace" and got["emailLowerCase"] == "ada.lovelace@example.com"
    assert got["phone"] == "+15125550199" and got["tags"] == ["vip", "new lead"] and got["assignedTo"] == user
    assert got["customFields"] == [{"id": field["id"], "value": "first"}]
    assert got["dateOfBirth"].startswith("1815-12-10") and got["dateAdded"] == got["dateUpdated"]

    updated = ghl("update_contact", contactId=contact_id, json={
        "firstName": "Augusta", "tags": ["Countess"], "assignedTo": None,
        "customFields": [{"key": field["fieldKey"], "field_value": "second"}],
    })
    assert updated["succeded"] is True
    got = ghl("get_contact", contactId=contact_id)["contact"]
    assert got["firstName"] == "Augusta" and got["name"] == "Augusta Lovelace" and got["tags"] == ["countess"]
    assert got["customFields"] == [{"id": field["id"], "value": "second"}] and "assignedTo" not in got
    assert got["dateUpdated"] >= got["dateAdded"]

    found = ghl("search_contacts", json={"locationId": world.location, "pageLimit": 10,
                                         "filters": [{"field": "email", "operator": "eq", "value": "ADA.lovelace@example.com"}]})
    assert [c["id"] for c in found["contacts"]] == [contact_id] and found["total"] == 1

    assert ghl("delete_contact", contactId=contact_id) == {"succeded": True}
    ghl("get_contact", 404, contactId=contact_id)
    ghl("update_contact", 404, contactId=contact_id, json={"firstName": "Ghost"})
    ghl("delete_contact", 404, contactId=contact_id)


def test_every_write_bumps_date_updated_and_never_backwards(ghl, world, fresh_sandbox):
    contact_id = world.contacts[0]["id"]
    stamps = [ghl("get_contact", contactId=contact_id)["contact"]["dateUpdated"]]
    ghl("update_contact", contactId=contact_id, json={"city": "Houston"})
    stamps.append(ghl("get_contact", contactId=contact_id)["contact"]["dateUpdated"])
    fresh_sandbox.control("POST", "clock", {"advance_s": -3600})  # a clock that jumps back must not rewind it
    ghl("add_tags_to_contact", contactId=contact_id, json={"tags": ["clock test"]})
    stamps.append(ghl("get_contact", contactId=contact_id)["contact"]["dateUpdated"])
    assert stamps == sorted(stamps) and stamps[1] > stamps[0]


def test_create_and_update_validation_names_each_field(ghl, world):
    body = ghl("create_contact", 422, json={"locationId": world.location, "email": "not-an-email", "dnd": "yes",
                                             "tags": ["ok", 3], "nickname": "Al", "dateOfBirth": "31/31/2000",
                                             "dndSettings": {"SMS": {"status": "maybe"}}})
    text = messages(body)
    for expected in ("email must be an email", "dnd must be a boolean value", "each value in tags must be a string",
                     "property nickname should not exist", "dateOfBirth must be a date",
                     "dndSettings.SMS.status must be one of"):
        assert expected in text
    assert "locationId should not be empty" in messages(ghl("create_contact", 422, json={"firstName": "No Location"}))
    contact_id = world.contacts[0]["id"]
    # HighLevel's update DTO has no locationId (a classic "property locationId should not exist").
    body = ghl("update_contact", 422, contactId=contact_id, json={"locationId": world.location, "assignedTo": "nobody"})
    assert "property locationId should not exist" in messages(body) and "assignedTo must be user ids" in messages(body)
    body = ghl("create_contact", 422, json={"locationId": world.location, "customFields": [{"value": "x"}]})
    assert "customFields.0.id should not be empty" in messages(body)


def test_duplicate_rules_lookup_and_upsert(ghl, world):
    seeded = next(c for c in world.contacts if c.get("email") and c.get("phone"))
    refused = ghl("create_contact", 400, json={"locationId": world.location, "email": seeded["email"].upper()})
    assert refused["meta"] == {"contactName": seeded["contactName"], "contactId": seeded["id"], "matchingField": "email"}
    by_phone = ghl("create_contact", 400, json={"locationId": world.location, "phone": seeded["phone"][2:]})
    assert by_phone["meta"]["matchingField"] == "phone"

    params = {"locationId": world.location}
    assert ghl("get_duplicate_contact", params={**params, "email": seeded["email"]})["contact"]["id"] == seeded["id"]
    assert ghl("find_contact", params={**params, "number": seeded["phone"]})["contact"]["id"] == seeded["id"]
    assert ghl("find_contact", params={**params, "email": "nobody@nowhere.example"}) == {"contact": None}
    ghl("get_duplicate_contact", 422, params=params)

    matched = ghl("upsert_contact", json={"locationId": world.location, "email": seeded["email"], "lastName": "Upserted"})
    assert matched["new"] is False and matched["contact"]["id"] == seeded["id"] and matched["traceId"]
    assert ghl("get_contact", contactId=seeded["id"])["contact"]["lastName"] == "Upserted"
    created = ghl("upsert_contact", json={"locationId": world.location, "email": "fresh@upsert.example",
                                          "name": "Fresh Person"})
    assert created["new"] is True and created["contact"]["firstName"] == "Fresh"
    assert created["contact"]["lastName"] == "Person"
    again = ghl("upsert_contact", json={"locationId": world.location, "email": "FRESH@upsert.example"})
    assert again["new"] is False and again["contact"]["id"] == created["contact"]["id"]


# -- the deprecated list: (startAfter, startAfterId) cursor --------------------------------------------------------
def walk_list(ghl, world, limit: int, on_page=None, **params) -> list[dict]:
    seen, query, pages = [], {"locationId": world.location, "limit": limit, **params}, 0
    while True:
        body = ghl("list_contacts", params=query)
        seen += body["contacts"]
        pages += 1
        assert body["meta"]["currentPage"] == pages
        if on_page:
            on_page(pages)
        if not body["meta"]["nextPageUrl"]:
            assert body["meta"]["nextPage"] is None
            return seen
        assert len(body["contacts"]) == limit and body["meta"]["nextPage"] == pages + 1
        query = {**query, "startAfter": body["meta"]["startAfter"], "startAfterId": body["meta"]["startAfterId"]}


def test_list_walks_every_contact_once_through_ties_and_inserts(ghl, world):
    added_ms = Counter(c["dateAdded"] for c in world.contacts)
    assert max(added_ms.values()) > 1, "the seed must give some contacts the same dateAdded"
    inserted: list[str] = []

    def insert_while_paging(page: int) -> None:
        if page == 1:
            inserted.append(new_contact(ghl, world, firstName="Late", email="late.arrival@example.com")["id"])

    seen = walk_list(ghl, world, 30, on_page=insert_while_paging)
    ids = [c["id"] for c in seen]
    assert len(ids) == len(set(ids)) == len(world.contacts) + 1
    assert set(ids) == {c["id"] for c in world.contacts} | set(inserted)
    order = [(epoch_ms(parse_time(c["dateAdded"])), c["id"]) for c in seen]
    assert order == sorted(order) and ids[-1] == inserted[0]


def test_list_page_size_meta_query_and_half_cursor(ghl, world):
    location = world.location
    first = ghl("list_contacts", params={"locationId": location})
    assert len(first["contacts"]) == 20 and first["count"] == first["meta"]["total"] == len(world.contacts)
    meta = first["meta"]
    assert meta["prevPage"] is None and meta["nextPageUrl"].startswith("http") and "startAfterId=" in meta["nextPageUrl"]
    too_many = ghl("list_contacts", 422, params={"locationId": location, "limit": 101})
    assert "limit must not be greater than 100" in messages(too_many)
    ghl("list_contacts", 422, params={"locationId": location, "limit": 0})
    # HighLevel ignores startAfter without startAfterId: the first page comes back (PipedreamHQ/pipedream#21941).
    again = ghl("list_contacts", params={"locationId": location, "startAfter": meta["startAfter"]})
    assert [c["id"] for c in again["contacts"]] == [c["id"] for c in first["contacts"]]
    last_name = world.contacts[5]["lastName"]
    matched = walk_list(ghl, world, 7, query=last_name.upper())
    expected = {c["id"] for c in world.contacts if last_name.lower() in c["fullNameLowerCase"]
                or last_name.lower() in c.get("emailLowerCase", "") or last_name.lower() in c.get("companyName", "").lower()}
    assert {c["id"] for c in matched} == expected and len(matched) == len(expected)


# -- search: page/pageLimit and searchAfter -------------------------------------------------------------------------
def search(ghl, world, expect: int | None = None, **body) -> dict:
    return ghl("search_contacts", expect, json={"locationId": world.location, **body})


def test_search_pages_cover_everything_once_with_limits_enforced(ghl, world):
    everyone = {c["id"] for c in world.contacts}
    seen: list[str] = []
    for page in range(1, 100):
        body = search(ghl, world, page=page, pageLimit=45)
        assert body["total"] == len(everyone)
        seen += [c["id"] for c in body["contacts"]]
        if len(body["contacts"]) < 45:
            break
    assert len(seen) == len(set(seen)) and set(seen) == everyone
    assert "pageLimit must not be greater than 500" in messages(search(ghl, world, 422, pageLimit=501))
    assert "pageLimit should not be empty" in messages(search(ghl, world, 422))
    assert "10000" in messages(search(ghl, world, 422, page=21, pageLimit=500))
    search(ghl, world, page=20, pageLimit=500)
    search(ghl, world, 422, page=2, pageLimit=10, searchAfter=[1, "x"])
    assert "locationId should not be empty" in messages(ghl("search_contacts", 422, json={"pageLimit": 10}))
    assert "property offset should not exist" in messages(search(ghl, world, 422, pageLimit=10, offset=5))


@pytest.mark.parametrize("sort", [
    None,
    [{"field": "dateUpdated", "direction": "desc"}],
    [{"field": "lastNameLowerCase", "direction": "asc"}, {"field": "dateAdded", "direction": "desc"}],
])
def test_search_after_walks_every_contact_once_in_order(ghl, world, sort):
    body: dict[str, Any] = {"pageLimit": 37}
    if sort:
        body["sort"] = sort
    seen: list[dict] = []
    while True:
        page = search(ghl, world, **body)
        seen += page["contacts"]
        if len(page["contacts"]) < 37:
            break
        body["searchAfter"] = page["contacts"][-1]["searchAfter"]
    ids = [c["id"] for c in seen]
    assert len(ids) == len(set(ids)) == len(world.contacts)
    keys = [c["searchAfter"] for c in seen]
    if not sort:  # the default: dateAdded ascending, then id
        assert keys == sorted(keys) and keys[0][0] == epoch_ms(parse_time(seen[0]["dateAdded"]))
    elif len(sort) == 1:
        assert [k[0] for k in keys] == sorted((k[0] for k in keys), reverse=True)
        assert max(Counter(k[0] for k in keys).values()) > 1, "the seed must tie some dateUpdated values"
    else:
        assert [k[0] for k in keys] == sorted(k[0] for k in keys)


def test_search_filters(ghl, world):
    contacts = world.contacts

    def ids(*filters, **body) -> set[str]:
        found = search(ghl, world, pageLimit=500, filters=list(filters), **body)
        assert found["total"] == len(found["contacts"])
        return {c["id"] for c in found["contacts"]}

    def where(test) -> set[str]:
        return {c["id"] for c in contacts if test(c)}

    tagged = next(c for c in contacts if c["tags"])
    tag = tagged["tags"][0]
    assert ids({"field": "tags", "operator": "eq", "value": tag.upper()}) == where(lambda c: tag in c["tags"])
    assert ids({"field": "tags", "operator": "not_eq", "value": tag}) == where(lambda c: tag not in c["tags"])
    phone = next(c["phone"] for c in contacts if c.get("phone"))
    assert ids({"field": "phone", "operator": "eq", "value": phone[2:]}) == where(lambda c: c.get("phone") == phone)
    assert ids({"field": "firstName", "operator": "contains", "value": "AR"}) == where(
        lambda c: "ar" in c["firstNameLowerCase"])
    assert ids({"field": "lastName", "operator": "not_contains", "value": "o"}) == where(
        lambda c: "o" not in c["lastNameLowerCase"])
    assert ids({"field": "email", "operator": "not_exists"}) == where(lambda c: not c.get("email"))
    assert ids({"field": "businessId", "operator": "exists"}) == where(lambda c: c.get("businessId"))
    business = next(c["businessId"] for c in contacts if c.get("businessId"))
    assert ids({"field": "businessId", "operator": "eq", "value": business}) == where(lambda c: c.get("businessId") == business)
    user = world.users[0]
    assert ids({"field": "assignedTo", "operator": "eq", "value": user}) == where(lambda c: c.get("assignedTo") == user)

    stamps = sorted(c["dateAdded"] for c in contacts)
    low, high = stamps[40], stamps[120]
    assert ids({"field": "dateAdded", "operator": "range", "value": {"gte": low, "lte": epoch_ms(parse_time(high))}}) == where(
        lambda c: low <= c["dateAdded"] <= high)
    updated = sorted(c["dateUpdated"] for c in contacts)[100]
    assert ids({"field": "dateUpdated", "operator": "range", "value": {"gt": updated}}) == where(
        lambda c: c["dateUpdated"] > updated)

    field = world.fields[0]
    value = next(cf["value"] for c in contacts for cf in c["customFields"] if cf["id"] == field["id"])
    assert ids({"field": f"customFields.{field['id']}", "operator": "eq", "value": value}) == where(
        lambda c: {"id": field["id"], "value": value} in c["customFields"])

    either = {"group": "OR", "filters": [{"field": "tags", "operator": "eq", "value": tag},
                                         {"field": "dnd", "operator": "eq", "value": True}]}
    assert ids(either, {"field": "type", "operator": "eq", "value": "lead"}) == where(
        lambda c: (tag in c["tags"] or c["dnd"]) and c["type"] == "lead")
    name = contacts[3]["lastName"]
    assert ids(query=name) == where(lambda c: name.lower() in c["fullNameLowerCase"]
                                    or name.lower() in c.get("emailLowerCase", "")
                                    or name.lower() in c.get("companyName", "").lower())

    for bad, complaint in (
        ({"field": "favouriteColour", "operator": "eq", "value": "red"}, "is not a searchable contact field"),
        ({"field": "email", "operator": "like", "value": "x"}, "operator must be one of"),
        ({"field": "dateAdded", "operator": "range", "value": {"after": 1}}, "value must be an object with gte"),
        ({"field": "email", "operator": "eq"}, "value should not be empty"),
        ({"field": "phone", "operator": "eq", "value": ""}, "value should not be empty"),
        ({"field": "email", "operator": "eq", "value": "x" * 76}, "shorter than or equal to 75"),
    ):
        assert complaint in messages(search(ghl, world, 422, pageLimit=10, filters=[bad]))
    assert "sort.0.field" in messages(search(ghl, world, 422, pageLimit=10, sort=[{"field": "shoeSize"}]))


def test_search_index_lags_writes_when_configured(ghl, world, fresh_sandbox):
    fresh_sandbox.configure(search_index_lag_s=30)
    seeded = world.contacts[0]
    created = new_contact(ghl, world, firstName="Lagging", email="lag@example.com")
    ghl("update_contact", contactId=seeded["id"], json={"firstName": "Renamed"})

    def by_id(contact_id: str) -> list[dict]:
        return search(ghl, world, pageLimit=5, filters=[{"field": "id", "operator": "eq", "value": contact_id}])["contacts"]

    assert by_id(created["id"]) == [] and by_id(seeded["id"])[0]["firstName"] == seeded["firstName"]
    assert ghl("get_contact", contactId=seeded["id"])["contact"]["firstName"] == "Renamed"  # reads are immediate
    fresh_sandbox.control("POST", "clock", {"advance_s": 31})
    assert by_id(created["id"])[0]["firstName"] == "Lagging" and by_id(seeded["id"])[0]["firstName"] == "Renamed"
    fresh_sandbox.configure(search_index_lag_s=0)


# -- tags, followers, campaigns, workflows, business ------------------------------------------------------------------
def test_tags_one_contact_and_in_bulk(ghl, world):
    first, second = world.contacts[0]["id"], world.contacts[1]["id"]
    added = ghl("add_tags_to_contact", contactId=first, json={"tags": ["Alpha", "beta "]})["tags"]
    assert {"alpha", "beta"} <= set(added)
    assert ghl("get_contact", contactId=first)["contact"]["tags"] == added
    remaining = ghl("remove_tags_from_contact", contactId=first, json={"tags": ["ALPHA"]})["tags"]
    assert "alpha" not in remaining and "beta" in remaining
    ghl("add_tags_to_contact", 422, contactId=first, json={"tags": "alpha"})
    ghl("add_tags_to_contact", 404, contactId=MISSING_ID, json={"tags": ["x"]})

    body = {"locationId": world.location, "contacts": [first, second, MISSING_ID], "tags": ["Gamma"]}
    result = ghl("bulk_update_contact_tags", json=body, type="add")
    assert result["errorCount"] == 1 and result["succeded"] is False and len(result["responses"]) == 3
    assert all("gamma" in ghl("get_contact", contactId=i)["contact"]["tags"] for i in (first, second))
    ghl("bulk_update_contact_tags", json={**body, "contacts": [first, second]}, type="remove")
    assert all("gamma" not in ghl("get_contact", contactId=i)["contact"]["tags"] for i in (first, second))
    cleared = ghl("bulk_update_contact_tags", type="remove",
                  json={"locationId": world.location, "contacts": [first], "tags": [], "removeAllTags": True})
    assert cleared == {"succeded": True, "errorCount": 0, "responses": cleared["responses"]}
    assert ghl("get_contact", contactId=first)["contact"]["tags"] == []
    assert "type must be one of" in messages(ghl("bulk_update_contact_tags", 422, json=body, type="toggle"))
    assert "removeAllTags can only" in messages(
        ghl("bulk_update_contact_tags", 422, json={**body, "removeAllTags": True}, type="add"))


def test_followers(ghl, world):
    contact_id = world.contacts[0]["id"]
    user_a, user_b = world.users[:2]
    ghl("remove_contact_followers", contactId=contact_id, json={"followers": [user_a, user_b]})
    added = ghl("add_contact_followers", contactId=contact_id, json={"followers": [user_a, user_b, user_a]})
    assert added["followersAdded"] == [user_a, user_b] and added["followers"][-2:] == [user_a, user_b]
    assert ghl("add_contact_followers", contactId=contact_id, json={"followers": [user_a]})["followersAdded"] == []
    removed = ghl("remove_contact_followers", contactId=contact_id, json={"followers": [user_a]})
    assert removed["followersRemoved"] == [user_a] and user_a not in removed["followers"]
    assert ghl("get_contact", contactId=contact_id)["contact"]["followers"] == removed["followers"]
    assert "followers must be user ids" in messages(
        ghl("add_contact_followers", 422, contactId=contact_id, json={"followers": ["stranger"]}))


def test_campaigns_and_workflows(ghl, world):
    contact_id = world.contacts[0]["id"]
    campaign, workflow = world.campaigns[0]["id"], world.workflows[0]["id"]
    assert ghl("add_contact_to_campaign", contactId=contact_id, campaignId=campaign, json={}) == {"succeded": True}
    assert ghl("remove_contact_from_campaign", contactId=contact_id, campaignId=campaign) == {"succeded": True}
    assert ghl("remove_contact_from_all_campaigns", contactId=contact_id) == {"succeded": True}
    unknown = ghl("add_contact_to_campaign", 404, contactId=contact_id, campaignId=MISSING_ID, json={})
    assert unknown["message"] == "Campaign not found"
    ghl("add_contact_to_campaign", 404, contactId=MISSING_ID, campaignId=campaign, json={})

    start = {"eventStartTime": "2026-06-23T03:30:00+01:00"}
    assert ghl("add_contact_to_workflow", contactId=contact_id, workflowId=workflow, json=start) == {"succeded": True}
    assert ghl("remove_contact_from_workflow", contactId=contact_id, workflowId=workflow, json={}) == {"succeded": True}
    assert "eventStartTime must be a valid ISO 8601" in messages(
        ghl("add_contact_to_workflow", 422, contactId=contact_id, workflowId=workflow, json={"eventStartTime": "soon"}))
    ghl("add_contact_to_workflow", 404, contactId=contact_id, workflowId=MISSING_ID, json={})


def test_business_links_and_contacts_by_business(ghl, world):
    business = world.businesses[0]["id"]
    linked = {c["id"] for c in world.contacts if c.get("businessId") == business}
    newcomers = [c["id"] for c in world.contacts if not c.get("businessId")][:3]
    query = {"locationId": world.location}
    result = ghl("bulk_business_update", json={**query, "ids": [*newcomers, MISSING_ID], "businessId": business})
    assert result == {"success": True, "ids": newcomers}

    seen: list[str] = []
    for skip in range(0, 200, 2):
        page = ghl("get_contacts_by_business", params={**query, "skip": skip, "limit": 2}, businessId=business)
        assert page["count"] == len(linked) + 3
        seen += [c["id"] for c in page["contacts"]]
        if len(page["contacts"]) < 2:
            break
    assert sorted(seen) == sorted(linked | set(newcomers))
    assert len(ghl("get_contacts_by_business", params=query, businessId=business)["contacts"]) == min(25, len(seen))
    ghl("get_contacts_by_business", 422, params={**query, "limit": 101}, businessId=business)

    ghl("bulk_business_update", json={**query, "ids": newcomers[:1], "businessId": None})
    assert "businessId" not in ghl("get_contact", contactId=newcomers[0])["contact"]
    after = ghl("get_contacts_by_business", params={**query, "limit": 100}, businessId=business)
    assert newcomers[0] not in {c["id"] for c in after["contacts"]} and after["count"] == len(linked) + 2
    ghl("bulk_business_update", 404, json={**query, "ids": newcomers, "businessId": MISSING_ID})
    assert "each value in ids must be shorter" in messages(
        ghl("bulk_business_update", 422, json={**query, "ids": ["x" * 51], "businessId": business}))


def test_appointments_of_a_contact(ghl, world):
    booked = Counter(e["contactId"] for e in world.events if e.get("contactId"))
    contact_id = next(c["id"] for c in world.contacts if c["id"] in booked)
    events = ghl("get_contact_appointments", contactId=contact_id)["events"]
    assert len(events) == booked[contact_id] and {e["contactId"] for e in events} == {contact_id}
    quiet = next(c["id"] for c in world.contacts if c["id"] not in booked)
    assert ghl("get_contact_appointments", contactId=quiet) == {"events": []}
    ghl("get_contact_appointments", 404, contactId=MISSING_ID)


# -- tasks and notes -------------------------------------------------------------------------------------------
def test_tasks_crud(ghl, world):
    contact_id = world.contacts[0]["id"]
    seeded = {t["id"] for t in world.contact_tasks if t["contactId"] == contact_id}
    assert {t["id"] for t in ghl("get_contact_tasks", contactId=contact_id)["tasks"]} == seeded
    task = ghl("create_contact_task", contactId=contact_id,
               json={"title": "Call back", "dueDate": "2026-10-25T11:00:00Z", "assignedTo": world.users[0]})["task"]
    assert task["completed"] is False and task["contactId"] == contact_id
    assert ghl("get_contact_task", contactId=contact_id, taskId=task["id"])["task"] == task
    changed = ghl("update_contact_task", contactId=contact_id, taskId=task["id"],
                  json={"title": "Call again", "body": "b"})["task"]
    assert changed["title"] == "Call again" and changed["dueDate"] == task["dueDate"]
    assert ghl("complete_contact_task", contactId=contact_id, taskId=task["id"], json={"completed": True})["task"]["completed"]
    assert ghl("get_contact_task", contactId=contact_id, taskId=task["id"])["task"]["completed"] is True
    listed = ghl("get_contact_tasks", contactId=contact_id)["tasks"]
    assert {t["id"] for t in listed} == seeded | {task["id"]}

    other = world.contacts[1]["id"]
    ghl("get_contact_task", 404, contactId=other, taskId=task["id"])  # a task is reached through its own contact
    text = messages(ghl("create_contact_task", 422, contactId=contact_id, json={"title": " ", "dueDate": "tomorrow", "done": 1}))
    assert "title should not be empty" in text and "dueDate must be a valid ISO 8601" in text and "property done" in text
    assert "dueDate should not be empty" in messages(ghl("create_contact_task", 422, contactId=contact_id, json={"title": "x"}))
    ghl("complete_contact_task", 422, contactId=contact_id, taskId=task["id"], json={"completed": "yes"})
    assert ghl("delete_contact_task", contactId=contact_id, taskId=task["id"]) == {"succeded": True}
    ghl("get_contact_task", 404, contactId=contact_id, taskId=task["id"])
    ghl("delete_contact_task", 404, contactId=contact_id, taskId=task["id"])


def test_notes_crud_and_contact_delete_takes_its_children(ghl, world, fresh_sandbox):
    contact_id = world.contacts[0]["id"]
    seeded = sum(n["contactId"] == contact_id for n in world.contact_notes)
    note = ghl("create_contact_note", contactId=contact_id, json={"body": "Called, no answer", "userId": world.users[0],
                                                                  "title": "Call", "pinned": True})["note"]
    assert ghl("get_contact_note", contactId=contact_id, id=note["id"])["note"] == note
    changed = ghl("update_contact_note", contactId=contact_id, id=note["id"], json={"body": "Called back"})["note"]
    assert changed["body"] == "Called back" and changed["dateUpdated"] >= note["dateUpdated"]
    notes = ghl("get_contact_notes", contactId=contact_id)["notes"]
    assert notes[0]["id"] == note["id"] and len(notes) == 1 + seeded
    assert "body should not be empty" in messages(ghl("create_contact_note", 422, contactId=contact_id, json={"title": "x"}))
    assert ghl("delete_contact_note", contactId=contact_id, id=note["id"]) == {"succeded": True}
    ghl("get_contact_note", 404, contactId=contact_id, id=note["id"])

    ghl("create_contact_task", contactId=contact_id, json={"title": "t", "dueDate": "2026-10-25T11:00:00Z"})
    ghl("create_contact_note", contactId=contact_id, json={"body": "n"})
    ghl("delete_contact", contactId=contact_id)
    assert not [t for t in world.table("contact_tasks") if t["contactId"] == contact_id]
    assert not [n for n in world.table("contact_notes") if n["contactId"] == contact_id]
    ghl("get_contact_notes", 404, contactId=contact_id)


def test_seed_is_deterministic_and_sized(fresh_sandbox):
    first = fresh_sandbox.control("GET", "tables/contacts")
    fresh_sandbox.reset(seed=42, contacts=200)
    assert fresh_sandbox.control("GET", "tables/contacts") == first
    assert sum(c["locationId"] == fresh_sandbox.location_id for c in first) == 200
    assert all(t == t.lower() for c in first for t in c["tags"])


def test_every_contacts_operation_is_covered():
    """Runs last: every catalog operation of the area answered a success validated against the official schema."""
    area = {key for key, op in operations().items() if op.area == AREA}
    assert sorted(area - COVERED) == []
