"""From a CEL result to microcents, and microcents as dollars."""
from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from celprice import UInt
from celprice.pricing import evaluate_pricing
from celprice.pricing.money import format_dollars, microcents, round_half_away

INT64_MAX = 2**63 - 1


@pytest.mark.parametrize(
    "value, expected",
    [
        (0, 0),
        (7, 7),
        (INT64_MAX, INT64_MAX),
        (UInt(12), 12),
        (UInt(INT64_MAX), INT64_MAX),
        (2.5, 3),  # halves away from zero
        (3.5, 4),
        (2.4999999, 2),
        (0.49999999999999994, 0),  # floor(x + 0.5) would say 1
        (-0.4, 0),  # rounds to zero: not negative
        (1e15 + 0.5, 1000000000000001),
        (9.2e18, 9200000000000000000),
    ],
)
def test_microcents_values(value, expected):
    result, error = microcents(value)
    assert error is None
    assert type(result) is int and result == expected


@pytest.mark.parametrize(
    "value, message",
    [
        (-5, "must not be negative, got -5"),
        (-2.5, "must not be negative, got -2.5"),
        (math.nan, "must be a finite number, got NaN"),
        (math.inf, "must be a finite number, got +Inf"),
        (-math.inf, "must be a finite number, got -Inf"),
        (9.3e18, "must fit in int64, got 9.3e+18"),
        (2.0**63, "must fit in int64, got 9.223372036854776e+18"),
        (UInt(2**63), "must fit in int64, got 9223372036854775808u"),
        (2**63, "must fit in int64, got 9223372036854775808"),
        (True, "must be a number, got bool"),
        ("5", "must be a number, got string"),
        (None, "must be a number, got null_type"),
        ([1], "must be a number, got list"),
        ({"a": 1}, "must be a number, got map"),
    ],
)
def test_microcents_errors(value, message):
    assert microcents(value) == (0, message)


def test_round_half_away_is_symmetric():
    assert round_half_away(-2.5) == -3
    assert round_half_away(-3.5) == -4
    assert round_half_away(-0.5) == -1
    assert round_half_away(0.5) == 1
    assert round_half_away(2.0**60) == 2**60


@given(st.floats(min_value=-1e15, max_value=1e15))
def test_round_half_away_matches_decimal(x):
    from decimal import ROUND_HALF_UP, Decimal

    # Decimal's ROUND_HALF_UP is "half away from zero" on the exact binary value.
    assert round_half_away(x) == int(Decimal(x).quantize(Decimal(1), rounding=ROUND_HALF_UP))


@pytest.mark.parametrize(
    "amount, text",
    [(2500000, "0.025"), (100000000, "1.00"), (123, "0.00000123"), (0, "0.00"), (-150000000, "-1.50"),
     (INT64_MAX, "92233720368.54775807"), (10, "0.0000001"), (1000000, "0.01")],
)
def test_format_dollars(amount, text):
    assert format_dollars(amount) == text


@given(st.integers(min_value=-(2**63), max_value=INT64_MAX))
def test_format_dollars_is_exact(amount):
    from decimal import Decimal

    text = format_dollars(amount)
    assert Decimal(text) * 100000000 == amount
    whole, frac = text.lstrip("-").split(".")
    assert len(frac) >= 2 and (len(frac) == 2 or not frac.endswith("0"))


def _fee(expression: str, **request):
    response = evaluate_pricing({"pricing": {"inference_expression": expression}, **request})
    return response["inference_fee"]


@pytest.mark.parametrize(
    "expression, expected",
    [
        ("2.5", {"value": 3}),
        ("-2.5 * -1.0", {"value": 3}),
        ("5u", {"value": 5}),
        ("-5", {"value": 0, "error": "inference_expression: must not be negative, got -5"}),
        ("-2.5", {"value": 0, "error": "inference_expression: must not be negative, got -2.5"}),
        ("0.0 / 0.0", {"value": 0, "error": "inference_expression: must be a finite number, got NaN"}),
        ("1.0 / 0.0", {"value": 0, "error": "inference_expression: must be a finite number, got +Inf"}),
        ("1e19", {"value": 0, "error": "inference_expression: must fit in int64, got 1e+19"}),
        ("18446744073709551615u", {"value": 0, "error": "inference_expression: must fit in int64, got 18446744073709551615u"}),
        ("'5'", {"value": 0, "error": "inference_expression: must be a number, got string"}),
        ("true", {"value": 0, "error": "inference_expression: must be a number, got bool"}),
        ("null", {"value": 0, "error": "inference_expression: must be a number, got null_type"}),
        ("[1]", {"value": 0, "error": "inference_expression: must be a number, got list"}),
        ("9223372036854775807 + 1", {"value": 0, "error": "inference_expression:1:21: int64 overflow"}),
    ],
)
def test_fee_results_become_microcents(expression, expected):
    assert _fee(expression) == expected


def test_overflow_in_the_default_sums_is_an_error():
    big = {"a": INT64_MAX}
    response = evaluate_pricing(
        {"pricing": {"prices": big, "inference_expression": "prices.a", "partner_expression": "1"}}
    )
    assert response["inference_fee"] == {"value": INT64_MAX}
    assert response["total"]["value"] == 0
    assert "int64 overflow" in response["total"]["error"]
    assert response["total"]["error"].startswith("total_expression:")
    # The default resource expression overflows inside CEL arithmetic.
    response = evaluate_pricing(
        {"pricing": {}, "resources": [{"price_per_second": INT64_MAX}], "usage_seconds": 2}
    )
    assert response["resource_fee"]["value"] == 0
    assert "int64 overflow" in response["resource_fee"]["error"]
    assert response["resource_fee"]["error"].startswith("resource_expression:")
