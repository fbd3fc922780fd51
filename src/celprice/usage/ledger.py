"""The usage ledger: billing records of priced tasks, and the analytics the
API serves over them (`/usage/breakdown`, `/usage/summary`,
`/usage/tasks/{taskID}/cost`). Reference: docs/usage.md."""
from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from ..pricing.components import FEE_NAMES
from ..pricing.request import describe
from ..values import INT64_MAX
from . import sql
from .backends import CLOSED, Backend, open_backend
from .errors import LedgerError, TaskNotFound
from .periods import DAY, DEFAULT_RANGE, iso_z, to_micros, window

__all__ = ["Ledger"]

# The charged components, in the order evaluate_pricing returns them.
COMPONENTS: tuple[str, ...] = tuple(FEE_NAMES.values())
TOP_APPS = 10
_EVENT_KEYS = ("tier", "type", "model", "seconds")
_MAX_ID = 1024


class Ledger:
    """Billing records of one or many teams.

    `url`: None for an in-memory SQLite database, `sqlite:///path.db` for a
    file (WAL mode: several processes may write it), `postgresql://...` for a
    server (needs `celprice[postgres]`). Safe to share between threads. Every
    call is scoped by team: no call reads or changes another team's records.
    """

    def __init__(self, url: str | None = None) -> None:
        self._db: Backend = open_backend(url)
        try:
            self._db.create_schema(sql.SCHEMA)
        except BaseException:
            self._db.close()
            raise

    def close(self) -> None:
        """Close the connection; later calls raise LedgerError. Closing twice is fine."""
        db, self._db = self._db, CLOSED
        db.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<Ledger on {self._db.description}>"

    def record_task(
        self,
        team_id: str,
        task_id: str,
        app_endpoint: str,
        completed_at: datetime,
        fees: Mapping[str, Any],
        usage_events: Iterable[Mapping[str, Any]] = (),
    ) -> bool:
        """Record a completed task's charge and resource usage.

        `fees` is what `evaluate_pricing` returned; a component that holds an
        error is refused, never charged as 0. Recording a task again is a no-op
        (the first record stands): returns True when this call recorded it,
        False when it was already there. Raises LedgerError, writing nothing.
        """
        team = _identifier(team_id, "team_id")
        task = _identifier(task_id, "task_id")
        app = _identifier(app_endpoint, "app_endpoint")
        at = to_micros(completed_at, "completed_at")
        charged = _charged(fees)
        events = [(team, task, seq, *event) for seq, event in enumerate(_events(usage_events))]
        with self._db.transaction(write=True) as tx:
            if tx.change(sql.INSERT_TASK, (team, task, app, at, at // DAY, *charged)) != 1:
                return False
            tx.change_many(sql.INSERT_EVENT, events)
        return True

    def refund(self, team_id: str, task_id: str) -> None:
        """Mark a task refunded: it leaves the breakdown and the summary, and its
        cost reports `refunded: true`. Refunding again changes nothing.
        Raises TaskNotFound when the team has no such task."""
        team = _identifier(team_id, "team_id")
        task = _identifier(task_id, "task_id")
        with self._db.transaction(write=True) as tx:
            if tx.change(sql.REFUND, (team, task)) == 0:
                raise TaskNotFound(team, task)

    def task_cost(self, team_id: str, task_id: str) -> dict[str, Any]:
        """`GET /usage/tasks/{taskID}/cost`: the charged components and whether
        the task was refunded. Raises TaskNotFound."""
        team = _identifier(team_id, "team_id")
        task = _identifier(task_id, "task_id")
        with self._db.transaction(write=False) as tx:
            rows = tx.rows(sql.TASK_COST, (team, task))
        if not rows:
            raise TaskNotFound(team, task)
        *charged, refunded = rows[0]
        cost: dict[str, Any] = {"task_id": task}
        cost.update(zip(COMPONENTS, (int(value) for value in charged)))
        cost["refunded"] = bool(refunded)
        return cost

    def breakdown(
        self, team_id: str, range: str | None = DEFAULT_RANGE, now: datetime | None = None
    ) -> dict[str, Any]:
        """`GET /usage/breakdown`: the team's spend over the window of `range`
        (`1h`, `1d`, `7d`, `30d` (also when None), `90d`) ending at `now`
        (default: the current time), bucketed per minute, hour or day, by app."""
        team = _identifier(team_id, "team_id")
        end = to_micros(datetime.now(timezone.utc) if now is None else now, "now")
        win = window(DEFAULT_RANGE if range is None else range, end)
        previous_start, previous_end = win.previous
        first_day, last_day = win.start // DAY, win.end // DAY
        params: tuple[int | str, ...]
        if win.step == DAY:
            groups_sql, params = sql.BREAKDOWN_BY_DAY, (first_day, team, first_day, last_day, win.end)
        else:
            groups_sql = sql.BREAKDOWN_BY_STEP
            params = (win.start, win.step, team, first_day, last_day, win.start, win.end)
        previous_params = (team, previous_start // DAY, previous_end // DAY, previous_start, previous_end)
        with self._db.transaction(write=False) as tx:
            groups = tx.rows(groups_sql, params)
            (previous,) = tx.rows(sql.WINDOW_TOTAL, previous_params)

        per_bucket: dict[int, dict[str, int]] = {}
        calls: dict[str, int] = {}
        spend: dict[str, int] = {}
        for bucket, app, count, cost in groups:
            cost = int(cost)
            per_bucket.setdefault(bucket, {})[app] = cost
            calls[app] = calls.get(app, 0) + count
            spend[app] = spend.get(app, 0) + cost
        total = _int64(sum(spend.values()), "the window's total cost")
        previous_total = _int64(int(previous[0] or 0), "the previous window's total cost")

        top = sorted(spend, key=lambda app: (-spend[app], app))[:TOP_APPS]
        response: dict[str, Any] = {
            "timeseries": [
                {"date": label, "per_app": dict(sorted(per_bucket.get(bucket, {}).items()))}
                for bucket, label in enumerate(win.labels())
            ],
            "per_model": [{"app_endpoint": app, "call_count": calls[app], "cost": spend[app]} for app in top],
            "models": sorted(spend),
            "total_cost": total,
            "period_start": iso_z(win.start),
            "period_end": iso_z(win.end),
        }
        if previous_total:
            response["trend_percent"] = round((total - previous_total) * 100 / previous_total, 2)
        return response

    def summary(self, team_id: str) -> dict[str, Any]:
        """`GET /usage/summary`: the team's resource time in seconds by tier, by
        event type and by model, and in all (refunded tasks excluded)."""
        team = _identifier(team_id, "team_id")
        with self._db.transaction(write=False) as tx:
            usage = {key: sorted(tx.rows(statement, (team,))) for key, statement in sql.USAGE_BY.items()}
        response: dict[str, Any] = {
            key: {name: _seconds(int(micros)) for name, micros in rows} for key, rows in usage.items()
        }
        # Every event has a tier, so the tiers add up to all of the usage.
        response["total_usage"] = _seconds(sum(int(micros) for _, micros in usage["tier_usage"]))
        return response


def _identifier(value: object, what: str) -> str:
    if not isinstance(value, str):
        raise LedgerError(f"{what} must be a string, got {describe(value)}")
    if not value or len(value) > _MAX_ID:
        raise LedgerError(f"{what} must have 1 to {_MAX_ID} characters, got {len(value)}")
    if "\x00" in value:
        raise LedgerError(f"{what} must not contain NUL characters")
    return value


def _int64(value: int, what: str) -> int:
    if value > INT64_MAX:
        raise LedgerError(f"{what} overflows int64 microcents")
    return value


def _charged(fees: object) -> list[int]:
    """The five components of an evaluate_pricing response, as microcents."""
    if not isinstance(fees, Mapping):
        raise LedgerError(f"fees must be the object evaluate_pricing returns, got {describe(fees)}")
    charged = []
    for name in COMPONENTS:
        entry = fees.get(name)
        path = f"fees.{name}"
        if entry is None:
            raise LedgerError(f"{path} is missing")
        if not isinstance(entry, Mapping):
            raise LedgerError(f"{path} must be {{\"value\": microcents}}, got {describe(entry)}")
        if "error" in entry:
            raise LedgerError(f"{path} failed and cannot be charged: {entry['error']}")
        value = entry.get("value")
        if type(value) is not int:
            raise LedgerError(f"{path}.value must be an integer number of microcents, got {describe(value)}")
        if not 0 <= value <= INT64_MAX:
            raise LedgerError(f"{path}.value must be between 0 and {INT64_MAX} microcents, got {value}")
        charged.append(value)
    return charged


def _events(events: object) -> list[tuple[str, str, str | None, int]]:
    """Validated usage events as (tier, type, model, microseconds)."""
    if isinstance(events, (str, bytes, Mapping)) or not isinstance(events, Iterable):
        raise LedgerError(f"usage_events must be a list of events, got {describe(events)}")
    out = []
    for index, event in enumerate(events):
        path = f"usage_events[{index}]"
        if not isinstance(event, Mapping):
            raise LedgerError(f"{path} must be an object {{tier, type, model, seconds}}, got {describe(event)}")
        unknown = [key for key in event if key not in _EVENT_KEYS]
        if unknown:
            raise LedgerError(f"{path} has unknown key {unknown[0]!r} (an event has {', '.join(_EVENT_KEYS)})")
        tier = _identifier(event.get("tier"), f"{path}.tier")
        kind = _identifier(event.get("type"), f"{path}.type")
        model = event.get("model")
        if model is not None:
            model = _identifier(model, f"{path}.model")
        out.append((tier, kind, model, _micros(event.get("seconds"), f"{path}.seconds")))
    return out


def _micros(seconds: object, what: str) -> int:
    """Seconds as whole microseconds (half to even), stored exactly."""
    if type(seconds) is int:
        micros = seconds * 1_000_000
    elif type(seconds) is float and math.isfinite(seconds):
        micros = int((Decimal(seconds) * 1_000_000).to_integral_value(ROUND_HALF_EVEN))
    else:
        raise LedgerError(f"{what} must be a number of seconds, got {describe(seconds)}")
    if not 0 <= micros <= INT64_MAX:
        raise LedgerError(f"{what} must be between 0 and {INT64_MAX // 1_000_000} seconds, got {seconds}")
    return micros


def _seconds(micros: int) -> int | float:
    """Whole seconds as an int, others as a float."""
    whole, rest = divmod(micros, 1_000_000)
    return whole if rest == 0 else micros / 1_000_000
