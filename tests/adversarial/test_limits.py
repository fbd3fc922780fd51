"""Every limit at its boundary: exactly the limit passes, one more fails.

Parse-time limits (expression length, nesting depth) raise CELSyntaxError naming
the limit; run-time limits (cost, string size, list size, time) raise
CELLimitError naming the limit. Small custom Limits keep the boundaries cheap;
the defaults are tested where that is cheap too.
"""
from __future__ import annotations

import time
from typing import Any, Callable

import pytest

import celprice
from celprice import CELEvaluationError, CELLimitError, CELSyntaxError, Function, Limits, Overload

from ._support import env, evaluate, outcome, raises_limit

pytestmark = pytest.mark.timeout(30)

DEFAULT = Limits()


def test_default_limits_are_the_documented_ones() -> None:
    assert DEFAULT.max_expression_length == 10_000
    assert DEFAULT.max_nesting_depth == 250
    assert DEFAULT.max_cost == 1_000_000
    assert DEFAULT.max_string_size == 1_048_576
    assert DEFAULT.max_list_size == 100_000
    assert DEFAULT.timeout is None


# --- expression length (code points) --------------------------------------------------


def _string_source(n: int, char: str = "a") -> str:
    """A string literal that is exactly n code points long in the source."""
    return "'" + char * (n - 2) + "'"


@pytest.mark.parametrize("char", ["a", "é", "😀", "e\u0301"[1]], ids=["ascii", "latin", "astral", "combining"])
def test_length_default_boundary_counts_code_points(char: str) -> None:
    ok = _string_source(10_000, char)
    assert len(ok) == 10_000
    assert evaluate(ok) == char * 9_998
    with pytest.raises(CELSyntaxError, match="max_expression_length"):
        celprice.compile(_string_source(10_001, char), cache=False)


def test_length_counts_white_space_and_comments() -> None:
    assert evaluate("1" + " " * 9_999) == 1
    with pytest.raises(CELSyntaxError, match="max_expression_length"):
        celprice.compile("1" + " " * 10_000, cache=False)
    comment = "1 // " + "x" * 9_995
    assert len(comment) == 10_000 and evaluate(comment) == 1
    with pytest.raises(CELSyntaxError, match="max_expression_length"):
        celprice.compile(comment + "x", cache=False)


def test_length_custom_boundary() -> None:
    e = env(max_expression_length=20)
    src = "1+2+3+4+5+6+7+8+9+10"  # exactly 20 code points
    assert len(src) == 20
    assert evaluate(src, environment=e) == 55
    with pytest.raises(CELSyntaxError, match="max_expression_length"):
        celprice.compile(src + " ", e, cache=False)


@pytest.mark.parametrize(
    "size,make",
    [
        (1 << 20, lambda n: "1+" * (n // 2) + "1"),
        (1 << 20, lambda n: "(" * n),
        (1 << 20, lambda n: "[" + "1," * (n // 2) + "]"),
        (16 << 20, lambda n: "'" + "a" * n + "'"),
    ],
    ids=["1MB-sum", "1MB-parens", "1MB-list", "16MB-string"],
)
def test_huge_expression_rejected_fast_by_length(size: int, make: Callable[[int], str]) -> None:
    src = make(size)
    start = time.perf_counter()
    with pytest.raises(CELSyntaxError, match="max_expression_length") as info:
        celprice.compile(src, cache=False)
    elapsed = time.perf_counter() - start
    # The limit is checked before any lexing: the message must not echo the source.
    assert len(str(info.value)) < 500
    print(f"rejected {len(src)} code points in {elapsed * 1000:.2f} ms")


def test_length_checked_before_caching() -> None:
    # Through the compile cache too (the default path).
    with pytest.raises(CELSyntaxError, match="max_expression_length"):
        celprice.compile("1" * 10_001)


# --- nesting depth ---------------------------------------------------------------------
#
# Depth is the depth of the syntax tree (a leaf is 1), each parenthesised group
# counting as a level. Each builder returns (source, activation, environment, check)
# for a tree of exactly depth d.

F_ENV_FUNCTIONS = [Function("f", [Overload(["int"], "int", lambda v: v + 1)])]


def _nested(value: Any, depth: int, wrap: Callable[[Any], Any]) -> Any:
    for _ in range(depth):
        value = wrap(value)
    return value


Builder = Callable[[int], tuple[str, dict, Any]]

DEPTH_CASES: dict[str, Builder] = {
    # ((((x))))
    "parens": lambda d: ("(" * (d - 1) + "x" + ")" * (d - 1), {"x": 7}, 7),
    # [[[x]]]
    "lists": lambda d: ("[" * (d - 1) + "x" + "]" * (d - 1), {"x": 7}, _nested(7, d - 1, lambda v: [v])),
    # {'a': {'a': x}}
    "maps": lambda d: ("{'a': " * (d - 1) + "x" + "}" * (d - 1), {"x": 7}, _nested(7, d - 1, lambda v: {"a": v})),
    # ----x
    "negations": lambda d: ("-" * (d - 1) + "x", {"x": 7}, 7 if (d - 1) % 2 == 0 else -7),
    # !!!!x
    "nots": lambda d: ("!" * (d - 1) + "x", {"x": True}, (d - 1) % 2 == 0),
    # x.a.a.a
    "selects": lambda d: ("x" + ".a" * (d - 1), {"x": _nested(7, d - 1, lambda v: {"a": v})}, 7),
    # x[0][0][0]
    "indexes": lambda d: ("x" + "[0]" * (d - 1), {"x": _nested(7, d - 1, lambda v: [v])}, 7),
    # f(f(f(x))) with a custom function
    "custom_calls": lambda d: ("f(" * (d - 1) + "x" + ")" * (d - 1), {"x": 0}, d - 1),
    # int(int(int(x)))
    "stdlib_calls": lambda d: ("int(" * (d - 1) + "x" + ")" * (d - 1), {"x": 7}, 7),
    # x.lowerAscii().lowerAscii()
    "methods": lambda d: ("x" + ".lowerAscii()" * (d - 1), {"x": "AB"}, "ab"),
    # x ? 1 : x ? 1 : 2
    "ternaries": lambda d: ("x ? 1 : " * (d - 1) + "2", {"x": False}, 2),
    # x && x && x (left-deep: n operands nest n deep)
    "and_chain": lambda d: (" && ".join(["x"] * d), {"x": True}, True),
    "or_chain": lambda d: (" || ".join(["x"] * d), {"x": False}, False),
    # x + x + x
    "sum_chain": lambda d: (" + ".join(["x"] * d), {"x": 1}, d),
    # cel.bind(a, x, cel.bind(a, x, a))
    "binds": lambda d: ("cel.bind(a, x, " * (d - 1) + "a" + ")" * (d - 1), {"x": 7}, 7),
    # [x].map(v, [v].map(v, v)): n nested macros nest n + 2 deep
    "macros": lambda d: ("[x].map(v, " + "[v].map(v, " * (d - 3) + "v" + ")" * (d - 2), {"x": 7},
                         _nested(7, d - 2, lambda v: [v])),
}

def _environment_for(name: str, **limits: Any) -> celprice.Environment:
    functions = F_ENV_FUNCTIONS if name == "custom_calls" else ()
    return celprice.Environment(functions=functions, limits=Limits(**limits))


@pytest.mark.parametrize("name", list(DEPTH_CASES))
def test_depth_default_limit_passes(name: str) -> None:
    src, activation, expected = DEPTH_CASES[name](250)
    assert len(src) <= 10_000
    result = celprice.compile(src, _environment_for(name), cache=False).evaluate(activation)
    assert result == expected


@pytest.mark.parametrize("name", list(DEPTH_CASES))
def test_depth_default_limit_plus_one_fails(name: str) -> None:
    src, _, _ = DEPTH_CASES[name](251)
    with pytest.raises(CELSyntaxError, match="max_nesting_depth"):
        celprice.compile(src, _environment_for(name), cache=False)


@pytest.mark.parametrize("name", list(DEPTH_CASES))
def test_depth_custom_limit_boundary(name: str) -> None:
    e = _environment_for(name, max_nesting_depth=12)
    src, activation, expected = DEPTH_CASES[name](12)
    assert celprice.compile(src, e, cache=False).evaluate(activation) == expected
    src, _, _ = DEPTH_CASES[name](13)
    with pytest.raises(CELSyntaxError, match="max_nesting_depth"):
        celprice.compile(src, e, cache=False)


@pytest.mark.parametrize("name", list(DEPTH_CASES))
def test_depth_far_beyond_limit_is_a_clean_syntax_error(name: str) -> None:
    # As deep as the length limit allows: still a syntax error naming the limit,
    # never a RecursionError, and fast.
    depth = 250
    while len(DEPTH_CASES[name](depth * 2)[0]) <= 10_000:
        depth *= 2
    src, _, _ = DEPTH_CASES[name](depth)
    with pytest.raises(CELSyntaxError, match="max_nesting_depth"):
        celprice.compile(src, _environment_for(name), cache=False)


def test_depth_limit_applies_to_literals_folded_with_minus() -> None:
    assert evaluate("-------1") == -1
    assert evaluate("-" * 100 + "1") == 1
    with pytest.raises(CELSyntaxError, match="max_nesting_depth"):
        celprice.compile("-" * 5_000 + "1", cache=False)


@pytest.mark.parametrize("depth", [249, 250])
def test_depth_mixed_constructs_at_limit(depth: int) -> None:
    # Alternating unary minus and calls: each level is one node.
    layers = depth - 1
    src = "x"
    for i in range(layers):
        src = f"-{src}" if i % 2 else f"int({src})"
    value = evaluate(src, {"x": 3})
    assert value == (3 if (layers // 2) % 2 == 0 else -3)


# --- evaluation cost -------------------------------------------------------------------


def _min_passing_cost(src: str, activation: dict, hi: int = 1 << 24) -> int:
    """The smallest max_cost with which `src` evaluates (binary search)."""
    lo = 0
    assert evaluate(src, activation, env(max_cost=hi)) is not None
    while lo < hi:
        mid = (lo + hi) // 2
        try:
            evaluate(src, activation, env(max_cost=mid))
        except CELLimitError as e:
            assert "max_cost" in str(e)
            lo = mid + 1
        else:
            hi = mid
    return hi


@pytest.mark.parametrize(
    "src,body_nodes",
    [("l.all(v, v >= 0)", 3), ("l.map(v, v * 2)", 3), ("l.filter(v, v % 2 == 0)", 5), ("l.exists_one(v, v == 0)", 3)],
)
def test_cost_boundary_exact(src: str, body_nodes: int) -> None:
    activation = {"l": list(range(100))}
    cost = _min_passing_cost(src, activation)
    # Spec: at least one unit per iteration plus one per node of the body evaluated,
    # at most that plus every other node of the expression once, plus what is built.
    lower = 100 * (body_nodes + 1)
    assert lower <= cost <= lower + 10 + 100, cost
    evaluate(src, activation, env(max_cost=cost))
    raises_limit(src, activation, env(max_cost=cost - 1), limit="max_cost")


def test_cost_grows_linearly_with_iterations() -> None:
    src = "l.map(v, v + 1)"
    costs = [_min_passing_cost(src, {"l": list(range(n))}) for n in (100, 200, 300)]
    assert costs[1] - costs[0] == costs[2] - costs[1] > 0


def test_cost_default_boundary_on_a_big_list() -> None:
    # One comprehension over 250,000 elements with a one-node body: 2 units each,
    # so 500,000 passes the default 1,000,000; 500,001 elements do not.
    ok = list(range(250_000))
    assert evaluate("l.all(v, true)", {"l": ok}) is True
    raises_limit("l.all(v, true)", {"l": list(range(500_001))}, limit="max_cost")


def test_cost_includes_what_builders_build() -> None:
    # s + s builds 2 * size(s) code points and is charged for them.
    s = "a" * 10_000
    cheap = _min_passing_cost("[1].map(v, s + s)", {"s": "a"})
    dear = _min_passing_cost("[1].map(v, s + s)", {"s": s})
    assert dear - cheap == 2 * 10_000 - 2


@pytest.mark.parametrize(
    "src",
    [
        "[1, 2, 3].map(v, v * 2)",
        "'ab' + 'cd'",
        "[1, 2, 3].filter(v, v > 1).size()",
        "[1, 2].map(v, [3, 4].map(w, v * w))",
        "[1, 2, 3].map(v, [v, v].filter(u, u > 1))",
        "[1, 2, 3].exists_one(v, [4, 5, 6].all(w, w > v))",
        "[1, 2, 3].all(v, [4, 5].exists(w, w > v))",
    ],
)
def test_cost_estimate_max_bounds_the_actual_cost(src: str) -> None:
    lo, hi = celprice.compile(src, cache=False).cost_estimate()
    assert hi is not None and 0 <= lo <= hi, (src, lo, hi)
    evaluate(src, None, env(max_cost=hi))  # must not hit the limit


@pytest.mark.parametrize("src", ["strings.quote(s)", "base64.encode(b)", "base64.decode(t)"])
def test_cost_estimate_of_namespaced_builders(src: str) -> None:
    # Found by the fuzz campaign: strings.quote(cel.bind(w, 0u, s)) exceeded its own estimate.
    # What a builder makes from a variable is unknown before evaluation: the
    # estimate says so instead of promising a bound (the fuzzed bug).
    lo, hi = celprice.compile(src, cache=False).cost_estimate()
    assert hi is None and lo >= 1


def test_cost_estimate_of_matches_with_wrong_arguments() -> None:
    src = "[1].transformList(v, w, matches(0, b'ab'), 1)"
    lo, hi = celprice.compile(src, cache=False).cost_estimate()
    with pytest.raises(CELEvaluationError, match="no matching overload"):
        evaluate(src, None, env(max_cost=hi if hi is not None else 10**9))


@pytest.mark.parametrize("src", ["[1, 2, 3].map(v, math.greatest(l))", "cel.bind(w, math.greatest(l), w)",
                                 "[1, 2, 3].exists(v, s.contains('zz'))", "[1, 2, 3].map(v, v in l)"])
def test_cost_estimate_of_input_sized_operations(src: str) -> None:
    # Their cost grows with the input: the estimate is open-ended.
    lo, hi = celprice.compile(src, cache=False).cost_estimate()
    assert hi is None and lo >= 1


def test_cost_estimate_is_open_ended_for_inputs() -> None:
    lo, hi = celprice.compile("l.map(v, v)", cache=False).cost_estimate()
    assert hi is None and lo >= 1


# --- string and bytes size (code points / bytes) ------------------------------------------


STRING_BUILDERS = [
    # (source, activation at the limit of 8, activation one over)
    ("x + x", {"x": "abcd"}, {"x": "abcde"}),
    ("x + x", {"x": "😀😀😀😀"[:4]}, {"x": "😀😀😀😀😀"}),  # code points, not bytes
    ("x + x", {"x": b"abcd"}, {"x": b"abcde"}),
    ("x + x", {"x": "éééé"}, {"x": "ééééé"}),  # 8 code points (16 UTF-8 bytes) is allowed
    ("x.replace('a', 'bb')", {"x": "aaaa"}, {"x": "aaaaa"}),
    ("[x, x].join('')", {"x": "abcd"}, {"x": "abcde"}),
    ("[x, x].join('-')", {"x": "abc"}, {"x": "abcd"}),
    ("'%s%s'.format([x, x])", {"x": "abcd"}, {"x": "abcde"}),
    ("strings.quote(x)", {"x": "abcdef"}, {"x": "abcdefg"}),
    ("base64.encode(x)", {"x": b"abcdef"}, {"x": b"abcdefg"}),
    ("(x + x).upperAscii()", {"x": "abcd"}, {"x": "abcde"}),
    ("bytes(x + x)", {"x": "abcd"}, {"x": "abcde"}),
]


@pytest.mark.parametrize("src,at,over", STRING_BUILDERS, ids=[f"{i}-{c[0]}" for i, c in enumerate(STRING_BUILDERS)])
def test_string_size_boundary(src: str, at: dict, over: dict) -> None:
    e = env(max_string_size=8)
    result = evaluate(src, at, e)
    assert len(result) <= 8
    raises_limit(src, over, e, limit="max_string_size")


def test_format_result_that_fits_is_allowed() -> None:
    assert evaluate("'%s%s'.format([x, x])", {"x": "abcd"}, env(max_string_size=8)) == "abcdabcd"
    assert evaluate("'%s'.format([x])", {"x": "a" * 100}, env(max_string_size=100)) == "a" * 100
    assert evaluate("'%d, %d'.format([1, 2])", None, env(max_string_size=4)) == "1, 2"


FORMAT_OVER_LIMIT = [
    # (format source, data, max_string_size or None for the default): each renders past the limit
    ("'%s'.format([x])", {"x": [[1] * 10] * 60_000}, None),  # 1,920,000 code points
    ("'%s'.format([x])", {"x": [[1, 2, 3]] * 100}, 1_000),  # 1,100
    ("'%d%d'.format([x, x])", {"x": 123456}, 10),
    ("'%.5f'.format([x])", {"x": 12345.5}, 10),
    ("'%x'.format([x])", {"x": 2**63 - 1}, 10),
    ("'%e'.format([x])", {"x": 1e300}, 10),
    ("'%s'.format([x])", {"x": 1e300}, 10),
    ("'%.900f'.format([x])", {"x": 1.5}, 10),
]


@pytest.mark.parametrize("src,data,limit", FORMAT_OVER_LIMIT, ids=[f"{c[0]}-{c[2]}" for c in FORMAT_OVER_LIMIT])
def test_format_never_exceeds_the_string_limit(src: str, data: dict, limit: int | None) -> None:
    e = env(max_string_size=limit) if limit else None
    kind, value = outcome(f"size({src})", data, e)
    assert kind == "error" and isinstance(value, CELLimitError) and "max_string_size" in str(value), value


def test_string_size_default_boundary_by_doubling() -> None:
    # 'ab' doubled 19 times is exactly 1,048,576 code points: allowed; once more is not.
    big_cost = env(max_cost=10**9)
    src = "cel.bind(s, 'ab', " + "cel.bind(s, s + s, " * 19 + "size(s)" + ")" * 20
    assert evaluate(src, None, big_cost) == 1_048_576
    src = "cel.bind(s, 'ab', " + "cel.bind(s, s + s, " * 20 + "size(s)" + ")" * 21
    raises_limit(src, None, big_cost, limit="max_string_size")


# --- list and map size (elements) --------------------------------------------------------


LIST_BUILDERS = [
    ("x + x", {"x": [1, 2]}, {"x": [1, 2, 3]}),
    ("x.map(v, v)", {"x": [1, 2, 3, 4]}, {"x": [1, 2, 3, 4, 5]}),
    ("x.filter(v, true)", {"x": [1, 2, 3, 4]}, {"x": [1, 2, 3, 4, 5]}),
    ("x.map(v, true, v)", {"x": [1, 2, 3, 4]}, {"x": [1, 2, 3, 4, 5]}),
    ("x.transformList(i, v, v)", {"x": [1, 2, 3, 4]}, {"x": [1, 2, 3, 4, 5]}),
    ("x.split(',')", {"x": "a,b,c,d"}, {"x": "a,b,c,d,e"}),
    ("x.split('')", {"x": "abcd"}, {"x": "abcde"}),
    ("x.transformMap(i, v, v)", {"x": [1, 2, 3, 4]}, {"x": [1, 2, 3, 4, 5]}),
    ("x.transformMapEntry(i, v, {v: i})", {"x": [1, 2, 3, 4]}, {"x": [1, 2, 3, 4, 5]}),
]


@pytest.mark.parametrize("src,at,over", LIST_BUILDERS, ids=[c[0] for c in LIST_BUILDERS])
def test_list_and_map_size_boundary(src: str, at: dict, over: dict) -> None:
    e = env(max_list_size=4)
    assert len(evaluate(src, at, e)) == 4
    raises_limit(src, over, e, limit="max_list_size")


def test_list_size_default_boundary_by_doubling() -> None:
    # Five elements doubled 14 times is 81,920; adding 18,080 more from the activation
    # is exactly 100,000 (allowed); 18,081 more is one over.
    build = "cel.bind(l, [1, 1, 1, 1, 1], " + "cel.bind(l, l + l, " * 14
    close = ")" * 15
    assert evaluate(build + "size(l)" + close) == 81_920
    assert evaluate(build + "size(l + x)" + close, {"x": [0] * 18_080}) == 100_000
    raises_limit(build + "size(l + x)" + close, {"x": [0] * 18_081}, limit="max_list_size")


# --- wall-clock timeout -------------------------------------------------------------------


def test_timeout_stops_a_long_evaluation() -> None:
    e = env(max_cost=10**12, timeout=0.05)
    start = time.perf_counter()
    raises_limit("l.map(a, l.map(b, a + b)).size()", {"l": list(range(3_000))}, e, limit="timeout")
    print(f"stopped after {time.perf_counter() - start:.3f} s (timeout 0.05 s)")


def test_timeout_none_and_generous_timeout_do_not_interfere() -> None:
    src = "l.map(a, a * 2).size()"
    assert evaluate(src, {"l": list(range(1_000))}, env(timeout=30.0)) == 1_000
    assert evaluate(src, {"l": list(range(1_000))}, env(timeout=None)) == 1_000


def test_limit_errors_are_evaluation_errors() -> None:
    e = raises_limit("l.map(a, l.map(b, l.map(c, a + b + c)))", {"l": list(range(1_000))}, limit="max_cost")
    assert isinstance(e, CELEvaluationError)
    assert e.source is not None


def test_cost_limit_error_says_where() -> None:
    e = raises_limit("l.map(a, l.map(b, l.map(c, a + b + c)))", {"l": list(range(1_000))}, limit="max_cost")
    assert e.line == 1 and e.column is not None


# --- a limit error is never absorbed into a value ---------------------------------------------

BOMB = "l.map(a, l.map(b, l.map(c, a + b + c))).size() > 0"


@pytest.mark.parametrize(
    "src",
    [
        f"({BOMB}) || true",
        f"({BOMB}) && false",
        f"true && ({BOMB})",
        f"false || ({BOMB})",
        f"l.exists(v, v == 0 && ({BOMB}))",
        f"l.exists(v, ({BOMB}) || v == 0)",
        f"l.all(v, ({BOMB}) && v < 0)",
        f"[{BOMB}, true].exists(v, v)",
        f"({BOMB}) ? 1 : 1",
        f"optional.none().orValue({BOMB})",
        f"cel.bind(x, {BOMB}, true)",
        f"has({{'a': {BOMB}}}.a)",
        f"(1 / 0 > 0) || ({BOMB})",
        f"('x' > 0) || ({BOMB})",
    ],
)
def test_limit_errors_are_never_absorbed_into_a_value(src: str) -> None:
    # The other errors that && / || / exists / all absorb may be reported instead,
    # but the outcome is an error, never a value.
    with pytest.raises(CELEvaluationError):
        evaluate(src, {"l": list(range(1_000))})


@pytest.mark.parametrize("src", [f"({BOMB}) || true", f"l.exists(v, ({BOMB}) || v == 0)", f"({BOMB}) && false"])
def test_limit_error_wins_over_deciding_values(src: str) -> None:
    raises_limit(src, {"l": list(range(1_000))}, limit="max_cost")


# --- deep nesting and the Python stack ----------------------------------------------------------


def _at_stack_depth(frames: int, fn: Callable[[], Any]) -> Any:
    return fn() if frames == 0 else _at_stack_depth(frames - 1, fn)


@pytest.mark.parametrize("name", ["negations", "stdlib_calls", "sum_chain", "parens", "macros"])
def test_depth_limit_holds_under_a_deep_caller_stack(name: str) -> None:
    # A web framework may call in with a few hundred frames already on the stack.
    src, activation, expected = DEPTH_CASES[name](250)
    env_ = _environment_for(name)
    assert _at_stack_depth(400, lambda: celprice.compile(src, env_, cache=False).evaluate(activation)) == expected


def test_custom_large_depth_in_a_thread_does_not_crash_the_process() -> None:
    # Raising max_nesting_depth must stay safe for the C stack too (a segfault would
    # kill the process, so this runs in a child process).
    import os
    import subprocess
    import sys

    script = (
        "import threading, celprice\n"
        "env = celprice.Environment(limits=celprice.Limits(max_nesting_depth=6000, max_expression_length=20000))\n"
        "out = []\n"
        "def go():\n"
        "    src = '-' * 4999 + 'x'\n"
        "    out.append(celprice.compile(src, env, cache=False).evaluate({'x': 1}))\n"
        "t = threading.Thread(target=go); t.start(); t.join()\n"
        "print(out)\n"
    )
    src_dir = os.path.join(os.path.dirname(__file__), "..", "..", "src")
    environ = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [src_dir, os.environ.get("PYTHONPATH")]))}
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, env=environ)
    assert result.returncode == 0, (result.returncode, result.stderr[-1000:])
    assert result.stdout.strip() == "[-1]", (result.stdout, result.stderr[-1000:])
