"""The receiver's FastAPI app: ``POST /webhooks`` (``/ghl/webhooks`` once the plugin mounts it), nothing else.

Thin on purpose: it bounds and reads the body, asks ``verify.Verifier`` what the delivery is, and hands an
accepted one to the process's ``recorder.BatchWriter`` (a thread: the database is synchronous), which commits
the asset event before the answer is sent. No Airflow login: the signature is the authentication.
Logs name the outcome, event type and webhook id; never the body, headers or keys.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from airflow_provider_ghl.webhooks import recorder, settings
from airflow_provider_ghl.webhooks.verify import Verifier

log = logging.getLogger("airflow_provider_ghl.webhooks")


class _TooLarge(Exception):
    pass


async def _read_body(request: Request, limit: int) -> bytes:
    """The whole body, refusing (``_TooLarge``) as soon as it passes ``limit`` bytes: never read whole first."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _TooLarge
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def _answer(status: int, body: dict[str, Any]) -> JSONResponse:
    return JSONResponse(body, status_code=status)


def create_app(config: settings.ReceiverSettings | None = None, *, verifier: Verifier | None = None,
               clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> FastAPI:
    """The receiver app. ``config`` defaults to Airflow's ``[ghl]`` options, read once here; a bad option
    makes every delivery answer 503 with a message naming the option (the API server still starts)."""
    problem = None
    if config is None:
        try:
            config = settings.load()
        except ValueError as error:
            config, problem = settings.ReceiverSettings(), str(error)
    if verifier is None:
        verifier = Verifier.from_settings(config)
    if problem is not None:
        verifier.problem = problem
    if verifier.problem:
        log.error("HighLevel webhook receiver refuses every delivery: %s", verifier.problem)

    app = FastAPI(title="HighLevel webhooks", openapi_url=None, docs_url=None, redoc_url=None, redirect_slashes=False)
    app.state.settings = config
    app.state.verifier = verifier
    app.state.writer = writer = recorder.BatchWriter(payload_max_bytes=config.payload_max_bytes,
                                                     max_age_s=config.max_age_s)
    limit = config.max_body_bytes

    @app.post("/webhooks")
    async def receive(request: Request) -> JSONResponse:
        if verifier.problem:
            return _answer(503, {"status": "not_configured", "message": verifier.problem})
        try:
            body = await _read_body(request, limit)
        except _TooLarge:
            log.warning("webhook refused: body above %s = %d bytes", settings.setting("webhook_max_body_bytes"), limit)
            return _answer(413, {"status": "too_large", "message": f"body above {limit} bytes "
                                 f"({settings.setting('webhook_max_body_bytes')})"})
        decision = verifier.decide(body, request.headers, clock())
        if decision.delivery is None:
            level = logging.WARNING if decision.status >= 400 else logging.INFO
            log.log(level, "webhook %s (HTTP %d): %s", decision.outcome, decision.status, decision.message)
            return _answer(decision.status, decision.answer())
        delivery = decision.delivery
        try:
            result = await asyncio.wrap_future(writer.submit(delivery))
        except Exception as error:  # the database is down or busy: HighLevel retries a 5xx
            log.error("webhook %s %s not recorded: %s", delivery.event_type, delivery.webhook_id, type(error).__name__)
            return _answer(503, {"status": "error", "message": "the event could not be recorded; retry later"})
        log.info("webhook %s %s -> %s: %s", delivery.event_type, delivery.webhook_id, result.asset_uri, result.outcome)
        return _answer(200, {"status": result.outcome, "event_type": delivery.event_type, "asset_uri": result.asset_uri})

    return app
