"""No module of the package imports another that imports it back, directly or through others.

The graph is built with ``ast`` over ``airflow_provider_ghl/`` and counts every import, including those
inside functions: a function-level import only hides a cycle until the day someone moves it to the top.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = "airflow_provider_ghl"
ROOT = Path(__file__).resolve().parents[1] / PACKAGE


def module_name(path: Path, root: Path) -> str:
    parts = path.relative_to(root.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(tree: ast.AST, module: str, is_package: bool, known: set[str]) -> set[str]:
    """The package's modules that ``module`` imports anywhere in its body (``from x import y`` counts ``x.y``
    when that is a module, else ``x``)."""
    found: set[str] = set()
    package = module if is_package else module.rpartition(".")[0]
    for node in walk_runtime(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, *([base] if base else [])])
            for alias in node.names:
                found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base)
    # A submodule always imports its package first: reading the package's attributes (``__version__``) back is
    # the normal direction, not a cycle.
    return {name for name in found if name in known and name != module and not module.startswith(f"{name}.")}


def walk_runtime(tree: ast.AST):
    """Every node except those under ``if TYPE_CHECKING:`` (never imported at run time)."""
    pending = [tree]
    while pending:
        node = pending.pop()
        yield node
        for child in ast.iter_child_nodes(node):
            test = child.test if isinstance(child, ast.If) else None
            if isinstance(test, ast.Name | ast.Attribute) and ast.unparse(test).endswith("TYPE_CHECKING"):
                pending.extend(child.orelse)
                continue
            pending.append(child)


def import_graph(root: Path = ROOT) -> dict[str, set[str]]:
    files = {module_name(path, root): path for path in root.rglob("*.py")}
    known = set(files)
    return {name: imported(ast.parse(path.read_text()), name, path.name == "__init__.py", known)
            for name, path in files.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle per strongly connected component with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_graph_sees_function_level_and_relative_imports(tmp_path):
    package = tmp_path / PACKAGE
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "sub" / "__init__.py").write_text("")
    (package / "a.py").write_text("def f():\n    from airflow_provider_ghl.sub import b\n")
    (package / "sub" / "b.py").write_text("from .. import a\n")
    graph = import_graph(package)
    assert graph[f"{PACKAGE}.a"] == {f"{PACKAGE}.sub.b"}
    assert graph[f"{PACKAGE}.sub.b"] == {f"{PACKAGE}.a"}
    assert cycles(graph) == [[f"{PACKAGE}.a", f"{PACKAGE}.sub.b"]]


def test_no_import_cycles():
    graph = import_graph()
    assert f"{PACKAGE}.hooks.ghl" in graph[f"{PACKAGE}.triggers.ghl"]  # the graph does see the package's imports
    found = [[name.removeprefix(f"{PACKAGE}.") for name in cycle] for cycle in cycles(graph)]
    assert found == [], f"modules that import each other (directly or through others): {found}"


def test_triggers_import_hooks_and_polling_not_sensors():
    imports = import_graph()[f"{PACKAGE}.triggers.ghl"]
    assert not any(name.startswith(f"{PACKAGE}.sensors") for name in imports), imports


def test_the_sandbox_state_knows_no_area_and_no_area_knows_the_app():
    sandbox = f"{PACKAGE}.sandbox"
    graph = import_graph()
    assert f"{sandbox}.areas" in graph[f"{sandbox}.app"]  # the area registry, the way in to every handler
    assert not {t for t in graph[f"{sandbox}.state"] if t.startswith(f"{sandbox}.areas")}
    for module, targets in graph.items():
        if module.startswith(f"{sandbox}.areas"):
            assert f"{sandbox}.app" not in targets, module
