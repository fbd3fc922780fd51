"""The regex library, from the behaviour cel-go documents (ext/README.md, ext/regex.go)."""
from __future__ import annotations

import pytest

import celprice
from celprice import Optional

from .conftest import run


@pytest.mark.parametrize(
    "source, expected",
    [
        (r"regex.replace('hello world hello', 'hello', 'hi')", "hi world hi"),
        (r"regex.replace('banana', 'a', 'x', 0)", "banana"),
        (r"regex.replace('banana', 'a', 'x', 1)", "bxnana"),
        (r"regex.replace('banana', 'a', 'x', 2)", "bxnxna"),
        (r"regex.replace('banana', 'a', 'x', -12)", "bxnxnx"),
        (r"regex.replace('foo bar', '(fo)o (ba)r', '\\2 \\1')", "ba fo"),
        (r"regex.replace('a.b', '\\.', '\\\\')", "a\\b"),
        (r"regex.replace('abc', '(x)?b', '[\\1]')", "a[]c"),  # an unmatched group inserts nothing
        # Go's rule for empty matches: none right after the previous match.
        (r"regex.replace('baaac', 'a*', 'x')", "xbxcx"),
        (r"regex.replace('héllo', 'l+', 'L')", "héLo"),
        (r"regex.extract('hello world', 'hello(.*)')", Optional.of(" world")),
        (r"regex.extract('item-A, item-B', 'item-(\\w+)')", Optional.of("A")),
        (r"regex.extract('HELLO', 'hello')", Optional.none()),
        (r"regex.extract('abc', 'b')", Optional.of("b")),
        (r"regex.extract('abc', 'a(x*)')", Optional.none()),  # the group matched empty
        (r"regex.extractAll('id:123, id:456', 'id:\\d+')", ["id:123", "id:456"]),
        (r"regex.extractAll('id:123, id:456', 'assa')", []),
        (r"regex.extractAll('id:123, id:456', 'id:(\\d+)')", ["123", "456"]),
        (r"regex.extractAll('a1b2', '(?:[a-z])(\\d)')", ["1", "2"]),  # non-capturing groups do not count
    ],
)
def test_documented_results(ext: celprice.Environment, source: str, expected: object) -> None:
    assert run(source, ext) == expected


@pytest.mark.parametrize(
    "source, message",
    [
        (r"regex.replace('test', '(.)', '\\2')", "references group 2 but regex has only 1 group"),
        (r"regex.replace('test', '(.)', 'x\\')", "not allowed at end"),
        (r"regex.replace('id=123', 'id=(?P<value>\\d+)', 'value: \\values')", "must be followed by a digit"),
        (r"regex.replace('foo bar', '(', '\\2 \\1')", "invalid regular expression"),
        (r"regex.extract('testuser@testdomain', '(.*)@([^.]*)')", "more than one capturing group"),
        (r"regex.extractAll('testuser@testdomain', '(.*)@([^.]*)')", "more than one capturing group"),
        (r"regex.extractAll('x', '(?<!a)x')", "invalid regular expression"),  # no lookbehind in RE2
    ],
)
def test_documented_errors(ext: celprice.Environment, source: str, message: str) -> None:
    with pytest.raises(celprice.CELEvaluationError, match=message.replace("\\", "\\\\")):
        run(source, ext)


def test_invalid_pattern_message_is_text(ext: celprice.Environment) -> None:
    with pytest.raises(celprice.CELEvaluationError) as info:
        run("regex.extract('a', '(')", ext)
    assert info.value.message == "invalid regular expression '(': missing ): ("


def test_checker_types(checked: celprice.Environment) -> None:
    assert celprice.compile("regex.replace(s, 'a', 'b')", checked).result_type == "string"
    assert celprice.compile("regex.replace(s, 'a', 'b', n)", checked).result_type == "string"
    assert celprice.compile("regex.extract(s, 'a')", checked).result_type == "optional_type(string)"
    assert celprice.compile("regex.extractAll(s, 'a')", checked).result_type == "list(string)"
    assert celprice.compile("regex.extract(s, 'a').orValue('')", checked).result_type == "string"
    with pytest.raises(celprice.CELCheckError, match="no matching overload"):
        celprice.compile("regex.replace(s, 'a', 1)", checked)


def test_catastrophic_patterns_run_in_linear_time(ext: celprice.Environment) -> None:
    # RE2: no backtracking blow-up on (a+)+$.
    assert run(r"regex.extractAll(s, '(a+)+$')", ext, {"s": "a" * 50_000 + "b"}) == []


def test_a_replacement_over_the_string_limit_is_refused() -> None:
    env = celprice.Environment(extensions=["regex"], limits=celprice.Limits(max_string_size=10_000))
    with pytest.raises(celprice.CELLimitError, match="max_string_size"):
        run(r"regex.replace(s, '(.*)', '\\1\\1\\1\\1\\1\\1\\1\\1\\1\\1\\1\\1')", env, {"s": "x" * 1000})
    with pytest.raises(celprice.CELLimitError, match="max_string_size"):
        run(r"regex.replace(s, '', 'yyyy')", env, {"s": "x" * 5000})


def test_patterns_built_at_run_time_cost_more_than_constant_ones() -> None:
    limits = celprice.Limits(max_cost=200_000)
    env = celprice.Environment(extensions=["regex"], limits=limits)
    data = {"xs": ["a1"] * 100, "p": "[0-9]"}
    # 100 searches of a constant pattern fit; 100 compilations of a variable one do not.
    assert len(run("xs.map(x, regex.extractAll(x, '[0-9]'))", env, data)) == 100
    with pytest.raises(celprice.CELLimitError, match="max_cost"):
        run("xs.map(x, regex.extractAll(x, p))", env, data)


def test_each_match_is_charged_so_many_matches_stop_at_the_budget_midway() -> None:
    from celprice.stdlib.regex import MATCH_COST

    env = celprice.Environment(extensions=["regex"])
    text = "ab" * 5_000  # 5,000 matches of 'a'
    for source in ("regex.extractAll(s, 'a')", "regex.replace(s, 'a', 'x')"):
        value, units = celprice.compile(source, env).metered({"s": text})
        assert len(value) in (5_000, 10_000)
        # The per-match work is what the wrapper does in Python: it is paid for.
        assert units >= MATCH_COST * 5_000 + len(text)
    small = celprice.Environment(extensions=["regex"], limits=celprice.Limits(max_cost=20_000))
    with pytest.raises(celprice.CELLimitError, match="max_cost"):
        celprice.compile("regex.extractAll(s, 'a')", small).evaluate({"s": text})
