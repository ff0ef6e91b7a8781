"""A fresh PostgreSQL database for tests that run Airflow on production's database.

``GHL_TEST_POSTGRES_URL`` names a role that may create databases, e.g.
``postgresql+psycopg2://ghl_test:ghl_test@127.0.0.1:5432/postgres`` (``.ci/run`` installs and starts PostgreSQL
on loopback and exports it).
"""

from __future__ import annotations

import os
import uuid
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

URL_VARIABLE = "GHL_TEST_POSTGRES_URL"


def under_ci() -> bool:
    return os.environ.get("CI", "").lower() not in ("", "0", "false")


def unavailable(reason: str) -> None:
    """Fail under CI (a module that needs PostgreSQL must not pass without it); skip loudly elsewhere."""
    if under_ci():
        pytest.fail(f"{reason} (CI must run the PostgreSQL tests: .ci/run installs PostgreSQL and sets {URL_VARIABLE})")
    warnings.warn(f"PostgreSQL tests skipped: {reason}", stacklevel=2)
    pytest.skip(reason)


def admin_url() -> str | None:
    """The role's URL, or ``None`` when the variable is unset; a missing driver is :func:`unavailable`."""
    url = os.environ.get(URL_VARIABLE)
    if url:
        for driver in ("psycopg2", "asyncpg"):  # Airflow's sync and async engines on PostgreSQL
            try:
                __import__(driver)
            except ImportError:
                unavailable(f"the {driver} driver is not installed (pip install -e '.[test]')")
    return url


@contextmanager
def fresh_database(url: str, prefix: str) -> Iterator[str]:
    """A new database on ``url``'s server (its URL, with the psycopg2 driver), dropped afterwards."""
    from sqlalchemy import create_engine, make_url, text

    admin = make_url(url).set(drivername="postgresql+psycopg2")
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as error:
        engine.dispose()
        unavailable(f"cannot create a database with {URL_VARIABLE} ({type(error).__name__}: {error})")
    try:
        yield admin.set(database=name).render_as_string(hide_password=False)
    finally:
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()
