"""The receiver's settings: the ``[ghl]`` options of Airflow's configuration, their defaults, one place.

``OPTIONS`` is plain data: ``get_provider_info`` publishes it as the provider's config section (so
``airflow config list`` shows it) and ``load()`` reads it with the same defaults. Importing this module
imports nothing beyond the standard library.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SECTION = "ghl"

OPTIONS: dict[str, dict[str, Any]] = {
    "webhook_public_key": {
        "description": "HighLevel's Ed25519 public key for the x-ghl-signature header of webhook deliveries "
        "(Marketplace app > Advanced settings > Webhooks). PEM (SubjectPublicKeyInfo), base64 of the DER "
        "SubjectPublicKeyInfo, or base64 of the raw 32-byte key. Empty: the receiver answers 503 and records "
        "nothing (unless webhook_legacy_rsa is on).",
        "version_added": "0.1.0", "type": "string", "example": "MCowBQYDK2VwAyEA...", "default": "",
    },
    "webhook_legacy_rsa": {
        "description": "Also accept deliveries signed only with the legacy x-wh-signature header (RSA-SHA256, "
        "HighLevel's static key). HighLevel stops sending it on 2026-07-01.",
        "version_added": "0.1.0", "type": "boolean", "example": "True", "default": "False",
    },
    "webhook_max_age_s": {
        "description": "A delivery whose timestamp is further than this from the receiver's clock (either way) is "
        "a replay: it is answered 200 and records nothing.",
        "version_added": "0.1.0", "type": "integer", "example": "300", "default": "300",
    },
    "webhook_max_body_bytes": {
        "description": "Larger bodies are refused with 413 before they are read whole.",
        "version_added": "0.1.0", "type": "integer", "example": "1048576", "default": "1048576",
    },
    "webhook_payload_max_bytes": {
        "description": "An accepted delivery's payload is kept in the asset event's extra when its JSON is at most "
        "this size; larger payloads keep only their ids (type, *Id, id, _id fields).",
        "version_added": "0.1.0", "type": "integer", "example": "8192", "default": "8192",
    },
}


def setting(option: str) -> str:
    """How an option is named in errors: ``[ghl] webhook_public_key (env AIRFLOW__GHL__WEBHOOK_PUBLIC_KEY)``."""
    return f"[{SECTION}] {option} (env AIRFLOW__{SECTION.upper()}__{option.upper()})"


@dataclass(frozen=True)
class ReceiverSettings:
    public_key: str = ""
    legacy_rsa: bool = False
    max_age_s: int = int(OPTIONS["webhook_max_age_s"]["default"])
    max_body_bytes: int = int(OPTIONS["webhook_max_body_bytes"]["default"])
    payload_max_bytes: int = int(OPTIONS["webhook_payload_max_bytes"]["default"])


def load() -> ReceiverSettings:
    """The settings from Airflow's configuration (``airflow.cfg`` or ``AIRFLOW__GHL__*``)."""
    from airflow.configuration import conf

    def get(option: str) -> str:
        return conf.get(SECTION, option, fallback=OPTIONS[option]["default"]) or ""

    def integer(option: str) -> int:
        raw = get(option).strip()
        try:
            value = int(raw)
        except ValueError:
            raise ValueError(f"{setting(option)} must be an integer, not {raw!r}") from None
        if value <= 0:
            raise ValueError(f"{setting(option)} must be positive, not {value}")
        return value

    legacy = get("webhook_legacy_rsa").strip().lower()
    if legacy not in ("true", "false", "1", "0", "t", "f", ""):
        raise ValueError(f"{setting('webhook_legacy_rsa')} must be True or False, not {legacy!r}")
    return ReceiverSettings(
        public_key=get("webhook_public_key").strip(), legacy_rsa=legacy in ("true", "1", "t"),
        max_age_s=integer("webhook_max_age_s"), max_body_bytes=integer("webhook_max_body_bytes"),
        payload_max_bytes=integer("webhook_payload_max_bytes"),
    )
