"""Values read from the caller's data, with CEL's rules: the one place that
turns Python data into CEL values (`adapt`), looks keys up in maps
(numbers match across types, bools never match numbers), selects fields and
builds map literals.

The caller's data is read in place and never copied: a Python int outside
int64 is an error when read, a datetime or timedelta becomes a timestamp or
duration, an ErrorValue raises the error it stands for.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from .errors import CELEvaluationError, excerpt, located
from .values import INT64_MAX, INT64_MIN, Duration, ErrorValue, Map, Optional, Timestamp, UInt, type_name

__all__ = [
    "ADAPT",
    "adapt",
    "lookup",
    "map_get",
    "map_has",
    "show_key",
    "select_value",
    "select_optional",
    "has_field",
    "map_insert",
]

_NUMERIC = (int, UInt, float)


def _raise_error_value(v: ErrorValue) -> Any:
    e = v.error
    raise type(e)(e.message)


def _check_int(v: int) -> int:
    if INT64_MIN <= v <= INT64_MAX:
        return v
    shown = str(v) if v.bit_length() < 256 else f"of {v.bit_length()} bits"
    raise CELEvaluationError(f"integer {shown} is out of the int64 range")


ADAPT: dict[type, Callable[[Any], Any]] = {
    int: _check_int,
    datetime: Timestamp.from_datetime,
    timedelta: Duration.from_timedelta,
    ErrorValue: _raise_error_value,
    bytearray: bytes,
}


def adapt(v: Any) -> Any:
    """A value read from the caller's data, as a CEL value (or the error it stands for)."""
    f = ADAPT.get(type(v))
    return v if f is None else f(v)


def lookup(m: Any, key: Any) -> tuple[bool, Any]:
    """Find a key with CEL semantics: numbers match across types, bools never match numbers."""
    tk = type(key)
    if tk is str:
        try:
            return True, m[key]
        except KeyError:
            return False, None
        except TypeError:
            return False, None
    if type(m) is Map:
        if tk is bool:
            return (True, m[key]) if key in m else (False, None)
        # A Map keeps bools apart, so numeric lookups are exact there.
        if tk is float:
            if not key.is_integer():
                return False, None
            key = int(key)
        return (True, m[key]) if key in m else (False, None)
    if tk is bool or (tk in _NUMERIC and (key == 0 or key == 1)):
        # Python merges True/1 and False/0; find the stored key to tell them apart.
        for stored in m:
            if stored == key and (type(stored) is bool) == (tk is bool):
                return True, m[stored]
        return False, None
    if tk in _NUMERIC:
        if tk is float and not key.is_integer():
            return False, None
        try:
            return (True, m[key]) if key in m else (False, None)
        except TypeError:
            return False, None
    return False, None


def _check_key_type(key: Any) -> None:
    if type(key) not in (str, int, UInt, bool, float):
        raise CELEvaluationError(f"no such key: unsupported key type '{type(key).__name__}'")


def map_get(m: Any, key: Any) -> Any:
    found, value = lookup(m, key)
    if found:
        return value
    _check_key_type(key)
    raise CELEvaluationError(f"no such key: {show_key(key)}")


def map_has(m: Any, key: Any) -> bool:
    return lookup(m, key)[0]


def show_key(key: Any) -> str:
    """A map key as CEL source would spell it: 'a', true, 1, 1u."""
    if type(key) is str:
        return excerpt(key)
    if key is True or key is False:
        return "true" if key else "false"
    if type(key) is UInt:
        return f"{int(key)}u"
    return str(key)


def _no_such_field(value: Any, field: str) -> CELEvaluationError:
    return CELEvaluationError(f"type '{type_name(value)}' does not support field selection (field '{field}')")


def select_value(v: Any, field: str) -> Any:
    """`v.field` on a CEL value (maps and optionals; messages do not exist here)."""
    if type(v) is dict:
        try:
            r = v[field]
        except KeyError:
            raise CELEvaluationError(f"no such key: '{field}'") from None
    elif isinstance(v, Mapping):
        r = map_get(v, field)
    elif type(v) is Optional:
        return select_optional(v, field, strict=True)
    else:
        raise _no_such_field(v, field)
    f = ADAPT.get(type(r))
    return r if f is None else f(r)


def select_optional(v: Any, field: str, strict: bool = False) -> Optional:
    """`v.?field`: optional.none() when the key is absent, and (as in cel-go)
    when the value has no fields at all (`{'a': dyn(0)}.?a.?b`). `strict` is
    `.field` on an optional: a present value without fields is an error."""
    if type(v) is Optional:
        if not v.has_value():
            return v
        v = v.value()
    if isinstance(v, Mapping):
        found, r = lookup(v, field)
        return Optional.of(adapt(r)) if found else Optional.none()
    if strict:
        raise _no_such_field(v, field)
    return Optional.none()


def has_field(v: Any, field: str) -> bool:
    if type(v) is dict:
        return field in v
    if type(v) is Optional:
        if not v.has_value():
            return False
        v = v.value()
    if isinstance(v, Mapping):
        return map_has(v, field)
    raise _no_such_field(v, field)




def map_insert(out: Any, k: Any, v: Any, pos: int) -> Any:
    """Add an entry to a map literal being built, with CEL's key rules."""
    tk = type(k)
    if tk is str:
        if k in out:
            raise located(CELEvaluationError(f"Failed with repeated key: {show_key(k)}"), pos)
        out[k] = v
        return out
    if tk not in (int, UInt, bool):
        raise located(CELEvaluationError(f"unsupported key type '{type_name(k)}' in map literal"), pos)
    if map_has(out, k):
        raise located(CELEvaluationError(f"Failed with repeated key: {show_key(k)}"), pos)
    if type(out) is dict:
        if k not in out:
            out[k] = v
            return out
        # Python sees true == 1: only a Map keeps them apart.
        out = Map(out)
    out._set(k, v)
    return out
