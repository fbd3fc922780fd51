"""Conversion of conformance-data values (cel.expr.Value as JSON) to celprice
values, and a strict CEL-typed comparison of results.

The JSON layout is described in cel-spec/README.md of the shared data folder.
"""
from __future__ import annotations

import base64
import math
from collections.abc import Mapping
from typing import Any

import celprice
import celprice.values as _cv


def _api(name: str) -> Any:
    """A value class from the public celprice API (falling back to celprice.values)."""
    obj = getattr(celprice, name, None)
    return obj if obj is not None else getattr(_cv, name)


UInt = _api("UInt")
Map = _api("Map")
Type = _api("Type")
Timestamp = _api("Timestamp")
Duration = _api("Duration")

TIMESTAMP_TYPE = "google.protobuf.Timestamp"
DURATION_TYPE = "google.protobuf.Duration"

_SPECIAL_DOUBLES = {"inf": math.inf, "-inf": -math.inf, "nan": math.nan}


class UnsupportedValue(ValueError):
    """A Value kind celprice does not model (protobuf messages, enums)."""


def message_type_name(type_url: str) -> str:
    """`type.googleapis.com/google.protobuf.Duration` -> `google.protobuf.Duration`."""
    return type_url.rsplit("/", 1)[-1]


def to_double(raw: Any) -> float:
    if isinstance(raw, str):
        try:
            return _SPECIAL_DOUBLES[raw.lower()]
        except KeyError:
            return float(raw)
    return float(raw)


def from_json(value: Mapping[str, Any]) -> Any:
    """Convert one cel.expr.Value JSON object to a celprice value."""
    if len(value) != 1:
        raise ValueError(f"a Value has exactly one field, got {sorted(value)}")
    ((kind, raw),) = value.items()
    if kind == "null_value":
        return None
    if kind == "bool_value":
        return bool(raw)
    if kind == "int64_value":
        return int(raw)
    if kind == "uint64_value":
        return UInt(int(raw))
    if kind == "double_value":
        return to_double(raw)
    if kind == "string_value":
        return str(raw)
    if kind == "bytes_value":
        return base64.b64decode(raw, validate=True)
    if kind == "list_value":
        return [from_json(v) for v in raw.get("values", [])]
    if kind == "map_value":
        pairs = [(from_json(e["key"]), from_json(e["value"])) for e in raw.get("entries", [])]
        return make_map(pairs)
    if kind == "type_value":
        return Type(str(raw))
    if kind == "object_value":
        name = message_type_name(raw.get("@type", ""))
        if name == TIMESTAMP_TYPE:
            return Timestamp(int(raw.get("seconds", 0)), int(raw.get("nanos", 0)))
        if name == DURATION_TYPE:
            return Duration(int(raw.get("seconds", 0)), int(raw.get("nanos", 0)))
        raise UnsupportedValue(f"object_value of type {name}")
    if kind == "enum_value":
        raise UnsupportedValue(f"enum_value of type {raw.get('type')}")
    raise ValueError(f"unknown Value kind {kind!r}")


def make_map(pairs: list[tuple[Any, Any]]) -> Any:
    """A dict, or a celprice.Map when a bool key sits next to an equal int/uint key."""
    bools = {k for k, _ in pairs if type(k) is bool}
    if bools and any(type(k) is not bool and isinstance(k, int) and k in bools for k, _ in pairs):
        return Map(pairs)
    return {k: v for k, v in pairs}


def binding_from_json(expr_value: Mapping[str, Any]) -> Any:
    """A binding is an ExprValue: `{"value": Value}` (error/unknown are not supported)."""
    if "value" not in expr_value:
        raise UnsupportedValue(f"ExprValue without a value: {sorted(expr_value)}")
    return from_json(expr_value["value"])


# --- strict comparison ------------------------------------------------------


def _kind(value: Any) -> str:
    """The CEL kind of a value, distinguishing int, uint, double and bool exactly."""
    t = type(value)
    if value is None:
        return "null"
    if t is bool:
        return "bool"
    if t is UInt:
        return "uint"
    if t is int:
        return "int"
    if t is float:
        return "double"
    if t is str:
        return "string"
    if t is bytes:
        return "bytes"
    if t is Type:
        return "type"
    if t is Timestamp:
        return "timestamp"
    if t is Duration:
        return "duration"
    if isinstance(value, (list, tuple)):
        return "list"
    if isinstance(value, Mapping):
        return "map"
    return f"python:{t.__module__}.{t.__qualname__}"


def _key_id(key: Any) -> tuple[str, Any]:
    """A hashable identity for a map key that keeps true, 1 and 1u apart."""
    return (_kind(key), key)


def same_value(expected: Any, actual: Any) -> bool:
    """True when `actual` is exactly the CEL value `expected` (types included).

    NaN matches NaN; -0.0 matches 0.0. Lists compare element-wise, maps by key
    set (key types matter) and values. Tuples count as lists, any Mapping as a map.
    """
    ek, ak = _kind(expected), _kind(actual)
    if ek != ak:
        return False
    if ek == "double":
        if math.isnan(expected):
            return math.isnan(actual)
        return expected == actual
    if ek == "list":
        return len(expected) == len(actual) and all(
            same_value(e, a) for e, a in zip(expected, actual)
        )
    if ek == "map":
        exp = {_key_id(k): (k, v) for k, v in expected.items()}
        act = {_key_id(k): (k, v) for k, v in actual.items()}
        if exp.keys() != act.keys():
            return False
        return all(same_value(exp[key][1], act[key][1]) for key in exp)
    if ek == "type":
        return expected.name == actual.name
    if ek in ("timestamp", "duration"):
        return expected.ns == actual.ns
    if ek.startswith("python:"):
        return False
    return expected == actual


def show(value: Any) -> str:
    """A readable rendering that shows CEL types (1u, 1.0, b'..', true)."""
    k = _kind(value)
    if k == "null":
        return "null"
    if k == "bool":
        return "true" if value else "false"
    if k == "uint":
        return f"{int(value)}u"
    if k == "int":
        return str(value)
    if k == "double":
        return repr(value)
    if k in ("string", "bytes"):
        return repr(value)
    if k == "type":
        return f"type({value.name})"
    if k in ("timestamp", "duration"):
        return repr(value)
    if k == "list":
        return "[" + ", ".join(show(v) for v in value) + "]"
    if k == "map":
        return "{" + ", ".join(f"{show(kk)}: {show(vv)}" for kk, vv in value.items()) + "}"
    return f"<{k}> {value!r}"
