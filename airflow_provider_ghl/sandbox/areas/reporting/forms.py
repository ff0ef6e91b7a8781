"""Forms and surveys with their submissions, stateful: the lists (``type`` aside; ``skip``/``limit``) and the
submissions (by form or survey, ``q`` on name and email, ``startAt``/``endAt`` on ``createdAt``, ``page``/``limit``
with HighLevel's ``meta``). Tables ``forms``, ``surveys``, ``form_submissions``, ``survey_submissions``.

HighLevel lists only the last month's submissions unless ``startAt`` says otherwise ("By default it will be same
date of last month"), and so does the sandbox: a full export of older submissions passes ``startAt``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from airflow_provider_ghl.sandbox.areas.reporting.common import (
    in_range,
    location_of,
    matching,
    offset_slice,
    page_number_slice,
    searched,
)
from airflow_provider_ghl.sandbox.records import public
from airflow_provider_ghl.sandbox.routing import Call, handles


def _shown(record: dict) -> dict:
    return public(record, without=("locationId",))


def _same_day_last_month(now: datetime) -> datetime:
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    first_of_month = day.replace(day=1)
    previous = first_of_month - timedelta(days=1)
    return previous.replace(day=min(day.day, previous.day))


def _list(call: Call, table: str, records_key: str) -> dict:
    location = location_of(call)
    records = sorted((r for r in call.table(table).values() if r["locationId"] == location),
                     key=lambda r: (r["name"], r["id"]))
    return {records_key: [dict(r) for r in offset_slice(call, records)], "total": len(records)}


def _submissions(call: Call, table: str, parent: str) -> dict:
    location = location_of(call)
    records = matching((r for r in call.table(table).values() if r["locationId"] == location), call,
                       {parent: parent})
    keep = in_range(call, "createdAt", default_start=_same_day_last_month(call.state.now().astimezone(UTC)))
    records = searched([r for r in records if keep(r)], call.query.get("q"), ("name", "email"))
    records.sort(key=lambda r: (r["createdAt"], r["id"]), reverse=True)  # newest first, as HighLevel lists them
    page, meta = page_number_slice(call, records)
    return {"submissions": [_shown(r) for r in page], "meta": meta}


@handles("get_forms")
def list_forms(call: Call) -> dict:
    return _list(call, "forms", "forms")


@handles("get_surveys")
def list_surveys(call: Call) -> dict:
    return _list(call, "surveys", "surveys")


@handles("get_forms_submissions")
def list_form_submissions(call: Call) -> dict:
    return _submissions(call, "form_submissions", "formId")


@handles("get_surveys_submissions")
def list_survey_submissions(call: Call) -> dict:
    return _submissions(call, "survey_submissions", "surveyId")
