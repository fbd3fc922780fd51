"""Hostile numbers: huge literals, overflow at every operator, division by zero,
NaN everywhere, and timestamps/durations at and beyond their ranges."""
from __future__ import annotations

import math

import pytest

import celprice
from celprice import CELCheckError, CELError, CELEvaluationError, CELSyntaxError, Duration, Timestamp, UInt

from ._support import evaluate, outcome, same

pytestmark = pytest.mark.timeout(30)

MAX = "9223372036854775807"
MIN = "-9223372036854775808"
UMAX = "18446744073709551615u"


def fails(src: str, activation: dict | None = None, *, match: str | None = None,
          error: type[CELError] = CELEvaluationError) -> CELError:
    with pytest.raises(error) as info:
        evaluate(src, activation)
    if match is not None:
        assert match in str(info.value), str(info.value)
    return info.value


# --- literals --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "src,value",
    [
        (MAX, 2**63 - 1),
        (MIN, -(2**63)),
        ("-0x8000000000000000", -(2**63)),
        ("0x7fffffffffffffff", 2**63 - 1),
        (UMAX, UInt(2**64 - 1)),
        ("0xFFFFFFFFFFFFFFFFu", UInt(2**64 - 1)),
        ("1.7976931348623157e308", 1.7976931348623157e308),
        ("5e-324", 5e-324),
        ("-0.0", -0.0),
        ("123456789012345678901234567890.0", 1.2345678901234568e29),
        ("0.1e1", 1.0),
    ],
)
def test_extreme_literals_in_range(src: str, value: object) -> None:
    assert same(evaluate(src), value)


@pytest.mark.parametrize(
    "src",
    [
        "9223372036854775808",
        "0x8000000000000000",
        "(9223372036854775808)",
        "-(9223372036854775808)",
        "9223372036854775809",
        "-9223372036854775809",
        "99999999999999999999999999999999999999",
        "18446744073709551616u",
        "0x10000000000000000u",
        "[1, 9223372036854775808]",
    ],
)
def test_integer_literals_out_of_range_are_rejected_at_compile_time(src: str) -> None:
    # Reported before evaluation, as an invalid literal (CELSyntaxError, or a
    # CELCheckError whose problem is one).
    with pytest.raises((CELSyntaxError, CELCheckError)) as info:
        celprice.compile(src, cache=False)
    assert "invalid" in str(info.value) and "literal" in str(info.value)


@pytest.mark.parametrize("src", ["1" * 10_000, "1" * 9_999 + "u", "-" + "9" * 9_999, "0" * 9_999 + "1"])
def test_integer_literals_with_thousands_of_digits(src: str) -> None:
    assert len(src) <= 10_000
    try:
        value = evaluate(src)
    except CELError as e:
        assert "invalid" in str(e)
    else:
        assert src.startswith("0") and value == 1


@pytest.mark.parametrize("src", ["--9223372036854775808", "-(-9223372036854775808)", "- - 9223372036854775808"])
def test_double_negated_int64_min_is_rejected(src: str) -> None:
    # Either at compile time (an invalid literal, as cel-go folds the minus pair) or
    # as an overflow when evaluated: never a value.
    try:
        program = celprice.compile(src, cache=False)
    except (CELSyntaxError, CELCheckError) as e:
        assert "invalid" in str(e)
        return
    with pytest.raises(CELEvaluationError, match="overflow"):
        program.evaluate({})


def test_hex_literal_with_thousands_of_digits() -> None:
    with pytest.raises((CELSyntaxError, CELCheckError), match="invalid"):
        celprice.compile("0x" + "f" * 9_998, cache=False)


@pytest.mark.parametrize("src", ["1e309", "-1e309", "1.99e90000009", "9" * 400 + ".0"])
def test_double_literals_out_of_range_are_rejected(src: str) -> None:
    with pytest.raises(CELSyntaxError, match="invalid double literal"):
        celprice.compile(src, cache=False)


def test_infinity_is_still_reachable_by_arithmetic() -> None:
    assert evaluate("1.7976931348623157e308 * 10.0") == math.inf
    assert evaluate("-1.7976931348623157e308 * 10.0") == -math.inf
    assert evaluate("double('inf')") == math.inf
    assert evaluate("string(1.0 / 0.0)") == "+Inf"
    assert evaluate("string(-1.0 / 0.0)") == "-Inf"


# --- int64 / uint64 overflow at every operator ---------------------------------------------


@pytest.mark.parametrize(
    "src",
    [
        f"{MAX} + 1",
        f"1 + {MAX}",
        f"{MIN} + -1",
        f"{MIN} - 1",
        f"1 - {MIN}",
        f"-2 - {MAX}",
        f"{MAX} * 2",
        f"{MIN} * -1",
        f"-1 * {MIN}",
        "5000000000 * 5000000000",
        "-5000000000 * 5000000000",
        f"{MIN} / -1",
        f"-({MIN})",
        "-x",
        f"x - 1",
        f"math.abs({MIN})",
        f"[{MAX}].map(v, v + 1)",
        f"[{MAX}, 0].exists(v, v * 2 > 0)",  # every element errs or is false: the error stays
    ],
)
def test_int64_overflow_is_an_error(src: str) -> None:
    fails(src, {"x": -(2**63)}, match="overflow")


def test_int64_min_modulo_minus_one_overflows() -> None:
    fails(f"{MIN} % -1", match="overflow")
    fails("x % -1", {"x": -(2**63)}, match="overflow")


@pytest.mark.parametrize(
    "src",
    [f"{UMAX} + 1u", f"1u + {UMAX}", "0u - 1u", "x - 2u", f"{UMAX} * 2u", "5000000000u * 5000000000u"],
)
def test_uint64_overflow_is_an_error(src: str) -> None:
    fails(src, {"x": UInt(1)}, match="overflow")


@pytest.mark.parametrize(
    "src,value",
    [
        (f"{MAX} + 0", 2**63 - 1),
        (f"{MIN} + 0", -(2**63)),
        (f"{MAX} - {MAX}", 0),
        (f"{MIN} / 1", -(2**63)),
        (f"{MAX} / -1", -(2**63) + 1),
        (f"{MIN} % 1", 0),
        (f"-{MAX}", -(2**63) + 1),
        ("-7 / 2", -3),  # truncation toward zero
        ("-7 % 2", -1),  # the dividend's sign
        ("7 % -2", 1),
        (f"{UMAX} - 0u", UInt(2**64 - 1)),
        (f"{UMAX} / 2u", UInt(2**63 - 1)),
    ],
)
def test_arithmetic_at_the_edges_that_fits(src: str, value: object) -> None:
    assert same(evaluate(src), value)


@pytest.mark.parametrize(
    "src,match",
    [
        ("int(1e300)", "range"),
        ("int(-1e300)", "range"),
        ("int(9223372036854775807.0)", "range"),  # rounds to 2**63
        ("int(-9223372036854775808.0)", "range"),
        ("int(x)", "range"),  # NaN
        ("int(y)", "range"),  # +Inf
        ("uint(-1)", "range"),
        ("uint(1e20)", "range"),
        ("uint(18446744073709551616.0)", "range"),
        ("uint(x)", "range"),
        ("int(18446744073709551615u)", "range"),
        ("int('9223372036854775808')", "range"),
        ("int('-9223372036854775809')", "range"),
        ("uint('18446744073709551616')", "range"),
        ("uint('-1')", "range"),
    ],
)
def test_conversions_out_of_range(src: str, match: str) -> None:
    fails(src, {"x": math.nan, "y": math.inf}, match=match)


@pytest.mark.parametrize(
    "src",
    ["int('" + "9" * 5_000 + "')", "uint('" + "9" * 5_000 + "')", "double('" + "9" * 5_000 + "')",
     "int('1_000')", "int(' 1')", "int('0x10')", "int('')"],
)
def test_string_to_number_conversions_of_hostile_text(src: str) -> None:
    kind, value = outcome(src)
    if src.startswith("double"):
        assert kind == "ok" and value == math.inf or kind == "error"
    else:
        assert kind == "error", value


@pytest.mark.parametrize("src", ["int('١٢')", "int('１２')", "uint('٣')", "double('１.５')", "double('٣')"])
def test_string_to_number_rejects_non_ascii_digits(src: str) -> None:
    fails(src, match="convert")


# --- division and modulo by zero ------------------------------------------------------------


@pytest.mark.parametrize("src", ["1 / 0", "0 / 0", "1 % 0", "x / 0", "x % 0", "1u / 0u", "1u % 0u", f"{MIN} / 0"])
def test_integer_division_by_zero_is_an_error(src: str) -> None:
    fails(src, {"x": 5}, match="by zero")


@pytest.mark.parametrize(
    "src,value",
    [("1.0 / 0.0", math.inf), ("-1.0 / 0.0", -math.inf), ("1.0 / -0.0", -math.inf), ("0.0 / 0.0", math.nan),
     ("-0.0 / 0.0", math.nan)],
)
def test_double_division_by_zero_is_ieee(src: str, value: float) -> None:
    assert same(evaluate(src), value)


@pytest.mark.parametrize("src", ["1.0 % 2.0", "1 % 2.0", "1u % 2", "1 + 1u", "1 + 1.0", "1u * 2"])
def test_mixed_or_missing_numeric_overloads(src: str) -> None:
    fails(src, match="no matching overload")


# --- NaN everywhere ------------------------------------------------------------------------------

NAN = {"x": math.nan, "one": 1.0}


@pytest.mark.parametrize(
    "src,value",
    [
        ("x == x", False),
        ("x != x", True),
        ("x < x", False),
        ("x <= x", False),
        ("x > 1", False),
        ("x >= 1", False),
        ("1 < x", False),
        ("1u <= x", False),
        ("x < 1u", False),
        ("[x] == [x]", False),
        ("[x] != [x]", True),
        ("{'a': x} == {'a': x}", False),
        ("x in [x]", False),
        ("x in [1.0, 2.0]", False),
        ("x in {1: 2}", False),
        ("dyn(x) == dyn(x)", False),
        ("[1.0, x].exists(v, v == x)", False),
        ("[x, x].all(v, v != v)", True),
        ("string(x)", "NaN"),
        ("'%s'.format([x])", "NaN"),
        ("math.isNaN(x)", True),
        ("math.isNaN(-x)", True),
        ("math.isNaN(x + 1.0)", True),
        ("math.isNaN(x * 0.0)", True),
        ("math.isNaN(math.greatest(x, 1.0))", True),
        ("math.isNaN(math.round(x))", True),
        ("type(x) == double", True),
        ("[x].size()", 1),
        ("x == x ? 1 : 2", 2),
    ],
)
def test_nan_semantics(src: str, value: object) -> None:
    assert same(evaluate(src, NAN), value)


@pytest.mark.parametrize(
    "src", ["int(x)", "uint(x)", "{x: 1}", "{1: 2}[x]", "duration(string(x) + 's')", "timestamp(string(x))",
            "'%x'.format([x])", "[1, 2][x]"]
)
def test_nan_where_a_value_cannot_be_made(src: str) -> None:
    fails(src, NAN)


def test_signed_zero() -> None:
    assert evaluate("-0.0 == 0.0") is True
    assert evaluate("{0: 'a'}[-0.0]") == "a"
    assert evaluate("string(-0.0)") == "-0"
    assert same(evaluate("-(0.0)"), -0.0)


# --- timestamps and durations ---------------------------------------------------------------


@pytest.mark.parametrize(
    "src",
    [
        "timestamp('0001-01-01T00:00:00Z') - duration('1ns')",
        "timestamp('9999-12-31T23:59:59.999999999Z') + duration('1ns')",
        "timestamp('10000-01-01T00:00:00Z')",
        "timestamp('0000-12-31T23:59:59Z')",
        "timestamp(253402300800)",
        "timestamp(-62135596801)",
        f"timestamp({MAX})",
        f"timestamp({MIN})",
        "timestamp('9999-12-31T23:59:59Z') + duration('24h')",
        "timestamp('9999-12-31T23:59:59.999999999Z') - timestamp('0001-01-01T00:00:00Z')",
        "duration('2562048h')",
        "duration('-2562048h')",
        "duration('2562047h') + duration('1h')",
        "duration('-2562047h') - duration('1h')",
        "duration('9223372036.854775808s')",
        "duration('99999999999999999999999h')",
        "-duration('-9223372036.854775808s')",
    ],
)
def test_time_out_of_range_is_an_error(src: str) -> None:
    fails(src, match="range")


@pytest.mark.parametrize(
    "src",
    [
        "duration('1e400s')", "duration('nans')", "duration('infs')", "duration('1.5.5s')", "duration('')",
        "duration('1')", "duration('-')", "duration('1x')", "duration('1s1')",
        "timestamp('')", "timestamp('2000-01-01')", "timestamp('-0001-01-01T00:00:00Z')", "timestamp('2000-13-01T00:00:00Z')",
        "timestamp('2000-02-30T00:00:00Z')", "timestamp('2000-01-01T24:00:01Z')",
        "timestamp('2000-01-01T00:00:00+99:99')", "timestamp('2000-01-01T00:00:00.0000000000Z')",
        "timestamp('2000-01-01T00:00:00Z').getHours('Mars/Olympus_Mons')",
        "timestamp('2000-01-01T00:00:00Z').getHours('../../../../etc/passwd')",
        "timestamp('2000-01-01T00:00:00Z').getHours('/etc/localtime')",
        "timestamp('2000-01-01T00:00:00Z').getHours('+99:00')",
        "timestamp('2000-01-01T00:00:00Z').getHours('')",
        "timestamp('2000-01-01T00:00:00Z').getHours('\\x00')",
        "timestamp('2000-01-01T00:00:00Z').getHours('" + "A" * 5_000 + "')",
    ],
)
def test_hostile_time_text_is_a_cel_error(src: str) -> None:
    fails(src)


@pytest.mark.parametrize(
    "src,value",
    [
        ("timestamp('0001-01-01T00:00:00Z') == timestamp(-62135596800)", True),
        ("timestamp('9999-12-31T23:59:59.999999999Z') > timestamp(253402300799)", True),
        ("duration('2562047h47m16.854775807s') - duration('2562047h47m16.854775807s')",
         Duration(0)),
        ("duration('-9223372036.854775808s') < duration('0s')", True),
        ("timestamp('9999-12-31T23:59:59Z').getFullYear()", 9999),
        ("timestamp('0001-01-01T00:00:00Z').getFullYear('+14:00')", 1),
        ("timestamp('2000-01-01T00:00:00Z').getHours('-14:00')", 10),
    ],
)
def test_time_at_the_edges(src: str, value: object) -> None:
    assert same(evaluate(src), value)


def test_time_values_from_python_out_of_range() -> None:
    import datetime as dt

    fails("x", {"x": dt.timedelta(days=999_999_999)}, match="range")
    fails("x", {"x": dt.datetime(1, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=5)))}, match="range")
    assert evaluate("x", {"x": dt.datetime(9999, 12, 31, tzinfo=dt.timezone.utc)}) == Timestamp(253402214400)
    fails("x + duration('24h')", {"x": dt.datetime(9999, 12, 31, tzinfo=dt.timezone.utc)}, match="range")
