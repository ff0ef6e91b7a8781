"""The sans-I/O rules, in memory: keys in three formats, signatures, the replay window, the event map."""

from __future__ import annotations

import base64
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from airflow_provider_ghl.webhooks import events
from airflow_provider_ghl.webhooks.settings import ReceiverSettings
from airflow_provider_ghl.webhooks.signing import (
    new_private_key,
    new_rsa_private_key,
    public_key_b64,
    public_key_pem,
    rsa_public_key_pem,
    sign,
    sign_rsa,
)
from airflow_provider_ghl.webhooks.verify import (
    HIGHLEVEL_RSA_PUBLIC_KEY,
    Verifier,
    WebhookKeyError,
    load_ed25519_public_key,
    load_rsa_public_key,
)
from tests.webhooks.helpers import LOCATION, payload, signed

EVENT_DOCS = Path(__file__).resolve().parents[2] / "reference" / "docs" / "webhook-events"
KEY = new_private_key()
NOW = datetime.now(UTC)


def verifier(**settings) -> Verifier:
    return Verifier.from_settings(ReceiverSettings(**{"public_key": public_key_b64(KEY), **settings}))


def decide(body, headers, v: Verifier | None = None, now: datetime | None = None):
    return (v or verifier()).decide(body, headers, now or datetime.now(UTC))


# -- keys ------------------------------------------------------------------------------------------------------
def _formats(key) -> dict[str, str]:
    der = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    pem = public_key_pem(key)
    return {"raw": public_key_b64(key), "der": base64.b64encode(der).decode(), "pem": pem,
            "pem-one-line": pem.replace("\n", "\\n"), "raw-urlsafe-unpadded": base64.urlsafe_b64encode(
                base64.b64decode(public_key_b64(key))).decode().rstrip("=")}


@pytest.mark.parametrize("form", ["raw", "der", "pem", "pem-one-line", "raw-urlsafe-unpadded"])
def test_the_public_key_is_accepted_in_every_format_and_verifies(form):
    body, headers = signed(KEY, payload())
    v = Verifier.from_settings(ReceiverSettings(public_key=_formats(KEY)[form]))
    assert v.problem is None
    assert v.decide(body, headers, datetime.now(UTC)).outcome == "accept"


@pytest.mark.parametrize("text", ["not base64 at all!", base64.b64encode(b"x" * 31).decode(), "-----BEGIN PUBLIC KEY-----\nxx\n"])
def test_an_unreadable_key_is_an_error_naming_the_setting(text):
    with pytest.raises(WebhookKeyError, match=r"\[ghl\] webhook_public_key \(env AIRFLOW__GHL__WEBHOOK_PUBLIC_KEY\)"):
        load_ed25519_public_key(text)


def test_an_rsa_key_is_not_taken_for_the_ed25519_key():
    with pytest.raises(WebhookKeyError, match="not an Ed25519 public key"):
        load_ed25519_public_key(HIGHLEVEL_RSA_PUBLIC_KEY)


def test_highlevels_static_rsa_key_is_the_documented_one():
    documented = (Path(__file__).resolve().parents[2] / "reference/docs/oauth/WebhookAuthentication.md").read_text()
    pem = re.search(r"-----BEGIN PUBLIC KEY-----.*?-----END PUBLIC KEY-----", documented, re.S).group(0)
    assert pem.strip() == HIGHLEVEL_RSA_PUBLIC_KEY.strip()
    assert load_rsa_public_key(HIGHLEVEL_RSA_PUBLIC_KEY).key_size == 4096


def test_no_key_refuses_everything_with_503_naming_the_setting():
    v = Verifier.from_settings(ReceiverSettings(public_key=""))
    body, headers = signed(KEY, payload())
    decision = v.decide(body, headers, datetime.now(UTC))
    assert (decision.status, decision.outcome) == (503, "not_configured")
    assert "[ghl] webhook_public_key" in decision.message and "AIRFLOW__GHL__WEBHOOK_PUBLIC_KEY" in decision.message
    assert v.decide(body, {}, datetime.now(UTC)).status == 503  # unsigned is never accepted either


def test_a_bad_key_refuses_everything_with_503_not_a_crash():
    v = Verifier.from_settings(ReceiverSettings(public_key="garbage!"))
    decision = v.decide(*signed(KEY, payload()), datetime.now(UTC))
    assert decision.status == 503 and "webhook_public_key" in decision.message


# -- signatures ------------------------------------------------------------------------------------------------
def test_a_signed_delivery_is_accepted_with_its_event_family_location_and_record():
    body, headers = signed(KEY, payload("ContactCreate", id="c123", webhook_id="wh-1"))
    decision = decide(body, headers)
    assert (decision.status, decision.outcome) == (200, "accept")
    d = decision.delivery
    assert (d.event_type, d.family, d.location_id, d.record_id, d.webhook_id, d.signature) == (
        "ContactCreate", "contacts", LOCATION, "c123", "wh-1", "ed25519")
    assert d.asset_uri == f"ghl://{LOCATION}/contacts"


def test_unsigned_forged_tampered_and_garbled_signatures_are_401():
    body, headers = signed(KEY, payload())
    assert decide(body, {}).outcome == "unsigned"
    other = new_private_key()
    assert decide(body, {"x-ghl-signature": sign(body, other)}).outcome == "forged"
    tampered = body.replace(b"ContactCreate", b"ContactDelete")
    assert decide(tampered, headers).outcome == "forged"
    assert decide(body, {"x-ghl-signature": "%%%not-base64"}).outcome == "forged"
    assert decide(body, {"x-ghl-signature": ""}).outcome == "forged"
    for case in (decide(body, {}), decide(tampered, headers)):
        assert case.status == 401 and case.delivery is None


def test_the_legacy_rsa_signature_counts_only_when_switched_on():
    rsa_key = new_rsa_private_key()
    body = json.dumps(payload()).encode()
    legacy = {"x-wh-signature": sign_rsa(body, rsa_key)}
    off = decide(body, legacy)
    assert off.outcome == "unsigned" and "[ghl] webhook_legacy_rsa" in off.message
    on = Verifier.from_settings(ReceiverSettings(public_key=public_key_b64(KEY), legacy_rsa=True),
                                rsa_public_key=rsa_public_key_pem(rsa_key))
    assert decide(body, legacy, on).delivery.signature == "rsa"
    assert decide(body, {"x-wh-signature": sign_rsa(body, new_rsa_private_key())}, on).outcome == "forged"
    # both headers: the Ed25519 one decides (a valid RSA signature cannot rescue a forged x-ghl-signature)
    both = {**legacy, "x-ghl-signature": sign(body, new_private_key())}
    assert decide(body, both, on).outcome == "forged"
    # RSA only (no Ed25519 key): HighLevel sends both headers during the transition
    rsa_only = Verifier.from_settings(ReceiverSettings(public_key="", legacy_rsa=True),
                                      rsa_public_key=rsa_public_key_pem(rsa_key))
    assert rsa_only.problem is None
    assert decide(body, {**legacy, "x-ghl-signature": sign(body, KEY)}, rsa_only).delivery.signature == "rsa"


def test_highlevels_own_rsa_key_refuses_a_signature_made_with_another_key():
    v = verifier(legacy_rsa=True)
    body = json.dumps(payload()).encode()
    assert decide(body, {"x-wh-signature": sign_rsa(body, new_rsa_private_key())}, v).outcome == "forged"


# -- replay window, malformed and unknown ----------------------------------------------------------------------
@pytest.mark.parametrize(("age_s", "outcome"), [(0, "accept"), (290, "accept"), (-290, "accept"),
                                                (310, "stale"), (-310, "stale"), (86_400, "stale")])
def test_a_timestamp_outside_the_window_is_a_replay_answered_200(age_s, outcome):
    decision = decide(*signed(KEY, payload(age_s=age_s)))
    assert decision.outcome == outcome
    assert decision.status == 200
    if outcome == "stale":
        assert decision.delivery is None and "[ghl] webhook_max_age_s" in decision.message


def test_the_window_follows_the_setting():
    v = verifier(max_age_s=30)
    assert decide(*signed(KEY, payload(age_s=60)), v).outcome == "stale"
    assert decide(*signed(KEY, payload(age_s=20)), v).outcome == "accept"


@pytest.mark.parametrize("timestamp", ["2026-01-28T14:35:00Z", "2026-01-28T14:35:00+02:00", "2026-01-28T14:35:00",
                                       1769610900, 1769610900000])
def test_timestamps_in_iso_8601_or_epoch(timestamp):
    body = payload()
    body["timestamp"] = timestamp
    from airflow_provider_ghl.webhooks.verify import parse_timestamp

    parsed = parse_timestamp(timestamp)
    assert parsed is not None and parsed.tzinfo is not None
    assert decide(*signed(KEY, body), now=parsed + timedelta(seconds=5)).outcome == "accept"


@pytest.mark.parametrize("change", [{"webhookId": None}, {"webhookId": ""}, {"timestamp": None},
                                    {"timestamp": "yesterday"}, {"locationId": None, "companyId": None},
                                    {"locationId": "not/an/id"}])
def test_a_signed_body_without_what_replay_protection_needs_is_400(change):
    body = {**payload(), **change}
    body = {k: v for k, v in body.items() if v is not None}
    decision = decide(*signed(KEY, body))
    assert (decision.status, decision.outcome) == (400, "malformed")


def test_a_signed_body_that_is_not_a_json_object_is_400():
    assert decide(*signed(KEY, b"[1, 2]")).status == 400
    assert decide(*signed(KEY, b"\xff\xfe")).status == 400


def test_an_unknown_event_type_is_answered_200_and_not_accepted():
    decision = decide(*signed(KEY, payload("SomethingNew")))
    assert (decision.status, decision.outcome, decision.delivery) == (200, "unknown_event", None)


@pytest.mark.parametrize(("wire", "name", "family"), [("INSTALL", "AppInstall", "app"), ("UNINSTALL", "AppUninstall", "app"),
                                                       ("PLAN_CHANGE", "PlanChange", "app"),
                                                       ("ConversationUnreadUpdate", "ConversationUnreadWebhook", "conversations"),
                                                       ("AppInstall", "AppInstall", "app")])
def test_wire_types_map_to_the_documented_event(wire, name, family):
    d = decide(*signed(KEY, payload(wire, appId="app1"))).delivery
    assert (d.event_type, d.family) == (name, family)


def test_location_events_use_the_location_id_and_agency_events_the_company():
    body = payload("LocationCreate", id="newLoc42", companyId="comp1")
    del body["locationId"]
    assert decide(*signed(KEY, body)).delivery.location_id == "newLoc42"
    install = payload("INSTALL", companyId="comp1", appId="app1")
    del install["locationId"]
    assert decide(*signed(KEY, install)).delivery.location_id == "comp1"


# -- the asset event's extra -----------------------------------------------------------------------------------
def test_the_extra_carries_the_event_and_a_bounded_payload():
    small = decide(*signed(KEY, payload("OpportunityStageUpdate", id="opp1", webhook_id="w9"))).delivery
    extra = small.extra(8192)
    assert {k: extra[k] for k in ("source", "event_type", "family", "webhook_id", "location_id", "record_id")} == {
        "source": "webhook", "event_type": "OpportunityStageUpdate", "family": "opportunities", "webhook_id": "w9",
        "location_id": LOCATION, "record_id": "opp1"}
    assert extra["payload"]["id"] == "opp1" and extra["payload_truncated"] is False
    assert datetime.fromisoformat(extra["timestamp"]) == small.timestamp
    big = decide(*signed(KEY, payload("ContactUpdate", id="c1", contactId="c1", notes="x" * 20_000))).delivery
    extra = big.extra(8192)
    assert extra["payload_truncated"] is True
    assert set(extra["payload"]) == {"type", "locationId", "webhookId", "id", "contactId"}
    assert len(json.dumps(extra)) < 1024


# -- the event map ---------------------------------------------------------------------------------------------
def test_the_map_covers_exactly_the_documented_event_types():
    documented = {path.stem for path in EVENT_DOCS.glob("*.md")}
    assert len(documented) == 58
    assert set(events.EVENTS) == documented
    assert set(events.WIRE_TYPES.values()) <= documented


def _examples(path: Path) -> list[dict]:
    found = []
    for block in re.findall(r"```json\s*(\{.*?\})\s*```", path.read_text(), re.S):
        try:
            value = json.loads(block)
        except ValueError:
            continue
        if isinstance(value, dict) and "properties" not in value:
            found.append(value)
    return found


def test_the_documented_examples_give_a_record_id_and_a_location():
    checked = 0
    for path in sorted(EVENT_DOCS.glob("*.md")):
        for example in _examples(path):
            assert events.record_id(path.stem, example), path.stem
            if path.stem not in ("AppInstall", "AppUninstall"):  # agency-level installs may carry only companyId
                assert events.location_of(path.stem, example) or "companyId" in example, path.stem
            checked += 1
    assert checked >= 40


def test_the_documented_wire_types_resolve_to_their_file():
    for path in sorted(EVENT_DOCS.glob("*.md")):
        for example in _examples(path):
            wire = example.get("type")
            if wire in events.WIRE_TYPES or wire == path.stem:
                assert events.event_name(wire) == path.stem
