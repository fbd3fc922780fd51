"""CEL values as JSON: the output format of the CLI and of the server's explain route.

JSON lacks several CEL types, so they print as documented in docs/cli.md:
uint as a number, bytes as base64, timestamps as RFC 3339, durations as
`"1.5s"`, NaN and the infinities as `"NaN"`, `"+Inf"`, `"-Inf"`, type values
as their name, an optional as its value (`null` when empty).
"""
from __future__ import annotations

import base64
import json
import math
from collections.abc import Mapping
from typing import Any

from .program import compile as cel_compile
from .values import Duration, Optional, Timestamp, Type

__all__ = ["to_json", "dumps", "type_of"]

# Asking CEL itself keeps the names exactly what `type(x)` reports.
_TYPE_OF = cel_compile("type(v)")


def to_json(value: Any) -> Any:
    """A JSON-serialisable Python value for a CEL value."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return int(value)  # UInt prints as a plain number
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "+Inf" if value > 0 else "-Inf"
        return value
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, (Timestamp, Duration)):
        return str(value)
    if isinstance(value, Type):
        return value.name
    if isinstance(value, Optional):
        return to_json(value.value()) if value.has_value() else None
    if isinstance(value, Mapping):
        return {_key(k): to_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    return str(value)


def _key(key: Any) -> str:
    # JSON keys are strings; bool keys read `true`/`false` as in CEL, not Python's `True`.
    if isinstance(key, bool):
        return "true" if key else "false"
    if isinstance(key, int):
        return str(int(key))
    return str(key)


def dumps(value: Any, *, indent: int | None = None) -> str:
    """A CEL value as JSON text (non-ASCII kept readable)."""
    return json.dumps(to_json(value), ensure_ascii=False, indent=indent)


def type_of(value: Any) -> str:
    """The CEL type name of a value, as `type(value)` gives it."""
    name: str = _TYPE_OF.evaluate({"v": value}).name
    return name
