"""``scripts/cluster [stop|up]``: start the deployment and run the checks (default), only start it, or stop it."""

from __future__ import annotations

import argparse
import json
import sys
import time
import traceback

from ghl_cluster import deployment


def main() -> int:
    parser = argparse.ArgumentParser(prog="scripts/cluster", description=__doc__)
    parser.add_argument("command", nargs="?", default="check", choices=["check", "up", "stop", "install-only"],
                        help="check: start and run every check (default); up: start and leave running; stop")
    parser.add_argument("--only", action="append", default=[], metavar="CHECK",
                        help="run only these checks (the deployment check always runs); repeatable")
    args = parser.parse_args()
    if args.command == "install-only":
        return 0
    if args.command == "stop":
        ended = deployment.stop()
        print(f"stopped: {', '.join(ended) or 'nothing was running'}")
        return 0

    from ghl_cluster.checks import CHECKS, MEASURED

    started = time.monotonic()
    print("==> starting PostgreSQL, Redis, the sandbox and Airflow (CeleryExecutor, 2 workers) on 127.0.0.1", flush=True)
    airflow, sandbox = deployment.up()
    print(f"    Airflow UI {airflow.url} (started in {time.monotonic() - started:.0f} s); logs in {deployment.LOGS}",
          flush=True)
    if args.command == "up":
        print("    running; scripts/cluster stop ends it")
        return 0
    rows = []
    for check in CHECKS:
        if args.only and check.__name__ not in args.only and check.__name__ != "deployment":
            continue
        began = time.monotonic()
        print(f"==> {check.__name__}", flush=True)
        try:
            result, detail = "PASS", check(airflow, sandbox)
        except Exception as error:  # every check reports, whatever it raised
            result, detail = "FAIL", f"{type(error).__name__}: {error}"
            (deployment.LOGS / f"check-{check.__name__}.traceback").write_text(traceback.format_exc())
        rows.append((check.__name__, result, f"{time.monotonic() - began:.0f} s", detail))
        print(f"    {result}: {detail}", flush=True)
    total = time.monotonic() - started
    width = max(len(row[0]) for row in rows)
    print(f"\n{'check'.ljust(width)}  result  time   detail")
    for name, result, seconds, detail in rows:
        print(f"{name.ljust(width)}  {result:<6}  {seconds:>5}  {detail}")
    print(f"\ntotal {total:.0f} s; measured: {json.dumps(MEASURED)}")
    print("the deployment keeps running for a look (UI above); scripts/cluster stop ends it")
    return 0 if all(row[1] == "PASS" for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
