"""Write the README's operation table from the catalog (``--check`` fails when the README is out of date)."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
START, END = "<!-- catalog:start -->", "<!-- catalog:end -->"


def table() -> str:
    sys.path.insert(0, str(ROOT))
    from airflow_provider_ghl.catalog import operations

    rows = ["| Area | Class | Kind | Operation | Endpoint | Scope |", "| --- | --- | --- | --- | --- | --- |"]
    for op in sorted(operations().values(), key=lambda o: (o.area, o.kind, o.class_name)):
        module = "operators" if op.kind == "A" else "sensors"
        kind = "action" if op.kind == "A" else "trigger"
        rows.append(
            f"| {op.area} | `{module}.{op.area}.{op.class_name}` | {kind} | {op.name} | "
            f"`{op.method} {op.path}` | `{' '.join(op.scopes)}` |"
        )
    return "\n".join(rows)


def render(text: str) -> str:
    head, _, rest = text.partition(START)
    _, _, tail = rest.partition(END)
    return f"{head}{START}\n{table()}\n{END}{tail}"


def main() -> int:
    text = README.read_text()
    rendered = render(text)
    if "--check" in sys.argv:
        if rendered != text:
            print("README.md's catalog table is out of date: run python tools/catalog_table.py", file=sys.stderr)
            return 1
        return 0
    README.write_text(rendered)
    return 0


if __name__ == "__main__":
    sys.exit(main())
