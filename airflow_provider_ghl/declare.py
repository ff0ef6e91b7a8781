"""How one short class declaration becomes a full operator or sensor: the catalog fills in the rest.

A declaration names its ``operation`` (a catalog key). From the catalog this module derives the
class's keyword arguments (one per path parameter, named as the catalog says, plus ``body``, ``query``,
``location_id``, ``api_version``, ``ghl_conn_id`` and any ``extra_arguments`` of the declaration), its ``__init__``
signature (real parameters, so ``.partial().expand()`` and ``default_args`` work), its
``template_fields``, the reference part of its docstring, and the argument checks that run before
any request (when the DAG is parsed for literal values, and again after templates are rendered).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar

from airflow_provider_ghl.catalog import (
    Operation,
    api_choice,
    get_operation,
    json_value,
    path_segment,
    query_values,
    versions_of,
)

if TYPE_CHECKING:
    from airflow_provider_ghl.hooks.ghl import GHLHook

REQUIRED = inspect.Parameter.empty
CONNECTION_DEFAULTED = ("location_id", "company_id")
"""Path arguments that default to the connection's location and company."""
COMMON_ARGUMENTS: dict[str, Any] = {"body": None, "query": None, "location_id": None, "api_version": None,
                                    "ghl_conn_id": "ghl_default"}
FIXED_TEMPLATE_FIELDS = ("body", "query", "location_id", "api_version")
API_VERSION_HINT = ("Use api_version='v2' (each operation's own dated Version header), 'v3', 'legacy' or a dated "
                    "version such as '2021-07-28', or leave it unset for the connection's.")
JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "number": (int, float),
    "integer": (int,),
    "boolean": (bool,),
    "array": (list, tuple),
    "object": (dict,),
}


def is_templated(value: Any) -> bool:
    """True for values Airflow has not rendered yet (Jinja strings, XComArgs): checked at run time instead."""
    return (isinstance(value, str) and "{{" in value) or type(value).__name__.endswith("XComArg")


def sendable_body(op: Operation, body: Any, fail: Callable[..., None]) -> Any:
    """``body`` (given, not templated as a whole) as the hook will send it: the shape ``op`` takes (or ``fail`` when it
    takes none), JSON values, and nested keys that miss a declared name (``dndSettings.SMS`` in v3's form)."""
    if op.body is None:
        fail(f"{op.key} takes no body, got body={body!r}", "Remove body=, or use query= for query parameters.")
        return body
    expected = list if op.body.type == "array" else dict
    if not isinstance(body, expected):
        fail(f"body must be a {expected.__name__}, got {type(body).__name__}")
    body = json_value(body, "body", operation=op.key, keep=is_templated)
    if op.body.nested:  # imported by the few bodies that nest: operator modules stay cheap to import
        from airflow_provider_ghl.body_keys import check_nested_keys

        check_nested_keys(op, body, keep=is_templated)
    return body


def path_arguments(op: Operation) -> dict[str, Any]:
    """Path arguments in order; required unless the connection supplies them."""
    return {p.argument: (None if p.argument in CONNECTION_DEFAULTED else REQUIRED) for p in op.path_params}


def install_init(cls: type, arguments: Mapping[str, Any]) -> None:
    """Give ``cls`` an ``__init__`` whose signature lists ``arguments`` (name -> default) by name."""

    def __init__(self, **kwargs: Any) -> None:
        values = {name: kwargs.pop(name, default) for name, default in arguments.items()}
        super(cls, self).__init__(**kwargs)
        for name, value in values.items():
            setattr(self, name, value)
        # Literal arguments are checked while the DAG is parsed; templated ones again before the request.
        if not getattr(self, "_BaseOperator__from_mapped", False):
            self.validate()

    parameters = [inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    parameters += [inspect.Parameter(n, inspect.Parameter.KEYWORD_ONLY, default=d) for n, d in arguments.items()]
    parameters.append(inspect.Parameter("kwargs", inspect.Parameter.VAR_KEYWORD))
    __init__.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    __init__.__qualname__ = f"{cls.__qualname__}.__init__"
    cls.__init__ = __init__  # type: ignore[misc]


def reference_doc(op: Operation, extra: Mapping[str, Any], docs: Mapping[str, str],
                  filled_by_arguments: frozenset[str] = frozenset()) -> str:
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
    lines += [f"    {name}: {docs.get(name, 'see above')} (default {default!r})." for name, default in extra.items()]
    if op.body is not None:
        filled = {name for p in (op.location, op.company) if p is not None and p.where == "body" for name in p.filled}
        filled |= filled_by_arguments
        required = ", ".join(f for f in op.required_body_fields if f not in filled) or "none"
        from_arguments = f"; {', '.join(sorted(filled))} filled from the arguments" if filled else ""
        lines.append(f"    body: the JSON body (required fields: {required}{from_arguments}).")
    else:
        lines.append("    body: not used by this operation.")
    query = ", ".join(q.name for q in op.query_params if q.name not in ("locationId", "location_id")) or "none"
    lines += [
        f"    query: extra query parameters ({query}).",
        "    location_id: the location (sub-account); default: the connection's.",
        "    api_version: ``v2``, ``v3``, ``legacy`` or a dated version (the form and Version header sent); "
        "default: the connection's.",
        "    ghl_conn_id: the Airflow connection (type ``ghl``); default ``ghl_default``.",
    ]
    return "\n".join(lines)


class DeclaredOperation:
    """Mixed into the operator and sensor bases: everything a declaration gets from the catalog."""

    operation: ClassVar[str]
    op: ClassVar[Operation]
    kind: ClassVar[str]
    """``A`` (action) for operators, ``T`` (polling trigger) for sensors."""
    extra_arguments: ClassVar[dict[str, Any]] = {}
    """Keyword arguments a declaration adds to the catalog's (name -> default)."""
    argument_docs: ClassVar[dict[str, str]] = {}
    """One line about each extra argument, for the generated docstring."""
    filled_body_fields: ClassVar[frozenset[str]] = frozenset()
    """Body fields a declaration fills from its own arguments (so callers need not)."""

    api_version: str | None
    template_fields: Sequence[str] = FIXED_TEMPLATE_FIELDS
    template_fields_renderers: ClassVar[dict[str, str]] = {"body": "json", "query": "json", "custom_fields": "json"}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        key = cls.__dict__.get("operation")
        if key is None:  # an intermediate base, not a declaration
            return
        op = get_operation(key)
        if op.kind != cls.kind:
            raise TypeError(f"{cls.__name__}: {key} is kind {op.kind}, this base declares kind {cls.kind}")
        extra = {k: v for klass in reversed(cls.__mro__) for k, v in vars(klass).get("extra_arguments", {}).items()}
        docs = {k: v for klass in reversed(cls.__mro__) for k, v in vars(klass).get("argument_docs", {}).items()}
        install_init(cls, {**path_arguments(op), **extra, **COMMON_ARGUMENTS})
        cls.op = op
        cls.template_fields = tuple(dict.fromkeys([*path_arguments(op), *extra, *FIXED_TEMPLATE_FIELDS]))
        cls.__doc__ = inspect.cleandoc(cls.__doc__ or op.description) + "\n" + reference_doc(
            op, extra, docs, cls.filled_body_fields)

    @cached_property
    def hook(self) -> GHLHook:
        from airflow_provider_ghl.hooks.ghl import GHLHook

        return GHLHook(ghl_conn_id=self.ghl_conn_id)

    @property
    def form(self) -> Operation:
        """The form of the operation this task sends, and checks its body against: the class's (the seed's v2
        form) unless ``api_version`` (the task's, else at run time the connection's) picks v3's."""
        version, source = self.api_version, "api_version"
        if version is None and "hook" in self.__dict__:
            version, source = self.hook.settings.api_version, f"the connection {self.ghl_conn_id}'s api_version"
        if is_templated(version):
            return self.op
        spec, _ = api_choice(version)
        if spec in (None, self.op.api):
            return self.op
        if spec not in versions_of(self.op.key):
            self.fail(f"{source} {version!r}: {self.op.key} has no {spec} form (HighLevel's {spec} spec does not have "
                      f"it; it is only in {', '.join(versions_of(self.op.key))})",
                      f"Use api_version='{versions_of(self.op.key)[0]}' on this task, or leave the task's unset.")
        return get_operation(self.op.key, spec)

    def path_values(self) -> dict[str, Any]:
        return {p.argument: getattr(self, p.argument) for p in self.op.path_params}

    def request_arguments(self) -> dict[str, Any]:
        """Everything ``GHLHook.call`` needs for this operation, after validation (``api_version``: ``None`` leaves
        the choice to the connection; a sensor's trigger gets it too, so a deferred poll asks in the same form)."""
        _ = self.hook  # the connection's api_version now counts too: the checks below follow the form it sends
        self.validate()
        arguments = {name: value for name, value in self.path_values().items() if value is not None}
        return {**arguments, "body": self.body, "query": self.query, "location_id": self.location_id,
                "api_version": self.api_version}

    # -- validation, before any request -----------------------------------------------------------
    def validate(self) -> None:
        """Check arguments against the catalog; every error names the field and the fix."""
        op = self.op
        self.validate_api_version()
        # The hook's own rules (catalog.path_segment, query_values, json_value), run early: at parse, after render.
        ids = {**self.path_values(), "location_id": self.location_id}  # location_id: in the path or not, an id
        for argument, value in ids.items():
            if (value is None and argument in CONNECTION_DEFAULTED) or is_templated(value):
                continue
            path_segment(value, argument, operation=op.key)
        if self.query is not None and not is_templated(self.query):
            if not isinstance(self.query, dict):
                self.fail(f"query must be a dict of query parameters, got {type(self.query).__name__}")
            query_values(self.query, operation=op.key, keep=is_templated)
        self.validate_body()

    def validate_api_version(self) -> None:
        """``api_version`` is one of HighLevel's versions, and the operation has a form in that version's spec."""
        version = self.api_version
        if version is None or is_templated(version):
            return
        if not isinstance(version, str):
            self.fail(f"api_version must be a str such as 'v3', got {type(version).__name__}", API_VERSION_HINT)
        try:
            api_choice(version)
        except ValueError:  # GHLInputError
            self.fail(f"api_version {version!r} is not one of HighLevel's API versions", API_VERSION_HINT)
        _ = self.form  # refuses a version whose spec lacks the operation

    def validate_body(self) -> None:
        op, body = self.form, self.body
        if is_templated(body):
            return
        if op.body is None:
            if body:
                self.fail(f"{op.key} takes no body, got body={body!r}", "Remove body=, or use query= for query parameters.")
            return
        body = sendable_body(op, ([] if op.body.type == "array" else {}) if body is None else body, self.fail)
        if isinstance(body, list):
            return
        filled = {name for p in (op.location, op.company) if p is not None and p.where == "body" for name in p.filled}
        filled |= self.filled_body_fields
        missing = [name for name in op.required_body_fields if name not in filled and body.get(name) in (None, "")]
        if missing:
            self.fail(f"body is missing required field{'s' if len(missing) > 1 else ''} {', '.join(missing)}",
                      f"Add {', '.join(missing)} to body= (the official request schema requires them).")
        known = {**op.body.properties, **op.undeclared_body_fields}
        if not known:  # the official schema is empty (a spec gap): nothing to check against
            return
        unknown = sorted(set(body) - set(known))
        if unknown:
            self.fail(f"body has unknown field{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}",
                      f"Known fields: {', '.join(sorted(known))}.")
        for name, value in body.items():
            types = JSON_TYPES.get(known[name])
            if value is None or types is None or is_templated(value):
                continue
            if not isinstance(value, types) or (isinstance(value, bool) and known[name] != "boolean"):
                self.fail(f"body field {name} must be {known[name]}, got {type(value).__name__} {value!r}")

    def fail(self, message: str, hint: str | None = None) -> None:
        from airflow_provider_ghl.exceptions import GHLInputError

        raise GHLInputError(message, operation=self.op.key, hint=hint)
