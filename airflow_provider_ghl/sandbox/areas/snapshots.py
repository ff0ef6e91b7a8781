"""Sandbox handlers and seed data for HighLevel's snapshots area (an agency's account templates)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from airflow_provider_ghl.sandbox.areas.companies import check_company
from airflow_provider_ghl.sandbox.routing import Call, handles, pick

if TYPE_CHECKING:
    from airflow_provider_ghl.sandbox.state import SandboxState

SNAPSHOT_FIELDS = ("id", "name", "type")
# ``own``: built by the agency; ``imported``: shared in from another agency; ``vertical``: HighLevel's templates.
SEED_SNAPSHOTS = (
    ("Dental Practice Starter", "own"), ("Gym Membership Funnel", "own"), ("Law Firm Intake", "imported"),
    ("Real Estate Lead Machine", "vertical"),
)


def seed(state: SandboxState) -> None:
    for name, kind in SEED_SNAPSHOTS:
        state.insert("snapshots", {"id": state.new_id(), "name": name, "type": kind, "_companyId": state.company_id})


@handles("list_snapshots")
def list_snapshots(call: Call) -> dict:
    company_id = check_company(call, call.query["companyId"])
    return {"snapshots": [
        pick(s, SNAPSHOT_FIELDS) for s in call.table("snapshots").values() if s["_companyId"] == company_id
    ]}
