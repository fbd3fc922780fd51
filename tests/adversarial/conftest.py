"""Timing report for the adversarial suite.

Every case's call duration is recorded; the end of the run prints one line (cases,
total, the slowest, how many took a second or more), and with `--tables` every
case, slowest first. A regression that makes a hostile input slow is visible even
though no test asserts a time (a per-test timeout only guards against hangs).
"""
from __future__ import annotations

import pytest

_times: dict[str, tuple[float, str]] = {}
_SLOW = 1.0  # seconds: the goal is "well under a second" per case


def _outcome(report: pytest.TestReport) -> str:
    if hasattr(report, "wasxfail"):
        return "xpassed" if report.passed else "xfailed"
    return report.outcome


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when != "call" or "adversarial/" not in report.nodeid.replace("\\", "/"):
        return
    _times[report.nodeid] = (report.duration, _outcome(report))


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:  # type: ignore[no-untyped-def]
    if not _times:
        return
    tr = terminalreporter
    ranked = sorted(_times.items(), key=lambda kv: -kv[1][0])
    slow = sum(1 for _, (s, _) in ranked if s >= _SLOW)
    full = config.getoption("tables", default=False)  # the option is tests/conftest.py's
    if full:
        tr.section("adversarial cases: time per case (slowest first)")
        for nodeid, (seconds, outcome) in ranked:
            flag = "  SLOW" if seconds >= _SLOW else ""
            tr.write_line(f"{seconds * 1000:10.1f} ms  {outcome:8}  {_short(nodeid)}{flag}")
    slowest_id, (slowest, _) = ranked[0]
    total = sum(s for s, _ in _times.values())
    hint = "" if full else " (--tables for every case)"
    tr.write_line(
        f"adversarial: {len(_times)} cases, {total:.2f} s in total, slowest {slowest * 1000:.1f} ms "
        f"({_short(slowest_id)}), {slow} at or over {_SLOW:.0f} s{hint}"
    )


def _short(nodeid: str) -> str:
    return nodeid.split("adversarial/", 1)[-1]
