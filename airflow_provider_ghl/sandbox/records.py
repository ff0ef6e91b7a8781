"""How a stored record is answered: one helper for every area and the control surface.

Records keep sandbox bookkeeping beside their API fields under keys that start with ``_`` (epoch-ms
copies of dates, child id lists, the search index's view); no answer may carry them.
"""

from __future__ import annotations

from collections.abc import Collection


def public(record: dict, *, without: Collection[str] = (), drop_unset: bool = False) -> dict:
    """``record`` without its ``_`` keys, nor the keys in ``without``; ``drop_unset`` also leaves out ``None`` values."""
    if not without and not drop_unset:  # the common case, on every read: one pass, no extra tests
        return {k: v for k, v in record.items() if not k.startswith("_")}
    return {
        k: v for k, v in record.items()
        if not k.startswith("_") and k not in without and not (drop_unset and v is None)
    }
