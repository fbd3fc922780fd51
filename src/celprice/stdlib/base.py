"""Shared pieces of the standard library: range checks and overload errors.

Library functions are plain Python callables that take CEL values
positionally (a method gets its receiver first), dispatch on the argument
types themselves, and raise `NoSuchOverload` through `no_overload` when no
overload fits. Each stdlib module declares its functions in `DECLS` (see
registry.py), next to their implementations.
"""
from __future__ import annotations

from typing import Any, NoReturn

from ..errors import CELEvaluationError, NoSuchOverload, excerpt
from ..spelling import no_matching_overload
from ..hints import MIXED_NUMBERS_HINT, mixed_number_operand
from ..values import check_int64 as int64
from ..values import check_uint64 as uint64
from ..values import type_name

__all__ = ["no_overload", "int64", "uint64", "fail", "excerpt"]


def no_overload(name: str, *args: Any) -> NoReturn:
    names = [type_name(a) for a in args]
    message = no_matching_overload(name, f"({', '.join(names)})")
    if mixed_number_operand(name, names) is not None:
        message += f": {MIXED_NUMBERS_HINT}"
    raise NoSuchOverload(message)


def fail(message: str) -> NoReturn:
    raise CELEvaluationError(message)
