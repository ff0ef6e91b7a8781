"""GHLExportOperator across runs: a killed export's leftovers, and runs that have no data interval."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from airflow_provider_ghl.transfers.export import GHLExportOperator
from tests.conftest import task_context

pytestmark = pytest.mark.usefixtures("ghl_connections")
ROOT = Path(__file__).resolve().parents[2]

# An export in its own process that stops mid-write (records already on disk) and says so, to be killed there.
STALLED_EXPORT = textwrap.dedent("""
    import sys, time
    from airflow_provider_ghl.transfers import export

    export.FLUSH_BYTES = 1  # every record reaches the file at once
    original = export.GHLExportOperator.selected

    def stalling(self, window):
        for number, record in enumerate(original(self, window), 1):
            yield record
            if number == 20:
                print("WRITING", flush=True)
                time.sleep(3600)

    export.GHLExportOperator.selected = stalling
    export.GHLExportOperator(task_id="export", operation="search_contacts", mode="full", path=sys.argv[1]).execute({})
""")


def partials(folder: Path) -> list[Path]:
    return sorted(folder.glob(".*.partial"))


def read_ids(path: Path) -> list[str]:
    return [json.loads(line)["id"] for line in path.read_text().splitlines()]


def test_a_killed_export_leaves_records_that_the_next_run_into_the_target_removes(fresh_sandbox, tmp_path):
    target = tmp_path / "contacts.jsonl"
    writer = subprocess.Popen([sys.executable, "-c", STALLED_EXPORT, str(target)], cwd=ROOT, stdout=subprocess.PIPE,
                              env={**os.environ, "PYTHONPATH": str(ROOT)}, text=True)
    try:
        lines = iter(writer.stdout.readline, "")  # Airflow logs to stdout too; ends if the writer dies
        assert any(line.strip() == "WRITING" for line in lines), "the export did not start writing"
        [leftover] = partials(tmp_path)
        assert leftover.name.startswith(".contacts.jsonl.") and leftover.stat().st_size > 0  # contact records

        # Another run into the same target while the first is alive: it must not delete a live export's file.
        GHLExportOperator(task_id="export", operation="search_contacts", mode="full", path=str(target)).execute({})
        assert partials(tmp_path) == [leftover]
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait()
    assert partials(tmp_path) == [leftover], "a SIGKILLed export cannot clean up after itself"

    # Files that are not this target's leftovers stay: other targets' temporary files, look-alikes, outputs.
    others = [tmp_path / name for name in (".contacts.jsonl.bak", ".other.jsonl.0123abcd.partial",
                                           ".contacts.jsonl.notahex!.partial", "contacts.jsonl.0123abcd.partial")]
    for other in others:
        other.write_text("keep me")

    result = GHLExportOperator(task_id="export", operation="search_contacts", mode="full",
                               path=str(target)).execute({})

    assert not leftover.exists()
    assert sorted(p for p in tmp_path.iterdir() if p.name != target.name) == sorted(others)
    contacts = {c["id"] for c in fresh_sandbox.control("GET", "tables/contacts")
                if c["locationId"] == fresh_sandbox.location_id}
    assert sorted(read_ids(target)) == sorted(contacts) and result["count"] == len(contacts)


def test_an_incremental_export_in_a_run_without_a_data_interval_exports_every_record(fresh_sandbox, tmp_path):
    # Airflow 3: a run started with "logical_date": null (REST API, `airflow dags trigger`) has no interval.
    target = tmp_path / "contacts.jsonl"
    result = GHLExportOperator(task_id="export", operation="search_contacts", path=str(target)).execute(task_context())
    contacts = {c["id"] for c in fresh_sandbox.control("GET", "tables/contacts")
                if c["locationId"] == fresh_sandbox.location_id}
    assert sorted(read_ids(target)) == sorted(contacts)
    assert result["window"] is None and result["count"] == len(contacts)


def test_an_interval_watermark_sensor_in_a_run_without_a_data_interval_watches_with_its_cursor(fresh_sandbox,
                                                                                             cursor_store):
    from airflow_provider_ghl.sensors.contacts import GHLSearchContactsSensor

    sensor = GHLSearchContactsSensor(task_id="new_contacts", watermark="interval", max_records=5)
    first = sensor.poke(task_context("new_contacts"))
    second = sensor.poke(task_context("new_contacts"))
    assert first.is_done and second.is_done
    delivered = [r["id"] for r in first.xcom_value + second.xcom_value]
    assert len(delivered) == len(set(delivered)) == 10, "the cursor delivers each record once"
    assert list(cursor_store) == ["ghl_cursor__test_dag__new_contacts"]
