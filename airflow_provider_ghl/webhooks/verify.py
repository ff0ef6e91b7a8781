"""Sans-I/O webhook verification: parse the key, check the signature, decide what a delivery is.

No Airflow, no database, no HTTP: ``Verifier.decide(body, headers, now)`` maps raw bytes and headers to a
``Decision`` (an HTTP status, an outcome and, when accepted, the ``Delivery`` to record). The receiver
app is a thin shell around it; the tests drive it in memory.

Rules (HighLevel's WebhookAuthentication guide and Webhook Integration Guide):

- ``x-ghl-signature``: base64 Ed25519 signature over the raw body, checked with ``[ghl] webhook_public_key``.
- ``x-wh-signature`` (legacy): base64 RSA-SHA256 PKCS#1 v1.5 over the raw body, HighLevel's static key;
  only when ``[ghl] webhook_legacy_rsa`` is on, and only when no ``x-ghl-signature`` is sent.
- unsigned or forged: 401. No key: 503 (never accept unsigned).
- signed but a body without ``type``/``webhookId``/``timestamp``/location: 400.
- an event type HighLevel does not document: 200, nothing recorded.
- ``timestamp`` further than ``max_age_s`` from now: 200 (a replay; HighLevel stops retrying), nothing recorded.
- a repeated ``webhookId`` is refused by the recorder, in the database transaction that records events.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

from airflow_provider_ghl.assets import asset_uri
from airflow_provider_ghl.webhooks import events
from airflow_provider_ghl.webhooks.settings import ReceiverSettings, setting

ED25519_HEADER = "x-ghl-signature"
RSA_HEADER = "x-wh-signature"

HIGHLEVEL_RSA_PUBLIC_KEY = """-----BEGIN PUBLIC KEY-----
MIICIjANBgkqhkiG9w0BAQEFAAOCAg8AMIICCgKCAgEAokvo/r9tVgcfZ5DysOSC
Frm602qYV0MaAiNnX9O8KxMbiyRKWeL9JpCpVpt4XHIcBOK4u3cLSqJGOLaPuXw6
dO0t6Q/ZVdAV5Phz+ZtzPL16iCGeK9po6D6JHBpbi989mmzMryUnQJezlYJ3DVfB
csedpinheNnyYeFXolrJvcsjDtfAeRx5ByHQmTnSdFUzuAnC9/GepgLT9SM4nCpv
uxmZMxrJt5Rw+VUaQ9B8JSvbMPpez4peKaJPZHBbU3OdeCVx5klVXXZQGNHOs8gF
3kvoV5rTnXV0IknLBXlcKKAQLZcY/Q9rG6Ifi9c+5vqlvHPCUJFT5XUGG5RKgOKU
J062fRtN+rLYZUV+BjafxQauvC8wSWeYja63VSUruvmNj8xkx2zE/Juc+yjLjTXp
IocmaiFeAO6fUtNjDeFVkhf5LNb59vECyrHD2SQIrhgXpO4Q3dVNA5rw576PwTzN
h/AMfHKIjE4xQA1SZuYJmNnmVZLIZBlQAF9Ntd03rfadZ+yDiOXCCs9FkHibELhC
HULgCsnuDJHcrGNd5/Ddm5hxGQ0ASitgHeMZ0kcIOwKDOzOU53lDza6/Y09T7sYJ
PQe7z0cvj7aE4B+Ax1ZoZGPzpJlZtGXCsu9aTEGEnKzmsFqwcSsnw3JB31IGKAyk
T1hhTiaCeIY/OwwwNUY2yvcCAwEAAQ==
-----END PUBLIC KEY-----
"""
"""HighLevel's static RSA key for ``x-wh-signature`` (docs/oauth/WebhookAuthentication.md)."""

KEY_HINT = ("Paste the Ed25519 public key from your HighLevel Marketplace app (Advanced settings > Webhooks): "
            "PEM, base64 of the DER SubjectPublicKeyInfo, or base64 of the raw 32-byte key.")


class WebhookKeyError(ValueError):
    """``[ghl] webhook_public_key`` holds something that is not an Ed25519 public key."""


def _b64(text: str) -> bytes:
    compact = "".join(text.split())
    compact += "=" * (-len(compact) % 4)
    alphabet = "-_" if ("-" in compact or "_" in compact) else "+/"
    return base64.b64decode(compact, altchars=alphabet.encode(), validate=True)


def load_ed25519_public_key(text: str) -> Ed25519PublicKey:
    """An Ed25519 public key from PEM (SubjectPublicKeyInfo), base64 DER SPKI or base64 of the raw 32 bytes."""
    where = setting("webhook_public_key")
    text = text.strip().replace("\\n", "\n")  # a PEM pasted into an environment variable on one line
    try:
        if "-----BEGIN" in text:
            key: Any = serialization.load_pem_public_key(text.encode())
        else:
            raw = _b64(text)
            key = Ed25519PublicKey.from_public_bytes(raw) if len(raw) == 32 else serialization.load_der_public_key(raw)
    except (ValueError, binascii.Error, UnsupportedAlgorithm) as error:
        raise WebhookKeyError(f"{where} is not a public key ({type(error).__name__}). {KEY_HINT}") from None
    if not isinstance(key, Ed25519PublicKey):
        raise WebhookKeyError(f"{where} is a {type(key).__name__}, not an Ed25519 public key. {KEY_HINT}")
    return key


def load_rsa_public_key(pem: str) -> RSAPublicKey:
    key = serialization.load_pem_public_key(pem.encode())
    if not isinstance(key, RSAPublicKey):
        raise WebhookKeyError(f"not an RSA public key: {type(key).__name__}")
    return key


def parse_timestamp(value: Any) -> datetime | None:
    """ISO 8601 (``2025-01-28T14:35:00Z``; no zone means UTC) or epoch seconds/milliseconds; ``None`` if neither."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        seconds = value / 1000 if value > 1e11 else value
        try:
            return datetime.fromtimestamp(seconds, UTC)
        except (OverflowError, OSError, ValueError):
            return None
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            return None
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    return None


@dataclass(frozen=True)
class Delivery:
    """A verified, fresh delivery of a documented event: what the recorder needs."""

    event_type: str
    family: str
    location_id: str
    webhook_id: str
    timestamp: datetime
    record_id: str | None
    payload: dict[str, Any]
    body_size: int
    signature: str
    """Which header was verified: ``"ed25519"`` or ``"rsa"``."""

    @property
    def asset_uri(self) -> str:
        return asset_uri(self.location_id, self.family)

    def extra(self, payload_max_bytes: int) -> dict[str, Any]:
        """The asset event's extra: the event, its ids and the payload (ids only when its JSON is larger)."""
        payload: dict[str, Any] = self.payload
        truncated = self.body_size > payload_max_bytes and len(json.dumps(payload)) > payload_max_bytes
        if truncated:
            payload = {k: v for k, v in self.payload.items()
                       if (k in ("type", "id", "_id") or k.endswith("Id")) and isinstance(v, str | int)}
        return {"source": "webhook", "event_type": self.event_type, "family": self.family,
                "webhook_id": self.webhook_id, "timestamp": self.timestamp.isoformat(),
                "location_id": self.location_id, "record_id": self.record_id,
                "payload_truncated": truncated, "payload": payload}


@dataclass(frozen=True)
class Decision:
    status: int
    outcome: str
    """``accept``, ``unsigned``, ``forged``, ``malformed``, ``unknown_event``, ``stale`` or ``not_configured``."""
    message: str
    delivery: Delivery | None = None

    def answer(self) -> dict[str, Any]:
        """The JSON body of the HTTP answer (nothing from the request is echoed but the event type)."""
        body: dict[str, Any] = {"status": self.outcome, "message": self.message}
        if self.delivery is not None:
            body["event_type"] = self.delivery.event_type
        return body


@dataclass
class Verifier:
    """The receiver's rules with its keys loaded. Build it with ``Verifier.from_settings``."""

    ed25519: Ed25519PublicKey | None
    rsa: RSAPublicKey | None
    max_age_s: int
    problem: str | None = None
    """Why no delivery can be accepted (no key, or an unreadable one): the 503's message."""

    @classmethod
    def from_settings(cls, settings: ReceiverSettings, *, rsa_public_key: str = HIGHLEVEL_RSA_PUBLIC_KEY) -> Verifier:
        rsa = load_rsa_public_key(rsa_public_key) if settings.legacy_rsa else None
        problem = None
        ed25519 = None
        if settings.public_key:
            try:
                ed25519 = load_ed25519_public_key(settings.public_key)
            except WebhookKeyError as error:
                problem = str(error)
        elif rsa is None:
            problem = (f"webhook receiver not configured: set {setting('webhook_public_key')} to HighLevel's Ed25519 "
                       f"public key. {KEY_HINT}")
        return cls(ed25519=ed25519, rsa=rsa if problem is None else None, max_age_s=settings.max_age_s, problem=problem)

    def check_signature(self, body: bytes, headers: Mapping[str, str]) -> Decision | str:
        """The verified scheme (``"ed25519"``/``"rsa"``), or the refusal."""
        if self.problem is not None:
            return Decision(503, "not_configured", self.problem)
        ghl = headers.get(ED25519_HEADER)
        if ghl is not None and self.ed25519 is not None:
            return "ed25519" if _verified(lambda sig: self.ed25519.verify(sig, body), ghl) else _forged(ED25519_HEADER)
        legacy = headers.get(RSA_HEADER)
        if legacy is not None and self.rsa is not None:  # no x-ghl-signature, or no Ed25519 key to check it
            rsa = self.rsa
            ok = _verified(lambda sig: rsa.verify(sig, body, padding.PKCS1v15(), hashes.SHA256()), legacy)
            return "rsa" if ok else _forged(RSA_HEADER)
        if ghl is not None or legacy is not None:
            accepted = ED25519_HEADER if self.ed25519 is not None else RSA_HEADER
            return Decision(401, "unsigned", f"no accepted signature: this receiver checks {accepted}"
                            + ("" if self.rsa is not None else f" ({RSA_HEADER} needs {setting('webhook_legacy_rsa')})"))
        return Decision(401, "unsigned", f"unsigned delivery: {ED25519_HEADER} is missing")

    def decide(self, body: bytes, headers: Mapping[str, str], now: datetime) -> Decision:
        """What to do with one delivery. ``headers``: lower-case names (any case-insensitive mapping works)."""
        scheme = self.check_signature(body, headers)
        if isinstance(scheme, Decision):
            return scheme
        try:
            payload = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            return Decision(400, "malformed", "the body is not JSON")
        if not isinstance(payload, dict):
            return Decision(400, "malformed", "the body is not a JSON object")
        name = events.event_name(payload.get("type"))
        if name is None:
            return Decision(200, "unknown_event", "event type not handled; nothing recorded")
        webhook_id = payload.get("webhookId")
        if not isinstance(webhook_id, str) or not webhook_id.strip() or len(webhook_id) > 200:
            return Decision(400, "malformed", "webhookId is missing: a delivery without one cannot be deduplicated")
        when = parse_timestamp(payload.get("timestamp"))
        if when is None:
            return Decision(400, "malformed", "timestamp is missing or not ISO 8601")
        age = (now - when).total_seconds()
        if abs(age) > self.max_age_s:
            return Decision(200, "stale", f"timestamp {'older' if age > 0 else 'later'} than "
                            f"{setting('webhook_max_age_s')} = {self.max_age_s} s allows: a replay; nothing recorded")
        location = events.location_of(name, payload)
        try:
            asset_uri(location or "", events.EVENTS[name].family)
        except ValueError:
            return Decision(400, "malformed", "locationId is missing or not a HighLevel id")
        assert location is not None
        delivery = Delivery(event_type=name, family=events.EVENTS[name].family, location_id=location,
                            webhook_id=webhook_id, timestamp=when, record_id=events.record_id(name, payload),
                            payload=payload, body_size=len(body), signature=scheme)
        return Decision(200, "accept", "verified", delivery)


def _forged(header: str) -> Decision:
    return Decision(401, "forged", f"{header} does not verify against the body")


def _verified(check: Any, header_value: str) -> bool:
    try:
        check(_b64(header_value))
    except (InvalidSignature, ValueError, binascii.Error):
        return False
    return True
