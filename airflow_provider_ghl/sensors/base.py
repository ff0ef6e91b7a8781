"""The bases behind every HighLevel polling sensor: one record, a collection, or a condition.

Declarations are short::

    class GHLGetContactSensor(GHLRecordSensor):
        \"\"\"Wait until a contact exists (and ``condition`` holds).\"\"\"
        operation = "get_contact"

Every sensor works in poke, reschedule and deferrable mode. A poll (is it done, which records are
new, what cursor to keep) is one generator in ``airflow_provider_ghl.polling``: ``poke`` runs it with the
sync hook, the deferrable trigger (``triggers/ghl.py``) with the async hook.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from airflow.sdk import BaseSensorOperator, PokeReturnValue, conf

from airflow_provider_ghl.declare import DeclaredOperation
from airflow_provider_ghl.exceptions import GHLDailyLimitError, GHLInputError
from airflow_provider_ghl.hooks.paging import DEFAULT_WINDOW as PAGING_DEFAULT_WINDOW
from airflow_provider_ghl.hooks.paging import TimeWindowPaginator
from airflow_provider_ghl.polling import (
    FIRST_RUN,
    WATCHES,
    MemoryCursor,
    Verdict,
    callable_path,
    drive,
    poll_flow,
)

if TYPE_CHECKING:
    from airflow.sdk import Context

DEFAULT_POKE_INTERVAL = 300.0
"""Five minutes: inside HighLevel's own 1-15 minute polling range, far below its rate limits."""
DEFAULT_WINDOW = PAGING_DEFAULT_WINDOW
"""Time-window operations (calendar events) look this far back and ahead unless ``query`` says otherwise (the
time-window paginator fills it: ``hooks/paging.py``)."""


class VariableCursorStore:
    """Keeps a collection sensor's cursor in an Airflow Variable, shared by every worker and run."""

    def __init__(self, key: str) -> None:
        self.key = key

    def get(self) -> dict | None:
        from airflow.sdk import Variable

        return Variable.get(self.key, default=None, deserialize_json=True)

    def set(self, cursor: dict) -> None:
        from airflow.sdk import Variable

        Variable.set(self.key, cursor, description="Cursor of a HighLevel collection sensor", serialize_json=True)


class GHLSensor(DeclaredOperation, BaseSensorOperator):
    """Polls one HighLevel catalog operation until its condition holds."""

    kind: ClassVar[str] = "T"
    poll_kind: ClassVar[str]
    ui_color = "#fff3d6"

    def __init__(
        self,
        *,
        condition: Callable[[Any], bool] | None = None,
        deferrable: bool = conf.getboolean("operators", "default_deferrable", fallback=False),
        poke_interval: float = DEFAULT_POKE_INTERVAL,
        **kwargs: Any,
    ) -> None:
        super().__init__(poke_interval=poke_interval, **kwargs)
        self.condition = condition
        self.deferrable = deferrable

    def validate(self) -> None:
        super().validate()
        if self.__dict__.get("condition") is not None and not callable(self.condition):
            self.fail(f"condition must be a callable, got {type(self.condition).__name__}")

    # -- one poll, shared by poke and the trigger ------------------------------------------------
    def poll_spec(self, context: Context) -> dict[str, Any]:
        """Everything a poll needs, as plain JSON (it travels to the triggerer when deferring)."""
        return {
            "operation": self.op.key,
            "poll_kind": self.poll_kind,
            "arguments": self.request_arguments(),
            "condition": callable_path(self.condition),
        }

    def poke(self, context: Context) -> PokeReturnValue | bool:
        spec = self.poll_spec(context)
        cursors = self.cursor_store(context)
        try:
            verdict = drive(poll_flow(spec, self.condition), self.hook, cursors.get, cursors.set)
        except GHLDailyLimitError as error:
            self.log.warning("HighLevel's daily request budget is spent; waiting for it to reset: %s", error)
            return False
        self.log.info("%s: %s", self.op.key, verdict.message)
        return PokeReturnValue(True, xcom_value=verdict.result) if verdict.done else False

    def cursor_store(self, context: Context) -> Any:
        """Where the poll's cursor lives (``get``/``set``); only collection sensors keep one."""
        return MemoryCursor()

    def trigger_spec(self, context: Context) -> dict[str, Any]:
        """``poll_spec`` as the trigger needs it: with what the trigger cannot read itself (the cursor)."""
        return self.poll_spec(context)

    def keep(self, verdict: Verdict, context: Context) -> None:
        """Persist the cursor a trigger's verdict says to keep (the trigger advanced it in memory)."""
        if verdict.cursor is not None:
            self.cursor_store(context).set(verdict.cursor)

    # -- deferrable -------------------------------------------------------------------------------
    def execute(self, context: Context) -> Any:
        if not self.deferrable:
            return super().execute(context)
        self.defer_poll(context)

    def defer_poll(self, context: Context, start_delay: float = 0.0) -> None:
        from airflow_provider_ghl.triggers.ghl import GHLPollTrigger

        spec = self.trigger_spec(context)
        if self.condition is not None and spec["condition"] is None:
            self.log.info("condition is not importable by name: the trigger waits for the data, this worker checks it")
        self.defer(
            trigger=GHLPollTrigger(spec=spec, ghl_conn_id=self.ghl_conn_id, poll_interval=self.poke_interval,
                                   start_delay=start_delay),
            method_name="execute_complete",
            timeout=timedelta(seconds=self.timeout) if self.timeout else None,
        )

    def execute_complete(self, context: Context, event: dict[str, Any]) -> Any:
        if event.get("status") != "done":
            error = GHLInputError if event.get("status") == "input" else RuntimeError
            raise error(event.get("message", "the HighLevel poll failed"))
        verdict = Verdict(True, event.get("result"), event.get("cursor"), event.get("message", ""))
        if self.condition is not None and callable_path(self.condition) is None:
            # The trigger could not import the condition: it waited for the data, the condition runs here.
            verdict = apply_condition(self.poll_kind, verdict, self.condition)
        self.log.info("%s: %s", self.op.key, verdict.message)
        self.keep(verdict, context)
        if not verdict.done:
            # The trigger polled just now: the next poll waits poke_interval, like any other poll.
            self.defer_poll(context, start_delay=self.poke_interval)
        return verdict.result


def apply_condition(poll_kind: str, verdict: Verdict, condition: Callable) -> Verdict:
    if poll_kind == "collection":
        kept = [record for record in verdict.result or [] if condition(record)]
        return Verdict(bool(kept), kept, verdict.cursor, f"{len(kept)} records pass the condition")
    if not condition(verdict.result):
        return Verdict(False, None, verdict.cursor, "the condition does not hold yet")
    return verdict


class GHLRecordSensor(GHLSensor):
    """Done when the record exists and the optional ``condition(record)`` holds; the record goes to XCom."""

    poll_kind: ClassVar[str] = "record"

    def poll_spec(self, context: Context) -> dict[str, Any]:
        return {**super().poll_spec(context), "record_key": self.record_key()}

    def record_key(self) -> str | None:
        return self.op.record_key


class GHLFreeSlotsSensor(GHLSensor):
    """Done when at least one slot is free in the window (and ``condition(slots_by_day)`` holds)."""

    poll_kind: ClassVar[str] = "condition"
    extra_arguments: ClassVar[dict[str, Any]] = {"days_ahead": 7}
    argument_docs: ClassVar[dict[str, str]] = {"days_ahead": "the window's length when ``query`` gives none"}

    def request_arguments(self) -> dict[str, Any]:
        arguments = super().request_arguments()
        now = datetime.now(UTC)
        window = (now, now + timedelta(days=int(self.days_ahead)))
        return {**arguments, "query": TimeWindowPaginator.windowed(self.op, arguments["query"], window)}


class GHLCollectionSensor(GHLSensor):
    """Done when records are new (``watch="new"``) or changed (``watch="updated"``) since a watermark.

    Exactly those records go to XCom (oldest first, at most ``max_records``).

    Watermark: where the records carry timestamps and the run has a data interval, the records
    created (or updated) inside the run's data interval, so reruns and backfills give the same
    answer; the sensor waits for the interval to close. Otherwise (``watermark="cursor"``, runs without a
    data interval (started with no logical date, asset-triggered), even with ``watermark="interval"``,
    records without timestamps) a cursor in an Airflow Variable (``cursor_key``, default
    ``ghl_cursor__<dag>__<task>``) remembers what was delivered: the next run delivers only what came
    after, each record exactly once, ties on timestamps included. A run that finds more than
    ``max_records`` delivers the oldest ones and leaves the rest to the next run.
    ``first_run="skip"`` makes a cursor's first run remember what exists and wait for what comes next.
    ``min_records`` (default 1) is how many records make the sensor fire. The cursor is shared by every
    worker, but two runs of the same task waiting at the same time would both deliver what is new: give
    cursor-mode sensors ``max_active_runs=1`` (interval mode needs nothing of the kind).
    """

    poll_kind: ClassVar[str] = "collection"
    extra_arguments: ClassVar[dict[str, Any]] = {
        "watch": "new", "watermark": "auto", "first_run": "deliver", "min_records": 1, "max_records": 1000,
        "cursor_key": None,
    }
    argument_docs: ClassVar[dict[str, str]] = {
        "watch": "``new`` (created) or ``updated`` (changed) records",
        "watermark": "``auto`` (the data interval where records carry timestamps, else a cursor), ``interval`` or "
                     "``cursor``",
        "first_run": "with a cursor: ``deliver`` what exists, or ``skip`` it and wait for what comes next",
        "min_records": "how many records make the sensor fire",
        "max_records": "the most records one run pushes to XCom (the rest wait for the next run)",
        "cursor_key": "the Variable holding the cursor; ``None``: ``ghl_cursor__<dag>__<task>``",
    }
    cursor_store_factory: ClassVar[Callable[[str], Any]] = VariableCursorStore

    def validate(self) -> None:
        super().validate()
        checks = (("watch", WATCHES), ("watermark", ("auto", "interval", "cursor")), ("first_run", FIRST_RUN))
        for name, allowed in checks:
            if getattr(self, name) not in allowed:
                self.fail(f"{name} must be one of {', '.join(allowed)}, got {getattr(self, name)!r}")
        for name in ("min_records", "max_records"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < (0 if name == "min_records" else 1):
                self.fail(f"{name} must be a whole number (>= {0 if name == 'min_records' else 1}), got {value!r}")

    def cursor_store(self, context: Context) -> Any:
        key = self.cursor_key
        if not key:
            ti = context["ti"]
            suffix = f"__{ti.map_index}" if getattr(ti, "map_index", -1) not in (-1, None) else ""
            key = f"ghl_cursor__{ti.dag_id}__{ti.task_id}{suffix}"
        return type(self).cursor_store_factory(key)

    def interval(self, context: Context) -> tuple[str, str] | None:
        """The run's data interval, or ``None``: watch with the cursor.

        In Airflow 3 a run started without a logical date (the REST API's ``"logical_date": null``,
        ``airflow dags trigger``, the UI's default) or by an asset event has no data interval; a manual run
        with a logical date of an unscheduled DAG has a zero-length one. There is no interval to select by,
        so even ``watermark='interval'`` falls back to the cursor: such a run delivers what is new since the
        last delivery, instead of failing a run that a user or an API client started.
        """
        if self.watermark == "cursor":
            return None
        start, end = context.get("data_interval_start"), context.get("data_interval_end")
        if start is None or end is None or start == end:
            if self.watermark == "interval":
                self.log.warning("watermark='interval': this run has no data interval (a run without a logical "
                                 "date); watching with the cursor %s instead", self.cursor_store(context).key)
            return None
        return start.isoformat(), end.isoformat()

    def poll_spec(self, context: Context) -> dict[str, Any]:
        collection = {"watch": self.watch, "interval": self.interval(context), "first_run": self.first_run,
                      "min_records": self.min_records, "max_records": self.max_records}
        return {**super().poll_spec(context), "collection": collection}

    def trigger_spec(self, context: Context) -> dict[str, Any]:
        # The trigger starts from the cursor in the Variable, advances it in memory, and hands the one it reached
        # back in its event (``keep``): the triggerer reads and writes no Variable.
        spec = self.poll_spec(context)
        if spec["collection"]["interval"] is None:
            spec["collection"]["cursor"] = self.cursor_store(context).get()
        return spec

    def defer_poll(self, context: Context, start_delay: float = 0.0) -> None:
        # first_run="skip" takes its baseline here and stores it before deferring: a baseline kept only in the
        # trigger's memory would be retaken after a triggerer restart and swallow what arrived in between.
        if self.first_run == "skip" and self.interval(context) is None and self.cursor_store(context).get() is None:
            self.poke(context)
        super().defer_poll(context, start_delay)
