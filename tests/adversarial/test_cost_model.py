"""The cost model: every operation is charged the work it does (issue 17).

Each example of the issue is a regression test here: it ends in a
CELLimitError or its right value, and the work counter (`_work.py`) shows that
what the evaluation was charged covers the work it did. No test asserts a
time: the time one cost unit stands for is measured by
benchmarks/calibrate_cost.py, not here.
"""
from __future__ import annotations

import math
from typing import Any

import pytest

import celprice
from celprice import CELEvaluationError, CELLimitError, Environment, Function, Limits, Overload
from celprice.pricing import RequestError, evaluate_pricing
from celprice.program import default_environment
from celprice.pricing import evaluator as pricing_evaluator
from celprice.pricing.environment import pricing_environment
from celprice.registry import Cost, standard

from ._support import env, memory_cap
from ._work import counting, run

pytestmark = pytest.mark.timeout(60)


def _limit(value: Any, limit: str) -> None:
    assert isinstance(value, CELLimitError), value
    assert limit in str(value), value


# --- parsing: duration() and timestamp() read their whole argument ----------------------


def test_duration_parsing_is_charged_by_its_length() -> None:
    # The shape: a few thousand units of comprehension, each iteration
    # parsing a long duration for one unit.
    text = "1h" * 4_000
    prog = celprice.compile("l.map(x, duration(d)).size()", cache=False)
    tally, value = run(prog, {"l": list(range(1_000)), "d": text})
    _limit(value, "max_cost")
    assert tally.work["parsed"] > 0
    assert tally.charged >= tally.work["parsed"]


@pytest.mark.parametrize("n", [10, 1_000, 100_000])
def test_duration_charge_covers_the_code_points_parsed(n: int) -> None:
    prog = celprice.compile("duration(d)", cache=False)
    tally, value = run(prog, {"d": "1ns" * n})
    assert value.ns == n
    assert tally.work["parsed"] == 3 * n
    assert tally.charged >= tally.work["parsed"]


def test_timestamp_parsing_is_charged() -> None:
    prog = celprice.compile("l.map(x, timestamp(t)).size()", cache=False)
    text = "2024-01-01T00:00:00." + "1" * 9 + "Z"
    tally, value = run(prog, {"l": list(range(10)), "t": text})
    assert value == 10
    assert tally.charged >= tally.work["parsed"] == 10 * len(text)


# --- the deadline: checked by the work itself, also without comprehensions ---------------


def test_timeout_in_a_formula_without_comprehensions() -> None:
    # The issue: a loop-free formula over a 1 MB string ran 13 s with timeout=1.0.
    src = "[" + ", ".join(["size(s.replace('a', 'b'))"] * 300) + "].size()"
    assert len(src) < 10_000
    prog = celprice.compile(src, env(max_cost=10**12, timeout=0.02), cache=False)
    tally, value = run(prog, {"s": "a" * 1_000_000})
    _limit(value, "timeout")
    # One shared budget for the whole evaluation, charged by every replace.
    assert len(tally.budgets) == 1 and tally.charged >= 2_000_000


def test_an_expired_deadline_stops_the_first_charged_operation() -> None:
    prog = celprice.compile("s.contains('zz')", env(timeout=1e-9), cache=False)
    _, value = run(prog, {"s": "a" * 10_000})
    _limit(value, "timeout")


def test_loop_free_formulas_share_one_budget() -> None:
    # 40 scans of a 100,000 code point string: 4,000,000 units, one budget.
    src = " || ".join(f"s.contains('z{i}')" for i in range(40))
    tally, value = run(celprice.compile(src, cache=False), {"s": "a" * 100_000})
    _limit(value, "max_cost")
    assert len(tally.budgets) == 1


def test_loop_free_equality_walks_share_one_budget() -> None:
    # Before: each `==` got a fresh budget of its own, so N walks cost N budgets.
    l = [[i] for i in range(10_000)]
    src = " && ".join(["l == m"] * 30)
    tally, value = run(celprice.compile(src, env(max_cost=100_000), cache=False), {"l": l, "m": [list(x) for x in l]})
    _limit(value, "max_cost")
    assert len(tally.budgets) == 1
    assert tally.charged >= tally.work["walked"]


def test_a_cheap_formula_makes_no_budget() -> None:
    # The common case pays nothing for the cost model.
    tally, value = run(celprice.compile("x * 2 + 1 > 3 && y == 'a'", cache=False), {"x": 2, "y": "a"})
    assert value is True and tally.budgets == []


# --- constant folding: its own budget, and no shared mutable results --------------------


def _folded_bomb(copies: int) -> str:
    chain = "size('a'" + ".replace('a', 'aaaaaaaaaa')" * 6 + ")"
    return " + ".join([chain] * copies)


def test_constant_folding_is_bounded_by_its_own_budget() -> None:
    # The issue: a 1,717 character formula took 4.6 s to compile. Each chain
    # builds 1,111,111 code points; folding stops at the fold budget and the
    # rest is charged at run time, where it hits the cost limit.
    src = _folded_bomb(30)
    entry = default_environment().registry.entry("replace", True)
    assert entry is not None
    built = []
    original = entry.impl
    mp = pytest.MonkeyPatch()

    def replace(*args: Any) -> Any:
        v = original(*args)
        built.append(len(v))
        return v

    mp.setattr(entry, "impl", replace)
    try:
        prog = celprice.compile(src, cache=False)
    finally:
        mp.undo()
    limits = default_environment().limits
    assert sum(built) <= 2 * limits.max_cost  # the fold budget, plus the call that crossed it
    _, value = run(prog)
    _limit(value, "max_cost")


def test_constant_folding_in_pricing_check_and_engine() -> None:
    src = _folded_bomb(30)
    response = evaluate_pricing({"pricing": {"prices": {}, "total_expression": src}})
    assert "max_cost" in response["total"]["error"]


def test_a_folded_list_is_never_shared_between_evaluations() -> None:
    prog = celprice.compile("'a,b'.split(',')")
    first = prog.evaluate()
    first.append("mutated")
    assert prog.evaluate() == ["a", "b"]
    assert prog.evaluate() is not prog.evaluate()


def test_folding_still_folds_scalars() -> None:
    prog = celprice.compile("'abc'.contains('b') && size('a,b' + 'c') == 4 && duration('1h') > duration('1m')",
                            cache=False)
    tally, value = run(prog)
    assert value is True and tally.budgets == []  # folded: nothing left to charge
    # A list is built at run time, charged there.
    tally, value = run(celprice.compile("size('a,b'.split(',')) + 1", cache=False))
    assert value == 3 and tally.charged >= 3


# --- pricing helpers: each call is charged the list it walks ---------------------------


HELPER_CALLS = [
    "image_count(outputs)",
    "text_tokens(outputs)",
    "video_seconds(outputs)",
    "audio_seconds(outputs)",
    "count_type(outputs, 'image')",
    "first(outputs, 'nothing')",
    "sum(outputs.map(o, 1))",
]


@pytest.mark.parametrize("call", HELPER_CALLS)
def test_helpers_inside_a_comprehension_are_not_quadratic(call: str) -> None:
    # The issue: outputs.map(o, image_count(outputs)) over 5,000 outputs took 4.9 s.
    outputs = [{"type": "image", "count": 1, "tokens": 1, "seconds": 1}] * 5_000
    prog = celprice.compile(f"outputs.map(o, {call}).size()", pricing_environment("total"), cache=False)
    tally, value = run(prog, {"outputs": outputs})
    _limit(value, "max_cost")
    assert tally.charged >= tally.work["items"]


@pytest.mark.parametrize("n", [1, 100, 10_000])
def test_helper_charge_covers_the_items_read(n: int) -> None:
    prog = celprice.compile("image_count(outputs) + count_type(outputs, 'x')", pricing_environment("total"),
                            cache=False)
    tally, value = run(prog, {"outputs": [{"type": "image"}] * n})
    assert value == n
    assert tally.work["items"] == 2 * n
    assert tally.charged >= tally.work["items"]


@pytest.mark.parametrize("call", ["get(task_inputs, 0, 1)", "get(task_inputs, true, 1)", "get_extra(o, 1, 2)"])
def test_map_getters_do_not_scan_the_map(call: str) -> None:
    m = {str(i): i for i in range(100_000)}
    prog = celprice.compile(f"outputs.map(o, {call}).size()", pricing_environment("total"), cache=False)
    tally, value = run(prog, {"outputs": [{"extra": m}] * 2_000, "task_inputs": m})
    assert value == 2_000
    assert tally.work["probes"] <= 2_000  # one probe per lookup at most, never a scan


# --- string and map operations charged by what they scan -------------------------------


def test_join_of_empty_strings_is_charged_per_element() -> None:
    prog = celprice.compile("l.map(x, e.join('')).size()", cache=False)
    tally, value = run(prog, {"l": list(range(1_000)), "e": [""] * 100_000})
    _limit(value, "max_cost")


@pytest.mark.parametrize("n", [0, 10, 10_000])
def test_join_charge_covers_the_elements(n: int) -> None:
    prog = celprice.compile("e.join('')", cache=False)
    tally, value = run(prog, {"e": [""] * n})
    assert value == ""
    assert tally.charged >= n


@pytest.mark.parametrize("key", ["0", "1", "true", "false", "0u", "1.0"])
def test_map_lookup_with_a_bool_like_key_is_one_probe(key: str) -> None:
    m: dict[Any, Any] = {str(i): i for i in range(100_000)}
    m[0] = "zero"
    m[True] = "true"
    prog = celprice.compile(f"l.map(x, {key} in m ? 1 : 0).size() + l.map(x, m[?{key}].orValue(0) == 0 ? 0 : 1).size()",
                            cache=False)
    tally, value = run(prog, {"l": list(range(2_000)), "m": m})
    assert value == 4_000
    assert tally.work["probes"] <= 2 * 2 * 2_000


def test_map_lookup_keeps_true_and_one_apart() -> None:
    m = {True: "t", 0: "zero"}
    ev = celprice.compile("[m[?true], m[?1], m[?0], m[?false]]", cache=False).evaluate({"m": m})
    assert [o.has_value() for o in ev] == [True, False, True, False]


def test_trim_is_charged_what_it_scans() -> None:
    prog = celprice.compile("l.map(x, s.trim()).size()", cache=False)
    tally, value = run(prog, {"l": list(range(1_000)), "s": " " * 100_000 + "x"})
    _limit(value, "max_cost")


# --- deep equality: the flaky CPU-time test, now a work count ---------------------------


def test_list_equality_charge_covers_the_values_walked() -> None:
    outputs = [{"type": "image", "count": i, "width": 1024} for i in range(3_000)]
    # A smaller budget keeps the counted walk short (test_bombs.py runs it at the default).
    tally, value = run(celprice.compile("l.map(o, l == l).size()", env(max_cost=100_000), cache=False), {"l": outputs})
    _limit(value, "max_cost")
    assert tally.work["walked"] > 0
    assert tally.charged >= tally.work["walked"]


@pytest.mark.parametrize("n", [1, 100, 10_000])
def test_equality_charge_covers_the_values_walked(n: int) -> None:
    left = [{"a": [i, i]} for i in range(n)]
    right = [{"a": [i, i]} for i in range(n)]
    tally, value = run(celprice.compile("l == r", cache=False), {"l": left, "r": right})
    assert value is True
    assert tally.charged >= tally.work["walked"] >= 3 * n


# --- caches bounded by memory ------------------------------------------------------------


def test_engine_cache_is_bounded_by_the_text_it_holds() -> None:
    # The issue: 1,024 requests with a 1 MB upstream_pricing pinned ~1 GB.
    big = "x" * 300_000
    with memory_cap(2 << 30):
        for i in range(40):
            evaluate_pricing({"pricing": {"prices": {}, "total_expression": f"{i}", "upstream_pricing": big}})
    info = pricing_evaluator.engine_cache_info()
    assert info.text_held <= info.max_text
    # Each engine held counts its 300,000-character upstream_pricing (none was dropped from the count).
    assert 0 < info.engines < 40 and info.text_held >= info.engines * len(big)
    # Small pricings are still cached.
    request = {"pricing": {"prices": {"a": 1}, "total_expression": "prices.a + 1"}}
    evaluate_pricing(request)
    engine = pricing_evaluator.engine_for(request["pricing"])
    assert pricing_evaluator.engine_for(request["pricing"]) is engine


# --- Python exceptions mapped to celprice errors -----------------------------------------


_HUGE = 7 * 10**4_400  # more digits than Python writes or reads


@pytest.mark.parametrize(
    "request_",
    [
        {"pricing": {"prices": {"a": _HUGE}, "total_expression": "prices.a"}},
        {"pricing": {"prices": {}, "total_expression": "1"}, "usage_seconds": _HUGE},
        {"pricing": {"prices": {}, "total_expression": "1"}, "elapsed_ms": _HUGE},
        {"pricing": {"prices": {}, "total_expression": "1"},
         "output_meta": {"outputs": [{"type": "text", "tokens": _HUGE}]}},
    ],
)
def test_request_ints_over_4300_digits_are_request_errors(request_: dict) -> None:
    with pytest.raises(RequestError) as info:
        evaluate_pricing(request_)
    assert "an integer of 14" in str(info.value) and "bits" in str(info.value), str(info.value)


def test_huge_ints_in_task_inputs_are_formula_errors() -> None:
    response = evaluate_pricing({"pricing": {"prices": {}, "total_expression": "task_inputs.x + 1"},
                                 "task_inputs": {"x": _HUGE}})
    assert "out of the int64 range" in response["total"]["error"]


def test_overflow_error_text_is_not_quoted() -> None:
    boom = Function("boom", [Overload(["double"], "double", math.exp)])
    e = Environment(functions=[boom])
    with pytest.raises(CELEvaluationError) as info:
        celprice.compile("boom(x)", e, cache=False).evaluate({"x": 1e6})
    assert str(info.value).splitlines()[0].endswith("boom: value out of range"), str(info.value)
    assert "OverflowError" not in str(info.value)


# --- the declaration: a library function cannot forget its cost -------------------------


def test_a_library_function_taking_a_string_must_declare_its_cost() -> None:
    with pytest.raises(TypeError, match="declare cost"):
        standard("lengthy", len, "string -> int")
    declared = standard("lengthy", len, "string -> int", cost=Cost.SCANS)
    assert declared.precheck is not None  # scans are charged what they read by default
    assert standard("plus", lambda a, b: a + b, "int, int -> int").cost is Cost.CONSTANT


def test_every_declared_scan_is_charged() -> None:
    registry = default_environment().registry
    for entry in registry.entries():
        fn = entry.function
        if fn.cost is Cost.SCANS:
            assert fn.precheck is not None, entry.name


def test_cost_estimate_mirrors_scans() -> None:
    lo, hi = celprice.compile("duration('1h2m')", cache=False).cost_estimate()
    assert hi is not None
    lo, hi = celprice.compile("duration(d)", cache=False).cost_estimate()
    assert hi is None  # it grows with d
    assert celprice.compile("[1, 2].map(x, duration(d))", cache=False).cost_estimate()[1] is None


def test_limits_as_configured_still_apply_to_loop_free_scans() -> None:
    e = Environment(limits=Limits(max_cost=50))
    _, value = run(celprice.compile("s.contains('z')", e, cache=False), {"s": "a" * 100})
    _limit(value, "max_cost")
    assert celprice.compile("s.contains('z')", e, cache=False).evaluate({"s": "a" * 40}) is False
