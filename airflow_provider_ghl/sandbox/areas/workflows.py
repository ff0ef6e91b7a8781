"""Sandbox handlers and seed data for HighLevel's workflows area (automations, read-only over the API)."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from airflow_provider_ghl.sandbox.areas.locations import seeded_moments
from airflow_provider_ghl.sandbox.routing import Call, handles, of_location, pick
from airflow_provider_ghl.sandbox.state import iso

if TYPE_CHECKING:
    from airflow_provider_ghl.sandbox.state import SandboxState

WORKFLOW_FIELDS = ("id", "name", "status", "version", "createdAt", "updatedAt", "locationId")
WORKFLOW_NAMES = (
    "New Lead Nurture", "Appointment Reminder", "No-Show Follow Up", "Review Request", "Birthday Greeting",
    "Missed Call Text Back", "Invoice Overdue Reminder", "Win-Back Campaign", "Webinar Registration",
    "Pipeline Stage Alert",
)


def seed(state: SandboxState) -> None:
    count = len(WORKFLOW_NAMES) + state.config.contacts // 1000
    for index, created in enumerate(seeded_moments(state, count)):
        name = WORKFLOW_NAMES[index % len(WORKFLOW_NAMES)]
        version = state.rng.randint(1, 12)
        state.insert("workflows", {
            "id": state.new_id(), "name": name if index < len(WORKFLOW_NAMES) else f"{name} {index}",
            # Most automations are live; a few are still drafts.
            "status": "draft" if index % 4 == 3 else "published", "version": version,
            "createdAt": iso(created), "updatedAt": iso(created + timedelta(hours=version)),
            "locationId": state.location_id,
        })


@handles("list_workflows")
def list_workflows(call: Call) -> dict:
    workflows = sorted(of_location(call.table("workflows").values(), call.location_id), key=lambda w: w["name"])
    return {"workflows": [pick(w, WORKFLOW_FIELDS) for w in workflows]}
