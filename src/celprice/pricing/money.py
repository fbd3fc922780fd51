"""Money: from a CEL result to int64 microcents, and microcents as exact dollars.

1 USD = 100,000,000 microcents. Conversions never raise on the success
path: `microcents` returns (value, None) or (0, message) so the per-task
evaluator stays exception-free for the common case.
"""
from __future__ import annotations

import math
from typing import Any

from ..stdlib.format import format_double
from ..errors import int_text
from ..values import INT64_MAX, INT64_MIN, UInt, type_name

__all__ = ["MICROCENTS_PER_DOLLAR", "round_half_away", "microcents", "format_dollars", "show"]

MICROCENTS_PER_DOLLAR = 100_000_000
# Every double at or above 2**52 in magnitude is already a whole number.
_WHOLE = 2.0**52


def round_half_away(x: float) -> int:
    """The nearest integer to a finite double, halves away from zero (2.5 -> 3, -2.5 -> -3).

    Python's round() goes to even and floor(x + 0.5) misrounds
    0.49999999999999994; subtracting the truncated part is exact below 2**52.
    """
    if abs(x) >= _WHOLE:
        return int(x)
    whole = math.trunc(x)
    if abs(x - whole) >= 0.5:
        whole += 1 if x > 0 else -1
    return whole


def show(value: Any) -> str:
    """A CEL value as an error message quotes it (`-5`, `2.5`, `NaN`, `18446744073709551615u`)."""
    t = type(value)
    if t is float:
        return format_double(value)
    if t is UInt:
        return f"{int(value)}u"
    if t is int:
        return int_text(value)
    return type_name(value)


def microcents(value: Any) -> tuple[int, str | None]:
    """A fee's CEL result as microcents: (value, None), or (0, why it is not money).

    The message has no field name; the caller prefixes it
    (`inference_expression: must not be negative, got -5`).
    """
    t = type(value)
    if t is int:
        if 0 <= value <= INT64_MAX:
            return value, None
        if value < 0:
            return 0, f"must not be negative, got {value}"
        # CEL arithmetic stays in int64; this guards values from custom functions.
        return 0, f"must fit in int64, got {value}"
    if t is float:
        if value != value or value in (math.inf, -math.inf):
            return 0, f"must be a finite number, got {show(value)}"
        n = round_half_away(value)
        if not INT64_MIN <= n <= INT64_MAX:
            return 0, f"must fit in int64, got {show(value)}"
        if n < 0:
            return 0, f"must not be negative, got {show(value)}"
        return n, None
    if t is UInt:
        if value > INT64_MAX:
            return 0, f"must fit in int64, got {show(value)}"
        return int(value), None
    return 0, f"must be a number, got {type_name(value)}"


def format_dollars(amount: int) -> str:
    """Exact dollars of an integer amount of microcents: at least 2 fraction digits,
    no other trailing zeros (2500000 -> "0.025", 100000000 -> "1.00", 123 -> "0.00000123")."""
    sign = "-" if amount < 0 else ""
    whole, frac = divmod(abs(int(amount)), MICROCENTS_PER_DOLLAR)
    digits = f"{frac:08d}".rstrip("0")
    if len(digits) < 2:
        digits = digits.ljust(2, "0")
    return f"{sign}{whole}.{digits}"
