"""The CEL math extension (`math.greatest`, `math.abs`, `math.bitAnd`, ...).

Behaviour follows the cel-spec `math_ext` conformance data. Every function is
a global with a qualified name; none is a receiver method.
"""
from __future__ import annotations

import math as _m
from typing import Any, Callable

from ..values import UINT64_MAX, UInt, num_cmp
from ..registry import Cost, standard
from ..work import extremum
from .base import fail, int64, no_overload

__all__ = [
    "DECLS",
    "greatest",
    "least",
    "ceil",
    "floor",
    "round_",
    "trunc",
    "abs_",
    "sign",
    "is_nan",
    "is_inf",
    "is_finite",
    "sqrt",
    "bit_and",
    "bit_or",
    "bit_xor",
    "bit_not",
    "bit_shift_left",
    "bit_shift_right",
]

_MASK64 = UINT64_MAX
_SIGN_BIT = 1 << 63
# Every double at or beyond 2**52 in magnitude is already an integer.
_INTEGRAL_FLOAT = 2.0**52


def _is_number(value: Any) -> bool:
    # Exact type checks: bool is an int subclass but not a CEL number.
    t = type(value)
    return t is int or t is UInt or t is float


def _extremum(name: str, args: tuple[Any, ...], want_greater: bool) -> Any:
    if not args:
        fail(f"{name}() requires at least one argument")
    if len(args) == 1 and isinstance(args[0], (list, tuple)):
        items = args[0]
        if len(items) == 0:
            fail(f"{name}() argument list must not be empty")
    else:
        items = args
    for item in items:
        if not _is_number(item):
            no_overload(name, *args)
    for item in items:
        # NaN is unordered; without this the answer would depend on argument
        # order, so a NaN anywhere makes the result NaN (IEEE maximum/minimum).
        if type(item) is float and item != item:
            return item
    best = items[0]
    for item in items[1:]:
        # Strict comparison: on ties (1 vs 1.0 vs 1u) the first argument wins,
        # keeping its CEL type.
        if num_cmp(best, item) == -1 if want_greater else num_cmp(item, best) == -1:
            best = item
    return best


def greatest(*args: Any) -> Any:
    """`math.greatest(a, b, ...)` or `math.greatest([a, b, ...])`."""
    return _extremum("math.greatest", args, True)


def least(*args: Any) -> Any:
    """`math.least(a, b, ...)` or `math.least([a, b, ...])`."""
    return _extremum("math.least", args, False)


def _double_op(name: str, value: Any, op: Callable[[float], int]) -> float:
    if type(value) is not float:
        no_overload(name, value)
    if not _m.isfinite(value) or abs(value) >= _INTEGRAL_FLOAT:
        return value
    # copysign keeps IEEE's signed zero: ceil(-0.5) is -0.0, as in C and Go.
    return _m.copysign(float(op(value)), value)


def ceil(value: Any) -> float:
    return _double_op("math.ceil", value, _m.ceil)


def floor(value: Any) -> float:
    return _double_op("math.floor", value, _m.floor)


def trunc(value: Any) -> float:
    return _double_op("math.trunc", value, _m.trunc)


def _round_half_away(value: float) -> int:
    whole = _m.trunc(value)
    # value - whole is exact below 2**52, so this test has no rounding error
    # (unlike floor(value + 0.5), which rounds 0.49999999999999994 up).
    if abs(value - whole) >= 0.5:
        whole += 1 if value > 0 else -1
    return whole


def round_(value: Any) -> float:
    """`math.round`: halves round away from zero (Python's round() goes to even)."""
    return _double_op("math.round", value, _round_half_away)


def abs_(value: Any) -> Any:
    t = type(value)
    if t is int:
        # -2**63 has no int64 negation.
        return int64(-value) if value < 0 else value
    if t is UInt:
        return value
    if t is float:
        return _m.fabs(value)
    no_overload("math.abs", value)


def sign(value: Any) -> Any:
    t = type(value)
    if t is int:
        return (value > 0) - (value < 0)
    if t is UInt:
        return UInt(1 if value else 0)
    if t is float:
        if value != value:
            return value
        if value > 0:
            return 1.0
        if value < 0:
            return -1.0
        return 0.0
    no_overload("math.sign", value)


def is_nan(value: Any) -> bool:
    if type(value) is not float:
        no_overload("math.isNaN", value)
    return value != value


def is_inf(value: Any) -> bool:
    if type(value) is not float:
        no_overload("math.isInf", value)
    return _m.isinf(value)


def is_finite(value: Any) -> bool:
    if type(value) is not float:
        no_overload("math.isFinite", value)
    return _m.isfinite(value)


def sqrt(value: Any) -> float:
    if not _is_number(value):
        no_overload("math.sqrt", value)
    x = float(value)
    # Python raises on negatives; CEL (like IEEE) yields NaN.
    if x < 0:
        return _m.nan
    return _m.sqrt(x)


def _to_int64(bits: int) -> int:
    """Reinterpret 64 bits as a two's-complement int64."""
    bits &= _MASK64
    return bits - (1 << 64) if bits & _SIGN_BIT else bits


def _bitwise(name: str, a: Any, b: Any, op: Callable[[int, int], int]) -> Any:
    ta, tb = type(a), type(b)
    if ta is int and tb is int:
        # Python's bitwise ops act on infinite two's complement, so int64
        # operands give an int64 result with no wrapping needed.
        return op(a, b)
    if ta is UInt and tb is UInt:
        return UInt(op(int(a), int(b)))
    no_overload(name, a, b)


def bit_and(a: Any, b: Any) -> Any:
    return _bitwise("math.bitAnd", a, b, lambda x, y: x & y)


def bit_or(a: Any, b: Any) -> Any:
    return _bitwise("math.bitOr", a, b, lambda x, y: x | y)


def bit_xor(a: Any, b: Any) -> Any:
    return _bitwise("math.bitXor", a, b, lambda x, y: x ^ y)


def bit_not(value: Any) -> Any:
    t = type(value)
    if t is int:
        return ~value
    if t is UInt:
        return UInt(_MASK64 ^ value)
    no_overload("math.bitNot", value)


def _shift_operands(name: str, value: Any, amount: Any) -> None:
    # The amount is always an int (both overloads are (int|uint, int)).
    if type(value) not in (int, UInt) or type(amount) is not int:
        no_overload(name, value, amount)
    if amount < 0:
        fail(f"{name}() negative offset: {amount}")


def bit_shift_left(value: Any, amount: Any) -> Any:
    """Bits shifted past bit 63 are lost (int wraps like Go's int64 `<<`)."""
    name = "math.bitShiftLeft"
    _shift_operands(name, value, amount)
    if amount >= 64:
        return UInt(0) if type(value) is UInt else 0
    bits = (int(value) << amount) & _MASK64
    return UInt(bits) if type(value) is UInt else _to_int64(bits)


def bit_shift_right(value: Any, amount: Any) -> Any:
    """Logical shift for int too: the conformance data expects
    `math.bitShiftRight(-1024, 3) == 2305843009213693824`, not -128."""
    name = "math.bitShiftRight"
    _shift_operands(name, value, amount)
    if amount >= 64:
        return UInt(0) if type(value) is UInt else 0
    bits = (int(value) & _MASK64) >> amount
    return UInt(bits) if type(value) is UInt else _to_int64(bits)


_N = ("int", "uint", "double")


def _each(types: tuple[str, ...], arity: int = 1, result: str | None = None) -> list[str]:
    return [f"{', '.join([t] * arity)} -> {result or t}" for t in types]


_SCANS: dict[str, Any] = dict(cost=Cost.SCANS, precheck=extremum, variadic_numeric=True)

DECLS = (
    # Typed by the checker from their arguments (variadic_numeric).
    standard("math.greatest", greatest, "A -> dyn", **_SCANS),
    standard("math.least", least, "A -> dyn", **_SCANS),
    standard("math.ceil", ceil, *_each(("double",))),
    standard("math.floor", floor, *_each(("double",))),
    standard("math.round", round_, *_each(("double",))),
    standard("math.trunc", trunc, *_each(("double",))),
    standard("math.abs", abs_, *_each(_N)),
    standard("math.sign", sign, *_each(_N)),
    standard("math.isNaN", is_nan, *_each(("double",), 1, "bool")),
    standard("math.isInf", is_inf, *_each(("double",), 1, "bool")),
    standard("math.isFinite", is_finite, *_each(("double",), 1, "bool")),
    standard("math.sqrt", sqrt, *_each(_N, 1, "double")),
    standard("math.bitAnd", bit_and, *_each(("int", "uint"), 2)),
    standard("math.bitOr", bit_or, *_each(("int", "uint"), 2)),
    standard("math.bitXor", bit_xor, *_each(("int", "uint"), 2)),
    standard("math.bitNot", bit_not, *_each(("int", "uint"))),
    standard("math.bitShiftLeft", bit_shift_left, "int, int -> int", "uint, int -> uint"),
    standard("math.bitShiftRight", bit_shift_right, "int, int -> int", "uint, int -> uint"),
)
