"""The 124 in both of HighLevel's API versions: each called through the hook in its v2 and its v3 form against the
sandbox, its answer judged by that version's official schema; where the forms differ, the sandbox reads each
request in its own version's terms and refuses the other's; ``Version: legacy`` is a v2 header.

The v2/v3 differences of the 124 (``reference/openapi`` vs ``reference/openapi-v3``) that these tests pin:

- path: ``remove_contact_from_all_campaigns`` is ``.../campaigns/removeAll`` in v2, ``.../remove-all`` in v3;
- query: ``search_opportunities`` takes ``location_id``, ``pipeline_id``, ``pipeline_stage_id``, ``contact_id``,
  ``assigned_to`` in v2 and ``locationId``, ``pipelineId``... in v3 (the v2 names are not in v3's spec);
- bodies and answers: ``dndSettings`` channels ``SMS``/``Call``/``WhatsApp``... in v2, ``sms``/``call``/
  ``whatsApp``... in v3 (create, update, upsert and get contact); v3 answers ``succeeded`` (``success`` for
  opportunity deletes and status updates) where v2 answers ``succeded``, and requires it on bulk tag updates;
  v3's appointment answers require ``dateAdded``/``dateUpdated``; v3 adds opportunity forecast fields,
  ``wordCount`` (required) on blog post updates, enum values (``mins``, ``completed``...);
- ``list_contacts`` and ``list_users_by_location`` have no v3 form.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import Any

import httpx
import jsonschema
import pytest

from airflow_provider_ghl.catalog import Operation, get_operation, operations, versions_of
from airflow_provider_ghl.hooks.auth import InMemoryTokenStore
from airflow_provider_ghl.hooks.ghl import GHLHook
from tests.openapi import response_schema
from tests.sandbox.answers import assert_error_shape

WITH_V3 = [key for key in operations() if "v3" in versions_of(key)]


def ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


class World:
    """The seeded records the calls address, read through the control surface, and what the calls created."""

    def __init__(self, sandbox) -> None:
        self.sandbox, self.location, self.company = sandbox, sandbox.location_id, sandbox.company_id
        self.created: dict[str, Any] = {}
        self.soon = (datetime.now(UTC) + timedelta(days=3)).replace(hour=2, minute=0, second=0, microsecond=0)

    def mine(self, table: str, match: Callable[[dict], bool] = lambda record: True) -> list[dict]:
        return [r for r in self.sandbox.control("GET", f"tables/{table}")
                if r.get("locationId", self.location) == self.location and match(r)]

    @cached_property
    def contact(self) -> dict:
        """A contact with an email, a task and a note."""
        tasks, notes = {t["contactId"] for t in self.mine("contact_tasks")}, {n["contactId"] for n in self.mine("contact_notes")}
        return next(c for c in self.mine("contacts") if c.get("email") and c["id"] in tasks & notes)

    @cached_property
    def task(self) -> str:
        return self.mine("contact_tasks", lambda t: t["contactId"] == self.contact["id"])[0]["id"]

    @cached_property
    def note(self) -> str:
        return self.mine("contact_notes", lambda n: n["contactId"] == self.contact["id"])[0]["id"]

    @cached_property
    def calendar(self) -> dict:
        return next(c for c in self.mine("calendars") if c["name"] == "Product Demo")

    @cached_property
    def appointment(self) -> str:
        return next(e["id"] for e in self.mine("events", lambda e: bool(e.get("contactId"))))

    @cached_property
    def notification(self) -> str:
        return self.mine("calendar_notifications", lambda n: n["calendarId"] == self.calendar["id"])[0]["id"]

    @cached_property
    def room(self) -> str:
        return self.mine("calendar_resources", lambda r: r["resourceType"] == "rooms")[0]["id"]

    @cached_property
    def pipeline(self) -> str:
        return self.mine("pipelines")[0]["id"]

    @cached_property
    def user(self) -> dict:
        return next(u for u in self.sandbox.control("GET", "tables/users")
                    if self.location in u["roles"]["locationIds"] and not u["deleted"])

    @cached_property
    def email(self) -> dict:
        return self.mine("messages", lambda m: m["messageType"] == "TYPE_EMAIL")[0]

    @cached_property
    def call(self) -> str:
        return next(m["id"] for m in self.mine("messages", lambda m: m["messageType"] == "TYPE_CALL"
                                               and m["meta"].get("callStatus") == "completed"))

    @cached_property
    def association(self) -> dict:
        return self.mine("associations")[0]

    @cached_property
    def relation(self) -> dict:
        return self.mine("relations")[0]

    @cached_property
    def blog(self) -> dict:
        blog = self.mine("blogs")[0]["id"]
        return {"blogId": blog, "author": self.mine("blog_authors")[0]["id"],
                "categories": [self.mine("blog_categories")[0]["id"]]}

    def first(self, name: str) -> str:
        return self.mine(name)[0]["id"]

    def post_body(self, slug: str) -> dict:
        return {"title": "Versions", "imageUrl": "https://img.example/1.png", "description": "d", "rawHTML": "<p/>",
                "status": "PUBLISHED", "imageAltText": "alt", "urlSlug": slug, "publishedAt": "2026-01-05T10:00:00.000Z",
                **self.blog}


def calls(w: World) -> Iterator[tuple[str, dict[str, Any]]]:
    """(key, hook arguments) for each of the 124, reads first, then writes, then deletes (of what the writes made)."""
    c, when = w.contact["id"], {"startTime": ms(w.soon - timedelta(days=30)), "endTime": ms(w.soon + timedelta(days=30))}
    yield "get_contact", {"contact_id": c}
    yield "search_contacts", {"body": {"pageLimit": 5}}
    yield "get_contacts_by_business", {"business_id": w.first("businesses")}
    yield "get_duplicate_contact", {"query": {"email": w.contact["email"]}}
    yield "find_contact", {"query": {"email": w.contact["email"]}}
    yield "get_contact_appointments", {"contact_id": c}
    yield "get_contact_tasks", {"contact_id": c}
    yield "get_contact_task", {"contact_id": c, "contact_task_id": w.task}
    yield "get_contact_notes", {"contact_id": c}
    yield "get_contact_note", {"contact_id": c, "note_id": w.note}
    yield "list_contacts", {"query": {"limit": 5}}
    yield "list_calendar_groups", {}
    yield "list_calendars", {}
    yield "get_calendar", {"calendar_id": w.calendar["id"]}
    yield "get_free_slots", {"calendar_id": w.calendar["id"],
                             "query": {"startDate": ms(w.soon), "endDate": ms(w.soon + timedelta(days=7))}}
    yield "list_calendar_events", {"query": {**when, "calendarId": w.calendar["id"]}}
    yield "list_blocked_slots", {"query": {**when, "calendarId": w.calendar["id"]}}
    yield "get_appointment", {"event_id": w.appointment}
    yield "list_appointment_notes", {"appointment_id": w.appointment, "query": {"limit": 10, "offset": 0}}
    yield "list_calendar_notifications", {"calendar_id": w.calendar["id"]}
    yield "get_calendar_notification", {"calendar_id": w.calendar["id"], "notification_id": w.notification}
    yield "list_calendar_resources", {"resource_type": "rooms", "query": {"limit": 10, "skip": 0}}
    yield "get_calendar_resource", {"resource_type": "rooms", "resource_id": w.room}
    yield "search_opportunities", {"query": {"pipeline_id": w.pipeline}}
    yield "get_opportunity", {"opportunity_id": w.first("opportunities")}
    yield "list_pipelines", {}
    yield "search_users", {}
    yield "filter_users_by_email", {"body": {"emails": [w.user["email"]]}}
    yield "get_user", {"user_id": w.user["id"]}
    yield "list_users_by_location", {}
    yield "search_conversations", {}
    yield "get_conversation", {"conversation_id": w.email["conversationId"]}
    yield "get_email", {"email_message_id": w.email["meta"]["email"]["messageIds"][0]}
    yield "get_message", {"message_id": w.email["id"]}
    yield "get_messages_by_conversation", {"conversation_id": w.email["conversationId"]}
    yield "get_message_recording", {"message_id": w.call}
    yield "get_message_transcription", {"message_id": w.call}
    yield "download_message_transcription", {"message_id": w.call}
    yield "get_business", {"business_id": w.first("businesses")}
    yield "list_businesses_by_location", {}
    yield "list_workflows", {}
    yield "list_snapshots", {}
    yield "list_campaigns", {}
    yield "list_locations", {}
    yield "list_custom_fields", {}
    yield "get_company", {"company_id": w.company}
    yield "find_location", {}
    yield "find_associations", {"query": {"skip": 0, "limit": 10}}
    yield "get_association", {"association_id": w.association["id"]}
    yield "get_association_key", {"association_key": w.association["key"]}
    yield "get_association_by_object_key", {"object_key": "contact"}
    yield "get_relations_by_record", {"record_id": w.relation["firstRecordId"], "query": {"skip": 0, "limit": 10}}
    yield "check_blog_url_slug", {"query": {"urlSlug": "a-fresh-slug"}}
    yield "get_blog_authors", {"query": {"limit": 5, "offset": 0}}
    yield "get_blog_categories", {"query": {"limit": 5, "offset": 0}}
    yield "get_blog_posts", {"query": {"blogId": w.blog["blogId"], "limit": 5, "offset": 0}}
    yield "get_blogs_by_location", {"query": {"skip": 0, "limit": 5}}
    # -- writes
    dnd = {"sms": {"status": "active"}} if w.created.get("api") == "v3" else {"SMS": {"status": "active"}}
    yield "create_contact", {"body": {"firstName": "Versions", "email": "versions@example.com", "dndSettings": dnd}}
    yield "update_contact", {"contact_id": c, "body": {"lastName": "Changed", "dndSettings": dnd}}
    yield "upsert_contact", {"body": {"email": "upsert@example.com", "firstName": "Up", "dndSettings": dnd}}
    yield "add_tags_to_contact", {"contact_id": c, "body": {"tags": ["versions"]}}
    yield "remove_tags_from_contact", {"contact_id": c, "body": {"tags": ["versions"]}}
    yield "bulk_update_contact_tags", {"tag_action": "add", "body": {"contacts": [c], "tags": ["bulk"]}}
    yield "create_contact_task", {"contact_id": c, "body": {"title": "Call", "dueDate": w.soon.isoformat()}}
    yield "update_contact_task", {"contact_id": c, "contact_task_id": w.task, "body": {"title": "Call back"}}
    yield "complete_contact_task", {"contact_id": c, "contact_task_id": w.task, "body": {"completed": True}}
    yield "create_contact_note", {"contact_id": c, "body": {"body": "A note"}}
    yield "update_contact_note", {"contact_id": c, "note_id": w.note, "body": {"body": "Edited"}}
    yield "add_contact_to_campaign", {"contact_id": c, "campaign_id": w.first("campaigns")}
    yield "remove_contact_from_campaign", {"contact_id": c, "campaign_id": w.first("campaigns")}
    yield "remove_contact_from_all_campaigns", {"contact_id": c}
    workflow = w.mine("workflows", lambda f: f["status"] == "published")[0]["id"]
    yield "add_contact_to_workflow", {"contact_id": c, "workflow_id": workflow}
    yield "remove_contact_from_workflow", {"contact_id": c, "workflow_id": workflow}
    yield "add_contact_followers", {"contact_id": c, "body": {"followers": [w.user["id"]]}}
    yield "remove_contact_followers", {"contact_id": c, "body": {"followers": [w.user["id"]]}}
    yield "bulk_business_update", {"body": {"ids": [c], "businessId": w.first("businesses")}}
    group = {"name": "Versions", "description": "d", "slug": "versions-group"}
    yield "create_calendar_group", {"body": group}
    yield "update_calendar_group", {"group_id": w.created["create_calendar_group"]["group"]["id"], "body": group}
    yield "update_calendar_group_status", {"group_id": w.created["create_calendar_group"]["group"]["id"],
                                           "body": {"isActive": False}}
    yield "validate_calendar_group_slug", {"body": {"slug": "another-slug"}}
    yield "create_calendar", {"body": {"name": "Versions Calendar"}}
    yield "update_calendar", {"calendar_id": w.calendar["id"], "body": {"description": "Edited"}}
    yield "create_appointment", {"body": {"calendarId": w.calendar["id"], "contactId": c, "startTime": w.soon.isoformat(),
                                          "ignoreFreeSlotValidation": True}}
    appointment = w.created["create_appointment"]["id"]
    yield "update_appointment", {"event_id": appointment, "body": {"title": "Moved"}}
    block = {"calendarId": w.calendar["id"], "startTime": (w.soon + timedelta(days=1)).isoformat(),
             "endTime": (w.soon + timedelta(days=1, hours=1)).isoformat()}
    yield "create_block_slot", {"body": block}
    yield "update_block_slot", {"event_id": w.created["create_block_slot"]["id"], "body": {**block, "title": "Busy"}}
    yield "create_appointment_note", {"appointment_id": appointment, "body": {"body": "Note"}}
    note = w.created["create_appointment_note"]["note"]["id"]
    yield "update_appointment_note", {"appointment_id": appointment, "note_id": note, "body": {"body": "Edited"}}
    yield "create_calendar_notification", {"calendar_id": w.calendar["id"], "body": [
        {"receiverType": "contact", "channel": "email", "notificationType": "confirmation", "subject": "Confirmed"}]}
    yield "update_calendar_notification", {"calendar_id": w.calendar["id"], "notification_id": w.notification,
                                           "body": {"isActive": True}}
    yield "create_calendar_resource", {"resource_type": "rooms", "body": {
        "name": "Terrace", "description": "Open air", "quantity": 1, "outOfService": 0, "capacity": 30,
        "calendarIds": [w.calendar["id"]]}}
    resource = w.created["create_calendar_resource"]["id"]
    yield "update_calendar_resource", {"resource_type": "rooms", "resource_id": resource, "body": {"name": "Roof"}}
    newcomer = w.created["create_contact"]["contact"]["id"]  # no deal yet: one open deal per contact and pipeline
    deal = {"pipelineId": w.pipeline, "name": "Versions deal", "status": "open", "contactId": newcomer}
    yield "create_opportunity", {"body": deal}
    opportunity = w.created["create_opportunity"]["opportunity"]["id"]
    yield "update_opportunity", {"opportunity_id": opportunity, "body": {"name": "Renamed"}}
    yield "update_opportunity_status", {"opportunity_id": opportunity, "body": {"status": "won"}}
    yield "upsert_opportunity", {"body": {**deal, "name": "Upserted"}}
    yield "add_opportunity_followers", {"opportunity_id": opportunity, "body": {"followers": [w.user["id"]]}}
    yield "remove_opportunity_followers", {"opportunity_id": opportunity, "body": {"followers": [w.user["id"]]}}
    yield "create_user", {"body": {"firstName": "Ver", "lastName": "Sions", "email": "versions.user@example.com",
                                   "password": "s3cret-Passw0rd", "type": "account", "role": "user",
                                   "locationIds": [w.location]}}
    user = w.created["create_user"]["id"]
    yield "update_user", {"user_id": user, "body": {"firstName": "Renamed"}}
    yield "update_message_status", {"message_id": w.email["id"], "body": {"status": "read"}}
    yield "send_agent_typing_indicator", {"body": {"isTyping": "true", "visitorId": "visitor-1",
                                                   "conversationId": w.email["conversationId"]}}
    yield "create_business", {"body": {"name": "Versions Inc"}}
    business = w.created["create_business"]["buiseness"]["id"]  # HighLevel spells it so, in both versions
    yield "update_business", {"business_id": business, "body": {"name": "Versions LLC"}}
    yield "create_location", {"body": {"name": "Versions Branch"}}
    yield "create_association", {"body": {"key": "versions_pair", "firstObjectLabel": "A", "firstObjectKey": "contact",
                                          "secondObjectLabel": "B", "secondObjectKey": "contact"}}
    association = w.created["create_association"]["id"]
    yield "update_association", {"association_id": association, "body": {"firstObjectLabel": "A1",
                                                                         "secondObjectLabel": "B1"}}
    others = [x["id"] for x in w.mine("contacts") if x["id"] != c]
    yield "create_relation", {"body": {"associationId": association, "firstRecordId": c, "secondRecordId": others[0]}}
    yield "create_blog_post", {"body": w.post_body("versions-post")}
    post = w.created["create_blog_post"]["data"]["_id"]
    yield "update_blog_post", {"post_id": post, "body": {**w.post_body("versions-post"), "wordCount": 2}}
    # -- deletes
    yield "delete_relation", {"relation_id": w.created["create_relation"]["id"]}
    yield "delete_association", {"association_id": association}
    yield "delete_business", {"business_id": business}
    yield "delete_user", {"user_id": user}
    yield "delete_opportunity", {"opportunity_id": opportunity}
    yield "delete_calendar_resource", {"resource_type": "rooms", "resource_id": resource}
    yield "delete_calendar_notification", {"calendar_id": w.calendar["id"],
                                           "notification_id": w.created["create_calendar_notification"][0]["_id"]}
    yield "delete_appointment_note", {"appointment_id": appointment, "note_id": note}
    yield "delete_calendar_event", {"event_id": appointment}
    yield "delete_calendar", {"calendar_id": w.created["create_calendar"]["calendar"]["id"]}
    yield "delete_calendar_group", {"group_id": w.created["create_calendar_group"]["group"]["id"]}
    yield "delete_contact_task", {"contact_id": c, "contact_task_id": w.created["create_contact_task"]["task"]["id"]}
    yield "delete_contact_note", {"contact_id": c, "note_id": w.created["create_contact_note"]["note"]["id"]}
    yield "delete_contact", {"contact_id": w.created["create_contact"]["contact"]["id"]}


def judge(form: Operation, answer: Any) -> None:
    """The answer matches ``form``'s official success schema (v2's file for v2, v3's for v3). Where that schema
    describes one record of a page (the associations lists: a spec gap), each record of the page matches it."""
    schema = response_schema(form)
    if schema is None or form.answer == "download":
        return
    page_of_records = form.records_key and form.records_key not in schema.get("properties", {"": None})
    for value in answer[form.records_key] if page_of_records else [answer]:
        jsonschema.validate(value, schema, cls=jsonschema.Draft7Validator)


@pytest.mark.parametrize("version", ["v2", "v3"])
def test_every_one_of_the_124_answers_its_versions_schema_through_the_hook(fresh_sandbox, ghl_connections, version):
    hooks = {conn: GHLHook(conn, token_store=InMemoryTokenStore()) for conn in ("ghl_default", "ghl_agency")}
    world = World(fresh_sandbox)
    world.created["api"] = version
    called, failures = [], {}
    steps = calls(world)
    while True:
        try:
            key, arguments = next(steps)
        except StopIteration:
            break
        except KeyError as missing:  # a call whose arguments come from an earlier call that failed
            failures["(later calls)"] = f"not made: they need the answer of {missing}"
            break
        if version not in versions_of(key):
            continue
        form = get_operation(key, version)
        hook = hooks["ghl_agency" if form.token_types == ("agency",) else "ghl_default"]
        try:
            answer = hook.call(key, api_version=version, **arguments)
            judge(form, answer)
        except Exception as error:  # every failure is reported, not just the first
            failures[key] = f"{type(error).__name__}: {str(error)[:300]}"
            continue
        world.created[key] = answer
        called.append(key)
    assert not failures, "\n".join(f"{key}: {why}" for key, why in failures.items())
    expected = WITH_V3 if version == "v3" else list(operations())
    assert sorted(called) == sorted(expected) and len(called) == (122 if version == "v3" else 124)
    stats = fresh_sandbox.stats()
    assert sum(count for name, count in stats.items() if name.startswith("v3:")) == (len(called) if version == "v3" else 0)


# -- request shapes: each version's terms at the sandbox, the other's refused -------------------------------------
@pytest.fixture
def send(fresh_sandbox):
    token = fresh_sandbox.connection("full")["password"]

    def request(method: str, path: str, version: str, **kwargs: Any) -> httpx.Response:
        return httpx.request(method, fresh_sandbox.base_url + path, timeout=30, **kwargs,
                             headers={"Authorization": f"Bearer {token}", "Version": version})

    return request


def a_contact(sandbox) -> str:
    return next(c["id"] for c in sandbox.control("GET", "tables/contacts") if c["locationId"] == sandbox.location_id)


def test_remove_from_all_campaigns_is_routed_by_each_versions_path(fresh_sandbox, send):
    contact = a_contact(fresh_sandbox)
    assert send("DELETE", f"/contacts/{contact}/campaigns/removeAll", "2021-07-28").json() == {"succeded": True}
    three = send("DELETE", f"/contacts/{contact}/campaigns/remove-all", "v3")
    assert three.json() == {"succeeded": True, "succeded": True}  # v3 still declares the old spelling, deprecated
    # Each version's path is another's campaign id: "Campaign not found", as HighLevel's router would have it.
    assert_error_shape(send("DELETE", f"/contacts/{contact}/campaigns/remove-all", "2021-07-28").json(), 404)
    assert_error_shape(send("DELETE", f"/contacts/{contact}/campaigns/removeAll", "v3").json(), 404)


def test_opportunity_search_reads_each_versions_query_names(fresh_sandbox, send):
    location = fresh_sandbox.location_id
    deals = [o for o in fresh_sandbox.control("GET", "tables/opportunities") if o["locationId"] == location]
    pipeline = deals[0]["pipelineId"]
    page = {"limit": 100}
    v2 = send("GET", "/opportunities/search", "2021-07-28", params={"location_id": location, "pipeline_id": pipeline, **page})
    v3 = send("GET", "/opportunities/search", "v3", params={"locationId": location, "pipelineId": pipeline, **page})
    found = [sorted(o["id"] for o in response.json()["opportunities"]) for response in (v2, v3)]
    in_pipeline = {o["id"] for o in deals if o["pipelineId"] == pipeline}
    assert found[0] == found[1] and found[0] and set(found[0]) <= in_pipeline < {o["id"] for o in deals}
    judge(get_operation("search_opportunities", "v3"), v3.json())
    # v3's spec has no pipeline_id: a v3 request naming it would otherwise widen the search to every pipeline.
    stale = send("GET", "/opportunities/search", "v3", params={"locationId": location, "pipeline_id": pipeline})
    assert_error_shape(stale.json(), 422, "pipeline_id should not exist: v3 names this query parameter pipelineId")
    missing = send("GET", "/opportunities/search", "v3", params={"location_id": location})
    assert_error_shape(missing.json(), 422, "location_id should not exist")


def test_a_contacts_dnd_is_stored_once_and_spelled_by_each_version(fresh_sandbox, send):
    body = {"locationId": fresh_sandbox.location_id, "firstName": "Dnd", "dndSettings": {
        "sms": {"status": "active", "message": "no texts"}, "whatsApp": {"status": "inactive"}}}
    created = send("POST", "/contacts/", "v3", json=body)
    assert created.status_code == 201, created.text
    contact = created.json()["contact"]["id"]
    v2 = send("GET", f"/contacts/{contact}", "2021-07-28").json()["contact"]["dndSettings"]
    v3 = send("GET", f"/contacts/{contact}", "v3").json()
    assert v2 == {"SMS": {"status": "active", "message": "no texts"}, "WhatsApp": {"status": "inactive"}}
    assert v3["contact"]["dndSettings"] == body["dndSettings"]
    judge(get_operation("get_contact", "v3"), v3)
    send("PUT", f"/contacts/{contact}", "2021-07-28", json={"dndSettings": {"Call": {"status": "active"}}})
    assert send("GET", f"/contacts/{contact}", "v3").json()["contact"]["dndSettings"] == {"call": {"status": "active"}}
    # The other version's spelling is an unknown property, named with the fix.
    wrong = send("PUT", f"/contacts/{contact}", "v3", json={"dndSettings": {"SMS": {"status": "active"}}})
    assert_error_shape(wrong.json(), 422, "dndSettings.SMS should not exist (this API version spells it sms)")
    wrong = send("PUT", f"/contacts/{contact}", "2021-07-28", json={"dndSettings": {"sms": {"status": "active"}}})
    assert_error_shape(wrong.json(), 422, "dndSettings.sms should not exist (this API version spells it SMS)")


def test_the_gateway_refuses_nested_keys_that_miss_a_declared_name_in_either_version(fresh_sandbox, send):
    calendar = next(c["id"] for c in fresh_sandbox.control("GET", "tables/calendars")
                    if c["locationId"] == fresh_sandbox.location_id)
    hours = {"openMinute": 0, "closeHour": 17, "closeMinute": 0}
    for version in ("2021-04-15", "v3"):  # openHours[].hours[] declares openHour in both specs
        typo = {"openHours": [{"daysOfTheWeek": [1], "hours": [{"openhour": 9, **hours}]}]}
        assert_error_shape(send("PUT", f"/calendars/{calendar}", version, json=typo).json(), 422,
                           "property openHours.0.hours.0.openhour should not exist (this API version spells it openHour)")
        typo = {"openHours": [{"daysOfTheWeek": [1], "hours": [{"openHour": 9, "closeMinut": 0, "closeHour": 17}]}]}
        assert_error_shape(send("PUT", f"/calendars/{calendar}", version, json=typo).json(), 422,
                           "property openHours.0.hours.0.closeMinut should not exist (did you mean "
                           "openHours.0.hours.0.closeMinute?)")
        # A key that misses no declared name is HighLevel's to tolerate, as it does in many nested objects.
        fine = {"openHours": [{"daysOfTheWeek": [1], "hours": [{"openHour": 9, **hours, "note": "x"}]}]}
        assert send("PUT", f"/calendars/{calendar}", version, json=fine).status_code == 200


def test_v3_answers_carry_v3s_fields(fresh_sandbox, send):
    location = fresh_sandbox.location_id
    contact = a_contact(fresh_sandbox)
    tags = {"contacts": [contact], "tags": ["vip"], "locationId": location}
    assert set(send("POST", "/contacts/bulk/tags/update/add", "2021-07-28", json=tags).json()) == {
        "succeded", "errorCount", "responses"}
    three = send("POST", "/contacts/bulk/tags/update/add", "v3", json=tags).json()
    assert three["succeeded"] is True and three["succeded"] is True  # v3 requires both spellings
    calendar = next(c for c in fresh_sandbox.control("GET", "tables/calendars") if c["name"] == "Product Demo")
    booking = {"calendarId": calendar["id"], "locationId": location, "contactId": contact,
               "startTime": (datetime.now(UTC) + timedelta(days=4)).replace(hour=3, minute=0).isoformat(),
               "ignoreFreeSlotValidation": True, "appointmentStatus": "completed"}  # a value only v3 allows
    assert_error_shape(send("POST", "/calendars/events/appointments", "2021-04-15", json=booking).json(), 422,
                       "appointmentStatus")
    booked = send("POST", "/calendars/events/appointments", "v3", json=booking).json()
    assert booked["dateAdded"] and booked["dateUpdated"]  # v3's answer requires them
    judge(get_operation("create_appointment", "v3"), booked)
    v2 = send("PUT", f"/calendars/events/appointments/{booked['id']}", "2021-04-15", json={"title": "Moved"}).json()
    assert "dateAdded" not in v2 and "dateUpdated" not in v2
    deal = next(o["id"] for o in fresh_sandbox.control("GET", "tables/opportunities") if o["locationId"] == location)
    assert send("PUT", f"/opportunities/{deal}/status", "v3", json={"status": "lost"}).json() == {
        "succeded": True, "success": True}
    assert send("DELETE", f"/opportunities/{deal}", "2021-07-28").json() == {"succeded": True}


def test_v3_only_fields_and_values_are_taken_under_v3(fresh_sandbox, send):
    location = fresh_sandbox.location_id
    deal = next(o for o in fresh_sandbox.control("GET", "tables/opportunities") if o["locationId"] == location)
    forecast = {"forecastProbability": 35, "forecastExpectedCloseDate": "2026-12-24"}
    updated = send("PUT", f"/opportunities/{deal['id']}", "v3", json=forecast).json()["opportunity"]
    assert {k: updated[k] for k in forecast} == forecast
    three = send("GET", f"/opportunities/{deal['id']}", "v3").json()
    assert {k: three["opportunity"][k] for k in forecast} == forecast
    judge(get_operation("get_opportunity", "v3"), three)
    assert not set(forecast) & set(send("GET", f"/opportunities/{deal['id']}", "2021-07-28").json()["opportunity"])
    assert_error_shape(send("PUT", f"/opportunities/{deal['id']}", "v3", json={"forecastProbability": 140}).json(),
                       422, "forecastProbability")
    blog = next(b["id"] for b in fresh_sandbox.control("GET", "tables/blogs") if b["locationId"] == location)
    query = {"locationId": location, "blogId": blog, "limit": 100, "offset": 0}
    every = send("GET", "/blogs/posts/all", "v3", params={**query, "status": "ALL"})
    assert every.status_code == 200 and len(every.json()["blogs"]) == len(send(
        "GET", "/blogs/posts/all", "v3", params=query).json()["blogs"]) > 0
    assert_error_shape(send("GET", "/blogs/posts/all", "2021-07-28", params={**query, "status": "ALL"}).json(),
                       422, "status")
    post = every.json()["blogs"][0]
    edit = {k: post[k] for k in ("title", "blogId", "imageUrl", "description", "status", "imageAltText",
                                 "categories", "author", "urlSlug", "publishedAt")}
    edit = {**edit, "locationId": location, "rawHTML": "<p>Edited</p>"}  # the listing leaves the HTML out
    assert_error_shape(send("PUT", f"/blogs/posts/{post['_id']}", "v3", json=edit).json(), 422, "wordCount")
    assert send("PUT", f"/blogs/posts/{post['_id']}", "v3", json={**edit, "wordCount": 120}).status_code == 200
    calendar = next(c["id"] for c in fresh_sandbox.control("GET", "tables/calendars") if c["locationId"] == location)
    minutes = {"allowBookingAfter": 30, "allowBookingAfterUnit": "mins"}
    assert_error_shape(send("PUT", f"/calendars/{calendar}", "2021-04-15", json=minutes).json(), 422,
                       "allowBookingAfterUnit")
    assert send("PUT", f"/calendars/{calendar}", "v3", json=minutes).json()["calendar"]["allowBookingAfterUnit"] == "mins"


@pytest.mark.parametrize("key", ["get_contact", "remove_contact_from_all_campaigns", "list_contacts", "get_calendar"])
def test_legacy_is_a_v2_version_header_for_the_124(fresh_sandbox, send, key):
    """HighLevel documents ``legacy`` (and the dated values) as Version headers of the v2 API: v2's form answers."""
    op = operations()[key]
    location = fresh_sandbox.location_id
    ids = {"contactId": a_contact(fresh_sandbox),
           "calendarId": next(c["id"] for c in fresh_sandbox.control("GET", "tables/calendars"))}
    path = op.path.format(**{p.name: ids[p.name] for p in op.path_params})
    params = {"locationId": location, "limit": 5} if key == "list_contacts" else None
    legacy = send(op.method, path, "legacy", params=params)
    dated = send(op.method, path, op.version, params=params)
    assert legacy.status_code == dated.status_code == op.success_status, legacy.text
    assert legacy.json().keys() == dated.json().keys()
    judge(op, legacy.json())


def test_the_sandbox_answers_each_spec_version_header_it_documents(fresh_sandbox, send):
    contact = a_contact(fresh_sandbox)
    for version in ("2021-07-28", "2021-04-15", "2023-02-21", "legacy", "v3"):
        assert send("GET", f"/contacts/{contact}", version).status_code == 200, version
    assert_error_shape(send("GET", f"/contacts/{contact}", "v4").json(), 400, "not supported")

