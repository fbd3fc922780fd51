"""The shared benchmark workload: every `expression` (standard CEL) and every
`pricing_expression` (written with the helpers, in the total's environment, over
decoded output-meta items) gives the workload's expected value, kind included."""
from __future__ import annotations

import json
import pathlib

import pytest

import celprice
from celprice.pricing import decode_activation, pricing_environment

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
    act = {"task_function": "", "resource_ms": case["activation"].get("elapsed_ms", 0), **case["activation"]}
    # `expression` is standard CEL over dyn variables (the workload's own definition).
    plain = celprice.Environment(variables={name: "dyn" for name in act})
    value = celprice.compile(case["expression"], plain).evaluate(act)
    assert same(value, case["expected"]), ("expression", value)
    if "pricing_expression" in case:
        # The pricing dialect sees output-meta items as a request decodes them (`cost` a double).
        value = celprice.compile(case["pricing_expression"], pricing_environment("total")).evaluate(
            decode_activation(act)
        )
        assert same(value, case["expected"]), ("pricing_expression", value)
