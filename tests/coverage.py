"""Which catalog classes a test module ran against the sandbox; its check fails on any left out."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from typing import Any, ClassVar

from airflow_provider_ghl.catalog import by_kind


class Exercised:
    """Collects the operator or sensor classes a module's tests run, for one kind and some areas."""

    claims: ClassVar[list[Exercised]] = []
    """Every instance made so far: ``tests/test_checklists.py`` checks that together they claim every area."""

    def __init__(self, kind: str, areas: Iterable[str]) -> None:
        self.kind, self.areas, self.names = kind, set(areas), set[str]()
        Exercised.claims.append(self)

    def covers(self, *classes: type) -> Callable:
        """Decorator: the test runs these classes against the sandbox."""
        self.names.update(cls.__name__ for cls in classes)
        return lambda test: test

    def add(self, task: Any) -> None:
        """Count the class of a task (or a class) as run."""
        self.names.add((task if isinstance(task, type) else type(task)).__name__)

    def check(self) -> None:
        """Every class the catalog declares for these areas exists where the CSV says, and was run."""
        package = "operators" if self.kind == "A" else "sensors"
        ops = [op for op in by_kind(self.kind) if op.area in self.areas]
        declared = {op.class_name for op in ops}
        modules = [importlib.import_module(f"airflow_provider_ghl.{package}.{area}") for area in {op.area for op in ops}]
        found = {name for module in modules for name, value in vars(module).items()
                 if isinstance(value, type) and "operation" in vars(value) and value.__module__ == module.__name__}
        assert found == declared, f"declarations differ from the catalog: {sorted(found ^ declared)}"
        assert declared == self.names, (
            f"not exercised: {sorted(declared - self.names)}; unknown: {sorted(self.names - declared)}"
        )
