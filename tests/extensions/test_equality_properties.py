"""The hashed set and distinct functions agree with their definitions by CEL equality."""
from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from celprice import UInt
from celprice.stdlib import lists, sets
from celprice.stdlib.operators import cel_equal

scalars = st.one_of(
    st.integers(-3, 3),
    st.integers(0, 3).map(UInt),
    st.sampled_from([0.0, 1.0, 1.5, -0.0, float("nan"), 2.0]),
    st.booleans(),
    st.sampled_from(["", "a", "1"]),
    st.sampled_from([b"", b"a"]),
    st.none(),
)
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3), max_leaves=6)
lists_of = st.lists(values, max_size=8)


def member(x: Any, items: list[Any]) -> bool:
    return any(cel_equal(x, y) for y in items)


@settings(max_examples=200, deadline=None)
@given(lists_of, lists_of)
def test_sets_match_their_definitions(a: list[Any], b: list[Any]) -> None:
    assert sets.contains(a, b) == all(member(x, a) for x in b)
    assert sets.intersects(a, b) == any(member(x, b) for x in a)
    assert sets.equivalent(a, b) == (all(member(x, a) for x in b) and all(member(x, b) for x in a))


@settings(max_examples=200, deadline=None)
@given(lists_of)
def test_distinct_keeps_the_first_of_each_equal_group(items: list[Any]) -> None:
    expected: list[Any] = []
    for x in items:
        if not member(x, expected):
            expected.append(x)
    got = lists.distinct(items)
    assert len(got) == len(expected)
    assert all(g is e for g, e in zip(got, expected))
