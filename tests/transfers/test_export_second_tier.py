"""GHLExportOperator with operations of the catalog's second tier (no named class): every record once across
pages, in the chosen version's request shape; incremental only where the records carry timestamps."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from airflow_provider_ghl.catalog import Timestamps, get_operation
from airflow_provider_ghl.exceptions import GHLInputError, GHLUnknownOperationError
from airflow_provider_ghl.transfers.export import GHLExportOperator
from tests.conftest import task_context
from tests.hostile import LOCATION_ID, Reply

QUERY = {"altId": LOCATION_ID, "altType": "location", "limit": 3, "offset": 0}


def pages(invoices: list[dict]):
    def reply(request):
        offset, limit = int(request.query["offset"]), int(request.query["limit"])
        return Reply(200, {"invoices": invoices[offset:offset + limit], "total": len(invoices)})

    return reply


@pytest.mark.parametrize(("api_version", "header"), [(None, "2021-07-28"), ("v3", "v3")])
def test_a_second_tier_list_exports_every_record_once(hostile, tmp_path, api_version, header):
    invoices = [{"_id": f"inv{n:04d}", "total": n} for n in range(8)]
    hostile.route("GET", "/invoices/", pages(invoices))
    target = tmp_path / "invoices.jsonl"
    result = GHLExportOperator(task_id="invoices", operation="invoices__list_invoices", path=str(target), mode="full",
                               query=QUERY, api_version=api_version, ghl_conn_id="ghl_hostile"
                               ).execute(task_context("invoices"))
    assert result["count"] == 8
    assert [json.loads(line) for line in target.read_text().splitlines()] == invoices
    assert [(int(r.query["offset"]), r.headers["version"]) for r in hostile.sent()] == \
        [(0, header), (3, header), (6, header)]


def test_incremental_needs_timestamps_and_says_to_export_in_full(hostile, tmp_path):
    untimed = get_operation("available_numbers")  # its records carry no creation or change time
    assert untimed.is_collection and untimed.timestamps is None
    with pytest.raises(GHLInputError, match="mode='full'"):
        GHLExportOperator(task_id="x", operation="available_numbers", path=str(tmp_path / "x.jsonl"),
                          ghl_conn_id="ghl_hostile")
    with pytest.raises(GHLUnknownOperationError, match="Did you mean"):
        GHLExportOperator(task_id="x", operation="list_invoicez", path=str(tmp_path / "x.jsonl"), mode="full")
    with pytest.raises(GHLInputError, match="one record"):
        GHLExportOperator(task_id="x", operation="get_invoice", path=str(tmp_path / "x.jsonl"), mode="full")
    assert hostile.sent() == []


def test_a_second_tier_list_with_timestamps_exports_the_interval(hostile, tmp_path):
    from datetime import UTC, datetime

    invoices = [{"_id": f"inv{n:04d}", "createdAt": f"2026-01-0{n + 1}T12:00:00.000Z",
                 "updatedAt": f"2026-01-0{n + 1}T12:00:00.000Z"} for n in range(6)]
    hostile.route("GET", "/invoices/", pages(invoices))
    target = tmp_path / "invoices.jsonl"
    interval = (datetime(2026, 1, 2, tzinfo=UTC), datetime(2026, 1, 4, tzinfo=UTC))
    result = GHLExportOperator(task_id="invoices", operation="invoices__list_invoices", path=str(target),
                               query=QUERY, ghl_conn_id="ghl_hostile").execute(task_context("invoices", interval=interval))
    assert result["count"] == 2
    assert [json.loads(line)["_id"] for line in target.read_text().splitlines()] == ["inv0001", "inv0002"]


def test_second_tier_timestamps_come_from_the_record_schema_and_the_seed_keeps_its_curated_ones():
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))
    from build_catalog import derived_timestamps

    # One rule for both tiers, applied when the catalog is built.
    assert derived_timestamps(["_id", "createdAt", "updatedAt", "total"]) == {"created": "createdAt", "updated": "updatedAt"}
    assert derived_timestamps(["id", "dateAdded"]) == {"created": "dateAdded", "updated": None}
    assert derived_timestamps(["id", "name"]) is None
    assert get_operation("invoices__list_invoices").timestamps == Timestamps("createdAt", "updatedAt")
    assert get_operation("invoices__list_invoices", "v3").timestamps == Timestamps("createdAt", "updatedAt")
    # A seed operation keeps its curated answer in both versions (list_campaigns: none, on purpose).
    for version in ("v2", "v3"):
        assert get_operation("list_campaigns", version).timestamps is None
        assert get_operation("search_contacts", version).timestamps == get_operation("search_contacts").timestamps
