"""How hard one connection's requests try: one frozen value, built once per hook and read by every flow.

The hook's constructor arguments say what the caller asked for (``timeout=None`` means "the
connection's"); :meth:`RequestPolicy.resolve` combines them with the connection once, and the request
flows and the token manager read only the result, so no setting lives in two places.
"""

from __future__ import annotations

from dataclasses import dataclass

from airflow_provider_ghl.hooks.actions import Budget

DEFAULT_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class RequestPolicy:
    """Retries, waits and limits of one connection's requests (API calls and token requests alike)."""

    budget: Budget
    """What one exchange may take: the timeout (connect to last byte) and the body size cap."""
    max_retries: int = 5
    """Re-sends after an ambiguous failure (idempotent operations only) or a failed token request."""
    backoff_base: float = 0.5
    backoff_cap: float = 30.0
    max_rate_limit_waits: int = 30
    """429 windows waited out in one exchange before the rate-limit error is raised."""
    progress_every_s: float = 30.0
    """How often a long pagination logs its progress."""

    @classmethod
    def resolve(cls, *, timeout: float | None, connection_timeout: float | None, max_response_bytes: int,
                max_retries: int, backoff_base: float, backoff_cap: float, max_rate_limit_waits: int,
                progress_every_s: float) -> RequestPolicy:
        """The hook's arguments over the connection's ``timeout`` extra over the defaults."""
        seconds = timeout or connection_timeout or DEFAULT_TIMEOUT_S
        return cls(
            budget=Budget(seconds, max_response_bytes), max_retries=max_retries,
            backoff_base=backoff_base, backoff_cap=backoff_cap, max_rate_limit_waits=max_rate_limit_waits,
            progress_every_s=progress_every_s,
        )
