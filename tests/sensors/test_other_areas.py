"""Sensors of the opportunities, users, conversations, businesses, locations, associations, blogs, workflows,
snapshots, campaigns and companies areas, against the sandbox.

Record sensors: not done before the record exists (or before its condition holds), done after, with the
record in XCom. Collection sensors: each new (or changed) record delivered exactly once across pokes,
ties on timestamps included; a data-interval run gives the same answer twice; ``first_run="skip"``.
Deferrable mode: the trigger round-trips through ``serialize()`` and its event completes the task.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from airflow.sdk import PokeReturnValue
from airflow.sdk.exceptions import TaskDeferred

from airflow_provider_ghl.catalog import get_operation
from airflow_provider_ghl.polling import parse_timestamp, record_id
from airflow_provider_ghl.sensors import (
    associations,
    blogs,
    businesses,
    campaigns,
    companies,
    conversations,
    locations,
    opportunities,
    snapshots,
    users,
    workflows,
)
from airflow_provider_ghl.triggers.ghl import GHLPollTrigger
from tests.conftest import task_context
from tests.coverage import Exercised

MODULES = {m.__name__.rsplit(".", 1)[1]: m for m in (
    associations, blogs, businesses, campaigns, companies, conversations, locations, opportunities, snapshots, users,
    workflows)}
SENSED = Exercised("T", MODULES)
covers = SENSED.covers
MISSING = "NoSuchRecord00000000"
NUMBERS = itertools.count(1)


def test_every_sensor_of_these_areas_is_exercised():
    SENSED.check()


# -- helpers --------------------------------------------------------------------------------------------
@pytest.fixture(autouse=True)
def _connections(request, ghl_connections, cursor_store, monkeypatch):
    """Airflow connections to the sandbox, cursors in memory, OAuth tokens rotating in memory.

    The agency connection gets a refresh token of its own per test (HighLevel rotates them on every use);
    minted after the test's sandbox reset, if it asks for one.
    """
    from airflow_provider_ghl.hooks import ghl

    if "fresh_sandbox" in request.fixturenames:
        request.getfixturevalue("fresh_sandbox")
    stores: dict[str, Any] = {}
    monkeypatch.setattr(ghl, "VariableTokenStore", lambda conn_id: stores.setdefault(conn_id, ghl.InMemoryTokenStore()))
    agency = ghl_connections.connection("agency")
    grant = ghl_connections.control("POST", "oauth/grants", {"user_type": "Company"})["refresh_token"]
    monkeypatch.setenv("AIRFLOW_CONN_GHL_AGENCY", json.dumps({**agency, "extra": {**agency["extra"],
                                                                                  "refresh_token": grant}}))


def poke(sensor: Any, interval: tuple | None = None) -> Any:
    """One poke: ``False`` when not done, else the XCom value."""
    result = sensor.poke(task_context(sensor.task_id, interval=interval))
    if result is False:
        return False
    assert isinstance(result, PokeReturnValue) and result.is_done
    return result.xcom_value


@pytest.fixture
def call(call_operation) -> Callable[..., Any]:
    return call_operation


def table(sandbox, name: str, **equal: Any) -> list[dict]:
    return [row for row in sandbox.control("GET", f"tables/{name}") if all(row.get(k) == v for k, v in equal.items())]


def new_contact(call, location: str) -> str:
    number = next(NUMBERS)
    body = {"locationId": location, "firstName": f"Sensed{number}", "email": f"sensed{number}@sensors.example"}
    return call("create_contact", body=body)["contact"]["id"]


def new_business(call, location: str, **fields: Any) -> dict:
    return call("create_business", body={"name": f"Sensed Ltd {next(NUMBERS)}", "locationId": location, **fields})[
        "buiseness"]


# -- record sensors -------------------------------------------------------------------------------------
@covers(opportunities.GHLGetOpportunitySensor)
def test_get_opportunity_fires_when_it_exists_and_is_won(fresh_sandbox, call):
    location = fresh_sandbox.location_id
    assert poke(opportunities.GHLGetOpportunitySensor(task_id="s", opportunity_id=MISSING)) is False
    pipeline = call("list_pipelines", query={"locationId": location})["pipelines"][0]["id"]
    created = call("create_opportunity", body={"pipelineId": pipeline, "locationId": location, "name": "Sensed deal",
                                               "status": "open", "contactId": new_contact(call, location)})
    opportunity_id = created["opportunity"]["id"]
    record = poke(opportunities.GHLGetOpportunitySensor(task_id="s", opportunity_id=opportunity_id))
    assert (record["id"], record["name"]) == (opportunity_id, "Sensed deal")  # the record, unwrapped
    won = opportunities.GHLGetOpportunitySensor(task_id="s", opportunity_id=opportunity_id,
                                                condition=lambda o: o["status"] == "won")
    assert poke(won) is False
    call("update_opportunity_status", opportunity_id=opportunity_id, body={"status": "won"})
    assert poke(won)["status"] == "won"


@covers(users.GHLGetUserSensor)
def test_get_user_fires_when_it_exists_and_its_condition_holds(fresh_sandbox, call):
    assert poke(users.GHLGetUserSensor(task_id="s", user_id=MISSING)) is False
    user = call("create_user", body={
        "companyId": fresh_sandbox.company_id, "firstName": "Kim", "lastName": "Ode", "email": "kim@sensors.example",
        "password": "S3cret!pass", "type": "account", "role": "user", "locationIds": [fresh_sandbox.location_id]})
    assert poke(users.GHLGetUserSensor(task_id="s", user_id=user["id"]))["email"] == "kim@sensors.example"
    admin = users.GHLGetUserSensor(task_id="s", user_id=user["id"], condition=lambda u: u["roles"]["role"] == "admin")
    assert poke(admin) is False
    call("update_user", user_id=user["id"], body={"type": "account", "role": "admin",
                                                  "locationIds": [fresh_sandbox.location_id]})
    assert poke(admin)["roles"]["role"] == "admin"
    call("delete_user", user_id=user["id"])
    assert poke(users.GHLGetUserSensor(task_id="s", user_id=user["id"])) is False


@covers(businesses.GHLGetBusinessSensor)
def test_get_business_fires_when_it_exists_and_its_condition_holds(fresh_sandbox, call):
    assert poke(businesses.GHLGetBusinessSensor(task_id="s", business_id=MISSING)) is False
    business = new_business(call, fresh_sandbox.location_id)
    assert poke(businesses.GHLGetBusinessSensor(task_id="s", business_id=business["id"]))["name"] == business["name"]
    in_boston = businesses.GHLGetBusinessSensor(task_id="s", business_id=business["id"],
                                                condition=lambda b: b.get("city") == "Boston")
    assert poke(in_boston) is False
    call("update_business", business_id=business["id"], body={"city": "Boston"})
    assert poke(in_boston)["city"] == "Boston"


@covers(companies.GHLGetCompanySensor)
def test_get_company_fires_when_its_condition_holds(fresh_sandbox, call):
    company = poke(companies.GHLGetCompanySensor(task_id="s", ghl_conn_id="ghl_agency"))
    assert company["id"] == fresh_sandbox.company_id
    grown = companies.GHLGetCompanySensor(task_id="s", ghl_conn_id="ghl_agency",
                                          condition=lambda c, count=company["locationCount"]: c["locationCount"] > count)
    assert poke(grown) is False
    call("create_location", body={"name": "Sensed Bakery", "companyId": fresh_sandbox.company_id})
    assert poke(grown)["locationCount"] == company["locationCount"] + 1


@covers(associations.GHLGetAssociationSensor, associations.GHLGetAssociationKeySensor,
        associations.GHLGetAssociationByObjectKeySensor)
def test_association_sensors_fire_when_it_is_defined(fresh_sandbox, call):
    by_key = associations.GHLGetAssociationKeySensor(task_id="k", association_key="car_owner")
    by_object = associations.GHLGetAssociationByObjectKeySensor(task_id="o", object_key="custom_objects.cars")
    assert poke(associations.GHLGetAssociationSensor(task_id="s", association_id=MISSING)) is False
    assert (poke(by_key), poke(by_object)) == (False, False)
    created = call("create_association", body={
        "locationId": fresh_sandbox.location_id, "key": "car_owner", "firstObjectKey": "custom_objects.cars",
        "firstObjectLabel": "Car", "secondObjectKey": "contact", "secondObjectLabel": "Owner"})
    assert poke(by_key)["id"] == created["id"] and poke(by_object)["id"] == created["id"]
    relabelled = associations.GHLGetAssociationSensor(task_id="s", association_id=created["id"],
                                                      condition=lambda a: a["secondObjectLabel"] == "Driver")
    assert poke(relabelled) is False
    call("update_association", association_id=created["id"], body={"firstObjectLabel": "Car", "secondObjectLabel": "Driver"})
    assert poke(relabelled)["secondObjectLabel"] == "Driver"


def post_body(call, location: str, slug: str, **changes: Any) -> dict:
    paging = {"locationId": location, "limit": 5}
    return {
        "locationId": location, "title": "Sensed post", "urlSlug": slug, "status": "PUBLISHED",
        "blogId": call("get_blogs_by_location", query={**paging, "skip": 0})["data"][0]["_id"],
        "author": call("get_blog_authors", query={**paging, "offset": 0})["authors"][0]["_id"],
        "categories": [call("get_blog_categories", query={**paging, "offset": 0})["categories"][0]["_id"]],
        "publishedAt": "2026-03-01T09:00:00.000Z", "rawHTML": "<p>x</p>", "description": "d",
        "imageUrl": "https://img.example/x.jpeg", "imageAltText": "x", **changes,
    }


@covers(blogs.GHLCheckBlogUrlSlugSensor)
def test_check_blog_url_slug_fires_when_the_slug_is_taken(fresh_sandbox, call):
    sensor = blogs.GHLCheckBlogUrlSlugSensor(task_id="s", query={"urlSlug": "sensed-slug"})
    assert poke(sensor) is False
    call("create_blog_post", body=post_body(call, fresh_sandbox.location_id, "sensed-slug"))
    assert poke(sensor) is True


@pytest.fixture(scope="module")
def seeded_messages(sandbox) -> list[dict]:
    return table(sandbox, "messages", locationId=sandbox.location_id)


@covers(conversations.GHLGetConversationSensor, conversations.GHLGetMessageSensor, conversations.GHLGetEmailSensor)
def test_conversation_message_and_email_sensors(fresh_sandbox, call, seeded_messages):
    sms = next(m for m in seeded_messages if m["messageType"] == "TYPE_SMS" and m["status"] != "read")
    assert poke(conversations.GHLGetConversationSensor(task_id="c", conversation_id=MISSING)) is False
    conversation = poke(conversations.GHLGetConversationSensor(task_id="c", conversation_id=sms["conversationId"]))
    assert conversation["id"] == sms["conversationId"]
    assert poke(conversations.GHLGetConversationSensor(task_id="c", conversation_id=sms["conversationId"],
                                                       condition=lambda c: c["contactId"] == MISSING)) is False

    assert poke(conversations.GHLGetMessageSensor(task_id="m", message_id=MISSING)) is False
    read = conversations.GHLGetMessageSensor(task_id="m", message_id=sms["id"], condition=lambda m: m["status"] == "read")
    assert poke(read) is False
    call("update_message_status", message_id=sms["id"], body={"status": "read"})
    message = poke(read)
    assert (message["id"], message["body"], message["status"]) == (sms["id"], sms["body"], "read")  # the whole message

    email_message = next(m for m in seeded_messages if m["messageType"] == "TYPE_EMAIL")
    email_id = email_message["meta"]["email"]["messageIds"][0]
    assert poke(conversations.GHLGetEmailSensor(task_id="e", email_message_id=MISSING)) is False
    failed = conversations.GHLGetEmailSensor(task_id="e", email_message_id=email_id,
                                             condition=lambda e: e["status"] == "failed")
    assert poke(failed) is False
    call("update_message_status", message_id=email_message["id"], body={"status": "failed"})
    assert poke(failed)["subject"]


@covers(conversations.GHLGetMessageRecordingSensor, conversations.GHLGetMessageTranscriptionSensor,
        conversations.GHLDownloadMessageTranscriptionSensor)
def test_recording_and_transcription_sensors_fire_only_for_recorded_calls(sandbox, seeded_messages):
    calls = [m for m in seeded_messages if m["messageType"] == "TYPE_CALL"]
    unanswered = next(m["id"] for m in calls if m["meta"]["callStatus"] in ("no-answer", "busy"))
    answered = next(m["id"] for m in calls if m["meta"]["callStatus"] == "completed")
    classes = (conversations.GHLGetMessageRecordingSensor, conversations.GHLGetMessageTranscriptionSensor,
               conversations.GHLDownloadMessageTranscriptionSensor)
    for cls in classes:
        assert poke(cls(task_id="r", message_id=unanswered)) is False, cls.__name__
    recording, transcription, text = (poke(cls(task_id="r", message_id=answered)) for cls in classes)
    assert recording["content_bytes"] > 1000  # the audio is summarized: XCom and trigger events carry JSON
    assert transcription["transcript"].startswith("This call may be recorded")
    assert isinstance(text, str) and "channel 1: This call may be recorded" in text
    about_refunds = conversations.GHLGetMessageTranscriptionSensor(
        task_id="r", message_id=answered, condition=lambda t: "refund" in t["transcript"])
    assert poke(about_refunds) is False


# -- collection sensors with timestamps: each record exactly once, ties included ------------------------
class Timestamped:
    """A timestamped collection sensor, where its truth lives in the sandbox, and which arguments it takes."""

    def __init__(self, cls: type, table: str, arguments: Callable[[Any, list[dict]], dict] = lambda sb, rows: {},
                 rows: Callable[[Any, list[dict]], list[dict]] = lambda sb, rows: rows, watch: str = "new",
                 conn: str = "ghl_default") -> None:
        self.cls, self.table, self.arguments, self.rows, self.watch, self.conn = cls, table, arguments, rows, watch, conn
        self.field = get_operation(cls.operation).timestamps.field_for(watch)

    def truth(self, sandbox) -> tuple[dict, list[dict]]:
        rows = self.rows(sandbox, table(sandbox, self.table, locationId=sandbox.location_id))
        rows.sort(key=lambda r: (parse_timestamp(r[self.field]), record_id(r)))
        return self.arguments(sandbox, rows), rows

    def sensor(self, arguments: dict, **kwargs: Any) -> Any:
        return self.cls(task_id=self.cls.__name__, watch=self.watch, ghl_conn_id=self.conn,
                        **{"watermark": "cursor", **arguments, **kwargs})


def busiest_conversation(sandbox, rows: list[dict]) -> list[dict]:
    """Messages of the conversation with the most messages sharing a timestamp."""
    by_conversation: dict[str, list[dict]] = {}
    for row in rows:
        by_conversation.setdefault(row["conversationId"], []).append(row)
    return max(by_conversation.values(), key=lambda ms: (len(ms) - len({m["dateAdded"] for m in ms}), len(ms)))


def first_blog(sandbox, rows: list[dict]) -> list[dict]:
    return [r for r in rows if r["blogId"] == rows[0]["blogId"]]


TIMESTAMPED = [
    Timestamped(opportunities.GHLSearchOpportunitiesSensor, "opportunities"),
    Timestamped(conversations.GHLSearchConversationsSensor, "conversations", watch="updated"),
    Timestamped(conversations.GHLGetMessagesByConversationSensor, "messages", rows=busiest_conversation,
                arguments=lambda sb, rows: {"conversation_id": rows[0]["conversationId"]}),
    Timestamped(businesses.GHLListBusinessesByLocationSensor, "businesses"),
    Timestamped(workflows.GHLListWorkflowsSensor, "workflows"),
    Timestamped(blogs.GHLGetBlogPostsSensor, "blog_posts", rows=first_blog,
                arguments=lambda sb, rows: {"query": {"blogId": rows[0]["blogId"]}}),
]
covers(*(case.cls for case in TIMESTAMPED))


def first_tie_split(rows: list[dict], field: str) -> int:
    """A batch size that ends a delivery inside a group of records sharing one timestamp."""
    for index in range(len(rows) - 1):
        if rows[index][field] == rows[index + 1][field]:
            return index + 1
    raise AssertionError("the seed should have ties on " + field)


@pytest.mark.parametrize("case", TIMESTAMPED, ids=[case.cls.__name__ for case in TIMESTAMPED])
def test_cursor_delivers_every_record_once_across_pokes_with_ties(sandbox, cursor_store, case):
    arguments, rows = case.truth(sandbox)
    first_batch = first_tie_split(rows, case.field)
    delivered = poke(case.sensor(arguments, max_records=first_batch))
    assert [record_id(r) for r in delivered] == [r["id"] for r in rows[:first_batch]]  # oldest first
    (cursor,) = cursor_store.values()
    assert len(cursor["ids"]) < sum(r[case.field] == rows[first_batch - 1][case.field] for r in rows), \
        "the first delivery should stop inside a tie"
    for _ in range(len(rows)):
        batch = poke(case.sensor(arguments, max_records=max(3, len(rows) // 4)))
        if batch is False:
            break
        delivered += batch
    ids = [record_id(r) for r in delivered]
    assert len(ids) == len(set(ids)), "a record was delivered twice"
    assert sorted(ids) == sorted(r["id"] for r in rows)
    assert poke(case.sensor(arguments)) is False


@pytest.mark.parametrize("case", TIMESTAMPED, ids=[case.cls.__name__ for case in TIMESTAMPED])
def test_data_interval_gives_the_same_answer_twice(sandbox, cursor_store, case):
    arguments, rows = case.truth(sandbox)
    middle = parse_timestamp(rows[len(rows) // 2][case.field])
    interval = (middle - timedelta(days=10), min(middle + timedelta(days=10), datetime.now(UTC)))
    expected = [r["id"] for r in rows if interval[0] <= parse_timestamp(r[case.field]) < interval[1]]
    runs = [poke(case.sensor(arguments, watermark="auto"), interval=interval) for _ in range(2)]
    assert [record_id(r) for r in runs[0]] == [record_id(r) for r in runs[1]] == expected
    assert cursor_store == {}, "an interval run keeps no cursor"
    empty = (interval[0] - timedelta(days=400), interval[0] - timedelta(days=399))
    assert poke(case.sensor(arguments, watermark="auto"), interval=empty) is False
    still_open = (datetime.now(UTC) - timedelta(days=365), datetime.now(UTC) + timedelta(hours=1))
    assert poke(case.sensor(arguments, watermark="auto"), interval=still_open) is False, "waits for the interval to end"


@pytest.mark.parametrize("watch", ["new", "updated"])
def test_new_and_changed_businesses_after_a_skipped_first_run(fresh_sandbox, call, watch):
    sensor = businesses.GHLListBusinessesByLocationSensor(task_id="s", watermark="cursor", first_run="skip",
                                                          watch=watch)
    assert poke(sensor) is False  # remembers what exists
    first, second = (new_business(call, fresh_sandbox.location_id) for _ in range(2))
    assert [b["id"] for b in poke(sensor)] == sorted([first["id"], second["id"]], key=lambda i: (
        first["createdAt"] if i == first["id"] else second["createdAt"], i))
    assert poke(sensor) is False
    call("update_business", business_id=first["id"], body={"city": "Boston"})
    changed = poke(sensor)
    assert (changed is False) if watch == "new" else [b["id"] for b in changed] == [first["id"]]


def test_new_opportunity_is_delivered_once_after_a_skipped_first_run(fresh_sandbox, call):
    location = fresh_sandbox.location_id
    sensor = opportunities.GHLSearchOpportunitiesSensor(task_id="s", watermark="cursor", first_run="skip")
    assert poke(sensor) is False
    pipeline = call("list_pipelines", query={"locationId": location})["pipelines"][0]["id"]
    created = call("create_opportunity", body={"pipelineId": pipeline, "locationId": location, "name": "Fresh",
                                               "status": "open", "contactId": new_contact(call, location)})
    assert [o["id"] for o in poke(sensor)] == [created["opportunity"]["id"]]
    assert poke(sensor) is False


def test_new_blog_post_is_delivered_once(fresh_sandbox, call):
    body = post_body(call, fresh_sandbox.location_id, "fresh-post", publishedAt="2030-01-01T00:00:00.000Z")
    sensor = blogs.GHLGetBlogPostsSensor(task_id="s", watermark="cursor", first_run="skip",
                                         query={"blogId": body["blogId"]})
    assert poke(sensor) is False
    post = call("create_blog_post", body=body)["data"]
    assert [p["_id"] for p in poke(sensor)] == [post["_id"]]
    assert poke(sensor) is False


# -- collection sensors without timestamps: a cursor of delivered ids and fingerprints ------------------
class Untimed:
    def __init__(self, cls: type, table: str, where: Callable[[Any], dict], conn: str = "ghl_default",
                 arguments: dict | None = None) -> None:
        self.cls, self.table, self.where, self.conn, self.arguments = cls, table, where, conn, arguments or {}

    def sensor(self, **kwargs: Any) -> Any:
        return self.cls(**{"task_id": self.cls.__name__, "ghl_conn_id": self.conn, **self.arguments, **kwargs})


def in_location(sandbox) -> dict:
    return {"locationId": sandbox.location_id}


UNTIMED = [
    Untimed(opportunities.GHLListPipelinesSensor, "pipelines", in_location),
    Untimed(campaigns.GHLListCampaignsSensor, "campaigns", in_location),
    Untimed(snapshots.GHLListSnapshotsSensor, "snapshots", lambda sb: {}, conn="ghl_agency"),
    Untimed(locations.GHLListLocationsSensor, "locations", lambda sb: {"companyId": sb.company_id}, conn="ghl_agency"),
    Untimed(locations.GHLListCustomFieldsSensor, "custom_fields", lambda sb: {"locationId": sb.location_id,
                                                                               "model": "opportunity"},
            arguments={"query": {"model": "opportunity"}}),
    Untimed(associations.GHLFindAssociationsSensor, "associations", in_location),
    Untimed(blogs.GHLGetBlogAuthorsSensor, "blog_authors", in_location),
    Untimed(blogs.GHLGetBlogCategoriesSensor, "blog_categories", in_location),
    Untimed(blogs.GHLGetBlogsByLocationSensor, "blogs", in_location),
]


@pytest.mark.parametrize("case", UNTIMED, ids=[case.cls.__name__ for case in UNTIMED])
def test_untimed_collection_delivers_once_then_only_what_is_new_or_changed(sandbox, cursor_store, case):
    """HighLevel's API cannot add or change these records: arrival and change are played on the stored cursor."""
    rows = table(sandbox, case.table, **case.where(sandbox))
    truth = sorted(r["id"] for r in rows)
    new = case.sensor(watch="new", cursor_key="new")
    assert sorted(record_id(r) for r in poke(new)) == truth
    assert poke(new) is False
    del cursor_store["new"]["seen"][truth[0]]  # as if the first record had appeared after the last delivery
    assert [record_id(r) for r in poke(new)] == [truth[0]]
    assert poke(new) is False

    changes = case.sensor(watch="updated", cursor_key="changes")
    assert sorted(record_id(r) for r in poke(changes)) == truth
    assert poke(changes) is False
    cursor = cursor_store["changes"]
    if "seen" in cursor:  # no timestamps at all: a fingerprint per record
        cursor["seen"][truth[-1]] = "an older fingerprint"  # as if the last record had changed since
        expected = [truth[-1]]
    else:  # authors and categories carry updatedAt: the cursor is a time, rewound before the latest change
        latest = max(parse_timestamp(r["updatedAt"]) for r in rows)
        cursor.update(after=(latest - timedelta(milliseconds=1)).isoformat(), ids=[])
        expected = sorted(r["id"] for r in rows if parse_timestamp(r["updatedAt"]) == latest)
    assert sorted(record_id(r) for r in poke(changes)) == expected
    assert poke(changes) is False

    skip = case.sensor(first_run="skip", cursor_key="skip")
    assert poke(skip) is False and poke(skip) is False


covers(*(case.cls for case in UNTIMED))


@covers(users.GHLSearchUsersSensor, users.GHLFilterUsersByEmailSensor, users.GHLListUsersByLocationSensor)
def test_user_collections_deliver_new_and_changed_users(fresh_sandbox, call):
    location = fresh_sandbox.location_id
    sensors = {
        "search": users.GHLSearchUsersSensor(task_id="search", first_run="skip", watch="updated"),
        "by_email": users.GHLFilterUsersByEmailSensor(task_id="by_email", ghl_conn_id="ghl_agency", watch="updated",
                                                      body={"emails": "new.rep@sensors.example,nobody@x.example"}),
        "location": users.GHLListUsersByLocationSensor(task_id="location", first_run="skip", watch="updated"),
    }
    assert {name: poke(sensor) for name, sensor in sensors.items()} == dict.fromkeys(sensors, False)
    user = call("create_user", body={
        "companyId": fresh_sandbox.company_id, "firstName": "New", "lastName": "Rep", "email": "new.rep@sensors.example",
        "password": "S3cret!pass", "type": "account", "role": "user", "locationIds": [location]})
    for name, sensor in sensors.items():
        assert [u["id"] for u in poke(sensor)] == [user["id"]], name
        assert poke(sensor) is False, name
    call("update_user", user_id=user["id"], body={"lastName": "Representative"})
    for name, sensor in sensors.items():
        assert [u["lastName"] for u in poke(sensor)] == ["Representative"], name


@covers(associations.GHLGetRelationsByRecordSensor)
def test_relations_of_a_record_are_delivered_when_linked(fresh_sandbox, call):
    location = fresh_sandbox.location_id
    contact = new_contact(call, location)
    sensor = associations.GHLGetRelationsByRecordSensor(task_id="s", record_id=contact)
    assert poke(sensor) is False  # nothing linked yet, even on a first run that delivers what exists
    association = next(a for a in call("find_associations", query={"locationId": location, "skip": 0, "limit": 10})[
        "associations"] if a["key"] == "pet_owner")
    relation = call("create_relation", body={"locationId": location, "associationId": association["id"],
                                             "firstRecordId": "pet-0001", "secondRecordId": contact})
    assert [r["id"] for r in poke(sensor)] == [relation["id"]]
    assert poke(sensor) is False


def test_new_location_is_delivered_once(fresh_sandbox, call):
    sensor = locations.GHLListLocationsSensor(task_id="s", ghl_conn_id="ghl_agency", first_run="skip")
    assert poke(sensor) is False
    created = call("create_location", body={"name": "Sensed Gym", "companyId": fresh_sandbox.company_id})
    assert [loc["id"] for loc in poke(sensor)] == [created["id"]]
    assert poke(sensor) is False


# -- deferrable mode ------------------------------------------------------------------------------------
def deferred(sensor: Any) -> GHLPollTrigger:
    with pytest.raises(TaskDeferred) as deferral:
        sensor.execute(task_context(sensor.task_id))
    trigger = deferral.value.trigger
    classpath, kwargs = trigger.serialize()
    assert type(trigger)(**kwargs).serialize() == (classpath, kwargs)
    assert deferral.value.method_name == "execute_complete"
    return trigger


async def in_background(trigger: GHLPollTrigger) -> asyncio.Task:
    """The trigger's first event, awaited in a task; asserts nothing comes while the sandbox is unchanged."""
    waiting = asyncio.create_task(anext(trigger.run()))
    await asyncio.sleep(0.4)
    assert not waiting.done(), "the trigger fired before the change"
    return waiting


def is_named_sensed(record: dict) -> bool:
    """An importable condition: the trigger evaluates it itself."""
    return record.get("name", "").startswith("Sensed")


async def test_deferred_record_sensor_fires_after_the_record_changes(fresh_sandbox, call):
    business = new_business(call, fresh_sandbox.location_id, name="Plain Ltd")
    sensor = businesses.GHLGetBusinessSensor(task_id="s", business_id=business["id"], deferrable=True,
                                             poke_interval=0.05, condition=is_named_sensed)
    trigger = deferred(sensor)
    assert trigger.spec["condition"].endswith("is_named_sensed")
    waiting = await in_background(trigger)
    await asyncio.to_thread(call, "update_business", business_id=business["id"], body={"name": "Sensed Plain Ltd"})
    event = await asyncio.wait_for(waiting, 10)
    assert event.payload["status"] == "done"
    result = sensor.execute_complete(task_context("s"), event.payload)
    assert (result["id"], result["name"]) == (business["id"], "Sensed Plain Ltd")


async def test_deferred_record_sensor_checks_a_lambda_condition_on_the_worker(sandbox, call):
    business = call("list_businesses_by_location", query={"locationId": sandbox.location_id, "limit": 1})[
        "businesses"][0]
    sensor = businesses.GHLGetBusinessSensor(task_id="s", business_id=business["id"], deferrable=True,
                                             poke_interval=0.05, condition=lambda b: b["name"] == "never")
    trigger = deferred(sensor)
    assert trigger.spec["condition"] is None  # a lambda cannot travel to the triggerer
    event = await asyncio.wait_for(anext(trigger.run()), 10)  # the record exists: the trigger is done
    with pytest.raises(TaskDeferred):  # ... and the worker, finding the condition false, defers again
        sensor.execute_complete(task_context("s"), event.payload)


async def test_deferred_collection_sensor_delivers_what_arrives(fresh_sandbox, call, cursor_store):
    sensor = businesses.GHLListBusinessesByLocationSensor(task_id="s", deferrable=True, poke_interval=0.05,
                                                          watermark="cursor", first_run="skip")
    waiting = await in_background(deferred(sensor))
    created = await asyncio.to_thread(new_business, call, fresh_sandbox.location_id)
    event = await asyncio.wait_for(waiting, 10)
    records = sensor.execute_complete(task_context("s"), event.payload)
    assert [b["id"] for b in records] == [created["id"]]
    assert poke(businesses.GHLListBusinessesByLocationSensor(task_id="s", watermark="cursor")) is False, \
        "the completed run's cursor is kept: nothing is delivered twice"
