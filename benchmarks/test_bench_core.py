"""Core-engine benchmarks on the shared pricing workload.

Every case's standard-CEL ``expression`` is compiled once and evaluated against
the case's activation (after checking the result equals ``expected``), and the
compiler itself is timed cold (``cache=False``, default environment, no
declared variables) and through the compile cache.
"""
from __future__ import annotations

import pytest

import celprice
from conftest import CASES, case_id
from workload import describe_mismatch, same_result


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_evaluate(benchmark, case):
    benchmark.group = "evaluate"
    program = celprice.compile(case["expression"])
    activation = case["activation"]
    got = program.evaluate(activation)
    assert same_result(got, case["expected"]), describe_mismatch(got, case["expected"])
    result = benchmark(program.evaluate, activation)
    assert same_result(result, case["expected"])


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_compile_cold(benchmark, case):
    benchmark.group = "compile-cold"
    source = case["expression"]
    program = benchmark(celprice.compile, source, cache=False)
    assert same_result(program.evaluate(case["activation"]), case["expected"])


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_compile_cached(benchmark, case):
    benchmark.group = "compile-cached"
    source = case["expression"]
    first = celprice.compile(source)
    program = benchmark(celprice.compile, source)
    assert program is first
