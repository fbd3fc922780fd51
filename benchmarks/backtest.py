"""How fast `celprice backtest` replays recorded tasks, and what keeping a
task's pricing inputs costs `record_task`.

- Replay: a SQLite file ledger (kept in --db and reused) of --tasks tasks of
  one app, recorded with their pricing inputs over the 30 days before NOW by
  50 teams, priced by a published pricing (an image price plus the default
  resource fee over one or two resource rows); the draft raises the image
  price, adds a per-step charge read from the task inputs and a royalty. The
  whole `backtest` call is timed (read the window, re-price, merge, report),
  on one process and on every core, best and median of --runs.
- Recording: --record tasks with `record_task` on a fresh SQLite file, without
  and with `pricing_inputs` (a published version), interleaved in rounds so
  that the machine's noise hits both alike; their ratio is the cost of audit.

Reported, not asserted (issue 22's goal: 100,000 tasks in under 10 s).
The machine's load average is printed with the numbers: on a shared machine
every number is an upper bound.

    python benchmarks/backtest.py                   # builds the ledger the first time (minutes)
    python benchmarks/backtest.py --runs 5 --record 5000
"""
from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import celprice  # noqa: E402
from celprice.usage import Ledger  # noqa: E402
from celprice.usage.replay import backtest  # noqa: E402

NOW = datetime(2026, 6, 30, 12, tzinfo=timezone.utc)
APP = "bench/images"
PRICING = {
    "prices": {"per_image": 250000},
    "inference_expression": "image_count(outputs) * prices.per_image",
}
DRAFT = {
    "prices": {"per_image": 275000, "per_step": 900},
    "inference_expression": "image_count(outputs) * prices.per_image"
    " + (has(task_inputs.steps) ? int(task_inputs.steps) * prices.per_step : 0)",
    "royalty_expression": "fees.inference_fee / 20",
}


def task_inputs(rnd: random.Random) -> dict[str, Any]:
    inputs: dict[str, Any] = {
        "output_meta": {"outputs": [{"type": "image", "count": rnd.randint(1, 4), "width": 1024, "height": 1024}]},
        "resources": [{"name": "gpu-a100", "price_per_second": 2500}] * rnd.randint(1, 2),
        "usage_seconds": rnd.randint(1, 40),
        "task_inputs": {"prompt": "a lighthouse at dusk, oil painting", "steps": rnd.randint(10, 50)},
    }
    return inputs


def build(path: Path, count: int) -> None:
    """The replay's ledger, recorded through record_task as a service records tasks."""
    rnd = random.Random(22)
    with Ledger(f"sqlite:///{path}") as ledger:
        version = ledger.publish_pricing(APP, PRICING)
        started = time.perf_counter()
        for number in range(count):
            inputs = task_inputs(rnd)
            fees = celprice.evaluate_pricing({"pricing": PRICING, **inputs})
            at = NOW - timedelta(seconds=rnd.randint(0, 30 * 86400 - 1))
            ledger.record_task(f"team-{number % 50}", f"task-{number}", APP, at, fees,
                               pricing_version=version, pricing_inputs=inputs)
            if number and number % 20000 == 0:
                print(f"  recorded {number:,} tasks ({time.perf_counter() - started:.0f} s)", flush=True)


def replayable(path: Path) -> int:
    with Ledger(f"sqlite:///{path}") as ledger:
        return len(ledger.replay_tasks(APP, 0, 2**62))


def _cpu() -> float:
    """CPU seconds of this process, of its finished children, and of its live
    children with the children they reaped: the pool's workers are forked from
    a forkserver, itself a child, which outlives them (its cutime and cstime
    in /proc hold theirs)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    total = time.process_time() + children.ru_utime + children.ru_stime
    tick = os.sysconf("SC_CLK_TCK")
    try:
        live = Path(f"/proc/{os.getpid()}/task/{os.getpid()}/children").read_text().split()
    except OSError:
        return total  # no /proc: the live children's share is not counted
    for pid in live:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += sum(int(field) for field in fields[11:15]) / tick  # utime, stime, cutime, cstime
    return total


def time_replay(path: Path, workers: int, runs: int) -> tuple[list[float], list[float], dict[str, Any]]:
    """Wall-clock and CPU seconds of each run (CPU: the load of other work does not count)."""
    times, cpu = [], []
    report: dict[str, Any] = {}
    with Ledger(f"sqlite:///{path}") as ledger:
        for _ in range(runs):
            started, cpu_started = time.perf_counter(), _cpu()
            report = backtest(ledger, APP, DRAFT, range="30d", now=NOW, workers=workers)
            times.append(time.perf_counter() - started)
            cpu.append(_cpu() - cpu_started)
    return times, cpu, report


def time_recording(count: int, rounds: int = 5) -> tuple[float, float]:
    """CPU microseconds per record_task without and with pricing_inputs (medians
    of rounds; CPU, because a shared machine's wall clock swings by more than the difference)."""
    rnd = random.Random(5)
    inputs = [task_inputs(rnd) for _ in range(200)]
    priced = [celprice.evaluate_pricing({"pricing": PRICING, **each}) for each in inputs]
    plain: list[float] = []
    audited: list[float] = []
    with tempfile.TemporaryDirectory() as directory:
        with Ledger(f"sqlite:///{directory}/record.db") as ledger:
            version = ledger.publish_pricing(APP, PRICING)
            per_round = count // rounds
            for round_ in range(rounds):
                for audit, into in ((False, plain), (True, audited)):
                    started = time.process_time()
                    for number in range(per_round):
                        k = number % len(inputs)
                        extra = {"pricing_version": version, "pricing_inputs": inputs[k]} if audit else {}
                        ledger.record_task("team-1", f"{audit}-{round_}-{number}", APP, NOW, priced[k], **extra)
                    into.append((time.process_time() - started) / per_round * 1e6)
    return statistics.median(plain), statistics.median(audited)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--db", type=Path, default=Path(tempfile.gettempdir()) / "celprice-backtest.db")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--record", type=int, default=5000, help="record_task calls timed each way (0: skip)")
    parser.add_argument("--skip-replay", action="store_true", help="time recording only")
    parser.add_argument("--chart", type=Path, help="write the replay's HTML chart there (docs/images/ has its screenshot)")
    args = parser.parse_args()

    if not args.skip_replay and (not args.db.exists() or replayable(args.db) != args.tasks):
        for stale in args.db.parent.glob(args.db.name + "*"):
            stale.unlink()
        print(f"building {args.db} with {args.tasks:,} tasks ...", flush=True)
        build(args.db, args.tasks)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    print(f"machine: {cores} cores, load average before {os.getloadavg()[0]:.1f}")
    for workers in [] if args.skip_replay else sorted({1, cores}):
        times, cpu, report = time_replay(args.db, workers, args.runs)
        total = report["components"]["total"]
        print(f"backtest of {report['tasks']:,} tasks, {workers} process{'es' if workers > 1 else ''}: "
              f"best {min(times):.2f} s, median {statistics.median(times):.2f} s, "
              f"CPU {min(cpu):.2f} s in all processes "
              f"({report['tasks'] / min(times):,.0f} tasks/s; total {total['recorded']:,} -> {total['draft']:,})")
    print(f"load average after {os.getloadavg()[0]:.1f}")
    if args.chart and not args.skip_replay:
        from celprice.cli.chart import revenue_chart

        args.chart.write_text(revenue_chart(report), encoding="utf-8")
    if args.record:
        plain, audited = time_recording(args.record)
        print(f"record_task on a SQLite file, CPU: {plain:.0f} us without pricing_inputs, {audited:.0f} us with "
              f"(x{audited / plain:.2f})")


if __name__ == "__main__":
    main()
