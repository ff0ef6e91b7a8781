"""The page sizes an operation's spec allows, checked before any request (no I/O).

Each form's ``pagination`` keeps the spec's bounds of its page-size parameter (``limit``, ``pageLimit``,
``pageSize``..., in the query or the body): ``min_limit`` and ``max_limit`` (``tools/build_catalog.py``). HighLevel
answers 422 outside them (the messages export's ``limit``: 10 to 500), so ``paginate``, ``prepare(paging=True)`` and
``GHLExportOperator`` refuse such a page size first, naming it, the operation, the range and the fix; and a paging
style that picks the page size itself picks one inside the range.
"""

from __future__ import annotations

import re
from typing import Any

from airflow_provider_ghl.catalog import Operation
from airflow_provider_ghl.exceptions import GHLInputError

REQUIRED_PAGE_SIZE = 20
"""The page size sent where the spec requires one but names no maximum and the caller gives none (HighLevel's most
common default: forms submissions, installed locations), raised to the spec's minimum where that is higher."""
_WHOLE_NUMBER = re.compile(r"[+-]?[0-9]+", re.ASCII)
"""A whole number as a query string writes it (the caller's own ``limit`` may be a string)."""


def page_size_range(op: Operation) -> tuple[int, int | None]:
    """The page sizes the form's spec allows for its page-size parameter: (``min_limit``, else 1; ``max_limit``, else
    ``None``). HighLevel answers 422 outside them."""
    return op.pagination.get("min_limit", 1), op.pagination.get("max_limit")


def default_page_size(op: Operation) -> int | None:
    """The page size a style sends when the caller gives none: the spec's maximum; else, where the spec requires one,
    :data:`REQUIRED_PAGE_SIZE` raised to the spec's minimum; else none (HighLevel's default)."""
    low, high = page_size_range(op)
    required = {q.name for q in op.query_params if q.required} | set(op.required_body_fields)
    return high or (max(REQUIRED_PAGE_SIZE, low) if op.pagination.get("limit_param") in required else None)


def check_page_size(op: Operation, value: Any, given_as: str = "page_size") -> int:
    """``value`` as a page size of ``op``, or :class:`GHLInputError` naming ``given_as`` (``page_size``, or the
    caller's own ``query.limit``/``body.pageLimit``), the operation, the range its spec allows and the fix.

    Nothing is clamped: a page size above the maximum is refused, as one below the minimum is (HighLevel answers
    422 to either), so a DAG never reads pages of another size than it asked for."""
    low, high = page_size_range(op)
    name = op.pagination.get("limit_param") or "page size"
    allowed = f"from {low} to {high}" if high else f"of at least {low}"
    if given_as == "page_size":
        default = default_page_size(op)
        asks = f"{default} per page" if default else "HighLevel's default page size"
        fix = f"Pass page_size= {allowed}, or leave it out (paginate then asks for {asks})."
    else:
        fix = (f"Give {given_as} a value {allowed}, or leave {name} out of it and pass page_size= (the paging "
               "style sends it).")
    number = int(value) if isinstance(value, str) and _WHOLE_NUMBER.fullmatch(value) else value
    if isinstance(number, bool) or not isinstance(number, int):
        raise GHLInputError(f"{given_as} must be a whole number, got {value!r}", operation=op.key, hint=fix)
    where = f"{op.key} ({op.api}) takes {name} {allowed}"
    if number < low:
        raise GHLInputError(f"{given_as} {number} is below HighLevel's minimum of {low}: {where}", operation=op.key,
                            hint=fix)
    if high and number > high:
        raise GHLInputError(f"{given_as} {number} is above HighLevel's maximum of {high}: {where}", operation=op.key,
                            hint=fix)
    return number
