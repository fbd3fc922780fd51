"""Options of the whole suite.

`--tables` prints the long end-of-run reports in full: the adversarial suite's
time per case and the conformance suite's pass/skip counts per file. Without
it each suite prints one summary line, so a normal run stays short.
"""
from __future__ import annotations

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--tables",
        action="store_true",
        default=False,
        help="print the per-case timing table of tests/adversarial and the per-file table of the "
        "conformance suite (by default one summary line each)",
    )

