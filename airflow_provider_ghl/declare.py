"""How one short class declaration becomes a full operator or sensor: the catalog fills in the rest.

A declaration names its ``operation`` (a catalog key). From the catalog this module derives the
class's keyword arguments (one per path parameter, named as the catalog says, plus ``body``, ``query``,
``location_id``, ``ghl_conn_id`` and any ``extra_arguments`` of the declaration), its ``__init__``
signature (real parameters, so ``.partial().expand()`` and ``default_args`` work), its
``template_fields`` and the reference part of its docstring.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any

from airflow_provider_ghl.catalog import Operation, get_operation

REQUIRED = inspect.Parameter.empty
CONNECTION_DEFAULTED = ("location_id", "company_id")
"""Path arguments that default to the connection's location and company."""
COMMON_ARGUMENTS: dict[str, Any] = {"body": None, "query": None, "location_id": None, "ghl_conn_id": "ghl_default"}


def path_arguments(op: Operation) -> dict[str, Any]:
    """Path arguments in order; required unless the connection supplies them."""
    return {p.argument: (None if p.argument in CONNECTION_DEFAULTED else REQUIRED) for p in op.path_params}


def declared_arguments(op: Operation, extra: Mapping[str, Any]) -> dict[str, Any]:
    return {**path_arguments(op), **extra, **COMMON_ARGUMENTS}


def install_init(cls: type, op: Operation, extra: Mapping[str, Any]) -> None:
    """Give ``cls`` an ``__init__`` whose signature lists the operation's arguments by name."""
    arguments = declared_arguments(op, extra)

    def __init__(self, **kwargs: Any) -> None:
        values = {name: kwargs.pop(name, default) for name, default in arguments.items()}
        super(cls, self).__init__(**kwargs)
        for name, value in values.items():
            setattr(self, name, value)
        # Literal arguments are checked while the DAG is parsed; templated ones again before the request.
        check = getattr(self, "validate", None)
        if check is not None and not getattr(self, "_BaseOperator__from_mapped", False):
            check()

    parameters = [inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    parameters += [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default)
        for name, default in arguments.items()
    ]
    parameters.append(inspect.Parameter("kwargs", inspect.Parameter.VAR_KEYWORD))
    __init__.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    __init__.__qualname__ = f"{cls.__qualname__}.__init__"
    __init__.__doc__ = f"Arguments: {', '.join(arguments)} (see the class docstring)."
    cls.__init__ = __init__  # type: ignore[misc]


def reference_doc(op: Operation, extra: Mapping[str, Any]) -> str:
    """The part of a class docstring that the catalog can say: endpoint, scopes, arguments."""
    lines = [
        "",
        f"HighLevel operation ``{op.key}``: ``{op.method} {op.path}`` (Version ``{op.version}``), "
        f"scope{'s' if len(op.scopes) > 1 else ''} ``{'``, ``'.join(op.scopes) or 'none'}``.",
        "",
        "Arguments:",
    ]
    for param in op.path_params:
        default = " (default: the connection's)" if param.argument in CONNECTION_DEFAULTED else ""
        lines.append(f"    {param.argument}: fills ``{{{param.name}}}`` in the path{default}.")
    for name, default in extra.items():
        lines.append(f"    {name}: see above (default {default!r}).")
    if op.body is not None:
        filled = {p.name for p in (op.location, op.company) if p is not None and p.where == "body"}
        required = ", ".join(f for f in op.required_body_fields if f not in filled) or "none"
        lines.append(f"    body: the JSON body (required fields: {required}"
                     + (f"; {', '.join(sorted(filled))} filled from the arguments" if filled else "") + ").")
    else:
        lines.append("    body: not used by this operation.")
    query = ", ".join(q.name for q in op.query_params if q.name not in ("locationId", "location_id")) or "none"
    lines.append(f"    query: extra query parameters ({query}).")
    lines.append("    location_id: the location (sub-account); default: the connection's.")
    lines.append("    ghl_conn_id: the Airflow connection (type ``ghl``); default ``ghl_default``.")
    return "\n".join(lines)


def declare(cls: type, extra: Mapping[str, Any], fixed_template_fields: tuple[str, ...]) -> Operation | None:
    """Complete a declaration: signature, template fields and docstring. ``None`` for abstract bases."""
    key = cls.__dict__.get("operation")
    if key is None:
        return None
    op = get_operation(key)
    install_init(cls, op, extra)
    templated = [*path_arguments(op), *extra]
    cls.template_fields = tuple(dict.fromkeys([*templated, *fixed_template_fields]))  # type: ignore[attr-defined]
    cls.__doc__ = inspect.cleandoc(cls.__doc__ or op.description) + "\n" + reference_doc(op, extra)
    return op
