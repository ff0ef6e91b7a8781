"""Sandbox settings: data size, rate limits, faults and token lifetimes, all changeable at run time."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

FAULT_KINDS = ("429", "500", "502", "503", "timeout", "disconnect")


@dataclass
class RateLimits:
    enabled: bool = True
    burst_max: int = 100
    interval_ms: int = 10_000
    daily_max: int = 200_000
    daily_window_s: float = 86_400.0


@dataclass
class Faults:
    """A share of requests answered with a fault, reproducibly by ``seed``.

    ``kinds`` weighs each fault (``429``, ``500``, ``502``, ``503``: answered without doing the work;
    ``timeout``: the work is done, then the answer is held ``delay_s`` seconds, past a client timeout;
    ``disconnect``: the work is done, then the connection is cut mid-response). ``routes`` limits faults
    to these operation keys (empty: every catalog route).
    """

    rate: float = 0.0
    kinds: dict[str, float] = field(default_factory=lambda: {"500": 1.0})
    routes: list[str] = field(default_factory=list)
    seed: int = 0
    delay_s: float = 5.0


@dataclass
class SandboxConfig:
    seed: int = 42
    contacts: int = 200
    """How many seeded contacts (the data-size option); other areas scale from it."""
    access_token_ttl_s: int = 86_399
    rate_limits: RateLimits = field(default_factory=RateLimits)
    faults: Faults = field(default_factory=Faults)
    search_index_lag_s: float = 0.0
    """HighLevel's search index lags writes by a few seconds; 0 makes the sandbox consistent."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def update(self, changes: dict[str, Any]) -> None:
        """Apply a partial update (as sent to ``PATCH /__sandbox__/config``), rejecting unknown keys."""
        for key, value in changes.items():
            current = getattr(self, key, _MISSING) if key in _names(self) else _MISSING
            if current is _MISSING:
                raise ValueError(f"unknown sandbox setting {key!r}; known: {', '.join(sorted(_names(self)))}")
            if isinstance(current, RateLimits | Faults):
                if not isinstance(value, dict):
                    raise ValueError(f"{key} takes an object")
                for sub_key, sub_value in value.items():
                    if sub_key not in _names(current):
                        raise ValueError(f"unknown setting {key}.{sub_key}; known: {', '.join(sorted(_names(current)))}")
                    if sub_key == "kinds":
                        unknown = set(sub_value) - set(FAULT_KINDS)
                        if unknown:
                            raise ValueError(f"unknown fault kinds {sorted(unknown)}; known: {', '.join(FAULT_KINDS)}")
                    setattr(current, sub_key, sub_value)
            else:
                setattr(self, key, value)


_MISSING = object()


def _names(obj: Any) -> set[str]:
    return {f.name for f in fields(obj)}
