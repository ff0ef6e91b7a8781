"""The scopes of the second tier's forms: documented where HighLevel documents them, derived by one rule elsewhere.

**Documented.** A form's spec names its scopes (``security``), else HighLevel's scope table does
(``reference/docs/oauth/Scopes.md``). The table writes some paths without their leading ``/``
(``POST courses/courses-exporter/public/import``) or without their service's prefix
(``PUT /update-saas-subscription/:locationId`` is ``/saas/...`` and ``/saas-api/public-api/...``): a table path
that no spec path is names every spec path ending with it.

**Derived** (the form's ``scopes_derived`` says how, and ``docs/operations.md`` marks them), first rule that gives any:

1. ``override``: ``tools/catalog_overrides.json``'s ``scopes`` entry for the key (``value`` with its ``why``; ``[]``
   says the operation needs none, and leaves it without scopes).
2. ``other spec``: the documented scopes of the same operation's form in the other spec (v2 for v3, v3 for v2).
3. ``nearby paths``: the scope family of the documented forms whose paths share the most leading segments with
   this one (at least the first; a placeholder matches a placeholder). A family is a scope less its access
   (``invoices/template`` of ``invoices/template.write``). One family among them is the one; among several, the
   one spelled as the shared literal segments (``invoices`` for ``/invoices/stats/...``), else the one whose last
   word names the path's placeholder (``saas/location`` for ``/saas/pause/{locationId}``). A read (GET, or a
   search) takes the family's read scope (``.readonly``, or ``.read`` where HighLevel spells it so,
   ``saas/company.read``), anything else its ``.write`` scope.

Forms none of these reach keep no scopes: the scope check passes them and the sandbox asks for none, as before.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

READ_ACCESS = ("readonly", "read")
DERIVED_RULES = ("override", "other spec", "nearby paths")


def norm_path(path: str) -> str:
    return re.sub(r"{\w+}", "{}", path)


def scope_table(reference: Path, spec_paths: set[tuple[str, str]]) -> dict[tuple[str, str], list[str]]:
    """``docs/oauth/Scopes.md``: (method, path with ``{}`` placeholders) -> scopes, for specs that name none.

    ``spec_paths`` are the (method, normalised path) of every spec operation: a table path none of them has names
    those ending with it (the table leaves out some services' prefixes)."""
    table: dict[tuple[str, str], list[str]] = {}
    scope = None
    for line in (reference / "docs" / "oauth" / "Scopes.md").read_text().splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) < 2:
            continue
        if re.fullmatch(r"[a-z][\w/.-]*\.(readonly|write|read)", cells[0]):
            scope = cells[0]
        elif cells[0] not in ("&nbsp;", ""):  # a row with no scope of its own continues the one above
            continue
        match = re.fullmatch(r"(GET|POST|PUT|PATCH|DELETE)\s+/?([A-Za-z:].*)", cells[1])
        if scope and match:
            path = "/" + re.sub(r":\w+", "{}", match.group(2).replace(" ", "")).rstrip("/")
            named = [(match.group(1), path)] if (match.group(1), path) in spec_paths else [
                (method, spec) for method, spec in sorted(spec_paths) if method == match.group(1) and spec.endswith(path)]
            for key in named or [(match.group(1), path)]:
                table.setdefault(key, []).append(scope)
    return table


def _family(scope: str) -> tuple[str, str]:
    family, _, access = scope.rpartition(".")
    return family, access


def _segments(path: str) -> list[str]:
    return [s for s in norm_path(path).strip("/").split("/") if s]


def _shared(one: list[str], other: list[str]) -> int:
    count = 0
    for a, b in zip(one, other, strict=False):
        if a != b:
            break
        count += 1
    return count


def nearby_family(path: str, documented: list[tuple[str, list[str]]]) -> str | None:
    """The scope family of the documented (path, scopes) nearest ``path`` by rule 3 of the module docstring."""
    segments = _segments(path)
    best, families = 0, Counter()
    for other, scopes in documented:
        shared = _shared(segments, _segments(other))
        if shared > best:
            best, families = shared, Counter()
        if shared == best and shared:
            families.update(_family(scope)[0] for scope in scopes)
    if len(families) == 1:
        return next(iter(families))
    literal = "/".join(s for s in segments[:best] if s != "{}")
    if literal in families:
        return literal
    named = [family for family in families if "{" + family.rsplit("/", 1)[-1] + "Id}" in path]
    return named[0] if len(named) == 1 else None


def derive(entries: list[dict], seed: list[dict], overrides: dict[str, dict]) -> None:
    """Give the forms of ``entries`` that name no scopes their derived ones, marking each ``scopes_derived``."""
    def forms(entry: dict) -> list[dict]:
        return [entry[v] for v in ("v2", "v3") if entry.get(v) is not None]

    keys = {entry["key"] for entry in entries}
    for key, entry in overrides.items():
        if key not in keys or set(entry) != {"value", "why"} or not str(entry["why"]).strip():
            raise SystemExit(f"catalog_overrides.json: scopes.{key} must name an operation and hold a value and a why")
    documented = [(form["path"], form["scopes"]) for entry in entries if not entry.get("seed")
                  for form in forms(entry) if form["scopes"]]
    documented += [(op["path"], op["scopes"]) for op in seed if op["scopes"]]
    read_spelling = {_family(s)[0]: s for _, scopes in documented for s in scopes if _family(s)[1] in READ_ACCESS}
    for entry in entries:
        if entry.get("seed"):
            continue  # the seed's scopes come from operations.csv
        twins = {id(form): [other for other in forms(entry) if other is not form and other["scopes"]]
                 for form in forms(entry)}
        for form in forms(entry):
            if form["scopes"]:
                continue
            if entry["key"] in overrides:
                scopes, how = list(overrides[entry["key"]]["value"]), "override"
            elif twins[id(form)]:
                scopes, how = list(twins[id(form)][0]["scopes"]), "other spec"
            elif (family := nearby_family(form["path"], documented)) is not None:
                reads = form["kind"] == "T"
                scopes = [read_spelling.get(family, f"{family}.readonly") if reads else f"{family}.write"]
                how = "nearby paths"
            else:
                continue
            form["scopes"] = scopes
            if scopes:
                form["scopes_derived"] = how


def summary(entries: list[dict]) -> str:
    """What the builder prints: how many forms outside the seed have derived scopes, and which name none."""
    forms = [form for entry in entries if not entry.get("seed") for form in (entry.get("v2"), entry.get("v3")) if form]
    derived = Counter(form["scopes_derived"] for form in forms if form.get("scopes_derived"))
    unscoped = Counter(form["path"].split("/")[1] for form in forms if not form["scopes"])
    return (f"scopes: {sum(derived.values())} of {len(forms)} second-tier forms derived ({dict(derived)}), "
            f"{sum(unscoped.values())} name none ({dict(unscoped.most_common())})")
