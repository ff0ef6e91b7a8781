"""The catalog matches HighLevel's reference (operations.csv, official OpenAPI files) and stays generated."""

from __future__ import annotations

import csv
import inspect
import json
import re
import sys
from pathlib import Path

import pytest

from airflow_provider_ghl.catalog import CATALOG_FILE, get_operation, operations
from airflow_provider_ghl.exceptions import GHLInputError
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
    assert len(ops) == len(csv_rows) == 124
    assert sum(op.kind == "T" for op in ops.values()) == 55
    assert sum(op.kind == "A" for op in ops.values()) == 69
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


def test_path_arguments_are_snake_case_and_never_shadow_airflow_arguments():
    from airflow.sdk import BaseOperator, BaseSensorOperator

    airflow_arguments = set(inspect.signature(BaseOperator.__init__).parameters) | set(
        inspect.signature(BaseSensorOperator.__init__).parameters
    )
    for op in operations().values():
        arguments = [p.argument for p in op.path_params]
        assert len(arguments) == len(set(arguments)), op.key
        for argument in arguments:
            assert re.fullmatch(r"[a-z][a-z0-9_]*", argument), (op.key, argument)
            assert argument not in airflow_arguments, (op.key, argument)
            assert argument not in {"body", "query", "location_id"} or argument == "location_id", (op.key, argument)


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
