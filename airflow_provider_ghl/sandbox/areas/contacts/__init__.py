"""Sandbox handlers and seed data for HighLevel's contacts area.

Contacts with their tasks and notes, tags, followers, campaign and workflow enrolments, duplicate
rules, and the two ways to page through them: the deprecated ``GET /contacts/`` cursor
(``startAfter`` + ``startAfterId``) and ``POST /contacts/search`` (page or ``searchAfter``).

Modules, each importing only those listed before it: ``index`` (the tables and the index beside them),
``checks`` (body validation), ``writes``, then ``handlers``, ``search``, ``tasks_notes`` (the routes)
and ``seed_data``. Importing the package registers every route.
"""

from __future__ import annotations

from airflow_provider_ghl.sandbox.areas.contacts import handlers, search, tasks_notes
from airflow_provider_ghl.sandbox.areas.contacts.seed_data import seed

__all__ = ["handlers", "search", "seed", "tasks_notes"]
