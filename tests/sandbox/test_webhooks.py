"""The sandbox sends HighLevel's webhooks: signed, asynchronous, retried, with reproducible delivery faults.

A sandbox of its own (webhook key from the seed) and a recording receiver on loopback; every write goes
through the real HTTP API.
"""

from __future__ import annotations

import base64
import itertools
import json
import re
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from airflow_provider_ghl.catalog import get_operation, operations
from airflow_provider_ghl.sandbox import Sandbox
from airflow_provider_ghl.sandbox.events import EMITS, ENVELOPE, EVENT_TYPES, SHAPES

EVENT_DOCS = Path(__file__).resolve().parents[2] / "reference" / "docs" / "webhook-events"
FAST_RETRY = {"on": "429", "retries": 6, "interval_s": 0.05, "backoff": 1.0, "jitter": 0.0, "timeout_s": 5.0}
NO_CHAOS = {"duplicate_rate": 0.0, "reorder_rate": 0.0, "delay_rate": 0.0, "forge_rate": 0.0, "seed": 0}


# -- a recording receiver ----------------------------------------------------------------------------
class Receiver:
    """An HTTP server on loopback that records every POST and answers from a script (then 200)."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.script: list[int | float] = []
        """Answers to give, in order: a status, or a float = seconds to sleep before answering 200."""
        self.lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("content-length", 0)))
                with owner.lock:
                    owner.received.append({"path": self.path, "headers": dict(self.headers.items()), "raw": raw,
                                           "at": time.monotonic()})
                    answer = owner.script.pop(0) if owner.script else 200
                if isinstance(answer, float):
                    time.sleep(answer)
                    answer = 200
                self.send_response(answer)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"

    def payloads(self) -> list[dict]:
        return [json.loads(r["raw"]) for r in self.received]

    def clear(self) -> None:
        with self.lock:
            self.received.clear()
            self.script.clear()


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.server.shutdown()


@pytest.fixture(scope="module")
def hooked() -> Iterator[Sandbox]:
    with Sandbox(seed=7, contacts=30, rate_limits=False, extra_args=["--webhook-key", "seed"]) as server:
        yield server


@pytest.fixture
def webhooks(hooked: Sandbox, receiver: Receiver) -> Iterator[Sandbox]:
    """The module's sandbox with the receiver subscribed to every event, fast retries and no faults."""
    hooked.control("DELETE", "webhooks")
    hooked.control("PATCH", "webhooks", {"retry": FAST_RETRY, "chaos": NO_CHAOS})
    hooked.deliveries(wait=10)
    hooked.control("DELETE", "webhooks/deliveries")
    receiver.clear()
    hooked.subscription = hooked.subscribe(receiver.url)
    yield hooked
    hooked.control("DELETE", "webhooks")
    hooked.deliveries(wait=10)


def call(sandbox: Sandbox, key: str, expect: int | None = None, json_body: Any = None, params: dict | None = None,
         **path: str) -> Any:
    op = get_operation(key)
    url = sandbox.base_url + op.path
    for name, value in path.items():  # by HighLevel's placeholder names
        url = url.replace("{" + name + "}", value)
    response = httpx.request(op.method, url, params=params, json=json_body,
                             headers={"Authorization": f"Bearer {sandbox.connection('full')['password']}",
                                      "Version": op.version}, timeout=30)
    assert response.status_code == (expect or op.success_status) or (expect is None and response.status_code < 300), \
        f"{key}: {response.status_code} {response.text}"
    return response.json() if response.content else None


def table(sandbox: Sandbox, name: str) -> list[dict]:
    return sandbox.control("GET", f"tables/{name}")


def settle(sandbox: Sandbox) -> dict:
    answer = sandbox.deliveries(wait=20)
    assert answer["quiet"], answer["counts"]
    return answer


def verifies(public_key: str, raw: bytes, signature: str) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key)).verify(base64.b64decode(signature), raw)
    except InvalidSignature:
        return False
    return True


# -- the official schemas --------------------------------------------------------------------------------
def official_schema(event_type: str) -> dict:
    """The ``json json_schema`` block of the event's doc (UserCreate has none: its example's fields and types)."""
    text = (EVENT_DOCS / f"{event_type}.md").read_text()
    block = re.search(r"```json json_schema\n(.*?)```", text, re.S)
    if block is None:
        example = json.loads(re.search(r"#### Example[^\n]*\n+```json\n(.*?)```", text, re.S).group(1))
        kinds = {str: "string", bool: "boolean", int: "number", float: "number", list: "array", dict: "object"}
        return {"type": "object", "properties": {k: {"type": kinds[type(v)]} for k, v in example.items()}}
    # RelationDelete's block has a trailing comma; some types are not JSON Schema's (Date, Email/SMS).
    return json.loads(re.sub(r",(\s*[}\]])", r"\1", block.group(1)))


def strict(schema: dict) -> dict:
    """No field beyond the schema's, at any depth (the docs' schemas allow anything extra)."""
    if isinstance(schema, dict):
        schema = {k: strict(v) for k, v in schema.items()}
        if "properties" in schema:
            schema["additionalProperties"] = False
    return schema


def check_payload(payload: dict) -> None:
    schema = official_schema(payload["type"])
    envelope = {name: {"type": "string"} for name in ENVELOPE}
    full = strict({**schema, "properties": {**envelope, **schema["properties"]}})
    full["required"] = list(ENVELOPE)
    jsonschema.validate(payload, full)
    assert datetime.fromisoformat(payload["timestamp"].replace("Z", "+00:00")).utcoffset() == timedelta(0)
    assert payload["timestamp"].endswith("Z")


# -- the table -----------------------------------------------------------------------------------------------
def test_every_write_of_the_catalog_is_mapped_to_official_event_types():
    actions = {key for key, op in operations().items() if op.kind == "A"}
    assert actions and set(EMITS) == actions
    for key, spec in EMITS.items():
        if spec is not None:
            assert spec.rules and {t for t, _ in spec.rules} <= EVENT_TYPES, key
            assert any(scope.endswith(".write") for scope in operations()[key].scopes), key
    for event_type, shape in SHAPES.items():
        schema = official_schema(event_type)["properties"]
        fields = schema[shape.nest]["properties"] if shape.nest else schema
        assert set(shape.fields) == set(fields) - set(ENVELOPE) - ({shape.nest} if shape.nest else set()), event_type
    assert len(list(EVENT_DOCS.glob("*.md"))) == 58


# -- one write, one signed delivery ------------------------------------------------------------------------------
def test_a_created_contact_is_delivered_signed_after_the_answer(webhooks, receiver):
    receiver.script = [2.0]  # the receiver takes 2 s to answer
    started = time.monotonic()
    contact = call(webhooks, "create_contact", json_body={"locationId": webhooks.location_id, "firstName": "Ada",
                                                          "lastName": "Hook", "email": "ada.hook@example.com",
                                                          "tags": ["webhook"]})["contact"]
    answered = time.monotonic() - started
    assert answered < 1.0  # the API does not wait for the webhook
    settle(webhooks)
    [delivery] = receiver.received
    payload = json.loads(delivery["raw"])
    assert payload["type"] == "ContactCreate" and payload["id"] == contact["id"]
    assert payload["locationId"] == webhooks.location_id and payload["tags"] == ["webhook"]
    assert payload["firstName"] == "Ada" and payload["email"] == "ada.hook@example.com"
    check_payload(payload)
    signature = delivery["headers"]["x-ghl-signature"]
    assert verifies(webhooks.webhook_public_key, delivery["raw"], signature)
    assert not verifies(webhooks.webhook_public_key, delivery["raw"] + b" ", signature)
    assert delivery["headers"]["content-type"] == "application/json"
    assert len(base64.b64decode(webhooks.webhook_public_key)) == 32


def test_the_key_comes_from_the_seed_or_is_new_at_each_start(hooked):
    again = Sandbox(seed=7, contacts=0, extra_args=["--webhook-key", "seed"]).start()
    other_seed = Sandbox(seed=8, contacts=0, extra_args=["--webhook-key", "seed"]).start()
    fresh = [Sandbox(seed=7, contacts=0).start() for _ in range(2)]
    try:
        assert again.webhook_public_key == hooked.webhook_public_key
        assert other_seed.webhook_public_key != hooked.webhook_public_key
        assert len({s.webhook_public_key for s in fresh} | {hooked.webhook_public_key}) == 3
        assert again.control("GET", "info")["webhook_public_key"] == again.webhook_public_key
    finally:
        for server in (again, other_seed, *fresh):
            server.stop()


def test_the_command_line_subscribes_and_refuses_bad_options(receiver):
    receiver.clear()
    with Sandbox(seed=3, contacts=5, extra_args=["--webhook-url", receiver.url, "--webhook-url", receiver.url + "/2",
                                                 "--webhook-events", "ContactCreate,NoteCreate"]) as server:
        subscriptions = server.control("GET", "webhooks")["subscriptions"]
        assert [s["url"] for s in subscriptions] == [receiver.url, receiver.url + "/2"]
        call(server, "create_contact", json_body={"locationId": server.location_id, "firstName": "Cli"})
        contact_id = table(server, "contacts")[0]["id"]
        call(server, "update_contact", json_body={"firstName": "Not sent"}, contactId=contact_id)
        settle(server)
        assert sorted(r["path"] for r in receiver.received) == ["/hooks", "/hooks/2"]
        assert {p["type"] for p in receiver.payloads()} == {"ContactCreate"}
    for bad in (["--webhook-url", "ftp://x"], ["--webhook-events", "ContactCreated"], ["--webhook-forge-rate", "2"]):
        with pytest.raises(RuntimeError, match="did not start"):
            Sandbox(contacts=0, extra_args=bad).start()


# -- every event type, validated against HighLevel's schemas ---------------------------------------------------
def every_event_type(sb: Sandbox) -> None:
    """Writes through the API that send each event type the sandbox knows at least once."""
    location = sb.location_id
    contact = call(sb, "create_contact", json_body={"locationId": location, "firstName": "Every", "lastName": "Event",
                                                    "email": "every.event@example.com"})["contact"]
    cid = contact["id"]
    call(sb, "update_contact", json_body={"city": "Austin", "tags": ["a"], "dnd": True}, contactId=cid)
    call(sb, "add_tags_to_contact", json_body={"tags": ["b"]}, contactId=cid)
    task = call(sb, "create_contact_task", json_body={"title": "Call", "dueDate": "2026-12-01T10:00:00Z"},
                contactId=cid)["task"]
    call(sb, "complete_contact_task", json_body={"completed": True}, contactId=cid, taskId=task["id"])
    call(sb, "delete_contact_task", contactId=cid, taskId=task["id"])
    note = call(sb, "create_contact_note", json_body={"body": "Hello"}, contactId=cid)["note"]
    call(sb, "update_contact_note", json_body={"body": "Hello again"}, contactId=cid, id=note["id"])
    call(sb, "delete_contact_note", contactId=cid, id=note["id"])
    campaign = table(sb, "campaigns")[0]["id"]
    call(sb, "add_contact_to_campaign", json_body={}, contactId=cid, campaignId=campaign)
    call(sb, "remove_contact_from_campaign", json_body={}, contactId=cid, campaignId=campaign)

    pipeline = call(sb, "list_pipelines", params={"locationId": location})["pipelines"][0]
    user = next(u for u in table(sb, "users") if location in u["roles"]["locationIds"])
    opportunity = call(sb, "create_opportunity", json_body={
        "pipelineId": pipeline["id"], "locationId": location, "name": "Deal", "status": "open", "contactId": cid,
        "monetaryValue": 100})["opportunity"]
    call(sb, "update_opportunity", json_body={"pipelineStageId": pipeline["stages"][1]["id"], "monetaryValue": 250,
                                              "assignedTo": user["id"], "name": "Bigger deal"}, id=opportunity["id"])
    call(sb, "update_opportunity_status", json_body={"status": "won"}, id=opportunity["id"])
    call(sb, "delete_opportunity", id=opportunity["id"])

    calendar = call(sb, "list_calendars", params={"locationId": location})["calendars"][0]
    start = (datetime.now(UTC) + timedelta(days=3)).replace(hour=2, minute=0, second=0, microsecond=0)
    appointment = call(sb, "create_appointment", json_body={
        "calendarId": calendar["id"], "locationId": location, "contactId": cid, "startTime": start.isoformat(),
        "title": "Demo", "ignoreFreeSlotValidation": True})
    call(sb, "update_appointment", json_body={"title": "Demo (moved)"}, eventId=appointment["id"])
    call(sb, "delete_calendar_event", json_body={}, eventId=appointment["id"])

    association = call(sb, "create_association", json_body={
        "locationId": location, "key": "car_driver_hooks", "firstObjectLabel": "Car",
        "firstObjectKey": "custom_objects.cars", "secondObjectLabel": "Driver", "secondObjectKey": "contact"})
    call(sb, "update_association", json_body={"firstObjectLabel": "Vehicle", "secondObjectLabel": "Owner"},
         associationId=association["id"])
    relation = call(sb, "create_relation", json_body={"locationId": location, "associationId": association["id"],
                                                      "firstRecordId": "carRecord00000000001", "secondRecordId": cid})
    call(sb, "delete_relation", relationId=relation["id"], params={"locationId": location})
    call(sb, "delete_association", associationId=association["id"])
    call(sb, "create_location", json_body={"name": "Hook Bakery", "companyId": sb.company_id})
    call(sb, "create_user", json_body={"companyId": sb.company_id, "firstName": "Quinn", "lastName": "Hook",
                                       "email": "quinn.hook@example.com", "password": "s3cret!pass", "type": "account",
                                       "role": "user", "locationIds": [location]})
    call(sb, "delete_contact", contactId=cid)


def test_every_event_type_matches_its_official_schema(webhooks, receiver):
    every_event_type(webhooks)
    counts = settle(webhooks)["counts"]
    payloads = receiver.payloads()
    assert {p["type"] for p in payloads} == EVENT_TYPES
    for delivery, payload in zip(receiver.received, payloads, strict=True):
        check_payload(payload)
        assert payload["locationId"]
        assert verifies(webhooks.webhook_public_key, delivery["raw"], delivery["headers"]["x-ghl-signature"])
    assert len({p["webhookId"] for p in payloads}) == len(payloads) == counts["sent"]
    order = [p["type"] for p in payloads]
    # HighLevel's order: the record's own event first, then what changed; diffs only on real changes.
    assert order[:4] == ["ContactCreate", "ContactUpdate", "ContactTagUpdate", "ContactDndUpdate"]
    update = order.index("OpportunityUpdate")
    assert order[update: update + 5] == ["OpportunityUpdate", "OpportunityStageUpdate",
                                         "OpportunityMonetaryValueUpdate", "OpportunityAssignedToUpdate",
                                         "OpportunityStatusUpdate"]
    campaign = [p["status"] for p in payloads if p["type"] == "CampaignStatusUpdate"]
    assert campaign == ["active", "removed"]
    deleted = next(p for p in payloads if p["type"] == "ContactDelete")
    assert deleted["firstName"] == "Every" and deleted["tags"] == ["a", "b"]


def test_filters_failed_writes_and_reads_send_nothing(webhooks, receiver):
    webhooks.control("DELETE", "webhooks")
    webhooks.subscribe(receiver.url, ["ContactTagUpdate"])
    contact_id = table(webhooks, "contacts")[0]["id"]
    call(webhooks, "get_contact", contactId=contact_id)
    call(webhooks, "create_contact", 422, json_body={"locationId": webhooks.location_id, "email": 5})
    call(webhooks, "update_contact", json_body={"city": "Nowhere"}, contactId=contact_id)  # not subscribed
    call(webhooks, "add_tags_to_contact", json_body={"tags": ["first"]}, contactId=contact_id)
    call(webhooks, "add_tags_to_contact", json_body={"tags": ["first"]}, contactId=contact_id)  # no change
    assert settle(webhooks)["counts"]["sent"] == 1
    [payload] = receiver.payloads()
    assert payload["type"] == "ContactTagUpdate" and "first" in payload["tags"]
    webhooks.control("DELETE", "webhooks")
    call(webhooks, "add_tags_to_contact", json_body={"tags": ["second"]}, contactId=contact_id)
    assert settle(webhooks)["counts"]["sent"] == 1


def test_the_control_surface_checks_what_it_is_given(webhooks):
    for body, words in (({"url": "nope"}, "url"), ({"url": "http://x", "events": ["Nope"]}, "unknown event types"),
                        ({"url": "http://x", "events": "ContactCreate"}, "events")):
        response = httpx.post(f"{webhooks.base_url}/__sandbox__/webhooks", json=body)
        assert response.status_code == 422 and words in json.dumps(response.json())
    for body in ({"retry": {"on": "500"}}, {"chaos": {"forge_rate": 2}}, {"retry": {"retries": 1.5}}, {"speed": 1}):
        response = httpx.patch(f"{webhooks.base_url}/__sandbox__/webhooks", json=body)
        assert response.status_code == 422, body
    assert webhooks.control("GET", "webhooks")["retry"] == FAST_RETRY
    assert httpx.delete(f"{webhooks.base_url}/__sandbox__/webhooks/missing").status_code == 404
    one = webhooks.subscribe("http://127.0.0.1:9/x")
    assert len(webhooks.control("DELETE", f"webhooks/{one['id']}")["subscriptions"]) == 1


# -- retries -----------------------------------------------------------------------------------------------------
def test_429_is_retried_with_the_schedule_other_failures_are_final(webhooks, receiver):
    contact_id = table(webhooks, "contacts")[1]["id"]
    receiver.script = [429, 429]
    call(webhooks, "add_tags_to_contact", json_body={"tags": ["retry-me"]}, contactId=contact_id)
    [delivery] = settle(webhooks)["deliveries"]
    assert (delivery["outcome"], delivery["statuses"]) == ("sent", [429, 429, 200])
    times = [r["at"] for r in receiver.received]
    assert len(times) == 3 and all(later - earlier >= 0.04 for earlier, later in itertools.pairwise(times))
    assert len({r["raw"] for r in receiver.received}) == 1  # a retry is the same delivery, byte for byte

    webhooks.control("DELETE", "webhooks/deliveries")
    receiver.clear()
    receiver.script = [500]
    call(webhooks, "add_tags_to_contact", json_body={"tags": ["final"]}, contactId=contact_id)
    [delivery] = settle(webhooks)["deliveries"]
    assert (delivery["outcome"], delivery["statuses"]) == ("failed", [500])

    webhooks.control("PATCH", "webhooks", {"retry": {"on": "any", "retries": 2, "timeout_s": 0.3}})
    webhooks.control("DELETE", "webhooks/deliveries")
    receiver.clear()
    receiver.script = [503, 1.0, 503]  # a 503, a timeout, a 503: retries spent
    call(webhooks, "add_tags_to_contact", json_body={"tags": ["gives-up"]}, contactId=contact_id)
    answer = settle(webhooks)
    assert answer["deliveries"][0]["statuses"] == [503, "timeout", 503]
    assert (answer["counts"]["failed"], answer["counts"]["retries"], answer["counts"]["attempts"]) == (1, 2, 3)


def test_an_unreachable_receiver_does_not_slow_the_api(webhooks):
    webhooks.control("DELETE", "webhooks")
    webhooks.subscribe("http://127.0.0.1:9/closed")
    contact_id = table(webhooks, "contacts")[2]["id"]
    started = time.monotonic()
    for n in range(20):
        call(webhooks, "add_tags_to_contact", json_body={"tags": [f"t{n}"]}, contactId=contact_id)
    assert time.monotonic() - started < 2.0
    counts = settle(webhooks)["counts"]
    assert (counts["failed"], counts["sent"]) == (20, 0)


# -- delivery faults, reproducible by seed ----------------------------------------------------------------------
RUNS = iter(range(1000))


def chaotic_run(sb: Sandbox, receiver: Receiver, seed: int) -> tuple[list[dict], list[dict]]:
    run = next(RUNS)
    sb.control("DELETE", "webhooks/deliveries")
    receiver.clear()
    sb.control("PATCH", "webhooks", {"chaos": {"duplicate_rate": 0.3, "reorder_rate": 0.3, "delay_rate": 0.2,
                                               "delay_s": 0.3, "forge_rate": 0.2, "seed": seed}})
    contact_id = table(sb, "contacts")[3 + seed % 3]["id"]  # the same writes in the same order, on another contact
    for n in range(30):
        call(sb, "add_tags_to_contact", json_body={"tags": [f"chaos{run}-{n}"]},
             contactId=contact_id)
    deliveries = settle(sb)["deliveries"]
    return deliveries, list(receiver.received)


def test_duplicates_reordering_delays_and_forgeries_are_reproducible(webhooks, receiver):
    first, received = chaotic_run(webhooks, receiver, seed=11)
    again, _ = chaotic_run(webhooks, receiver, seed=11)
    other, _ = chaotic_run(webhooks, receiver, seed=12)

    def faults(deliveries: list[dict]) -> list[tuple]:
        return [(d["duplicate"], d["reordered"], d["delayed_s"], d["forged"]) for d in deliveries]

    assert faults(first) == faults(again) != faults(other)
    assert all(any(d[kind] for d in first) for kind in ("duplicate", "reordered", "forged"))
    assert any(d["delayed_s"] > 0 for d in first)

    key = webhooks.webhook_public_key
    payloads = [json.loads(r["raw"]) for r in received]
    ids = [p["webhookId"] for p in payloads]
    forged = {d["webhookId"] for d in first if d["forged"]}
    for r, payload in zip(received, payloads, strict=True):
        assert verifies(key, r["raw"], r["headers"]["x-ghl-signature"]) == (payload["webhookId"] not in forged)
    duplicated = {d["webhookId"] for d in first if d["duplicate"]}
    assert {i for i in ids if ids.count(i) == 2} == duplicated
    sent_tags = [len(p["tags"]) for p in payloads]  # each write adds one tag: the order they were made in
    assert sent_tags != sorted(sent_tags)
    assert sorted(set(sent_tags)) == sorted({len(p["tags"]) for p in payloads})


def test_a_guard_wraps_every_webhook_route():
    """The seam for the control surface's access check: every route of ``/__sandbox__/webhooks`` goes through it."""
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse

    from airflow_provider_ghl.sandbox.areas import seed_world
    from airflow_provider_ghl.sandbox.state import SandboxState
    from airflow_provider_ghl.sandbox.webhooks import Webhooks, routes
    from tests.webhooks.conftest import ServerThread

    def guard(endpoint):
        async def checked(request):
            if request.headers.get("x-sandbox-token") != "right":
                return JSONResponse({"statusCode": 401}, status_code=401)
            return await endpoint(request)

        return checked

    with ServerThread(Starlette(routes=routes(SandboxState(seeder=seed_world, webhooks=Webhooks()), guard))) as server:
        base = f"{server.url}/__sandbox__/webhooks"
        for method, path in (("GET", ""), ("POST", ""), ("PATCH", ""), ("DELETE", ""), ("GET", "/deliveries"),
                             ("DELETE", "/deliveries"), ("DELETE", "/some-id")):
            assert httpx.request(method, base + path, json={}).status_code == 401, (method, path)
        assert httpx.get(base, headers={"x-sandbox-token": "right"}).json()["subscriptions"] == []
