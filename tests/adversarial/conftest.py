"""Timing report for the adversarial suite.

Every case's call duration is recorded and printed at the end of the run, slowest
first, so a regression that makes a hostile input slow is visible even though no
test asserts a time (a per-test timeout only guards against hangs).
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
    tr.section("adversarial cases: time per case (slowest first)")
    for nodeid, (seconds, outcome) in sorted(_times.items(), key=lambda kv: -kv[1][0]):
        flag = "  SLOW" if seconds >= _SLOW else ""
        name = nodeid.split("adversarial/", 1)[-1]
        tr.write_line(f"{seconds * 1000:10.1f} ms  {outcome:8}  {name}{flag}")
    total = sum(s for s, _ in _times.values())
    slow = sum(1 for s, _ in _times.values() if s >= _SLOW)
    tr.write_line(
        f"{len(_times)} cases, {total:.2f} s in total, slowest {max(s for s, _ in _times.values()) * 1000:.1f} ms, "
        f"{slow} at or over {_SLOW:.0f} s"
    )
