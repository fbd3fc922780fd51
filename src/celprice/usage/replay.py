"""Replay: what a draft AppPricing would have charged for an app's recorded
tasks (`celprice backtest`). Reference: docs/usage.md, Replay.

The tasks recorded with their pricing inputs (audit.py) are read once, cut
into chunks, and each chunk is re-priced by `reprice_chunk` wherever an
executor runs it: in this process for a small replay, on every core through a
process pool, or on a cluster through any `concurrent.futures.Executor` (a
Dask client's `get_executor()`). A worker compiles the draft once and keeps
it. Each chunk returns partial sums that merge in chunk order, so the report
is the same however the work was cut and wherever it ran.
"""
from __future__ import annotations

import heapq
import json
import multiprocessing
import os
import re
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from ..pricing import check_pricing
from ..pricing.evaluator import PricingEngine
from ..pricing.request import RequestError, describe, task_activation
from .audit import COMPONENTS

assert len(COMPONENTS) == 5  # reprice_chunk unrolls them
from .errors import InvalidPricing, LedgerError
from .periods import DAY, iso_z, to_micros

if TYPE_CHECKING:
    from .ledger import Ledger

__all__ = ["backtest", "reprice_chunk", "parse_range", "TOP_CHANGES", "LISTED_FAILURES"]

TOP_CHANGES = 20  # tasks whose total changes most, in the report
LISTED_FAILURES = 100  # failed tasks listed (all are counted, by error)
LISTED_ERRORS = 20
_RANGE = re.compile(r"([1-9][0-9]{0,4})([hd])\Z")
_HOUR = 3_600_000_000
_MAX_RANGE = 3660 * DAY
# Chunks per worker: enough that a slow chunk does not leave the others idle
# at the end, few enough that each is worth sending.
_CHUNKS_PER_WORKER = 4
_MIN_CHUNK = 500

Progress = Callable[[int, int], None]


def parse_range(text: object) -> int:
    """`30d`, `12h`: the window's length in microseconds (at most ten years)."""
    match = _RANGE.match(text) if isinstance(text, str) else None
    if match is None:
        raise LedgerError(f"range must be a number of days or hours such as 30d or 12h, got {describe(text)}")
    length = int(match.group(1)) * (DAY if match.group(2) == "d" else _HOUR)
    if length > _MAX_RANGE:
        raise LedgerError(f"range must be at most 3660d, got {text}")
    return length


# --- the worker's part ---------------------------------------------------------------

# Per process: the draft compiled once however many chunks this process prices.
_ENGINES: dict[str, PricingEngine] = {}


def _engine(draft_json: str) -> PricingEngine:
    engine = _ENGINES.get(draft_json)
    if engine is None:
        _ENGINES.clear()  # one draft at a time is what a worker replays
        engine = _ENGINES[draft_json] = PricingEngine(json.loads(draft_json))
    return engine


def reprice_chunk(draft_json: str, rows: Sequence[Sequence[Any]]) -> dict[str, Any]:
    """Re-price rows of `Ledger.replay_tasks` with the draft: partial sums per
    day, the chunk's biggest changes and first failures, and failures by error.
    A top-level function of plain data, so that any executor can run it."""
    engine = _engine(draft_json)
    run, prices, loads, activation = engine.run, engine.prices, json.loads, task_activation
    days: dict[int, list[int]] = {}
    changes: list[tuple[Any, ...]] = []
    failures: list[tuple[Any, ...]] = []
    errors: dict[str, int] = {}
    # The five components unrolled: this loop is the replay's whole cost but the formulas'.
    for team, task, at, r0, r1, r2, r3, r4, inputs in rows:
        day = at // DAY
        sums = days.get(day)
        if sums is None:
            sums = days[day] = [0] * 12
        sums[0] += 1
        sums[2] += r0
        sums[3] += r1
        sums[4] += r2
        sums[5] += r3
        sums[6] += r4
        try:
            response = run(activation(prices, **loads(inputs)))
        except RequestError as e:
            error = f"the recorded inputs do not fit: {e}"
        else:
            c0, c1, c2, c3, c4 = (response[name] for name in COMPONENTS)
            # An entry is {"value": v}, or {"value": 0, "error": "..."}.
            if len(c0) == 1 and len(c1) == 1 and len(c2) == 1 and len(c3) == 1 and len(c4) == 1:
                v4 = c4["value"]
                sums[7] += c0["value"]
                sums[8] += c1["value"]
                sums[9] += c2["value"]
                sums[10] += c3["value"]
                sums[11] += v4
                if v4 != r4:
                    changes.append((-abs(v4 - r4), team, task, at, r4, v4))
                continue
            error = str(next(entry["error"] for entry in (c0, c1, c2, c3, c4) if "error" in entry))
        sums[1] += 1
        errors[error] = errors.get(error, 0) + 1
        if len(failures) < LISTED_FAILURES:
            failures.append((at, team, task, error))
    return {"days": days, "changes": heapq.nsmallest(TOP_CHANGES, changes), "failures": failures, "errors": errors}


def _warm(draft_json: str) -> None:
    """A pool worker's initializer: compile the draft before the first chunk arrives."""
    _engine(draft_json)


# --- the driver's part ---------------------------------------------------------------


def backtest(
    ledger: Ledger,
    app_endpoint: str,
    draft: Mapping[str, Any],
    *,
    range: str = "30d",
    now: datetime | None = None,
    executor: Executor | None = None,
    workers: int | None = None,
    chunk_size: int | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """What `draft` would have charged for the app's tasks recorded with their
    pricing inputs and completed in the `range` (`30d`, `12h`) before `now`,
    next to what they were charged: per day and fee component, in all, the
    tasks whose total changes most, and the tasks the draft fails on.

    `executor`: where chunks run (any concurrent.futures Executor, e.g. a Dask
    client's `get_executor()`); by default a process pool of `workers`
    (default: every core) or, for a replay of one chunk, this process.
    `progress(done, total)` is called as chunks finish. InvalidPricing when the
    draft has problems (nothing is replayed).
    """
    problems = check_pricing(draft)
    if problems:
        raise InvalidPricing(app_endpoint, problems, "the draft pricing of {app!r} cannot be replayed")
    draft_json = json.dumps(draft, sort_keys=True, separators=(",", ":"))
    length = parse_range(range)
    end = to_micros(now if now is not None else datetime.now(timezone.utc), "now")
    start = end - length
    rows = ledger.replay_tasks(app_endpoint, start, end + 1)
    total = len(rows)
    if workers is None:
        workers = _cores()
    if chunk_size is None:
        chunk_size = max(_MIN_CHUNK, -(-total // (max(workers, 1) * _CHUNKS_PER_WORKER)))
    elif type(chunk_size) is not int or chunk_size < 1:
        raise LedgerError(f"chunk_size must be a positive integer, got {describe(chunk_size)}")
    chunks = _chunks(rows, chunk_size)
    sizes = [len(chunk) for chunk in chunks]
    parts: list[dict[str, Any] | None] = [None] * len(chunks)
    done = 0
    if progress is not None:
        progress(0, total)
    if executor is None and (len(chunks) <= 1 or workers <= 1):
        for index, chunk in enumerate(chunks):
            parts[index] = reprice_chunk(draft_json, chunk)
            done += sizes[index]
            if progress is not None:
                progress(done, total)
    else:
        own = executor is None
        pool = executor if executor is not None else ProcessPoolExecutor(
            max_workers=min(workers, len(chunks)), mp_context=_start_method(), initializer=_warm, initargs=(draft_json,)
        )
        try:
            futures = {pool.submit(reprice_chunk, draft_json, chunk): index for index, chunk in enumerate(chunks)}
            del chunks
            for future in as_completed(futures):
                index = futures[future]
                parts[index] = future.result()
                done += sizes[index]
                if progress is not None:
                    progress(done, total)
        finally:
            if own:
                pool.shutdown(cancel_futures=True)
    return _report(app_endpoint, range, start, end, total, [part for part in parts if part is not None])


def _chunks(rows: list[Any], size: int) -> list[list[Any]]:
    return [rows[first:first + size] for first in range(0, len(rows), size)]


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _sums(values: Sequence[int]) -> dict[str, int]:
    return dict(zip(COMPONENTS, values))


def _start_method() -> Any:
    """Workers started from a fresh single-threaded process, never forked from
    this one: the caller (a server, a ledger with its threads) may be
    multi-threaded, and a forked child can inherit a lock some other thread
    held, and hang on it (Python 3.12 warns of it; 3.14 stopped forking by default)."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    # The server imports celprice once; each worker forked from it starts warm.
    context.set_forkserver_preload([__name__])
    return context


def _report(app: str, range_: str, start: int, end: int, total: int, parts: list[dict[str, Any]]) -> dict[str, Any]:
    width = len(COMPONENTS)
    days: dict[int, list[int]] = {}
    changes: list[tuple[Any, ...]] = []
    failures: list[tuple[Any, ...]] = []
    errors: dict[str, int] = {}
    for part in parts:
        for day, sums in part["days"].items():
            into = days.setdefault(day, [0] * len(sums))
            for i, value in enumerate(sums):
                into[i] += value
        changes += part["changes"]
        failures += part["failures"]
        for error, count in part["errors"].items():
            errors[error] = errors.get(error, 0) + count
    changes.sort()
    failures.sort()
    in_all = [0] * (2 + 2 * width)
    timeline = []
    for day in range(start // DAY, end // DAY + 1):
        sums = days.get(day, [0] * (2 + 2 * width))
        for i, value in enumerate(sums):
            in_all[i] += value
        timeline.append({
            "date": iso_z(day * DAY)[:10],
            "tasks": sums[0],
            "failed": sums[1],
            "recorded": _sums(sums[2:2 + width]),
            "draft": _sums(sums[2 + width:]),
        })
    recorded, drafted = in_all[2:2 + width], in_all[2 + width:]
    return {
        "app_endpoint": app,
        "range": range_,
        "period_start": iso_z(start),
        "period_end": iso_z(end),
        "tasks": total,
        "failed": in_all[1],
        "components": {
            name: {"recorded": old, "draft": new, "change": new - old}
            for name, old, new in zip(COMPONENTS, recorded, drafted)
        },
        "days": timeline,
        "biggest_changes": [
            {"team_id": team, "task_id": task, "completed_at": iso_z(at), "recorded": old, "draft": new,
             "change": new - old}
            for _, team, task, at, old, new in changes[:TOP_CHANGES]
        ],
        "failures": {
            "count": in_all[1],
            "errors": [
                {"error": error, "tasks": count}
                for error, count in sorted(errors.items(), key=lambda item: (-item[1], item[0]))[:LISTED_ERRORS]
            ],
            "tasks": [
                {"team_id": team, "task_id": task, "completed_at": iso_z(at), "error": error}
                for at, team, task, error in failures[:LISTED_FAILURES]
            ],
        },
    }
