"""The sandbox's locations, users, businesses, companies, workflows, campaigns, snapshots and opportunities areas.

Every operation of these areas is called over HTTP and its answer checked against the official schema.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from airflow_provider_ghl.catalog import operations
from tests.sandbox.answers import assert_error_shape, checked

AREAS = {"locations", "users", "businesses", "companies", "workflows", "campaigns", "snapshots", "opportunities"}
EXERCISED: set[str] = set()
"""Operations answered successfully by the tests above the coverage test (run the whole module)."""


def call(api, key: str, *, expect: int | None = None, token: str | None = None, json: Any = None,
         params: dict | None = None, **path: str) -> Any:
    """Call a catalog operation; assert the status; check success answers against the official schema."""
    op = operations()[key]
    response = api(op.method, op.render_path(path), version=op.version, token=token, json=json, params=params)
    return checked(op, response, expect, EXERCISED)




def walk(fetch, page_size: int) -> list[dict]:
    """Every record of an offset-paged listing; ``fetch(skip, limit)`` returns one page's records."""
    records, skip = [], 0
    while True:
        page = fetch(skip, page_size)
        records += page
        if len(page) < page_size:
            return records
        skip += page_size


def table(sandbox, name: str) -> list[dict]:
    return sandbox.control("GET", f"tables/{name}")


# -- locations, custom fields, company -----------------------------------------------------------
def test_locations_search_pages_over_the_agency_and_find_reads_one(fresh_sandbox, api):
    company_id = fresh_sandbox.company_id
    seeded = [loc["id"] for loc in table(fresh_sandbox, "locations")]

    def fetch(skip: int, limit: int) -> list[dict]:
        params = {"companyId": company_id, "skip": str(skip), "limit": str(limit)}
        return call(api, "list_locations", params=params)["locations"]

    walked = [loc["id"] for loc in walk(fetch, 3)]
    assert sorted(walked) == sorted(seeded) and len(seeded) >= 4
    newest_first = call(api, "list_locations", params={"order": "desc", "limit": "100"})["locations"]
    assert [loc["id"] for loc in newest_first] == walked[::-1]
    assert_error_shape(call(api, "list_locations", params={"limit": "101"}, expect=422), 422, "limit")
    assert_error_shape(call(api, "list_locations", params={"companyId": "otherCompany00000000"}, expect=403), 403)

    location = call(api, "find_location", location_id=fresh_sandbox.location_id)["location"]
    assert location["id"] == fresh_sandbox.location_id and location["companyId"] == company_id
    sibling = next(i for i in seeded if i != fresh_sandbox.location_id)
    assert_error_shape(call(api, "find_location", location_id=sibling, expect=403), 403)


def test_create_location_needs_a_company_and_shows_up_in_search(fresh_sandbox, api):
    company_id = fresh_sandbox.company_id
    body = {"name": "Northwind Bakery", "companyId": company_id, "city": "Austin", "country": "US",
            "settings": {"allowDuplicateOpportunity": True}}
    created = call(api, "create_location", json=body)
    assert created["name"] == "Northwind Bakery" and created["settings"]["allowDuplicateOpportunity"] is True
    listed = call(api, "list_locations", params={"limit": "100"})["locations"]
    assert created["id"] in {loc["id"] for loc in listed}
    assert_error_shape(call(api, "create_location", json={"name": "No Company"}, expect=422), 422, "companyId")
    bad = call(api, "create_location", json={"name": "X", "companyId": company_id, "country": "USA"}, expect=422)
    assert_error_shape(bad, 422, "country")


def test_custom_fields_by_model(sandbox, api):
    location_id = sandbox.location_id
    contact = call(api, "list_custom_fields", location_id=location_id, params={"model": "contact"})["customFields"]
    opportunity = call(api, "list_custom_fields", location_id=location_id, params={"model": "opportunity"})
    everything = call(api, "list_custom_fields", location_id=location_id)["customFields"]
    assert {f["model"] for f in contact} == {"contact"} and len(contact) >= 8
    assert {f["model"] for f in opportunity["customFields"]} == {"opportunity"}
    assert len(everything) == len(contact) + len(opportunity["customFields"])
    types = {f["dataType"] for f in contact}
    assert {"TEXT", "LARGE_TEXT", "SINGLE_OPTIONS", "MULTIPLE_OPTIONS", "DATE", "NUMERICAL", "CHECKBOX",
            "MONETORY"} <= types
    assert all(f["picklistOptions"] for f in contact if f["dataType"].endswith("OPTIONS"))
    assert all(f["fieldKey"].startswith("contact.") for f in contact)
    assert_error_shape(call(api, "list_custom_fields", location_id=location_id, params={"model": "x"}, expect=422), 422)


def test_get_company_counts_its_locations(sandbox, api):
    company = call(api, "get_company", company_id=sandbox.company_id)["company"]
    assert company["id"] == sandbox.company_id
    assert company["locationCount"] == len(table(sandbox, "locations"))
    assert_error_shape(call(api, "get_company", company_id="otherCompany00000000", expect=403), 403)


# -- users ---------------------------------------------------------------------------------------
def test_search_users_pages_filters_and_enforces_the_page_size(fresh_sandbox, api):
    company_id = fresh_sandbox.company_id
    seeded = table(fresh_sandbox, "users")

    def fetch(skip: int, limit: int) -> list[dict]:
        body = call(api, "search_users", params={"companyId": company_id, "skip": str(skip), "limit": str(limit)})
        assert body["count"] == len(seeded)
        return body["users"]

    walked = walk(fetch, 4)
    assert sorted(u["id"] for u in walked) == sorted(u["id"] for u in seeded) and len(seeded) >= 6
    admins = call(api, "search_users", params={"companyId": company_id, "role": "admin"})["users"]
    assert admins and {u["roles"]["role"] for u in admins} == {"admin"}
    found = call(api, "search_users", params={"companyId": company_id, "query": seeded[0]["lastName"].upper()})
    assert seeded[0]["id"] in {u["id"] for u in found["users"]}
    assert_error_shape(call(api, "search_users", params={"companyId": company_id, "limit": "101"}, expect=422), 422, "limit")
    assert_error_shape(call(api, "search_users", expect=422), 422, "companyId")


def test_user_round_trip(fresh_sandbox, api):
    company_id, location_id = fresh_sandbox.company_id, fresh_sandbox.location_id
    new_user = {"companyId": company_id, "firstName": "Quinn", "lastName": "Rivera", "email": "quinn@example.com",
                "password": "s3cret!pass", "type": "account", "role": "user", "locationIds": [location_id]}
    created = call(api, "create_user", json=new_user)
    user_id = created["id"]
    assert created["name"] == "Quinn Rivera" and created["roles"]["locationIds"] == [location_id]
    assert call(api, "get_user", user_id=user_id)["email"] == "quinn@example.com"
    in_location = call(api, "list_users_by_location", params={"locationId": location_id})["users"]
    assert user_id in {u["id"] for u in in_location}
    assert_error_shape(call(api, "create_user", json=new_user, expect=400), 400)

    updated = call(api, "update_user", user_id=user_id, json={"lastName": "Rivers", "role": "admin",
                                                              "permissions": {"websitesEnabled": True}})
    assert updated["name"] == "Quinn Rivers" and updated["roles"]["role"] == "admin"
    again = call(api, "get_user", user_id=user_id)
    assert again["lastName"] == "Rivers" and again["permissions"]["websitesEnabled"] is True

    by_email = {"companyId": company_id, "emails": "quinn@example.com,nobody@example.com"}
    assert [u["id"] for u in call(api, "filter_users_by_email", json=by_email)["users"]] == [user_id]
    too_many = call(api, "filter_users_by_email", json={**by_email, "limit": 101}, expect=422)  # the gate's check
    assert_error_shape(too_many, 422, "limit must not be greater than 100")
    deleted = call(api, "delete_user", user_id=user_id)
    assert deleted["succeded"] is True and "quinn@example.com" in deleted["message"]
    assert_error_shape(call(api, "get_user", user_id=user_id, expect=404), 404, "not found")
    assert call(api, "filter_users_by_email", json=by_email)["count"] == 0
    assert call(api, "filter_users_by_email", json={**by_email, "deleted": True})["count"] == 1


def test_user_bodies_are_validated(fresh_sandbox, api):
    bad = {"companyId": fresh_sandbox.company_id, "firstName": "A", "lastName": "B", "email": "not-an-email",
           "password": "x", "type": "robot", "role": "user", "locationIds": [fresh_sandbox.location_id]}
    body = call(api, "create_user", json=bad, expect=422)
    assert_error_shape(body, 422, "email")
    assert "type must be one of" in str(body["message"])
    assert_error_shape(call(api, "create_user", json={"firstName": "A"}, expect=422), 422, "lastName")
    assert_error_shape(call(api, "update_user", user_id="missingUser000000000", json={}, expect=404), 404)
    many = {"companyId": fresh_sandbox.company_id, "emails": "a@b.co", "limit": "500"}
    assert_error_shape(call(api, "filter_users_by_email", json=many, expect=422), 422, "limit")


def test_filter_users_by_email_pages_with_body_skip_and_limit(fresh_sandbox, api):
    users = table(fresh_sandbox, "users")
    emails = ",".join(u["email"] for u in users)

    def fetch(skip: int, limit: int) -> list[dict]:
        body = {"companyId": fresh_sandbox.company_id, "emails": emails, "skip": str(skip), "limit": str(limit)}
        page = call(api, "filter_users_by_email", json=body)
        assert page["count"] == len(users)
        return page["users"]

    assert sorted(u["id"] for u in walk(fetch, 4)) == sorted(u["id"] for u in users)


# -- businesses ----------------------------------------------------------------------------------
def test_businesses_page_and_round_trip(fresh_sandbox, api):
    location_id = fresh_sandbox.location_id
    seeded = table(fresh_sandbox, "businesses")
    assert len(seeded) == max(3, 200 // 20)

    def fetch(skip: int, limit: int) -> list[dict]:
        params = {"locationId": location_id, "skip": str(skip), "limit": str(limit)}
        return call(api, "list_businesses_by_location", params=params)["businesses"]

    assert sorted(b["id"] for b in walk(fetch, 3)) == sorted(b["id"] for b in seeded)
    too_many = call(api, "list_businesses_by_location", params={"locationId": location_id, "limit": "101"}, expect=422)
    assert_error_shape(too_many, 422, "limit")

    created = call(api, "create_business", json={"name": "Harbor Cafe", "locationId": location_id,
                                                  "email": "hi@harbor.example", "city": "Austin"})["buiseness"]
    business_id = created["id"]
    assert call(api, "get_business", business_id=business_id)["business"]["name"] == "Harbor Cafe"
    listed = call(api, "list_businesses_by_location", params={"locationId": location_id})["businesses"]
    assert business_id in {b["id"] for b in listed}
    updated = call(api, "update_business", business_id=business_id, json={"name": "Harbor Cafe & Bar"})
    assert updated["success"] is True and updated["buiseness"]["name"] == "Harbor Cafe & Bar"
    fetched = call(api, "get_business", business_id=business_id)["business"]
    assert fetched["name"] == "Harbor Cafe & Bar" and fetched["city"] == "Austin"
    assert call(api, "delete_business", business_id=business_id) == {"success": True}
    assert_error_shape(call(api, "get_business", business_id=business_id, expect=404), 404, "Business not found")
    assert_error_shape(call(api, "create_business", json={"locationId": location_id}, expect=422), 422, "name")
    bad_email = {"name": "X", "locationId": location_id, "email": "nope"}
    assert_error_shape(call(api, "create_business", json=bad_email, expect=422), 422, "email")


# -- workflows, campaigns, snapshots -------------------------------------------------------------
def test_workflows_campaigns_and_snapshots_are_listed(sandbox, api):
    location_id = sandbox.location_id
    workflows = call(api, "list_workflows", params={"locationId": location_id})["workflows"]
    assert {w["status"] for w in workflows} == {"published", "draft"}
    assert len(workflows) == len(table(sandbox, "workflows"))
    campaigns = call(api, "list_campaigns", params={"locationId": location_id})["campaigns"]
    drafts = call(api, "list_campaigns", params={"locationId": location_id, "status": "draft"})["campaigns"]
    assert drafts and {c["status"] for c in drafts} == {"draft"} and len(drafts) < len(campaigns)
    snapshots = call(api, "list_snapshots", params={"companyId": sandbox.company_id})["snapshots"]
    assert snapshots and all(s["type"] for s in snapshots)
    assert_error_shape(call(api, "list_snapshots", expect=422), 422, "companyId")


# -- opportunities -------------------------------------------------------------------------------
def pipelines(api, location_id: str) -> list[dict]:
    return call(api, "list_pipelines", params={"locationId": location_id})["pipelines"]


def free_contact(sandbox, pipeline_id: str) -> str:
    """A contact of the location without an opportunity in this pipeline (HighLevel refuses duplicates)."""
    taken = {o["contactId"] for o in table(sandbox, "opportunities") if o["pipelineId"] == pipeline_id}
    return next(c["id"] for c in table(sandbox, "contacts")
                if c["locationId"] == sandbox.location_id and c["id"] not in taken)


def search(api, location_id: str, **params: str) -> dict:
    return call(api, "search_opportunities", params={"location_id": location_id, **params})


def test_pipelines_have_stages(sandbox, api):
    found = pipelines(api, sandbox.location_id)
    assert len(found) >= 2
    assert all(p["stages"] and all(s["id"] and s["name"] for s in p["stages"]) for p in found)


@pytest.mark.parametrize("order", ["added_desc", "added_asc"])
def test_search_cursor_returns_every_opportunity_once_despite_ties(fresh_sandbox, api, order):
    location_id = fresh_sandbox.location_id
    seeded = table(fresh_sandbox, "opportunities")
    ties = Counter(o["createdAt"] for o in seeded)
    assert len(seeded) >= 50 and max(ties.values()) > 1, "the seed must hold createdAt ties"
    seen, params = [], {"limit": "7", "order": order}
    while True:
        page = search(api, location_id, **params)
        assert page["meta"]["total"] == len(seeded)
        seen += page["opportunities"]
        if "nextPageUrl" not in page["meta"]:
            break
        meta = page["meta"]
        assert meta["nextPageUrl"].startswith(fresh_sandbox.base_url) and f"startAfterId={meta['startAfterId']}" in \
            meta["nextPageUrl"]
        params.update(startAfter=str(meta["startAfter"]), startAfterId=meta["startAfterId"], page=str(meta["nextPage"]))
    assert sorted(o["id"] for o in seen) == sorted(o["id"] for o in seeded)
    assert len(seen) == len({o["id"] for o in seen})
    stamps = [o["createdAt"] for o in seen]
    assert stamps == sorted(stamps, reverse=order == "added_desc")


def test_search_pages_by_number_filters_and_limits(fresh_sandbox, api):
    location_id = fresh_sandbox.location_id
    seeded = table(fresh_sandbox, "opportunities")
    first, second = search(api, location_id, limit="10"), search(api, location_id, limit="10", page="2")
    assert second["meta"]["currentPage"] == 2 and second["meta"]["prevPage"] == 1
    assert not {o["id"] for o in first["opportunities"]} & {o["id"] for o in second["opportunities"]}
    # A cursor without startAfterId is ignored: the first page again (the trap Pipedream#21941 fell into).
    half_cursor = search(api, location_id, limit="10", startAfter=str(first["meta"]["startAfter"]))
    assert half_cursor["opportunities"] == first["opportunities"]

    won = search(api, location_id, status="won", limit="100")["opportunities"]
    assert won and {o["status"] for o in won} == {"won"}
    assert len(won) == sum(o["status"] == "won" for o in seeded)
    some = seeded[0]
    by_contact = search(api, location_id, contact_id=some["contactId"])["opportunities"]
    assert [o["id"] for o in by_contact] == [some["id"]] and by_contact[0]["contact"]["id"] == some["contactId"]
    by_pipeline = search(api, location_id, pipeline_id=some["pipelineId"], limit="100")
    assert by_pipeline["meta"]["total"] == sum(o["pipelineId"] == some["pipelineId"] for o in seeded)
    by_name = search(api, location_id, q=some["name"].split(" - ")[0].lower())["opportunities"]
    assert some["id"] in {o["id"] for o in by_name}

    too_many = call(api, "search_opportunities", params={"location_id": location_id, "limit": "101"}, expect=422)
    assert_error_shape(too_many, 422, "limit")
    assert_error_shape(call(api, "search_opportunities", params={"limit": "5"}, expect=422), 422, "location_id")
    bad_status = call(api, "search_opportunities", params={"location_id": location_id, "status": "x"}, expect=422)
    assert_error_shape(bad_status, 422, "status")


def test_opportunity_round_trip(fresh_sandbox, api):
    location_id = fresh_sandbox.location_id
    pipeline = pipelines(api, location_id)[0]
    contact_id = free_contact(fresh_sandbox, pipeline["id"])
    field = call(api, "list_custom_fields", location_id=location_id, params={"model": "opportunity"})["customFields"][1]
    body = {"pipelineId": pipeline["id"], "locationId": location_id, "name": "Big Deal", "status": "open",
            "contactId": contact_id, "monetaryValue": 1500,
            "customFields": [{"key": field["fieldKey"], "field_value": "2026-12-31"}]}
    created = call(api, "create_opportunity", json=body)["opportunity"]
    opportunity_id = created["id"]
    assert created["pipelineStageId"] == pipeline["stages"][0]["id"] and created["contact"]["id"] == contact_id
    assert created["customFields"] == [{"id": field["id"], "fieldValue": "2026-12-31"}]
    assert_error_shape(call(api, "create_opportunity", json=body, expect=400), 400, "duplicate")
    assert call(api, "get_opportunity", opportunity_id=opportunity_id)["opportunity"]["name"] == "Big Deal"
    assert search(api, location_id, id=opportunity_id)["meta"]["total"] == 1

    stage = pipeline["stages"][2]["id"]
    updated = call(api, "update_opportunity", opportunity_id=opportunity_id,
                   json={"pipelineStageId": stage, "monetaryValue": 2500})["opportunity"]
    assert updated["pipelineStageId"] == stage and updated["updatedAt"] >= created["updatedAt"]
    fetched = call(api, "get_opportunity", opportunity_id=opportunity_id)["opportunity"]
    assert fetched["monetaryValue"] == 2500 and fetched["lastStageChangeAt"] >= created["lastStageChangeAt"]

    status = {"status": "lost", "lostReasonId": "lr-price-too-high"}
    assert call(api, "update_opportunity_status", opportunity_id=opportunity_id, json=status) == {"succeded": True}
    lost = call(api, "get_opportunity", opportunity_id=opportunity_id)["opportunity"]
    assert lost["status"] == "lost" and lost["lostReasonId"] == "lr-price-too-high"

    assert call(api, "delete_opportunity", opportunity_id=opportunity_id) == {"succeded": True}
    assert_error_shape(call(api, "get_opportunity", opportunity_id=opportunity_id, expect=404), 404, "not found")
    assert_error_shape(call(api, "delete_opportunity", opportunity_id=opportunity_id, expect=404), 404)


def test_opportunity_bodies_are_validated(fresh_sandbox, api):
    location_id = fresh_sandbox.location_id
    pipeline = pipelines(api, location_id)[0]
    body = {"pipelineId": pipeline["id"], "locationId": location_id, "name": "X", "status": "pending",
            "contactId": "noSuchContact0000000", "monetaryValue": "lots"}
    problems = call(api, "create_opportunity", json=body, expect=422)
    assert_error_shape(problems, 422, "status")
    assert "contactId" in str(problems["message"]) and "monetaryValue" in str(problems["message"])
    assert_error_shape(call(api, "create_opportunity", json={"name": "X"}, expect=422), 422, "pipelineId")
    some = table(fresh_sandbox, "opportunities")[0]
    wrong_stage = call(api, "update_opportunity", opportunity_id=some["id"], json={"pipelineStageId": "nope"},
                       expect=422)
    assert_error_shape(wrong_stage, 422, "pipelineStageId")
    assert_error_shape(call(api, "update_opportunity_status", opportunity_id=some["id"], json={}, expect=422), 422, "status")


def test_upsert_creates_then_updates_the_contacts_opportunity(fresh_sandbox, api):
    location_id = fresh_sandbox.location_id
    pipeline = pipelines(api, location_id)[1]
    contact_id = free_contact(fresh_sandbox, pipeline["id"])
    user_id = table(fresh_sandbox, "users")[0]["id"]
    body = {"pipelineId": pipeline["id"], "locationId": location_id, "contactId": contact_id, "name": "Renewal",
            "status": "open", "followers": [user_id], "followersActionType": "add", "isRemoveAllFollowers": False}
    first = call(api, "upsert_opportunity", json=body)
    assert first["new"] is True and first["opportunity"]["followers"] == [user_id]
    second = call(api, "upsert_opportunity", json={**body, "status": "won", "monetaryValue": 900, "followers": []})
    assert second["new"] is False and second["opportunity"]["id"] == first["opportunity"]["id"]
    stored = call(api, "get_opportunity", opportunity_id=first["opportunity"]["id"])["opportunity"]
    assert stored["status"] == "won" and stored["monetaryValue"] == 900 and stored["followers"] == [user_id]
    by_id = call(api, "upsert_opportunity", json={"id": stored["id"], "pipelineId": pipeline["id"],
                                                  "locationId": location_id, "isRemoveAllFollowers": True})
    assert by_id["new"] is False and by_id["opportunity"]["followers"] == []
    unknown = {"id": "noSuchOpportunity000", "pipelineId": pipeline["id"], "locationId": location_id}
    assert_error_shape(call(api, "upsert_opportunity", json=unknown, expect=404), 404)


def test_followers_are_added_and_removed(fresh_sandbox, api):
    opportunity_id = table(fresh_sandbox, "opportunities")[0]["id"]
    users = [u["id"] for u in table(fresh_sandbox, "users")][:3]
    added = call(api, "add_opportunity_followers", opportunity_id=opportunity_id, json={"followers": users})
    assert added["followersAdded"] == users and added["followers"] == users
    again = call(api, "add_opportunity_followers", opportunity_id=opportunity_id, json={"followers": users[:1]})
    assert again["followersAdded"] == []
    removed = call(api, "remove_opportunity_followers", opportunity_id=opportunity_id, json={"followers": users[:1]})
    assert removed["followersRemoved"] == users[:1] and removed["followers"] == users[1:]
    assert call(api, "get_opportunity", opportunity_id=opportunity_id)["opportunity"]["followers"] == users[1:]
    everyone = call(api, "remove_opportunity_followers", opportunity_id=opportunity_id, json={"followers": []},
                    params={"isRemoveAllFollowers": "true"})
    assert everyone["followers"] == [] and everyone["followersRemoved"] == users[1:]
    stranger = call(api, "add_opportunity_followers", opportunity_id=opportunity_id,
                    json={"followers": ["notAUser00000000000"]}, expect=422)
    assert_error_shape(stranger, 422, "followers")


@pytest.mark.parametrize(("key", "params", "records", "allowed_missing"), [
    ("search_opportunities", {"location_id": "{location}", "status": "lost", "limit": "100"}, "opportunities",
     {"externalObjectId", "indexVersion", "assignedTo"}),
    ("search_users", {"companyId": "{company}"}, "users", {"scopes"}),
    ("list_businesses_by_location", {"locationId": "{location}"}, "businesses", set()),
    ("list_locations", {}, "locations", set()),
    ("list_workflows", {"locationId": "{location}"}, "workflows", set()),
])
def test_records_carry_the_schemas_fields(sandbox, api, key, params, records, allowed_missing):
    """Records hold the official schema's fields (and ``dateAdded`` besides); left-out fields are deliberate."""
    ids = {"{location}": sandbox.location_id, "{company}": sandbox.company_id}
    found = call(api, key, params={k: ids.get(v, v) for k, v in params.items()})[records]
    expected = set(operations()[key].record_fields)
    assert found
    for record in found:
        assert set(record) - expected <= {"dateAdded"}
        assert expected - set(record) <= allowed_missing


def test_every_operation_of_these_areas_is_exercised():
    mine = {key for key, op in operations().items() if op.area in AREAS}
    assert sorted(mine - EXERCISED) == []
