"""Regular expressions: RE2 semantics in linear time, and hostile patterns as CEL errors."""
from __future__ import annotations

import time

import pytest

from celprice import CELError, CELEvaluationError

from ._support import cpu_deadline, evaluate, outcome

pytestmark = pytest.mark.timeout(30)

# Patterns that take exponential time in a backtracking engine, with an input that
# makes them fail at the very end.
CATASTROPHIC = [
    ("(a+)+$", "a" * 100_000 + "!"),
    ("(a|aa)+$", "a" * 100_000 + "!"),
    ("(a*)*b", "a" * 100_000),
    ("(a|a?)+b", "a" * 100_000),
    ("(.*a){25}x", "a" * 10_000),
    ("(x+x+)+y", "x" * 100_000),
    ("^(([a-z])+.)+[A-Z]([a-z])+$", "abcdefghij" * 10_000 + "!"),
    ("(\\w+\\s?)+$", "word " * 20_000 + "!"),
    ("^(a+)+$", "a" * 1_000_000 + "b"),
    ("(.*){1,1000}[bc]", "a" * 5_000),
]


@pytest.mark.parametrize("pattern,text", CATASTROPHIC, ids=[p for p, _ in CATASTROPHIC])
def test_catastrophic_patterns_run_in_linear_time(pattern: str, text: str) -> None:
    start = time.perf_counter()
    with cpu_deadline(5):
        kind, value = outcome("s.matches(p)", {"s": text, "p": pattern})
    elapsed = time.perf_counter() - start
    assert kind == "ok" and value is False or isinstance(value, CELError), value
    print(f"{pattern!r} on {len(text)} code points: {elapsed * 1000:.1f} ms")


def test_linear_time_scales_linearly() -> None:
    times = []
    for n in (100_000, 400_000):
        start = time.perf_counter()
        assert evaluate("s.matches('(a+)+$')", {"s": "a" * n + "!"}) is False
        times.append(time.perf_counter() - start)
    print(f"100k: {times[0] * 1000:.1f} ms, 400k: {times[1] * 1000:.1f} ms")


@pytest.mark.parametrize(
    "pattern",
    ["(", ")", "[", "[a-", "a**", "a{2,1}", "(?=a)", "(?!a)", "(?<=a)", "(?<!a)", "(a)\\1", "\\", "(?P<n>a)(?P<n>b)",
     "(?i", "\\x{110000}", "\\p{NoSuchClass}", "a{1001}", "(?:a{1000}){1000}", "((a{100}){100}){100}",
     "\\pL{1000}", "[[:nope:]]", "x{2}{3}{4}{5}{6}{7}{8}{9}" * 3],
)
def test_invalid_or_oversized_patterns_are_cel_errors(pattern: str) -> None:
    with cpu_deadline(5):
        kind, value = outcome("'abc'.matches(p)", {"p": pattern})
    if kind == "ok":
        assert isinstance(value, bool)  # RE2 accepted it: fine, as long as it answered
    else:
        assert isinstance(value, CELEvaluationError), value
        assert "regular expression" in str(value) or "regex" in str(value), value


@pytest.mark.parametrize("pattern", ["\ud800", "a\udfffb", "[\ud800-\udbff]"])
def test_patterns_with_lone_surrogates(pattern: str) -> None:
    kind, value = outcome("'abc'.matches(p)", {"p": pattern})
    assert kind == "ok" or isinstance(value, CELEvaluationError), value


@pytest.mark.parametrize(
    "text,pattern,expected",
    [
        ("abc", "b", True),  # substring search, not a full match
        ("abc", "^b", False),
        ("abc", "^abc$", True),
        ("a\nb", "^b", False),
        ("a\nb", "(?m)^b", True),
        ("é", "^.$", True),  # one code point
        ("😀", "^.$", True),
        ("e\u0301", "^.$", False),
        ("é", "^\\w$", False),  # RE2's \w is ASCII
        ("ABC", "(?i)abc", True),
        ("a\x00b", "a\\x00b", True),
        ("", "", True),
        ("x", "", True),
        ("aaa", "a{3}", True),
    ],
)
def test_re2_semantics(text: str, pattern: str, expected: bool) -> None:
    assert evaluate("s.matches(p)", {"s": text, "p": pattern}) is expected
    assert evaluate("matches(s, p)", {"s": text, "p": pattern}) is expected


def test_matches_on_wrong_types() -> None:
    for src in ["b'a'.matches('a')", "1.matches('a')", "'a'.matches(1)", "'a'.matches(b'a')", "null.matches('a')"]:
        kind, value = outcome(src)
        assert kind == "error" and "no matching overload" in str(value), (src, value)


@pytest.mark.parametrize("n", [50, 2_000])
def test_many_distinct_patterns_are_bounded(n: int) -> None:
    # Distinct patterns built at run time: compiling each is work the budget must
    # see. A few dozen are fine; thousands end in a value or a max_cost error, fast.
    src = "l.map(i, 'x' + string(i)).all(p, ('x' + p).matches(p))"
    with cpu_deadline(5):
        kind, value = outcome(src, {"l": list(range(n))})
    if n <= 50:
        assert kind == "ok" and value is True, value
    else:
        assert (kind == "ok" and value is True) or "max_cost" in str(value), value


def test_pattern_on_a_large_input_is_linear() -> None:
    text = "ab" * 500_000
    assert evaluate("s.matches('(ab)*c')", {"s": text}) is False
    assert evaluate("s.matches('b$')", {"s": text}) is True
