"""What every example DAG has in common, checked on the parsed DAG folder and on each file's source.

- One set of DAG defaults, ``ghl_example_common.DAG_DEFAULTS`` (start date, catch-up, tags, no
  ``default_args``), passed as ``**DAG_DEFAULTS`` (or ``**dag_defaults(...)``) and never spelled out in a
  file; the Gestioo DAGs add the tag ``gestioo`` and nothing else.
- ``doc_md`` is the file's docstring; the DAG id is the file's name.
- The last task is ``summary`` (lines saying what the run did; the demo prints them).
- Each example has its own test module, ``tests/example_dags/test_<dag id>.py``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "example_dags").glob("example_*.py"))
SET_BY_DEFAULTS = {"start_date", "catchup", "tags", "default_args"}
TESTED_ELSEWHERE = {"example_ghl_hook_oauth": ROOT / "tests" / "hooks" / "test_example_dag.py"}


def dag_decorator(path: Path) -> ast.Call:
    """The ``@dag(...)`` call on the file's DAG function."""
    calls = [decorator for node in ast.walk(ast.parse(path.read_text())) if isinstance(node, ast.FunctionDef)
             for decorator in node.decorator_list
             if isinstance(decorator, ast.Call) and getattr(decorator.func, "id", None) == "dag"]
    assert len(calls) == 1, f"{path.name}: expected one @dag(...), found {len(calls)}"
    return calls[0]


def test_the_dag_folder_holds_exactly_the_example_files(dag_runner):
    assert dag_runner.dag_ids() == [path.stem for path in EXAMPLES]
    assert len(EXAMPLES) >= 9


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda path: path.stem)
def test_each_dag_takes_the_shared_defaults(dag_runner, path):
    from ghl_example_common import DAG_DEFAULTS

    dag = dag_runner.dagbag.get_dag(path.stem)
    assert dag.start_date == DAG_DEFAULTS["start_date"]
    assert dag.catchup is DAG_DEFAULTS["catchup"]
    assert dict(dag.default_args) == DAG_DEFAULTS.get("default_args", {})
    extra = {"gestioo"} if path.stem.startswith("example_gestioo_") else set()
    assert set(dag.tags) == set(DAG_DEFAULTS["tags"]) | extra

    call = dag_decorator(path)
    spelled_out = {keyword.arg for keyword in call.keywords} & SET_BY_DEFAULTS
    assert not spelled_out, f"{path.name} sets {spelled_out} itself: take them from DAG_DEFAULTS"
    unpacked = [ast.unparse(keyword.value) for keyword in call.keywords if keyword.arg is None]
    assert unpacked in (["DAG_DEFAULTS"], ["dag_defaults('gestioo')"]), unpacked
    imports = {(node.module, alias.name) for node in ast.walk(ast.parse(path.read_text()))
               if isinstance(node, ast.ImportFrom) for alias in node.names}
    assert imports & {("ghl_example_common", "DAG_DEFAULTS"), ("gestioo_common", "DAG_DEFAULTS"),
                      ("ghl_example_common", "dag_defaults")}


def test_gestioo_defaults_are_the_shared_ones_plus_their_tag():
    from gestioo_common import DAG_DEFAULTS as GESTIOO
    from ghl_example_common import DAG_DEFAULTS

    assert {**DAG_DEFAULTS, "tags": [*DAG_DEFAULTS["tags"], "gestioo"]} == GESTIOO


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda path: path.stem)
def test_each_dag_is_documented_by_its_file_and_ends_with_a_summary(dag_runner, path):
    dag = dag_runner.dagbag.get_dag(path.stem)
    assert dag.doc_md == ast.get_docstring(ast.parse(path.read_text()), clean=False)
    assert [task.task_id for task in dag.leaves] == ["summary"]


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda path: path.stem)
def test_each_dag_has_its_own_test_module(path):
    module = TESTED_ELSEWHERE.get(path.stem, Path(__file__).with_name(f"test_{path.stem}.py"))
    assert module.is_file(), f"no test for {path.stem}: add {module.relative_to(ROOT)}"
    assert f'"{path.stem}"' in module.read_text(), f"{module.name} never runs {path.stem}"
