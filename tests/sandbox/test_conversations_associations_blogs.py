"""The sandbox's conversations, associations and blogs routes, over real HTTP.

Every success answer is checked against HighLevel's official response schema; ``COVERED`` collects
the operations called so the last test can prove that every operation of these areas was exercised.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from airflow_provider_ghl.catalog import operations
from tests.openapi import validate_response
from tests.sandbox.answers import assert_error_shape

AREAS = {"conversations", "associations", "blogs"}
OPS = operations()
COVERED: set[str] = set()
# The spec answers these list routes with one association; each listed record is checked against it.
RECORD_LIST_ROUTES = {"find_associations", "get_relations_by_record"}


def send(api, key: str, path: dict[str, str] | None = None, **kwargs: Any) -> httpx.Response:
    op = OPS[key]
    route = op.path
    for name, value in (path or {}).items():
        route = route.replace("{" + name + "}", value)
    return api(op.method, route, version=op.version, **kwargs)


def ok(api, key: str, path: dict[str, str] | None = None, **kwargs: Any) -> Any:
    """Call an operation, expect its success status and a body that matches the official schema."""
    op = OPS[key]
    response = send(api, key, path, **kwargs)
    assert response.status_code == op.success_status, response.text
    COVERED.add(key)
    if not response.headers["content-type"].startswith("application/json"):
        return response
    body = response.json()
    if key in RECORD_LIST_ROUTES:
        assert isinstance(body["total"], int)
        for record in body[op.records_key]:
            validate_response(op, record)
    else:
        validate_response(op, body)
    return body


def fails(response: httpx.Response, status: int, *fragments: str) -> None:
    """HighLevel's error shape, with every fragment somewhere in its message(s)."""
    assert response.status_code == status, response.text
    assert_error_shape(response.json(), status, *fragments)


@pytest.fixture(scope="module")
def client(sandbox):
    # One keep-alive client for the module: a fresh httpx client per request spends ~40 ms on TLS setup.
    with httpx.Client(base_url=sandbox.base_url, timeout=30) as http:
        yield http


@pytest.fixture
def api(sandbox, client):
    """Like the conftest ``api`` fixture (full token), on the module's client."""
    token = sandbox.connection("full")["password"]

    def request(method: str, path: str, *, version: str = "2021-07-28", **kwargs: Any) -> httpx.Response:
        return client.request(method, path, headers={"Authorization": f"Bearer {token}", "Version": version},
                              **kwargs)

    return request


@pytest.fixture
def table(client):
    """A sandbox table's records, read through the control surface."""
    return lambda name: client.get(f"/__sandbox__/tables/{name}").raise_for_status().json()


@pytest.fixture
def location(fresh_sandbox) -> str:
    return fresh_sandbox.location_id


# -- conversations ------------------------------------------------------------------------------
def test_search_conversations_pages_by_start_after_date(api, location):
    everything = ok(api, "search_conversations", params={"locationId": location, "limit": 100})
    ids = [c["id"] for c in everything["conversations"]]
    assert len(ids) == everything["total"] == len(set(ids)) > 20
    dates = [c["sort"][0] for c in everything["conversations"]]
    assert dates == sorted(dates, reverse=True)
    assert len(set(dates)) < len(dates), "the seed should hold tied lastMessageDate values"

    # startAfterDate is exclusive: the next page starts strictly after the last sort value...
    first = ok(api, "search_conversations", params={"locationId": location, "limit": 10})
    after = first["conversations"][-1]["sort"][0]
    second = ok(api, "search_conversations", params={"locationId": location, "limit": 10, "startAfterDate": after})
    assert all(c["sort"][0] < after for c in second["conversations"])
    assert first["total"] == second["total"] == everything["total"]

    # ...so a walker that re-reads the boundary instant and dedupes on id sees every record exactly once.
    seen: list[str] = []
    cursor = None
    for _ in range(50):
        params = {"locationId": location, "limit": 10, **({"startAfterDate": cursor + 1} if cursor else {})}
        page = ok(api, "search_conversations", params=params)["conversations"]
        fresh = [c for c in page if c["id"] not in seen]
        if not fresh:
            break
        seen += [c["id"] for c in fresh]
        cursor = page[-1]["sort"][0]
    assert sorted(seen) == sorted(ids)

    ascending = ok(api, "search_conversations", params={"locationId": location, "limit": 100, "sort": "asc"})
    assert [c["id"] for c in ascending["conversations"]] == [c["id"] for c in reversed(everything["conversations"])]
    fails(send(api, "search_conversations", params={"locationId": location, "limit": 101}), 422, "limit")
    fails(send(api, "search_conversations", params={"locationId": location, "status": "closed"}), 422, "status")


def test_search_conversations_filters(api, location):
    everything = ok(api, "search_conversations", params={"locationId": location, "limit": 100})["conversations"]
    sample = everything[0]
    by_contact = ok(api, "search_conversations", params={"locationId": location, "contactId": sample["contactId"]})
    assert [c["id"] for c in by_contact["conversations"]] == [sample["id"]]
    unread = ok(api, "search_conversations", params={"locationId": location, "limit": 100, "status": "unread"})
    assert unread["total"] == sum(c["unreadCount"] > 0 for c in everything) == len(unread["conversations"])
    starred = ok(api, "search_conversations", params={"locationId": location, "limit": 100, "status": "starred"})
    assert all(c["starred"] for c in starred["conversations"])
    unassigned = ok(api, "search_conversations", params={"locationId": location, "limit": 100,
                                                         "assignedTo": "unassigned"})
    assert unassigned["total"] == sum(not c.get("assignedTo") for c in everything)
    found = ok(api, "search_conversations", params={"locationId": location, "query": sample["fullName"].upper()})
    assert sample["id"] in [c["id"] for c in found["conversations"]]


def test_conversation_messages_page_by_last_message_id(api, location, table):
    conversations = table("conversations")
    counts = {c["id"]: 0 for c in conversations}
    for message in table("messages"):
        counts[message["conversationId"]] += 1
    busiest = max(counts, key=counts.get)
    assert counts[busiest] >= 3
    conversation = ok(api, "get_conversation", {"conversationId": busiest})
    assert conversation["id"] == busiest and isinstance(conversation["type"], int)

    walked: list[dict] = []
    cursor: str | None = None
    while True:
        page = ok(api, "get_messages_by_conversation", {"conversationId": busiest},
                  params={"limit": 2, **({"lastMessageId": cursor} if cursor else {})})
        walked += page["messages"]
        cursor = page["lastMessageId"]
        if not page["nextPage"]:
            break
    assert len(walked) == len({m["id"] for m in walked}) == counts[busiest]
    assert [m["dateAdded"] for m in walked] == sorted((m["dateAdded"] for m in walked), reverse=True)
    kinds = {m["messageType"] for m in walked}
    only = ok(api, "get_messages_by_conversation", {"conversationId": busiest}, params={"type": sorted(kinds)[0]})
    assert {m["messageType"] for m in only["messages"]} == {sorted(kinds)[0]}

    for other in conversations:  # every seeded shape (assigned or not, each message type) matches the schema
        ok(api, "get_conversation", {"conversationId": other["id"]})
        ok(api, "get_messages_by_conversation", {"conversationId": other["id"]}, params={"limit": 100})

    fails(send(api, "get_messages_by_conversation", {"conversationId": busiest}, params={"limit": 101}), 422, "limit")
    fails(send(api, "get_conversation", {"conversationId": "missingConversation1"}), 404, "Conversation not found")
    fails(send(api, "get_messages_by_conversation", {"conversationId": "missingConversation1"}), 404)


def _messages_by(table, predicate) -> dict:
    return next(m for m in table("messages") if predicate(m))


def test_message_email_recording_and_transcription(api, location, table):
    sms = _messages_by(table, lambda m: m["messageType"] == "TYPE_SMS")
    email = _messages_by(table, lambda m: m["messageType"] == "TYPE_EMAIL")
    answered = _messages_by(table, lambda m: m.get("meta", {}).get("callStatus") == "completed")
    missed = _messages_by(table, lambda m: m.get("meta", {}).get("callStatus") in ("busy", "no-answer"))

    assert ok(api, "get_message", {"id": sms["id"]})["body"] == sms["body"]
    email_id = email["meta"]["email"]["messageIds"][0]
    details = ok(api, "get_email", {"id": email_id})
    assert details["conversationId"] == email["conversationId"] and details["subject"]
    fails(send(api, "get_email", {"id": sms["id"]}), 404)
    fails(send(api, "get_message", {"id": "missingMessage000001"}), 404, "Message not found")

    recording = ok(api, "get_message_recording", {"messageId": answered["id"], "locationId": location})
    assert recording.headers["content-type"] == "audio/x-wav" and recording.content[:4] == b"RIFF"
    assert "audio.wav" in recording.headers["content-disposition"]
    fails(send(api, "get_message_recording", {"messageId": missed["id"], "locationId": location}), 404)
    fails(send(api, "get_message_recording", {"messageId": sms["id"], "locationId": location}), 404)

    transcription = ok(api, "get_message_transcription", {"messageId": answered["id"], "locationId": location})
    download = ok(api, "download_message_transcription", {"messageId": answered["id"], "locationId": location})
    assert download.headers["content-type"].startswith("text/plain")
    assert transcription["transcript"].startswith(download.text.splitlines()[0].split(": ", 1)[1])
    fails(send(api, "get_message_transcription", {"messageId": sms["id"], "locationId": location}), 404)
    fails(send(api, "download_message_transcription", {"messageId": missed["id"], "locationId": location}), 404)


def test_update_message_status_and_typing_indicator(api, location, table):
    email = _messages_by(table, lambda m: m["messageType"] == "TYPE_EMAIL" and m["status"] != "read")
    answer = ok(api, "update_message_status", {"messageId": email["id"]}, json={"status": "read"})
    assert answer["messageId"] == email["id"] and answer["emailMessageId"] == email["meta"]["email"]["messageIds"][0]
    assert ok(api, "get_message", {"id": email["id"]})["status"] == "read"
    assert ok(api, "get_email", {"id": answer["emailMessageId"]})["status"] == "read"
    fails(send(api, "update_message_status", {"messageId": email["id"]}, json={"status": "lost"}), 422, "status")
    fails(send(api, "update_message_status", {"messageId": email["id"]}, json={}), 422, "status should not be empty")
    fails(send(api, "update_message_status", {"messageId": "missingMessage000001"}, json={"status": "read"}), 404)

    typing = {"locationId": location, "isTyping": "true", "visitorId": "visitor-1",
              "conversationId": email["conversationId"]}
    assert ok(api, "send_agent_typing_indicator", json=typing) == {"success": True}
    fails(send(api, "send_agent_typing_indicator", json={**typing, "visitorId": ""}), 422, "visitorId")
    fails(send(api, "send_agent_typing_indicator", json={**typing, "conversationId": "missingConversation1"}), 404)


# -- associations -------------------------------------------------------------------------------
def test_association_definitions_round_trip(api, location):
    walked = []
    for skip in range(0, 50):
        page = ok(api, "find_associations", params={"locationId": location, "skip": skip, "limit": 1})
        if not page["associations"]:
            break
        walked += page["associations"]
    assert len(walked) == page["total"] == len({a["id"] for a in walked}) >= 3
    fails(send(api, "find_associations", params={"locationId": location, "limit": 10}), 422, "skip")
    fails(send(api, "find_associations", params={"locationId": location, "skip": 0, "limit": 101}), 422, "limit")

    body = {"locationId": location, "key": "car_driver", "firstObjectLabel": "Car",
            "firstObjectKey": "custom_objects.cars", "secondObjectLabel": "Driver", "secondObjectKey": "contact"}
    created = ok(api, "create_association", json=body)
    assert created["associationType"] == "USER_DEFINED"
    ident = {"associationId": created["id"]}
    assert ok(api, "get_association", ident) == created
    assert ok(api, "get_association_key", {"key_name": "car_driver"}, params={"locationId": location}) == created
    by_object = ok(api, "get_association_by_object_key", {"objectKey": "custom_objects.cars"},
                   params={"locationId": location})
    assert by_object["id"] == created["id"]
    listed = ok(api, "find_associations", params={"locationId": location, "skip": 0, "limit": 100})
    assert created["id"] in [a["id"] for a in listed["associations"]]
    fails(send(api, "create_association", json=body), 400, "already exists")
    fails(send(api, "create_association", json={**body, "key": "x", "secondObjectKey": "planet"}), 422,
          "secondObjectKey")
    fails(send(api, "create_association", json={"locationId": location}), 422, "key should not be empty",
          "firstObjectKey should not be empty")

    updated = ok(api, "update_association", ident, json={"firstObjectLabel": "Vehicle", "secondObjectLabel": "Owner"})
    assert updated["firstObjectLabel"] == "Vehicle"
    assert ok(api, "get_association", ident)["secondObjectLabel"] == "Owner"
    system = next(a for a in walked if a["associationType"] == "SYSTEM_DEFINED")
    fails(send(api, "update_association", {"associationId": system["id"]},
               json={"firstObjectLabel": "A", "secondObjectLabel": "B"}), 400)

    assert ok(api, "delete_association", ident) == {"deleted": True, "id": created["id"],
                                                   "message": "Association deleted successfully"}
    fails(send(api, "get_association", ident), 404, "Association not found")
    fails(send(api, "get_association_key", {"key_name": "car_driver"}, params={"locationId": location}), 404)
    fails(send(api, "delete_association", ident), 404)


def test_relations_round_trip(api, location, table):
    owner = table("conversations")[0]["contactId"]  # a contact the sandbox knows
    association = ok(api, "get_association_key", {"key_name": "pet_owner"}, params={"locationId": location})
    pets = ["petRecord0000000001", "petRecord0000000002", "petRecord0000000003"]
    created = [
        ok(api, "create_relation", json={"locationId": location, "associationId": association["id"],
                                         "firstRecordId": pet, "secondRecordId": owner})
        for pet in pets
    ]
    assert {r["firstRecordId"] for r in created} == set(pets) and created[0]["key"] == "pet_owner"

    walked = []
    for skip in range(0, 20, 2):
        page = ok(api, "get_relations_by_record", {"recordId": owner},
                  params={"locationId": location, "skip": skip, "limit": 2})
        walked += page["relations"]
        if len(page["relations"]) < 2:
            break
    assert len(walked) == page["total"] == len({r["id"] for r in walked})
    assert {r["id"] for r in created} <= {r["id"] for r in walked}
    only = ok(api, "get_relations_by_record", {"recordId": owner},
              params={"locationId": location, "skip": 0, "limit": 100, "associationIds": association["id"]})
    assert {r["associationId"] for r in only["relations"]} == {association["id"]}
    fails(send(api, "get_relations_by_record", {"recordId": owner}, params={"locationId": location, "skip": 0}),
          422, "limit")

    duplicate = {"locationId": location, "associationId": association["id"], "firstRecordId": pets[0],
                 "secondRecordId": owner}
    fails(send(api, "create_relation", json=duplicate), 400, "already exists")
    fails(send(api, "create_relation", json={**duplicate, "associationId": "missingAssociation1"}), 404)
    fails(send(api, "create_relation", json={**duplicate, "secondRecordId": ""}), 422, "secondRecordId")

    gone = ok(api, "delete_relation", {"relationId": created[0]["id"]}, params={"locationId": location})
    assert gone["id"] == created[0]["id"]
    after = ok(api, "get_relations_by_record", {"recordId": pets[0]},
               params={"locationId": location, "skip": 0, "limit": 10})
    assert after == {"relations": [], "total": 0}
    fails(send(api, "delete_relation", {"relationId": created[0]["id"]}, params={"locationId": location}), 404)


# -- blogs --------------------------------------------------------------------------------------
def test_blog_sites_authors_and_categories(api, location, table):
    blogs = ok(api, "get_blogs_by_location", params={"locationId": location, "skip": 0, "limit": 100})["data"]
    mine = [b for b in table("blogs") if b["locationId"] == location]
    assert sorted(b["_id"] for b in blogs) == sorted(b["id"] for b in mine)
    assert len(mine) < len(table("blogs")), "another location's blogs must not be listed"
    named = ok(api, "get_blogs_by_location", params={"locationId": location, "skip": 0, "limit": 10,
                                                     "searchTerm": "tips"})["data"]
    assert [b["name"] for b in named] == ["Tips & Guides"]
    second = ok(api, "get_blogs_by_location", params={"locationId": location, "skip": 1, "limit": 1})["data"]
    assert second == blogs[1:2]
    fails(send(api, "get_blogs_by_location", params={"locationId": location, "limit": 10}), 422, "skip")

    for key, records_key in (("get_blog_authors", "authors"), ("get_blog_categories", "categories")):
        walked = []
        for offset in range(0, 20, 4):
            page = ok(api, key, params={"locationId": location, "offset": offset, "limit": 4})[records_key]
            walked += page
            if len(page) < 4:
                break
        assert len(walked) == len({r["_id"] for r in walked}) >= 4
        assert {r["locationId"] for r in walked} == {location}
        fails(send(api, key, params={"locationId": location, "offset": 0}), 422, "limit should not be empty")
        fails(send(api, key, params={"locationId": location, "offset": 0, "limit": 101}), 422, "limit")


def _post_body(location: str, blog: str, author: str, category: str, **changes: Any) -> dict:
    return {
        "title": "Sandbox launch", "locationId": location, "blogId": blog, "imageUrl": "https://img.example/1.png",
        "description": "We launched", "rawHTML": "<h1>Launch</h1>", "status": "PUBLISHED",
        "imageAltText": "launch", "categories": [category], "tags": ["news"], "author": author,
        "urlSlug": "sandbox-launch", "publishedAt": "2026-01-05T10:00:00.000Z", **changes,
    }


def test_blog_posts_pages_and_round_trip(api, location, table):
    blog = ok(api, "get_blogs_by_location", params={"locationId": location, "skip": 0, "limit": 1})["data"][0]["_id"]
    expected = [p for p in table("blog_posts") if p["blogId"] == blog]
    walked = []
    for offset in range(0, 500, 7):
        page = ok(api, "get_blog_posts", params={"locationId": location, "blogId": blog, "offset": offset,
                                                 "limit": 7})["blogs"]
        walked += page
        if len(page) < 7:
            break
    assert sorted(p["_id"] for p in walked) == sorted(p["id"] for p in expected)
    published = [p["publishedAt"] for p in walked]
    assert published == sorted(published, reverse=True)
    drafts = ok(api, "get_blog_posts", params={"locationId": location, "blogId": blog, "offset": 0, "limit": 100,
                                               "status": "DRAFT"})["blogs"]
    assert {p["status"] for p in drafts} <= {"DRAFT"}
    assert len(drafts) == sum(p["status"] == "DRAFT" for p in expected)
    fails(send(api, "get_blog_posts", params={"locationId": location, "blogId": blog, "offset": 0, "limit": 101}),
          422, "limit")
    fails(send(api, "get_blog_posts", params={"locationId": location, "offset": 0, "limit": 5}), 422, "blogId")

    author = ok(api, "get_blog_authors", params={"locationId": location, "offset": 0, "limit": 1})["authors"][0]
    category = ok(api, "get_blog_categories",
                  params={"locationId": location, "offset": 0, "limit": 1})["categories"][0]
    body = _post_body(location, blog, author["_id"], category["_id"])
    slug_params = {"locationId": location, "urlSlug": "sandbox-launch"}
    assert ok(api, "check_blog_url_slug", params=slug_params) == {"exists": False}
    post = ok(api, "create_blog_post", json=body)["data"]
    assert post["title"] == "Sandbox launch" and post["archived"] is False
    assert ok(api, "check_blog_url_slug", params=slug_params) == {"exists": True}
    assert ok(api, "check_blog_url_slug", params={**slug_params, "postId": post["_id"]}) == {"exists": False}
    listed = ok(api, "get_blog_posts", params={"locationId": location, "blogId": blog, "offset": 0, "limit": 10,
                                               "searchTerm": "sandbox launch"})["blogs"]
    assert [p["_id"] for p in listed] == [post["_id"]]
    fails(send(api, "create_blog_post", json=body), 400, "already exists")

    changed = ok(api, "update_blog_post", {"postId": post["_id"]},
                 json={**body, "title": "Sandbox relaunch", "urlSlug": "sandbox-relaunch", "status": "ARCHIVED"})
    assert changed["updatedBlogPost"]["archived"] is True
    listed = ok(api, "get_blog_posts", params={"locationId": location, "blogId": blog, "offset": 0, "limit": 10,
                                               "searchTerm": "relaunch"})["blogs"]
    assert [(p["_id"], p["title"], p["status"]) for p in listed] == [(post["_id"], "Sandbox relaunch", "ARCHIVED")]
    assert ok(api, "check_blog_url_slug", params=slug_params) == {"exists": False}

    fails(send(api, "create_blog_post", json={"locationId": location, "title": "x"}), 422,
          "blogId should not be empty", "rawHTML should not be empty", "publishedAt should not be empty")
    fails(send(api, "create_blog_post", json={**body, "urlSlug": "fresh-slug", "status": "LIVE"}), 422, "status")
    fails(send(api, "create_blog_post", json={**body, "urlSlug": "fresh-slug", "publishedAt": "soon"}), 422,
          "publishedAt")
    fails(send(api, "create_blog_post", json={**body, "urlSlug": "fresh-slug", "blogId": "missingBlog00000001"}),
          404, "Blog not found")
    fails(send(api, "update_blog_post", {"postId": "missingPost00000001"}, json=body), 404, "Blog post not found")


def test_every_operation_of_these_areas_is_covered():
    expected = {key for key, op in OPS.items() if op.area in AREAS}
    assert expected - COVERED == set()
