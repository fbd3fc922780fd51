"""The lists extension (cel-go `ext.Lists`): `lists.range`, and the list
methods `slice`, `flatten`, `sort`, `distinct` and `reverse` (`sortBy` is a
macro: parser.py expands it, comprehensions.py runs it).

Opt-in per Environment (`extensions=["lists"]`), as in cel-go. Signatures,
results and error messages follow cel-go's ext/lists.go and ext/README.md.
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from ..errors import CELEvaluationError
from ..limits import Limits, too_big
from ..registry import Cost, Function, standard
from ..values import Duration, Timestamp, UInt
from .base import no_overload
from .operators import _Equality
from .sets import ValueIndex
from .strings import reverse as reverse_string

__all__ = ["DECLS", "COMPARABLE", "sort_by_keys"]

# The element types `sort` (and the keys of `sortBy`) accept.
COMPARABLE = ("int", "uint", "double", "bool", "duration", "timestamp", "string", "bytes")
_ORDERED = frozenset({int, UInt, float, bool, Duration, Timestamp, str, bytes})
_LISTS = (list, tuple)


def _is_int(value: Any) -> bool:
    return type(value) is int


def range_(n: Any) -> list[int]:
    """`lists.range(n)`: [0, 1, ..., n-1] (empty when n <= 0)."""
    if _is_int(n):
        return list(range(n)) if n > 0 else []
    no_overload("lists.range", n)


def slice_(items: Any, start: Any, end: Any) -> list[Any]:
    """`list.slice(start, end)`: the elements from `start` up to, not including, `end`."""
    if isinstance(items, _LISTS) and _is_int(start) and _is_int(end):
        if start < 0 or end < 0:
            raise CELEvaluationError(f"cannot slice({start}, {end}), negative indexes not supported")
        if start > end:
            raise CELEvaluationError(
                f"cannot slice({start}, {end}), start index must be less than or equal to end index"
            )
        if end > len(items):
            raise CELEvaluationError(f"cannot slice({start}, {end}), list is length {len(items)}")
        return list(items[start:end])
    no_overload("slice", items, start, end)


def _flatten_depth(args: Sequence[Any]) -> int:
    if len(args) == 1:
        return 1
    depth = args[1]
    if not _is_int(depth):
        no_overload("flatten", *args)
    if depth < 0:
        raise CELEvaluationError("level must be non-negative")
    return int(depth)


def flatten(items: Any, *depth: Any) -> list[Any]:
    """`list.flatten([depth])`: nested lists spliced in, `depth` levels deep (default 1)."""
    if not isinstance(items, _LISTS) or len(depth) > 1:
        no_overload("flatten", items, *depth)
    levels = _flatten_depth((items, *depth))
    out: list[Any] = []

    def splice(values: Sequence[Any], left: int) -> None:
        for v in values:
            if left > 0 and isinstance(v, _LISTS):
                splice(v, left - 1)
            else:
                out.append(v)

    splice(items, levels)
    return out


def flattened_size(items: Sequence[Any], depth: int, cap: int) -> int:
    """How many elements `flatten(depth)` makes, counted over distinct
    (list, depth) pairs and stopped past `cap`: a list that shares its parts
    (`cel.bind(a, [x, x], [a, a])`) can unfold far beyond its memory size."""
    known: dict[tuple[int, int], int] = {}

    def size(values: Sequence[Any], left: int) -> int:
        key = (id(values), left)
        n = known.get(key)
        if n is not None:
            return n
        n = 0
        for v in values:
            n += size(v, left - 1) if left > 0 and isinstance(v, _LISTS) else 1
            if n > cap:
                break
        known[key] = n
        return n

    return size(items, depth)


def _check_flatten(args: tuple[Any, ...], budget: Any, limits: Limits) -> None:
    """Refuses a flattened list over max_list_size before building it, and
    charges what it will build."""
    if not args or not isinstance(args[0], _LISTS) or len(args) > 2:
        return
    if len(args) == 2 and (not _is_int(args[1]) or args[1] < 0):
        return  # flatten reports it
    n = flattened_size(args[0], 1 if len(args) == 1 else int(args[1]), limits.max_list_size)
    if n > limits.max_list_size:
        raise too_big("list", n, limits.max_list_size, "max_list_size")
    if budget is not None and n:
        budget.charge(n)


def _check_range(args: tuple[Any, ...], budget: Any, limits: Limits) -> None:
    if len(args) == 1 and _is_int(args[0]) and args[0] > 0:
        if args[0] > limits.max_list_size:
            raise too_big("list", args[0], limits.max_list_size, "max_list_size")
        if budget is not None:
            budget.charge(args[0])


def sort_by_keys(items: Sequence[Any], keys: Sequence[Any]) -> list[Any]:
    """`items` ordered by `keys` (one per item), all of one comparable type.

    Python's sort is stable, so equal keys keep their order (cel-go's sort
    promises no order for them)."""
    if len(items) != len(keys):
        raise CELEvaluationError(
            "@sortByAssociatedKeys() expected a list of the same size as the associated keys list, "
            f"but got {len(items)} and {len(keys)} elements respectively"
        )
    if not keys:
        return list(items)
    first = type(keys[0])
    if first not in _ORDERED:
        raise CELEvaluationError("list elements must be comparable")
    for k in keys:
        if type(k) is not first:
            raise CELEvaluationError("list elements must have the same type")
    order = sorted(range(len(keys)), key=keys.__getitem__)
    return [items[i] for i in order]


def sort(items: Any) -> list[Any]:
    """`list.sort()`: ascending, for lists of one comparable type."""
    if isinstance(items, _LISTS):
        return sort_by_keys(items, items)
    no_overload("sort", items)


def sort_cost(n: int) -> int:
    """What sorting n values is charged: n log2 n comparisons."""
    return n * max(1, math.ceil(math.log2(n))) if n > 1 else n


def _check_sort(args: tuple[Any, ...], budget: Any, limits: Limits) -> None:
    if budget is not None and len(args) == 1 and isinstance(args[0], _LISTS):
        budget.charge(sort_cost(len(args[0])))


def distinct(items: Any, budget: Any = None) -> list[Any]:
    """`list.distinct()`: the first of each group of CEL-equal elements, in order."""
    if not isinstance(items, _LISTS):
        no_overload("distinct", items)
    seen = ValueIndex((), _Equality(budget))
    out = []
    for item in items:
        if item not in seen:
            seen.add(item)
            out.append(item)
    return out


def reverse(value: Any, *args: Any) -> Any:
    """`list.reverse()`, or the strings extension's `string.reverse()`."""
    if isinstance(value, _LISTS) and not args:
        return list(value[::-1])
    return reverse_string(value, *args)


def _check_scan(args: tuple[Any, ...], budget: Any, limits: Limits) -> None:
    if budget is not None and args and isinstance(args[0], (*_LISTS, str, Mapping)) and len(args[0]):
        budget.charge(len(args[0]))


_BUILD: dict[str, Any] = {"cost": Cost.BUILDS}

DECLS: tuple[Function, ...] = (
    standard("lists.range", range_, "int -> list(int)", cost=Cost.BUILDS, precheck=_check_range),
    standard("slice", slice_, "list(T), int, int -> list(T)", member=True, **_BUILD),
    standard(
        "flatten", flatten, "list(list(T)) -> list(T)", "list(dyn), int -> list(dyn)",
        member=True, cost=Cost.BUILDS, precheck=_check_flatten,
    ),
    standard(
        "sort", sort, *(f"list({t}) -> list({t})" for t in COMPARABLE),
        member=True, cost=Cost.BUILDS, precheck=_check_sort,
    ),
    standard("distinct", distinct, "list(T) -> list(T)", member=True, cost=Cost.WALKS, precheck=_check_scan),
    # Replaces the strings extension's `reverse`, whose signature it keeps.
    standard("reverse", reverse, "string -> string", "list(T) -> list(T)", member=True, **_BUILD),
)
