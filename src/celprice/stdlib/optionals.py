"""The optional-values library: `optional.of`, `optional.none`,
`optional.ofNonZeroValue`, and the methods `hasValue`, `value`, `or`, `orValue`;
from cel-go's version 2 of the library, `list.first()`, `list.last()`,
`optional.unwrap(list)` and `list.unwrapOpt()`.
(`optMap` and `optFlatMap` are macros, compiled in compiler.py.)"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..values import Duration, Optional, Timestamp, type_name
from ..registry import Cost, standard
from .base import fail, no_overload

__all__ = ["DECLS", "is_zero_value"]


def is_zero_value(value: Any) -> bool:
    """True for CEL's zero values: null, false, 0, 0u, 0.0, '', b'', [], {}, a zero duration."""
    if value is None or value is False:
        return True
    t = type(value)
    if t is Duration:
        return value.ns == 0
    if t is Timestamp:
        return value.ns == 0
    if t is bool:
        return False
    if isinstance(value, (int, float)):
        return value == 0
    if isinstance(value, (str, bytes, list, tuple, Mapping)):
        return len(value) == 0
    return False


def _of(value: Any) -> Optional:
    return Optional.of(value)


def _none() -> Optional:
    return Optional.none()


def _of_non_zero(value: Any) -> Optional:
    return Optional.none() if is_zero_value(value) else Optional.of(value)


def _has_value(opt: Any) -> bool:
    if type(opt) is Optional:
        return opt.has_value()
    no_overload("hasValue", opt)


def _value(opt: Any) -> Any:
    if type(opt) is Optional:
        return opt.value()
    no_overload("value", opt)


def _or(opt: Any, other: Any) -> Any:
    if type(opt) is Optional and type(other) is Optional:
        return opt if opt.has_value() else other
    no_overload("or", opt, other)


def _or_value(opt: Any, default: Any) -> Any:
    if type(opt) is Optional:
        return opt.value() if opt.has_value() else default
    no_overload("orValue", opt, default)


def _first(items: Any) -> Optional:
    """`list.first()`: the first element, or optional.none() for an empty list."""
    if isinstance(items, (list, tuple)):
        return Optional.of(items[0]) if items else Optional.none()
    no_overload("first", items)


def _last(items: Any) -> Optional:
    if isinstance(items, (list, tuple)):
        return Optional.of(items[-1]) if items else Optional.none()
    no_overload("last", items)


def _unwrap(name: str) -> Any:
    def unwrap(items: Any) -> list[Any]:
        """The values of the optionals that have one, in order; an element that
        is not an optional is an error."""
        if not isinstance(items, (list, tuple)):
            no_overload(name, items)
        out = []
        for item in items:
            if type(item) is not Optional:
                fail(f"{name}: value of type {type_name(item)} is not optional")
            if item.has_value():
                out.append(item.value())
        return out

    return unwrap


DECLS = (
    standard("optional.of", _of, "A -> optional_type(A)"),
    standard("optional.ofNonZeroValue", _of_non_zero, "A -> optional_type(A)"),
    standard("optional.none", _none, " -> optional_type(A)"),
    standard("hasValue", _has_value, "optional_type(A) -> bool", member=True),
    standard("value", _value, "optional_type(A) -> A", member=True),
    standard("or", _or, "optional_type(A), optional_type(A) -> optional_type(A)", member=True),
    standard("orValue", _or_value, "optional_type(A), A -> A", member=True),
    standard("first", _first, "list(A) -> optional_type(A)", member=True),
    standard("last", _last, "list(A) -> optional_type(A)", member=True),
    # What they build is no larger than their input; it is measured and charged.
    standard(
        "optional.unwrap", _unwrap("optional.unwrap"), "list(optional_type(A)) -> list(A)", cost=Cost.BUILDS
    ),
    standard("unwrapOpt", _unwrap("unwrapOpt"), "list(optional_type(A)) -> list(A)", member=True, cost=Cost.BUILDS),
)
