"""Sandbox handlers and seed data for HighLevel's conversations area.

``conversations`` hold what conversation search returns (dates in epoch milliseconds, as HighLevel's
search index gives them); ``messages`` hold every message with an ISO ``dateAdded``; email details
live in ``email_messages`` under their own email message id, which is not the conversation message
id (HighLevel links them through ``meta.email.messageIds``). Answers leave unset (``None``) fields out,
as HighLevel's conversation service does.
"""

from __future__ import annotations

import io
import math
import random
import wave
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from starlette.responses import Response

from airflow_provider_ghl.sandbox.errors import bad_request, not_found, unprocessable
from airflow_provider_ghl.sandbox.params import finite_number, is_number
from airflow_provider_ghl.sandbox.records import public
from airflow_provider_ghl.sandbox.routing import Call, handles
from airflow_provider_ghl.sandbox.state import ID_ALPHABET, epoch_ms, iso, parse_time

if TYPE_CHECKING:
    from airflow_provider_ghl.sandbox.state import SandboxState

MESSAGE_TYPE_NUMBERS = {"TYPE_CALL": 1, "TYPE_SMS": 2, "TYPE_EMAIL": 3}
CONVERSATION_TYPES = {1: "TYPE_PHONE", 2: "TYPE_EMAIL"}
LISTABLE_MESSAGE_TYPES = frozenset({
    "TYPE_CALL", "TYPE_SMS", "TYPE_RCS", "TYPE_EMAIL", "TYPE_FACEBOOK", "TYPE_GMB", "TYPE_INSTAGRAM",
    "TYPE_WHATSAPP", "TYPE_ACTIVITY_APPOINTMENT", "TYPE_ACTIVITY_CONTACT", "TYPE_ACTIVITY_INVOICE",
    "TYPE_ACTIVITY_PAYMENT", "TYPE_ACTIVITY_OPPORTUNITY", "TYPE_LIVE_CHAT", "TYPE_INTERNAL_COMMENTS",
    "TYPE_ACTIVITY_EMPLOYEE_ACTION_LOG", "TYPE_TIKTOK", "TYPE_ACTIVITY_WHATSAPP", "TYPE_FORM_SUBMISSION",
})
# sortBy -> the stored field it orders by. Score profiles and SLA due dates are not modelled, so those
# orders fall back to the last message date (they stay accepted, as HighLevel accepts them).
SORT_FIELDS = {
    "last_message_date": "lastMessageDate", "last_manual_message_date": "lastManualMessageDate",
    "score_profile": "lastMessageDate", "overdue_at": "lastMessageDate", "due_at": "lastMessageDate",
}
STATUS_FILTERS: dict[str, Callable[[dict], bool]] = {
    "all": lambda c: True, "recents": lambda c: True,
    "read": lambda c: c["unreadCount"] == 0, "unread": lambda c: c["unreadCount"] > 0,
    "starred": lambda c: c["starred"],
}
PROVIDER_STATUSES = ("delivered", "failed", "pending", "read")
SEEDED_KINDS, SEEDED_KIND_WEIGHTS = ("TYPE_SMS", "TYPE_EMAIL", "TYPE_CALL"), (55, 80, 100)  # cumulative
RECORDED_CALL_STATUSES = frozenset({"completed", "voicemail"})
CALL_MESSAGE_STATUSES = {"completed": "connected", "voicemail": "delivered", "no-answer": "undelivered", "busy": "failed"}

SMS_LINES = (
    "Hi {first}, just confirming your appointment tomorrow at 10am.", "Can we move it to Friday?",
    "Thanks! See you then.", "Is the quote still valid?", "Yes, it is valid until the end of the month.",
    "Please call me back when you can.", "Got it, thank you!", "What are your opening hours?",
    "We are open 9-6 Monday to Saturday.", "STOP", "Sounds good {first}, I'll send the details.",
)
EMAIL_SUBJECTS = ("Your quote", "Appointment confirmation", "Following up", "Invoice question", "Welcome aboard")
CALL_SCRIPT = (
    "This call may be recorded for quality assurance purposes.", "Hi, thanks for calling, how can I help?",
    "I wanted to ask about the offer you sent last week.", "Sure, let me pull up your account.",
    "The discount applies to the annual plan only.", "Great, please send me the paperwork.",
    "Will do, you'll have it by email today.", "Thanks, have a nice day.",
)


# -- seed ---------------------------------------------------------------------------------------
def _people(state: SandboxState, count: int) -> list[dict]:
    """``count`` contacts to seed conversations for; made up when the contacts area seeded none."""
    rng = state.rng
    contacts = [c for c in state.tables.get("contacts", {}).values() if c.get("locationId") == state.location_id]
    if contacts:
        return [
            {
                "id": c["id"], "first": c.get("firstName") or "there",
                "fullName": " ".join(p for p in (c.get("firstName"), c.get("lastName")) if p)
                or c.get("contactName") or c.get("name") or "",
                "email": c.get("email") or "", "phone": c.get("phone") or "",
            }
            for c in rng.sample(contacts, min(count, len(contacts)))
        ]
    people = []
    for index in range(count):
        first, last = rng.choice(("Ava", "Liam", "Mia", "Noah", "Zoe")), rng.choice(("Diaz", "Khan", "Smith"))
        people.append({
            "id": state.new_id(), "first": first, "fullName": f"{first} {last}",
            "email": f"{first.lower()}.{last.lower()}{index}@example.com", "phone": f"+1555{index:07d}",
        })
    return people


def _user_ids(state: SandboxState) -> list[str]:
    users = [u["id"] for u in state.tables.get("users", {}).values() if state.location_id in _user_locations(u)]
    return users or [state.new_id() for _ in range(4)]


def _user_locations(user: dict) -> list[str]:
    return user.get("roles", {}).get("locationIds") or user.get("locationIds") or [user.get("locationId")]


def _seed_id(rng: random.Random) -> str:
    # Same alphabet and length as ``state.new_id``, drawn in one call: seeding makes ~100k of these.
    return "".join(rng.choices(ID_ALPHABET, k=20))


def _store(state: SandboxState, table: str, record: dict) -> dict:
    # ``state.insert`` draws a fresh id even for a record that has one; seeding stores ~100k records.
    state.table(table)[record["id"]] = record
    return record


def seed(state: SandboxState) -> None:
    rng = state.rng
    users = _user_ids(state)
    chosen = _people(state, max(12, state.config.contacts // 4))
    anchor_ms = epoch_ms(state.seed_anchor())
    last_ms = anchor_ms
    for person in chosen:
        # About a third of conversations share their last message time with the previous one: ties.
        if rng.random() >= 0.35:
            last_ms = anchor_ms - rng.randrange(1, 90 * 24 * 60) * 60_000
        _seed_conversation(state, rng, person, users, last_ms)


def _seed_conversation(state: SandboxState, rng: random.Random, person: dict, users: list[str], last_ms: int) -> None:
    conversation_id = _seed_id(rng)
    count = rng.randint(1, 6)
    moments = [last_ms]
    for _ in range(count - 1):  # walking back in time; a quarter of neighbours share a timestamp
        moments.append(moments[-1] - (0 if rng.random() < 0.25 else rng.randrange(1, 3 * 24 * 60) * 60_000))
    moments.reverse()
    assigned = rng.choice(users) if rng.random() < 0.7 else None
    messages = [_seed_message(state, rng, person, conversation_id, assigned, at) for at in moments]
    unread = 0
    for message in reversed(messages):
        if message["direction"] != "inbound":
            break
        unread += 1
    last = messages[-1]
    outbound = [m for m in messages if m["direction"] == "outbound"]
    manual = [m for m in outbound if m["source"] == "app"]
    conversation = {
        "id": conversation_id, "locationId": state.location_id, "contactId": person["id"],
        "fullName": person["fullName"], "contactName": person["fullName"],
        "email": person["email"], "phone": person["phone"],
        "assignedTo": assigned, "followers": [assigned] if assigned else [], "tags": [],
        "type": 2 if messages[0]["messageType"] == "TYPE_EMAIL" else 1,
        "unreadCount": unread, "starred": rng.random() < 0.1, "inbox": True, "deleted": False,
        "dateAdded": moments[0], "dateUpdated": last_ms, "_messageIds": [m["id"] for m in messages],
    }
    conversation.update(
        lastMessageBody=last["body"], lastMessageType=last["messageType"], lastMessageDirection=last["direction"],
        lastMessageDate=last["_at"], lastManualMessageDate=manual[-1]["_at"] if manual else None,
        # lastMessageAction filters on the last *outbound* message: sent by a person (manual) or not.
        lastOutboundMessageAction="manual" if outbound and outbound[-1]["source"] == "app" else "automated",
    )
    _store(state, "conversations", conversation)


def _seed_message(
    state: SandboxState, rng: random.Random, person: dict, conversation_id: str, user: str | None, at: int,
) -> dict:
    kind = rng.choices(SEEDED_KINDS, cum_weights=SEEDED_KIND_WEIGHTS)[0]
    direction = rng.choice(("inbound", "outbound"))
    message: dict[str, Any] = {
        "id": _seed_id(rng), "type": MESSAGE_TYPE_NUMBERS[kind], "messageType": kind,
        "locationId": state.location_id, "contactId": person["id"], "conversationId": conversation_id,
        "dateAdded": _iso_ms(at), "direction": direction, "contentType": "text/plain", "attachments": [],
        "source": "app" if direction == "inbound" or rng.random() < 0.6 else "workflow", "_at": at,
    }
    if direction == "outbound" and user:
        message["userId"] = user
    if kind == "TYPE_CALL":
        call_status = rng.choice(("completed", "completed", "no-answer", "busy", "voicemail"))
        message.update(
            body="", status=CALL_MESSAGE_STATUSES[call_status],
            meta={"callDuration": str(rng.randint(20, 900) if call_status in RECORDED_CALL_STATUSES else 0),
                  "callStatus": call_status},
        )
    elif kind == "TYPE_SMS":
        message.update(body=rng.choice(SMS_LINES).format(first=person["first"]),
                       status="delivered" if direction == "inbound" else rng.choice(("delivered", "sent", "failed")))
    else:
        _seed_email(state, rng, person, message)
    return _store(state, "messages", message)


def _seed_email(state: SandboxState, rng: random.Random, person: dict, message: dict) -> None:
    email_id = _seed_id(rng)
    subject = rng.choice(EMAIL_SUBJECTS)
    body = f"<p>Hi {person['first']},</p><p>{subject}: please see the details below.</p>"
    status = "delivered" if message["direction"] == "inbound" else rng.choice(("delivered", "opened", "sent"))
    business = f"Sandbox Team <team@{state.location_id.lower()}.example.com>"
    contact = f"{person['fullName']} <{person['email']}>" if person["email"] else person["fullName"]
    inbound = message["direction"] == "inbound"
    message.update(body=body, status=status, contentType="text/html", meta={"email": {"messageIds": [email_id]}})
    _store(state, "email_messages", {
        "id": email_id, "threadId": email_id, "locationId": message["locationId"],
        "contactId": message["contactId"], "conversationId": message["conversationId"],
        "dateAdded": message["dateAdded"], "subject": subject, "body": body, "direction": message["direction"],
        "status": status, "contentType": "text/html", "attachments": [], "provider": "Leadconnector",
        "from": contact if inbound else business, "to": [business if inbound else contact], "cc": [], "bcc": [],
        "source": message["source"], "_messageId": message["id"],
    })


def _iso_ms(moment_ms: int) -> str:
    return iso(datetime.fromtimestamp(moment_ms / 1000, tz=UTC))


# -- validation helpers -------------------------------------------------------------------------
def _one_of(call: Call, name: str, allowed: Any, default: str | None = None) -> str | None:
    value = call.query.get(name) or default
    if value is not None and value not in allowed:
        raise unprocessable(f"{name} must be one of the following values: {', '.join(allowed)}")
    return value


def _csv(value: str | None) -> set[str]:
    return {part.strip() for part in (value or "").split(",") if part.strip()}


def _epoch_ms_query(call: Call, name: str) -> int | None:
    raw = call.query.get(name)
    if raw in (None, ""):
        return None
    if is_number(raw):
        return int(finite_number(raw, name))
    try:  # HighLevel also takes an ISO date here
        return epoch_ms(parse_time(raw))
    except ValueError:
        raise unprocessable(f"{name} must be a number (epoch milliseconds)") from None


# -- conversations ------------------------------------------------------------------------------
def _search_filters(call: Call) -> list[Callable[[dict], bool]]:
    q = call.query
    filters: list[Callable[[dict], bool]] = [STATUS_FILTERS[_one_of(call, "status", STATUS_FILTERS, "all")]]
    for name, field in (("contactId", "contactId"), ("id", "id"), ("lastMessageType", "lastMessageType")):
        if q.get(name):
            filters.append(lambda c, f=field, v=q[name]: c.get(f) == v)
    if direction := _one_of(call, "lastMessageDirection", ("inbound", "outbound")):
        filters.append(lambda c: c["lastMessageDirection"] == direction)
    if action := _one_of(call, "lastMessageAction", ("automated", "manual")):
        filters.append(lambda c: c["lastOutboundMessageAction"] == action)
    if assigned := _csv(q.get("assignedTo")):
        filters.append(lambda c: (c["assignedTo"] or "unassigned") in assigned)
    for name in ("followers", "mentions"):
        if wanted := _csv(q.get(name)):
            filters.append(lambda c, f=name, w=wanted: not w.isdisjoint(c.get(f, ())))
    if text := (q.get("query") or "").strip().lower():
        filters.append(lambda c: any(text in (c.get(f) or "").lower()
                                     for f in ("fullName", "email", "phone", "lastMessageBody")))
    start, end = _epoch_ms_query(call, "startDate"), _epoch_ms_query(call, "endDate")
    if start is not None:
        filters.append(lambda c: c["dateAdded"] >= start)
    if end is not None:
        filters.append(lambda c: c["dateAdded"] <= end)
    return filters


@handles("search_conversations")
def search_conversations(call: Call) -> dict:
    limit = call.int_query("limit", 20, minimum=1, maximum=100)
    field = SORT_FIELDS[_one_of(call, "sortBy", SORT_FIELDS, "last_message_date")]
    descending = _one_of(call, "sort", ("asc", "desc"), "desc") == "desc"
    filters = _search_filters(call)
    found = [c for c in call.table("conversations").values()
             if c["locationId"] == call.location_id and all(f(c) for f in filters)]
    found.sort(key=lambda c: (c[field] or 0, c["id"]), reverse=descending)
    # startAfterDate is the sort value of the last item seen: like HighLevel's search_after, a page
    # starts strictly after it, so records tied with that value on the next page are not repeated.
    after = _epoch_ms_query(call, "startAfterDate")
    page = found
    if after is not None:
        page = [c for c in found if ((c[field] or 0) < after if descending else (c[field] or 0) > after)]
    items = [_search_item(c, field) for c in page[:limit]]
    return {"conversations": items, "total": len(found)}


def _search_item(conversation: dict, field: str) -> dict:
    item = public(conversation, drop_unset=True)
    item["type"] = CONVERSATION_TYPES[conversation["type"]]
    item["sort"] = [conversation[field] or 0]
    return item


@handles("get_conversation")
def get_conversation(call: Call) -> dict:
    conversation = call.record("conversations", call.path["conversationId"], "Conversation")
    return public(conversation, drop_unset=True)


# -- messages -----------------------------------------------------------------------------------
@handles("get_messages_by_conversation")
def get_messages_by_conversation(call: Call) -> dict:
    conversation = call.record("conversations", call.path["conversationId"], "Conversation")
    limit = call.int_query("limit", 20, minimum=1, maximum=100)
    types = _csv(call.query.get("type"))
    if unknown := sorted(types - LISTABLE_MESSAGE_TYPES):
        raise unprocessable(f"type must be one of the following values: {', '.join(sorted(LISTABLE_MESSAGE_TYPES))}"
                            f" (got {', '.join(unknown)})")
    table = call.table("messages")
    messages = [table[i] for i in conversation["_messageIds"] if i in table]
    messages = [m for m in messages if not types or m["messageType"] in types]
    messages.sort(key=lambda m: (m["_at"], m["id"]), reverse=True)  # newest first, as HighLevel lists them
    start = 0
    if cursor := call.query.get("lastMessageId"):
        position = next((i for i, m in enumerate(messages) if m["id"] == cursor), None)
        if position is None:
            raise bad_request("lastMessageId is not a message of this conversation")
        start = position + 1
    page = messages[start : start + limit]
    return {
        "lastMessageId": page[-1]["id"] if page else "",
        "nextPage": start + limit < len(messages),
        "messages": [public(m, drop_unset=True) for m in page],
    }


@handles("get_message")
def get_message(call: Call) -> dict:
    return public(call.record("messages", call.path["id"], "Message"), drop_unset=True)


@handles("get_email")
def get_email(call: Call) -> dict:
    return public(call.record("email_messages", call.path["id"], "Email message"), drop_unset=True)


def _recorded_call(call: Call) -> dict:
    """A call message that has a recording (answered or voicemail), else HighLevel's 404."""
    message = call.record("messages", call.path["messageId"], "Message")
    if message["messageType"] != "TYPE_CALL" or message["meta"].get("callStatus") not in RECORDED_CALL_STATUSES:
        raise not_found("Recording")
    return message


@handles("get_message_recording")
def get_message_recording(call: Call) -> Response:
    _recorded_call(call)
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as audio:  # half a second of a 440 Hz tone, 8 kHz 8-bit mono
        audio.setnchannels(1)
        audio.setsampwidth(1)
        audio.setframerate(8000)
        audio.writeframes(bytes(int(128 + 60 * math.sin(2 * math.pi * 440 * i / 8000)) for i in range(4000)))
    return Response(buffer.getvalue(), media_type="audio/x-wav",
                    headers={"Content-Disposition": "attachment; filename=audio.wav"})


def _sentences(message: dict) -> list[dict]:
    """The call's transcription, derived from the message id so it is stable without being stored."""
    rng = random.Random(message["id"])
    duration_ms = max(int(message["meta"]["callDuration"]), 10) * 1000
    count = rng.randint(3, len(CALL_SCRIPT))
    step = duration_ms // count
    return [
        {"mediaChannel": 1 + index % 2, "sentenceIndex": index, "startTime": index * step,
         "endTime": (index + 1) * step - 1, "transcript": line, "confidence": round(rng.uniform(0.8, 0.99), 2)}
        for index, line in enumerate(CALL_SCRIPT[:count])
    ]


@handles("get_message_transcription")
def get_message_transcription(call: Call) -> dict:
    sentences = _sentences(_recorded_call(call))
    # The spec's 200 schema is a single sentence object; the sandbox answers one object spanning the
    # whole call (the download route gives it sentence by sentence).
    return {
        "mediaChannel": 1, "sentenceIndex": 0, "startTime": sentences[0]["startTime"],
        "endTime": sentences[-1]["endTime"], "transcript": " ".join(s["transcript"] for s in sentences),
        "confidence": min(s["confidence"] for s in sentences),
    }


@handles("download_message_transcription")
def download_message_transcription(call: Call) -> Response:
    sentences = _sentences(_recorded_call(call))
    text = "".join(
        f"[{timedelta(milliseconds=s['startTime'])}] channel {s['mediaChannel']}: {s['transcript']}\n"
        for s in sentences
    )
    return Response(text, media_type="text/plain",
                    headers={"Content-Disposition": 'attachment; filename="transcription.txt"'})


@handles("update_message_status")
def update_message_status(call: Call) -> dict:
    message = call.record("messages", call.path["messageId"], "Message")
    data = call.data
    if data["status"] not in PROVIDER_STATUSES:
        raise unprocessable(f"status must be one of the following values: {', '.join(PROVIDER_STATUSES)}")
    if "recipients" in data and not isinstance(data["recipients"], list):
        raise unprocessable("recipients must be an array")
    message["status"] = data["status"]
    if data.get("error"):
        message["error"] = data["error"]
    reply = {"conversationId": message["conversationId"], "messageId": message["id"], "status": data["status"]}
    for email_id in message.get("meta", {}).get("email", {}).get("messageIds", ()):
        if data.get("emailMessageId") in (None, email_id) and email_id in call.table("email_messages"):
            call.table("email_messages")[email_id]["status"] = data["status"]
            reply["emailMessageId"] = email_id
    return reply


@handles("send_agent_typing_indicator")
def send_agent_typing_indicator(call: Call) -> dict:
    data = call.data
    if str(data["isTyping"]).lower() not in ("true", "false"):
        raise unprocessable("isTyping must be a boolean string ('true' or 'false')")
    if not isinstance(data["visitorId"], str):
        raise unprocessable("visitorId must be a string")
    call.record("conversations", data["conversationId"], "Conversation")
    return {"success": True}
