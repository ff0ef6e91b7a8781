"""The sandbox's areas, in one list: importing this package registers every area's handlers.

``AREAS`` is also the seeding order: an area seeds after the areas its records point at (contacts after users
and businesses, opportunities after contacts, the reporting areas' invoices and submissions last), and every
seeder draws from the one seeded Random, so the order is part of what a seed reproduces. Dependencies run one
way: ``app`` imports this package, the areas import ``routing``/``state`` and the areas listed before them, and
``state`` imports no area (it is handed ``seed_world``).
"""

from __future__ import annotations

import gc
from types import ModuleType
from typing import TYPE_CHECKING

from airflow_provider_ghl.sandbox.areas import (
    associations,
    blogs,
    businesses,
    calendars,
    campaigns,
    companies,
    contacts,
    conversations,
    locations,
    opportunities,
    reporting,
    snapshots,
    users,
    workflows,
)

if TYPE_CHECKING:
    from airflow_provider_ghl.sandbox.state import SandboxState

AREAS: tuple[ModuleType, ...] = (
    locations, users, businesses, workflows, campaigns, snapshots, companies,
    contacts, calendars, opportunities, conversations, associations, blogs, reporting,
)


def load_areas() -> tuple[ModuleType, ...]:
    """The area modules, their handlers registered (importing this package did that)."""
    return AREAS


def seed_world(state: SandboxState) -> None:
    """Every area's ``seed(state)``, in ``AREAS`` order."""
    # Seeding builds many small dicts that live as long as the sandbox: the cyclic garbage collector
    # would only rescan them (about 40% of seeding time at 50,000 contacts).
    collecting = gc.isenabled()
    gc.disable()
    try:
        for area in AREAS:
            seeder = getattr(area, "seed", None)
            if seeder is not None:
                seeder(state)
    finally:
        if collecting:
            gc.enable()
        gc.freeze()
