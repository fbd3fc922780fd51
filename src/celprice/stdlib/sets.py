"""The sets extension (cel-go `ext.Sets`): `sets.contains`, `sets.equivalent`
and `sets.intersects` over lists treated as sets, by CEL equality
(`sets.contains([1, 2.0, 3u], [1.0, 2u, 3])` is true).

Opt-in per Environment (`extensions=["sets"]`), as in cel-go.

Scalars are looked up by a hash key that equal CEL values share, so a test
is linear in the two lists rather than their product; lists, maps and the
other values fall back to CEL's deep equality, charged to the budget as
they walk.
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

from ..limits import Limits
from ..registry import Cost, Function, standard
from ..values import Duration, Timestamp, Type, UInt
from .base import no_overload
from .operators import _CHARGE_EVERY, _Equality

__all__ = ["DECLS", "ValueIndex", "equality_key"]

_NO_KEY = object()


def equality_key(value: Any) -> Any:
    """A hashable key shared by exactly the values CEL equality makes equal, or
    `_NO_KEY` for values compared by walking (containers, timestamps, ...).
    NaN equals nothing, itself included: it gets a key of its own identity."""
    t = type(value)
    if t is int or t is UInt:
        return ("n", int(value))
    if t is float:
        if math.isnan(value):
            return ("nan", id(value), object())
        if value.is_integer():
            return ("n", int(value))
        return ("n", value)
    if t is str:
        return ("s", value)
    if t is bool:
        return ("t", value)
    if t is bytes:
        return ("b", value)
    if value is None:
        return ("z",)
    if t is Timestamp or t is Duration:
        return (t.__name__, value.ns)
    if t is Type:
        return ("type", value.name)
    return _NO_KEY


class ValueIndex:
    """The values of one list, for membership tests by CEL equality."""

    __slots__ = ("keys", "others", "walk")

    def __init__(self, items: Iterable[Any], walk: _Equality) -> None:
        self.keys: set[Any] = set()
        self.others: list[Any] = []
        self.walk = walk
        for item in items:
            self.add(item)

    def add(self, item: Any) -> None:
        key = equality_key(item)
        if key is _NO_KEY:
            self.others.append(item)
        else:
            self.keys.add(key)

    def __contains__(self, item: Any) -> bool:
        key = equality_key(item)
        if key is not _NO_KEY:
            return key in self.keys
        walk = self.walk
        # Each comparison is charged, even one that stops at the first step
        # (optionals, a list against a map): the walk only counts what it enters.
        walk.steps += len(self.others)
        if walk.steps >= _CHARGE_EVERY:
            walk._charge()
        equal = walk.equal
        return any(equal(item, other) for other in self.others)


def _lists(name: str, a: Any, b: Any) -> tuple[Sequence[Any], Sequence[Any]]:
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return a, b
    no_overload(name, a, b)


def contains(a: Any, b: Any, budget: Any = None) -> bool:
    """Every element of `b` is in `a` (true when `b` is empty)."""
    a, b = _lists("sets.contains", a, b)
    index = ValueIndex(a, _Equality(budget))
    return all(item in index for item in b)


def equivalent(a: Any, b: Any, budget: Any = None) -> bool:
    """`a` and `b` contain each other: sizes and duplicates do not matter."""
    a, b = _lists("sets.equivalent", a, b)
    walk = _Equality(budget)
    in_a, in_b = ValueIndex(a, walk), ValueIndex(b, walk)
    return all(item in in_a for item in b) and all(item in in_b for item in a)


def intersects(a: Any, b: Any, budget: Any = None) -> bool:
    """Some element of `a` equals one of `b` (false when either is empty)."""
    a, b = _lists("sets.intersects", a, b)
    index = ValueIndex(b, _Equality(budget))
    return any(item in index for item in a)


def _both_lists(args: tuple[Any, ...], budget: Any, limits: Limits) -> None:
    """Charged the length of both lists, read once each (the deep comparisons
    of non-scalar elements are charged by the walk itself)."""
    if budget is not None and len(args) == 2:
        units = sum(len(x) for x in args if isinstance(x, (list, tuple)))
        if units:
            budget.charge(units)


_SET: dict[str, Any] = {"cost": Cost.WALKS, "precheck": _both_lists}

DECLS: tuple[Function, ...] = (
    standard("sets.contains", contains, "list(T), list(T) -> bool", **_SET),
    standard("sets.equivalent", equivalent, "list(T), list(T) -> bool", **_SET),
    standard("sets.intersects", intersects, "list(T), list(T) -> bool", **_SET),
)
