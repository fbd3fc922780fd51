"""Shared pieces of the standard library: range checks and overload errors.

Library functions are plain Python callables that take CEL values
positionally (a method gets its receiver first), dispatch on the argument
types themselves, and raise `NoSuchOverload` through `no_overload` when no
overload fits. Each stdlib module exposes `FUNCTIONS` (global names, possibly
qualified like `math.greatest`) and `METHODS` (receiver-style names).
"""
from __future__ import annotations

from typing import Any, NoReturn

from ..errors import CELEvaluationError, NoSuchOverload
from ..hints import MIXED_NUMBERS_HINT, mixed_number_operand
from ..values import INT64_MAX, INT64_MIN, UINT64_MAX, UInt, type_name

__all__ = ["no_overload", "int64", "uint64", "fail", "excerpt"]


def no_overload(name: str, *args: Any) -> NoReturn:
    names = [type_name(a) for a in args]
    message = f"found no matching overload for '{name}' applied to '({', '.join(names)})'"
    if mixed_number_operand(name, names) is not None:
        message += f": {MIXED_NUMBERS_HINT}"
    raise NoSuchOverload(message)


def fail(message: str) -> NoReturn:
    raise CELEvaluationError(message)


def int64(value: int) -> int:
    """`value` when it fits int64, else the CEL overflow error."""
    if INT64_MIN <= value <= INT64_MAX:
        return value
    raise CELEvaluationError("int64 overflow")


def uint64(value: int) -> UInt:
    if 0 <= value <= UINT64_MAX:
        return UInt(value)
    raise CELEvaluationError("uint64 overflow")


def excerpt(value: object, limit: int = 64) -> str:
    """A value quoted in an error message, cut short: the value may be a
    megabyte of untrusted input, and messages end up in responses and logs."""
    text = repr(value)
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(text)} characters)"
