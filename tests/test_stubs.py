"""Typed stubs: the generated signatures of the 124 classes are visible to IDEs and type checkers."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

DAG = '''
from airflow_provider_ghl.operators.contacts import GHLCreateContactOperator, GHLDeleteContactOperator
from airflow_provider_ghl.sensors.contacts import GHLGetContactSensor

GHLCreateContactOperator(task_id="ok", body={"firstName": "Ada"}, custom_fields={"Source": "web"}, retries=2)
GHLDeleteContactOperator(task_id="ok_too", contact_id="abc", ghl_conn_id="ghl_default")
GHLGetContactSensor(task_id="waits", contact_id="abc", poke_interval=5, deferrable=True)
GHLCreateContactOperator(task_id="misspelled", contactid="abc")
GHLDeleteContactOperator(task_id="missing")
'''

MYPY_CONFIG = """
[mypy]
follow_imports = silent
ignore_missing_imports = True
[mypy-airflow.*]
follow_imports = skip
"""


def test_committed_stubs_match_the_catalog():
    done = subprocess.run([sys.executable, str(ROOT / "tools" / "build_stubs.py"), "--check"],
                          capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stderr


def test_a_type_checker_flags_a_misspelled_or_missing_argument(tmp_path):
    (tmp_path / "dag.py").write_text(DAG)
    (tmp_path / "mypy.ini").write_text(MYPY_CONFIG)
    done = subprocess.run([sys.executable, "-m", "mypy", "--config-file", "mypy.ini", "--no-incremental", "dag.py"],
                          capture_output=True, text=True, cwd=tmp_path, timeout=300,
                          env={"PATH": "/usr/bin:/bin", "MYPYPATH": str(ROOT)})
    errors = [line for line in done.stdout.splitlines() if ": error:" in line]
    assert len(errors) == 2, done.stdout
    assert 'dag.py:8: error: Unexpected keyword argument "contactid" for "GHLCreateContactOperator"' in errors[0]
    assert 'dag.py:9: error: Missing named argument "contact_id" for "GHLDeleteContactOperator"' in errors[1]


def test_the_wheel_ships_the_stubs_and_py_typed(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "-q", "-w", str(tmp_path)],
                   check=True, capture_output=True, timeout=600)
    (wheel,) = tmp_path.glob("*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "airflow_provider_ghl/py.typed" in names
    assert "airflow_provider_ghl/_task_arguments.pyi" in names
    stubs = {Path(ROOT / name).with_suffix(".pyi").relative_to(ROOT).as_posix()
             for name in names if name.startswith(("airflow_provider_ghl/operators/", "airflow_provider_ghl/sensors/"))
             and name.endswith(".py") and not name.endswith(("__init__.py", "base.py", "generic.py"))}
    assert stubs and stubs <= names
