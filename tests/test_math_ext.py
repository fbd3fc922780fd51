"""Direct tests of the math and encoders extensions (no compiler involved)."""
from __future__ import annotations

import base64
import math
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from celprice.errors import CELError, CELEvaluationError, NoSuchOverload
from celprice.stdlib import encoders as enc
from celprice.stdlib import math as cm
from celprice.values import INT64_MAX, INT64_MIN, UINT64_MAX, UInt

F = {f.name: f.overloads[0].impl for f in cm.DECLS}
F2 = {f.name: f.overloads[0].impl for f in enc.DECLS}
NAN = float("nan")
INF = float("inf")


def same(actual: Any, expected: Any) -> bool:
    """Equal with the same CEL type (so 1, 1u and 1.0 are told apart)."""
    if type(actual) is not type(expected):
        return False
    if type(expected) is float and math.isnan(expected):
        return math.isnan(actual)
    if type(expected) is float:
        return actual == expected and math.copysign(1, actual) == math.copysign(1, expected)
    return actual == expected


def test_registration() -> None:
    expected = {
        "greatest", "least", "ceil", "floor", "round", "trunc", "abs", "sign",
        "isNaN", "isInf", "isFinite", "sqrt", "bitAnd", "bitOr", "bitXor",
        "bitNot", "bitShiftLeft", "bitShiftRight",
    }
    assert set(F) == {f"math.{n}" for n in expected}
    assert not any(ov.member for f in (*cm.DECLS, *enc.DECLS) for ov in f.overloads)
    assert {f.name for f in enc.DECLS} == {"base64.encode", "base64.decode"}


# --- greatest / least -------------------------------------------------------

@pytest.mark.parametrize(
    "args, expected",
    [
        ((-5,), -5),
        ((5.0,), 5.0),
        ((UInt(5),), UInt(5)),
        ((3, -3), 3),
        ((-7, 5), 5),
        ((INT64_MIN, 1), 1),
        ((1, INT64_MAX), INT64_MAX),
        ((UInt(5), -7), UInt(5)),
        ((-3, UInt(3)), UInt(3)),
        ((UInt(1), UInt(UINT64_MAX)), UInt(UINT64_MAX)),
        ((1.797693e308, 1), 1.797693e308),
        ((5.4, 10, UInt(3), -5.0, INT64_MAX), INT64_MAX),
        ((5.4, 10, UInt(3), -5.0, UInt(UINT64_MAX)), UInt(UINT64_MAX)),
        (([5.4, 10, UInt(3), -5.0, 3.5],), 10),
        (([5.4, 10.5, UInt(3), -5.0, 3.5],), 10.5),
        (((5.4, UInt(10), UInt(3)),), UInt(10)),
        (([7],), 7),
    ],
)
def test_greatest(args: tuple[Any, ...], expected: Any) -> None:
    assert same(F["math.greatest"](*args), expected)


@pytest.mark.parametrize(
    "args, expected",
    [
        ((-5,), -5),
        ((5.5,), 5.5),
        ((-3, 3), -3),
        ((5, -7), -7),
        ((INT64_MIN, 1), INT64_MIN),
        ((UInt(UINT64_MAX), UInt(1)), UInt(1)),
        ((UInt(5), -7), -7),
        ((-1.797693e308, 1.5), -1.797693e308),
        ((5.4, 10, UInt(3), -5.0, INT64_MAX), -5.0),
        ((5.4, 10, UInt(3), UInt(1), UInt(UINT64_MAX)), UInt(1)),
        (([5.4, UInt(10), UInt(3), UInt(1), 3.5],), UInt(1)),
    ],
)
def test_least(args: tuple[Any, ...], expected: Any) -> None:
    assert same(F["math.least"](*args), expected)


@pytest.mark.parametrize("name", ["math.greatest", "math.least"])
def test_extremum_ties_keep_first_argument_type(name: str) -> None:
    assert same(F[name](1, 1.0), 1)
    assert same(F[name](1.0, 1), 1.0)
    assert same(F[name](UInt(1), 1, 1.0), UInt(1))
    # int64 max and 2**63 are equal in double precision, so the first wins.
    assert same(F[name](INT64_MAX, 9223372036854775808.0), INT64_MAX)
    assert same(F[name](9223372036854775808.0, INT64_MAX), 9223372036854775808.0)


def test_extremum_int_uint_exact() -> None:
    # These would collapse to the same double; int vs uint must compare exactly.
    assert same(cm.greatest(INT64_MAX, UInt(INT64_MAX + 1)), UInt(INT64_MAX + 1))
    assert same(cm.least(INT64_MAX, UInt(INT64_MAX + 1)), INT64_MAX)
    assert same(cm.greatest(INT64_MAX - 1, INT64_MAX), INT64_MAX)


@pytest.mark.parametrize("name", ["math.greatest", "math.least"])
def test_extremum_nan_propagates_regardless_of_position(name: str) -> None:
    for args in [(NAN, 1), (1, NAN), (1, UInt(2), NAN, -INF), ([3.0, NAN],)]:
        assert math.isnan(F[name](*args))


def test_extremum_infinities() -> None:
    assert cm.greatest(INF, INT64_MAX, UInt(UINT64_MAX)) == INF
    assert cm.least(-INF, INT64_MIN) == -INF


@pytest.mark.parametrize("name", ["math.greatest", "math.least"])
@pytest.mark.parametrize(
    "args",
    [
        (True,),
        ("a",),
        (1, "a"),
        (1, None),
        (1, True),
        ([1], [2]),
        ([1, "x"],),
        ([[1]],),
        ({"a": 1},),
    ],
)
def test_extremum_no_overload(name: str, args: tuple[Any, ...]) -> None:
    with pytest.raises(NoSuchOverload):
        F[name](*args)


@pytest.mark.parametrize("name", ["math.greatest", "math.least"])
def test_extremum_empty_is_error(name: str) -> None:
    with pytest.raises(CELEvaluationError):
        F[name]([])
    with pytest.raises(CELEvaluationError):
        F[name](())
    with pytest.raises(CELEvaluationError):
        F[name]()


# --- ceil / floor / round / trunc --------------------------------------------

@pytest.mark.parametrize(
    "name, arg, expected",
    [
        ("math.ceil", -1.2, -1.0),
        ("math.ceil", 1.2, 2.0),
        ("math.ceil", -0.5, -0.0),
        ("math.ceil", 2.0, 2.0),
        ("math.floor", -1.2, -2.0),
        ("math.floor", 1.2, 1.0),
        ("math.floor", 0.5, 0.0),
        ("math.trunc", -1.2, -1.0),
        ("math.trunc", 1.9, 1.0),
        ("math.trunc", -0.7, -0.0),
        ("math.round", -1.6, -2.0),
        ("math.round", -1.4, -1.0),
        ("math.round", -1.5, -2.0),
        ("math.round", 1.2, 1.0),
        ("math.round", 1.5, 2.0),
        ("math.round", 2.5, 3.0),  # Python's round() would give 2
        ("math.round", 0.5, 1.0),
        ("math.round", -0.5, -1.0),
        ("math.round", -0.4, -0.0),
        ("math.round", 0.49999999999999994, 0.0),
        ("math.round", 4503599627370495.5, 4503599627370496.0),
        ("math.round", 1e300, 1e300),
    ],
)
def test_rounding(name: str, arg: float, expected: float) -> None:
    assert same(F[name](arg), expected)


@pytest.mark.parametrize("name", ["math.ceil", "math.floor", "math.round", "math.trunc"])
def test_rounding_special_values(name: str) -> None:
    assert math.isnan(F[name](NAN))
    assert same(F[name](INF), INF)
    assert same(F[name](-INF), -INF)
    assert same(F[name](-0.0), -0.0)
    assert same(F[name](1.797693e308), 1.797693e308)


@pytest.mark.parametrize("name", ["math.ceil", "math.floor", "math.round", "math.trunc"])
@pytest.mark.parametrize("arg", [1, UInt(1), True, "1.5", None])
def test_rounding_no_overload(name: str, arg: Any) -> None:
    with pytest.raises(NoSuchOverload):
        F[name](arg)


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_round_matches_decimal_half_up(x: float) -> None:
    # Decimal's ROUND_HALF_UP is "half away from zero" on the exact binary value.
    expected = float(Decimal(x).to_integral_value(rounding=ROUND_HALF_UP))
    assert cm.round_(x) == expected
    assert math.copysign(1, cm.round_(x)) == math.copysign(1, x)


# --- abs / sign -----------------------------------------------------------------

@pytest.mark.parametrize(
    "arg, expected",
    [
        (UInt(1), UInt(1)),
        (UInt(UINT64_MAX), UInt(UINT64_MAX)),
        (1, 1),
        (-11, 11),
        (0, 0),
        (INT64_MAX, INT64_MAX),
        (INT64_MIN + 1, INT64_MAX),
        (1.5, 1.5),
        (-11.5, 11.5),
        (-0.0, 0.0),
        (-INF, INF),
    ],
)
def test_abs(arg: Any, expected: Any) -> None:
    assert same(cm.abs_(arg), expected)


def test_abs_overflow_and_nan() -> None:
    with pytest.raises(CELEvaluationError):
        cm.abs_(INT64_MIN)
    assert math.isnan(cm.abs_(NAN))
    for bad in (True, "x", None, b"1"):
        with pytest.raises(NoSuchOverload):
            cm.abs_(bad)


@pytest.mark.parametrize(
    "arg, expected",
    [
        (UInt(100), UInt(1)),
        (UInt(0), UInt(0)),
        (100, 1),
        (-11, -1),
        (0, 0),
        (INT64_MIN, -1),
        (100.5, 1.0),
        (-32.0, -1.0),
        (0.0, 0.0),
        (-INF, -1.0),
        (5e-324, 1.0),
    ],
)
def test_sign(arg: Any, expected: Any) -> None:
    assert same(cm.sign(arg), expected)


def test_sign_nan_and_errors() -> None:
    assert math.isnan(cm.sign(NAN))
    for bad in (True, False, "1", None):
        with pytest.raises(NoSuchOverload):
            cm.sign(bad)


# --- isNaN / isInf / isFinite / sqrt ----------------------------------------------

def test_float_classification() -> None:
    assert F["math.isNaN"](NAN) is True
    assert F["math.isNaN"](INF) is False
    assert F["math.isInf"](INF) is True
    assert F["math.isInf"](-INF) is True
    assert F["math.isInf"](NAN) is False
    assert F["math.isFinite"](1.0 / 1.5) is True
    assert F["math.isFinite"](NAN) is False
    assert F["math.isFinite"](-INF) is False


@pytest.mark.parametrize("name", ["math.isNaN", "math.isInf", "math.isFinite"])
@pytest.mark.parametrize("arg", [True, 1, UInt(1), "nan", None])
def test_float_classification_no_overload(name: str, arg: Any) -> None:
    with pytest.raises(NoSuchOverload):
        F[name](arg)


@pytest.mark.parametrize(
    "arg, expected",
    [(4, 2.0), (UInt(9), 3.0), (2.25, 1.5), (0, 0.0), (-0.0, -0.0), (INF, INF)],
)
def test_sqrt(arg: Any, expected: float) -> None:
    assert same(cm.sqrt(arg), expected)


def test_sqrt_negative_and_errors() -> None:
    assert math.isnan(cm.sqrt(-1))
    assert math.isnan(cm.sqrt(-2.5))
    assert math.isnan(cm.sqrt(NAN))
    assert cm.sqrt(INT64_MAX) == math.sqrt(float(INT64_MAX))
    for bad in (True, "4", None):
        with pytest.raises(NoSuchOverload):
            cm.sqrt(bad)


# --- bitwise ----------------------------------------------------------------------

@pytest.mark.parametrize(
    "name, a, b, expected",
    [
        ("math.bitAnd", 1, 2, 0),
        ("math.bitAnd", 1, 3, 1),
        ("math.bitAnd", 1, -1, 1),
        ("math.bitAnd", INT64_MIN, -1, INT64_MIN),
        ("math.bitAnd", UInt(1), UInt(3), UInt(1)),
        ("math.bitOr", 1, 2, 3),
        ("math.bitOr", 4, -2, -2),
        ("math.bitOr", INT64_MIN, INT64_MAX, -1),
        ("math.bitOr", UInt(1), UInt(4), UInt(5)),
        ("math.bitXor", 1, 3, 2),
        ("math.bitXor", 4, -2, -6),
        ("math.bitXor", UInt(1), UInt(3), UInt(2)),
        ("math.bitXor", UInt(UINT64_MAX), UInt(1), UInt(UINT64_MAX - 1)),
    ],
)
def test_bitwise_binary(name: str, a: Any, b: Any, expected: Any) -> None:
    assert same(F[name](a, b), expected)


@pytest.mark.parametrize("name", ["math.bitAnd", "math.bitOr", "math.bitXor"])
@pytest.mark.parametrize(
    "a, b", [(UInt(2), ""), (1, UInt(1)), (UInt(1), 1), (1.2, 1), ([], [1]), (True, 1)]
)
def test_bitwise_binary_no_overload(name: str, a: Any, b: Any) -> None:
    with pytest.raises(NoSuchOverload):
        F[name](a, b)


@pytest.mark.parametrize(
    "arg, expected",
    [
        (1, -2),
        (-1, 0),
        (0, -1),
        (INT64_MAX, INT64_MIN),
        (UInt(1), UInt(UINT64_MAX - 1)),
        (UInt(0), UInt(UINT64_MAX)),
        (UInt(UINT64_MAX), UInt(0)),
    ],
)
def test_bit_not(arg: Any, expected: Any) -> None:
    assert same(cm.bit_not(arg), expected)


def test_bit_not_no_overload() -> None:
    for bad in ("", 1.0, True):
        with pytest.raises(NoSuchOverload):
            cm.bit_not(bad)


@pytest.mark.parametrize(
    "value, amount, expected",
    [
        (1, 2, 4),
        (1, 0, 1),
        (-1, 0, -1),
        (1, 62, 1 << 62),
        (1, 63, INT64_MIN),  # wraps into the sign bit
        (3, 63, INT64_MIN),
        (-1, 63, INT64_MIN),
        (1, 64, 0),
        (1, 200, 0),
        (-1, 200, 0),
        (INT64_MAX, 1, -2),
        (UInt(1), 2, UInt(4)),
        (UInt(1), 63, UInt(1 << 63)),
        (UInt(UINT64_MAX), 1, UInt(UINT64_MAX - 1)),
        (UInt(1), 64, UInt(0)),
        (UInt(1), 200, UInt(0)),
    ],
)
def test_bit_shift_left(value: Any, amount: int, expected: Any) -> None:
    assert same(cm.bit_shift_left(value, amount), expected)


@pytest.mark.parametrize(
    "value, amount, expected",
    [
        (1024, 2, 256),
        (1024, 0, 1024),
        (-1024, 0, -1024),
        (-1024, 3, 2305843009213693824),  # logical, not arithmetic
        (-1, 1, INT64_MAX),
        (-1, 63, 1),
        (INT64_MIN, 63, 1),
        (1024, 64, 0),
        (-1024, 64, 0),
        (UInt(1024), 2, UInt(256)),
        (UInt(UINT64_MAX), 63, UInt(1)),
        (UInt(1024), 64, UInt(0)),
        (UInt(1024), 200, UInt(0)),
    ],
)
def test_bit_shift_right(value: Any, amount: int, expected: Any) -> None:
    assert same(cm.bit_shift_right(value, amount), expected)


@pytest.mark.parametrize("name", ["math.bitShiftLeft", "math.bitShiftRight"])
def test_shift_errors(name: str) -> None:
    for value in (1, UInt(1)):
        with pytest.raises(CELEvaluationError) as info:
            F[name](value, -1)
        assert not isinstance(info.value, NoSuchOverload)
        with pytest.raises(CELEvaluationError):
            F[name](value, INT64_MIN)
    for value, amount in [(4.3, 1), (b"123", 1), (True, 1), (1, UInt(1)), (1, 1.0), (1, True)]:
        with pytest.raises(NoSuchOverload):
            F[name](value, amount)


@given(st.integers(INT64_MIN, INT64_MAX), st.integers(0, 80))
def test_int_shifts_match_64_bit_model(value: int, amount: int) -> None:
    left = cm.bit_shift_left(value, amount)
    right = cm.bit_shift_right(value, amount)
    assert type(left) is int and type(right) is int
    assert INT64_MIN <= left <= INT64_MAX and INT64_MIN <= right <= INT64_MAX
    unsigned = value % 2**64
    exp_left = (unsigned << amount) % 2**64 if amount < 64 else 0
    exp_right = unsigned >> amount if amount < 64 else 0
    assert left % 2**64 == exp_left
    assert right % 2**64 == exp_right


# --- base64 -----------------------------------------------------------------------

def test_base64_encode() -> None:
    assert F2["base64.encode"](b"hello") == "aGVsbG8="
    assert enc.base64_encode(b"") == ""
    assert enc.base64_encode(b"\x00\xff") == "AP8="
    assert enc.base64_encode(b"\xfb\xff\xbf") == "+/+/"  # standard, not URL-safe
    assert enc.base64_encode(bytes(range(256)) * 100) == base64.b64encode(
        bytes(range(256)) * 100
    ).decode()  # long input: no line breaks


@pytest.mark.parametrize(
    "text, expected",
    [
        ("aGVsbG8=", b"hello"),
        ("aGVsbG8", b"hello"),
        ("aGVsbA==", b"hell"),
        ("aGVsbA", b"hell"),
        ("aGVs", b"hel"),
        ("", b""),
        ("+/+/", b"\xfb\xff\xbf"),
        ("SGVsbG8gV29ybGQh", b"Hello World!"),
    ],
)
def test_base64_decode(text: str, expected: bytes) -> None:
    assert F2["base64.decode"](text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "a",  # one leftover character cannot encode a byte
        "aGVsb",
        "aGVsbG8==",  # too much padding
        "aGVsbA=",  # too little padding
        "aGVs===",
        "====",
        "=",
        "aG=sbG8=",  # padding in the middle
        "aGVsbG8=aGVs",
        "-_-_",  # URL-safe alphabet
        "aGVs bG8=",
        "aGVsbG8=\n",
        "aGVsbG8?",
        "héllo",
    ],
)
def test_base64_decode_invalid(text: str) -> None:
    with pytest.raises(CELEvaluationError):
        enc.base64_decode(text)


def test_base64_wrong_types() -> None:
    for bad in ("hello", 1, None, bytearray(b"x")):
        with pytest.raises(NoSuchOverload):
            enc.base64_encode(bad)
    for bad in (b"aGVsbG8=", 1, None):
        with pytest.raises(NoSuchOverload):
            enc.base64_decode(bad)


@given(st.binary(max_size=64))
def test_base64_round_trip(data: bytes) -> None:
    encoded = enc.base64_encode(data)
    assert encoded == base64.b64encode(data).decode()
    assert enc.base64_decode(encoded) == data
    assert enc.base64_decode(encoded.rstrip("=")) == data


@given(st.text(max_size=12))
def test_base64_decode_never_leaks_python_errors(text: str) -> None:
    try:
        result = enc.base64_decode(text)
    except CELError:
        return
    assert type(result) is bytes


def test_all_errors_are_cel_errors() -> None:
    calls = [
        lambda: cm.abs_(INT64_MIN),
        lambda: cm.greatest([]),
        lambda: cm.least("x"),
        lambda: cm.bit_shift_left(1, -5),
        lambda: cm.ceil(1),
        lambda: enc.base64_decode("!"),
    ]
    for call in calls:
        with pytest.raises(CELError):
            call()
