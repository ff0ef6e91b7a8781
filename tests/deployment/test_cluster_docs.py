"""``scripts/cluster``'s checks and the table of them in docs/deployment.md name the same checks, in the same order.

The checks themselves run only under ``scripts/cluster`` (opt-in, not CI: they need root, PostgreSQL, Redis and
Chromium); this keeps the page that describes them from drifting.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_deployment_page_lists_every_cluster_check_in_order():
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        from ghl_cluster.checks import CHECKS
    finally:
        sys.path.remove(str(ROOT / "scripts"))
    page = (ROOT / "docs" / "deployment.md").read_text()
    documented = re.findall(r"^\| `(\w+)` \|", page, re.MULTILINE)
    assert documented == [check.__name__ for check in CHECKS]


def test_the_readme_names_the_cluster_script():
    assert "scripts/cluster" in (ROOT / "README.md").read_text()
    assert (ROOT / "scripts" / "cluster").stat().st_mode & 0o111
