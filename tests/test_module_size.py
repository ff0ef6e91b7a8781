"""No module of the package grows past 600 lines: past that a module holds several concerns, and a change to one
means reading all of them. Generated stubs (``.pyi``) and data (``catalog.json``) are not modules and not counted."""

from __future__ import annotations

from pathlib import Path

import airflow_provider_ghl

MAX_LINES = 600
PACKAGE = Path(airflow_provider_ghl.__file__).parent


def physical_lines(path: Path) -> int:
    with path.open("rb") as source:  # binary: only "\n" ends a line (str.splitlines would also split at \f, \x1c...)
        return sum(1 for _ in source)


def test_no_module_is_over_600_lines():
    too_long = {
        str(path.relative_to(PACKAGE.parent)): lines
        for path in sorted(PACKAGE.rglob("*.py"))
        if (lines := physical_lines(path)) > MAX_LINES
    }
    assert not too_long, f"modules over {MAX_LINES} lines (split them along their seams): {too_long}"


def test_the_package_has_modules_to_measure():
    # A wrong PACKAGE path would make the size test pass on nothing.
    assert len(list(PACKAGE.rglob("*.py"))) > 30
