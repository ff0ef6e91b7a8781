"""The catalog matches HighLevel's reference (operations.csv, official OpenAPI files) and stays generated."""

from __future__ import annotations

import ast
import csv
import dataclasses
import inspect
import json
import re
import sys
from pathlib import Path

import pytest

from airflow_provider_ghl.catalog import CATALOG_FILE, all_keys, get_operation, operations
from airflow_provider_ghl.exceptions import GHLInputError
from airflow_provider_ghl.polling import WATCHES
from tests.openapi import REFERENCE, spec

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import build_catalog  # noqa: E402


@pytest.fixture(scope="module")
def csv_rows() -> list[dict]:
    with (REFERENCE / "operations.csv").open(newline="") as handle:
        return list(csv.DictReader(handle))


def test_reference_is_present():
    assert (REFERENCE / "operations.csv").is_file(), f"HighLevel reference not found at {REFERENCE}"


def test_committed_catalog_is_what_the_builder_makes():
    assert CATALOG_FILE.read_text() == build_catalog.render(build_catalog.build(REFERENCE)), (
        "catalog.json is out of date: run python tools/build_catalog.py"
    )


def test_catalog_matches_operations_csv(csv_rows):
    ops = operations()
    assert list(ops) == [row["key"] for row in csv_rows]
    for kind in ("T", "A"):
        assert sum(op.kind == kind for op in ops.values()) == sum(row["kind"] == kind for row in csv_rows), kind
    for row in csv_rows:
        op = ops[row["key"]]
        assert (op.class_name, op.area, op.kind, op.method, op.path) == (
            row["class_name"], row["area"], row["kind"], row["method"], row["path"]
        )
        assert row["version_header"].startswith(op.version)
        for scope in op.scopes:
            assert scope in row["scopes"]


def test_every_operation_exists_in_its_official_spec():
    for op in operations().values():
        paths = spec(op.area)["paths"]
        assert op.path in paths, f"{op.key}: {op.path} not in openapi/{op.area}.json"
        assert op.method.lower() in paths[op.path], f"{op.key}: {op.method} {op.path} not in the spec"


def declared_classes() -> list[type]:
    """Every operator and sensor class that declares a catalog operation."""
    import importlib
    import pkgutil

    import airflow_provider_ghl.operators
    import airflow_provider_ghl.sensors

    classes = []
    for package in (airflow_provider_ghl.operators, airflow_provider_ghl.sensors):
        for info in pkgutil.iter_modules(package.__path__):
            module = importlib.import_module(f"{package.__name__}.{info.name}")
            classes += [value for value in vars(module).values()
                        if isinstance(value, type) and "operation" in value.__dict__ and value.__module__ == module.__name__]
    return classes


def test_path_arguments_are_snake_case_and_never_shadow_another_argument():
    from airflow.sdk import BaseOperator, BaseSensorOperator

    from airflow_provider_ghl.declare import COMMON_ARGUMENTS

    for op in operations().values():
        arguments = [p.argument for p in op.path_params]
        assert len(arguments) == len(set(arguments)), op.key
        for argument in arguments:
            assert re.fullmatch(r"[a-z][a-z0-9_]*", argument), (op.key, argument)
    airflow_arguments = set(inspect.signature(BaseOperator.__init__).parameters) | set(
        inspect.signature(BaseSensorOperator.__init__).parameters
    )
    classes = declared_classes()
    assert {cls.operation for cls in classes} == set(operations())
    for cls in classes:
        # A path argument named like Airflow's, the provider's or the declaration's own would silently take its value.
        others = airflow_arguments | set(COMMON_ARGUMENTS) - {"location_id"}
        others |= {name for klass in cls.__mro__ for name in vars(klass).get("extra_arguments", {})}
        others |= {name for klass in cls.__mro__[1:] if "__init__" in vars(klass)
                   for name in inspect.signature(vars(klass)["__init__"]).parameters} - {"self", "kwargs", "location_id"}
        clashes = {p.argument for p in cls.op.path_params} & others
        assert not clashes, f"{cls.__name__}: path arguments {clashes} shadow other arguments"


def test_collections_say_where_their_records_are():
    for op in operations().values():
        if op.paging_style not in ("none",):
            assert op.records_key is not None or op.key == "get_free_slots", op.key


def test_unknown_operation_names_close_matches():
    with pytest.raises(KeyError, match="Did you mean get_contact"):
        get_operation("get_contatc")


def test_render_path_inserts_ids_and_refuses_what_would_change_the_route():
    op = get_operation("get_contact_note")
    assert op.render_path({"contact_id": "aB1-_.~", "note_id": 7}) == "/contacts/aB1-_.~/notes/7"
    # Encoding "a/b" as a%2Fb would leave the route to whichever proxy decodes it: no HighLevel id has a '/'.
    with pytest.raises(GHLInputError, match="contact_id 'a/b' contains '/'"):
        op.render_path({"contact_id": "a/b", "note_id": "n1"})


def test_catalog_file_is_valid_json_with_source():
    assert "operations.csv" in json.loads(CATALOG_FILE.read_text())["source"]


def test_readme_catalog_table_is_up_to_date():
    sys.path.insert(0, str(ROOT / "tools"))
    import catalog_table

    assert catalog_table.render(catalog_table.README.read_text()) == catalog_table.README.read_text(), (
        "README.md's catalog table is out of date: run python tools/catalog_table.py"
    )


# -- the overrides: data with a reason, about operations that exist ------------------------------------------
@pytest.fixture(scope="module")
def overrides() -> dict:
    return build_catalog.load_overrides()


def test_every_override_names_an_operation_and_a_fact_and_says_why(overrides, csv_rows):
    keys = {row["key"] for row in csv_rows}
    entries = [(f"{key}.{fact}", entry) for key, facts in overrides["operations"].items() for fact, entry in facts.items()]
    entries += [(f"path_names.{name}", entry) for name, entry in overrides["path_names"].items()]
    entries += [(f"pagination_rules.{rule['pattern']}", rule) for rule in overrides["pagination_rules"]]
    entries += [(f"scopes.{key}", entry) for key, entry in overrides["scopes"].items()]  # any key, both tiers
    assert set(overrides["operations"]) <= keys, set(overrides["operations"]) - keys
    assert set(overrides["scopes"]) <= set(all_keys()), set(overrides["scopes"]) - set(all_keys())
    for where, entry in entries:
        assert isinstance(entry.get("why"), str) and entry["why"].strip(), f"{where} says not why it exists"
        assert "value" in entry, where
    for key, facts in overrides["operations"].items():
        assert set(facts) <= set(build_catalog.OVERRIDABLE), (key, set(facts))


@pytest.mark.parametrize("broken", [
    {"no_such_operation": {"records_key": {"value": "x", "why": "a typo"}}},
    {"search_contacts": {"records_key": {"value": "contacts", "why": " "}}},
    {"search_contacts": {"records_key": {"value": "contacts"}}},
    {"search_contacts": {"no_such_fact": {"value": 1, "why": "a typo"}}},
])
def test_the_builder_refuses_an_override_without_operation_fact_or_why(overrides, broken):
    with pytest.raises(SystemExit, match=r"catalog_overrides\.json"):
        build_catalog.build(REFERENCE, {**overrides, "operations": {**overrides["operations"], **broken}})


def test_overrides_reach_the_catalog(overrides):
    def plain(value: object) -> object:  # an Operation field as the overrides file writes it
        return json.loads(json.dumps(dataclasses.asdict(value) if dataclasses.is_dataclass(value) else value))

    for key, facts in overrides["operations"].items():
        op = get_operation(key)
        for fact, entry in facts.items():
            value = entry["value"]
            if fact == "path_arguments":
                assert all(op.path_arguments[argument] == name for name, argument in value.items()), key
            elif fact == "location":
                assert (op.location.where, op.location.name) == (value["in"], value["name"]), key
            else:
                assert plain(getattr(op, fact)) == value, (key, fact)
        assert not set(op.relaxed_body_fields) & set(op.required_body_fields), key


def test_facts_that_read_other_operations_are_consistent():
    ops = operations()
    for op in ops.values():
        if op.columns_from is not None:
            assert op.columns_from in ops and op.is_collection, op.key
        if op.incremental is not None:  # narrowing selects by the watched field: the records must carry it
            assert op.is_collection and op.timestamps is not None, op.key
            assert all(op.timestamps.field_for(watch) for watch in op.incremental.watches), op.key
            assert set(op.incremental.watches) <= set(WATCHES), op.key
        if op.timestamps is not None:
            assert op.is_collection, op.key
    models = set(get_operation("list_custom_fields").query_param("model").enum) - {"all"}
    assert {op.custom_field_model for op in ops.values()} - {None} == models


# -- no per-operation tables outside the catalog --------------------------------------------------------------
PACKAGE = ROOT / "airflow_provider_ghl"


def tables_keyed_by_operation(source: str, keys: set[str]) -> list[int]:
    """Lines of dict literals with a key that is an operation key (or a tuple holding one), and of set literals
    holding one (an operation list that selects behaviour, like the old idempotent POSTs)."""
    def names(node: ast.AST | None) -> set:
        if isinstance(node, ast.Constant):
            return {node.value}
        if isinstance(node, ast.Tuple):
            return {element.value for element in node.elts if isinstance(element, ast.Constant)}
        return set()

    return [node.lineno for node in ast.walk(ast.parse(source))
            if (isinstance(node, ast.Dict) and any(names(key) & keys for key in node.keys))
            or (isinstance(node, ast.Set) and any(names(element) & keys for element in node.elts))]


def test_the_scan_finds_a_table_keyed_by_operation():
    keys = set(operations())
    assert tables_keyed_by_operation('X = {"a": 1}\nY = {"search_contacts": ("dateAdded", None)}', keys) == [2]
    assert tables_keyed_by_operation('Z = {("get_contact_note", "id"): "note_id"}', keys) == [1]
    assert tables_keyed_by_operation('S = {"add_contact_followers"}\nT = ("get_company", {})', keys) == [1]


def test_no_module_keeps_a_table_of_per_operation_facts():
    keys = set(operations())
    modules = [path for path in sorted(PACKAGE.rglob("*.py")) if path != PACKAGE / "catalog.py"]
    modules += sorted((ROOT / "tools").glob("*.py"))
    found = {str(path.relative_to(ROOT)): lines for path in modules
             if (lines := tables_keyed_by_operation(path.read_text(), keys))}
    assert not found, f"per-operation facts belong in the catalog (tools/catalog_overrides.json): {found}"
