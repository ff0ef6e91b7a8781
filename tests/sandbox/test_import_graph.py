"""The sandbox's modules import each other one way only: no import cycle, counting imports inside functions.

A cycle that function-level imports keep from failing still ties the modules together (each needs the other
to be understood, tested or changed) and breaks as soon as someone moves an import to the top. Imports under
``if TYPE_CHECKING:`` are left out: they never run. A submodule's import of its parent package is left out too:
Python imports the parent first, whatever the submodule needs of it, so ``areas/__init__.py`` importing
``areas/contacts`` is not a loop.
"""

from __future__ import annotations

import ast
from pathlib import Path

import airflow_provider_ghl.sandbox

SANDBOX = Path(airflow_provider_ghl.sandbox.__file__).parent
PREFIX = "airflow_provider_ghl.sandbox"


def module_names() -> dict[str, Path]:
    names = {}
    for path in SANDBOX.rglob("*.py"):
        parts = path.relative_to(SANDBOX).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        names[".".join((PREFIX, *parts))] = path
    return names


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(tree: ast.AST):
    """Every import statement that can run (at module level or in a function), skipping TYPE_CHECKING blocks."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            yield from (n for child in node.orelse for n in _imports_of(child))
            continue
        yield from _imports_of(node)


def _imports_of(node: ast.AST):
    if isinstance(node, ast.Import | ast.ImportFrom):
        yield node
    else:
        yield from _imports(node)


def import_graph() -> dict[str, set[str]]:
    """module -> the sandbox modules it imports."""
    modules = module_names()
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        targets: set[str] = set()
        for node in _imports(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names)
                continue
            base = node.module or ""
            if node.level:  # relative: from the package, one level up per extra dot
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                targets.add(submodule if submodule in modules else base)
        graph[name] = {t for t in targets if t in modules and t != name and not name.startswith(t + ".")}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as a path (first module repeated at the end), or None."""
    state: dict[str, str] = {}  # "open" while on the current path, "done" once fully explored
    path: list[str] = []

    def visit(module: str) -> list[str] | None:
        state[module] = "open"
        path.append(module)
        for target in sorted(graph[module]):
            if state.get(target) == "open":
                return [*path[path.index(target):], target]
            if target not in state and (cycle := visit(target)):
                return cycle
        path.pop()
        state[module] = "done"
        return None

    for module in sorted(graph):
        if module not in state and (cycle := visit(module)):
            return cycle
    return None


def test_the_sandbox_has_no_import_cycle():
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_the_graph_sees_imports_inside_functions_and_skips_type_checking_ones():
    graph = import_graph()
    assert f"{PREFIX}.areas" in graph[f"{PREFIX}.app"]  # the area registry, the way in to every handler
    assert f"{PREFIX}.state" in graph[f"{PREFIX}.routing"]  # imported inside Call.now()
    assert f"{PREFIX}.state" not in graph[f"{PREFIX}.areas"]  # only under TYPE_CHECKING there
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]


def test_the_state_knows_no_area_and_no_area_knows_the_app():
    graph = import_graph()
    assert not {t for t in graph[f"{PREFIX}.state"] if t.startswith(f"{PREFIX}.areas")}
    for module, targets in graph.items():
        if module.startswith(f"{PREFIX}.areas"):
            assert f"{PREFIX}.app" not in targets, module
