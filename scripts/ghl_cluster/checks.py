"""The checks of ``scripts/cluster``, one function each: ``check(airflow, sandbox) -> detail``; raising fails it.

``CHECKS`` is their order (the order matters: the event check needs the sandbox's clock unmoved, the OAuth
check moves it, the secrets check reads what all the others logged).
"""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from ghl_cluster.browser import browser
from ghl_cluster.conditions import GO_TAG
from ghl_cluster.deployment import (
    COMPONENTS,
    LOGS,
    OAUTH_TOKEN_TTL_S,
    PIDS,
    STATE,
    WORKERS,
    Airflow,
    PostgreSQL,
    Sandbox,
    group_rss_kib,
    settings,
    wait,
)
from ghl_cluster.runs import FINISHED, asset_runs, finish, tasks_of, trigger

EXAMPLES = sorted(path.stem for path in (STATE.parent / "example_dags").glob("example_*.py"))
OAUTH_RUNS = 10
TRIGGERER_SENSORS = 50
MEASURED: dict[str, Any] = {}
"""Figures the checks measured, printed after the table (the docs' sizing section quotes them)."""


# -- the checks ----------------------------------------------------------------------------------------------

def deployment(airflow: Airflow, sandbox: Sandbox) -> str:
    """Every component runs, every DAG parsed without import errors, and is unpaused (production DAGs start paused:
    an asset watcher registers only once its DAG is unpaused)."""
    expected = {*EXAMPLES, *(path.stem for path in Path(__file__).with_name("dags").glob("cluster_*.py"))}
    wait("every DAG parsed", lambda: {dag["dag_id"] for dag in airflow.rest("GET", "/dags", params={"limit": 100})
                                      ["dags"]} >= expected)
    errors = airflow.rest("GET", "/importErrors")
    if errors["total_entries"]:
        raise AssertionError(f"import errors: {errors['import_errors']}")
    for dag_id in sorted(expected):
        airflow.rest("PATCH", f"/dags/{dag_id}", json={"is_paused": False})
    workers = wait("both Celery workers", lambda: all(w in airflow.celery("inspect", "ping") for w in WORKERS), 120, 2)
    dead = [name for name in COMPONENTS if not (PIDS / f"{name}.pid").exists()]
    if dead or not workers:
        raise AssertionError(f"not running: {dead}")
    return f"{len(COMPONENTS)} components, {len(expected)} DAGs unpaused, workers answer ping"


def loopback_only(airflow: Airflow, sandbox: Sandbox) -> str:
    """No process the cluster started listens on anything but 127.0.0.1 (``ss``: every TCP listener with its pids)."""
    ours = set()
    for pid_file in PIDS.glob("*.pid"):
        ours |= _session_pids(int(pid_file.read_text().split()[0]))
    postmaster = PostgreSQL(settings()).data / "postmaster.pid"
    if postmaster.exists():
        ours |= _session_pids(int(postmaster.read_text().split()[0]))
    listeners = subprocess.run(["ss", "-Hltnp"], capture_output=True, text=True, check=True).stdout.splitlines()
    mine = [line for line in listeners if {int(pid) for pid in re.findall(r"pid=(\d+)", line)} & ours]
    exposed = [line.split()[3] for line in mine if not line.split()[3].startswith("127.0.0.1:")]
    if exposed:
        raise AssertionError(f"listening beyond loopback: {exposed}")
    return f"{len(mine)} listening sockets, all on 127.0.0.1"


def _session_pids(leader: int) -> set[int]:
    pids = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[3]) == leader:
                pids.add(int(stat.parent.name))
        except (OSError, ValueError, IndexError):
            continue
    return pids | {leader}


def events(airflow: Airflow, sandbox: Sandbox) -> str:
    """A contact created in the sandbox reaches both event-driven DAGs: HighLevel's webhook through the receiver on
    the API server (example_gestioo_contact_sync, on ghl://<location>/contacts), and the polling trigger in the
    triggerer (cluster_contacts_polled). Each feed starts a run that succeeds with the contact's id."""
    # The watcher's first poll remembers what exists (first_run="skip"): the change must come after it. It polls
    # as soon as the triggerer starts it, then every 5 s (scheduled DAGs search contacts too: the sandbox's
    # counts cannot tell the watcher's poll apart).
    triggerer_log = LOGS / "triggerer.log"
    wait("the triggerer to start the watcher", lambda: re.search(r"trigger ID \d+ starting", triggerer_log.read_text()))
    time.sleep(10)
    subscription = sandbox.control("POST", "webhooks", json={"url": f"{airflow.url}/ghl/webhooks",
                                                             "events": ["ContactCreate"]})
    try:
        contact = sandbox.api("POST", "/contacts/", json={
            "firstName": "Cluster", "email": f"cluster-{int(time.time())}@example.com",
            "locationId": sandbox.info["location_id"]})["contact"]["id"]
        webhook_run = wait("the webhook's run", lambda: asset_runs(airflow, "example_gestioo_contact_sync"), 120)[0]
        polled_run = wait("the poll's run", lambda: asset_runs(airflow, "cluster_contacts_polled"), 120)[0]
    finally:
        sandbox.control("DELETE", f"webhooks/{subscription['id']}")
    failed = finish(airflow, [("example_gestioo_contact_sync", webhook_run["dag_run_id"]),
                              ("cluster_contacts_polled", polled_run["dag_run_id"])])
    if failed:
        raise AssertionError("; ".join(failed))
    for dag_id, run, task_id in (("example_gestioo_contact_sync", webhook_run, "changed_contacts"),
                                 ("cluster_contacts_polled", polled_run, "changed")):
        received = airflow.rest("GET", f"/dags/{dag_id}/dagRuns/{run['dag_run_id']}/taskInstances/{task_id}/"
                                       "xcomEntries/return_value")["value"]
        if contact not in str(received):
            raise AssertionError(f"{dag_id}'s run got {received}, not contact {contact}")
    return f"contact {contact}: the webhook's run and the poll's run succeeded with its id"


def examples(airflow: Airflow, sandbox: Sandbox) -> str:
    """Every example DAG started through the REST API without a logical date, all at once, succeeds."""
    runs = {dag_id: trigger(airflow, dag_id) for dag_id in EXAMPLES}
    failed = finish(airflow, runs, timeout=420)
    if failed:
        raise AssertionError("; ".join(failed))
    return f"{len(runs)} runs, logical_date null, all success"


def deferrable_sensor(airflow: Airflow, sandbox: Sandbox) -> str:
    """A deferrable sensor's first try runs on one worker and defers; that worker stops taking tasks; the trigger fires
    once the contact is tagged and the task resumes on the other worker."""
    contact = sandbox.api("POST", "/contacts/", json={"firstName": "Deferred", "locationId": sandbox.info["location_id"],
                                                      "email": f"deferred-{int(time.time())}@example.com"})["contact"]["id"]
    run_id = trigger(airflow, "cluster_deferrable_sensor", {"contact_id": contact})
    path = f"/dags/cluster_deferrable_sensor/dagRuns/{run_id}/taskInstances/wait_for_tag"
    first = wait("the sensor to defer", lambda: (ti := airflow.rest("GET", path))["state"] == "deferred" and ti, 180)
    first_worker = first["hostname"].rsplit("/", 1)[-1]
    if first_worker not in WORKERS:
        raise AssertionError(f"unknown worker hostname {first['hostname']!r}")
    destination = next(word.rstrip(":") for word in airflow.celery("inspect", "ping").split()
                       if word.startswith(f"{first_worker}@"))
    airflow.celery("control", "cancel_consumer", "default", "-d", destination)
    try:
        sandbox.api("POST", f"/contacts/{contact}/tags", json={"tags": [GO_TAG]})
        if (state := finish(airflow, [("cluster_deferrable_sensor", run_id)])):
            raise AssertionError("; ".join(state))
    finally:
        airflow.celery("control", "add_consumer", "default", "-d", destination)
    resumed = airflow.rest("GET", path)
    resumed_worker = resumed["hostname"].rsplit("/", 1)[-1]
    if resumed_worker == first_worker or resumed["try_number"] != first["try_number"]:
        raise AssertionError(f"first try on {first_worker}, resumed on {resumed_worker} (try {resumed['try_number']})")
    return f"deferred on {first_worker}, resumed on {resumed_worker} (try {resumed['try_number']})"


def oauth_race(airflow: Airflow, sandbox: Sandbox) -> str:
    """Ten runs of example_ghl_hook_oauth at once on the two workers, started with an access token the sandbox has
    just expired (its clock jumps past the token's life), so their first tasks race to refresh the rotating
    single-use refresh token; the clock jumps again once those are done (second tasks still to run race again).
    Every run succeeds (a loser of a race gets HighLevel's invalid_grant and takes the winner's pair from the token
    Variable, docs/hook.md: the sandbox counts those), no task log shows an invalid_grant error, and a last run
    after one more jump refreshes with the stored refresh token."""

    def expire_tokens() -> None:
        sandbox.control("POST", "clock", json={"advance_s": OAUTH_TOKEN_TTL_S + 1})

    def first_tasks_done() -> bool:
        states = [ti["state"] for _, run_id in runs for ti in tasks_of(airflow, "example_ghl_hook_oauth", run_id)
                  if ti["task_id"] == "count_contacts"]
        return len(states) == OAUTH_RUNS and all(state in FINISHED for state in states)

    sandbox.control("DELETE", "stats")
    expire_tokens()
    runs = [("example_ghl_hook_oauth", trigger(airflow, "example_ghl_hook_oauth")) for _ in range(OAUTH_RUNS)]
    wait("the first tasks of the OAuth runs", first_tasks_done, 300, 1)
    expire_tokens()
    failed = finish(airflow, runs)
    expire_tokens()
    last = ("example_ghl_hook_oauth", trigger(airflow, "example_ghl_hook_oauth"))
    failed += finish(airflow, [last])
    stats = sandbox.control("GET", "stats")
    refreshed, lost_races = stats.get("oauth:refreshed", 0), stats.get("oauth:invalid_grant", 0)
    logs = [path for path in (LOGS / "airflow").rglob("*") if path.is_file() and "example_ghl_hook_oauth" in str(path)]
    errors = [str(path.relative_to(LOGS)) for path in logs if re.search(r"error.*invalid_grant|re-authori[sz]e",
                                                                        path.read_text(errors="replace"), re.I)]
    workers = {ti["hostname"].rsplit("/", 1)[-1] for _, run_id in runs
               for ti in tasks_of(airflow, "example_ghl_hook_oauth", run_id)}
    MEASURED["oauth"] = {"runs": OAUTH_RUNS + 1, "refreshes": refreshed, "lost_races_recovered": lost_races,
                         "workers": sorted(workers)}
    if failed or errors or refreshed < 2:
        raise AssertionError(f"failed runs {failed}; invalid_grant errors in {errors[:3]}; {refreshed} refreshes")
    return (f"{OAUTH_RUNS} + 1 runs on {', '.join(sorted(workers))}: {refreshed} refreshes, {lost_races} lost races "
            "recovered, no invalid_grant error")


BUDGET_INTERVAL_MS = 3_000
"""The shared-budget check's window: HighLevel's 100 requests, per 3 s instead of 10, so 800 requests measure the
sustained rate in about 24 s instead of 80 (bench/bench_shared_budget.py scales it the same way)."""
BUDGET_GOAL = 1.2


def shared_budget(airflow: Airflow, sandbox: Sandbox) -> str:
    """8 exports of one location at once across both workers (HighLevel: 100 requests per window per location and
    app, shared by every worker): every export succeeds, and the exports' wall time (first task start to last task
    end) is within 1.2x the limit's lower bound, accepted requests / 100 x the window (issue 14's goal)."""
    config = sandbox.control("GET", "config")["rate_limits"]
    sandbox.control("PATCH", "config", json={"rate_limits": {"interval_ms": BUDGET_INTERVAL_MS}})
    try:
        time.sleep(BUDGET_INTERVAL_MS / 1000 + 0.5)  # an empty window to start from
        sandbox.control("DELETE", "stats")
        run_id = trigger(airflow, "cluster_shared_budget")
        failed = finish(airflow, [("cluster_shared_budget", run_id)])
        stats = sandbox.control("GET", "stats")
    finally:
        sandbox.control("PATCH", "config", json={"rate_limits": {"interval_ms": config["interval_ms"]}})
    tasks = tasks_of(airflow, "cluster_shared_budget", run_id)
    started = min(datetime.fromisoformat(ti["start_date"]) for ti in tasks)
    ended = max(datetime.fromisoformat(ti["end_date"]) for ti in tasks)
    wall = (ended - started).total_seconds()
    limited = stats.get("status:429", 0)  # the sandbox's rate limiter (no faults are injected)
    accepted = stats.get("requests", 0) - limited
    bound = accepted / config["burst_max"] * BUDGET_INTERVAL_MS / 1000
    workers = {ti["hostname"].rsplit("/", 1)[-1] for ti in tasks}
    MEASURED["shared_budget"] = {"requests": stats.get("requests"), "429": limited, "wall_s": round(wall, 1),
                                 "bound_s": round(bound, 1), "ratio": round(wall / bound, 2) if bound else None}
    if failed:
        raise AssertionError("; ".join(failed))
    if len(workers) < 2 or not bound or wall / bound > BUDGET_GOAL:
        raise AssertionError(f"wall {wall:.1f} s vs bound {bound:.1f} s on {sorted(workers)}: goal <= {BUDGET_GOAL}x "
                             "on both workers")
    return (f"8 exports on {', '.join(sorted(workers))}: {stats.get('requests')} requests, {limited} answered 429, "
            f"{wall:.1f} s = {wall / bound:.2f}x the bound")


def triggerer_memory(airflow: Airflow, sandbox: Sandbox) -> str:
    """The triggerer's resident memory (all its processes) before and with 50 more deferred sensors: the figure
    docs/deployment.md sizes triggerers with."""
    before = group_rss_kib("triggerer")
    run_id = trigger(airflow, "cluster_triggerer_load", {"sensors": TRIGGERER_SENSORS})
    path = f"/dags/cluster_triggerer_load/dagRuns/{run_id}/taskInstances"

    def deferred() -> bool:
        waits = [ti for ti in airflow.rest("GET", path, params={"task_id": "wait", "limit": 100})["task_instances"]
                 if ti["task_id"] == "wait"]
        return len(waits) == TRIGGERER_SENSORS and all(ti["state"] == "deferred" for ti in waits)

    wait(f"{TRIGGERER_SENSORS} sensors to defer", deferred, 300, 3)
    time.sleep(10)  # every trigger has made its first poll
    after = group_rss_kib("triggerer")
    airflow.rest("PATCH", f"/dags/cluster_triggerer_load/dagRuns/{run_id}", json={"state": "failed"})
    per_trigger = (after - before) / TRIGGERER_SENSORS
    MEASURED["triggerer_rss_kib"] = {"before": before, "after": after, "per_trigger": round(per_trigger, 1)}
    return f"triggerer RSS {before / 1024:.0f} MiB -> {after / 1024:.0f} MiB: {per_trigger:.0f} KiB per deferred sensor"


TOKEN_SHAPES = re.compile(r"pit-[a-z0-9]{6,}-[a-z0-9]{6,}|sbx-(?:access|refresh|secret)-[A-Za-z0-9]{6,}")


def secrets_in_logs(airflow: Airflow, sandbox: Sandbox) -> str:
    """No log of the run (Airflow's components, task and trigger logs, the sandbox, Redis, PostgreSQL) holds a secret
    of the run: the sandbox's tokens and client secret, any token it issued (by their shape), the Fernet key, the
    JWT secret and the database password."""
    files = [path for path in [*LOGS.rglob("*"), PostgreSQL(settings()).log] if path.is_file() and path.suffix != ".png"]
    leaks = []
    for path in files:
        text = path.read_text(errors="replace")
        found = {secret[:6] + "..." for secret in airflow.secrets if secret in text}
        found |= {match[:9] + "..." for match in TOKEN_SHAPES.findall(text)}
        if found:
            leaks.append(f"{path}: {sorted(found)}")
    if leaks:
        raise AssertionError("; ".join(leaks[:5]))
    return f"{len(files)} log files, {len(airflow.secrets)} secrets and every issued token: none found"


Check = Callable[[Airflow, Sandbox], str]
CHECKS: list[Check] = [
    deployment,
    loopback_only,
    events,
    examples,
    deferrable_sensor,
    oauth_race,
    # The shared rate budget across workers (issue 14 item 2, branch wt-budget) is checked here; a stricter
    # version (e.g. "no 429 at all" once pacing shares the budget) replaces this function in place.
    shared_budget,
    triggerer_memory,
    browser,
    secrets_in_logs,
]
