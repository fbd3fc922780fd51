"""Direct tests of celprice.stdlib.time (no compiler involved)."""
from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from celprice.errors import CELError, CELEvaluationError, NoSuchOverload
from celprice.stdlib import time as cel_time
from celprice.values import INT64_MAX, INT64_MIN, Duration, Timestamp, UInt

NS = 1_000_000_000
TS_MIN_NS = -62135596800 * NS
TS_MAX_NS = 253402300799 * NS + NS - 1

ts = cel_time.parse_timestamp
dur = cel_time.parse_duration
M = {f.name: f.overloads[0].impl for f in cel_time.DECLS}


# ---------------------------------------------------------------- timestamps


@pytest.mark.parametrize(
    "text, ns",
    [
        ("1970-01-01T00:00:00Z", 0),
        ("2009-02-13T23:31:30Z", 1234567890 * NS),
        ("2009-02-13T23:31:30.123456789Z", 1234567890 * NS + 123456789),
        ("2009-02-13T23:31:30.5Z", 1234567890 * NS + 500_000_000),
        ("2009-02-13T23:31:30.000000001Z", 1234567890 * NS + 1),
        ("2009-02-14T00:31:30+01:00", 1234567890 * NS),
        ("2009-02-13T15:31:30-08:00", 1234567890 * NS),
        ("2009-02-13T23:31:30-00:00", 1234567890 * NS),
        ("2009-02-13t23:31:30z", 1234567890 * NS),
        ("1969-12-31T23:59:59.999999999Z", -1),
        ("0001-01-01T00:00:00Z", TS_MIN_NS),
        ("9999-12-31T23:59:59.999999999Z", TS_MAX_NS),
        ("0001-01-01T01:00:00+01:00", TS_MIN_NS),
        ("9999-12-31T22:59:59.999999999-01:00", TS_MAX_NS),
        ("2000-02-29T00:00:00Z", 951782400 * NS),
    ],
)
def test_parse_timestamp(text: str, ns: int) -> None:
    assert ts(text).ns == ns


@pytest.mark.parametrize(
    "text",
    [
        "",
        "2009-02-13",
        "2009-02-13 23:31:30Z",
        "2009-02-13T23:31:30",
        "2009-02-13T23:31:30.Z",
        "2009-02-13T23:31:30.1234567890Z",
        "2009-02-13T24:00:00Z",
        "2009-02-13T23:60:00Z",
        "2009-02-13T23:59:60Z",
        "2009-13-01T00:00:00Z",
        "2009-00-01T00:00:00Z",
        "2009-02-29T00:00:00Z",
        "2009-02-13T23:31:30+24:00",
        "2009-02-13T23:31:30+01:60",
        "2009-02-13T23:31:30+0100",
        "2009-2-13T23:31:30Z",
        "209-02-13T23:31:30Z",
        " 2009-02-13T23:31:30Z",
        "2009-02-13T23:31:30Z\n",
        "２００９-02-13T23:31:30Z",  # full-width digits are not ASCII digits
    ],
)
def test_parse_timestamp_invalid(text: str) -> None:
    with pytest.raises(CELEvaluationError, match="invalid timestamp"):
        ts(text)


@pytest.mark.parametrize(
    "text",
    [
        "0000-01-01T00:00:00Z",
        "10000-01-01T00:00:00Z",
        "0001-01-01T00:00:00+00:01",
        "0001-01-01T00:00:00.5+01:00",
        "9999-12-31T23:59:59-00:01",
    ],
)
def test_parse_timestamp_range(text: str) -> None:
    with pytest.raises(CELEvaluationError, match="range"):
        ts(text)


@pytest.mark.parametrize(
    "ns, text",
    [
        (0, "1970-01-01T00:00:00Z"),
        (500_000_000, "1970-01-01T00:00:00.5Z"),
        (1, "1970-01-01T00:00:00.000000001Z"),
        (-1, "1969-12-31T23:59:59.999999999Z"),
        (1234567890 * NS, "2009-02-13T23:31:30Z"),
        (1234567890 * NS + 120_000_000, "2009-02-13T23:31:30.12Z"),
        (TS_MIN_NS, "0001-01-01T00:00:00Z"),
        (TS_MAX_NS, "9999-12-31T23:59:59.999999999Z"),
    ],
)
def test_format_timestamp(ns: int, text: str) -> None:
    assert cel_time.format_timestamp(Timestamp.from_ns(ns)) == text
    assert str(Timestamp.from_ns(ns)) == text


@given(st.integers(TS_MIN_NS, TS_MAX_NS))
def test_timestamp_round_trip(ns: int) -> None:
    value = Timestamp.from_ns(ns)
    assert ts(cel_time.format_timestamp(value)) == value


@given(st.integers(TS_MIN_NS // 1000, TS_MAX_NS // 1000))
def test_format_timestamp_agrees_with_datetime(micros: int) -> None:
    value = Timestamp.from_ns(micros * 1000)
    d = value.to_datetime()
    # strftime's %Y does not zero-pad years below 1000 on every platform.
    expected = f"{d.year:04d}-{d.month:02d}-{d.day:02d}T{d.hour:02d}:{d.minute:02d}:{d.second:02d}"
    assert cel_time.format_timestamp(value).startswith(expected)


# ----------------------------------------------------------------- durations


@pytest.mark.parametrize(
    "text, ns",
    [
        ("0", 0),
        ("-0", 0),
        ("+0", 0),
        ("0s", 0),
        ("1s", NS),
        ("+1s", NS),
        ("-1.5s", -1_500_000_000),
        ("1h2m3.5s", 3723 * NS + 500_000_000),
        ("100ms", 100_000_000),
        ("1us", 1000),
        ("1\u00b5s", 1000),
        ("1\u03bcs", 1000),
        ("7ns", 7),
        ("1.s", NS),
        (".5s", 500_000_000),
        ("0.1s", 100_000_000),
        ("1.0000000019s", NS + 1),  # truncated to whole nanoseconds
        ("0.1ns", 0),
        ("1.5h", 5400 * NS),
        ("2h", 7200 * NS),
        ("1h45m47s", 6347 * NS),
        ("1s1s", 2 * NS),
        ("-999999999ns", -999999999),
        ("000000000000000000000000000001s", NS),
        ("9223372036854775807ns", INT64_MAX),
        ("-9223372036854775808ns", INT64_MIN),
        ("9223372036.854775807s", INT64_MAX),
        ("-2562047h47m16.854775808s", INT64_MIN),
    ],
)
def test_parse_duration(text: str, ns: int) -> None:
    assert dur(text).ns == ns


@pytest.mark.parametrize(
    "text",
    ["", "-", "+", "1", "1.5", "s", ".s", "1..5s", "1d", "1 s", "1S", "--1s", "1s-1s",
     "1hours", "0x10s", "１s", "1e3s", " 1s"],
)
def test_parse_duration_invalid(text: str) -> None:
    with pytest.raises(CELEvaluationError, match="invalid duration"):
        dur(text)


@pytest.mark.parametrize(
    "text",
    [
        "9223372036854775808ns",
        "-9223372036854775809ns",
        "320000000000s",
        "-320000000000s",
        "2562048h",
        "9" * 100 + "s",
        "2562047h47m16.854775808s",
    ],
)
def test_parse_duration_range(text: str) -> None:
    with pytest.raises(CELEvaluationError, match="range"):
        dur(text)


def test_parse_duration_huge_fraction_is_an_error_not_a_crash() -> None:
    with pytest.raises(CELError):
        dur("0." + "1" * 10000 + "s")


@pytest.mark.parametrize(
    "ns, text",
    [
        (0, "0s"),
        (1_500_000_000, "1.5s"),
        (-1_500_000_000, "-1.5s"),
        (3600 * NS, "3600s"),
        (-1, "-0.000000001s"),
        (1, "0.000000001s"),
        (1_000_000 * NS, "1000000s"),
        (123 * NS + 321456789, "123.321456789s"),
        (INT64_MIN, "-9223372036.854775808s"),
        (INT64_MAX, "9223372036.854775807s"),
    ],
)
def test_format_duration(ns: int, text: str) -> None:
    assert cel_time.format_duration(Duration.from_ns(ns)) == text
    assert str(Duration.from_ns(ns)) == text


@given(st.integers(INT64_MIN, INT64_MAX))
def test_duration_round_trip(ns: int) -> None:
    value = Duration.from_ns(ns)
    assert dur(cel_time.format_duration(value)) == value


# --------------------------------------------------------------- conversions


def test_timestamp_of() -> None:
    value = ts("2009-02-13T23:31:30Z")
    assert cel_time.timestamp_of(value) is value
    assert cel_time.timestamp_of("2009-02-13T23:31:30Z") == value
    assert cel_time.timestamp_of(1234567890) == value
    assert cel_time.timestamp_of(-62135596800).ns == TS_MIN_NS
    assert cel_time.timestamp_of(253402300799) == ts("9999-12-31T23:59:59Z")


@pytest.mark.parametrize("seconds", [-62135596801, 253402300800, 2**70])
def test_timestamp_of_int_range(seconds: int) -> None:
    with pytest.raises(CELEvaluationError, match="range"):
        cel_time.timestamp_of(seconds)


@pytest.mark.parametrize("arg", [True, UInt(5), 1.5, b"x", None, [], {}, Duration(1)])
def test_timestamp_of_wrong_type(arg: object) -> None:
    with pytest.raises(NoSuchOverload, match="'timestamp'"):
        cel_time.timestamp_of(arg)


def test_duration_of() -> None:
    value = dur("100s")
    assert cel_time.duration_of(value) is value
    assert cel_time.duration_of("100s") == value


@pytest.mark.parametrize("arg", [100, True, UInt(5), 1.5, b"1s", None, Timestamp(0)])
def test_duration_of_wrong_type(arg: object) -> None:
    with pytest.raises(NoSuchOverload, match="'duration'"):
        cel_time.duration_of(arg)


# ---------------------------------------------------------------- arithmetic


def test_add() -> None:
    assert cel_time.add(ts("2009-02-13T23:00:00Z"), dur("240s")) == ts("2009-02-13T23:04:00Z")
    assert cel_time.add(dur("120s"), ts("2009-02-13T23:01:00Z")) == ts("2009-02-13T23:03:00Z")
    assert cel_time.add(dur("600s"), dur("50s")) == dur("650s")
    assert cel_time.add(
        ts("0001-01-01T00:00:01.000000001Z"), dur("-999999999ns")
    ) == ts("0001-01-01T00:00:00.000000002Z")
    assert cel_time.add(
        ts("0001-01-01T00:00:01.999999999Z"), dur("999999999ns")
    ) == ts("0001-01-01T00:00:02.999999998Z")


def test_sub() -> None:
    assert cel_time.sub(ts("2009-02-13T23:10:00Z"), dur("600s")) == ts("2009-02-13T23:00:00Z")
    assert cel_time.sub(ts("2009-02-13T23:31:00Z"), ts("2009-02-13T23:29:00Z")) == dur("120s")
    assert cel_time.sub(ts("2009-02-13T23:29:00Z"), ts("2009-02-13T23:31:00Z")) == dur("-120s")
    assert cel_time.sub(dur("900s"), dur("42s")) == dur("858s")


@pytest.mark.parametrize(
    "op, a, b",
    [
        (cel_time.add, ts("0001-01-01T00:00:00Z"), dur("-1s")),
        (cel_time.add, ts("0001-01-01T00:00:00Z"), dur("-1ns")),
        (cel_time.add, ts("9999-12-31T23:59:59Z"), dur("1s")),
        (cel_time.add, ts("9999-12-31T23:59:59.999999999Z"), dur("1ns")),
        (cel_time.add, dur("1ns"), ts("9999-12-31T23:59:59.999999999Z")),
        (cel_time.sub, ts("9999-12-31T23:59:59Z"), ts("0001-01-01T00:00:00Z")),
        (cel_time.sub, ts("0001-01-01T00:00:00Z"), ts("9999-12-31T23:59:59Z")),
        (cel_time.sub, ts("0001-01-01T00:00:00Z"), dur("1ns")),
        (cel_time.add, dur("5000000000s"), dur("5000000000s")),
        (cel_time.add, dur("-5000000000s"), dur("-5000000000s")),
        (cel_time.sub, dur("-5000000000s"), dur("5000000000s")),
        (cel_time.sub, dur("5000000000s"), dur("-5000000000s")),
    ],
)
def test_arithmetic_range(op, a, b) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(CELEvaluationError, match="range"):
        op(a, b)


@pytest.mark.parametrize(
    "op, a, b",
    [
        (cel_time.add, Timestamp(0), Timestamp(0)),
        (cel_time.add, Timestamp(0), 1),
        (cel_time.add, 1, Duration(1)),
        (cel_time.add, 1, 2),
        (cel_time.sub, Duration(1), Timestamp(0)),
        (cel_time.sub, Timestamp(0), 1),
        (cel_time.sub, "a", "b"),
    ],
)
def test_arithmetic_not_implemented(op, a, b) -> None:  # type: ignore[no-untyped-def]
    assert op(a, b) is NotImplemented


# ----------------------------------------------------------------- accessors

FRIDAY = ts("2009-02-13T23:31:30Z")


@pytest.mark.parametrize(
    "name, expected",
    [
        ("getFullYear", 2009),
        ("getMonth", 1),
        ("getDayOfYear", 43),
        ("getDayOfMonth", 12),
        ("getDate", 13),
        ("getDayOfWeek", 5),
        ("getHours", 23),
        ("getMinutes", 31),
        ("getSeconds", 30),
        ("getMilliseconds", 0),
    ],
)
def test_timestamp_accessors_utc(name: str, expected: int) -> None:
    assert M[name](FRIDAY) == expected
    assert M[name](FRIDAY, "UTC") == expected
    assert M[name](FRIDAY, "+00:00") == expected
    assert M[name](FRIDAY, "-00:00") == expected


@pytest.mark.parametrize(
    "name, value, tz, expected",
    [
        ("getDate", FRIDAY, "Australia/Sydney", 14),
        ("getDayOfMonth", FRIDAY, "US/Central", 12),
        ("getDayOfMonth", FRIDAY, "+11:00", 13),
        ("getDayOfMonth", ts("2009-02-13T02:00:00Z"), "-02:30", 11),
        ("getDayOfMonth", ts("2009-02-13T02:00:00Z"), "America/St_Johns", 11),
        ("getDayOfWeek", FRIDAY, "UTC", 5),
        ("getDayOfWeek", FRIDAY, "Asia/Tokyo", 6),
        ("getDayOfYear", FRIDAY, "US/Central", 43),
        ("getFullYear", FRIDAY, "-09:30", 2009),
        ("getFullYear", ts("2009-12-31T23:00:00Z"), "Europe/Paris", 2010),
        ("getMonth", ts("2009-12-31T23:00:00Z"), "Europe/Paris", 0),
        ("getDayOfYear", ts("2009-12-31T23:00:00Z"), "Europe/Paris", 0),
        ("getHours", FRIDAY, "02:00", 1),
        ("getHours", FRIDAY, "+05:30", 5),
        ("getMinutes", FRIDAY, "+05:30", 1),
        ("getHours", FRIDAY, "America/Los_Angeles", 15),
        ("getHours", ts("2009-07-13T23:31:30Z"), "America/Los_Angeles", 16),  # DST
        ("getMinutes", FRIDAY, "Asia/Kathmandu", 16),
        ("getMonth", FRIDAY, "UTC", 1),
        ("getSeconds", FRIDAY, "-00:00", 30),
        ("getMilliseconds", ts("2009-02-13T23:31:20.123456789Z"), "Asia/Kathmandu", 123),
    ],
)
def test_timestamp_accessors_tz(name: str, value: Timestamp, tz: str, expected: int) -> None:
    assert M[name](value, tz) == expected


def test_timestamp_milliseconds_keep_nanosecond_source() -> None:
    assert M["getMilliseconds"](ts("2009-02-13T23:31:20.123456789Z")) == 123
    assert M["getMilliseconds"](ts("1969-12-31T23:59:59.999999999Z")) == 999
    assert M["getSeconds"](ts("1969-12-31T23:59:59.999999999Z")) == 59


def test_leap_year_day_of_year() -> None:
    assert M["getDayOfYear"](ts("2000-12-31T00:00:00Z")) == 365
    assert M["getDayOfYear"](ts("2001-12-31T00:00:00Z")) == 364
    assert M["getDate"](ts("2000-02-29T12:00:00Z")) == 29


def test_edges_shifted_outside_the_range() -> None:
    first = ts("0001-01-01T00:00:00Z")
    last = ts("9999-12-31T23:59:59.999999999Z")
    # Local dates in year 0 / 10000 are still well defined (proleptic Gregorian).
    assert M["getFullYear"](first, "-08:00") == 0
    assert M["getMonth"](first, "-08:00") == 11
    assert M["getDate"](first, "-08:00") == 31
    assert M["getDayOfYear"](first, "-08:00") == 365  # year 0 is a leap year
    assert M["getHours"](first, "-08:00") == 16
    assert M["getFullYear"](last, "+08:00") == 10000
    assert M["getDayOfYear"](last, "+08:00") == 0
    assert M["getFullYear"](first, "America/Los_Angeles") == 0
    assert M["getFullYear"](last, "Asia/Tokyo") == 10000
    assert M["getFullYear"](first) == 1
    assert M["getDayOfWeek"](first) == 1  # 0001-01-01 was a Monday
    assert M["getFullYear"](last) == 9999
    assert M["getDayOfWeek"](last) == 5
    assert M["getDayOfWeek"](first, "-08:00") == 0


@given(
    st.integers(TS_MIN_NS + 2 * 86400 * NS, TS_MAX_NS - 2 * 86400 * NS),
    st.sampled_from(["UTC", "+05:30", "-08:00", "America/New_York", "Asia/Kathmandu",
                     "Australia/Lord_Howe"]),
)
def test_accessors_agree_with_datetime(ns: int, tz: str) -> None:
    value = Timestamp.from_ns(ns)
    if ":" in tz:
        sign = -1 if tz[0] == "-" else 1
        zone: dt.tzinfo = dt.timezone(sign * dt.timedelta(hours=int(tz[1:3]), minutes=int(tz[4:])))
    else:
        import zoneinfo

        zone = zoneinfo.ZoneInfo(tz)
    local = value.to_datetime().astimezone(zone)
    assert M["getFullYear"](value, tz) == local.year
    assert M["getMonth"](value, tz) == local.month - 1
    assert M["getDate"](value, tz) == local.day
    assert M["getDayOfMonth"](value, tz) == local.day - 1
    assert M["getDayOfYear"](value, tz) == local.timetuple().tm_yday - 1
    assert M["getDayOfWeek"](value, tz) == local.isoweekday() % 7
    assert M["getHours"](value, tz) == local.hour
    assert M["getMinutes"](value, tz) == local.minute
    assert M["getSeconds"](value, tz) == local.second
    assert M["getMilliseconds"](value, tz) == local.microsecond // 1000


@pytest.mark.parametrize(
    "tz", ["Mars/Olympus", "", "not a zone", "../etc/passwd", "/etc/localtime", "America",
           "+24:00", "+01:60", "1:2:3", "+1:5"],
)
def test_bad_time_zone(tz: str) -> None:
    with pytest.raises(CELEvaluationError) as info:
        M["getHours"](FRIDAY, tz)
    assert not isinstance(info.value, NoSuchOverload)
    assert "time zone" in info.value.message


@pytest.mark.parametrize("name", sorted(M))
def test_wrong_argument_types(name: str) -> None:
    with pytest.raises(NoSuchOverload, match=name):
        M[name](FRIDAY, 5)
    with pytest.raises(NoSuchOverload):
        M[name](FRIDAY, "UTC", "UTC")
    with pytest.raises(NoSuchOverload):
        M[name]("2009-02-13T23:31:30Z")
    with pytest.raises(NoSuchOverload):
        M[name](1234567890)
    with pytest.raises(NoSuchOverload):
        M[name](dur("1s"), "UTC")


@pytest.mark.parametrize(
    "name", ["getFullYear", "getMonth", "getDayOfYear", "getDayOfMonth", "getDate", "getDayOfWeek"]
)
def test_date_accessors_reject_durations(name: str) -> None:
    with pytest.raises(NoSuchOverload):
        M[name](dur("100000s"))


@pytest.mark.parametrize(
    "name, text, expected",
    [
        ("getHours", "10000s", 2),
        ("getMinutes", "3730s", 62),
        ("getSeconds", "3730s", 3730),
        ("getMilliseconds", "123.321456789s", 321),
        ("getHours", "-10000s", -2),
        ("getMinutes", "-3730s", -62),
        ("getSeconds", "-1.5s", -1),
        ("getMilliseconds", "-1.5s", -500),
        ("getMilliseconds", "-0.0009s", 0),
        ("getMilliseconds", "2.9999s", 999),
        ("getSeconds", "0.999999999s", 0),
        ("getHours", "59m59s", 0),
        ("getHours", "0", 0),
    ],
)
def test_duration_accessors(name: str, text: str, expected: int) -> None:
    assert M[name](dur(text)) == expected


def test_duration_milliseconds_from_components() -> None:
    # The conformance case: a Duration message with seconds=123, nanos=321456789.
    assert M["getMilliseconds"](Duration(123, 321456789)) == 321


def test_results_are_plain_ints() -> None:
    for name in M:
        assert type(M[name](FRIDAY)) is int
    for name in ("getHours", "getMinutes", "getSeconds", "getMilliseconds"):
        assert type(M[name](dur("-1h1.5s"))) is int
