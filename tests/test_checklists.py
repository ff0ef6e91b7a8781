"""The steps of docs/architecture.md's checklists that no other test enforced.

- A sandbox area module is listed in ``sandbox/areas/__init__.py``'s ``AREAS`` (otherwise its handlers and
  its seed never load, and only the operations' handler test would notice, and only for new operations).
- Every area of the catalog is claimed by the coverage checks: an ``Exercised`` of the operator tests and of
  the sensor tests (``tests/coverage.py``) for the areas that have such classes, and a sandbox test module
  (its ``AREA``/``AREAS``) whose last test proves every operation of the area answered.
- docs/architecture.md names only tests, modules and files that exist.
"""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

import pytest

from airflow_provider_ghl.catalog import by_kind, operations

TESTS = Path(__file__).resolve().parent


def test_every_sandbox_area_module_is_in_the_area_list():
    from airflow_provider_ghl.sandbox import areas

    modules = {info.name for info in pkgutil.iter_modules(areas.__path__)}
    listed = {module.__name__.rsplit(".", 1)[1] for module in areas.AREAS}
    assert modules == listed, f"not in AREAS: {sorted(modules - listed)}; listed but missing: {sorted(listed - modules)}"


def modules_of(folder: str) -> list:
    return [importlib.import_module(f"tests.{folder}.{path.stem}") for path in sorted((TESTS / folder).glob("test_*.py"))]


@pytest.mark.parametrize(("kind", "folder"), [("A", "operators"), ("T", "sensors")])
def test_every_area_with_classes_is_claimed_by_a_coverage_check(kind, folder):
    from tests.coverage import Exercised

    modules_of(folder)
    claimed = {area for claim in Exercised.claims if claim.kind == kind for area in claim.areas}
    areas = {op.area for op in by_kind(kind)}
    assert areas <= claimed, f"no Exercised({kind!r}, ...) in tests/{folder} claims {sorted(areas - claimed)}"


def test_every_area_is_claimed_by_a_sandbox_test_module():
    claimed: set[str] = set()
    for module in modules_of("sandbox"):
        area, areas = getattr(module, "AREA", None), getattr(module, "AREAS", ())
        claimed |= {area} if isinstance(area, str) else set()
        claimed |= set(areas)
    missing = {op.area for op in operations().values()} - claimed
    assert not missing, f"no tests/sandbox module (AREA/AREAS and its every-operation test) claims {sorted(missing)}"


def test_the_architecture_page_names_tests_and_modules_that_exist():
    """docs/architecture.md's checklists say which test enforces each step: those tests must exist."""
    import re

    root = TESTS.parent
    page = (root / "docs" / "architecture.md").read_text()
    sources = "\n".join(path.read_text() for path in TESTS.rglob("test_*.py"))
    named = set(re.findall(r"\b(test_[a-z0-9_]+)\b(?![./<])", page)) - {"test_"}
    missing = sorted(name for name in named if f"def {name}(" not in sources)
    assert not missing, f"docs/architecture.md names tests that do not exist: {missing}"
    paths = set(re.findall(r"`((?:tests|airflow_provider_ghl|tools|docs|reference)/[\w/.]+\.(?:py|json|md|csv))", page))
    assert paths and not [path for path in sorted(paths) if not (root / path).exists()]
    modules = set(re.findall(r"`((?:hooks|sandbox|operators|sensors|triggers|transfers)/\w+\.py)`", page))
    assert modules and not [m for m in sorted(modules) if not (root / "airflow_provider_ghl" / m).exists()]
