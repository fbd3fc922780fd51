"""Type conversions (`int`, `uint`, `double`, `string`, `bytes`, `bool`, `dyn`,
`type`, `timestamp`, `duration`) and `size`."""
from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from ..errors import CELEvaluationError
from ..values import INT64_MAX, INT64_MIN, TYPES, UINT64_MAX, Duration, Timestamp, Type, UInt, type_name
from .. import work
from ..registry import Cost, standard
from .base import excerpt, no_overload
from .format import format_double
from .time import duration_of, format_duration, format_timestamp, timestamp_of

__all__ = ["to_int", "to_uint", "to_double", "to_string", "to_bytes", "to_bool", "size", "DECLS"]

# Doubles at or beyond these bounds do not fit: 2**63 itself rounds out of range (trap 5).
_INT_UPPER = 9223372036854775808.0
_UINT_UPPER = 18446744073709551616.0


def _range_error(target: str, value: Any) -> CELEvaluationError:
    return CELEvaluationError(f"range error: {excerpt(value)} does not fit {target}")


def _plain_number(text: str) -> bool:
    """Text Go's strconv would read: ASCII, no surrounding space, no '_' separators
    (Python's int() and float() accept all three)."""
    return text.isascii() and text.strip() == text and "_" not in text


def _parse_integer(text: str, target: str, low: int, high: int) -> int:
    value = None
    if _plain_number(text) and len(text) <= 32:
        try:
            value = int(text, 10)
        except ValueError:
            pass
    if value is None:
        raise CELEvaluationError(f"cannot convert string {excerpt(text)} to {target}")
    if not low <= value <= high:
        raise _range_error(target, value)
    return value


def to_int(value: Any) -> int:
    t = type(value)
    if t is int:
        return value
    if t is UInt:
        if value > INT64_MAX:
            raise _range_error("int", int(value))
        return int(value)
    if t is float:
        if not (-_INT_UPPER < value < _INT_UPPER):
            raise _range_error("int", value)
        return int(value)
    if t is str:
        return _parse_integer(value, "int", INT64_MIN, INT64_MAX)
    if t is Timestamp:
        return value.ns // 1_000_000_000
    no_overload("int", value)


def to_uint(value: Any) -> UInt:
    t = type(value)
    if t is UInt:
        return value
    if t is int:
        if value < 0:
            raise _range_error("uint", value)
        return UInt(value)
    if t is float:
        if not (-1.0 < value < _UINT_UPPER):
            raise _range_error("uint", value)
        return UInt(int(value))
    if t is str:
        return UInt(_parse_integer(value, "uint", 0, UINT64_MAX))
    no_overload("uint", value)


_FLOAT_WORDS = {"inf": math.inf, "+inf": math.inf, "-inf": -math.inf, "infinity": math.inf,
                "+infinity": math.inf, "-infinity": -math.inf, "nan": math.nan}


def to_double(value: Any) -> float:
    t = type(value)
    if t is float:
        return value
    if t is int or t is UInt:
        return float(value)
    if t is str:
        word = _FLOAT_WORDS.get(value.lower())
        if word is not None:
            return word
        if value and _plain_number(value):
            try:
                return float(value)
            except ValueError:
                pass
        raise CELEvaluationError(f"cannot convert string {excerpt(value)} to double")
    no_overload("double", value)


def to_string(value: Any) -> str:
    t = type(value)
    if t is str:
        return value
    if t is int or t is UInt:
        return str(int(value))
    if t is float:
        return format_double(value)
    if t is bool:
        return "true" if value else "false"
    if t is bytes:
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            raise CELEvaluationError("invalid UTF-8 in bytes converted to string") from None
    if t is Timestamp:
        return format_timestamp(value)
    if t is Duration:
        return format_duration(value)
    if t is Type:
        return value.name
    no_overload("string", value)


def to_bytes(value: Any) -> bytes:
    t = type(value)
    if t is bytes:
        return value
    if t is str:
        return value.encode("utf-8")
    no_overload("bytes", value)


_BOOL_WORDS = {
    "1": True, "t": True, "T": True, "true": True, "TRUE": True, "True": True,
    "0": False, "f": False, "F": False, "false": False, "FALSE": False, "False": False,
}


def to_bool(value: Any) -> bool:
    if type(value) is bool:
        return value
    if type(value) is str:
        result = _BOOL_WORDS.get(value)
        if result is None:
            raise CELEvaluationError(f"Type conversion error: cannot convert {excerpt(value)} to bool")
        return result
    no_overload("bool", value)


def to_dyn(value: Any) -> Any:
    return value


def type_of(value: Any) -> Type:
    name = type_name(value)
    return TYPES.get(name) or Type(name)


def size(value: Any) -> int:
    t = type(value)
    if t is str or t is bytes or t is list or t is tuple or t is dict:
        return len(value)
    if isinstance(value, (Mapping, list, tuple)):
        return len(value)
    no_overload("size", value)




_B = dict(cost=Cost.BUILDS)
# Parsing a string reads all of it (a number, a timestamp, a duration).
_PARSES = dict(cost=Cost.SCANS, precheck=work.parses)
_FIXED = dict(cost=Cost.CONSTANT)

DECLS = (
    standard("int", to_int, *(f"{t} -> int" for t in ("int", "uint", "double", "string", "timestamp")), **_PARSES),
    standard("uint", to_uint, *(f"{t} -> uint" for t in ("int", "uint", "double", "string")), **_PARSES),
    standard("double", to_double, *(f"{t} -> double" for t in ("int", "uint", "double", "string")), **_PARSES),
    standard(
        "string", to_string,
        *(f"{t} -> string" for t in ("string", "int", "uint", "double", "bool", "bytes", "timestamp", "duration", "type(A)")),
        **_B,
    ),
    standard("bytes", to_bytes, "bytes -> bytes", "string -> bytes", **_B),
    standard("bool", to_bool, "bool -> bool", "string -> bool", **_PARSES),
    standard("dyn", to_dyn, "A -> dyn", **_FIXED),
    standard("type", type_of, "A -> type(A)", **_FIXED),
    standard(
        "size", size, *(f"{t} -> int" for t in ("string", "bytes", "list(A)", "map(K, V)")), method_too=True, **_FIXED
    ),
    standard("timestamp", timestamp_of, *(f"{t} -> timestamp" for t in ("string", "int", "timestamp")), **_PARSES),
    standard("duration", duration_of, "string -> duration", "duration -> duration", **_PARSES),
)
