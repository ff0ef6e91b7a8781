"""The "View in HighLevel" link: the app URL comes from the connection; the sandbox serves the record page."""

from __future__ import annotations

import httpx
import pytest

from airflow_provider_ghl.links import DEFAULT_APP_URL, GHLRecordLink, record_url
from airflow_provider_ghl.operators.calendars import GHLUpdateAppointmentOperator
from airflow_provider_ghl.operators.contacts import GHLCreateContactOperator
from airflow_provider_ghl.operators.opportunities import GHLUpdateOpportunityOperator
from tests.conftest import task_context

pytestmark = pytest.mark.usefixtures("ghl_connections")


def test_record_url_shape():
    assert record_url(DEFAULT_APP_URL, "loc1", "contact", "c1") == (
        "https://app.gohighlevel.com/v2/location/loc1/contacts/detail/c1"
    )


def test_links_open_the_record_page_in_the_sandbox(fresh_sandbox, api):
    body = {"firstName": "Linked", "email": "linked@example.com"}
    created = GHLCreateContactOperator(task_id="create", body=body)
    contact_id = created.execute(task_context("create"))["contact"]["id"]
    url = GHLRecordLink().get_link(created, ti_key=None)
    assert url.startswith(fresh_sandbox.base_url) and url.endswith(f"/contacts/detail/{contact_id}")
    page = httpx.get(url)
    assert page.status_code == 200 and contact_id in page.text and "Linked" in page.text

    opportunity = fresh_sandbox.control("GET", "tables/opportunities")[0]
    op = GHLUpdateOpportunityOperator(task_id="opp", opportunity_id=opportunity["id"], body={"name": "Renamed deal"})
    op.execute(task_context("opp"))
    page = httpx.get(op.ghl_record_url)
    assert page.status_code == 200 and "Renamed deal" in page.text

    event = next(e for e in fresh_sandbox.control("GET", "tables/events") if e.get("contactId"))
    op = GHLUpdateAppointmentOperator(task_id="appt", event_id=event["id"], body={"title": "Moved call"})
    op.execute(task_context("appt"))
    assert httpx.get(op.ghl_record_url).status_code == 200


def test_unknown_record_page_is_404(sandbox):
    assert httpx.get(f"{sandbox.base_url}/__sandbox__/app/v2/location/x/contacts/detail/nope").status_code == 404
