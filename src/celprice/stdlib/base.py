"""Shared pieces of the standard library: range checks and overload errors.

Library functions are plain Python callables that take CEL values
positionally (a method gets its receiver first), dispatch on the argument
types themselves, and raise `NoSuchOverload` through `no_overload` when no
overload fits. Each stdlib module exposes `FUNCTIONS` (global names, possibly
qualified like `math.greatest`) and `METHODS` (receiver-style names).
"""
from __future__ import annotations

from typing import Any, NoReturn

from ..errors import CELEvaluationError, NoSuchOverload, excerpt
from ..values import check_int64 as int64
from ..values import check_uint64 as uint64
from ..values import type_name

__all__ = ["no_overload", "int64", "uint64", "fail", "excerpt"]


def no_overload(name: str, *args: Any) -> NoReturn:
    types = ", ".join(type_name(a) for a in args)
    raise NoSuchOverload(f"found no matching overload for '{name}' applied to '({types})'")


def fail(message: str) -> NoReturn:
    raise CELEvaluationError(message)
