"""``ghl-sandbox`` / ``python -m airflow_provider_ghl.sandbox``: run the offline HighLevel API server.

The first line on stdout is one JSON object: ``base_url``, ``control_token``, ``location_id``,
``company_id``, ``webhook_public_key`` (base64 of the raw Ed25519 key that signs the sandbox's webhooks) and
``connections`` (``full``, ``readonly``, ``oauth``, ``agency``), each in the JSON form that
``AIRFLOW_CONN_<ID>`` accepts. ``control_token`` goes in the ``X-Sandbox-Token`` header of
``/__sandbox__/*`` requests: optional on loopback, required when bound to any other interface.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import socket
import sys
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from airflow_provider_ghl.sandbox.config import SandboxConfig


class _OneLineParser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"ghl-sandbox: error: {message} (see ghl-sandbox --help)\n")


def _parser() -> argparse.ArgumentParser:
    parser = _OneLineParser(prog="ghl-sandbox", description="Offline HighLevel (GoHighLevel) API server.")
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8765, help="port; 0 picks a free one (default 8765)")
    parser.add_argument("--seed", type=int, default=42, help="seed for the generated data (default 42)")
    parser.add_argument("--contacts", type=int, default=200, metavar="N",
                        help="data size: number of seeded contacts; other areas scale with it (default 200)")
    parser.add_argument("--no-rate-limits", action="store_true", help="switch HighLevel's rate limits off")
    parser.add_argument("--burst-max", type=int, default=100, help="requests per interval (default 100)")
    parser.add_argument("--interval-ms", type=int, default=10_000, help="burst interval (default 10000)")
    parser.add_argument("--daily-max", type=int, default=200_000, help="requests per day (default 200000)")
    parser.add_argument("--token-ttl", type=int, default=86_399, help="OAuth access token lifetime in s")
    parser.add_argument("--fault-rate", type=float, default=0.0, help="share of requests given a fault (0-1)")
    parser.add_argument("--fault-kinds", default="500",
                        help="comma-separated faults: 429,500,502,503,timeout,disconnect (default 500)")
    parser.add_argument("--max-body-bytes", type=int, default=4 * 1024 * 1024, metavar="N",
                        help="larger request bodies are refused with 413 (default 4 MiB)")
    parser.add_argument("--anchor", help="ISO date-time seeded records are dated from (default: start of today)")
    parser.add_argument("--log-level", default="warning", choices=["critical", "error", "warning", "info", "debug"])
    from airflow_provider_ghl.sandbox.webhooks import add_arguments

    add_arguments(parser)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    problem = _validate(args)
    if problem:
        print(f"ghl-sandbox: error: {problem}", file=sys.stderr)
        return 2
    try:
        sock = socket.socket(socket.AF_INET6 if ":" in args.host else socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((args.host, args.port))
        # Listen before announcing the URL: clients connecting while the app loads wait in the backlog.
        sock.listen(2048)
    except OSError as error:
        reason = "port already in use" if error.errno in (98, 48) else error.strerror
        print(f"ghl-sandbox: error: cannot listen on {args.host}:{args.port}: {reason} "
              "(choose another --port, or 0 for a free one)", file=sys.stderr)
        return 2

    import uvicorn

    from airflow_provider_ghl.sandbox.app import create_app
    from airflow_provider_ghl.sandbox.areas import seed_world
    from airflow_provider_ghl.sandbox.control import ControlAccess, info
    from airflow_provider_ghl.sandbox.state import SandboxState
    from airflow_provider_ghl.sandbox.webhooks import Webhooks
    from airflow_provider_ghl.sandbox.webhooks import configure as configure_webhooks

    config = _config(args)
    anchor = datetime.fromisoformat(args.anchor.replace("Z", "+00:00")) if args.anchor else None
    state = SandboxState(config, anchor=anchor, seeder=seed_world, webhooks=Webhooks())
    problem = configure_webhooks(state, args)
    if problem:
        print(f"ghl-sandbox: error: {problem}", file=sys.stderr)
        return 2
    host, port = sock.getsockname()[:2]
    # Off loopback anyone who reaches the port could mint tokens and rewrite the world: require the token.
    access = ControlAccess(required=not ipaddress.ip_address(host).is_loopback)
    shown = f"[{host}]" if ":" in host else host
    print(json.dumps(info(state, f"http://{shown}:{port}", access)), flush=True)
    server = uvicorn.Server(uvicorn.Config(
        create_app(state, access), log_level=args.log_level, access_log=False, lifespan="off",
        timeout_graceful_shutdown=1,
    ))
    server.run(sockets=[sock])
    return 0


def _config(args: argparse.Namespace) -> SandboxConfig:
    from airflow_provider_ghl.sandbox.config import Faults, RateLimits, SandboxConfig

    return SandboxConfig(
        seed=args.seed, contacts=args.contacts, access_token_ttl_s=args.token_ttl, max_body_bytes=args.max_body_bytes,
        rate_limits=RateLimits(enabled=not args.no_rate_limits, burst_max=args.burst_max,
                               interval_ms=args.interval_ms, daily_max=args.daily_max),
        faults=Faults(rate=args.fault_rate, kinds={k: 1.0 for k in args.fault_kinds.split(",")}, seed=args.seed),
    )


OPTIONS = {"contacts": "--contacts", "access_token_ttl_s": "--token-ttl", "max_body_bytes": "--max-body-bytes",
           "rate_limits.burst_max": "--burst-max", "rate_limits.interval_ms": "--interval-ms",
           "rate_limits.daily_max": "--daily-max", "faults.rate": "--fault-rate", "faults.kinds": "--fault-kinds"}


def _validate(args: argparse.Namespace) -> str | None:
    from dataclasses import asdict

    from airflow_provider_ghl.sandbox.config import FAULT_KINDS, ConfigError, SandboxConfig

    if not 0 <= args.port <= 65535:
        return f"--port must be 0-65535, got {args.port}"
    unknown = set(args.fault_kinds.split(",")) - set(FAULT_KINDS)
    if unknown:
        return f"--fault-kinds: unknown {', '.join(sorted(unknown))}; choose from {', '.join(FAULT_KINDS)}"
    # The control surface's rules, so the command line and PATCH /__sandbox__/config accept the same values.
    settings = asdict(_config(args))
    try:
        SandboxConfig().update(settings)
    except ConfigError as error:
        message = error.messages[0]
        field, _, problem = message.partition(" ")
        value = settings
        for part in field.split("."):
            value = value[part]
        return f"{OPTIONS.get(field, field)} {problem}, got {value}"
    if args.anchor:
        try:
            datetime.fromisoformat(args.anchor.replace("Z", "+00:00"))
        except ValueError:
            return f"--anchor must be an ISO date-time, got {args.anchor!r}"
    return None


if __name__ == "__main__":
    sys.exit(main())
