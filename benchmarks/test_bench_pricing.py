"""Pricing-environment benchmarks: each case's ``pricing_expression`` (the same
formula written with the pricing helpers) and full ``evaluate_pricing`` on the
example requests in examples/*.json.

They skip when celprice.pricing or examples/ is missing.
"""
from __future__ import annotations

import pytest

from conftest import CASES, case_id
from workload import (
    describe_mismatch,
    evaluate_pricing_function,
    example_requests,
    decoded,
    pricing_compiler,
    same_response,
    same_result,
)

PRICING_CASES = [c for c in CASES if "pricing_expression" in c]
EXAMPLES = example_requests()


@pytest.fixture(scope="module")
def pricing_compile():
    compile_ = pricing_compiler()
    if compile_ is None:
        pytest.skip("celprice.pricing has no pricing_environment")
    return compile_


@pytest.mark.parametrize("case", PRICING_CASES, ids=case_id)
def test_pricing_expression(benchmark, pricing_compile, case):
    benchmark.group = "pricing-expression"
    program = pricing_compile(case["pricing_expression"])
    activation = decoded(case["activation"])
    got = program.evaluate(activation)
    assert same_result(got, case["expected"]), describe_mismatch(got, case["expected"])
    benchmark(program.evaluate, activation)


@pytest.mark.parametrize(
    "name,request_,expected",
    EXAMPLES or [pytest.param(None, None, None, marks=pytest.mark.skip(reason="no examples/*.json requests"))],
    ids=[n for n, _, _ in EXAMPLES] or ["no-examples"],
)
def test_evaluate_pricing(benchmark, name, request_, expected):
    benchmark.group = "evaluate-pricing"
    evaluate_pricing = evaluate_pricing_function()
    if evaluate_pricing is None:
        pytest.skip("celprice.pricing.evaluate_pricing is not available")
    response = evaluate_pricing(request_)
    if expected is not None:
        assert same_response(response, expected), response
    benchmark(evaluate_pricing, request_)
