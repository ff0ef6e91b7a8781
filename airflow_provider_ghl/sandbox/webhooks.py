"""The sandbox sends HighLevel's webhooks: every write through the API delivers signed event payloads.

Subscriptions come from ``ghl-sandbox --webhook-url URL`` (repeatable) or ``POST /__sandbox__/webhooks``
(``{"url": ..., "events": ["ContactCreate", ...]}``; no ``events``: every type). Which writes send which
events, and their fields, is the table in ``sandbox/events.py``.

Each delivery is a ``POST`` of the JSON body (the event's fields plus ``type``, ``locationId``, a unique
``webhookId`` and an ISO 8601 UTC ``timestamp``) with ``x-ghl-signature``: base64 of the Ed25519 signature
over the exact body bytes, made with the sandbox's own key (new at each start; ``--webhook-key seed``
derives it from ``--seed``). The public key is ``webhook_public_key`` in the startup JSON line: base64 of
its raw 32 bytes.

Delivery is asynchronous (the API answers first) and ordered per subscription. Retries follow
HighLevel's published policy by default: only a ``429`` answer is retried, up to 6 times (HighLevel
waits 10 minutes plus jitter between attempts; the sandbox waits ``interval_s * backoff ** (n - 1)``,
+/- ``jitter``, so 1, 2, 4, 8, 16, 32 s by default, and ``interval_s=600, backoff=1`` is HighLevel's own
schedule). ``retry.on = "any"`` also retries every other non-2xx answer, timeouts and refused connections.

Delivery faults, reproducible by ``chaos.seed`` (drawn in the order events are sent): ``duplicate_rate``
(the same delivery, same ``webhookId``, sent twice), ``reorder_rate`` (held back and sent after the next
delivery), ``delay_rate`` (held up to ``delay_s``), ``forge_rate`` (a signature by another key).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import json
import random
import time
import uuid
from collections import Counter, deque
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field, fields
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from airflow_provider_ghl.sandbox import events as catalog_events

if TYPE_CHECKING:
    import httpx

    from airflow_provider_ghl.sandbox.routing import Call
    from airflow_provider_ghl.sandbox.state import SandboxState

RETRY_ON = ("429", "any")
KEY_SOURCES = ("random", "seed")
LOG_SIZE = 1000
REORDER_WINDOW_S = 1.0
"""A delivery held back for reordering goes out after the next one, or after this long if none comes."""


@dataclass
class Retry:
    on: str = "429"
    retries: int = 6
    interval_s: float = 1.0
    backoff: float = 2.0
    jitter: float = 0.1
    timeout_s: float = 10.0

    def wait(self, retry: int, rng: random.Random) -> float:
        """Seconds before retry number ``retry`` (1-based)."""
        return self.interval_s * self.backoff ** (retry - 1) * (1 + rng.uniform(-self.jitter, self.jitter))


@dataclass
class Chaos:
    duplicate_rate: float = 0.0
    reorder_rate: float = 0.0
    delay_rate: float = 0.0
    delay_s: float = 2.0
    forge_rate: float = 0.0
    seed: int = 0


RULES: dict[str, tuple[float, float]] = {  # setting -> (minimum, maximum)
    "retries": (0, 20), "interval_s": (0, 3600), "backoff": (1, 10), "jitter": (0, 1), "timeout_s": (0.01, 600),
    "duplicate_rate": (0, 1), "reorder_rate": (0, 1), "delay_rate": (0, 1), "delay_s": (0, 600),
    "forge_rate": (0, 1), "seed": (-(2**63), 2**63 - 1),
}


def _update(target: Retry | Chaos, changes: Any, prefix: str) -> list[str]:
    """Check then apply ``changes``; the problems found (nothing applied if any)."""
    if not isinstance(changes, dict):
        return [f"{prefix} must be an object"]
    known = {f.name: f for f in fields(target)}
    problems = []
    for name, value in changes.items():
        if name not in known:
            problems.append(f"unknown setting {prefix}.{name}; known: {', '.join(sorted(known))}")
        elif name == "on":
            if value not in RETRY_ON:
                problems.append(f"{prefix}.on must be one of {', '.join(RETRY_ON)}")
        elif isinstance(value, bool) or not isinstance(value, int | float):
            problems.append(f"{prefix}.{name} must be a number")
        elif not RULES[name][0] <= value <= RULES[name][1]:
            problems.append(f"{prefix}.{name} must be between {RULES[name][0]} and {RULES[name][1]}")
        elif known[name].type in ("int", int) and value != int(value):
            problems.append(f"{prefix}.{name} must be an integer")
    if not problems:
        for name, value in changes.items():
            setattr(target, name, int(value) if known[name].type in ("int", int) else value)
    return problems


@dataclass
class Subscription:
    id: str
    url: str
    events: tuple[str, ...] = ()
    """Event types sent to this URL; empty: every type."""

    def wants(self, event_type: str) -> bool:
        return not self.events or event_type in self.events


@dataclass
class Delivery:
    subscription: Subscription
    webhook_id: str
    event_type: str
    body: bytes
    signature: str
    forged: bool = False
    duplicate: bool = False
    reordered: bool = False
    delayed_s: float = 0.0
    attempts: int = 0
    statuses: list[int | str] = field(default_factory=list)
    outcome: str = "pending"
    queued_at: float = field(default_factory=time.monotonic)
    sent_at: float | None = None

    def view(self) -> dict[str, Any]:
        return {"webhookId": self.webhook_id, "type": self.event_type, "url": self.subscription.url,
                "subscription": self.subscription.id, "outcome": self.outcome, "attempts": self.attempts,
                "statuses": list(self.statuses), "forged": self.forged, "duplicate": self.duplicate,
                "reordered": self.reordered, "delayed_s": round(self.delayed_s, 3),
                "latency_s": None if self.sent_at is None else round(self.sent_at - self.queued_at, 4)}


def signing_key(source: str, seed: int) -> Ed25519PrivateKey:
    """A new key, or one derived from ``seed`` (the same seed, the same key)."""
    if source == "seed":
        return Ed25519PrivateKey.from_private_bytes(hashlib.sha256(f"ghl-sandbox-webhooks:{seed}".encode()).digest())
    return Ed25519PrivateKey.generate()


def public_key_b64(key: Ed25519PrivateKey) -> str:
    return base64.b64encode(key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)).decode()


class Webhooks:
    """Subscriptions, the signing key, and the deliveries in flight. Lives on the event loop (no locks)."""

    def __init__(self, key: Ed25519PrivateKey | None = None) -> None:
        self.key = key or Ed25519PrivateKey.generate()
        self.subscriptions: list[Subscription] = []
        self.retry = Retry()
        self.chaos = Chaos()
        self.rng = random.Random(self.chaos.seed)
        self.counts: Counter[str] = Counter()
        self.log: deque[Delivery] = deque(maxlen=LOG_SIZE)
        self.pending: set[int] = set()
        self._queues: dict[str, asyncio.Queue[Delivery]] = {}
        self._held: dict[str, Delivery] = {}
        self._client: httpx.AsyncClient | None = None
        self._idle: asyncio.Event | None = None
        self._tasks: set[asyncio.Task] = set()

    # -- settings ---------------------------------------------------------------------------------
    @property
    def public_key(self) -> str:
        return public_key_b64(self.key)

    def subscribe(self, url: str, events: list[str] | tuple[str, ...] = ()) -> Subscription:
        subscription = Subscription(id=uuid.uuid4().hex[:12], url=url, events=tuple(events))
        self.subscriptions.append(subscription)
        return subscription

    def set_chaos_seed(self, seed: int) -> None:
        self.chaos.seed = seed
        self.rng = random.Random(seed)

    def settings(self) -> dict[str, Any]:
        return {"public_key": self.public_key, "subscriptions": [asdict(s) for s in self.subscriptions],
                "retry": asdict(self.retry), "chaos": asdict(self.chaos), "deliveries": self.tally()}

    def tally(self) -> dict[str, int]:
        return {"pending": len(self.pending), "sent": self.counts["sent"], "failed": self.counts["failed"],
                **{k: v for k, v in sorted(self.counts.items()) if k not in ("sent", "failed")}}

    # -- the hook points of the gateway -------------------------------------------------------------
    def before(self, call: Call) -> dict[str, dict] | None:
        """Called before a handler when there are subscriptions: a snapshot of what the write changes."""
        return catalog_events.snapshot(call)

    def after(self, call: Call, before: dict[str, dict], answer: Any) -> None:
        """Called after a successful handler: queue the deliveries of the events it causes."""
        from airflow_provider_ghl.sandbox.routing import Reply
        from airflow_provider_ghl.sandbox.state import iso

        if isinstance(answer, Reply):
            if answer.status >= 300:
                return
            answer = answer.body
        elif isinstance(answer, Response):
            return
        for event_type, location_id, fields_ in catalog_events.events(call, before, answer):
            self.counts["events"] += 1
            for subscription in self.subscriptions:
                if subscription.wants(event_type):
                    body = {"type": event_type, "locationId": location_id, **fields_,
                            "webhookId": str(uuid.uuid4()), "timestamp": iso(call.state.now())}
                    self._send(subscription, event_type, body)

    # -- delivery ---------------------------------------------------------------------------------
    def _send(self, subscription: Subscription, event_type: str, body: dict) -> None:
        raw = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
        chaos, draw = self.chaos, self.rng.random
        forged = draw() < chaos.forge_rate
        signer = (Ed25519PrivateKey.from_private_bytes(self.rng.randbytes(32)) if forged else self.key)
        delivery = Delivery(subscription, body["webhookId"], event_type, raw,
                            base64.b64encode(signer.sign(raw)).decode(), forged=forged)
        copies = [delivery]
        if draw() < chaos.duplicate_rate:
            copies.append(Delivery(subscription, delivery.webhook_id, event_type, raw, delivery.signature,
                                   forged=forged, duplicate=True))
        delayed = draw() < chaos.delay_rate
        delay = draw() * chaos.delay_s
        reordered = draw() < chaos.reorder_rate
        for copy in copies:
            self.pending.add(id(copy))
            self.log.append(copy)
            self.counts["queued"] += 1
            self.counts["duplicates"] += copy.duplicate
            self.counts["forged"] += copy.forged
        if self._idle is not None:
            self._idle.clear()
        loop = asyncio.get_running_loop()
        for copy in copies:
            if delayed:
                copy.delayed_s = delay
                self.counts["delayed"] += 1
                loop.call_later(delay, self._enqueue, copy)
            elif reordered and copy is copies[0]:
                copy.reordered = True
                self.counts["reordered"] += 1
                self._release(subscription.id)  # one held back at a time: an earlier one goes now
                self._held[subscription.id] = copy
                loop.call_later(REORDER_WINDOW_S, self._release, subscription.id, copy)
            else:
                self._enqueue(copy)

    def _release(self, subscription_id: str, delivery: Delivery | None = None) -> None:
        held = self._held.get(subscription_id)
        if held is not None and (delivery is None or held is delivery):
            del self._held[subscription_id]
            self._queue(subscription_id).put_nowait(held)

    def _queue(self, subscription_id: str) -> asyncio.Queue[Delivery]:
        queue = self._queues.get(subscription_id)
        if queue is None:
            queue = self._queues[subscription_id] = asyncio.Queue()
            self._spawn(self._worker(queue))
        return queue

    def _enqueue(self, delivery: Delivery) -> None:
        self._queue(delivery.subscription.id).put_nowait(delivery)
        self._release(delivery.subscription.id)

    def _spawn(self, coroutine: Any) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _worker(self, queue: asyncio.Queue[Delivery]) -> None:
        while True:
            delivery = await queue.get()
            await self._attempt(delivery)

    async def _attempt(self, delivery: Delivery) -> None:
        import httpx

        if self._client is None:
            # trust_env=False: a proxy from the environment must not carry loopback deliveries away.
            self._client = httpx.AsyncClient(trust_env=False)
        delivery.attempts += 1
        self.counts["attempts"] += 1
        headers = {"content-type": "application/json", "x-ghl-signature": delivery.signature,
                   "user-agent": "ghl-sandbox-webhooks"}
        try:
            response = await self._client.post(delivery.subscription.url, content=delivery.body, headers=headers,
                                               timeout=self.retry.timeout_s)
            status: int | str = response.status_code
        except httpx.TimeoutException:
            status = "timeout"
        except httpx.HTTPError as error:
            status = type(error).__name__
        delivery.statuses.append(status)
        if isinstance(status, int) and 200 <= status < 300:
            delivery.sent_at = time.monotonic()
            return self._finish(delivery, "sent")
        retryable = status == 429 or self.retry.on == "any"
        if retryable and delivery.attempts <= self.retry.retries:
            self.counts["retries"] += 1
            wait = self.retry.wait(delivery.attempts, self.rng)
            asyncio.get_running_loop().call_later(wait, self._queue(delivery.subscription.id).put_nowait, delivery)
            return None
        return self._finish(delivery, "failed")

    def _finish(self, delivery: Delivery, outcome: str) -> None:
        delivery.outcome = outcome
        self.counts[outcome] += 1
        self.pending.discard(id(delivery))
        if not self.pending and self._idle is not None:
            self._idle.set()

    async def quiet(self, timeout: float) -> bool:
        """Wait until nothing is pending (True), or ``timeout`` seconds (False)."""
        if not self.pending:
            return True
        if self._idle is None:
            self._idle = asyncio.Event()
        self._idle.clear()
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
        except TimeoutError:
            return False
        return True


# -- the control surface ----------------------------------------------------------------------------------
def _problem(*messages: str, status: int = 422) -> Response:
    return JSONResponse({"statusCode": status, "message": list(messages), "error": "Unprocessable Entity"},
                        status_code=status)


Endpoint = Callable[[Request], Awaitable[Response]]


def routes(state: SandboxState, guard: Callable[[Endpoint], Endpoint] | None = None) -> list[Route]:
    """``/__sandbox__/webhooks``: subscriptions, settings and deliveries (see the module docstring).

    ``guard`` wraps each endpoint (the control surface's access check, where there is one).
    """
    hub: Webhooks = state.webhooks
    wrap = guard or (lambda endpoint: endpoint)

    async def body(request: Request) -> Any:
        raw = await request.body()
        try:
            return json.loads(raw) if raw else {}
        except ValueError:
            return None

    async def webhooks(request: Request) -> Response:
        data = await body(request)
        if not isinstance(data, dict):
            return _problem("the body must be a JSON object", status=400)
        if request.method == "POST":
            url, wanted = data.get("url"), data.get("events") or []
            problems = []
            if not isinstance(url, str) or not url.startswith(("http://", "https://")):
                problems.append("url must be an http(s) URL")
            if not isinstance(wanted, list) or not all(isinstance(t, str) for t in wanted):
                problems.append("events must be a list of event types")
            elif unknown := sorted(set(wanted) - catalog_events.EVENT_TYPES):
                problems.append(f"unknown event types {unknown}; the sandbox sends: "
                                f"{', '.join(sorted(catalog_events.EVENT_TYPES))}")
            if problems:
                return _problem(*problems)
            return JSONResponse(asdict(hub.subscribe(url, wanted)), status_code=201)
        if request.method == "PATCH":
            problems = [p for name, target in (("retry", hub.retry), ("chaos", hub.chaos)) if name in data
                        for p in _update(target, data[name], name)]
            problems += [f"unknown setting {name}; known: chaos, retry" for name in data if name not in ("retry", "chaos")]
            if problems:
                return _problem(*problems)
            if "seed" in data.get("chaos", {}):
                hub.set_chaos_seed(hub.chaos.seed)
        elif request.method == "DELETE":
            url = request.query_params.get("url")
            hub.subscriptions[:] = [s for s in hub.subscriptions if url is not None and s.url != url]
        return JSONResponse(hub.settings())

    async def one(request: Request) -> Response:
        before = len(hub.subscriptions)
        hub.subscriptions[:] = [s for s in hub.subscriptions if s.id != request.path_params["id"]]
        if len(hub.subscriptions) == before:
            return JSONResponse({"statusCode": 404, "message": "no such subscription"}, status_code=404)
        return JSONResponse(hub.settings())

    async def deliveries(request: Request) -> Response:
        if request.method == "DELETE":
            hub.log.clear()
            hub.counts.clear()
            return JSONResponse({"counts": hub.tally(), "deliveries": []})
        try:
            wait = min(float(request.query_params.get("wait", 0)), 600.0)
            limit = int(request.query_params.get("limit", LOG_SIZE))
        except ValueError:
            return _problem("wait and limit must be numbers")
        quiet = await hub.quiet(wait) if wait > 0 else not hub.pending
        shown = list(hub.log)[-limit:] if limit > 0 else []
        return JSONResponse({"quiet": quiet, "counts": hub.tally(), "deliveries": [d.view() for d in shown]})

    prefix = "/__sandbox__/webhooks"
    return [
        Route(prefix, wrap(webhooks), methods=["GET", "POST", "PATCH", "DELETE"]),
        Route(f"{prefix}/deliveries", wrap(deliveries), methods=["GET", "DELETE"]),
        Route(f"{prefix}/{{id}}", wrap(one), methods=["DELETE"]),
    ]


# -- the command line -------------------------------------------------------------------------------------
def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("webhooks (see the README's sandbox section)")
    group.add_argument("--webhook-url", action="append", default=[], metavar="URL",
                       help="send webhooks of every write here (repeatable)")
    group.add_argument("--webhook-events", default="", metavar="TYPES",
                       help="comma-separated event types for the --webhook-url subscriptions (default: all)")
    group.add_argument("--webhook-key", choices=KEY_SOURCES, default="random",
                       help="signing key: new at each start, or derived from --seed (default random)")
    group.add_argument("--webhook-retry-on", choices=RETRY_ON, default="429",
                       help="retry only 429 answers (HighLevel's policy) or any failure (default 429)")
    group.add_argument("--webhook-retry-interval", type=float, default=Retry.interval_s, metavar="S",
                       help="first retry after S seconds, doubling each time (default 1)")
    for name in ("duplicate", "reorder", "delay", "forge"):
        group.add_argument(f"--webhook-{name}-rate", type=float, default=0.0, metavar="RATE",
                           help=f"share of deliveries to {name} (0-1, reproducible by --webhook-chaos-seed)")
    group.add_argument("--webhook-delay-s", type=float, default=Chaos.delay_s, metavar="S",
                       help="a delayed delivery waits up to S seconds (default 2)")
    group.add_argument("--webhook-chaos-seed", type=int, metavar="N", help="seed of the delivery faults (default --seed)")


def configure(state: SandboxState, args: argparse.Namespace) -> str | None:
    """Apply the command line's webhook options; a problem to report, or None."""
    hub: Webhooks = state.webhooks
    wanted = [t for t in args.webhook_events.split(",") if t]
    unknown = sorted(set(wanted) - catalog_events.EVENT_TYPES)
    if unknown:
        return f"--webhook-events: unknown {', '.join(unknown)}; choose from {', '.join(sorted(catalog_events.EVENT_TYPES))}"
    bad_urls = [url for url in args.webhook_url if not url.startswith(("http://", "https://"))]
    if bad_urls:
        return f"--webhook-url must be an http(s) URL, got {bad_urls[0]!r}"
    problems = _update(hub.retry, {"on": args.webhook_retry_on, "interval_s": args.webhook_retry_interval}, "retry")
    problems += _update(hub.chaos, {"duplicate_rate": args.webhook_duplicate_rate, "reorder_rate": args.webhook_reorder_rate,
                                    "delay_rate": args.webhook_delay_rate, "forge_rate": args.webhook_forge_rate,
                                    "delay_s": args.webhook_delay_s}, "chaos")
    if problems:
        return "; ".join(p.replace("retry.", "--webhook-retry-").replace("chaos.", "--webhook-") for p in problems)
    hub.set_chaos_seed(args.seed if args.webhook_chaos_seed is None else args.webhook_chaos_seed)
    if args.webhook_key == "seed":
        hub.key = signing_key("seed", args.seed)
    for url in args.webhook_url:
        hub.subscribe(url, wanted)
    return None
