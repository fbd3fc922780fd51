"""The lists library, from the behaviour cel-go documents (ext/README.md, ext/lists.go)."""
from __future__ import annotations

import pytest

import celprice
from celprice import Duration, Timestamp, UInt

from .conftest import run


@pytest.mark.parametrize(
    "source, expected",
    [
        ("lists.range(5)", [0, 1, 2, 3, 4]),
        ("lists.range(0)", []),
        ("lists.range(-3)", []),
        ("[1, 2, 3, 4].slice(1, 3)", [2, 3]),
        ("[1, 2, 3, 4].slice(2, 4)", [3, 4]),
        ("[1, 2].slice(1, 1)", []),
        ("[1, [2, 3], [4]].flatten()", [1, 2, 3, 4]),
        ("[1, [2, [3, 4]]].flatten()", [1, 2, [3, 4]]),
        ("[1, 2, [], [], [3, 4]].flatten()", [1, 2, 3, 4]),
        ("[1, [2, [3, [4]]]].flatten(2)", [1, 2, 3, [4]]),
        ("[1, [2, [3, [4]]]].flatten(0)", [1, [2, [3, [4]]]]),
        ("[3, 2, 1].sort()", [1, 2, 3]),
        ("['b', 'c', 'a'].sort()", ["a", "b", "c"]),
        ("[b'b', b'a'].sort()", [b"a", b"b"]),
        ("[true, false].sort()", [False, True]),
        ("[2u, 1u].sort()", [UInt(1), UInt(2)]),
        ("[duration('2s'), duration('1s')].sort()", [Duration(1, 0), Duration(2, 0)]),
        (
            "[timestamp('2024-01-02T00:00:00Z'), timestamp('2024-01-01T00:00:00Z')].sort()",
            [Timestamp(1704067200), Timestamp(1704153600)],
        ),
        ("[].sort()", []),
        ("[1, 2, 2, 3, 3, 3].distinct()", [1, 2, 3]),
        ("['b', 'b', 'c', 'a', 'c'].distinct()", ["b", "c", "a"]),
        ("[1, 'b', 2, 'b'].distinct()", [1, "b", 2]),
        ("[1, 1.0, 1u, [1], [1.0]].distinct()", [1, [1]]),
        ("[5, 3, 1, 2].reverse()", [2, 1, 3, 5]),
        ("[].reverse()", []),
    ],
)
def test_documented_results(ext: celprice.Environment, source: str, expected: object) -> None:
    assert run(source, ext) == expected


@pytest.mark.parametrize(
    "source, message",
    [
        ("[1, 2].slice(-1, 1)", "cannot slice(-1, 1), negative indexes not supported"),
        ("[1, 2].slice(2, 1)", "cannot slice(2, 1), start index must be less than or equal to end index"),
        ("[1, 2].slice(0, 3)", "cannot slice(0, 3), list is length 2"),
        ("[1, [2, [3, [4]]]].flatten(-1)", "level must be non-negative"),
        ("[1, 'b'].sort()", "list elements must have the same type"),
        ("[1, 2.0].sort()", "list elements must have the same type"),
        ("[[1, 2, 3]].sort()", "list elements must be comparable"),
        ("[{'a': 1}].sortBy(e, e)", "list elements must be comparable"),
    ],
)
def test_documented_errors(ext: celprice.Environment, source: str, message: str) -> None:
    with pytest.raises(celprice.CELEvaluationError, match=message.replace("(", r"\(").replace(")", r"\)")):
        run(source, ext)


def test_sort_by(ext: celprice.Environment) -> None:
    players = [{"name": "foo", "score": 0}, {"name": "bar", "score": -10}, {"name": "baz", "score": 1000}]
    assert run("players.sortBy(e, e.score).map(e, e.name)", ext, {"players": players}) == ["bar", "foo", "baz"]
    # Equal keys keep their order (Python's sort is stable).
    assert run("['bb', 'a', 'cc', 'd'].sortBy(s, size(s))", ext) == ["a", "d", "bb", "cc"]
    assert run("[3, 1, 2].sortBy(x, -x)", ext) == [3, 2, 1]
    with pytest.raises(celprice.CELEvaluationError, match="list elements must have the same type"):
        run("[1, 2].sortBy(x, x == 1 ? 'a' : dyn(0))", ext)


def test_sort_by_variable_must_be_a_name() -> None:
    with pytest.raises(celprice.CELSyntaxError, match="variable name must be a simple identifier"):
        celprice.compile("[1].sortBy(a.b, 1)", celprice.Environment(extensions=["lists"]))


def test_checker_types(checked: celprice.Environment) -> None:
    types = {
        "lists.range(n)": "list(int)",
        "xs.slice(0, 1)": "list(int)",
        "[xs, xs].flatten()": "list(int)",
        "[1, [2]].flatten(2)": "list(dyn)",
        "names.sort()": "list(string)",
        "xs.distinct()": "list(int)",
        "xs.reverse()": "list(int)",
        "s.reverse()": "string",
        "names.sortBy(x, size(x))": "list(string)",
    }
    for source, expected in types.items():
        assert celprice.compile(source, checked).result_type == expected, source


@pytest.mark.parametrize(
    "source",
    [
        "[[1]].sort()",  # lists are not comparable
        "[{'a': 1}].sort()",
        "xs.slice(0)",
        "xs.sortBy(x, [x])",
        "n.sortBy(x, x)",
        "lists.range('3')",
    ],
)
def test_check_errors(checked: celprice.Environment, source: str) -> None:
    with pytest.raises(celprice.CELCheckError):
        celprice.compile(source, checked)


def test_range_over_the_list_limit_is_refused_before_it_is_built() -> None:
    env = celprice.Environment(extensions=["lists"], limits=celprice.Limits(max_list_size=1000))
    with pytest.raises(celprice.CELLimitError, match="max_list_size"):
        run("lists.range(9223372036854775807)", env)


def test_flatten_of_shared_parts_is_refused_before_it_is_built() -> None:
    # Each level doubles a list that shares its parts: 2**40 elements unfolded.
    source = "cel.bind(a, [1, 1], " + "cel.bind(a, [a, a], " * 39 + "a.flatten(40)" + ")" * 40
    env = celprice.Environment(extensions=["lists"])
    with pytest.raises(celprice.CELLimitError, match="max_list_size"):
        run(source, env)


def test_sort_is_charged_more_than_its_length() -> None:
    items = list(range(20_000, 0, -1))
    env = celprice.Environment(extensions=["lists"], limits=celprice.Limits(max_cost=100_000))
    with pytest.raises(celprice.CELLimitError, match="max_cost"):
        run("xs.sort()", env, {"xs": items})
    roomy = celprice.Environment(extensions=["lists"], limits=celprice.Limits(max_cost=1_000_000))
    assert run("xs.sort()", roomy, {"xs": items})[:2] == [1, 2]


def test_sorting_in_a_loop_is_bounded() -> None:
    env = celprice.Environment(extensions=["lists"], limits=celprice.Limits(max_cost=100_000))
    with pytest.raises(celprice.CELLimitError, match="max_cost"):
        run("lists.range(1000).all(i, xs.sort().size() > 0)", env, {"xs": list(range(1000))})
