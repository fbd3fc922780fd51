"""CEL's operators: arithmetic, equality, ordering, indexing and membership.

Each operator is a plain function over CEL values. The common cases (same
Python type on both sides) are tested first so they cost one or two type
comparisons; everything else falls through to the careful general path.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from itertools import product
from typing import Any

from ..access import lookup, map_get, map_has, no_such_key
from ..errors import CELEvaluationError, CELLimitError
from ..values import INT64_MAX, INT64_MIN, Duration, Optional, Timestamp, UInt, num_cmp
from ..registry import Cost, standard
from ..work import membership
from .base import int64, no_overload, uint64
from .time import add as time_add
from .time import sub as time_sub

__all__ = [
    "add",
    "sub",
    "mul",
    "div",
    "mod",
    "neg",
    "logical_not",
    "cel_equal",
    "eq",
    "ne",
    "lt",
    "le",
    "gt",
    "ge",
    "index",
    "contains",
    "DECLS",
]

_NUMERIC = (int, UInt, float)
_LIST = (list, tuple)


# --- arithmetic ------------------------------------------------------------------


def add(left: Any, right: Any) -> Any:
    t = type(left)
    if t is type(right):
        if t is int:
            return int64(left + right)
        if t is float or t is str or t is bytes:
            return left + right
        if t is UInt:
            return uint64(int.__add__(left, right))
        if t is list or t is tuple:
            return [*left, *right]
    if isinstance(left, _LIST) and isinstance(right, _LIST):
        return [*left, *right]
    if t in (Timestamp, Duration):
        v = time_add(left, right)
        if v is not NotImplemented:
            return v
    no_overload("_+_", left, right)


def sub(left: Any, right: Any) -> Any:
    t = type(left)
    if t is type(right):
        if t is int:
            return int64(left - right)
        if t is float:
            return left - right
        if t is UInt:
            return uint64(int.__sub__(left, right))
    if t in (Timestamp, Duration):
        v = time_sub(left, right)
        if v is not NotImplemented:
            return v
    no_overload("_-_", left, right)


def mul(left: Any, right: Any) -> Any:
    t = type(left)
    if t is type(right):
        if t is int:
            return int64(left * right)
        if t is float:
            return left * right
        if t is UInt:
            return uint64(int.__mul__(left, right))
    no_overload("_*_", left, right)


def div(left: Any, right: Any) -> Any:
    t = type(left)
    if t is type(right):
        if t is int:
            if right == 0:
                raise CELEvaluationError("divide by zero")
            # CEL truncates toward zero; Python's // floors.
            q = abs(left) // abs(right)
            v = q if (left < 0) == (right < 0) else -q
            if v > INT64_MAX:
                raise CELEvaluationError("int64 overflow")
            return v
        if t is float:
            if right == 0.0:
                if left != left or left == 0.0:
                    return math.nan
                neg = (left < 0) != (math.copysign(1.0, right) < 0)
                return -math.inf if neg else math.inf
            return left / right
        if t is UInt:
            if right == 0:
                raise CELEvaluationError("divide by zero")
            return UInt(int(left) // int(right))
    no_overload("_/_", left, right)


def mod(left: Any, right: Any) -> Any:
    t = type(left)
    if t is type(right):
        if t is int:
            if right == 0:
                raise CELEvaluationError("modulus by zero")
            if right == -1 and left == INT64_MIN:
                # The quotient overflows, so the remainder is reported as overflow too (as cel-go).
                raise CELEvaluationError("int64 overflow")
            # The result takes the dividend's sign (C semantics), not Python's.
            r = abs(left) % abs(right)
            return -r if left < 0 else r
        if t is UInt:
            if right == 0:
                raise CELEvaluationError("modulus by zero")
            return UInt(int(left) % int(right))
    no_overload("_%_", left, right)


def neg(value: Any) -> Any:
    t = type(value)
    if t is int:
        if value == INT64_MIN:
            raise CELEvaluationError("int64 overflow")
        return -value
    if t is float:
        return -value
    if t is Duration:
        return Duration.from_ns(-value.ns)
    no_overload("-_", value)


def logical_not(value: Any) -> bool:
    if value is True:
        return False
    if value is False:
        return True
    no_overload("!_", value)


def _logic(name: str) -> Any:
    def compiled_inline(*args: Any) -> Any:
        raise CELEvaluationError(f"'{name}' is evaluated by the compiler, not called")

    return compiled_inline


# --- equality ----------------------------------------------------------------------

_SIMPLE_EQ = frozenset((int, float, str, bool, bytes, UInt, type(None)))


def cel_equal(left: Any, right: Any, budget: Any = None) -> bool:
    """CEL's runtime equality: numbers compare across types, other types never match.

    `budget` (the evaluation's, when there is one) is charged for the walk
    through lists and maps.
    """
    tl, tr = type(left), type(right)
    if tl is tr and tl in _SIMPLE_EQ:
        return left == right
    if tl in _NUMERIC and tr in _NUMERIC:
        return num_cmp(left, right) == 0
    return _Equality(budget).walk(left, right)


# Steps one walk may take when no evaluation budget is at hand (the default max_cost).
_UNBUDGETED_WALK = 1_000_000
_CHARGE_EVERY = 256


class _Equality:
    """One deep comparison. Pairs of containers already compared are
    remembered, so values that share parts (`cel.bind(a, [a, a], ...)`
    doubles a list at constant cost) compare in time linear in the number of
    distinct objects, not in their exponential unfolded size; and the walk
    is charged to the budget as it goes, so a long one stops at the limit
    (or the deadline)."""

    __slots__ = ("memo", "budget", "steps", "total")

    def __init__(self, budget: Any = None) -> None:
        self.memo: dict[tuple[int, int], bool] = {}
        self.budget = budget
        self.steps = 0
        self.total = 0

    def _charge(self) -> None:
        self.total += self.steps
        if self.budget is not None:
            self.budget.charge(self.steps)
        elif self.total > _UNBUDGETED_WALK:
            raise CELLimitError(f"comparison walked over {_UNBUDGETED_WALK} values (max_cost)")
        self.steps = 0

    def walk(self, left: Any, right: Any) -> bool:
        """One whole comparison, charged in full (steps below the charging
        interval too: a comprehension may repeat a small walk)."""
        try:
            return self.equal(left, right)
        finally:
            self.settle()

    def settle(self) -> None:
        if self.steps:
            self._charge()

    def equal(self, left: Any, right: Any) -> bool:
        tl, tr = type(left), type(right)
        if tl is tr and tl in _SIMPLE_EQ:
            return left == right
        if tl in _NUMERIC and tr in _NUMERIC:
            return num_cmp(left, right) == 0
        if tl is bool or tr is bool or left is None or right is None:
            return False
        if tl is Optional:
            if tr is not Optional or left.has_value() != right.has_value():
                return False
            return not left.has_value() or self.equal(left.value(), right.value())
        is_list = isinstance(left, _LIST)
        if not is_list and not isinstance(left, Mapping):
            return tl is tr and bool(left == right)
        key = (id(left), id(right))
        known = self.memo.get(key)
        if known is not None:
            return known
        self.steps += 1 + len(left)
        if self.steps >= _CHARGE_EVERY:
            self._charge()
        if is_list:
            result = (
                isinstance(right, _LIST)
                and len(left) == len(right)
                and all(self.equal(a, b) for a, b in zip(left, right))
            )
        else:
            result = isinstance(right, Mapping) and len(left) == len(right) and self._maps(left, right)
        self.memo[key] = result
        return result

    def _maps(self, left: Mapping[Any, Any], right: Mapping[Any, Any]) -> bool:
        for key in left:
            found, value = lookup(right, key)
            if not found or not self.equal(left[key], value):
                return False
        return True


def eq(left: Any, right: Any, budget: Any = None) -> bool:
    if type(left) is type(right) and type(left) in _SIMPLE_EQ:
        return left == right
    return cel_equal(left, right, budget)


def ne(left: Any, right: Any, budget: Any = None) -> bool:
    if type(left) is type(right) and type(left) in _SIMPLE_EQ:
        return left != right
    return not cel_equal(left, right, budget)


# --- ordering --------------------------------------------------------------------

_ORDERED = frozenset((int, float, str, bool, bytes, UInt))


def _compare(name: str, left: Any, right: Any) -> int | None:
    tl, tr = type(left), type(right)
    if tl in _NUMERIC and tr in _NUMERIC:
        return num_cmp(left, right)
    if tl is tr and (tl in _ORDERED or tl is Timestamp or tl is Duration):
        return -1 if left < right else (1 if right < left else 0)
    no_overload(name, left, right)


def lt(left: Any, right: Any) -> bool:
    t = type(left)
    if t is type(right) and t in _ORDERED:
        return left < right
    c = _compare("_<_", left, right)
    return c is not None and c < 0


def le(left: Any, right: Any) -> bool:
    t = type(left)
    if t is type(right) and t in _ORDERED:
        return left <= right
    c = _compare("_<=_", left, right)
    return c is not None and c <= 0


def gt(left: Any, right: Any) -> bool:
    t = type(left)
    if t is type(right) and t in _ORDERED:
        return left > right
    c = _compare("_>_", left, right)
    return c is not None and c > 0


def ge(left: Any, right: Any) -> bool:
    t = type(left)
    if t is type(right) and t in _ORDERED:
        return left >= right
    c = _compare("_>=_", left, right)
    return c is not None and c >= 0


# --- maps, lists, indexing ------------------------------------------------------

def list_get(seq: Any, key: Any) -> Any:
    tk = type(key)
    if tk is int or tk is UInt:
        i = int(key)
    elif tk is float:
        if not key.is_integer():
            raise CELEvaluationError(f"invalid_argument: list index must be integral, got {key!r}")
        i = int(key)
    else:
        no_overload("_[_]", seq, key)
    if 0 <= i < len(seq):
        return seq[i]
    raise CELEvaluationError(f"index out of range: index {i}, list size {len(seq)}")


def index(container: Any, key: Any) -> Any:
    t = type(container)
    if t is list or t is tuple:
        if type(key) is int and 0 <= key < len(container):
            return container[key]
        return list_get(container, key)
    if t is dict:
        if type(key) is str:
            try:
                return container[key]
            except KeyError:
                raise no_such_key(container, key) from None
        return map_get(container, key)
    if isinstance(container, Mapping):
        return map_get(container, key)
    if isinstance(container, _LIST):
        return list_get(container, key)
    if t is Optional:
        return optional_index(container, key)
    no_overload("_[_]", container, key)


def optional_index(container: Any, key: Any) -> Optional:
    """`c[?k]`, and indexing an optional: an absent element gives optional.none()."""
    if type(container) is Optional:
        if not container.has_value():
            return container
        container = container.value()
    if isinstance(container, Mapping):
        found, value = lookup(container, key)
        return Optional.of(value) if found else Optional.none()
    if isinstance(container, _LIST):
        tk = type(key)
        if tk in (int, UInt) or (tk is float and key.is_integer()):
            i = int(key)
            return Optional.of(container[i]) if 0 <= i < len(container) else Optional.none()
    no_overload("_[?_]", container, key)


def contains(item: Any, container: Any, budget: Any = None) -> bool:
    """`item in container`: list membership by CEL equality, map membership by key."""
    t = type(container)
    if t is list or t is tuple:
        ti = type(item)
        if ti in _SIMPLE_EQ:
            for x in container:
                if type(x) is ti and x == item:
                    return True
        return _in_list(item, container, budget)
    if t is dict and type(item) is str:
        return item in container
    if isinstance(container, Mapping):
        return map_has(container, item)
    if isinstance(container, _LIST):
        return _in_list(item, container, budget)
    no_overload("@in", item, container)


def _in_list(item: Any, container: Any, budget: Any) -> bool:
    walk = _Equality(budget)  # one memo for every element: they may share parts
    try:
        return any(walk.equal(item, x) for x in container)
    finally:
        walk.settle()


_N = ("int", "uint", "double")


def _each(types: tuple[str, ...], arity: int, result: str | None = None) -> list[str]:
    """`"int, int -> int"` for each type: the signature of a same-typed operator."""
    return [f"{', '.join([t] * arity)} -> {result or t}" for t in types]


_MIXED = [(a, b) for a, b in product(_N, _N) if a != b]
_ARITH: dict[str, Any] = dict(cost=Cost.CONSTANT, specialised=True)
_ORDER = [f"{a}, {b} -> bool" for a, b in product(_N, _N)] + _each(
    ("string", "bytes", "bool", "timestamp", "duration"), 2, "bool"
)
_EQUAL = ["A, A -> bool", *(f"{a}, {b} -> bool" for a, b in _MIXED)]

DECLS = (
    standard(
        "_+_", add,
        *_each((*_N, "string", "bytes", "list(A)", "duration"), 2),
        "timestamp, duration -> timestamp", "duration, timestamp -> timestamp",
        cost=Cost.BUILDS, specialised=True,
    ),
    standard(
        "_-_", sub, *_each((*_N, "duration"), 2),
        "timestamp, timestamp -> duration", "timestamp, duration -> timestamp", **_ARITH,
    ),
    standard("_*_", mul, *_each(_N, 2), **_ARITH),
    standard("_/_", div, *_each(_N, 2), **_ARITH),
    standard("_%_", mod, *_each(("int", "uint"), 2)),
    standard("-_", neg, *_each(("int", "double", "duration"), 1)),
    standard("!_", logical_not, "bool -> bool"),
    # Evaluated by the compiler (they short-circuit, and absorb errors): declared
    # so the names are taken, and an Environment cannot add overloads that would
    # never run.
    standard("_&&_", _logic("_&&_"), "bool, bool -> bool", overridable=False),
    standard("_||_", _logic("_||_"), "bool, bool -> bool", overridable=False),
    standard("_?_:_", _logic("_?_:_"), "bool, A, A -> A", overridable=False, cost=Cost.CONSTANT),
    standard("_==_", eq, *_EQUAL, cost=Cost.WALKS, specialised=True),
    standard("_!=_", ne, *_EQUAL, cost=Cost.WALKS, specialised=True),
    # Ordering two strings or bytes is one C-level comparison; the specialised
    # closure charges long computed strings.
    *(standard(name, fn, *_ORDER, specialised=True, cost=Cost.CONSTANT) for name, fn in (("_<_", lt), ("_<=_", le), ("_>_", gt), ("_>=_", ge))),
    standard("_[_]", index, "list(A), int -> A", "map(K, V), K -> V", cost=Cost.CONSTANT),
    standard(
        "@in", contains,
        "A, list(A) -> bool", "K, map(K, V) -> bool",
        *(f"{a}, list({b}) -> bool" for a, b in _MIXED), *(f"{a}, map({b}, V) -> bool" for a, b in _MIXED),
        cost=Cost.WALKS, precheck=membership,
    ),
)
