"""Sandbox handlers and seed data for HighLevel's campaigns area (legacy drip campaigns, read-only)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from airflow_provider_ghl.sandbox.routing import Call, handles, of_location, pick

if TYPE_CHECKING:
    from airflow_provider_ghl.sandbox.state import SandboxState

CAMPAIGN_FIELDS = ("id", "name", "status", "locationId")
SEED_CAMPAIGNS = (
    ("Spring Promotion", "published"), ("Reactivation Drip", "published"), ("Holiday Offers", "draft"),
    ("Onboarding Sequence", "published"), ("Referral Program", "draft"),
)


def seed(state: SandboxState) -> None:
    for name, status in SEED_CAMPAIGNS:
        state.insert("campaigns", {"id": state.new_id(), "name": name, "status": status,
                                   "locationId": state.location_id})


@handles("list_campaigns")
def list_campaigns(call: Call) -> dict:
    status = call.query.get("status")
    campaigns = [
        pick(c, CAMPAIGN_FIELDS) for c in of_location(call.table("campaigns").values(), call.location_id)
        if not status or c["status"] == status
    ]
    return {"campaigns": campaigns}
