"""How fast the usage ledger answers `/usage/breakdown` over a large team.

Builds (once, then reuses) a SQLite ledger of 1,000,000 completed tasks of one
team, spread over the 30 days before NOW across 50 apps, and times
`Ledger.breakdown` for every range; with --postgres URL, the same on a
PostgreSQL database (loaded into its own tables there). Also times single
`record_task` calls, the write path of a service. Reported, not asserted:
the goal of issue 8 is a 30d breakdown under a second on SQLite.

    python benchmarks/ledger_breakdown.py                      # ~1 minute the first time
    python benchmarks/ledger_breakdown.py --records 200000 --repeat 3
    python benchmarks/ledger_breakdown.py --postgres postgresql://localhost/bench

The bulk load goes through the ledger's own INSERT statement in one
transaction (a million separate record_task transactions would take minutes
and measure fsync, not the ledger).
"""
from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from workload import ensure_celprice_importable

ensure_celprice_importable()

from celprice.usage import RANGES, Ledger  # noqa: E402
from celprice.usage import sql  # noqa: E402
from celprice.usage.ledger import COMPONENTS  # noqa: E402
from celprice.usage.periods import DAY, to_micros, window  # noqa: E402

NOW = datetime(2026, 6, 4, 12, 0, tzinfo=timezone.utc)
TEAM = "team-big"
APPS = 50
FEES = {name: {"value": 1000} for name in COMPONENTS}


def load(ledger: Ledger, records: int, seed: int = 1) -> None:
    """`records` tasks of TEAM in the 30 days before NOW, one transaction."""
    rng = random.Random(seed)
    end = to_micros(NOW, "now")
    span = 30 * DAY
    rows = []
    for i in range(records):
        at = end - rng.randrange(span)
        app = f"app-{rng.randrange(APPS):02d}"
        rows.append((TEAM, f"task-{i}", app, at, at // DAY, 0, 0, 0, 0, rng.randrange(1, 10**6), 0))
    with ledger._db.transaction(write=True) as tx:  # noqa: SLF001 - bulk load of a benchmark
        tx.change_many(sql.INSERT_TASK, rows)


def sqlite_ledger(records: int, directory: Path) -> Ledger:
    path = directory / f"ledger-{records}.db"
    fresh = not path.exists()
    ledger = Ledger(f"sqlite:///{path}")
    if fresh:
        started = time.perf_counter()
        load(ledger, records)
        print(f"loaded {records:,} records into {path} in {time.perf_counter() - started:.1f} s")
    return ledger


def time_breakdowns(ledger: Ledger, repeat: int) -> dict[str, tuple[float, float, int]]:
    """range -> (median seconds, best seconds, buckets)."""
    out = {}
    for range_ in RANGES:
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            answer = ledger.breakdown(TEAM, range_, now=NOW)
            times.append(time.perf_counter() - started)
        out[range_] = (statistics.median(times), min(times), len(answer["timeseries"]))
    return out


def in_window(ledger: Ledger, range_: str) -> int:
    win = window(range_, to_micros(NOW, "now"))
    with ledger._db.transaction(write=False) as tx:  # noqa: SLF001 - a count for the report
        rows = tx.rows(
            "SELECT COUNT(*) FROM celprice_tasks WHERE team_id = ? AND completed_at >= ? AND completed_at <= ?",
            (TEAM, win.start, win.end),
        )
    return int(rows[0][0])


def time_record_task(ledger: Ledger, count: int) -> float:
    """Seconds per record_task call (one transaction each, one usage event)."""
    event = [{"tier": "cloud", "type": "gpu", "model": "m", "seconds": 3}]
    run = time.time_ns()  # new task ids every run: a repeated id is a cheap no-op
    started = time.perf_counter()
    for i in range(count):
        ledger.record_task("team-writes", f"w-{run}-{i}", "app-00", NOW - timedelta(seconds=i), FEES, event)
    return (time.perf_counter() - started) / count


def report(name: str, ledger: Ledger, repeat: int, writes: int) -> None:
    print(f"\n{name}: breakdown of {TEAM} (median / best of {repeat})")
    print("| range | records in window | buckets | median | best |")
    print("|---|---:|---:|---:|---:|")
    for range_, (median, best, buckets) in time_breakdowns(ledger, repeat).items():
        records = in_window(ledger, range_)
        print(f"| {range_} | {records:,} | {buckets} | {median * 1000:.0f} ms | {best * 1000:.0f} ms |")
    print(f"record_task: {time_record_task(ledger, writes) * 1e6:.0f} µs per call ({writes} calls)")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--writes", type=int, default=2000, help="record_task calls to time")
    parser.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()), help="where the SQLite file is kept")
    parser.add_argument("--postgres", metavar="URL", help="also run on this (scratch) PostgreSQL database")
    args = parser.parse_args(argv)

    with sqlite_ledger(args.records, args.dir) as ledger:
        report(f"SQLite file, {args.records:,} records", ledger, args.repeat, args.writes)
    if args.postgres:
        import psycopg

        with Ledger(args.postgres) as ledger, psycopg.connect(args.postgres, autocommit=True) as admin:
            admin.execute("TRUNCATE celprice_usage, celprice_tasks")
            started = time.perf_counter()
            load(ledger, args.records)
            print(f"\nloaded {args.records:,} records into PostgreSQL in {time.perf_counter() - started:.1f} s")
            # What autovacuum would do soon after a bulk load; without it the
            # index-only scans still visit the heap.
            admin.execute("VACUUM ANALYZE celprice_tasks")
            report(f"PostgreSQL, {args.records:,} records", ledger, args.repeat, args.writes)

if __name__ == "__main__":
    main()
