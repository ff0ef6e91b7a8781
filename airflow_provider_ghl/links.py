"""The "View in HighLevel" extra link on operators that create or touch contacts, opportunities and appointments."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from airflow.sdk import BaseOperatorLink

if TYPE_CHECKING:
    from airflow.sdk import BaseOperator
    from airflow.sdk.types import TaskInstanceKey

DEFAULT_APP_URL = "https://app.gohighlevel.com"

# Where each kind of record lives in HighLevel's web app, relative to the location.
RECORD_PAGES: dict[str, str] = {
    "contact": "contacts/detail/{id}",
    "opportunity": "opportunities/list?opportunityId={id}",
    "appointment": "calendars/view?eventId={id}",
}


def record_url(app_url: str, location_id: str, kind: str, record_id: str) -> str:
    """The page of one record in HighLevel's app (or the sandbox's record viewer)."""
    page = RECORD_PAGES[kind].format(id=record_id)
    return f"{app_url.rstrip('/')}/v2/location/{location_id}/{page}"


class GHLRecordLink(BaseOperatorLink):
    """Links a task to the HighLevel record it created or changed.

    The operator sets ``ghl_record_url`` while it runs; Airflow's worker reads it through this link
    when the task ends and keeps it with the task instance for the UI.
    """

    name: ClassVar[str] = "View in HighLevel"

    def get_link(self, operator: BaseOperator, *, ti_key: TaskInstanceKey) -> str:
        return getattr(operator, "ghl_record_url", None) or ""
