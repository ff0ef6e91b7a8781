"""Operators of the opportunities, users, conversations, businesses, locations, associations and blogs areas.

Each operator runs against the sandbox and its effect is read back through the API; bad input and
missing scopes are refused before any request.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import pytest

from airflow_provider_ghl.catalog import get_operation
from airflow_provider_ghl.exceptions import GHLAuthError, GHLInputError, GHLNotFoundError, GHLScopeError
from airflow_provider_ghl.operators import associations, blogs, businesses, conversations, locations, opportunities, users
from tests.conftest import task_context
from tests.coverage import Exercised

AREAS = ("opportunities", "users", "conversations", "businesses", "locations", "associations", "blogs", "workflows",
         "snapshots", "campaigns", "companies")
MODULES = {module.__name__.rsplit(".", 1)[1]: module
           for module in (associations, blogs, businesses, conversations, locations, opportunities, users)}
EXERCISED = Exercised("A", AREAS)
covers = EXERCISED.covers
NUMBERS = itertools.count(1)


def test_every_operator_of_these_areas_is_exercised():
    EXERCISED.check()


# -- helpers --------------------------------------------------------------------------------------------
@pytest.fixture(autouse=True)
def _connections(ghl_connections, monkeypatch):
    """Airflow connections to the sandbox; OAuth tokens (the agency connection) rotate in memory, not in Variables."""
    from airflow_provider_ghl.hooks import ghl

    stores: dict[str, Any] = {}
    monkeypatch.setattr(ghl, "VariableTokenStore", lambda conn_id: stores.setdefault(conn_id, ghl.InMemoryTokenStore()))


def run(operator: Any) -> Any:
    return operator.execute(task_context(operator.task_id))


def requests_sent(sandbox) -> int:
    return sandbox.stats().get("requests", 0)


@pytest.fixture
def read(api) -> Callable[..., tuple[int, Any]]:
    """GET a catalog operation through plain HTTP: ``read("get_business", business_id=..., query={...})``."""

    def fetch(key: str, query: dict | None = None, **path: str) -> tuple[int, Any]:
        op = get_operation(key)
        response = api("GET", op.render_path(path), version=op.version, params=query)
        return response.status_code, response.json() if "json" in response.headers.get("content-type", "") else None

    return fetch


def new_contact(api, location_id: str) -> str:
    number = next(NUMBERS)
    body = {"locationId": location_id, "firstName": f"Deal{number}", "email": f"deal{number}@ops.example"}
    response = api("POST", "/contacts/", json=body)
    assert response.status_code in (200, 201), response.text
    return response.json()["contact"]["id"]


# -- opportunities ---------------------------------------------------------------------------------------
@covers(opportunities.GHLCreateOpportunityOperator, opportunities.GHLUpdateOpportunityOperator,
        opportunities.GHLUpdateOpportunityStatusOperator, opportunities.GHLDeleteOpportunityOperator)
def test_opportunity_create_update_status_delete(fresh_sandbox, api, read):
    location = fresh_sandbox.location_id
    pipeline = read("list_pipelines", query={"locationId": location})[1]["pipelines"][0]
    contact = new_contact(api, location)
    create = opportunities.GHLCreateOpportunityOperator(
        task_id="create", body={"pipelineId": pipeline["id"], "name": "Deal A", "status": "open", "contactId": contact},
        custom_fields={"Deal Source": "Partner", "competitor": "Acme"},  # by name, and by key without its prefix
    )
    opportunity_id = run(create)["opportunity"]["id"]
    status, body = read("get_opportunity", opportunity_id=opportunity_id)
    assert status == 200 and body["opportunity"]["name"] == "Deal A"
    assert body["opportunity"]["pipelineStageId"] == pipeline["stages"][0]["id"]
    fields = {f["id"]: f["name"] for f in read("list_custom_fields", location_id=location,
                                                query={"model": "opportunity"})[1]["customFields"]}
    assert {fields[f["id"]]: f["fieldValue"] for f in body["opportunity"]["customFields"]} == {
        "Deal Source": "Partner", "Competitor": "Acme"}
    assert create.ghl_record_url.endswith(f"/v2/location/{location}/opportunities/list?opportunityId={opportunity_id}")

    stage = pipeline["stages"][2]["id"]
    run(opportunities.GHLUpdateOpportunityOperator(
        task_id="update", opportunity_id=opportunity_id, body={"monetaryValue": 1500, "pipelineStageId": stage},
        custom_fields={"Competitor": "Globex"},
    ))
    updated = read("get_opportunity", opportunity_id=opportunity_id)[1]["opportunity"]
    assert (updated["monetaryValue"], updated["pipelineStageId"], updated["name"]) == (1500, stage, "Deal A")
    assert {fields[f["id"]]: f["fieldValue"] for f in updated["customFields"]}["Competitor"] == "Globex"

    run(opportunities.GHLUpdateOpportunityStatusOperator(task_id="won", opportunity_id=opportunity_id,
                                                         body={"status": "won"}))
    assert read("get_opportunity", opportunity_id=opportunity_id)[1]["opportunity"]["status"] == "won"

    result = run(opportunities.GHLDeleteOpportunityOperator(task_id="delete", opportunity_id=opportunity_id))
    assert result["deleted"] is True and result["opportunity_id"] == opportunity_id
    assert read("get_opportunity", opportunity_id=opportunity_id)[0] == 404


@covers(opportunities.GHLUpsertOpportunityOperator, opportunities.GHLAddOpportunityFollowersOperator,
        opportunities.GHLRemoveOpportunityFollowersOperator)
def test_opportunity_upsert_and_followers(fresh_sandbox, api, read):
    location = fresh_sandbox.location_id
    pipeline = read("list_pipelines", query={"locationId": location})[1]["pipelines"][1]["id"]
    team = [u["id"] for u in read("list_users_by_location", query={"locationId": location})[1]["users"]][:3]
    contact = new_contact(api, location)

    def upsert(**body: Any) -> dict:
        operator = opportunities.GHLUpsertOpportunityOperator(
            task_id="upsert", body={"pipelineId": pipeline, "contactId": contact, **body})
        return run(operator)

    first = upsert(name="Renewal 2027", status="open")
    again = upsert(name="Renewal 2027 (signed)", monetaryValue=900)
    assert (first["new"], again["new"]) == (True, False)
    opportunity_id = first["opportunity"]["id"]
    assert again["opportunity"]["id"] == opportunity_id
    stored = read("get_opportunity", opportunity_id=opportunity_id)[1]["opportunity"]
    assert (stored["name"], stored["monetaryValue"], stored["contactId"]) == ("Renewal 2027 (signed)", 900, contact)

    run(opportunities.GHLAddOpportunityFollowersOperator(task_id="follow", opportunity_id=opportunity_id,
                                                         body={"followers": team}))
    assert read("get_opportunity", opportunity_id=opportunity_id)[1]["opportunity"]["followers"] == team
    run(opportunities.GHLRemoveOpportunityFollowersOperator(task_id="unfollow", opportunity_id=opportunity_id,
                                                            body={"followers": team[:1]}))
    assert read("get_opportunity", opportunity_id=opportunity_id)[1]["opportunity"]["followers"] == team[1:]


def test_unknown_opportunity_custom_field_lists_the_known_ones_before_writing(sandbox):
    operator = opportunities.GHLCreateOpportunityOperator(
        task_id="create", body={"pipelineId": "p", "name": "n", "status": "open", "contactId": "c"},
        custom_fields={"Deal Sauce": "x"},
    )
    with pytest.raises(GHLInputError, match="Deal Sauce") as error:
        run(operator)
    assert "Deal Source" in str(error.value) and "Expected Close Date" in str(error.value)
    assert sandbox.stats().get("op:create_opportunity", 0) == 0


# -- users ----------------------------------------------------------------------------------------------
@covers(users.GHLCreateUserOperator, users.GHLUpdateUserOperator, users.GHLDeleteUserOperator)
def test_user_create_update_delete(fresh_sandbox, read):
    location = fresh_sandbox.location_id
    body = {"firstName": "Sam", "lastName": "Lee", "email": "sam.lee@ops.example", "password": "S3cret!pass",
            "type": "account", "role": "user", "locationIds": [location]}
    user_id = run(users.GHLCreateUserOperator(task_id="create", body=body))["id"]  # companyId from the connection
    status, user = read("get_user", user_id=user_id)
    assert status == 200 and (user["name"], user["roles"]["locationIds"]) == ("Sam Lee", [location])
    assert user_id in {u["id"] for u in read("list_users_by_location", query={"locationId": location})[1]["users"]}

    run(users.GHLUpdateUserOperator(task_id="update", user_id=user_id, body={"lastName": "Lee-Park", "phone": "+15125550199"}))
    user = read("get_user", user_id=user_id)[1]
    assert (user["lastName"], user["phone"], user["email"]) == ("Lee-Park", "+15125550199", "sam.lee@ops.example")

    result = run(users.GHLDeleteUserOperator(task_id="delete", user_id=user_id))
    assert result["deleted"] is True and result["response"]["succeded"] is True
    assert read("get_user", user_id=user_id)[0] == 404


# -- conversations --------------------------------------------------------------------------------------
def seeded_messages(read, location: str) -> list[dict]:
    """Messages of the location's most recent conversations."""
    found = read("search_conversations", query={"locationId": location, "limit": 20})[1]["conversations"]
    return [m for c in found
            for m in read("get_messages_by_conversation", conversation_id=c["id"])[1]["messages"]]


@covers(conversations.GHLUpdateMessageStatusOperator)
def test_update_message_status_changes_the_message_and_its_email(fresh_sandbox, read):
    messages = seeded_messages(read, fresh_sandbox.location_id)
    sms = next(m for m in messages if m["messageType"] == "TYPE_SMS" and m["status"] != "read")
    result = run(conversations.GHLUpdateMessageStatusOperator(task_id="read", message_id=sms["id"],
                                                              body={"status": "read"}))
    assert result == {"conversationId": sms["conversationId"], "messageId": sms["id"], "status": "read"}
    assert read("get_message", message_id=sms["id"])[1]["status"] == "read"

    email = next(m for m in messages if m["messageType"] == "TYPE_EMAIL")
    email_id = email["meta"]["email"]["messageIds"][0]
    run(conversations.GHLUpdateMessageStatusOperator(task_id="failed", message_id=email["id"],
                                                     body={"status": "failed", "error": {"code": "bounce"}}))
    assert read("get_email", email_message_id=email_id)[1]["status"] == "failed"
    assert read("get_message", message_id=email["id"])[1]["status"] == "failed"


@covers(conversations.GHLSendAgentTypingIndicatorOperator)
def test_typing_indicator_reaches_a_conversation_and_not_a_missing_one(sandbox, read):
    conversation = read("search_conversations", query={"locationId": sandbox.location_id, "limit": 1})[1]
    conversation_id = conversation["conversations"][0]["id"]
    body = {"isTyping": "true", "visitorId": "visitor-1", "conversationId": conversation_id}
    result = run(conversations.GHLSendAgentTypingIndicatorOperator(task_id="typing", body=body))
    assert result == {"success": True}
    missing = conversations.GHLSendAgentTypingIndicatorOperator(
        task_id="typing_missing", body={**body, "conversationId": "NoSuchConversation00"})
    with pytest.raises(GHLNotFoundError):
        run(missing)


# -- businesses -----------------------------------------------------------------------------------------
@covers(businesses.GHLCreateBusinessOperator, businesses.GHLUpdateBusinessOperator,
        businesses.GHLDeleteBusinessOperator)
def test_business_create_update_delete(fresh_sandbox, read):
    created = run(businesses.GHLCreateBusinessOperator(task_id="create",
                                                       body={"name": "Acme Ltd", "email": "info@acme.example"}))
    business_id = created["buiseness"]["id"]
    status, body = read("get_business", business_id=business_id)
    assert status == 200 and (body["business"]["name"], body["business"]["locationId"]) == (
        "Acme Ltd", fresh_sandbox.location_id)

    run(businesses.GHLUpdateBusinessOperator(task_id="update", business_id=business_id, body={"city": "Boston"}))
    assert (read("get_business", business_id=business_id)[1]["business"]["city"],
            read("get_business", business_id=business_id)[1]["business"]["name"]) == ("Boston", "Acme Ltd")

    result = run(businesses.GHLDeleteBusinessOperator(task_id="delete", business_id=business_id))
    assert result["deleted"] is True and result["business_id"] == business_id
    assert read("get_business", business_id=business_id)[0] == 404


# -- locations ------------------------------------------------------------------------------------------
@covers(locations.GHLFindLocationOperator)
def test_find_location_defaults_to_the_connection_location(sandbox, read):
    assert run(locations.GHLFindLocationOperator(task_id="find"))["location"]["id"] == sandbox.location_id
    sibling = next(loc for loc in read("list_locations", query={"companyId": sandbox.company_id})[1]["locations"]
                   if loc["id"] != sandbox.location_id)
    # The argument reaches the path: a location token is refused another sub-account (HighLevel's 403).
    with pytest.raises(GHLAuthError, match="access to this location"):
        run(locations.GHLFindLocationOperator(task_id="find_sibling", location_id=sibling["id"]))


@covers(locations.GHLCreateLocationOperator)
def test_create_location_with_the_agency_connection(fresh_sandbox, read):
    created = run(locations.GHLCreateLocationOperator(
        task_id="create", ghl_conn_id="ghl_agency", body={"name": "Northwind Bakery", "timezone": "America/Chicago"}))
    assert created["companyId"] == fresh_sandbox.company_id  # filled from the connection
    listed = read("list_locations", query={"companyId": fresh_sandbox.company_id, "limit": 100})[1]["locations"]
    assert {(loc["id"], loc["name"]) for loc in listed} >= {(created["id"], "Northwind Bakery")}


# -- associations ---------------------------------------------------------------------------------------
@covers(associations.GHLCreateAssociationOperator, associations.GHLUpdateAssociationOperator,
        associations.GHLDeleteAssociationOperator, associations.GHLCreateRelationOperator,
        associations.GHLDeleteRelationOperator)
def test_association_and_relation_lifecycle(fresh_sandbox, api, read):
    location = fresh_sandbox.location_id
    association = run(associations.GHLCreateAssociationOperator(task_id="define", body={
        "key": "car_owner", "firstObjectKey": "custom_objects.cars", "firstObjectLabel": "Car",
        "secondObjectKey": "contact", "secondObjectLabel": "Owner"}))
    association_id = association["id"]
    assert read("get_association", association_id=association_id)[1]["key"] == "car_owner"

    run(associations.GHLUpdateAssociationOperator(task_id="rename", association_id=association_id,
                                                  body={"firstObjectLabel": "Vehicle", "secondObjectLabel": "Driver"}))
    renamed = read("get_association", association_id=association_id)[1]
    assert (renamed["firstObjectLabel"], renamed["secondObjectLabel"]) == ("Vehicle", "Driver")

    contact = new_contact(api, location)
    relation = run(associations.GHLCreateRelationOperator(task_id="link", body={
        "associationId": association_id, "firstRecordId": "car-0001", "secondRecordId": contact}))

    def relations_of_contact() -> set[str]:
        page = read("get_relations_by_record", record_id=contact, query={"locationId": location, "skip": 0, "limit": 100})
        return {r["id"] for r in page[1]["relations"]}

    assert relations_of_contact() == {relation["id"]}
    run(associations.GHLDeleteRelationOperator(task_id="unlink", relation_id=relation["id"]))
    assert relations_of_contact() == set()

    run(associations.GHLDeleteAssociationOperator(task_id="drop", association_id=association_id))
    assert read("get_association", association_id=association_id)[0] == 404


# -- blogs ----------------------------------------------------------------------------------------------
def blog_post_body(read, location: str, slug: str, **changes: Any) -> dict:
    """A post body with every field HighLevel's schema requires, pointing at the seeded blog, author and category."""
    paging = {"locationId": location, "limit": 10}
    blog = read("get_blogs_by_location", query={**paging, "skip": 0})[1]["data"][0]["_id"]
    author = read("get_blog_authors", query={**paging, "offset": 0})[1]["authors"][0]["_id"]
    category = read("get_blog_categories", query={**paging, "offset": 0})[1]["categories"][0]["_id"]
    return {"title": "Spring checklist", "blogId": blog, "author": author, "categories": [category],
            "urlSlug": slug, "status": "PUBLISHED", "publishedAt": "2026-03-01T09:00:00.000Z",
            "rawHTML": "<h1>Spring checklist</h1>", "description": "Ten things to check",
            "imageUrl": "https://img.example/tulips.jpeg", "imageAltText": "Tulips", **changes}


@covers(blogs.GHLCreateBlogPostOperator, blogs.GHLUpdateBlogPostOperator)
def test_blog_post_create_and_update(fresh_sandbox, read):
    location = fresh_sandbox.location_id
    body = blog_post_body(read, location, "spring-checklist-ops")
    post = run(blogs.GHLCreateBlogPostOperator(task_id="create", body=body))["data"]
    assert read("check_blog_url_slug", query={"urlSlug": "spring-checklist-ops", "locationId": location})[1] == {
        "exists": True}

    def stored() -> dict:
        posts = read("get_blog_posts", query={"locationId": location, "blogId": body["blogId"], "limit": 100,
                                              "offset": 0})[1]["blogs"]
        return next(p for p in posts if p["_id"] == post["_id"])

    assert stored()["title"] == "Spring checklist"
    changed = {**body, "title": "Spring checklist (2nd edition)", "status": "ARCHIVED"}
    answer = run(blogs.GHLUpdateBlogPostOperator(task_id="update", post_id=post["_id"], body=changed))
    assert answer["updatedBlogPost"]["_id"] == post["_id"]
    assert (stored()["title"], stored()["status"]) == ("Spring checklist (2nd edition)", "ARCHIVED")


# -- refused before any request -------------------------------------------------------------------------
FULL_POST = {"title": "t", "blogId": "b", "author": "a", "categories": ["c"], "urlSlug": "s", "status": "DRAFT",
             "publishedAt": "2026-01-01T00:00:00Z", "rawHTML": "<p/>", "description": "d", "imageUrl": "u",
             "imageAltText": "i"}
USER = {"firstName": "A", "lastName": "B", "email": "a@b.example", "password": "p", "type": "account", "role": "user",
        "locationIds": ["l"]}
ASSOCIATION = {"key": "k", "firstObjectKey": "contact", "firstObjectLabel": "A", "secondObjectKey": "contact",
               "secondObjectLabel": "B"}
BAD_INPUT = [
    # (operator, arguments, the field the error must name)
    (opportunities.GHLUpdateOpportunityOperator, {"body": {"name": "x"}}, "opportunity_id"),
    (users.GHLDeleteUserOperator, {}, "user_id"),
    (conversations.GHLUpdateMessageStatusOperator, {"body": {"status": "read"}}, "message_id"),
    (businesses.GHLDeleteBusinessOperator, {"business_id": ""}, "business_id"),
    (associations.GHLDeleteRelationOperator, {}, "relation_id"),
    (blogs.GHLUpdateBlogPostOperator, {"body": FULL_POST}, "post_id"),
    (opportunities.GHLCreateOpportunityOperator, {"body": {"pipelineId": "p", "name": "n", "status": "open"}},
     "contactId"),
    (users.GHLCreateUserOperator, {"body": {k: v for k, v in USER.items() if k != "email"}}, "email"),
    (conversations.GHLSendAgentTypingIndicatorOperator, {"body": {"isTyping": "true", "visitorId": "v"}},
     "conversationId"),
    (businesses.GHLCreateBusinessOperator, {"body": {}}, "name"),
    (locations.GHLCreateLocationOperator, {"body": {"city": "Austin"}}, "name"),
    (associations.GHLCreateRelationOperator, {"body": {"associationId": "a", "firstRecordId": "b"}}, "secondRecordId"),
    (blogs.GHLCreateBlogPostOperator, {"body": {k: v for k, v in FULL_POST.items() if k != "urlSlug"}}, "urlSlug"),
    (businesses.GHLUpdateBusinessOperator, {"business_id": "b", "body": {"nmae": "x"}}, "nmae"),
    (users.GHLUpdateUserOperator, {"user_id": "u", "body": {"emial": "x"}}, "emial"),
    (associations.GHLCreateAssociationOperator, {"body": {**ASSOCIATION, "label": "x"}}, "label"),
    (opportunities.GHLUpdateOpportunityStatusOperator, {"opportunity_id": "o", "body": {"status": 3}}, "status"),
    (opportunities.GHLAddOpportunityFollowersOperator, {"opportunity_id": "o", "body": {"followers": "u1"}},
     "followers"),
    (blogs.GHLUpdateBlogPostOperator, {"post_id": "p", "body": {**FULL_POST, "categories": "c"}}, "categories"),
    (locations.GHLFindLocationOperator, {"location_id": ["l"]}, "location_id"),
    (opportunities.GHLUpsertOpportunityOperator, {"body": {"pipelineId": "p"}, "custom_fields": ["Deal Source"]},
     "custom_fields"),
]


@pytest.mark.parametrize(("operator", "arguments", "field"), BAD_INPUT,
                         ids=[f"{case[0].__name__}-{case[2]}" for case in BAD_INPUT])
def test_bad_input_is_refused_naming_the_field(sandbox, operator, arguments, field):
    before = requests_sent(sandbox)
    path_arguments = {p.argument for p in operator.op.path_params if p.argument not in ("location_id", "company_id")}
    left_out = path_arguments - set(arguments)
    # Literal arguments are refused while the DAG is parsed; a path argument left out entirely is Airflow's own
    # required-keyword check, everything else is ours.
    with pytest.raises(TypeError if left_out else GHLInputError, match=field):
        operator(task_id="bad", **arguments)
    # The same values arriving through templates are refused after rendering, before anything is sent.
    templated = operator(task_id="templated", **{name: "{{ params.value }}" for name in {*arguments, *left_out}})
    for name in {*arguments, *left_out}:
        setattr(templated, name, arguments.get(name))
    with pytest.raises(GHLInputError, match=field):
        run(templated)
    assert requests_sent(sandbox) == before


SCOPED = [
    (opportunities.GHLCreateOpportunityOperator,
     {"body": {"pipelineId": "p", "name": "n", "status": "open", "contactId": "c"}}, "opportunities.write"),
    (opportunities.GHLRemoveOpportunityFollowersOperator, {"opportunity_id": "o", "body": {"followers": ["u"]}},
     "opportunities.write"),
    (users.GHLCreateUserOperator, {"body": USER}, "users.write"),
    (conversations.GHLUpdateMessageStatusOperator, {"message_id": "m", "body": {"status": "read"}},
     "conversations/message.write"),
    (conversations.GHLSendAgentTypingIndicatorOperator,
     {"body": {"isTyping": "true", "visitorId": "v", "conversationId": "c"}}, "conversations/livechat.write"),
    (businesses.GHLDeleteBusinessOperator, {"business_id": "b"}, "businesses.write"),
    (locations.GHLCreateLocationOperator, {"body": {"name": "n"}}, "locations.write"),
    (associations.GHLCreateAssociationOperator, {"body": ASSOCIATION}, "associations.write"),
    (associations.GHLDeleteRelationOperator, {"relation_id": "r"}, "associations/relation.write"),
    (blogs.GHLCreateBlogPostOperator, {"body": FULL_POST}, "blogs/post.write"),
]


@pytest.mark.parametrize(("operator", "arguments", "scope"), SCOPED, ids=[case[0].__name__ for case in SCOPED])
def test_read_only_connection_refuses_writes_naming_the_scope(sandbox, operator, arguments, scope):
    before = requests_sent(sandbox)
    with pytest.raises(GHLScopeError, match=scope):
        run(operator(task_id="refused", ghl_conn_id="ghl_readonly", **arguments))
    assert requests_sent(sandbox) == before


def test_read_only_connection_still_reads(sandbox):
    found = run(locations.GHLFindLocationOperator(task_id="find", ghl_conn_id="ghl_readonly"))
    assert found["location"]["id"] == sandbox.location_id
