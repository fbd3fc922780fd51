"""Timestamps and durations: parsing, printing, accessors and arithmetic.

Values keep an exact int of nanoseconds (see `values.Timestamp` /
`values.Duration`); Python's datetime is used only for whole-second calendar
work, because it cannot hold nanoseconds. Every failure surfaces as a
celprice error, never as a bare Python exception.
"""
from __future__ import annotations

import datetime as _dt
import re
import zoneinfo
from collections.abc import Callable
from typing import Any

from ..values import Duration, Timestamp, format_duration, format_timestamp
from ..registry import Cost, standard
from .base import fail, no_overload

__all__ = [
    "parse_timestamp",
    "format_timestamp",
    "parse_duration",
    "format_duration",
    "timestamp_of",
    "duration_of",
    "add",
    "sub",
    "DECLS",
]

_NS = 1_000_000_000
_EPOCH_ORDINAL = _dt.date(1970, 1, 1).toordinal()
_MAX_ORDINAL = _dt.date.max.toordinal()
# The Gregorian calendar (weekdays included) repeats every 400 years, which
# lets local dates just outside datetime's 1..9999 range be computed too.
_DAYS_PER_400_YEARS = 146_097
_UTC = _dt.timezone.utc
_EPOCH_DT = _dt.datetime(1970, 1, 1, tzinfo=_UTC)


def _quote(text: str) -> str:
    # Error messages echo the input, but never an unbounded amount of it.
    if len(text) > 64:
        text = text[:61] + "..."
    return '"' + text + '"'


# --------------------------------------------------------------------------
# Timestamps
# --------------------------------------------------------------------------

# Years may have more than four digits only so that "10000-01-01..." reports
# a range error rather than a syntax error.
_RFC3339 = re.compile(
    r"([0-9]{4,18})-([0-9]{2})-([0-9]{2})[Tt]"
    r"([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]+))?"
    r"(?:([Zz])|([+-])([0-9]{2}):([0-9]{2}))",
    re.ASCII,
)


def parse_timestamp(text: str) -> Timestamp:
    """An RFC 3339 timestamp, as `timestamp(string)` accepts it.

    `YYYY-MM-DDThh:mm:ss[.f{1,9}](Z|±hh:mm)`; `t` and `z` may be lowercase
    (RFC 3339 permits it). The instant must lie in years 0001..9999 UTC.
    """
    m = _RFC3339.fullmatch(text)
    if m is None:
        fail(f"invalid timestamp {_quote(text)}: expected RFC 3339, e.g. 2006-01-02T15:04:05Z")
    year, month, day, hour, minute, second = (int(g) for g in m.group(1, 2, 3, 4, 5, 6))
    frac = m.group(7)
    if frac is not None and len(frac) > 9:
        fail(f"invalid timestamp {_quote(text)}: more than 9 fractional digits")
    if not (hour <= 23 and minute <= 59 and second <= 59):
        fail(f"invalid timestamp {_quote(text)}: time of day out of range")
    in_range = 1 <= year <= 9999
    try:
        # A year outside 1..9999 still gets its month/day checked (in a leap
        # year) so that garbage dates are reported as garbage, not as range.
        date = _dt.date(year if in_range else 2000, month, day)
    except ValueError:
        fail(f"invalid timestamp {_quote(text)}: day out of range")
    if not in_range:
        fail("timestamp out of range")
    offset = 0
    if m.group(8) is None:
        off_h, off_m = int(m.group(10)), int(m.group(11))
        if off_h > 23 or off_m > 59:
            fail(f"invalid timestamp {_quote(text)}: offset out of range")
        offset = (off_h * 3600 + off_m * 60) * (-1 if m.group(9) == "-" else 1)
    seconds = (
        (date.toordinal() - _EPOCH_ORDINAL) * 86_400 + hour * 3600 + minute * 60 + second - offset
    )
    nanos = int(frac.ljust(9, "0")) if frac else 0
    # from_ns catches offsets that push an edge date outside the range.
    return Timestamp.from_ns(seconds * _NS + nanos)


# --------------------------------------------------------------------------
# Durations
# --------------------------------------------------------------------------

_DURATION_UNITS: dict[str, int] = {
    "ns": 1,
    "us": 1_000,
    "\u00b5s": 1_000,  # micro sign
    "\u03bcs": 1_000,  # Greek small letter mu
    "ms": 1_000_000,
    "s": _NS,
    "m": 60 * _NS,
    "h": 3600 * _NS,
}
# As in Go, a unit is the whole run of characters up to the next digit or dot,
# so "1 h" or "1hours" name an unknown unit rather than being half-accepted.
_DURATION_PART = re.compile(r"([0-9]*)(?:\.([0-9]*))?([^0-9.]*)", re.ASCII)
# Past this magnitude the total is out of range whatever follows; stopping
# early keeps absurd inputs from building huge integers.
_DURATION_LIMIT = 2**63


def parse_duration(text: str) -> Duration:
    """A Go-syntax duration such as `1h2m3.5s`, `-1.5s`, `100ms` or `0`.

    Fractions are evaluated exactly with integers and truncated to whole
    nanoseconds, so `0.1s` is exactly 100000000ns.
    """
    body = text
    negative = False
    if body[:1] in ("+", "-"):
        negative = body[0] == "-"
        body = body[1:]
    if body == "0":
        return Duration.from_ns(0)
    if not body:
        fail(f"invalid duration {_quote(text)}")
    total = 0
    pos = 0
    while pos < len(body):
        m = _DURATION_PART.match(body, pos)
        assert m is not None  # every group may be empty, so it always matches
        whole, frac, unit = m.groups()
        if not whole and not frac:
            fail(f"invalid duration {_quote(text)}")
        if not unit:
            fail(f"invalid duration {_quote(text)}: missing unit")
        scale = _DURATION_UNITS.get(unit)
        if scale is None:
            fail(f"invalid duration {_quote(text)}: unknown unit {_quote(unit)}")
        whole = whole.lstrip("0")
        if len(whole) > 20:
            fail("duration out of range")
        try:
            amount = int(whole or "0") * scale
            if frac:
                amount += int(frac) * scale // 10 ** len(frac)
        except ValueError:
            # Only a fraction longer than Python's int-parsing limit lands here.
            fail(f"invalid duration {_quote(text)}: too many digits")
        total += amount
        if total > _DURATION_LIMIT:
            fail("duration out of range")
        pos = m.end()
    return Duration.from_ns(-total if negative else total)


# --------------------------------------------------------------------------
# Conversions and arithmetic
# --------------------------------------------------------------------------


def timestamp_of(x: Any) -> Timestamp:
    """`timestamp(x)` for a string, an int of seconds since the epoch, or a timestamp."""
    if type(x) is Timestamp:
        return x
    if type(x) is str:
        return parse_timestamp(x)
    # bool and uint are int subclasses in Python but not overloads in CEL.
    if type(x) is int:
        return Timestamp.from_ns(x * _NS)
    no_overload("timestamp", x)


def duration_of(x: Any) -> Duration:
    """`duration(x)` for a string or a duration."""
    if type(x) is Duration:
        return x
    if type(x) is str:
        return parse_duration(x)
    no_overload("duration", x)


def add(a: Any, b: Any) -> Any:
    """timestamp+duration, duration+timestamp, duration+duration; else NotImplemented."""
    ta, tb = type(a), type(b)
    if ta is Duration and tb is Duration:
        return Duration.from_ns(a.ns + b.ns)
    if ta is Timestamp and tb is Duration:
        return Timestamp.from_ns(a.ns + b.ns)
    if ta is Duration and tb is Timestamp:
        return Timestamp.from_ns(a.ns + b.ns)
    return NotImplemented


def sub(a: Any, b: Any) -> Any:
    """timestamp-duration, timestamp-timestamp, duration-duration; else NotImplemented."""
    ta, tb = type(a), type(b)
    if ta is Duration and tb is Duration:
        return Duration.from_ns(a.ns - b.ns)
    if ta is Timestamp and tb is Duration:
        return Timestamp.from_ns(a.ns - b.ns)
    if ta is Timestamp and tb is Timestamp:
        return Duration.from_ns(a.ns - b.ns)
    return NotImplemented


# --------------------------------------------------------------------------
# Accessors
# --------------------------------------------------------------------------

_FIXED_OFFSET = re.compile(r"([+-]?)([0-9]{1,2}):([0-9]{2})", re.ASCII)


def _utc_offset(ts: Timestamp, tz: str) -> int:
    """Seconds east of UTC that `tz` has at the instant `ts`."""
    m = _FIXED_OFFSET.fullmatch(tz)
    if m is not None:
        hours, minutes = int(m.group(2)), int(m.group(3))
        if hours > 23 or minutes > 59:
            fail(f"invalid time zone offset {_quote(tz)}")
        return (hours * 3600 + minutes * 60) * (-1 if m.group(1) == "-" else 1)
    try:
        zone = zoneinfo.ZoneInfo(tz)
    except (ValueError, KeyError, OSError):
        # KeyError covers ZoneInfoNotFoundError; ValueError rejects keys that
        # look like paths; OSError a key naming a directory.
        fail(f"unknown time zone {_quote(tz)}")
    seconds = ts.seconds
    try:
        local = (_EPOCH_DT + _dt.timedelta(seconds=seconds)).astimezone(zone)
    except OverflowError:
        # The local time falls outside year 1..9999; no zone changes its rules
        # within days of those edges, so an instant a little inward will do.
        inward = seconds + (2 * 86_400 if seconds < 0 else -2 * 86_400)
        local = (_EPOCH_DT + _dt.timedelta(seconds=inward)).astimezone(zone)
    offset = local.utcoffset()
    assert offset is not None
    return offset.days * 86_400 + offset.seconds


class _Civil:
    """Calendar fields of an instant in some zone (computed for any year)."""

    __slots__ = ("year", "month", "day", "yday", "wday", "hour", "minute", "second", "nanos")

    def __init__(self, ts: Timestamp, offset: int) -> None:
        seconds, self.nanos = divmod(ts.ns, _NS)
        days, sod = divmod(seconds + offset, 86_400)
        self.hour, rem = divmod(sod, 3600)
        self.minute, self.second = divmod(rem, 60)
        # 1970-01-01 was a Thursday; CEL numbers days from Sunday = 0.
        self.wday = (days + 4) % 7
        ordinal = days + _EPOCH_ORDINAL
        shift = 0
        if ordinal < 1:
            ordinal += _DAYS_PER_400_YEARS
            shift = -400
        elif ordinal > _MAX_ORDINAL:
            ordinal -= _DAYS_PER_400_YEARS
            shift = 400
        date = _dt.date.fromordinal(ordinal)
        self.yday = ordinal - _dt.date(date.year, 1, 1).toordinal()
        self.year = date.year + shift
        self.month = date.month
        self.day = date.day


def _civil(name: str, ts: Timestamp, args: tuple[Any, ...]) -> _Civil:
    if not args:
        return _Civil(ts, 0)
    if len(args) != 1 or type(args[0]) is not str:
        no_overload(name, ts, *args)
    return _Civil(ts, _utc_offset(ts, args[0]))


def _trunc_div(a: int, b: int) -> int:
    """Integer division rounding toward zero, as Go's int conversions do."""
    q = abs(a) // b
    return -q if a < 0 else q


def _timestamp_only(name: str, field: Callable[[_Civil], int]) -> Callable[..., int]:
    def method(receiver: Any, *args: Any) -> int:
        if type(receiver) is not Timestamp:
            no_overload(name, receiver, *args)
        return field(_civil(name, receiver, args))

    method.__name__ = name
    return method


def _time_of_day(
    name: str, field: Callable[[_Civil], int], from_duration: Callable[[int], int]
) -> Callable[..., int]:
    def method(receiver: Any, *args: Any) -> int:
        if type(receiver) is Timestamp:
            return field(_civil(name, receiver, args))
        if type(receiver) is Duration and not args:
            return from_duration(receiver.ns)
        no_overload(name, receiver, *args)

    method.__name__ = name
    return method


def _duration_millis_component(ns: int) -> int:
    # Not the total milliseconds: the conformance suite defines it as the
    # millisecond part of the protobuf `nanos` field, which carries the sign.
    return _trunc_div(ns, 1_000_000) - _trunc_div(ns, _NS) * 1000


_METHODS: dict[str, Callable[..., Any]] = {
    "getFullYear": _timestamp_only("getFullYear", lambda c: c.year),
    "getMonth": _timestamp_only("getMonth", lambda c: c.month - 1),
    "getDayOfYear": _timestamp_only("getDayOfYear", lambda c: c.yday),
    "getDayOfMonth": _timestamp_only("getDayOfMonth", lambda c: c.day - 1),
    "getDate": _timestamp_only("getDate", lambda c: c.day),
    "getDayOfWeek": _timestamp_only("getDayOfWeek", lambda c: c.wday),
    "getHours": _time_of_day(
        "getHours", lambda c: c.hour, lambda ns: _trunc_div(ns, 3600 * _NS)
    ),
    "getMinutes": _time_of_day(
        "getMinutes", lambda c: c.minute, lambda ns: _trunc_div(ns, 60 * _NS)
    ),
    "getSeconds": _time_of_day("getSeconds", lambda c: c.second, lambda ns: _trunc_div(ns, _NS)),
    "getMilliseconds": _time_of_day(
        "getMilliseconds", lambda c: c.nanos // 1_000_000, _duration_millis_component
    ),
}

_DATE_PARTS = ("getFullYear", "getMonth", "getDayOfYear", "getDayOfMonth", "getDate", "getDayOfWeek")

# The `timestamp(...)` / `duration(...)` conversions are declared with the others (conversions.py).
DECLS = tuple(
    standard(
        name, impl, "timestamp -> int", "timestamp, string -> int",
        *(() if name in _DATE_PARTS else ("duration -> int",)), member=True,
        # A time zone name or offset is parsed: charged its length.
        cost=Cost.SCANS,
    )
    for name, impl in _METHODS.items()
)
