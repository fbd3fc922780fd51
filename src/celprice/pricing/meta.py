"""Output-meta items as the store decodes them: the SDKs' field types (R5 of
spec/store-api.md) applied to the JSON an app reported.

The store reads each item into a typed struct, so a formula sees `seconds` as a
double even when the JSON says `90`, and a value the struct cannot hold (`1.5`
tokens, `"90"` seconds) fails the request. Only the fields of the item's own
type are typed; everything else (`cached_tokens`, `extra`, unknown fields, items
of an unknown type) stays as the JSON has it. A missing field stays missing,
except an image's `count`, which is 1, as in the Python SDK.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from ..values import INT64_MAX, INT64_MIN

__all__ = ["ITEM_FIELDS", "ITEM_KEYS", "FIELD_TYPES", "RECORD_NAME", "decode_items"]

ITEM_FIELDS: dict[str, dict[str, str]] = {
    "text": {"tokens": "int"},
    "image": {"width": "int", "height": "int", "resolution_mp": "double", "steps": "int", "count": "int"},
    "video": {
        "width": "int",
        "height": "int",
        "resolution_mp": "double",
        "resolution": "string",
        "seconds": "double",
        "fps": "int",
    },
    "audio": {"seconds": "double", "sample_rate": "int"},
    "raw": {"cost": "double"},
}
_DEFAULTS: dict[str, tuple[tuple[str, Any], ...]] = {"image": (("count", 1),)}
# Every field the SDKs' item structs have: `type`, the typed ones, and the
# free-form `extra` (the names `celprice check` suggests for a misspelt one).
ITEM_KEYS = frozenset({"type", "extra", *(name for fields in ITEM_FIELDS.values() for name in fields)})


def _field_types() -> dict[str, str]:
    """Each numeric field's type: the same in every item type that has it, which is
    what lets the checker type `outputs[0].seconds` without knowing the item's type."""
    types: dict[str, str] = {}
    for fields in ITEM_FIELDS.values():
        for name, t in fields.items():
            if t == "string":
                continue  # `resolution == null` must stay a valid comparison
            if types.setdefault(name, t) != t:
                raise AssertionError(f"output-meta field {name!r} has two types")
    return types


# The checker's record of an output-meta item: these fields typed, any other key dyn.
RECORD_NAME = "MetaItem"
FIELD_TYPES: dict[str, str] = _field_types()


class DecodeError(Exception):
    """(path, message) of the first value the store's decoder would refuse."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(path, message)
        self.path = path
        self.message = message


def _typed(kind: str, value: Any, describe: Any) -> tuple[Any, str | None]:
    """(`value` as a field of type `kind`, None), or (None, why the store would refuse it)."""
    t = type(value)
    if kind == "double":
        if t is float:
            if value != value or value in (math.inf, -math.inf):
                return None, f"must be a finite number, got {describe(value)}"
            return value, None
        if t is int:
            return float(value), None
        return None, f"must be a number, got {describe(value)}"
    if kind == "int":
        if t is int:
            n = value
        elif t is float and value.is_integer():
            n = int(value)
        else:
            return None, f"must be an integer, got {describe(value)}"
        if not INT64_MIN <= n <= INT64_MAX:
            return None, f"must fit in int64, got {describe(value)}"
        return n, None
    if t is str:
        return value, None
    return None, f"must be a string, got {describe(value)}"


_PYTHON = {"int": int, "double": float, "string": str}
# kind -> ((field, CEL type, the Python type a decoded value has), ...), for the loop below.
_FIELDS: dict[str, tuple[tuple[str, str, type], ...]] = {
    kind: tuple((name, t, _PYTHON[t]) for name, t in fields.items()) for kind, fields in ITEM_FIELDS.items()
}
_MISSING = object()
_LOW, _HIGH = INT64_MIN, INT64_MAX


def _decode_item(item: Any, base: str, i: int, describe: Any) -> Any:
    # The path is only spelt out for an error: this runs for every item of every request.
    if type(item) is not dict and not isinstance(item, Mapping):
        raise DecodeError(f"{base}[{i}]", f"must be an object, got {describe(item)}")
    get = item.get
    kind = get("type")
    if kind is not None and type(kind) is not str:
        raise DecodeError(f"{base}[{i}].type", f"must be a string, got {describe(kind)}")
    extra = get("extra")
    if extra is not None and type(extra) is not dict and not isinstance(extra, Mapping):
        raise DecodeError(f"{base}[{i}].extra", f"must be an object, got {describe(extra)}")
    fields = _FIELDS.get(kind)  # type: ignore[arg-type]
    if fields is None:
        return item
    changed: dict[str, Any] | None = None
    dropped: list[str] | None = None
    for name, field_type, python_type in fields:
        value = get(name, _MISSING)
        if value is _MISSING:
            continue
        t = type(value)
        if t is python_type:
            # The common case: already of its type (and finite, and in int64).
            if t is str or (t is float and value - value == 0.0) or (t is int and _LOW <= value <= _HIGH):
                continue
        if value is None:
            # A JSON null leaves a struct field unset: it is missing.
            dropped = [name] if dropped is None else [*dropped, name]
            continue
        typed, refused = _typed(field_type, value, describe)
        if refused is not None:
            raise DecodeError(f"{base}[{i}].{name}", refused)
        if typed is not value:
            if changed is None:
                changed = {}
            changed[name] = typed
    defaults = _DEFAULTS.get(kind)  # type: ignore[arg-type]
    if defaults:
        for name, value in defaults:
            if name not in item or (dropped and name in dropped):
                if changed is None:
                    changed = {}
                changed[name] = value
    if changed is None and dropped is None:
        return item
    # The caller's item is never modified: the decoded one is a new map.
    out = {k: v for k, v in item.items() if not dropped or k not in dropped}
    if changed:
        out.update(changed)
    return out


def decode_items(items: Any, path: str, describe: Any) -> Any:
    """The items with their typed fields decoded (the same list when nothing changed);
    DecodeError at the first value the store would refuse."""
    out: list[Any] | None = None
    for i in range(len(items)):
        item = items[i]
        decoded = _decode_item(item, path, i, describe)
        if decoded is not item and out is None:
            out = list(items)
        if out is not None:
            out[i] = decoded
    return items if out is None else out
