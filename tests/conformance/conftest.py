"""The conformance run's summary at the end of every pytest run.

One line by default (how many in-scope tests passed), the per-file table with
`--tables`, and a line saying so when the data was not found and nothing ran.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Any

import pytest

_MARKER = "test_conformance.py::test_conformance["
_COLUMNS = ("passed", "failed", "out_of_scope", "known_gap")

# node id -> (conformance file, outcome); outcome is one of _COLUMNS
_status: dict[str, tuple[str, str]] = {}
# Why test_conformance.py was skipped as a whole (its data folder is missing), if it was.
_not_run: list[str] = []


def _skip_reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2])
    return str(longrepr or "")


def pytest_collectreport(report: pytest.CollectReport) -> None:
    if report.skipped and report.nodeid.endswith("test_conformance.py"):
        _not_run.append(_skip_reason(report).removeprefix("Skipped: "))


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    nodeid = report.nodeid
    start = nodeid.find(_MARKER)
    if start < 0 or not nodeid.endswith("]"):
        return
    file_name = nodeid[start + len(_MARKER) : -1].split("/", 1)[0]
    previous = _status.get(nodeid, (file_name, None))[1]
    if report.failed:  # a failure in any phase makes the test failed
        outcome = "failed"
    elif previous is not None:
        return
    elif report.skipped:
        # "out of scope: ..." comes from out_of_scope_reason; everything else that
        # skips an in-scope test ("known gap: ..." from skips.py) is a listed gap.
        outcome = "out_of_scope" if "out of scope:" in _skip_reason(report) else "known_gap"
    elif report.when == "call":
        outcome = "passed"
    else:
        return
    _status[nodeid] = (file_name, outcome)


def _collect() -> dict[str, dict[str, int]]:
    table: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(_COLUMNS, 0))
    for file_name, outcome in _status.values():
        table[file_name][outcome] += 1
    return table


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    tr = terminalreporter
    if _not_run:
        tr.write_line(f"conformance: NOT RUN: {_not_run[0]}", yellow=True, bold=True)
    outcomes = _collect()
    if not outcomes:
        return
    rows = []
    totals = dict.fromkeys(_COLUMNS, 0)
    for file_name in sorted(outcomes):
        row = outcomes[file_name]
        for key in _COLUMNS:
            totals[key] += row[key]
        rows.append(_format_row(file_name, row))
    full = config.getoption("tables", default=False)  # the option is tests/conftest.py's
    if full:
        _write_table(tr, rows, totals)
    in_scope = totals["passed"] + totals["failed"] + totals["known_gap"]
    rate = f"{100.0 * totals['passed'] / in_scope:.1f}%" if in_scope else "n/a"
    tr.write_line(
        f"conformance: {totals['passed']} of {in_scope} in-scope tests passed ({rate}); "
        f"{totals['failed']} failed, {totals['known_gap']} skipped as known gaps (skips.py), "
        f"{totals['out_of_scope']} out of scope" + ("" if full else " (--tables for the per-file table)")
    )


def _write_table(tr: Any, rows: list[tuple[str, ...]], totals: dict[str, int]) -> None:
    header = ("file", "passed", "failed", "skip:scope", "skip:listed", "in scope", "pass rate")
    tr.write_sep("=", "CEL conformance per file")
    widths = [max(len(str(r[i])) for r in [header, *rows, _format_row("TOTAL", totals)]) for i in range(len(header))]

    def line(cells: tuple[str, ...]) -> str:
        first = cells[0].ljust(widths[0])
        rest = [c.rjust(w) for c, w in zip(cells[1:], widths[1:])]
        return "  ".join([first, *rest])

    tr.write_line(line(header))
    tr.write_line(line(tuple("-" * w for w in widths)))
    for r in rows:
        tr.write_line(line(r))
    tr.write_line(line(tuple("-" * w for w in widths)))
    tr.write_line(line(_format_row("TOTAL", totals)))


def _format_row(name: str, row: dict[str, int]) -> tuple[str, ...]:
    in_scope = row["passed"] + row["failed"] + row["known_gap"]
    rate = f"{100.0 * row['passed'] / in_scope:.1f}%" if in_scope else "-"
    return (
        name,
        str(row["passed"]),
        str(row["failed"]),
        str(row["out_of_scope"]),
        str(row["known_gap"]),
        str(in_scope),
        rate,
    )
