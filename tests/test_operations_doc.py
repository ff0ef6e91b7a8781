"""docs/operations.md is what tools/operations_doc.py makes from the catalog: every operation once, per version."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from airflow_provider_ghl.catalog import all_keys, get_operation

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import operations_doc  # noqa: E402


def test_the_committed_reference_is_up_to_date():
    assert operations_doc.DOC.read_text() == operations_doc.render(), "run python tools/operations_doc.py"


def test_every_operation_has_one_row_with_each_version_form():
    rows = {m.group(1): line for line in operations_doc.DOC.read_text().splitlines()
            if (m := re.match(r"\| `([a-z0-9_]+)` \|", line))}
    assert sorted(rows) == sorted(all_keys())
    invoice = rows["get_invoice"]
    assert "`GET /invoices/{invoiceId}`" in invoice and "`2021-07-28` / `v3`" in invoice
    assert "`invoices.readonly`" in invoice
    assert f"| {get_operation('invoices__list_invoices').paging_style} |" in rows["invoices__list_invoices"]
    assert "`operators.contacts.GHLCreateContactOperator`" in rows["create_contact"]


def test_the_readme_links_the_reference_and_documents_the_generic_classes():
    readme = (ROOT / "README.md").read_text()
    assert "docs/operations.md" in readme
    for name in ("GHLRunOperationOperator", "GHLOperationSensor", "invoices__list_invoices"):
        assert name in readme
