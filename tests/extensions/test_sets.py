"""The sets library, from the behaviour cel-go documents (ext/README.md)."""
from __future__ import annotations

import pytest

import celprice

from .conftest import run


@pytest.mark.parametrize(
    "source, expected",
    [
        ("sets.contains([], [])", True),
        ("sets.contains([], [1])", False),
        ("sets.contains([1, 2, 3, 4], [2, 3])", True),
        ("sets.contains([1, 2], [2, 3])", False),
        ("sets.contains([1, 2.0, 3u], [1.0, 2u, 3])", True),
        ("sets.contains([[1], {'a': 2}], [{'a': 2.0}])", True),
        ("sets.contains([true], [1])", False),  # bool is never a number
        ("sets.contains([null], [null])", True),
        ("sets.equivalent([], [])", True),
        ("sets.equivalent([1], [1, 1])", True),
        ("sets.equivalent([1], [1u, 1.0])", True),
        ("sets.equivalent([1, 2, 3], [3u, 2.0, 1])", True),
        ("sets.equivalent([1, 2], [1])", False),
        ("sets.intersects([1], [])", False),
        ("sets.intersects([], [1])", False),
        ("sets.intersects([1], [1, 2])", True),
        ("sets.intersects([[1], [2, 3]], [[1, 2], [2, 3.0]])", True),
        ("sets.intersects(['a'], [b'a'])", False),
        ("sets.contains([double('NaN')], [double('NaN')])", False),  # NaN equals nothing
    ],
)
def test_documented_results(ext: celprice.Environment, source: str, expected: bool) -> None:
    assert run(source, ext) is expected


def test_checker_types_them(checked: celprice.Environment) -> None:
    assert celprice.compile("sets.contains(xs, [1, 2])", checked).result_type == "bool"
    with pytest.raises(celprice.CELCheckError, match="no matching overload for 'sets.contains'"):
        celprice.compile("sets.contains(xs, names)", checked)
    with pytest.raises(celprice.CELCheckError, match="no matching overload"):
        celprice.compile("sets.intersects(xs, 1)", checked)


def test_wrong_types_at_run_time(ext: celprice.Environment) -> None:
    with pytest.raises(celprice.CELEvaluationError, match="no matching overload for 'sets.equivalent'"):
        run("sets.equivalent(x, [1])", ext, {"x": "abc"})


def test_large_sets_stay_within_budget() -> None:
    # Linear in the lists, not their product: 2 x 50,000 elements fit a 1,000,000 budget.
    env = celprice.Environment(extensions=["sets"], limits=celprice.Limits(max_cost=1_000_000))
    a = list(range(50_000))
    assert run("sets.equivalent(a, b)", env, {"a": a, "b": a[::-1]}) is True


def test_deep_comparisons_are_charged() -> None:
    env = celprice.Environment(extensions=["sets"], limits=celprice.Limits(max_cost=10_000))
    rows = [[i, i] for i in range(3_000)]
    with pytest.raises(celprice.CELLimitError, match="max_cost"):
        run("sets.intersects(a, b)", env, {"a": rows, "b": [[-1, -1] for _ in range(10)]})


def test_timestamps_and_optionals_are_compared_within_budget() -> None:
    env = celprice.Environment(extensions=["sets"], limits=celprice.Limits(max_cost=100_000))
    stamps = [celprice.Timestamp(i) for i in range(20_000)]
    assert run("sets.equivalent(a, b)", env, {"a": stamps, "b": stamps[::-1]}) is True
    opts = [celprice.Optional.of(i) for i in range(2_000)]
    with pytest.raises(celprice.CELLimitError, match="max_cost"):
        run("sets.intersects(a, b)", env, {"a": opts, "b": [celprice.Optional.of(-i - 1) for i in range(2_000)]})
