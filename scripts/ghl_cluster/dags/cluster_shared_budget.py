"""The cluster's shared-budget check: 8 exports of one location's contacts at once, spread over both Celery workers
(one HighLevel rate budget per location and app, shared by every worker)."""

from __future__ import annotations

import os

import pendulum
from airflow.sdk import dag

from airflow_provider_ghl.transfers.export import GHLExportOperator

EXPORTS = 8
OUTPUT = os.environ.get("GHL_EXAMPLE_OUTPUT", "/tmp/ghl-cluster")


@dag(schedule=None, start_date=pendulum.datetime(2026, 1, 1, tz="UTC"), catchup=False, tags=["ghl", "cluster"],
     max_active_tasks=EXPORTS)
def cluster_shared_budget():
    # 2 records a page: 100 requests per export of the sandbox's 200 contacts, 800 in all: eight times the burst
    # HighLevel allows the location, so the exports run at the limit's sustained rate for most of their time.
    GHLExportOperator.partial(task_id="export", operation="search_contacts", mode="full", page_size=2).expand(
        path=[f"{OUTPUT}/budget/contacts_{index}.jsonl" for index in range(EXPORTS)])


cluster_shared_budget()
