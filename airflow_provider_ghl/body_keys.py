"""Nested body keys that miss a name the spec declares: ``dndSettings.SMS`` sent in v3's form, which spells it ``sms``.

The catalog records, per request body, the property names the official schema declares for each nested object
(``BodySpec.nested``: ``dndSettings`` -> ``call email fb gmb sms whatsApp``). A key of such an object that the schema
does not declare but that matches a declared name case-insensitively, or nearly (a typo), is a mistake HighLevel
would refuse with a 422 (v3 forbids undeclared properties) or silently ignore (the opt-out never recorded). Any
other unknown nested key passes: HighLevel tolerates extra keys in many nested objects, and a DAG that works
today must keep working. The one rule, used by operators (at parse and after rendering), by the hook before any
request, and by the sandbox's gateway (422 in HighLevel's words).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from airflow_provider_ghl.catalog import Operation

CLOSE = 0.8
"""How alike (difflib's ratio, case ignored) an undeclared key and a declared name must be to count as a miss:
``stauts`` -> ``status``, ``emial`` -> ``email``; ``code`` and ``mode`` (0.75) are different names."""


@dataclass(frozen=True, slots=True)
class NearMiss:
    where: str
    """The dotted field as sent (``dndSettings.SMS``, ``openHours[0].hours[1].openhour``)."""
    key: str
    """The key sent (``SMS``)."""
    name: str
    """The name the form's schema declares (``sms``)."""

    @property
    def fixed(self) -> str:
        """``where`` with the declared name (``dndSettings.sms``)."""
        return self.where[: len(self.where) - len(self.key)] + self.name


def near_misses(op: Operation, body: Any, *, keep: Callable[[Any], bool] | None = None) -> list[NearMiss]:
    """The nested keys of ``body`` that miss a name ``op``'s schema declares there (``keep``: values left alone,
    templates before rendering)."""
    nested = op.body.nested if op.body is not None else {}
    if not nested or not isinstance(body, Mapping | list | tuple):
        return []
    return list(_walk(body, "", "", nested, keep))


def _walk(value: Any, pattern: str, where: str, nested: Mapping[str, tuple[str, ...]],
          keep: Callable[[Any], bool] | None) -> Iterator[NearMiss]:
    if keep is not None and keep(value):
        return
    if isinstance(value, list | tuple):
        if _leads_somewhere(pattern + "[]", nested):
            for index, item in enumerate(value):
                yield from _walk(item, pattern + "[]", f"{where}[{index}]", nested, keep)
        return
    if not isinstance(value, Mapping):
        return
    names = nested.get(pattern) if pattern else None
    for key, item in value.items():
        if not isinstance(key, str):
            continue
        place = f"{where}.{key}" if where else key
        if names is not None and key not in names and (name := _meant(key, names, value)) is not None:
            yield NearMiss(place, key, name)
            continue
        child = f"{pattern}.{key}" if pattern else key
        if _leads_somewhere(child, nested):
            yield from _walk(item, child, place, nested, keep)


def _leads_somewhere(pattern: str, nested: Mapping[str, tuple[str, ...]]) -> bool:
    return any(path == pattern or path.startswith((pattern + ".", pattern + "[]")) for path in nested)


def _meant(key: str, names: tuple[str, ...], present: Mapping[str, Any]) -> str | None:
    """The declared name ``key`` misses: the same name in another case, else a close one the object does not
    already carry (beside its declared twin, a similar key is a deliberate extra)."""
    lowered = {name.lower(): name for name in names}
    if key.lower() in lowered:
        return lowered[key.lower()]
    import difflib  # only for bodies with nested objects: importing operators stays cheap

    close = difflib.get_close_matches(key.lower(), list(lowered), n=1, cutoff=CLOSE)
    return lowered[close[0]] if close and lowered[close[0]] not in present else None


def describe(op: Operation, miss: NearMiss) -> str:
    """``dndSettings.SMS`` is v2's spelling; v3 (api_version='v3') names it ``dndSettings.sms``."""
    this = f"{op.api} (api_version='{op.api}')"
    other = _other_spelling(op, miss)
    if other is not None:
        return f"`{miss.where}` is {other}'s spelling; {this} names it `{miss.fixed}`"
    return f"`{miss.where}` is not a field of HighLevel's {op.api} request schema; {this} names it `{miss.fixed}`"


def _other_spelling(op: Operation, miss: NearMiss) -> str | None:
    """The other spec whose form of ``op`` declares ``miss.key`` at that place, if any."""
    from airflow_provider_ghl.catalog import UnknownOperationError, get_operation, versions_of

    parent = _pattern(miss.where)[: -len(miss.key) - 1]
    for version in versions_of(op.key) if op.key else ():
        if version == op.api:
            continue
        try:
            other = get_operation(op.key, version)
        except UnknownOperationError:
            continue
        if other.body is not None and miss.key in other.body.nested.get(parent, ()):
            return version
    return None


def _pattern(where: str) -> str:
    """``openHours[0].hours[1].x`` -> ``openHours[].hours[].x``."""
    out, skipping = [], False
    for char in where:
        if char == "[":
            skipping = True
            out.append("[]")
        elif char == "]":
            skipping = False
        elif not skipping:
            out.append(char)
    return "".join(out)


def check_nested_keys(op: Operation, body: Any, *, keep: Callable[[Any], bool] | None = None) -> None:
    """Refuse (``GHLInputError``) a body with nested keys that miss a declared name, naming each and its fix."""
    misses = near_misses(op, body, keep=keep)
    if not misses:
        return
    from airflow_provider_ghl.exceptions import GHLInputError  # the exceptions module imports the catalog

    renames = ", ".join(f"{miss.where} -> {miss.fixed}" for miss in misses)
    raise GHLInputError("body: " + "; ".join(describe(op, miss) for miss in misses), operation=op.key,
                        hint=f"Rename in body= ({renames}): HighLevel refuses or ignores a nested field its "
                             f"{op.api} schema does not declare.")
