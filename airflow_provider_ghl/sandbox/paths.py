"""Routing on the raw request path, as HighLevel's Express/NestJS servers route: match, then decode parameters.

ASGI's ``scope["path"]`` is already percent-decoded, so ``/contacts/<id>%2Ftasks`` (``get_contact`` with
``contactId="<id>/tasks"``) would read as ``/contacts/<id>/tasks``, another route. Express matches the
path as sent and decodes each parameter afterwards: the encoded slash stays inside ``contactId`` and
the answer is a 404. The sandbox does the same. A ``.`` or ``..`` segment (sent plain or as ``%2e``) is
never an id and never climbs to another route: it is a 404 too.
"""

from __future__ import annotations

import re
from urllib.parse import quote, unquote

from airflow_provider_ghl.catalog import Operation

DOT_SEGMENTS = frozenset({".", ".."})


def raw_path(scope: dict) -> str:
    """The path as the client sent it (percent-escapes intact)."""
    raw = scope.get("raw_path")
    # Servers without raw_path give only the decoded path: re-quote it (an encoded slash is lost there).
    return raw.decode("latin-1") if raw is not None else quote(scope["path"])


def has_dot_segment(path: str) -> bool:
    """Whether a segment of the raw path is ``.`` or ``..``, plain or percent-encoded."""
    # Most paths have neither a dot nor an escape: nothing to split (this runs on every request).
    if "." not in path and "%" not in path:
        return False
    return any(unquote(part) in DOT_SEGMENTS for part in path.split("/"))


def has_encoded_slash(path: str) -> bool:
    return "%2f" in path.lower()


def _route_order(path: str) -> tuple:
    # Static segments before placeholders, so /calendars/events wins over /calendars/{calendarId}.
    return tuple(segment.startswith("{") for segment in path.strip("/").split("/")), path


class CatalogRouter:
    """Finds the catalog operations of a raw path; candidates are bucketed by their first segment.

    Starlette would try every route's pattern in turn; with 100+ routes that scan was half of a
    request's cost in the sandbox, which must never be the bottleneck of a benchmark.
    """

    def __init__(self, ops: list[Operation]) -> None:
        by_path: dict[str, dict[str, Operation]] = {}
        for op in ops:  # two keys on one route (find_contact, get_duplicate_contact): the first names it
            by_path.setdefault(op.path, {}).setdefault(op.method, op)
        self.buckets: dict[str, list[tuple[re.Pattern, dict[str, Operation]]]] = {}
        for path in sorted(by_path, key=_route_order):
            # A placeholder takes one raw segment: an encoded slash (%2F) is part of it, not a separator.
            pattern = re.compile("^" + re.sub(r"\\{(\w+)\\}", r"(?P<\1>[^/]+)", re.escape(path)) + "$")
            self.buckets.setdefault(path.strip("/").split("/")[0], []).append((pattern, by_path[path]))

    def match(self, method: str, path: str) -> tuple[dict[str, Operation], dict[str, str]] | None:
        """The operations of the first route matching the raw path and method (else of the first matching
        path), with the path parameters decoded."""
        first = None
        for pattern, ops in self.buckets.get(path.strip("/").split("/", 1)[0], ()):
            found = pattern.match(path)
            if found:
                if method in ops:
                    return ops, _decoded(found.groupdict())
                first = first or (ops, _decoded(found.groupdict()))
        return first


def _decoded(params: dict[str, str]) -> dict[str, str]:
    return {name: unquote(value) if "%" in value else value for name, value in params.items()}
