"""The browser check: the distribution's headless Chromium (driven by Playwright, which downloads no browser) in
the cluster's UI. Screenshots go beside the run's logs, ``.cluster/run/logs/screenshots/``."""

from __future__ import annotations

import re
import shutil
import urllib.parse
from typing import TYPE_CHECKING

from ghl_cluster.deployment import LOGS, STATE
from ghl_cluster.runs import finish, trigger

if TYPE_CHECKING:
    from ghl_cluster.deployment import Airflow, Sandbox

SHOTS = LOGS / "screenshots"
# Headless without a network (as tests/ui/conftest.py): no calls to Google's services to hang on.
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]
FORM_FIELDS = ("API base URL", "Token (Private Integration or access token)", re.compile(r"^Port\b"))
LINK_DAG, LINK_TASK = "example_gestioo_contact_details", "find_contact"


def linked_run(airflow: Airflow, sandbox: Sandbox) -> str:
    """A finished run of example_gestioo_contact_details whose find_contact found a contact (so it links to it); the
    examples' own run may have looked for its sample customer before example_gestioo_new_contacts created it."""
    contact = sandbox.api("POST", "/contacts/", json={"firstName": "Linked", "locationId": sandbox.info["location_id"],
                                                      "email": "cluster-link@example.com"})["contact"]["id"]
    run_id = trigger(airflow, LINK_DAG, {"gestioo_id": "GES-CLUSTER", "contact_id": contact})
    if failed := finish(airflow, [(LINK_DAG, run_id)]):
        raise AssertionError(f"{failed}")
    return run_id


def browser(airflow: Airflow, sandbox: Sandbox) -> str:
    """The UI loads; the ``ghl`` connection form shows its fields; Test succeeds for ghl_default; a finished
    operator task (find_contact of example_gestioo_contact_details) shows "View in HighLevel"."""
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        raise AssertionError("no chromium (apt-get install chromium)")
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(STATE / "chromium-profile"), executable_path=executable, headless=True, args=CHROMIUM_FLAGS,
            viewport={"width": 1400, "height": 1000})
        context.set_default_timeout(60_000)
        page = context.new_page()
        try:
            page.goto(airflow.url)
            page.get_by_role("link", name=re.compile("Dags", re.I)).first.wait_for()
            page.screenshot(path=str(SHOTS / "1-home.png"))

            page.goto(f"{airflow.url}/connections")
            page.get_by_role("button", name="Add Connection").click()
            dialog = page.get_by_role("dialog")
            dialog.get_by_role("combobox").fill("HighLevel")
            page.keyboard.press("Enter")
            for label in FORM_FIELDS:
                dialog.get_by_label(label).wait_for()
            page.screenshot(path=str(SHOTS / "2-ghl-connection-form.png"))
            page.keyboard.press("Escape")

            page.goto(f"{airflow.url}/connections")
            cell = page.get_by_test_id("table-cell-connection_id").get_by_text("ghl_default", exact=True)
            page.locator("tr").filter(has=cell).get_by_role("button", name="Test Connection").click()
            toast = page.locator("[data-scope=toast][data-part=root]").filter(has_text="Test Connection Successful")
            toast.first.wait_for()
            message = toast.first.inner_text()
            page.screenshot(path=str(SHOTS / "3-test-connection.png"))
            if f"Connected to HighLevel at {sandbox.url}" not in message:
                raise AssertionError(f"Test answered {message!r}")

            run_id = urllib.parse.quote(linked_run(airflow, sandbox), safe="")
            page.goto(f"{airflow.url}/dags/{LINK_DAG}/runs/{run_id}/tasks/{LINK_TASK}/details")
            page.get_by_text("Extra Links", exact=True).wait_for()
            link = page.get_by_role("link", name="View in HighLevel")
            href = link.get_attribute("href") or ""
            page.screenshot(path=str(SHOTS / "4-view-in-highlevel.png"))
            if not href.startswith(f"{sandbox.url}/__sandbox__/app/"):
                raise AssertionError(f"View in HighLevel points at {href!r}")
        except Exception:
            page.screenshot(path=str(SHOTS / "failure.png"))
            raise
        finally:
            context.close()
    return f"UI, ghl form fields, Test: {message.strip().splitlines()[-1][:40]}..., View in HighLevel; {SHOTS.name}/"
