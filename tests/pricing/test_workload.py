"""The shared benchmark workload: every `pricing_expression` (written with the helpers)
gives the workload's expected value, kind included, in the total's environment."""
from __future__ import annotations

import json
import pathlib

import pytest

import celprice
from celprice.pricing import pricing_environment

from .helpers import same

_PLACES = (
    pathlib.Path(__file__).resolve().parents[2] / "benchmarks" / "pricing_workload.json",
    pathlib.Path("/work/shared/bench/pricing_workload.json"),
)
WORKLOAD = next((p for p in _PLACES if p.exists()), None)
CASES = json.loads(WORKLOAD.read_text())["cases"] if WORKLOAD is not None else []


@pytest.mark.skipif(not CASES, reason="shared workload not present")
@pytest.mark.parametrize("case", CASES, ids=lambda c: c["name"])
def test_workload_case(case):
    env = pricing_environment("total")
    act = {"task_function": "", "resource_ms": case["activation"].get("elapsed_ms", 0), **case["activation"]}
    for key in ("expression", "pricing_expression"):
        if key in case:
            value = celprice.compile(case[key], env).evaluate(act)
            assert same(value, case["expected"]), (key, value)
