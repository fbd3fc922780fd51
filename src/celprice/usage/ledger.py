"""The usage ledger: billing records of priced tasks, and the analytics the
API serves over them (`/usage/breakdown`, `/usage/summary`,
`/usage/tasks/{taskID}/cost`). Reference: docs/usage.md."""
from __future__ import annotations

import re
import itertools
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta, timezone
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from ..pricing.components import FEE_NAMES
from ..pricing.request import describe
from ..values import INT64_MAX
from ..pricing.estimate import estimate_pricing
from ..pricing.request import RequestError
from .. import __version__
from . import audit, published, sql
from .backends import CLOSED, OVERFLOW, Backend, open_backend
from .errors import Forbidden, LedgerError, PricingNotFound, TaskNotFound
from .migrations import upgrade
from .periods import EARLIEST_US, LATEST_US, DAY, DEFAULT_RANGE, iso_z, to_micros, window

__all__ = ["Ledger"]

# The charged components, in the order evaluate_pricing returns them.
COMPONENTS: tuple[str, ...] = tuple(FEE_NAMES.values())
TOP_APPS = 10
_EVENT_KEYS = ("tier", "type", "model", "seconds")
_MAX_ID = 1024
_MAX_SECONDS = INT64_MAX // 1_000_000
# Rows of one multi-row INSERT, well within the databases' limits on parameters.
_ROWS_PER_STATEMENT = 200


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
            upgrade(self._db)
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
        discount: int = 0,
        pricing_version: int | None = None,
        *,
        pricing: Mapping[str, Any] | None = None,
        pricing_inputs: Mapping[str, Any] | None = None,
    ) -> bool:
        """Record a completed task's charge and resource usage.

        `fees` is what `evaluate_pricing` returned; a component that holds an
        error is refused, never charged as 0. `discount` is taken off the
        total (0 <= discount <= total microcents): the task charged
        `total - discount`. `pricing_version`: the version of the app's
        published pricing that priced the task (see publish_pricing); it must
        exist for that app. Recording a task again is a no-op (the first
        record stands): returns True when this call recorded it, False when it
        was already there. Raises LedgerError, writing nothing.

        Audit (docs/usage.md, Audit): `pricing_inputs`, the task fields the
        pricing read (`output_meta`, `resources`, `usage_seconds`,
        `elapsed_ms`, `task_inputs`, `task_function`, as /usage/cel/evaluate
        takes them), are kept with the record, with what priced them:
        `pricing_version`, or `pricing` (the AppPricing itself) for a pricing
        that was not published. `explain` and `celprice backtest` re-evaluate them.
        """
        version = None if pricing_version is None else _version(pricing_version, "pricing_version")
        task, events = _task(team_id, task_id, app_endpoint, completed_at, fees, usage_events, discount)
        kept = audit.audit_of(version, pricing, pricing_inputs)
        team, task_key, app, at = task[0], task[1], task[2], task[3]
        net = task[9] - task[10]
        with self._db.transaction(write=True) as tx:
            if version is not None and not tx.rows(sql.PRICING_VERSION, (app, version)):
                latest = tx.rows(sql.LATEST_PRICING, (app,))
                raise PricingNotFound(app, version, int(latest[0][0]) if latest else None)
            if tx.change(sql.INSERT_TASK, (*task, version)) != 1:
                return False
            if kept is not None:
                self._keep_audit(tx, task, kept)
            tx.change_many(sql.INSERT_EVENT, [(team, task_key, seq, *event) for seq, event in enumerate(events)])
            tx.change(sql.ADD_ROLLUP, [value for step in sql.STEPS for value in (team, step, at - at % step, app, 1, net)])
            usage = _usage_rollups(team, events)
            for first in range(0, len(usage), _ROWS_PER_STATEMENT):
                rows = usage[first:first + _ROWS_PER_STATEMENT]
                tx.change(sql.add_usage_rollups(len(rows)), [value for row in rows for value in row])
        return True

    def _keep_audit(self, tx: Any, task: tuple[Any, ...], kept: audit.Audit) -> None:
        if kept.digest is not None:  # the same pricing again changes nothing
            tx.change(audit.INSERT_PRICING, (kept.digest, kept.pricing))
        tx.change(audit.INSERT_AUDIT, (task[0], task[1], task[2], task[3], kept.digest, kept.inputs, __version__))

    def explain(self, team_id: str, task_id: str) -> audit.TaskExplanation:
        """Re-evaluate a recorded task with the pricing that priced it: every
        fee component as recorded and as evaluated now, with its explanation
        tree (the one `celprice explain` prints), and whether the recorded
        charge is reproduced exactly (`reproduced`; `notes` say why not, or
        why it might not be). TaskNotFound for a task the team does not have;
        NotAuditable for one recorded without its pricing inputs."""
        team = _identifier(team_id, "team_id")
        task = _identifier(task_id, "task_id")
        with self._db.transaction(write=False) as tx:
            app, at, *recorded, version, digest, inputs, recorded_by = _task_row(tx, audit.TASK_AUDIT, team, task)
            if inputs is None:
                raise audit.NotAuditable(
                    f"task {task!r} of team {team!r} was recorded without its pricing inputs (by record_task "
                    "without pricing_inputs, or before schema version 6): it cannot be re-evaluated"
                )
            if digest is not None:
                pricing = published.from_json(tx.rows(audit.AUDIT_PRICING, (digest,))[0][0])
            else:
                pricing = published.from_json(tx.rows(sql.PRICING_VERSION, (app, int(version)))[0][1])
        return audit.explain_task(
            team, task, app, iso_z(int(at)), [int(value) for value in recorded],
            None if version is None else int(version), pricing, json.loads(inputs), recorded_by,
        )

    def replay_tasks(self, app_endpoint: str, start: int, end: int) -> list[tuple[Any, ...]]:
        """The app's tasks recorded with their pricing inputs and completed in
        [start, end) (microseconds since the epoch), of every team, oldest first:
        (team_id, task_id, completed_at, the five components, inputs JSON)."""
        app = published.app_endpoint(app_endpoint)
        with self._db.transaction(write=False) as tx:
            rows: list[tuple[Any, ...]] = tx.rows(audit.REPLAY_TASKS, (app, start, end))
        return rows

    def record_tasks(self, tasks: Iterable[Mapping[str, Any]]) -> int:
        """Record many tasks, each a mapping of `record_task`'s keyword
        arguments, in one transaction; returns how many were new (a task
        already recorded, or twice in `tasks`, counts once: the first record
        stands). An invalid item raises LedgerError naming its index, and
        nothing of the call is written: it is all or nothing, however long.
        """
        if isinstance(tasks, (str, bytes, Mapping)) or not isinstance(tasks, Iterable):
            raise LedgerError(f"tasks must be a list of record_task arguments, got {describe(tasks)}")
        new = 0
        items = iter(enumerate(tasks))
        with self._db.transaction(write=True) as tx:
            while True:
                chunk = list(itertools.islice(items, _BATCH_CHUNK))
                if not chunk:
                    break
                new += _record_chunk(tx, chunk)
        return new

    def refund(self, team_id: str, task_id: str, *, amount: int | None = None, refund_id: str | None = None) -> None:
        """Refund `amount` microcents of what the task charged, or the rest of
        it when `amount` is None. Refunds of a task add up to at most what it
        charged. A refund with a `refund_id` is applied once: repeating it
        (same task, same amount or None) changes nothing. A full refund of a
        task already refunded in full changes nothing either.

        Breakdowns count the task net of its refunds; refunded in full, it
        leaves the breakdown and the summary. Raises TaskNotFound (also for
        another team's task) or LedgerError, writing nothing.
        """
        team = _identifier(team_id, "team_id")
        task = _identifier(task_id, "task_id")
        if amount is not None:
            if type(amount) is not int:
                raise LedgerError(f"amount must be an integer number of microcents, got {describe(amount)}")
            if not 0 < amount <= INT64_MAX:
                raise LedgerError(f"amount must be between 1 and {INT64_MAX} microcents, got {amount}")
        key = None if refund_id is None else _identifier(refund_id, "refund_id")
        with self._db.transaction(write=True) as tx:
            if tx.change(sql.LOCK_TASK, (team, task)) == 0:
                raise TaskNotFound(team, task)
            if key is not None:
                done_before = tx.rows(sql.FIND_REFUND, (team, key))
                if done_before:
                    _check_repeat(key, task, amount, *done_before[0])
                    return
            app, at, total, discount, refunded, in_full = tx.rows(sql.TASK_FOR_REFUND, (team, task))[0]
            charged = int(total) - int(discount)
            rest = charged - int(refunded)
            if amount is None:
                if in_full:
                    return
                amount = rest
            elif amount > rest:
                raise LedgerError(
                    f"a refund of {amount} microcents exceeds what is left to refund of task {task!r}: "
                    f"{rest} of the {charged} it charged"
                )
            if key is not None and tx.change(sql.INSERT_REFUND, (team, key, task, amount)) != 1:
                # Taken meanwhile by a refund of another task (this task's are locked out).
                raise LedgerError(f"refund_id {key!r} is already used by another refund")
            now_refunded = int(refunded) + amount
            now_in_full = now_refunded == charged
            tx.change(sql.SET_REFUNDED, (now_refunded, int(now_in_full), team, task))
            at = int(at)
            tx.change_many(
                sql.TAKE_ROLLUP, [(int(now_in_full), amount, team, step, at - at % step, app) for step in sql.STEPS]
            )
            if now_in_full:
                events = [(tier, kind, model, int(micros)) for tier, kind, model, micros in tx.rows(sql.TASK_EVENTS, (team, task))]
                taken = [(count, micros, team, kind, name) for team, kind, name, count, micros in _usage_rollups(team, events)]
                tx.change_many(sql.TAKE_USAGE_ROLLUP, taken)

    def task_cost(self, team_id: str, task_id: str) -> dict[str, Any]:
        """`GET /usage/tasks/{taskID}/cost`: `total`, `discount` (omitted when
        0), `charged` and `refunded` (the amount, omitted when 0), then what
        the store does not document: the task, its app and the fee components.
        Raises TaskNotFound, for another team's task as for a task nobody
recorded: whether some other team has a task id is not this team's to learn."""
        team = _identifier(team_id, "team_id")
        task = _identifier(task_id, "task_id")
        with self._db.transaction(write=False) as tx:
            app, *components, discount, refunded, _, version = _task_row(tx, sql.TASK_COST, team, task)
        total = int(components[-1])
        cost: dict[str, Any] = {"total": total}
        if discount:
            cost["discount"] = int(discount)
        cost["charged"] = total - int(discount)
        if refunded:
            cost["refunded"] = int(refunded)
        # Beyond the documented response (docs/usage.md).
        cost["task_id"] = task
        cost["app_endpoint"] = app
        cost.update(zip(COMPONENTS[:-1], (int(value) for value in components[:-1])))
        if version is not None:
            cost["pricing_version"] = int(version)
        return cost

    def publish_pricing(self, app_endpoint: str, pricing: Mapping[str, Any]) -> int:
        """Publish a new version of the app's AppPricing; returns its version
        (1 for the app's first, then the next integer). The pricing must pass
        `check_pricing` and its description must render: otherwise
        InvalidPricing names every problem, and nothing is published. A plain
        description (not starting with `"`) is saved as a CEL string literal."""
        app = published.app_endpoint(app_endpoint)
        pricing_json = published.to_json(published.saved(app, pricing))
        while True:
            with self._db.transaction(write=True) as tx:
                latest = tx.rows(sql.LATEST_PRICING, (app,))
                version = int(latest[0][0]) + 1 if latest else 1
                if tx.change(sql.INSERT_PRICING, (app, version, pricing_json)) == 1:
                    return version
            # Another publisher took this version number meanwhile: take the next one.

    def patch_pricing(self, app_endpoint: str, patch: Mapping[str, Any]) -> int:
        """Publish the current pricing with a patch applied; returns the new
        version. `prices` are merged key by key, and a price set to 0 removes
        its key; any other field given replaces the current one (`""` resets
        an expression to its default). The result must pass `check_pricing`
        as publish_pricing's does. PricingNotFound when the app has no pricing."""
        app = published.app_endpoint(app_endpoint)
        while True:
            with self._db.transaction(write=True) as tx:
                latest = tx.rows(sql.LATEST_PRICING, (app,))
                if not latest:
                    raise PricingNotFound(app)
                version, current = int(latest[0][0]), published.from_json(latest[0][1])
                pricing_json = published.to_json(published.patched(app, current, patch))
                if tx.change(sql.INSERT_PRICING, (app, version + 1, pricing_json)) == 1:
                    return version + 1
            # Another publisher came first: patch what it published.

    def pricing(self, app_endpoint: str, version: int | None = None) -> dict[str, Any]:
        """`GET /store/apps/{appId}/pricing`: the app's current published
        AppPricing (or the given version) with every field, and
        `description_rendered`; then, beyond the store's documentation,
        `app_endpoint` and `version`. PricingNotFound when there is none."""
        app = published.app_endpoint(app_endpoint)
        found, pricing = self._published(app, version)
        return published.answer(app, found, pricing)

    def estimate(
        self,
        app_endpoint: str,
        body: Mapping[str, Any] | None = None,
        *,
        version: int | None = None,
        resources: Any = None,
    ) -> dict[str, Any]:
        """`POST /store/apps/{appId}/estimate`: estimate_pricing's answer for
        the app's published pricing (the current one, or `version`) and the
        store's request body `{"input": {...}, "function": "..."}`.
        `resources`: the app's resource rows when the service knows them (an
        empty list: the app has none, so the default resource fee is 0).
        PricingNotFound when the app has no pricing; LedgerError naming the
        field when the body has the wrong shape."""
        app = published.app_endpoint(app_endpoint)
        if body is None:
            body = {}
        elif not isinstance(body, Mapping):
            raise LedgerError(f"the estimate request must be an object {{input, function}}, got {describe(body)}")
        _, pricing = self._published(app, version)
        request = {"pricing": pricing, "input": body.get("input"), "function": body.get("function"), "resources": resources}
        try:
            return estimate_pricing(request)
        except RequestError as e:
            raise LedgerError(str(e)) from None

    def _published(self, app: str, version: int | None) -> tuple[int, dict[str, Any]]:
        wanted = None if version is None else _version(version, "version")
        with self._db.transaction(write=False) as tx:
            if wanted is None:
                rows = tx.rows(sql.LATEST_PRICING, (app,))
                if not rows:
                    raise PricingNotFound(app)
            else:
                rows = tx.rows(sql.PRICING_VERSION, (app, wanted))
                if not rows:
                    latest = tx.rows(sql.LATEST_PRICING, (app,))
                    raise PricingNotFound(app, wanted, int(latest[0][0]) if latest else None)
        return int(rows[0][0]), published.from_json(rows[0][1])


    def set_members(self, org_id: str, team_ids: Iterable[str]) -> None:
        """Declare the teams the organisation workspace `org_id` pays for,
        replacing any earlier declaration (no teams: it is no organisation any
        more). A team belongs to at most one organisation, and organisations
        do not nest. Raises LedgerError, writing nothing."""
        org = _identifier(org_id, "org_id")
        if isinstance(team_ids, (str, bytes, Mapping)) or not isinstance(team_ids, Iterable):
            raise LedgerError(f"team_ids must be a list of team ids, got {describe(team_ids)}")
        teams = sorted({_identifier(team, f"team_ids[{index}]") for index, team in enumerate(team_ids)})
        if org in teams:
            raise LedgerError(f"organisation {org!r} cannot be a member of itself")
        with self._db.transaction(write=True) as tx:
            parent = tx.rows(sql.ORG_OF, (org,))
            if parent and teams:
                raise LedgerError(
                    f"{org!r} is a member team of organisation {parent[0][0]!r}; organisations do not nest"
                )
            for team in teams:
                if tx.rows(sql.MEMBERS_OF, (team,)):
                    raise LedgerError(f"{team!r} is an organisation itself; organisations do not nest")
                other = tx.rows(sql.ORG_OF, (team,))
                if other and other[0][0] != org:
                    raise LedgerError(
                        f"team {team!r} already belongs to organisation {other[0][0]!r}; remove it there first"
                    )
            tx.change(sql.DELETE_MEMBERS, (org,))
            tx.change_many(sql.INSERT_MEMBER, [(team, org) for team in teams])

    def breakdown(
        self,
        workspace_id: str,
        range: str | None = DEFAULT_RANGE,
        now: datetime | None = None,
        *,
        team_id: str | None = None,
    ) -> dict[str, Any]:
        """`GET /usage/breakdown`: the workspace's spend, net of refunds, over
        the window of `range` (`1h`, `1d`, `7d`, `30d` (also when None), `90d`)
        ending at `now` (default: the current time), bucketed per minute, hour
        or day, by app.

        An organisation's breakdown covers its own tasks and its member
        teams', with `per_team`; `team_id` narrows it to one member team.
        Filtering by a team that is not a member raises Forbidden.
        """
        workspace = _identifier(workspace_id, "workspace_id")
        narrow = None if team_id is None else _identifier(team_id, "team_id")
        end = to_micros(datetime.now(timezone.utc) if now is None else now, "now")
        win = window(DEFAULT_RANGE if range is None else range, end)
        previous_start, previous_end = win.previous
        # Whole buckets no longer than the window's step, so that each lies in one of its buckets.
        steps = [step for step in sql.STEPS if step <= win.step]
        current = _segments(win.start, win.end + 1, steps)
        before = _segments(previous_start, previous_end, list(sql.STEPS))
        with self._db.transaction(write=False) as tx:
            members = [row[0] for row in tx.rows(sql.MEMBERS_OF, (workspace,))]
            if narrow is not None and narrow != workspace and narrow not in members:
                if members:
                    raise Forbidden(f"team {narrow!r} is not a member of organisation {workspace!r}")
                raise Forbidden(
                    f"workspace {workspace!r} is not an organisation: it cannot filter by another team's id ({narrow!r})"
                )
            teams = [narrow] if narrow is not None else [workspace, *members]
            rows = tx.rows(
                sql.breakdown(len(teams), [step for step, _, _ in current], win.step),
                _segment_params(teams, current, each=(win.start, win.step)),
            )
            (previous,) = tx.rows(
                sql.window_total(len(teams), [step for step, _, _ in before]), _segment_params(teams, before)
            ) if before else [(0,)]

        # One pass over the rows, which may be thousands; the sums per app and
        # per team come from the few (team, app) sums after it.
        per_bucket: dict[int, dict[str, int]] = {}
        per_team_app: dict[tuple[str, str], list[int]] = {}
        for team, bucket, app, count, cost in rows:
            apps = per_bucket.get(bucket)
            if apps is None:
                apps = per_bucket[bucket] = {}
            apps[app] = apps.get(app, 0) + cost
            entry = per_team_app.get((team, app))
            if entry is None:
                per_team_app[team, app] = [count, cost]
            else:
                entry[0] += count
                entry[1] += cost
        calls: dict[str, int] = {}
        spend: dict[str, int] = {}
        team_calls: dict[str, int] = {}
        team_spend: dict[str, int] = {}
        for (team, app), (count, cost) in per_team_app.items():
            calls[app] = calls.get(app, 0) + count
            spend[app] = spend.get(app, 0) + cost
            team_calls[team] = team_calls.get(team, 0) + count
            team_spend[team] = team_spend.get(team, 0) + cost
        # Every cost is >= 0, so no bucket, app or team sum exceeds the total.
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
        response["per_team"] = (
            [
                {"team_id": team, "call_count": team_calls[team], "cost": team_spend[team]}
                for team in sorted(team_spend, key=lambda team: (-team_spend[team], team))
            ]
            if members and narrow is None
            else []
        )
        return response

    def summary(self, team_id: str) -> dict[str, Any]:
        """`GET /usage/summary`: the team's resource time in seconds by tier, by
        event type and by model, and in all as whole seconds (tasks refunded
        in full excluded)."""
        team = _identifier(team_id, "team_id")
        with self._db.transaction(write=False) as tx:
            rows = tx.rows(sql.SUMMARY, (team,))
        usage: dict[str, list[tuple[str, int]]] = {key: [] for key in _SUMMARY_KEYS.values()}
        for kind, name, micros in sorted(rows):
            usage[_SUMMARY_KEYS[kind]].append((name, int(micros)))
        response: dict[str, Any] = {key: {name: _seconds(micros) for name, micros in pairs} for key, pairs in usage.items()}
        # Every event has a tier, so the tiers add up to all of the usage: the
        # exact sum in microseconds, rounded once to the nearest second, halves up.
        micros = sum(micros for _, micros in usage["tier_usage"])
        response["total_usage"] = _int64((micros + 500_000) // 1_000_000, "total_usage")
        return response

    def rebuild_rollups(self) -> None:
        """Recompute every rollup from the records, in one transaction. The
        records are the source of truth; the rollups are kept with each write
        and need no rebuild but after someone changed the tables by hand."""
        with self._db.transaction(write=True) as tx:
            for statement in sql.REBUILD:
                tx.change(statement, ())


def _task_row(tx: Any, query: str, team: str, task: str) -> tuple[Any, ...]:
    """The one row `query` reads for (team, task); TaskNotFound when the team has no such task."""
    rows = tx.rows(query, (team, task))
    if not rows:
        raise TaskNotFound(team, task)
    return tuple(rows[0])


def _segments(lo: int, hi: int, steps: list[int]) -> list[tuple[int, int, int]]:
    """[lo, hi) cut into (step, from, to): runs of whole buckets, longest
    steps in the middle, and step 0 (the records) for what is left at the
    edges, less than the shortest step on each side."""
    if lo >= hi:
        return []
    if not steps:
        return [(0, lo, hi)]
    step, shorter = steps[-1], steps[:-1]
    first, last = -(-lo // step) * step, hi // step * step
    if first >= last:
        return _segments(lo, hi, shorter)
    return [*_segments(lo, first, shorter), (step, first, last), *_segments(last, hi, shorter)]


def _segment_params(
    teams: list[str], segments: list[tuple[int, int, int]], each: tuple[int, ...] = ()
) -> list[int | str]:
    """The parameters of sql._segment for each segment, after `each` (what every
    segment's part of the query takes first: a breakdown's window start and step)."""
    params: list[int | str] = []
    for _, lo, hi in segments:
        params += (*each, *teams, lo, hi)
    return params


_SUMMARY_KEYS = dict(zip(sql.USAGE_COLUMNS, ("tier_usage", "type_usage", "model_usage")))
_BATCH_KEYS = ("team_id", "task_id", "app_endpoint", "completed_at", "fees", "usage_events", "discount")
_BATCH_KEY_SET = frozenset(_BATCH_KEYS)
_BATCH_REQUIRED = frozenset(_BATCH_KEYS[:5])
_EVENT_KEY_SET = frozenset(_EVENT_KEYS)
# Items validated and written at a time by a batch: big enough that
# statements are few, small enough that the rows in memory stay small.
_BATCH_CHUNK = 20_000
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_MICROSECOND = timedelta(microseconds=1)


def _task(
    team_id: object, task_id: object, app_endpoint: object, completed_at: object, fees: object,
    usage_events: object = (), discount: object = 0,
) -> tuple[tuple[Any, ...], list[tuple[str, str, str | None, int]]]:
    """A task's row (sql.INSERT_TASK's parameters) and its events, validated."""
    team = _identifier(team_id, "team_id")
    task = _identifier(task_id, "task_id")
    app = _identifier(app_endpoint, "app_endpoint")
    at = to_micros(completed_at, "completed_at")
    components = _components(fees)
    total = components[-1]
    if type(discount) is not int:
        raise LedgerError(f"discount must be an integer number of microcents, got {describe(discount)}")
    if not 0 <= discount <= total:
        raise LedgerError(f"discount must be between 0 and the task's total ({total} microcents), got {discount}")
    return (team, task, app, at, at // DAY, *components, discount), _events(usage_events)


def _usage_rollups(
    team: str, events: list[tuple[str, str, str | None, int]]
) -> list[tuple[str, str, str, int, int]]:
    """What events add to the usage rollups: (team, kind, name, events, micros)."""
    sums: dict[tuple[str, str], list[int]] = {}
    for event in events:
        micros = event[3]
        for kind, name in zip(sql.USAGE_COLUMNS, event[:3]):
            if name is not None:
                entry = sums.setdefault((kind, name), [0, 0])
                entry[0] += 1
                entry[1] += micros
    return [(team, kind, name, count, micros) for (kind, name), (count, micros) in sums.items()]


def _batch_item(index: int, item: object) -> tuple[tuple[Any, ...], list[tuple[str, str, str | None, int]]]:
    if not _is_mapping(item):
        raise LedgerError(f"tasks[{index}] must be a mapping of record_task's arguments, got {describe(item)}")
    assert isinstance(item, Mapping)
    keys = item.keys()
    if not _BATCH_KEY_SET >= keys >= _BATCH_REQUIRED:
        unknown = [key for key in keys if key not in _BATCH_KEY_SET]
        if unknown:
            raise LedgerError(
                f"tasks[{index}] has unknown key {unknown[0]!r} (a task has {', '.join(_BATCH_KEYS)})"
            )
        missing = [key for key in _BATCH_KEYS if key in _BATCH_REQUIRED and key not in keys]
        raise LedgerError(f"tasks[{index}] is missing {missing[0]!r}")
    try:
        return _task(
            item["team_id"], item["task_id"], item["app_endpoint"], item["completed_at"], item["fees"],
            item.get("usage_events", ()), item.get("discount", 0),
        )
    except LedgerError as exc:
        raise LedgerError(f"tasks[{index}]: {exc}") from None


def _fast_item(item: object) -> tuple[tuple[Any, ...], list[tuple[str, str, str | None, int]]] | None:
    """_batch_item for the items almost every batch holds (plain dicts, UTC
    datetimes, int seconds), in one pass without calls; None for anything
    else, which _batch_item then accepts or refuses with its message. It
    accepts nothing that _batch_item refuses (tests/usage/test_batch.py)."""
    if type(item) is not dict or not item.keys() <= _BATCH_KEY_SET:
        return None
    try:
        team, task, app, at, fees = (
            item["team_id"], item["task_id"], item["app_endpoint"], item["completed_at"], item["fees"]
        )
    except KeyError:
        return None
    if not (
        type(team) is str and type(task) is str and type(app) is str
        and 0 < len(team) <= _MAX_ID and 0 < len(task) <= _MAX_ID and 0 < len(app) <= _MAX_ID
        and "\x00" not in team and "\x00" not in task and "\x00" not in app
        and type(at) is datetime and at.tzinfo is timezone.utc and type(fees) is dict
    ):
        return None
    micros = (at - _EPOCH) // _MICROSECOND
    if not EARLIEST_US <= micros < LATEST_US:
        return None
    row: list[Any] = [team, task, app, micros, micros // DAY]
    for name in COMPONENTS:
        entry = fees.get(name)
        if type(entry) is not dict or "error" in entry:
            return None
        value = entry.get("value")
        if type(value) is not int or not 0 <= value <= INT64_MAX:
            return None
        row.append(value)
    discount = item.get("discount", 0)
    if type(discount) is not int or not 0 <= discount <= row[-1]:
        return None
    row.append(discount)
    usage = item.get("usage_events", ())
    if type(usage) is not list and type(usage) is not tuple:
        return None
    events = []
    for event in usage:
        if type(event) is not dict or not event.keys() <= _EVENT_KEY_SET:
            return None
        tier, kind, model, seconds = event.get("tier"), event.get("type"), event.get("model"), event.get("seconds")
        if not (
            type(tier) is str and type(kind) is str and 0 < len(tier) <= _MAX_ID and 0 < len(kind) <= _MAX_ID
            and "\x00" not in tier and "\x00" not in kind
            and (model is None or (type(model) is str and 0 < len(model) <= _MAX_ID and "\x00" not in model))
            and type(seconds) is int and 0 <= seconds <= _MAX_SECONDS
        ):
            return None
        events.append((tier, kind, model, seconds * 1_000_000))
    return tuple(row), events


def _record_chunk(tx: Any, chunk: Sequence[tuple[int, object]]) -> int:
    """Validate and write one chunk of a batch; how many tasks were new."""
    tasks: list[tuple[Any, ...]] = []
    events: list[list[tuple[str, str, str | None, int]]] = []
    seen: set[tuple[str, str]] = set()
    for index, item in chunk:
        staged = _fast_item(item) or _batch_item(index, item)
        row = staged[0]
        key = (row[0], row[1])
        if key in seen:
            continue  # the first record in the batch stands, as it would one call at a time
        seen.add(key)
        tasks.append(row)
        events.append(staged[1])
    fresh = tx.insert_new(sql.TASKS, sql.TASK_COLUMNS, sql.TASK_KEY, tasks)
    if fresh is not None:
        tasks = [tasks[index] for index in fresh]
        events = [events[index] for index in fresh]
    if not tasks:
        return 0
    usage: dict[tuple[str, str, str, str | None], list[int]] = {}
    event_rows = []
    for task, task_events in zip(tasks, events):
        team, task_id = task[0], task[1]
        for seq, (tier, kind, model, micros) in enumerate(task_events):
            event_rows.append((team, task_id, seq, tier, kind, model, micros))
            entry = usage.get((team, tier, kind, model))
            if entry is None:
                usage[team, tier, kind, model] = [1, micros]
            else:
                entry[0] += 1
                entry[1] += micros
    # Per (team, tier, type, model) above, which are few; per column here.
    by_column: dict[tuple[str, str, str], list[int]] = {}
    for (team, *names), (count, micros) in usage.items():
        for column, name in zip(sql.USAGE_COLUMNS, names):
            if name is not None:
                entry = by_column.setdefault((team, column, name), [0, 0])
                entry[0] += count
                entry[1] += micros
    tx.load(sql.EVENTS, sql.EVENT_COLUMNS, event_rows)
    tx.merge(sql.ROLLUPS, sql.ROLLUP_COLUMNS, sql.ROLLUP_KEY, _rollup_rows(tasks))
    tx.merge(sql.USAGE_ROLLUPS, sql.USAGE_ROLLUP_COLUMNS, sql.USAGE_ROLLUP_KEY, _sums(by_column))
    return len(tasks)


def _rollup_rows(tasks: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """What the tasks add to the rollups, as (team, step, bucket, app, calls,
    net) per key, in the order of the rollups' primary key (see _sums): each
    key of a batch then costs the database one write. A pass per step with
    keys of three costs a quarter less than one pass with keys of four."""
    rows: list[tuple[Any, ...]] = []
    for step in sql.STEPS:
        calls: dict[tuple[str, int, str], int] = {}
        nets: dict[tuple[str, int, str], int] = {}
        count_of, net_of = calls.get, nets.get
        for task in tasks:
            at = task[3]
            key = (task[0], at - at % step, task[2])
            calls[key] = count_of(key, 0) + 1
            nets[key] = net_of(key, 0) + task[9] - task[10]
        if max(nets.values(), default=0) > INT64_MAX:
            raise LedgerError(OVERFLOW)
        rows += [(key[0], step, key[1], key[2], calls[key], nets[key]) for key in calls]
    rows.sort()
    return rows


def _sums(sums: dict[Any, list[int]]) -> list[tuple[Any, ...]]:
    """Rows of (*key, count, sum) in key order (which is also the order of the
    rollups' primary keys: the writes walk their B-trees forwards)."""
    rows = []
    for key in sorted(sums):
        count, total = sums[key]
        if total > INT64_MAX:
            raise LedgerError(OVERFLOW)
        rows.append((*key, count, total))
    return rows


def _check_repeat(refund_id: str, task: str, amount: int | None, done_task: str, done_amount: int) -> None:
    """A refund_id seen before must be the same refund again."""
    if done_task != task:
        raise LedgerError(f"refund_id {refund_id!r} was used for task {done_task!r}, not {task!r}")
    if amount is not None and amount != int(done_amount):
        raise LedgerError(
            f"refund_id {refund_id!r} refunded {int(done_amount)} microcents, not {amount}; "
            "a new refund needs a new refund_id"
        )


def _plain(value: object) -> bool:
    """An identifier as almost every call gives one (record_tasks checks millions)."""
    return (
        type(value) is str and 0 < len(value) <= _MAX_ID and "\x00" not in value
        and (value.isascii() or _SURROGATE.search(value) is None)
    )


# A lone surrogate (JSON "\ud800" decodes to one) cannot be stored as UTF-8:
# the database driver would raise UnicodeEncodeError.
_SURROGATE = re.compile("[\ud800-\udfff]")


def _identifier(value: object, what: str) -> str:
    if _plain(value):
        return value  # type: ignore[return-value]
    if not isinstance(value, str):
        raise LedgerError(f"{what} must be a string, got {describe(value)}")
    if not value or len(value) > _MAX_ID:
        raise LedgerError(f"{what} must have 1 to {_MAX_ID} characters, got {len(value)}")
    if "\x00" in value:
        raise LedgerError(f"{what} must not contain NUL characters")
    found = _SURROGATE.search(value)
    if found is not None:
        raise LedgerError(
            f"{what} must be valid Unicode text: a lone surrogate U+{ord(found.group()):04X} "
            f"at character {found.start()} cannot be stored"
        )
    return value


def _is_mapping(value: object) -> bool:
    return type(value) is dict or isinstance(value, Mapping)  # isinstance on an ABC is slow


def _version(value: object, what: str) -> int:
    if type(value) is not int or not 1 <= value <= 2**31 - 1:
        raise LedgerError(f"{what} must be an integer from 1, got {describe(value)}")
    return value


def _int64(value: int, what: str) -> int:
    if value > INT64_MAX:
        raise LedgerError(f"{what} overflows int64 microcents")
    return value


def _components(fees: object) -> list[int]:
    """The five components of an evaluate_pricing response, as microcents."""
    if not _is_mapping(fees):
        raise LedgerError(f"fees must be the object evaluate_pricing returns, got {describe(fees)}")
    charged = []
    for name in COMPONENTS:
        entry = fees.get(name)  # type: ignore[attr-defined]
        value = entry.get("value") if type(entry) is dict and "error" not in entry else None
        if type(value) is not int or not 0 <= value <= INT64_MAX:
            value = _component(f"fees.{name}", entry)
        charged.append(value)
    return charged


def _component(path: str, entry: object) -> int:
    """The microcents of a component, or what is wrong with it."""
    if entry is None:
        raise LedgerError(f"{path} is missing")
    if not _is_mapping(entry):
        raise LedgerError(f"{path} must be {{\"value\": microcents}}, got {describe(entry)}")
    assert isinstance(entry, Mapping)
    if "error" in entry:
        raise LedgerError(f"{path} failed and cannot be charged: {entry['error']}")
    value = entry.get("value")
    if type(value) is not int:
        raise LedgerError(f"{path}.value must be an integer number of microcents, got {describe(value)}")
    if not 0 <= value <= INT64_MAX:
        raise LedgerError(f"{path}.value must be between 0 and {INT64_MAX} microcents, got {value}")
    return value


def _events(events: object) -> list[tuple[str, str, str | None, int]]:
    """Validated usage events as (tier, type, model, microseconds)."""
    if type(events) is not list and type(events) is not tuple and (
        isinstance(events, (str, bytes, Mapping)) or not isinstance(events, Iterable)
    ):
        raise LedgerError(f"usage_events must be a list of events, got {describe(events)}")
    out = []
    for index, event in enumerate(events):
        if not _is_mapping(event):
            raise LedgerError(
                f"usage_events[{index}] must be an object {{tier, type, model, seconds}}, got {describe(event)}"
            )
        unknown = [key for key in event if key not in _EVENT_KEYS]
        if unknown:
            raise LedgerError(
                f"usage_events[{index}] has unknown key {unknown[0]!r} (an event has {', '.join(_EVENT_KEYS)})"
            )
        tier, kind, model, seconds = event.get("tier"), event.get("type"), event.get("model"), event.get("seconds")
        if not (_plain(tier) and _plain(kind) and (model is None or _plain(model))):
            tier = _identifier(tier, f"usage_events[{index}].tier")
            kind = _identifier(kind, f"usage_events[{index}].type")
            if model is not None:
                model = _identifier(model, f"usage_events[{index}].model")
        if type(seconds) is int and 0 <= seconds <= _MAX_SECONDS:
            micros = seconds * 1_000_000
        else:
            micros = _micros(seconds, f"usage_events[{index}].seconds")
        out.append((tier, kind, model, micros))
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
