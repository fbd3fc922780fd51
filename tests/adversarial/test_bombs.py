"""Resource bombs: formulas written to burn CPU or memory within the default limits.

Each must end quickly with CELLimitError (or its correct value), never hang and
never allocate its full would-be result. Memory bombs run under an address-space
cap so that an engine which builds the result first fails with MemoryError
(reported as an internal error, failing the test) instead of exhausting the machine;
CPU bombs run under a CPU-time guard.
"""
from __future__ import annotations

import pytest

import celprice

from celprice import CELError, CELLimitError

from ._work import run
from ._support import Hang, cpu_deadline, env, evaluate, memory_cap, outcome, raises_limit

pytestmark = pytest.mark.timeout(30)

THOUSAND = {"l": list(range(1_000))}


# --- nested comprehensions --------------------------------------------------------------


@pytest.mark.parametrize(
    "src",
    [
        "l.map(a, l.map(b, l.map(c, a + b + c)))",
        "l.map(a, l.map(b, a + b))",
        "l.all(a, l.all(b, l.all(c, true)))",
        "l.exists(a, l.exists(b, l.exists(c, false)))",
        "l.filter(a, l.filter(b, l.filter(c, true).size() > 0).size() > 0)",
        "l.map(a, l.map(b, l)).size()",
        "l.transformMap(i, a, l.transformList(j, b, a + b))",
        "l.exists_one(a, l.exists_one(b, a == b))",
    ],
)
def test_nested_comprehensions_hit_the_cost_limit(src: str) -> None:
    raises_limit(src, THOUSAND, limit="max_cost")


def test_nested_comprehensions_with_a_huge_budget_hit_the_timeout() -> None:
    raises_limit("l.map(a, l.map(b, l.map(c, a + b + c)))", THOUSAND, env(max_cost=10**15, timeout=0.1),
                 limit="timeout")


def test_comprehension_over_a_comprehension_result() -> None:
    # The range itself is built by a comprehension: both are charged.
    raises_limit("l.map(a, l).map(b, b.map(c, c)).size()", THOUSAND, limit="max_cost")


# --- string doubling ---------------------------------------------------------------------


def _doubling(var: str, init: str, times: int, step: str, tail: str) -> str:
    return f"cel.bind({var}, {init}, " + f"cel.bind({var}, {step}, " * times + tail + ")" * (times + 1)


@pytest.mark.parametrize("times", [25, 40, 60])
def test_string_doubling_by_bind_hits_a_limit(times: int) -> None:
    raises_limit(_doubling("s", "'ab'", times, "s + s", "size(s)"))


def test_string_doubling_by_bind_hits_the_string_limit_when_cost_is_no_object() -> None:
    raises_limit(_doubling("s", "'ab'", 30, "s + s", "size(s)"), None, env(max_cost=10**15),
                 limit="max_string_size")


def test_bytes_doubling_hits_the_string_limit() -> None:
    raises_limit(_doubling("s", "b'ab'", 30, "s + s", "size(s)"), None, env(max_cost=10**15),
                 limit="max_string_size")


def test_string_quadrupling_chain() -> None:
    raises_limit(_doubling("s", "'ab'", 15, "s + s + s + s", "size(s)"))


def test_long_plus_chain_of_a_big_string() -> None:
    # s + s + s + ... with s = 100,000 code points: the partial sums are charged.
    src = " + ".join(["s"] * 40)
    raises_limit(src, {"s": "x" * 100_000})
    raises_limit(src, {"s": "x" * 100_000}, env(max_cost=10**15), limit="max_string_size")


def test_plus_chain_of_literals_is_bounded_by_the_length_limit() -> None:
    # A literal chain is bounded by the length and depth limits: < 10,000 code points.
    src = "+".join(["'" + "a" * 40 + "'"] * 200)
    assert len(src) < 10_000
    assert len(evaluate(src)) == 8_000


# --- list doubling -------------------------------------------------------------------


def test_list_doubling_hits_the_list_limit() -> None:
    raises_limit(_doubling("l", "[1]", 17, "l + l", "size(l)"), limit="max_list_size")


def test_list_of_lists_doubling() -> None:
    # Each step nests the previous list twice: the total element count explodes while
    # each list stays tiny; every step is cheap, so this must simply finish.
    src = _doubling("l", "[1]", 60, "[l, l]", "size(l)")
    assert evaluate(src) == 2


def test_map_of_the_list_itself() -> None:
    raises_limit("l.map(a, l.map(b, l)).size()", THOUSAND, limit="max_cost")


# --- builders that multiply their input: the result must be bounded before it is built ----


def _big_string(log2: int) -> str:
    """A bind chain leaving s = 'a' * 2**log2 (cost about 2**(log2 + 1))."""
    return "cel.bind(s, 'a', " + "cel.bind(s, s + s, " * log2


def _big_list(log2: int) -> str:
    return "cel.bind(l, [1], " + "cel.bind(l, l + l, " * log2


MULTIPLIER_BOMBS = [
    # s.replace('a', s): 2**16 * 2**16 = 4 G code points
    ("replace", _big_string(16) + "size(s.replace('a', s))" + ")" * 17),
    # l.map(x, s).join(''): 2**15 * 2**16 = 2 G code points
    ("join", _big_string(16) + _big_list(15) + "size(l.map(x, s).join(''))" + ")" * 33),
    # '%s'.format([l.map(x, s)]): same
    ("format", _big_string(16) + _big_list(15) + "size('%s'.format([l.map(x, s)]))" + ")" * 33),
    # join with a huge separator: 2**15 separators of 2**16
    ("join-separator", _big_string(16) + _big_list(15) + "size(l.map(x, '').join(s))" + ")" * 33),
]


@pytest.mark.parametrize("name,src", MULTIPLIER_BOMBS, ids=[n for n, _ in MULTIPLIER_BOMBS])
def test_multiplying_builders_are_bounded_before_building(name: str, src: str) -> None:
    assert len(src) < 10_000
    with memory_cap(1 << 30), cpu_deadline(10):
        with pytest.raises(CELLimitError) as info:
            evaluate(src)
    message = str(info.value)
    assert "max_string_size" in message or "max_cost" in message, message


def test_multiplying_builder_small_case_still_correct() -> None:
    # The same shapes at a harmless size give the right answer.
    assert evaluate(_big_string(3) + "size(s.replace('a', s))" + ")" * 4) == 64
    assert evaluate(_big_string(3) + _big_list(2) + "size(l.map(x, s).join(''))" + ")" * 7) == 32


# --- shared sub-structures (a DAG) --------------------------------------------------------
#
# cel.bind(a, [a, a]) doubles the logical size of a value at constant cost, because
# both elements are the same object. Operations that walk values (==, in, format)
# must not then take exponential time.


def _dag(var: str, levels: int) -> str:
    return f"cel.bind({var}, [1], " + f"cel.bind({var}, [{var}, {var}], " * levels


DAG_LEVELS = 60
# (name, source, the correct value if it is computed at all; None: only a limit error is right)
DAG_CASES = [
    ("equal-distinct", _dag("a", DAG_LEVELS) + _dag("b", DAG_LEVELS) + "a == b" + ")" * (2 * DAG_LEVELS + 2), True),
    ("equal-same", _dag("a", DAG_LEVELS) + "a == a" + ")" * (DAG_LEVELS + 1), True),
    ("not-equal", _dag("a", DAG_LEVELS) + _dag("b", DAG_LEVELS) + "a != b" + ")" * (2 * DAG_LEVELS + 2), False),
    ("in-list", _dag("a", DAG_LEVELS) + "a in [a]" + ")" * (DAG_LEVELS + 1), True),
    ("map-values", _dag("a", DAG_LEVELS) + "{'k': a} == {'k': a}" + ")" * (DAG_LEVELS + 1), True),
    ("format", _dag("a", DAG_LEVELS) + "size('%s'.format([a]))" + ")" * (DAG_LEVELS + 1), None),
]


@pytest.mark.parametrize("name,src,expected", DAG_CASES, ids=[n for n, _, _ in DAG_CASES])
def test_shared_structure_walks_are_bounded(name: str, src: str, expected: bool | None) -> None:
    assert len(src) < 10_000
    with memory_cap(1 << 30):
        try:
            with cpu_deadline(1):
                kind, value = outcome(src)
        except Hang:
            pytest.fail("no limit stopped it within 1 s of CPU time")
    if kind == "ok":
        assert expected is not None and value is expected, value
    else:
        assert isinstance(value, CELLimitError), value


def test_shared_structure_walk_respects_the_timeout() -> None:
    src = DAG_CASES[0][1]
    try:
        with cpu_deadline(1.5):
            kind, value = outcome(src, None, env(timeout=0.2))
    except Hang:
        pytest.fail("the 0.2 s timeout did not stop it within 1.5 s of CPU time")
    assert (kind == "ok" and value is True) or isinstance(value, CELLimitError), value


def test_shared_structure_small_case_is_correct() -> None:
    assert evaluate(_dag("a", 8) + _dag("b", 8) + "a == b" + ")" * 18) is True
    assert evaluate(_dag("a", 8) + "size('%s'.format([a]))" + ")" * 9) > 0


# --- regular expressions: compiling is work too -----------------------------------------------


def test_regex_compilation_is_bounded() -> None:
    src = ("[0,1,2,3,4,5,6,7,8,9].map(i, [0,1,2,3,4,5,6,7,8,9].map(j, "
           "'a'.matches('[\\\\p{L}\\\\p{N}]{300}' + string(i) + string(j)))).size()")
    try:
        with cpu_deadline(1.5):
            kind, value = outcome(src)
    except Hang:
        pytest.fail("100 regex compilations ran for over 1.5 s of CPU time within the default limits")
    assert (kind == "ok" and value == 10) or isinstance(value, CELError), value


# --- misc -----------------------------------------------------------------------------------


def test_no_repetition_operator() -> None:
    for src in ["'ab' * 1000000", "[1] * 1000000", "b'a' * 1000000"]:
        kind, e = outcome(src)
        assert kind == "error" and "no matching overload" in str(e)


def test_range_like_constructs_do_not_exist() -> None:
    # There is no range(); the only way to iterate is over data or literals.
    kind, e = outcome("range(100000000).map(x, x)")
    assert kind == "error"


@pytest.mark.parametrize(
    "src",
    [
        "s.split('')",
        "s.split('').join('-')",
        "s.reverse()",
        "s.upperAscii()",
        "base64.encode(bytes(s))",
        "strings.quote(s)",
        "s.replace('', '-')",
        "'%s %s'.format([s, s])",
    ],
)
def test_builders_on_a_large_input_are_limited(src: str) -> None:
    # s is 600,000 code points: every result here is built within or just over the
    # limits; whichever way, the outcome is a value or a CELLimitError, quickly.
    with memory_cap(1 << 30):
        kind, value = outcome(src, {"s": "ab" * 300_000})
    assert kind == "ok" or isinstance(value, CELLimitError), value


# --- amplification: a comprehension repeating an operation whose work grows with its input ---
#
# The budget charges a call one unit, but `x in list`, `==` on lists and maps,
# substring search, regex matching and math.greatest(list) take time proportional
# to their input. Inside a comprehension over the same input, the work is
# quadratic while the charge stays linear.

OUTPUTS = [{"type": "image", "count": i, "width": 1024} for i in range(3_000)]
MEGABYTE = "a" * 1_000_000
AMPLIFIERS = [
    ("in-list", "l.map(o, o in l).size()", {"l": OUTPUTS}),
    ("list-equality", "l.map(o, l == l).size()", {"l": OUTPUTS}),
    ("contains", "l.map(o, s.contains('zz')).size()", {"l": list(range(20_000)), "s": MEGABYTE}),
    ("indexOf", "l.map(o, s.indexOf('zz')).size()", {"l": list(range(20_000)), "s": MEGABYTE}),
    ("matches", "l.map(o, s.matches('(a|b)c')).size()", {"l": list(range(20_000)), "s": MEGABYTE}),
    ("string-equality", "l.map(o, s == t).size()", {"l": list(range(100_000)), "s": MEGABYTE, "t": MEGABYTE + ""}),
    ("greatest", "l.map(o, math.greatest(l)).size()", {"l": list(range(10_000))}),
]


@pytest.mark.parametrize("name,src,data", AMPLIFIERS, ids=[n for n, _, _ in AMPLIFIERS])
def test_input_sized_operations_are_charged(name: str, src: str, data: dict) -> None:
    # No time is asserted (the machine is shared): each must stop at the cost
    # limit, and what it was charged must cover the values it walked (the work
    # counter of _work.py). The CPU guard only turns a regression into a hang
    # failure instead of a 30 s timeout.
    if name == "string-equality":
        data = {**data, "t": "".join(["a"] * 1_000_000)}  # a distinct object: no identity short cut
    prog = celprice.compile(src, cache=False)
    try:
        with cpu_deadline(20):
            tally, value = run(prog, data)
    except Hang:
        pytest.fail("ran for over 20 s of CPU time within the default limits")
    assert isinstance(value, CELLimitError) and "max_cost" in str(value), value
    assert tally.charged >= tally.work["walked"]
    if name in ("in-list", "list-equality"):
        assert tally.work["walked"] > 0


# --- caches: distinct hostile formulas must not pin unbounded memory ------------------------


def _wide_program(tag: int) -> str:
    """A ~10,000 code point formula of many small comprehensions (shallow, valid)."""
    items = [f"[x{tag}, {j}].map(v, v * 2).size()" for j in range(400)]
    src = "[" + ", ".join(items) + "]"
    while len(src) > 10_000:
        items.pop()
        src = "[" + ", ".join(items) + "]"
    return src


def test_compile_cache_worst_case_memory_is_bounded() -> None:
    import gc
    import os

    import celprice
    from celprice import program as program_module

    def resident() -> int:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

    n = 12
    environment = celprice.Environment()  # a private environment: private cache entries
    sources = [_wide_program(i) for i in range(n)]
    celprice.compile(_wide_program(n), environment)  # warm up
    gc.collect()
    before = resident()
    for src in sources:
        celprice.compile(src, environment)
    gc.collect()
    per_program = max(resident() - before, 0) / n
    # The cache holds at most CACHE_SIZE programs and CACHE_MAX_SOURCE code points of source.
    held = min(program_module.CACHE_SIZE, program_module.CACHE_MAX_SOURCE // len(sources[0]))
    worst = per_program * held
    print(f"{per_program / 1024:.0f} KiB per cached program, {worst / 2**20:.0f} MiB for a full cache")
    assert worst < 512 * 2**20


# --- error messages: quoting untrusted values must not amplify them ------------------------------
#
# A formula of a few hundred characters can build a 500,000 code point string and
# make every fee component fail with a message quoting it: megabytes of response
# (and of logs) from a tiny request. Every message quotes a bounded excerpt.

QUOTING = ["{'a': 1}[s]", "m[s]", "int(s)", "uint(s)", "double(s)", "bool(s)", "'a'.matches(t)", "duration(s)",
           "timestamp(s)", "s.charAt(-1)"]


@pytest.mark.parametrize("src", QUOTING)
def test_error_messages_quote_bounded_excerpts(src: str) -> None:
    kind, error = outcome(src, {"s": "x" * 1_000_000, "t": "(" + "x" * 999_999, "m": {}})
    assert kind == "error"
    assert len(error.message) < 2_000, len(error.message)
