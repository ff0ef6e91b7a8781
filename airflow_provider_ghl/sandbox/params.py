"""Numbers in query strings and bodies, read the way HighLevel's validators read them; one parser for all areas.

HighLevel checks paging parameters with class-validator on JavaScript numbers: an integer is optional
sign and ASCII digits (Python's ``int()`` would also take ``1_0``, ``" 1"`` and full-width digits), and
nothing past ``Number.MAX_SAFE_INTEGER`` is a whole number it can count to. A refusal is a 422 naming
the parameter.
"""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING, Any

from airflow_provider_ghl.sandbox.bodies import NUMBER_MESSAGE
from airflow_provider_ghl.sandbox.errors import unprocessable

if TYPE_CHECKING:
    from airflow_provider_ghl.catalog import Operation

MAX_SAFE_INTEGER = 2**53 - 1
_INTEGER = re.compile(r"[+-]?[0-9]+", re.ASCII)
_BEYOND = 10**20
"""Stands in for integers of more than 20 digits: past every limit, without int() on thousands of digits."""
_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?", re.ASCII)


def integer(value: Any, name: str, *, minimum: int = 0, maximum: int | None = None) -> int:
    """A query-string or JSON integer within ``minimum``..``maximum`` (and JavaScript's safe range), else 422."""
    if isinstance(value, str):
        if not _INTEGER.fullmatch(value):
            raise unprocessable(NUMBER_MESSAGE.format(name))
        number = int(value) if len(value) <= 20 else -_BEYOND if value.startswith("-") else _BEYOND
    elif isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, float) and math.isfinite(value) and value.is_integer():
        number = int(value)  # JSON's 20.0 is JavaScript's 20
    else:
        raise unprocessable(NUMBER_MESSAGE.format(name))
    if number < minimum:
        raise unprocessable(f"{name} must not be less than {minimum}")
    top = MAX_SAFE_INTEGER if maximum is None else maximum
    if number > top:
        raise unprocessable(f"{name} must not be greater than {top}")
    return number


def finite_number(raw: str, name: str) -> float:
    """A decimal number from a query string (``1700000000000``, ``1.7e12``), finite, else 422."""
    if not _NUMBER.fullmatch(raw):
        raise unprocessable(NUMBER_MESSAGE.format(name))
    value = float(raw)
    if not math.isfinite(value):
        raise unprocessable(NUMBER_MESSAGE.format(name))
    return value


def is_number(raw: str) -> bool:
    """Whether ``raw`` is written as a decimal number (not a date, not ``inf`` or ``nan``)."""
    return _NUMBER.fullmatch(raw) is not None


def page_size_in_range(op: Operation, query: dict, body: Any) -> None:
    """A 422 for a page size (the form's ``pagination.limit_param``, in its query or else its body) outside the range
    its spec allows (``min_limit``..``max_limit``): HighLevel's validators refuse the messages export's ``limit=5``
    (``limit must not be less than 10``) as they refuse a page over the maximum. Checked by the gate for every form
    of both tiers; an absent page size is left to the handler's default."""
    paging = op.pagination
    name = paging.get("limit_param")
    if not name or ("min_limit" not in paging and "max_limit" not in paging):
        return
    raw = query.get(name) if op.query_param(name) is not None or not isinstance(body, dict) else body.get(name)
    if raw is not None and raw != "":
        integer(raw, name, minimum=paging.get("min_limit", 1), maximum=paging.get("max_limit"))
