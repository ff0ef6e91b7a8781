"""GHLExportOperator with operations of the catalog's second tier (no named class): every record once across
pages, in the chosen version's request shape; incremental only where the records carry timestamps."""

from __future__ import annotations

import dataclasses
import json

import pytest

from airflow_provider_ghl.catalog import Timestamps, get_operation, record_timestamps
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
    with pytest.raises(GHLInputError, match="mode='full'"):
        GHLExportOperator(task_id="x", operation="invoices__list_invoices", path=str(tmp_path / "x.jsonl"),
                          query=QUERY, ghl_conn_id="ghl_hostile")
    with pytest.raises(GHLUnknownOperationError, match="Did you mean"):
        GHLExportOperator(task_id="x", operation="list_invoicez", path=str(tmp_path / "x.jsonl"), mode="full")
    with pytest.raises(GHLInputError, match="one record"):
        GHLExportOperator(task_id="x", operation="get_invoice", path=str(tmp_path / "x.jsonl"), mode="full")
    assert hostile.sent() == []


def test_second_tier_timestamps_come_from_the_record_schema_and_the_seed_keeps_its_curated_ones():
    listing = get_operation("invoices__list_invoices")
    assert record_timestamps(listing) is None  # the spec lists no record fields for it
    stamped = dataclasses.replace(listing, record_fields=("_id", "createdAt", "updatedAt", "total"))
    assert record_timestamps(stamped) == Timestamps("createdAt", "updatedAt")
    added_only = dataclasses.replace(listing, record_fields=("id", "dateAdded"))
    assert record_timestamps(added_only) == Timestamps("dateAdded", None)
    campaigns = get_operation("list_campaigns")  # a seed list whose missing timestamps are the catalog's answer
    assert record_timestamps(dataclasses.replace(campaigns, record_fields=("id", "dateAdded"))) is None
    assert record_timestamps(get_operation("search_contacts")) == get_operation("search_contacts").timestamps
