"""The sandbox's answer schemas: the success responses of HighLevel's official specs, packaged.

The sandbox answers operations outside the 124 with an example of their official success schema
(``airflow_provider_ghl/sandbox/examples.py``). An installed package has no ``reference/``, so this tool
copies what those examples need from it into ``airflow_provider_ghl/sandbox/schemas.json.gz``: for each
spec file, every path's 2xx responses and the component schemas they reach (``$ref`` s followed), and
the common schemas. Same bytes on every build (gzip without a timestamp); a test checks the committed file.

    python tools/build_sandbox_schemas.py [--check]
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "reference"
OUTPUT = ROOT / "airflow_provider_ghl" / "sandbox" / "schemas.json.gz"
FOLDERS = ("openapi", "openapi-v3")


def _refs(node: object, found: set[str]) -> None:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            found.add(ref)
        for value in node.values():
            _refs(value, found)
    elif isinstance(node, list):
        for value in node:
            _refs(value, found)


def _reachable(roots: object, schemas: dict, common: dict, used_common: set[str]) -> dict:
    """The component schemas ``roots`` reach, by name (refs into the common file are noted in ``used_common``)."""
    kept: dict = {}
    pending: set[str] = set()
    _refs(roots, pending)
    while pending:
        ref = pending.pop()
        name = ref.rsplit("/", 1)[-1]
        if not ref.startswith("#"):
            if name not in used_common and name in common:
                used_common.add(name)
                _refs(common[name], pending)
            continue
        if name in kept or name not in schemas:
            continue
        kept[name] = schemas[name]
        _refs(kept[name], pending)
    return dict(sorted(kept.items()))


def build() -> dict:
    common = json.loads((REFERENCE / "common" / "common-schemas.json").read_text())["components"]["schemas"]
    used_common: set[str] = set()
    documents = {}
    for folder in FOLDERS:
        for path in sorted((REFERENCE / folder).glob("*.json")):
            document = json.loads(path.read_text())
            paths = {
                route: {method: {"responses": {status: answer for status, answer in operation.get("responses", {}).items()
                                               if status.startswith("2")}}
                        for method, operation in item.items() if isinstance(operation, dict) and "responses" in operation}
                for route, item in document.get("paths", {}).items()
            }
            schemas = _reachable(paths, document.get("components", {}).get("schemas", {}), common, used_common)
            documents[f"{folder}/{path.name}"] = {"paths": paths, "components": {"schemas": schemas}}
    # Common schemas may reach further common schemas (followed above); keep exactly those.
    return {"documents": documents,
            "common": {"components": {"schemas": {name: common[name] for name in sorted(used_common)}}}}


def encoded(data: dict) -> bytes:
    return gzip.compress(json.dumps(data, separators=(",", ":"), sort_keys=True).encode(), compresslevel=9, mtime=0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the committed file is out of date")
    args = parser.parse_args()
    data = encoded(build())
    if args.check:
        if not OUTPUT.exists() or OUTPUT.read_bytes() != data:
            print(f"{OUTPUT.relative_to(ROOT)} is out of date: run python tools/build_sandbox_schemas.py", file=sys.stderr)
            return 1
        return 0
    OUTPUT.write_bytes(data)
    print(f"wrote {OUTPUT.relative_to(ROOT)} ({len(data):,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
