"""The CEL value model.

CEL values are plain Python objects wherever Python has a faithful type
(None, bool, int, float, str, bytes, list/tuple, dict); the types Python lacks
or gets wrong live here: uint, timestamp, duration, type values, optionals,
and a map that keeps `true` and `1` apart.
"""
from __future__ import annotations

import datetime as _dt
from collections.abc import Iterator, Mapping
from typing import Any, TypeAlias

from .errors import CELEvaluationError

__all__ = [
    "INT64_MIN",
    "INT64_MAX",
    "UINT64_MAX",
    "UInt",
    "Timestamp",
    "Duration",
    "Type",
    "Optional",
    "Map",
    "ErrorValue",
    "Value",
    "type_name",
    "TYPES",
    "format_timestamp",
    "format_duration",
    "num_cmp",
    "check_int64",
    "check_uint64",
]

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
UINT64_MAX = 2**64 - 1

# A CEL value as celprice hands it out and accepts it: None, bool, int, UInt,
# float, str, bytes, list (or tuple), a mapping (dict or Map), Timestamp,
# Duration, Type or Optional. It is Any on purpose: CEL is dynamically typed, a
# formula decides at run time which of these it yields, and a Union would make
# every caller narrow before using a result it already knows the type of.
Value: TypeAlias = Any

_NS = 1_000_000_000
# Timestamps span 0001-01-01T00:00:00Z .. 9999-12-31T23:59:59.999999999Z.
TIMESTAMP_MIN_SECONDS = -62135596800
TIMESTAMP_MAX_SECONDS = 253402300799
_TS_MIN_NS = TIMESTAMP_MIN_SECONDS * _NS
_TS_MAX_NS = TIMESTAMP_MAX_SECONDS * _NS + _NS - 1
# Durations fit an int64 count of nanoseconds, as in cel-go.
_DUR_MIN_NS = INT64_MIN
_DUR_MAX_NS = INT64_MAX
_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)


class UInt(int):
    """A CEL `uint`: an unsigned 64-bit integer, distinct from `int`."""

    __slots__ = ()

    def __new__(cls, value: int = 0) -> "UInt":
        value = int(value)
        if not 0 <= value <= UINT64_MAX:
            raise ValueError(f"uint out of range: {value}")
        return int.__new__(cls, value)

    def __repr__(self) -> str:
        return f"UInt({int(self)})"

    def __str__(self) -> str:
        return f"{int(self)}u"


def _split_ns(ns: int) -> tuple[int, int]:
    """Seconds and nanos with the protobuf sign convention (nanos share the sign)."""
    seconds, nanos = divmod(abs(ns), _NS)
    if ns < 0:
        return -seconds, -nanos
    return seconds, nanos


class Timestamp:
    """A point in time with nanosecond precision (years 1 to 9999, UTC)."""

    __slots__ = ("ns",)
    ns: int

    def __init__(self, seconds: int = 0, nanos: int = 0) -> None:
        ns = int(seconds) * _NS + int(nanos)
        if not _TS_MIN_NS <= ns <= _TS_MAX_NS:
            raise CELEvaluationError("timestamp out of range")
        object.__setattr__(self, "ns", ns)

    @classmethod
    def from_ns(cls, ns: int) -> "Timestamp":
        if not _TS_MIN_NS <= ns <= _TS_MAX_NS:
            raise CELEvaluationError("timestamp out of range")
        obj = object.__new__(cls)
        object.__setattr__(obj, "ns", ns)
        return obj

    @property
    def seconds(self) -> int:
        return self.ns // _NS

    @property
    def nanos(self) -> int:
        return self.ns % _NS

    @classmethod
    def from_datetime(cls, value: _dt.datetime) -> "Timestamp":
        """A naive datetime is taken as UTC."""
        if value.tzinfo is None:
            value = value.replace(tzinfo=_dt.timezone.utc)
        delta = value - _EPOCH
        micros = (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds
        return cls.from_ns(micros * 1000)

    def to_datetime(self) -> _dt.datetime:
        """An aware UTC datetime (nanoseconds below a microsecond are dropped)."""
        return _EPOCH + _dt.timedelta(microseconds=self.ns // 1000)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("Timestamp is immutable")

    def __eq__(self, other: object) -> bool:
        return type(other) is Timestamp and other.ns == self.ns

    def __lt__(self, other: "Timestamp") -> bool:
        if type(other) is not Timestamp:
            return NotImplemented
        return self.ns < other.ns

    def __le__(self, other: "Timestamp") -> bool:
        if type(other) is not Timestamp:
            return NotImplemented
        return self.ns <= other.ns

    def __hash__(self) -> int:
        return hash(("timestamp", self.ns))

    def __reduce__(self) -> tuple[Any, ...]:
        # Immutable: copies and pickles rebuild through the range-checked constructor.
        return (Timestamp.from_ns, (self.ns,))

    def __deepcopy__(self, memo: dict[Any, Any]) -> "Timestamp":
        return self

    def __repr__(self) -> str:
        return f"Timestamp(seconds={self.seconds}, nanos={self.nanos})"

    def __str__(self) -> str:
        return format_timestamp(self)


def _fraction(nanos: int) -> str:
    """`.ddd` with trailing zeros trimmed, or "" for a whole second."""
    if nanos == 0:
        return ""
    return "." + f"{nanos:09d}".rstrip("0")


_EPOCH_ORDINAL = _dt.date(1970, 1, 1).toordinal()


def format_timestamp(ts: Timestamp) -> str:
    """RFC 3339 in UTC, like Go's RFC3339Nano: `2009-02-13T23:31:30.5Z`."""
    seconds, nanos = divmod(ts.ns, _NS)
    days, sod = divmod(seconds, 86_400)
    date = _dt.date.fromordinal(days + _EPOCH_ORDINAL)
    hour, rem = divmod(sod, 3600)
    minute, second = divmod(rem, 60)
    return (
        f"{date.year:04d}-{date.month:02d}-{date.day:02d}"
        f"T{hour:02d}:{minute:02d}:{second:02d}{_fraction(nanos)}Z"
    )


def format_duration(d: "Duration") -> str:
    """Seconds with up to 9 fractional digits, trimmed: `1.5s`, `-0.000000001s`, `0s`."""
    sign = "-" if d.ns < 0 else ""
    seconds, nanos = divmod(abs(d.ns), _NS)
    return f"{sign}{seconds}{_fraction(nanos)}s"


class Duration:
    """A signed span of time with nanosecond precision (an int64 of nanoseconds)."""

    __slots__ = ("ns",)
    ns: int

    def __init__(self, seconds: int = 0, nanos: int = 0) -> None:
        ns = int(seconds) * _NS + int(nanos)
        if not _DUR_MIN_NS <= ns <= _DUR_MAX_NS:
            raise CELEvaluationError("duration out of range")
        object.__setattr__(self, "ns", ns)

    @classmethod
    def from_ns(cls, ns: int) -> "Duration":
        if not _DUR_MIN_NS <= ns <= _DUR_MAX_NS:
            raise CELEvaluationError("duration out of range")
        obj = object.__new__(cls)
        object.__setattr__(obj, "ns", ns)
        return obj

    @property
    def seconds(self) -> int:
        return _split_ns(self.ns)[0]

    @property
    def nanos(self) -> int:
        return _split_ns(self.ns)[1]

    @classmethod
    def from_timedelta(cls, value: _dt.timedelta) -> "Duration":
        micros = (value.days * 86400 + value.seconds) * 1_000_000 + value.microseconds
        return cls.from_ns(micros * 1000)

    def to_timedelta(self) -> _dt.timedelta:
        """Nanoseconds below a microsecond are dropped (toward zero)."""
        return _dt.timedelta(microseconds=int(self.ns / 1000))

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("Duration is immutable")

    def __eq__(self, other: object) -> bool:
        return type(other) is Duration and other.ns == self.ns

    def __lt__(self, other: "Duration") -> bool:
        if type(other) is not Duration:
            return NotImplemented
        return self.ns < other.ns

    def __le__(self, other: "Duration") -> bool:
        if type(other) is not Duration:
            return NotImplemented
        return self.ns <= other.ns

    def __hash__(self) -> int:
        return hash(("duration", self.ns))

    def __reduce__(self) -> tuple[Any, ...]:
        # Immutable: copies and pickles rebuild through the range-checked constructor.
        return (Duration.from_ns, (self.ns,))

    def __deepcopy__(self, memo: dict[Any, Any]) -> "Duration":
        return self

    def __repr__(self) -> str:
        return f"Duration(seconds={self.seconds}, nanos={self.nanos})"

    def __str__(self) -> str:
        return format_duration(self)


class Type:
    """A CEL type value, such as the result of `type(1)` (named `int`)."""

    __slots__ = ("name",)
    name: str

    def __init__(self, name: str) -> None:
        object.__setattr__(self, "name", name)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("Type is immutable")

    def __eq__(self, other: object) -> bool:
        return type(other) is Type and other.name == self.name

    def __hash__(self) -> int:
        return hash(("type", self.name))

    def __reduce__(self) -> tuple[Any, ...]:
        return (Type, (self.name,))

    def __repr__(self) -> str:
        return f"Type({self.name!r})"

    def __str__(self) -> str:
        return self.name


class Optional:
    """A CEL optional value: either empty or holding one value."""

    __slots__ = ("_value", "_present")
    _value: Any
    _present: bool

    def __init__(self, value: Any = None, present: bool = False) -> None:
        object.__setattr__(self, "_value", value)
        object.__setattr__(self, "_present", present)

    @classmethod
    def of(cls, value: Any) -> "Optional":
        return cls(value, True)

    @classmethod
    def none(cls) -> "Optional":
        return _NONE

    def has_value(self) -> bool:
        return self._present

    def value(self) -> Any:
        if not self._present:
            raise CELEvaluationError("optional.none() dereference")
        return self._value

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("Optional is immutable")

    def __eq__(self, other: object) -> bool:
        if type(other) is not Optional:
            return False
        if not self._present or not other._present:
            return self._present == other._present
        # Python's equality of the contents; CEL's equality of optionals is
        # the equality walk's (stdlib/operators.py), which looks inside.
        return bool(self._value == other._value)

    def __hash__(self) -> int:
        return hash(("optional", self._present))

    def __reduce__(self) -> tuple[Any, ...]:
        return (Optional, (self._value, self._present))

    def __repr__(self) -> str:
        return f"Optional.of({self._value!r})" if self._present else "Optional.none()"


_NONE = Optional()


class _BoolKey:
    """Stands in for a bool key inside Map storage so it never merges with 0 or 1."""

    __slots__ = ("value",)

    def __init__(self, value: bool) -> None:
        self.value = value

    def __eq__(self, other: object) -> bool:
        return type(other) is _BoolKey and other.value is self.value

    def __hash__(self) -> int:
        return hash((_BoolKey, self.value))


_TRUE_KEY = _BoolKey(True)
_FALSE_KEY = _BoolKey(False)


def _store_key(key: Any) -> Any:
    if key is True:
        return _TRUE_KEY
    if key is False:
        return _FALSE_KEY
    return key


class Map(Mapping[Any, Any]):
    """A CEL map whose keys Python's dict would merge (`true` and `1`).

    Maps are plain dicts wherever that is faithful; this type appears only
    when a map holds a bool key next to an equal numeric key.
    """

    __slots__ = ("_data",)

    def __init__(self, items: Any = ()) -> None:
        data: dict[Any, tuple[Any, Any]] = {}
        pairs = items.items() if isinstance(items, Mapping) else items
        for key, value in pairs:
            data[_store_key(key)] = (key, value)
        self._data = data

    def __getitem__(self, key: Any) -> Any:
        return self._data[_store_key(key)][1]

    def _set(self, key: Any, value: Any) -> None:
        # Only while a map literal is being built, before anyone else sees it.
        self._data[_store_key(key)] = (key, value)

    def __contains__(self, key: object) -> bool:
        return _store_key(key) in self._data

    def __iter__(self) -> Iterator[Any]:
        for key, _ in self._data.values():
            yield key

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        inner = ", ".join(f"{k!r}: {v!r}" for k, v in self._data.values())
        return f"Map({{{inner}}})"


class ErrorValue:
    """A CEL error bound as a variable's value: reading it raises the error.

    This is how a failed fee component is handed to a later formula, which
    fails only if its evaluation actually uses the value.
    """

    __slots__ = ("error",)

    def __init__(self, error: CELEvaluationError | str) -> None:
        if isinstance(error, str):
            error = CELEvaluationError(error)
        self.error = error

    def __repr__(self) -> str:
        return f"ErrorValue({self.error.message!r})"


# --- rules of numbers -----------------------------------------------------------------


def num_cmp(left: Any, right: Any) -> int | None:
    """-1/0/1 across int, uint and double; None when a NaN is involved.

    Against a double, an integer is compared as a double, which is what the
    conformance data expects near 2**63 (trap 7); int against uint is exact.
    """
    if type(left) is float or type(right) is float:
        a, b = float(left), float(right)
        if a != a or b != b:
            return None
    else:
        a, b = int(left), int(right)
    return -1 if a < b else (1 if a > b else 0)


def check_int64(value: int, what: str = "") -> int:
    """`value` when it fits int64, else the one overflow error (`what` names the
    operation or helper, for the message)."""
    if INT64_MIN <= value <= INT64_MAX:
        return value
    raise CELEvaluationError(f"{what}: int64 overflow" if what else "int64 overflow")


def check_uint64(value: int, what: str = "") -> "UInt":
    if 0 <= value <= UINT64_MAX:
        return UInt(value)
    raise CELEvaluationError(f"{what}: uint64 overflow" if what else "uint64 overflow")


TYPES: dict[str, Type] = {
    name: Type(name)
    for name in (
        "int",
        "uint",
        "double",
        "bool",
        "string",
        "bytes",
        "list",
        "map",
        "null_type",
        "type",
        "optional_type",
        "google.protobuf.Timestamp",
        "google.protobuf.Duration",
    )
}

_TYPE_NAMES: dict[type, str] = {
    bool: "bool",
    int: "int",
    UInt: "uint",
    float: "double",
    str: "string",
    bytes: "bytes",
    type(None): "null_type",
    list: "list",
    tuple: "list",
    dict: "map",
    Map: "map",
    Timestamp: "google.protobuf.Timestamp",
    Duration: "google.protobuf.Duration",
    Type: "type",
    Optional: "optional_type",
}


def type_name(value: Any) -> str:
    """The CEL type name of a runtime value (`int`, `map`, `google.protobuf.Timestamp`, ...)."""
    name = _TYPE_NAMES.get(type(value))
    if name is not None:
        return name
    if isinstance(value, Mapping):
        return "map"
    if isinstance(value, (list, tuple)):
        return "list"
    if isinstance(value, _dt.datetime):
        return "google.protobuf.Timestamp"
    if isinstance(value, _dt.timedelta):
        return "google.protobuf.Duration"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "double"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bytes):
        return "bytes"
    return type(value).__name__
