"""Gestioo's sample data and ways to look at the sandbox, for the example DAG tests."""

from __future__ import annotations

import csv
import json
from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "example_dags" / "gestioo_data"
CUSTOMERS = list(csv.DictReader((DATA / "customers_new.csv").open(encoding="utf-8")))
BUSINESS_EVENT = json.loads((DATA / "events" / "business_updated.json").read_text())
CONTACT_EVENT = json.loads((DATA / "events" / "contact_opened.json").read_text())
ROUTING = json.loads((DATA / "routing.json").read_text())


def contact_by_email(api, email: str) -> dict | None:
    return api("GET", "/contacts/search/duplicate", params={"email": email}).json()["contact"]


def location_contacts(sandbox) -> list[dict]:
    return [c for c in sandbox.control("GET", "tables/contacts") if c["locationId"] == sandbox.location_id]
