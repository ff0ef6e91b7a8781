"""Webhook test fixtures: a signing key, the metadata DB with the consumer DAG of ``dags/``, event queries."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_ghl.webhooks.signing import new_private_key
from tests.webhooks.helpers import LOCATION

DAGS = Path(__file__).resolve().parent / "dags"
CONSUMER = "ghl_webhook_consumer"


@pytest.fixture(scope="session")
def signing_key():
    return new_private_key()


@pytest.fixture(scope="session")
def webhook_db() -> str:
    """The session's metadata DB (created if no test made it yet) with ``dags/`` parsed into it: the asset
    ``ghl://wbhkLoc0001/contacts`` exists and the unpaused DAG ``ghl_webhook_consumer`` is scheduled on it."""
    from airflow.dag_processing.bundles.manager import DagBundlesManager
    from airflow.dag_processing.dagbag import BundleDagBag, sync_bag_to_db
    from airflow.utils.db import initdb

    initdb()
    DagBundlesManager().sync_bundles_to_db()
    bag = BundleDagBag(dag_folder=str(DAGS), bundle_path=DAGS, bundle_name="dags-folder")
    assert not bag.import_errors, bag.import_errors
    sync_bag_to_db(bag, "dags-folder", None)
    return f"ghl://{LOCATION}/contacts"


def asset_events(webhook_id: str | None = None, uri: str | None = None) -> list[Any]:
    """Asset events recorded for a webhook id (or every ghl webhook event of an asset), straight from the DB."""
    from airflow.models.asset import AssetEvent, AssetModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        query = select(AssetEvent).join(AssetModel, AssetModel.id == AssetEvent.asset_id)
        if webhook_id is not None:
            query = query.where(AssetEvent.extra["webhook_id"].as_string() == webhook_id)
        if uri is not None:
            query = query.where(AssetModel.uri == uri)
        rows = session.scalars(query.order_by(AssetEvent.id)).all()
        for row in rows:
            session.expunge(row)
        return rows


def queued_runs(dag_id: str = CONSUMER) -> list[Any]:
    from airflow.models.asset import AssetDagRunQueue
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        return list(session.scalars(select(AssetDagRunQueue.asset_id).where(AssetDagRunQueue.target_dag_id == dag_id)))


class ServerThread:
    """A real uvicorn server for an ASGI app on a free loopback port, in a thread of this process."""

    def __init__(self, app: Any) -> None:
        import uvicorn

        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)

    def __enter__(self) -> ServerThread:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.should_exit = True
        self.thread.join(10)
        self.sock.close()


@pytest.fixture
def serve() -> Iterator[Any]:
    servers: list[ServerThread] = []

    def start(app: Any) -> ServerThread:
        servers.append(ServerThread(app).__enter__())
        return servers[-1]

    yield start
    for server in servers:
        server.__exit__()
