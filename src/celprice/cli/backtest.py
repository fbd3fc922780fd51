"""`celprice backtest`: what a draft pricing would have charged for an app's
recorded tasks (celprice.usage.replay), as JSON, a summary and a chart."""
from __future__ import annotations

import argparse
import contextlib
import json
import sys
import time
from collections.abc import Iterator
from concurrent.futures import Executor
from typing import Any

from ..pricing.money import format_dollars
from .chart import revenue_chart
from .common import OK, UsageError, add_db_option, read_document
from .terminal import unescaped
from .usage import _time

__all__ = ["add_parser", "run"]


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "backtest",
        help="replay an app's recorded tasks with a draft pricing",
        description="Re-price the tasks of APP recorded with their pricing inputs in the last RANGE with the "
        "draft AppPricing of DRAFT (JSON or YAML), on every core (or a Dask cluster with --scheduler), and "
        "report per day and fee component what was charged and what the draft would charge, the tasks whose "
        "charge changes most, and the tasks the draft fails on. The report is JSON, on stdout or in --out. "
        "Exit 0 when replayed (failures are in the report), 1 when the ledger refuses, 2 on a usage error "
        "or a draft with problems.",
    )
    add_db_option(p)
    p.add_argument("--app", required=True, metavar="NAMESPACE/NAME", help="the app whose tasks to replay")
    p.add_argument("draft", metavar="DRAFT", help="the draft AppPricing, a JSON or YAML file ('-' for stdin)")
    p.add_argument("--range", default="30d", metavar="RANGE",
                   help="how far back: a number of days or hours, such as 30d or 12h (default: 30d)")
    p.add_argument("--now", metavar="TIME", help="the window's end, RFC 3339 with a zone (default: the current time)")
    p.add_argument("--out", metavar="FILE", help="write the JSON report to FILE and print a summary instead")
    p.add_argument("--chart", metavar="FILE.html",
                   help="also write a self-contained HTML chart of recorded vs draft revenue per day")
    p.add_argument("--workers", type=int, metavar="N", help="processes to use (default: every core)")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="run on the Dask cluster of this scheduler (tcp://host:8786; needs celprice[distributed])")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..usage import InvalidPricing, Ledger
    from ..usage.replay import backtest

    draft = read_document(args.draft)
    if args.workers is not None and args.workers < 1:
        raise UsageError(f"--workers must be at least 1, got {args.workers}")
    now = _time(args.now, "--now") if args.now else None
    bar = _Bar() if unescaped(sys.stderr).isatty() else None
    with Ledger(args.db) as ledger, _executor(args.scheduler) as executor:
        try:
            report = backtest(ledger, args.app, draft, range=args.range, now=now, executor=executor,
                              workers=args.workers, progress=bar)
        except InvalidPricing as e:
            raise UsageError(f"the draft {args.draft} has problems: " + "; ".join(p.headline() for p in e.problems)) from None
        finally:
            if bar is not None:
                bar.finish()
    text = json.dumps(report, indent=2, ensure_ascii=False)
    if args.chart:
        _write(args.chart, revenue_chart(report))
    if args.out:
        _write(args.out, text + "\n")
        print(summary(report))
    else:
        print(text)
    return OK


def _write(path: str, text: str) -> None:
    try:
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
    except OSError as e:
        raise UsageError(f"cannot write {path}: {e.strerror or e}") from None


@contextlib.contextmanager
def _executor(scheduler: str | None) -> Iterator[Executor | None]:
    if scheduler is None:
        yield None
        return
    try:
        from distributed import Client
    except ImportError:
        raise UsageError("--scheduler needs Dask: pip install 'celprice[distributed]'") from None
    try:
        client = Client(scheduler, timeout=30)  # type: ignore[no-untyped-call]
    except (OSError, TimeoutError) as e:
        raise UsageError(f"cannot reach the Dask scheduler {scheduler}: {e}") from None
    with client:
        # pure=False: chunks are not hashed to name their tasks (each is sent once).
        yield client.get_executor(pure=False)  # type: ignore[no-untyped-call]


class _Bar:
    """A progress bar on stderr, redrawn in place (only on a terminal)."""

    def __init__(self) -> None:
        self.stream = unescaped(sys.stderr)
        self.started = time.monotonic()
        self.drawn = False

    def __call__(self, done: int, total: int) -> None:
        share = done / total if total else 1.0
        filled = int(share * 30)
        elapsed = time.monotonic() - self.started
        self.stream.write(f"\r[{'#' * filled}{'.' * (30 - filled)}] {share:4.0%} {done:,}/{total:,} tasks {elapsed:.1f}s")
        self.stream.flush()
        self.drawn = True

    def finish(self) -> None:
        if self.drawn:
            self.stream.write("\n")
            self.stream.flush()


def _dollars(microcents: int) -> str:
    return "$" + format_dollars(microcents)  # exact: a change of a fraction of a cent shows


def summary(report: dict[str, Any]) -> str:
    """What a person reads of a report: the totals per component, the biggest changes, the failures."""
    lines = [
        f"{report['app_endpoint']}: {report['tasks']:,} tasks from {report['period_start']} to "
        f"{report['period_end']}, {report['failed']:,} failed with the draft",
        "",
        f"{'component':<14}{'recorded':>18}{'draft':>18}{'change':>18}",
    ]
    for name, c in report["components"].items():
        lines.append(f"{name:<14}{_dollars(c['recorded']):>18}{_dollars(c['draft']):>18}{_dollars(c['change']):>18}")
    if report["biggest_changes"]:
        lines += ["", "biggest changes (total):"]
        lines += [f"  {c['team_id']}/{c['task_id']} {c['completed_at']}: {_dollars(c['recorded'])} -> "
                  f"{_dollars(c['draft'])}" for c in report["biggest_changes"][:10]]
    if report["failures"]["errors"]:
        lines += ["", "failures:"]
        lines += [f"  {e['tasks']:,} tasks: {e['error']}" for e in report["failures"]["errors"]]
    return "\n".join(lines)
