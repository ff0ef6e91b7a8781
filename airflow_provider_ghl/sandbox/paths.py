"""Routing on the raw request path: split on the slashes the client sent, then decode each segment.

ASGI's ``scope["path"]`` is already percent-decoded, so ``/contacts/<id>%2Ftasks`` (``get_contact`` with
``contactId="<id>/tasks"``) would read as ``/contacts/<id>/tasks``, another route. HighLevel's servers
keep an encoded slash inside its path parameter and answer 404; so does the sandbox. A ``.`` or ``..``
segment (sent plain or as ``%2e``) is never an id and never climbs to another route: it is a 404.
"""

from __future__ import annotations

from urllib.parse import quote, unquote

from airflow_provider_ghl.catalog import Operation

DOT_SEGMENTS = frozenset({".", ".."})

Segments = list[str]


def segments(scope: dict) -> Segments | None:
    """The path's decoded segments (``["", "contacts", "<id>"]``); None when a segment is ``.`` or ``..``."""
    raw = scope.get("raw_path")
    # Servers without raw_path give only the decoded path: re-quote it (an encoded slash is lost there).
    path = raw.decode("latin-1") if raw is not None else quote(scope["path"])
    parts = path.split("/")
    # The common path has neither escapes nor dots: no per-segment work (this runs on every request).
    if "%" not in path and "." not in path:
        return parts
    decoded = [unquote(part) if "%" in part else part for part in parts]
    if DOT_SEGMENTS.intersection(decoded):
        return None
    return decoded


def _route_order(path: str) -> tuple:
    # Static segments before placeholders, so /calendars/events wins over /calendars/{calendarId}.
    return tuple(segment.startswith("{") for segment in path.strip("/").split("/")), path


Template = tuple[str | None, ...]


class CatalogRouter:
    """Finds the catalog operations of a path; candidates are bucketed by segment count and first segment.

    Starlette would try every route's pattern in turn; with 100+ routes that scan was half of a
    request's cost in the sandbox, which must never be the bottleneck of a benchmark.
    """

    def __init__(self, ops: list[Operation]) -> None:
        by_path: dict[str, dict[str, Operation]] = {}
        for op in ops:  # two keys on one route (find_contact, get_duplicate_contact): the first names it
            by_path.setdefault(op.path, {}).setdefault(op.method, op)
        self.buckets: dict[tuple[int, str], list[tuple[Template, tuple[str, ...], dict[str, Operation]]]] = {}
        for path in sorted(by_path, key=_route_order):
            parts = path.split("/")
            if parts[1].startswith("{"):
                raise ValueError(f"{path}: a route must start with a fixed segment")
            template = tuple(None if part.startswith("{") else part for part in parts)
            names = tuple(part[1:-1] for part in parts if part.startswith("{"))
            self.buckets.setdefault((len(parts), parts[1]), []).append((template, names, by_path[path]))

    def match(self, method: str, parts: Segments) -> tuple[dict[str, Operation], dict[str, str]] | None:
        """The operations of the first route matching the segments and method; else of the first matching path."""
        if len(parts) < 2:
            return None
        first = None
        for template, names, ops in self.buckets.get((len(parts), parts[1]), ()):
            values = []
            for wanted, got in zip(template, parts, strict=True):
                if wanted is None:
                    if not got:  # a placeholder never matches an empty segment
                        break
                    values.append(got)
                elif wanted != got:
                    break
            else:
                params = dict(zip(names, values, strict=True))
                if method in ops:
                    return ops, params
                first = first or (ops, params)
        return first
