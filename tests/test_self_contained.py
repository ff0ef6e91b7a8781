"""The repository holds what it needs: HighLevel's reference is read from ``reference/`` and nothing beside it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# The old home of HighLevel's reference, beside the checkout (spelled in parts, so this file does not match itself).
SIBLING = "shared"
BESIDE_THE_REPOSITORY = ("../" + SIBLING, SIBLING + "/ghl-api", f'parents[2] / "{SIBLING}"')

# Runs a script with an audit hook that reports every file opened beside the repository (its parent folder).
WATCH = """
import os, runpy, sys
from pathlib import Path
root = Path(sys.argv[1]).resolve()
def audit(event, args):
    if event == "open" and args and isinstance(args[0], (str, bytes, os.PathLike)):
        path = Path(os.fsdecode(args[0])).resolve()
        if path.is_relative_to(root.parent) and not path.is_relative_to(root):
            print("OUTSIDE", path, file=sys.stderr)
sys.addaudithook(audit)
sys.argv = sys.argv[2:]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


def test_the_catalog_builds_from_the_repositorys_own_reference():
    done = subprocess.run([sys.executable, "-c", WATCH, str(ROOT), str(ROOT / "tools" / "build_catalog.py"), "--check"],
                          capture_output=True, text=True, cwd=ROOT / "tests", timeout=300)
    assert "OUTSIDE" not in done.stderr, done.stderr
    assert done.returncode == 0, done.stderr


def test_the_reference_is_complete_with_its_licence_and_source_note():
    reference = ROOT / "reference"
    for name in ("README.md", "LICENSE", "operations.csv", "API-NOTES.md", "openapi/SOURCE.md",
                 "common/common-schemas.json", "docs/oauth", "docs/webhook-events"):
        assert (reference / name).exists(), name
    assert "CC0" in (reference / "LICENSE").read_text()
    from airflow_provider_ghl.catalog import operations

    for area in {op.area for op in operations().values()}:
        assert (reference / "openapi" / f"{area}.json").is_file(), area
        assert (reference / "openapi-v3" / f"{area}-v3.json").is_file(), area


def test_no_tracked_file_points_beside_the_repository():
    files = subprocess.run(["git", "ls-files"], capture_output=True, text=True, cwd=ROOT, check=True).stdout.split()
    offenders = []
    for name in files:
        if name.startswith("reference/"):
            continue
        try:
            text = (ROOT / name).read_text()
        except (UnicodeDecodeError, IsADirectoryError):
            continue
        if any(pattern in text for pattern in BESIDE_THE_REPOSITORY):
            offenders.append(name)
    assert not offenders, offenders
