"""How fast the usage ledger answers `/usage/breakdown` as it grows, and how
fast it records tasks.

In one run, on SQLite files (kept in --dir and reused by later runs):
- every range of `Ledger.breakdown` (and the summary) over ledgers of one
  team across 50 apps, in three layouts: each of --sizes records spread over
  the 30 days before NOW (the team gets busier: a window holds more tasks
  and more (bucket, app) pairs); each of --dense-sizes records all in the day
  before NOW (the corner where every bucket is full and the edges meet many
  records); each of --history-sizes records at the density of 100,000 per
  90 days, over as many days before NOW as that takes (a longer history:
  every window holds what it holds at 100,000); the ledgers of a layout take
  turns call by call, so that the ratios between them are measured in the
  same moments;
- batch ingestion: --ingest tasks (one usage event each) into a fresh file
  with `record_tasks`, in calls of --batch;
- single `record_task` calls (one transaction each) on a fresh file, and with
  --baseline DIR the same for the celprice checkout in DIR (say, main before
  a change), interleaved, each in its own process.
With --postgres URL (a server on which the benchmark may create databases)
the same on PostgreSQL: ingestion and breakdowns of --pg-records records, and
single record_task calls (also of --baseline).

    python benchmarks/ledger_breakdown.py                               # minutes the first time
    python benchmarks/ledger_breakdown.py --sizes 100000,10000000 --dense-sizes 100000,10000000 \\
        --history-sizes 100000,10000000 --baseline /tmp/ledger-before \\
        --postgres postgresql://celprice@/postgres?host=/tmp/pg

The SQLite ledgers are built once by bulk SQL (see sqlite_ledger: 10,000,000
records take minutes on an idle machine, far longer on a loaded one) and kept
in --dir; the PostgreSQL one is built through `record_tasks`, whose rate is
the PostgreSQL ingestion figure. Reported, not asserted: the goals are those
of issue 21 (docs/performance.md).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from workload import ensure_celprice_importable

ensure_celprice_importable()

from celprice.usage import RANGES, Ledger  # noqa: E402
from celprice.usage.ledger import COMPONENTS  # noqa: E402
from celprice.usage.migrations import LATEST, STEPS  # noqa: E402
from celprice.usage.periods import to_micros, window  # noqa: E402
from celprice.usage.sql import REBUILD  # noqa: E402

NOW = datetime(2026, 6, 4, 12, 0, tzinfo=timezone.utc)
# Breakdowns are asked at a time off the minute, as a real caller's are: the
# windows' edges then cut minutes, which are read from the records.
ASKED = NOW - timedelta(minutes=23, seconds=17, microseconds=250_000)
TEAM = "team-big"
APPS = 50
FEES = {name: {"value": 1000} for name in COMPONENTS}
EVENT = [{"tier": "cloud", "type": "gpu", "model": "m", "seconds": 3}]
_US_PER_DAY = 86400 * 10**6
# The history layout's density: --history-sizes records span this many days
# per 100,000, so that 100,000 of them already fill the longest range (90d).
HISTORY_DAYS_PER_100K = 90


def tasks(count: int, span_days: int, seed: int = 1, events: bool = False, prefix: str = "task") -> Iterator[dict]:
    """`count` tasks of TEAM completed in the `span_days` days before NOW."""
    rng = random.Random(seed)
    span = span_days * _US_PER_DAY
    usage = EVENT if events else ()
    for i in range(count):
        yield {
            "team_id": TEAM, "task_id": f"{prefix}-{i}", "app_endpoint": f"app-{rng.randrange(APPS):02d}",
            "completed_at": NOW - timedelta(microseconds=rng.randrange(span)), "fees": FEES,
            "usage_events": usage,
        }


def chunks(items: Iterator[dict], size: int) -> Iterator[list[dict]]:
    while True:
        chunk = [item for _, item in zip(range(size), items)]
        if not chunk:
            return
        yield chunk


def sqlite_ledger(records: int, directory: Path, span_days: int = 30) -> Ledger:
    """A SQLite ledger of `records` tasks of TEAM over `span_days` days, built once.

    Built by bulk SQL rather than through the ledger, so that 10,000,000
    records take minutes: the records are inserted in primary-key order with
    the tasks' index dropped, which is then created again, and the rollups are
    computed by the ledger's own rebuild (sql.REBUILD, the statements of
    `rebuild_rollups`, which tests/usage/test_rollups.py proves equal to the
    rollups kept by record_task and record_tasks). The tasks' times and apps
    are spread by multiplicative hashing of their number, not drawn at random.
    """
    # Named by the schema's text too: a changed step (while unreleased) builds anew.
    schema = hashlib.sha256(repr(STEPS).encode()).hexdigest()[:8]
    path = directory / f"ledger-v{LATEST}-{schema}-{span_days}d-{records}.db"
    done = path.with_suffix(".done")
    if not done.exists():
        for stale in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            stale.unlink(missing_ok=True)
        started = time.perf_counter()
        Ledger(f"sqlite:///{path}").close()  # the schema, by the ledger's migrations
        build = sqlite3.connect(path, isolation_level=None)
        # For the build only: no journal and no fsync (a build cut short is
        # built again: the .done file is written last), a GiB of pages so
        # that the sorts of the rebuild stay in memory.
        build.execute("PRAGMA journal_mode = OFF")
        build.execute("PRAGMA synchronous = OFF")
        build.execute("PRAGMA cache_size = -1000000")
        build.execute("PRAGMA temp_store = MEMORY")
        indexes = build.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'celprice_tasks' AND sql IS NOT NULL"
        ).fetchall()
        end = to_micros(NOW, "now")
        build.execute("BEGIN")
        for name, _ in indexes:
            build.execute(f"DROP INDEX {name}")
        build.execute(
            f"""WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?),
                spread(i, at) AS (SELECT i, ? - 1 - (i * 2654435761) % ? FROM n)
            INSERT INTO celprice_tasks (team_id, task_id, app_endpoint, completed_at, completed_day,
                resource_fee, inference_fee, royalty_fee, partner_fee, total)
            SELECT ?, printf('task-%010d', i), printf('app-%02d', ((i * 2246822519) >> 8) % {APPS}),
                at, at / {_US_PER_DAY}, 1000, 1000, 1000, 1000, 1000
            FROM spread""",
            (records, end, span_days * _US_PER_DAY, TEAM),
        )
        for _, index in indexes:
            build.execute(index)
        for statement in REBUILD:
            build.execute(statement)
        build.execute("COMMIT")
        build.execute("PRAGMA journal_mode = WAL")  # as the ledger keeps it
        build.close()
        print(f"built {path} ({records:,} records) in {time.perf_counter() - started:.0f} s", flush=True)
        done.touch()
    return Ledger(f"sqlite:///{path}")


def time_breakdowns(ledgers: list[Ledger], repeat: int) -> list[dict[str, tuple[float, float, int, int]]]:
    """Per ledger, range -> (median seconds, best seconds, buckets, (bucket, app)
    entries of the answer). The ledgers' calls take turns, so that the
    machine's noise (other work, pages the kernel evicts) falls on all of
    them alike and their ratios are measured in the same moments."""
    out: list[dict[str, tuple[float, float, int, int]]] = [{} for _ in ledgers]
    for range_ in RANGES:
        times: list[list[float]] = [[] for _ in ledgers]
        answers = [ledger.breakdown(TEAM, range_, now=ASKED) for ledger in ledgers]  # warm up
        for _ in range(repeat):
            for ledger, timed in zip(ledgers, times):
                started = time.perf_counter()
                ledger.breakdown(TEAM, range_, now=ASKED)
                timed.append(time.perf_counter() - started)
        for answer, timed, result in zip(answers, times, out):
            entries = sum(len(bucket["per_app"]) for bucket in answer["timeseries"])
            result[range_] = (statistics.median(timed), min(timed), len(answer["timeseries"]), entries)
    return out


def in_window(ledger: Ledger, range_: str) -> int:
    win = window(range_, to_micros(ASKED, "now"))
    with ledger._db.transaction(write=False) as tx:  # noqa: SLF001 - a count for the report
        rows = tx.rows(
            "SELECT COUNT(*) FROM celprice_tasks WHERE team_id = ? AND completed_at >= ? AND completed_at <= ?",
            (TEAM, win.start, win.end),
        )
    return int(rows[0][0])


def report_breakdowns(names: list[str], ledgers: list[Ledger], repeat: int) -> list[dict[str, float]]:
    """Print each ledger's table; their median seconds per range."""
    medians = []
    for name, ledger, timed in zip(names, ledgers, time_breakdowns(ledgers, repeat)):
        print(f"\n{name}: breakdown of {TEAM} at {ASKED:%H:%M:%S.%f} (median / best of {repeat})", flush=True)
        print("| range | records in window | buckets | (bucket, app) entries | median | best | median per entry |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        for range_, (median, best, buckets, entries) in timed.items():
            print(f"| {range_} | {in_window(ledger, range_):,} | {buckets} | {entries:,} | {median * 1000:.2f} ms "
                  f"| {best * 1000:.2f} ms | {median / max(entries, 1) * 1e6:.1f} µs |", flush=True)
        started = time.perf_counter()
        ledger.summary(TEAM)
        print(f"summary: {(time.perf_counter() - started) * 1000:.1f} ms", flush=True)
        medians.append({range_: timed[range_][0] for range_ in timed})
    return medians


def _cpu_seconds(pid: int | None) -> float:
    """CPU seconds of this process, and of the database server's process `pid` (Linux)."""
    seconds = time.process_time()
    if pid is not None:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        seconds += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return seconds


def _server_pid(ledger: Ledger) -> int | None:
    """The PostgreSQL backend serving the ledger, when it runs on this machine."""
    if "PostgreSQL" not in repr(ledger):
        return None
    with ledger._db.transaction(write=False) as tx:  # noqa: SLF001 - for the CPU figure
        pid = int(tx.rows("SELECT pg_backend_pid()", ())[0][0])
    return pid if Path(f"/proc/{pid}/stat").exists() else None


def time_ingest(ledger: Ledger, count: int, batch: int, seed: int = 2) -> tuple[float, float]:
    """(tasks per wall second, tasks per CPU second of this process and the
    database server's) of record_tasks; the items are built outside the timed calls."""
    pid = _server_pid(ledger)
    wall = cpu = 0.0
    new = 0
    for chunk in chunks(tasks(count, 30, seed=seed, events=True, prefix="ingest"), batch):
        started, started_cpu = time.perf_counter(), _cpu_seconds(pid)
        new += ledger.record_tasks(chunk)
        wall += time.perf_counter() - started
        cpu += _cpu_seconds(pid) - started_cpu
    assert new == count, (new, count)
    return count / wall, count / cpu


# Timed in a process of its own, for this checkout and for --baseline alike.
WRITER = """
import json, sys, time
from datetime import datetime, timedelta, timezone
from celprice.usage import Ledger
from celprice.usage.ledger import COMPONENTS
fees = {name: {"value": 1000} for name in COMPONENTS}
event = [{"tier": "cloud", "type": "gpu", "model": "m", "seconds": 3}]
now = datetime(2026, 6, 4, 12, 0, tzinfo=timezone.utc)
url, count = sys.argv[1], int(sys.argv[2])
run = time.time_ns()
with Ledger(url) as ledger:
    for i in range(200):  # warm up: imports, statement caches, first pages
        ledger.record_task("team-writes", f"warm-{run}-{i}", "app-00", now - timedelta(seconds=i), fees, event)
    started, started_cpu = time.perf_counter(), time.process_time()
    for i in range(count):
        ledger.record_task("team-writes", f"w-{run}-{i}", "app-00", now - timedelta(seconds=i), fees, event)
    print(json.dumps(((time.perf_counter() - started) / count, (time.process_time() - started_cpu) / count)))
"""


def time_writes(source: Path, url: str, count: int) -> tuple[float, float]:
    """Seconds per record_task call of the celprice in `source`/src: wall
    (mostly the commit's fsync on SQLite) and CPU of the process."""
    env = {**os.environ, "PYTHONPATH": str(source / "src")}
    done = subprocess.run([sys.executable, "-c", WRITER, url, str(count)], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"record_task timing of {source} failed:\n{done.stderr}")
    wall, cpu = json.loads(done.stdout)
    return float(wall), float(cpu)


def compare_writes(name: str, urls: dict[str, str], baseline: Path | None, count: int, rounds: int) -> None:
    """record_task of this checkout (and of the baseline), interleaved, each on its own fresh database."""
    here = Path(__file__).resolve().parents[1]
    sources = {"this checkout": here} | ({"baseline": baseline} if baseline else {})
    times: dict[str, list[tuple[float, float]]] = {label: [] for label in sources}
    for _ in range(rounds):
        for label, source in sources.items():
            times[label].append(time_writes(source, urls[label], count))
    for what, which in (("wall", 0), ("CPU of the process", 1)):
        medians = {label: statistics.median(value[which] for value in values) for label, values in times.items()}
        shown = ", ".join(f"{label} {seconds * 1e6:.0f} µs" for label, seconds in medians.items())
        print(f"\n{name}: record_task, one usage event, {what}, median of {rounds} runs of {count}: {shown}", end="")
        if baseline:
            print(f" (ratio {medians['this checkout'] / medians['baseline']:.2f})", end="")
    print(flush=True)


def _database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path="/" + name))


def fresh_postgres(server: str, name: str) -> str:
    import psycopg

    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    return _database(server, name)


def fresh_sqlite(directory: Path, name: str) -> str:
    path = directory / f"{name}.db"
    for stale in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        stale.unlink(missing_ok=True)
    return f"sqlite:///{path}"


def ratios(small: dict[str, float], large: dict[str, float], what: str) -> None:
    shown = ", ".join(f"{range_} {large[range_] / small[range_]:.2f}" for range_ in small)
    print(f"\n{what}: {shown}", flush=True)


def sizes(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=sizes, default=[100_000, 1_000_000], help="records over 30 days (comma-separated)")
    parser.add_argument("--dense-sizes", type=sizes, default=[100_000, 1_000_000], help="records in one day")
    parser.add_argument("--history-sizes", type=sizes, default=[],
                        help=f"records at 100,000 per {HISTORY_DAYS_PER_100K} days, over as many days as they take")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--ingest", type=int, default=1_000_000, help="tasks to ingest with record_tasks")
    parser.add_argument("--batch", type=int, default=100_000, help="tasks per record_tasks call")
    parser.add_argument("--writes", type=int, default=2000, help="record_task calls per timed run")
    parser.add_argument("--rounds", type=int, default=3, help="timed record_task runs of each checkout")
    parser.add_argument("--baseline", type=Path, help="a celprice checkout to compare record_task with")
    parser.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()), help="where the SQLite files are kept")
    parser.add_argument("--postgres", metavar="URL", help="also run on this PostgreSQL server (creates databases)")
    parser.add_argument("--pg-records", type=int, default=1_000_000)
    args = parser.parse_args(argv)

    print(f"schema version {LATEST}; {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC; load {os.getloadavg()[0]:.1f}")
    layouts = (
        ("over 30 days", args.sizes, lambda count: 30),
        ("in one day", args.dense_sizes, lambda count: 1),
        ("of history", args.history_sizes, lambda count: -(-count * HISTORY_DAYS_PER_100K // 100_000)),
    )
    for layout, counts, span_of in layouts:
        with ExitStack() as stack:
            ledgers = [stack.enter_context(sqlite_ledger(count, args.dir, span_of(count))) for count in counts]
            names = [f"SQLite file, {count:,} records over {span_of(count):,} day(s)" for count in counts]
            medians = report_breakdowns(names, ledgers, args.repeat)
        if len(medians) > 1:
            ratios(medians[0], medians[-1], f"{counts[-1]:,} / {counts[0]:,} records {layout}, median ratio")

    if args.ingest:
        with Ledger(fresh_sqlite(args.dir, "ingest")) as ledger:
            wall, cpu = time_ingest(ledger, args.ingest, args.batch)
        print(f"\nSQLite file: record_tasks of {args.ingest:,} tasks in calls of {args.batch:,}: "
              f"{wall:,.0f} tasks/s ({cpu:,.0f} per CPU second of the process)", flush=True)
    if args.writes and args.rounds:
        compare_writes("SQLite file", {"this checkout": fresh_sqlite(args.dir, "writes"),
                                       "baseline": fresh_sqlite(args.dir, "writes-baseline")},
                       args.baseline, args.writes, args.rounds)

    if args.postgres:
        import psycopg

        # record_task first: after the bulk load, autovacuum of its database
        # shares the cores with the timed writes (measured: 1.46x instead of 0.99x).
        if args.writes and args.rounds:
            compare_writes("PostgreSQL", {"this checkout": fresh_postgres(args.postgres, "celprice_bench_writes"),
                                          "baseline": fresh_postgres(args.postgres, "celprice_bench_before")},
                           args.baseline, args.writes, args.rounds)
        url = fresh_postgres(args.postgres, "celprice_bench")
        with Ledger(url) as ledger, psycopg.connect(url, autocommit=True) as admin:
            wall, cpu = time_ingest(ledger, args.pg_records, args.batch, seed=1)
            print(f"\nPostgreSQL: record_tasks of {args.pg_records:,} tasks in calls of {args.batch:,}: "
                  f"{wall:,.0f} tasks/s ({cpu:,.0f} per CPU second of this process and the server's)", flush=True)
            # What autovacuum would do soon after a bulk load.
            admin.execute("VACUUM ANALYZE")
            report_breakdowns([f"PostgreSQL, {args.pg_records:,} records over 30 days"], [ledger], args.repeat)
    print(f"\ndone {datetime.now(timezone.utc):%H:%M} UTC; load {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
