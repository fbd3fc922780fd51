"""`celprice usage`: a ledger's analytics for operators (breakdown, summary,
task-cost, as the API answers them), recording tasks from a file, and
rebuilding the rollups."""
from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..isotime import parse_iso
from .common import FAILED, OK, UsageError, add_db_option, parse_json, read_text

if TYPE_CHECKING:
    from ..usage.audit import TaskExplanation

__all__ = ["add_parser", "run"]

_RANGES = ("1h", "1d", "7d", "30d", "90d")  # as celprice.usage.RANGES, without importing the ledger


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "usage",
        help="query a ledger's usage analytics, record tasks, rebuild rollups",
        description="Query a usage ledger as the API would answer (JSON, or tables with --pretty), record "
        "tasks from a file, rebuild the rollups. Exit 0 on success, 1 when the ledger refuses (an unknown "
        "task, a bad task), 2 on a usage error.",
    )
    actions = p.add_subparsers(title="actions", dest="action", metavar="ACTION", required=True)

    def action(name: str, help: str, description: str, team: bool = True) -> argparse.ArgumentParser:
        sub: argparse.ArgumentParser = actions.add_parser(name, help=help, description=description)
        add_db_option(sub)
        if team:
            sub.add_argument("--team", required=True, metavar="TEAM", help="the workspace (team) id")
            sub.add_argument("--pretty", action="store_true", help="readable tables instead of JSON")
        sub.set_defaults(run=run, command_parser=sub)
        return sub

    b = action("breakdown", "spend per app and bucket over a range (GET /usage/breakdown)",
               "The workspace's spend net of refunds over RANGE ending at --now, bucketed per minute, hour or "
               "day, by app; an organisation's covers its member teams, with per_team.")
    b.add_argument("--range", default="30d", choices=_RANGES, help="the window (default: 30d)")
    b.add_argument("--now", metavar="TIME", help="the window's end, RFC 3339 with a zone, e.g. "
                   "2026-06-04T12:00:00Z (default: the current time)")
    b.add_argument("--member", metavar="TEAM", help="narrow an organisation's breakdown to one member team")
    action("summary", "resource time by tier, type and model (GET /usage/summary)",
           "The team's resource time in seconds by tier, by event type and by model, tasks refunded in full "
           "excluded.")
    c = action("task-cost", "what one task cost (GET /usage/tasks/{taskID}/cost)",
               "What the task charged: total, discount, charged, refunded, and its fee components.")
    c.add_argument("task", metavar="TASK", help="the task id")
    x = action("explain", "re-evaluate a recorded task with the pricing that priced it (Ledger.explain)",
               "Re-evaluate TASK with its recorded pricing and inputs: each fee component as recorded and as "
               "evaluated now, with the value of every sub-expression, and whether the recorded charge is "
               "reproduced exactly. Exit 0 when it is, 1 when it is not (the notes say why) or the task was "
               "recorded without its inputs.")
    x.add_argument("task", metavar="TASK", help="the task id")
    x.add_argument("--width", type=int, default=100, metavar="N",
                   help="with --pretty, shorten values longer than N characters (0: never; default 100)")
    r = action("record", "record tasks from a JSON Lines file, in one transaction",
               "Record the tasks of FILE (JSON Lines, one object of record_task's arguments per line; "
               "completed_at as RFC 3339 text with a zone; '-' for stdin) through record_tasks: all of them "
               "or, when one is refused, none. Tasks recorded before are skipped.", team=False)
    r.add_argument("file", metavar="FILE", help="the tasks, JSON Lines ('-' for stdin)")
    action("rebuild", "recompute the rollups from the records",
           "Recompute every rollup behind breakdowns and summaries from the task records, in one transaction. "
           "Needed only after the tables were changed by hand.", team=False)


def run(args: argparse.Namespace) -> int:
    from ..usage import Ledger  # only commands that open a ledger pay for importing it

    tasks = _tasks(args.file) if args.action == "record" else None
    now = _time(args.now, "--now") if getattr(args, "now", None) else None
    with Ledger(args.db) as ledger:
        if args.action == "rebuild":
            ledger.rebuild_rollups()
            print("rebuilt the rollups from the records")
            return OK
        if args.action == "record":
            assert tasks is not None
            new = ledger.record_tasks(tasks)
            print(f"recorded {new} new task{'s' if new != 1 else ''}")
            return OK
        if args.action == "breakdown":
            answer = ledger.breakdown(args.team, args.range, now=now, team_id=args.member)
        elif args.action == "summary":
            answer = ledger.summary(args.team)
        elif args.action == "explain":
            explained = ledger.explain(args.team, args.task)
            print(_pretty_explanation(explained, max(args.width, 0)) if args.pretty
                  else json.dumps(explained.to_json(), indent=2, ensure_ascii=False))
            return OK if explained.reproduced else FAILED
        else:
            answer = ledger.task_cost(args.team, args.task)
    print(_PRETTY[args.action](answer) if args.pretty else json.dumps(answer, indent=2, ensure_ascii=False))
    return OK


def _time(text: str, what: str) -> datetime:
    try:
        moment = parse_iso(text)
    except ValueError:
        raise UsageError(f"{what} {text!r} is not an RFC 3339 time such as 2026-06-04T12:00:00Z") from None
    if moment.utcoffset() is None:
        raise UsageError(f"{what} {text!r} has no time zone: add Z (UTC) or an offset such as +02:00")
    return moment


def _tasks(path: str) -> Iterator[dict[str, Any]]:
    """The tasks of a JSON Lines file, read as record_tasks asks for them."""
    origin = "<stdin>" if path == "-" else path
    for number, line in enumerate(read_text(path).splitlines(), start=1):
        if not line.strip():
            continue
        task = parse_json(line, f"{origin}:{number}")
        if not isinstance(task, dict):
            raise UsageError(f"{origin}:{number}: a task must be a JSON object of record_task's arguments")
        if isinstance(task.get("completed_at"), str):
            task["completed_at"] = _time(task["completed_at"], f"{origin}:{number}: completed_at")
        yield task


def _table(header: tuple[str, ...], rows: list[tuple[Any, ...]], numeric: set[int]) -> list[str]:
    cells = [header, *[tuple(f"{cell:,}" if isinstance(cell, int) else str(cell) for cell in row) for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    return [
        "  ".join(cell.rjust(width) if i in numeric else cell.ljust(width)
                  for i, (cell, width) in enumerate(zip(row, widths))).rstrip()
        for row in cells
    ]


def _pretty_breakdown(answer: dict[str, Any]) -> str:
    trend = answer.get("trend_percent")
    lines = [
        f"{answer['period_start']} to {answer['period_end']}: {answer['total_cost']:,} microcents"
        + ("" if trend is None else f", {trend:+}% on the window before"),
        "",
        *_table(("app", "calls", "microcents"),
                [(row["app_endpoint"], row["call_count"], row["cost"]) for row in answer["per_model"]], {1, 2}),
    ]
    if answer["per_team"]:
        lines += ["", *_table(("team", "calls", "microcents"),
                              [(row["team_id"], row["call_count"], row["cost"]) for row in answer["per_team"]], {1, 2})]
    spent = [(point["date"], app, cost) for point in answer["timeseries"] for app, cost in point["per_app"].items()]
    if spent:
        lines += ["", *_table(("bucket", "app", "microcents"), spent, {2})]
    return "\n".join(lines)


def _pretty_summary(answer: dict[str, Any]) -> str:
    rows = [(key.removesuffix("_usage"), name, seconds)
            for key in ("tier_usage", "type_usage", "model_usage") for name, seconds in answer[key].items()]
    return "\n".join([*_table(("by", "name", "seconds"), rows, {2}), f"total: {answer['total_usage']:,} s"])


def _pretty_cost(answer: dict[str, Any]) -> str:
    return "\n".join(_table(("", "microcents"), [
        (key, value) for key, value in answer.items() if key not in ("task_id", "app_endpoint")
    ], {1}) + [f"task {answer['task_id']} of {answer['app_endpoint']}"])


def _pretty_explanation(explained: TaskExplanation, width: int) -> str:
    from .explain import format_tree

    priced_by = (f"version {explained.pricing_version} of the app's published pricing"
                 if explained.pricing_version is not None else "the AppPricing recorded with the task (not published)")
    lines = [
        f"task {explained.task_id} of {explained.app_endpoint} (team {explained.team_id}), "
        f"completed {explained.completed_at}",
        f"priced by {priced_by}; recorded by celprice {explained.recorded_by}, evaluated by {explained.evaluated_by}",
        "reproduced: " + ("yes, every component evaluates to what was recorded" if explained.reproduced else "NO"),
        *(f"note: {note}" for note in explained.notes),
    ]
    for part in explained.components:
        now = part.evaluated
        shown = f"fails: {now['error']}" if "error" in now else f"{now['value']:,}"
        mark = "" if part.reproduced else "   <-- differs"
        lines += ["", f"{part.component}: recorded {part.recorded:,}, evaluates to {shown}{mark}"]
        lines.append(format_tree(part.tree, width) if part.tree is not None else f"{part.source} (does not compile)")
    return "\n".join(lines)


_PRETTY = {"breakdown": _pretty_breakdown, "summary": _pretty_summary, "task-cost": _pretty_cost}
