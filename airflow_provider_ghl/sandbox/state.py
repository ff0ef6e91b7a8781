"""The sandbox's in-memory world: records, tokens, rate-limit counters, faults and request counts.

One process owns it and every handler runs on the event loop, so no locks are needed.
"""

from __future__ import annotations

import random
import string
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any, Protocol

from airflow_provider_ghl.sandbox.config import SandboxConfig

ID_ALPHABET = string.ascii_letters + string.digits
ALL_SCOPES_EXTRA = ("oauth.readonly", "oauth.write")


def iso(moment: datetime) -> str:
    """HighLevel's timestamp format: ISO 8601 in UTC with milliseconds and ``Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_time(value: Any) -> datetime:
    """Epoch milliseconds (int or digit string) or ISO 8601 -> aware datetime."""
    if isinstance(value, int | float) or (isinstance(value, str) and value.isdigit()):
        return datetime.fromtimestamp(int(value) / 1000, tz=UTC)
    text = str(value).replace("Z", "+00:00")
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def epoch_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


@cache
def catalog_scopes() -> frozenset[str]:
    """Every scope an operation of either spec names: the sandbox serves them all (the reporting areas with records),
    so its full tokens hold them all. Read once per process (the second tier's catalog: about 0.1 s)."""
    from airflow_provider_ghl.catalog import all_keys, get_operation, versions_of

    return frozenset(scope for key in all_keys() for version in versions_of(key)
                     for scope in get_operation(key, version).scopes)


@dataclass
class Token:
    value: str
    kind: str  # "pit" | "access"
    user_type: str  # "Location" | "Company"
    scopes: frozenset[str]
    location_id: str | None
    company_id: str
    rate_key: str
    """Burst limits count per app (client id) or per Private Integration."""
    expires_at: float | None = None

    def expired(self, now: float) -> bool:
        return self.expires_at is not None and now >= self.expires_at


@dataclass
class Grant:
    """A refresh token issued to an OAuth app install; single-use (rotated on every refresh)."""

    client_id: str
    user_type: str
    location_id: str | None
    company_id: str
    scopes: frozenset[str]


@dataclass
class OAuthApp:
    client_id: str
    client_secret: str


@dataclass
class RateWindow:
    burst: deque = field(default_factory=deque)
    daily_count: int = 0
    daily_started: float = 0.0


class WebhookSender(Protocol):
    """What the gateway asks of the webhook sender (``sandbox.webhooks.Webhooks``), named here so that the state,
    which everything imports, imports none of the sender's modules."""

    subscriptions: list[Any]

    @property
    def public_key(self) -> str: ...

    def before(self, call: Any) -> dict[str, dict] | None: ...

    def after(self, call: Any, before: dict[str, dict], answer: Any) -> None: ...


Seeder = Callable[["SandboxState"], None]
"""Fills a fresh world with records: ``areas.seed_world``, handed in (required, so no caller gets an empty
world by forgetting it) because the state must not depend on the areas that depend on it."""


class SandboxState:
    """Everything the sandbox knows; ``reset()`` rebuilds it from the seed, records by ``seeder``."""

    def __init__(self, config: SandboxConfig | None = None, anchor: datetime | None = None, *,
                 seeder: Seeder, webhooks: WebhookSender) -> None:
        self.seeder = seeder
        self.config = config or SandboxConfig()
        self.anchor = anchor
        self.webhooks = webhooks
        """Webhook subscriptions and deliveries (handed in: the state must not depend on the sender); they
        outlive ``reset()``."""
        self.reset()

    # -- life cycle -------------------------------------------------------------------------
    def reset(self, seed: int | None = None, contacts: int | None = None) -> None:
        if seed is not None:
            self.config.seed = seed
        if contacts is not None:
            self.config.contacts = contacts
        self.rng = random.Random(self.config.seed)
        self.fault_rng = random.Random(self.config.faults.seed)
        self.tables: dict[str, dict[str, dict]] = {}
        self.sequence = 0
        self.clock_offset_s = 0.0
        self.stats: Counter[str] = Counter()
        self.windows: dict[tuple, RateWindow] = {}
        self.tokens: dict[str, Token] = {}
        self.grants: dict[str, Grant] = {}
        self.codes: dict[str, Grant] = {}
        self.location_tokens: dict[str, Token] = {}
        all_scopes = catalog_scopes() | set(ALL_SCOPES_EXTRA)
        self.all_scopes = frozenset(all_scopes)
        self.readonly_scopes = frozenset(s for s in all_scopes if s.endswith(".readonly"))
        self.company_id = self.new_id()
        self.location_id = self.new_id()
        self.app = OAuthApp(client_id=f"{self.new_id()}-sandbox", client_secret=f"sbx-secret-{self.new_id()}")
        self.pit_full = self.issue_pit(self.all_scopes)
        self.pit_readonly = self.issue_pit(self.readonly_scopes)
        self.location_refresh_token = self.issue_grant("Location", self.all_scopes)
        self.agency_refresh_token = self.issue_grant("Company", self.all_scopes)
        self.seeder(self)

    # -- ids and time -------------------------------------------------------------------------
    def new_id(self) -> str:
        return "".join(self.rng.choice(ID_ALPHABET) for _ in range(20))

    def now(self) -> datetime:
        return datetime.now(UTC) + timedelta(seconds=self.clock_offset_s)

    def epoch(self) -> float:
        return time.time() + self.clock_offset_s

    def seed_anchor(self) -> datetime:
        """Seeded records are dated relative to this instant (the start of today unless fixed)."""
        if self.anchor is not None:
            return self.anchor
        today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        return today

    def next_sequence(self) -> int:
        self.sequence += 1
        return self.sequence

    # -- records ----------------------------------------------------------------------------
    def table(self, name: str) -> dict[str, dict]:
        return self.tables.setdefault(name, {})

    def insert(self, table: str, record: dict) -> dict:
        if "id" not in record:
            record["id"] = self.new_id()
        self.table(table)[record["id"]] = record
        return record

    # -- tokens -----------------------------------------------------------------------------
    def issue_pit(self, scopes: frozenset[str], location_id: str | None = None) -> str:
        value = f"pit-{self.new_id().lower()}-{self.new_id().lower()}"
        self.tokens[value] = Token(
            value=value, kind="pit", user_type="Location", scopes=frozenset(scopes),
            location_id=location_id or self.location_id, company_id=self.company_id, rate_key=value,
        )
        return value

    def issue_grant(self, user_type: str, scopes: frozenset[str], location_id: str | None = None) -> str:
        refresh = f"sbx-refresh-{self.new_id()}{self.new_id()}"
        self.grants[refresh] = Grant(
            client_id=self.app.client_id, user_type=user_type,
            location_id=(location_id or self.location_id) if user_type == "Location" else None,
            company_id=self.company_id, scopes=frozenset(scopes),
        )
        return refresh

    def issue_access_token(self, grant: Grant, location_id: str | None = None) -> Token:
        value = f"sbx-access-{self.new_id()}{self.new_id()}"
        token = Token(
            value=value, kind="access", user_type="Location" if location_id else grant.user_type,
            scopes=grant.scopes, location_id=location_id or grant.location_id, company_id=grant.company_id,
            rate_key=grant.client_id, expires_at=self.epoch() + self.config.access_token_ttl_s,
        )
        self.tokens[value] = token
        return token

    # -- rate limits ------------------------------------------------------------------------
    def rate_headers_and_verdict(self, token: Token, resource: str) -> tuple[dict[str, str], str | None]:
        """Count one request; return the five ``X-RateLimit-*`` headers and ``"burst"``/``"daily"`` if over.

        The burst window slides (HighLevel does not say; this is the stricter reading: see docs/rate-limits.md),
        ``Remaining`` is the limit less the requests accepted in the last interval, and a refused request uses
        no slot."""
        limits = self.config.rate_limits
        if not limits.enabled:
            # No limits, no headers: headers that announce a budget make clients (the hook) pace to it.
            return {}, None
        now = time.monotonic()
        window = self.windows.setdefault((token.rate_key, resource), RateWindow(daily_started=now))
        daily = self.windows.setdefault(("daily", resource), RateWindow(daily_started=now))
        interval = limits.interval_ms / 1000
        burst = window.burst
        while burst and now - burst[0] >= interval:
            burst.popleft()
        if now - daily.daily_started >= limits.daily_window_s:
            daily.daily_started, daily.daily_count = now, 0
        verdict = None
        if limits.enabled:
            if daily.daily_count >= limits.daily_max:
                verdict = "daily"
            elif len(burst) >= limits.burst_max:
                verdict = "burst"
        if verdict is None:
            burst.append(now)
            daily.daily_count += 1
        headers = {
            "X-RateLimit-Limit-Daily": str(limits.daily_max),
            "X-RateLimit-Daily-Remaining": str(max(limits.daily_max - daily.daily_count, 0)),
            "X-RateLimit-Interval-Milliseconds": str(limits.interval_ms),
            "X-RateLimit-Max": str(limits.burst_max),
            "X-RateLimit-Remaining": str(max(limits.burst_max - len(burst), 0)),
        }
        return headers, verdict

    # -- faults -----------------------------------------------------------------------------
    def draw_fault(self, op_key: str) -> str | None:
        faults = self.config.faults
        if faults.rate <= 0 or (faults.routes and op_key not in faults.routes):
            return None
        if self.fault_rng.random() >= faults.rate:
            return None
        kinds = list(faults.kinds)
        return self.fault_rng.choices(kinds, weights=[faults.kinds[k] for k in kinds])[0]
