"""Sandbox settings: data size, rate limits, faults and token lifetimes, all changeable at run time."""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
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


MAX_CONTACTS = 1_000_000
"""Twenty times the largest benchmark (bench_export: 50,000); seeding is in memory, so a digit too many in a
reset must be refused rather than take the sandbox down."""


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
    max_body_bytes: int = 4 * 1024 * 1024
    """Larger request bodies are refused with 413 before they are read (see ``sandbox/bodies.py``)."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def update(self, changes: Any) -> None:
        """Apply a partial update (as sent to ``PATCH /__sandbox__/config``) whole, or nothing of it.

        Unknown names raise ``ConfigError`` with status 400; values of the wrong type or range, 422 naming
        each field (``rate_limits.burst_max``). Settings are read on every request, so a bad one
        must never land: everything is checked on a copy first.
        """
        staged = copy.deepcopy(self)
        refused = _apply(staged, changes, "", SETTINGS)
        if refused:
            raise refused
        for name in _names(self):
            setattr(self, name, getattr(staged, name))


class ConfigError(ValueError):
    """Refused settings: ``status`` 400 (unknown names, not an object) or 422 (bad values), one message each."""

    def __init__(self, status: int, messages: list[str]) -> None:
        super().__init__("; ".join(messages))
        self.status = status
        self.messages = messages


def _apply(target: Any, changes: Any, prefix: str, rules: dict[str, Any]) -> ConfigError | None:
    if not isinstance(changes, dict):
        return ConfigError(400, [f"{prefix.rstrip('.') or 'the settings'} takes an object"])
    unknown = sorted(set(changes) - set(rules))
    if unknown:
        kind = "setting" if prefix else "sandbox setting"
        return ConfigError(400, [f"unknown {kind} {prefix + name!r}; known: {', '.join(sorted(rules))}"
                                 for name in unknown])
    problems: list[str] = []
    for name, value in changes.items():
        rule = rules[name]
        if isinstance(rule, dict):
            nested = _apply(getattr(target, name), value, f"{prefix}{name}.", rule)
            if nested is not None and nested.status == 400:
                return nested
            problems += nested.messages if nested is not None else []
            continue
        problem = rule(value)
        if problem:
            problems.append(f"{prefix}{name} {problem}")
        else:
            setattr(target, name, value)
    return ConfigError(422, problems) if problems else None


Rule = Callable[[Any], str | None]
"""Checks one setting's value: the problem (``must be an integer``), or None."""


def integer(minimum: int | None = None, maximum: int | None = None) -> Rule:
    """A rule: an integer (not a bool) within the bounds; returns the problem or None."""
    def check(value: Any) -> str | None:
        if isinstance(value, bool) or not isinstance(value, int):
            return "must be an integer"
        return _range(value, minimum, maximum)
    return check


def number(minimum: float | None = None, maximum: float | None = None, *, above: float | None = None) -> Rule:
    """A rule: a finite number within the bounds (``above``: strictly greater)."""
    def check(value: Any) -> str | None:
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            return "must be a finite number"
        if above is not None and value <= above:
            return f"must be greater than {above}"
        return _range(value, minimum, maximum)
    return check


def boolean(value: Any) -> str | None:
    return None if isinstance(value, bool) else "must be true or false"


def fault_kinds(value: Any) -> str | None:
    if not isinstance(value, dict) or not value:
        return f"must be an object of weights by kind ({', '.join(FAULT_KINDS)})"
    unknown = sorted(set(value) - set(FAULT_KINDS))
    if unknown:
        return f"has unknown fault kinds {unknown}; known: {', '.join(FAULT_KINDS)}"
    weights = value.values()
    if any(isinstance(w, bool) or not isinstance(w, int | float) or not math.isfinite(w) or w < 0 for w in weights):
        return "weights must be finite numbers >= 0"
    return None if sum(weights) > 0 else "needs one weight above 0"


def operation_keys(value: Any) -> str | None:
    from airflow_provider_ghl.catalog import all_keys, operations

    if not isinstance(value, list) or not all(isinstance(key, str) for key in value):
        return "must be a list of operation keys"
    unknown = sorted(set(value) - set(operations()))
    if unknown:  # the second tier's keys too (read only when a key is not one of the 124)
        unknown = sorted(set(unknown) - set(all_keys()))
    return f"has unknown operation keys {unknown}" if unknown else None


def _range(value: float, minimum: float | None, maximum: float | None) -> str | None:
    if minimum is not None and value < minimum:
        return f"must be >= {minimum}"
    if maximum is not None and value > maximum:
        return f"must be <= {maximum}"
    return None


DAY_S = 86_400
SETTINGS: dict[str, Any] = {
    "seed": integer(),
    "contacts": integer(0, MAX_CONTACTS),
    "access_token_ttl_s": integer(1, 366 * DAY_S),
    "search_index_lag_s": number(0, 3600),
    "max_body_bytes": integer(1024, 1024**3),
    "rate_limits": {
        "enabled": boolean,
        "burst_max": integer(1),
        "interval_ms": integer(1, DAY_S * 1000),
        "daily_max": integer(1),
        "daily_window_s": number(maximum=366 * DAY_S, above=0),
    },
    "faults": {
        "rate": number(0, 1),
        "kinds": fault_kinds,
        "routes": operation_keys,
        "seed": integer(),
        "delay_s": number(0, 3600),
    },
}
"""Every setting's rule: one place for the control surface, ``reset`` and the command line."""


def check(name: str, value: Any) -> str | None:
    """The problem with one top-level setting's value (``contacts``, ``seed``), or None."""
    problem = SETTINGS[name](value)
    return f"{name} {problem}" if problem else None


def _names(obj: Any) -> set[str]:
    return {f.name for f in fields(obj)}
