"""pytest-benchmark configuration for celprice.

Run with:  pytest benchmarks --benchmark-only
(the project's default addopts contain --benchmark-skip; --benchmark-only overrides it)
"""
from __future__ import annotations

import pytest

from workload import ensure_celprice_importable, load_workload

ensure_celprice_importable()

WORKLOAD = load_workload()
CASES = WORKLOAD["cases"]


def case_id(case: dict) -> str:
    return case["name"]


@pytest.fixture(scope="session")
def workload() -> dict:
    return WORKLOAD
