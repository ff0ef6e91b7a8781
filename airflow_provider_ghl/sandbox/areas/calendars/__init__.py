"""Sandbox handlers and seed data for HighLevel's calendars area.

Tables: ``calendar_groups``, ``calendars``, ``events`` (appointments and blocked slots; a blocked slot carries
``_block``), ``appointment_notes``, ``calendar_notifications``, ``calendar_resources``. Events keep their times
as ISO strings (the API shape) plus ``_start``/``_end`` epoch ms, so window queries are plain integer compares.

One module per part of the API (``groups``, ``calendars``, ``slots``, ``events``, ``notes``, ``notifications``,
``resources``) over ``common``, plus ``seed_data``. Importing the package registers every route.
"""

from __future__ import annotations

from airflow_provider_ghl.sandbox.areas.calendars import (
    calendars,
    events,
    groups,
    notes,
    notifications,
    resources,
    slots,
)
from airflow_provider_ghl.sandbox.areas.calendars.seed_data import seed

__all__ = ["calendars", "events", "groups", "notes", "notifications", "resources", "seed", "slots"]
