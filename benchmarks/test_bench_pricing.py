"""Pricing-environment benchmarks: each case's ``pricing_expression`` (the same
formula written with the pricing helpers) and full ``evaluate_pricing`` on the
example requests in examples/*.json.

These skip until celprice.pricing (and examples/) exist; see the TODO in
benchmarks/workload.py.
"""
from __future__ import annotations

import pytest

from conftest import CASES, case_id
from workload import describe_mismatch, evaluate_pricing_function, example_requests, pricing_compiler, same_result

PRICING_CASES = [c for c in CASES if "pricing_expression" in c]
EXAMPLES = example_requests()


@pytest.fixture(scope="module")
def pricing_compile():
    compile_ = pricing_compiler()
    if compile_ is None:
        pytest.skip("TODO(issue 4): celprice.pricing has no pricing environment yet")
    return compile_


@pytest.mark.parametrize("case", PRICING_CASES, ids=case_id)
def test_pricing_expression(benchmark, pricing_compile, case):
    benchmark.group = "pricing-expression"
    program = pricing_compile(case["pricing_expression"])
    activation = case["activation"]
    got = program.evaluate(activation)
    assert same_result(got, case["expected"]), describe_mismatch(got, case["expected"])
    benchmark(program.evaluate, activation)


@pytest.mark.parametrize(
    "name,request_", EXAMPLES or [pytest.param(None, None, marks=pytest.mark.skip(reason="TODO(issue 4): no examples/*.json requests yet"))],
    ids=[n for n, _ in EXAMPLES] or ["no-examples"],
)
def test_evaluate_pricing(benchmark, name, request_):
    benchmark.group = "evaluate-pricing"
    evaluate_pricing = evaluate_pricing_function()
    if evaluate_pricing is None:
        pytest.skip("TODO(issue 4): celprice.pricing.evaluate_pricing does not exist yet")
    response = evaluate_pricing(request_)
    assert isinstance(response, dict) and "total" in response, response
    benchmark(evaluate_pricing, request_)
