"""The pricing helper functions (the table of spec/pricing.md), as CEL overloads.

Helpers take CEL values positionally and raise CELEvaluationError whose
message starts with the helper's name, so a formula's error says which
helper rejected what. Numbers are int, uint or double wherever a number is
taken; a result is an int only when every number given was an int.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from itertools import product
from typing import Any, NoReturn

from ..access import adapt, lookup
from ..registry import Cost, Function, Overload
from ..work import receiver_scan
from ..errors import CELEvaluationError
from ..stdlib import math as cel_math
from ..values import INT64_MAX, INT64_MIN, UInt, check_int64, num_cmp, type_name
from .money import format_dollars, round_half_away, show

__all__ = ["HELPERS", "HELPER_NAMES"]

_NUMBER_TYPES = ("int", "uint", "double")
_KEY_TYPES = (str, int, UInt, bool, float)


def _fail(message: str) -> NoReturn:
    raise CELEvaluationError(message)


# --- output-meta items ------------------------------------------------------------


def _item(fn: str, items: Any, i: int) -> Mapping[Any, Any]:
    item = items[i]
    if type(item) is dict or isinstance(item, Mapping):
        return item
    _fail(f"{fn}: item {i} is not a map, got {type_name(item)}")


def _whole(fn: str, i: int, key: str, v: Any) -> int:
    """A count-like field: a non-negative whole number (int, uint or integral double)."""
    t = type(v)
    if t is int or t is UInt:
        n = int(v)
    elif t is float and v.is_integer():
        n = int(v)
    elif t is float:
        _fail(f"{fn}: item {i}: '{key}' must be a whole number, got {show(v)}")
    else:
        _fail(f"{fn}: item {i}: '{key}' must be a number, got {type_name(v)}")
    if n < 0:
        _fail(f"{fn}: item {i}: '{key}' must not be negative, got {show(v)}")
    return n


def image_count(items: Any) -> int:
    total = 0
    for i in range(len(items)):
        item = _item("image_count", items, i)
        if item.get("type") == "image":
            count = item.get("count")
            # A missing or null count is one image.
            total += 1 if count is None else _whole("image_count", i, "count", count)
    return check_int64(total, "image_count")


def text_tokens(items: Any) -> int:
    total = 0
    for i in range(len(items)):
        item = _item("text_tokens", items, i)
        if item.get("type") == "text":
            tokens = item.get("tokens")
            if tokens is not None:
                total += _whole("text_tokens", i, "tokens", tokens)
    return check_int64(total, "text_tokens")


def _seconds(fn: str, kind: str) -> Callable[[Any], float]:
    def seconds(items: Any) -> float:
        total = 0.0
        for i in range(len(items)):
            item = _item(fn, items, i)
            if item.get("type") == kind:
                v = item.get("seconds")
                if v is None:
                    continue
                t = type(v)
                if t is not int and t is not float and t is not UInt:
                    _fail(f"{fn}: item {i}: 'seconds' must be a number, got {type_name(v)}")
                if not v >= 0 or v == math.inf:  # also rejects NaN
                    _fail(f"{fn}: item {i}: 'seconds' must be a finite non-negative number, got {show(v)}")
                total += float(v)
        return total

    return seconds


def count_type(items: Any, kind: str) -> int:
    n = 0
    for i in range(len(items)):
        if _item("count_type", items, i).get("type") == kind:
            n += 1
    return n


def first(items: Any, kind: str) -> Any:
    for i in range(len(items)):
        item = _item("first", items, i)
        if item.get("type") == kind:
            return item
    return None


# --- maps -------------------------------------------------------------------------


def _get(fn: str, m: Any, key: Any, default: Any) -> Any:
    if m is None:
        return default
    if type(key) not in _KEY_TYPES:
        _fail(f"{fn}: unsupported key type {type_name(key)}")
    found, value = lookup(m, key)
    if not found or value is None:
        return default
    return adapt(value)


def get(m: Any, key: Any, default: Any) -> Any:
    return _get("get", m, key, default)


def get_extra(item: Any, key: Any, default: Any) -> Any:
    if item is None:
        return default
    found, extra = lookup(item, "extra")
    if not found or extra is None:
        return default
    if not isinstance(extra, Mapping):
        _fail(f"get_extra: 'extra' must be a map, got {type_name(extra)}")
    return _get("get_extra", extra, key, default)


def _path_getter(fn: str, want: type, want_name: str) -> Callable[[Any, Any, Any], Any]:
    """`get_bool(item, "extra.a.b", default)`: follow the dotted path through maps; a
    missing or null step gives the default, a value of another type is an error
    (taking the default would price silently as if the flag were unset)."""

    def getter(item: Any, path: str, default: Any) -> Any:
        value = item
        for step in path.split("."):
            if value is None:
                return default
            if not isinstance(value, Mapping):
                _fail(f"{fn}: '{path}': cannot look up '{step}' in a {type_name(value)}")
            found, value = lookup(value, step)
            if not found:
                return default
        if value is None:
            return default
        if type(value) is not want:
            _fail(f"{fn}: '{path}' must be a {want_name}, got {type_name(value)}")
        return value

    return getter


# --- numbers ----------------------------------------------------------------------


def sum_(values: Any) -> Any:
    """Left to right from 0: an int when every element is an int, else a double."""
    if all(type(v) is int for v in values):
        total = 0
        for v in values:
            total = check_int64(total + v, "sum")
        return total
    acc = 0.0
    for i, v in enumerate(values):
        t = type(v)
        if t is not float and t is not int and t is not UInt:
            _fail(f"sum: element {i} must be a number, got {type_name(v)}")
        acc += float(v)
    return acc


def _extremum(pick_smaller: bool) -> Callable[[Any, Any], Any]:
    def extremum(a: Any, b: Any) -> Any:
        if type(a) is int and type(b) is int:  # the common case, compared as Python does
            return (b if b < a else a) if pick_smaller else (b if b > a else a)
        c = num_cmp(a, b)
        if c is None:
            return math.nan
        picked = b if (c > 0 if pick_smaller else c < 0) else a
        return picked if type(a) is int and type(b) is int else float(picked)

    return extremum


def _double(fn: Callable[[float], float]) -> Callable[[Any], float]:
    # Integers are whole already; the math extension does the doubles.
    return lambda x: fn(float(x))


def megapixels(w: Any, h: Any) -> float:
    return float(w) * float(h) / 1e6


def pixels(w: Any, h: Any) -> Any:
    if type(w) is int and type(h) is int:
        return check_int64(w * h, "pixels")
    return float(w) * float(h)


_TIERS = ((480, "480p"), (720, "720p"), (1080, "1080p"), (1440, "1440p"))


def resolution(w: Any, h: Any) -> str:
    if w != w or h != h:
        _fail("resolution: width and height must not be NaN")
    side = min(w, h)
    for limit, name in _TIERS:
        if side <= limit:
            return name
    return "4k"


def to_cents(x: Any) -> float:
    return float(x) / 1e6


def to_dollars(x: Any) -> str:
    if type(x) is float:
        if x != x or x in (math.inf, -math.inf):
            _fail(f"to_dollars: cannot format {show(x)}")
        # Doubles are first rounded to whole microcents, halves away from zero.
        n = round_half_away(x)
        if not INT64_MIN <= n <= INT64_MAX:
            _fail(f"to_dollars: {show(x)} is out of the int64 range")
        return format_dollars(n)
    return format_dollars(int(x))


# --- declarations -----------------------------------------------------------------


def _numeric(name: str, arity: int, result: str | Callable[[tuple[str, ...]], str], impl: Callable[..., Any]) -> Function:
    """Overloads for every combination of int, uint and double arguments;
    `result` is a type name, or a function of the argument types giving one."""
    overloads = [
        Overload(list(types), result if isinstance(result, str) else result(types), impl)
        for types in product(_NUMBER_TYPES, repeat=arity)
    ]
    return Function(name, overloads, pure=True)


def _int_if_all_int(types: tuple[str, ...]) -> str:
    """min, max and pixels: int when every argument is an int, else double."""
    return "int" if all(t == "int" for t in types) else "double"


# The helpers over output-meta lists read every item: charged the list's
# length like any scan, so one inside a comprehension cannot do quadratic
# work for a linear budget.
_SCANS: dict[str, Any] = {"cost": Cost.SCANS, "precheck": receiver_scan, "pure": True}


def _items_fn(name: str, result: str, impl: Callable[..., Any], *extra: str) -> Function:
    return Function(name, [Overload(["list(dyn)", *extra], result, impl)], **_SCANS)


def _map_getter(name: str, impl: Callable[..., Any]) -> Function:
    # A null map (e.g. `first(outputs, "video")` when there is none) yields the default.
    return Function(
        name,
        [Overload(["map(dyn, dyn)", "dyn", "dyn"], "dyn", impl), Overload(["null_type", "dyn", "dyn"], "dyn", impl)],
        pure=True,
    )


def _path_getter_fn(name: str, want: type, want_name: str) -> Function:
    impl = _path_getter(name, want, want_name)
    return Function(
        name,
        [
            Overload(["map(dyn, dyn)", "string", want_name], want_name, impl),
            Overload(["null_type", "string", want_name], want_name, impl),
        ],
        pure=True,
    )


HELPERS: tuple[Function, ...] = (
    _items_fn("image_count", "int", image_count),
    _items_fn("text_tokens", "int", text_tokens),
    _items_fn("video_seconds", "double", _seconds("video_seconds", "video")),
    _items_fn("audio_seconds", "double", _seconds("audio_seconds", "audio")),
    _items_fn("count_type", "int", count_type, "string"),
    _items_fn("first", "dyn", first, "string"),
    _map_getter("get", get),
    _map_getter("get_extra", get_extra),
    _path_getter_fn("get_bool", bool, "bool"),
    _path_getter_fn("get_string", str, "string"),
    Function(
        "sum", [Overload(["list(dyn)"], "dyn", sum_), Overload(["list(dyn)"], "dyn", sum_, member=True)], **_SCANS
    ),
    _numeric("min", 2, _int_if_all_int, _extremum(True)),
    _numeric("max", 2, _int_if_all_int, _extremum(False)),
    _numeric("ceil", 1, "double", _double(cel_math.ceil)),
    _numeric("floor", 1, "double", _double(cel_math.floor)),
    _numeric("round", 1, "double", _double(cel_math.round_)),
    _numeric("megapixels", 2, "double", megapixels),
    _numeric("pixels", 2, _int_if_all_int, pixels),
    _numeric("resolution", 2, "string", resolution),
    _numeric("to_cents", 1, "double", to_cents),
    _numeric("to_dollars", 1, "string", to_dollars),
)

HELPER_NAMES: frozenset[str] = frozenset(fn.name for fn in HELPERS)
