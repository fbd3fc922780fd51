"""The direct computations of the built-in defaults agree with their CEL formulas."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from celprice import UInt
from celprice.pricing import PricingDefaults, PricingEngine
from celprice.pricing.components import PricingDefaults as Defaults

BUILT_IN = Defaults()
# The same formulas with a trailing space: same meaning and error positions, no fast path.
SLOW = PricingDefaults(
    resource_expression=BUILT_IN.resource_expression + " ",
    total_expression=BUILT_IN.total_expression + " ",
)
INT64_MAX = 2**63 - 1

prices = st.one_of(
    st.integers(0, 10**6), st.integers(-(10**6), -1), st.integers(0, INT64_MAX), st.integers(INT64_MAX, 2**64),
    st.floats(0, 1e6), st.just(UInt(7)), st.booleans(), st.none(), st.text(max_size=3),
)
rows = st.one_of(
    st.fixed_dictionaries({"price_per_second": prices}),
    st.fixed_dictionaries({"name": st.just("gpu")}),
    st.integers(),
)


def test_the_fast_paths_are_used():
    engine = PricingEngine({})
    assert engine.components[0].fast is not None and engine.components[4].fast is not None
    assert PricingEngine({}, defaults=SLOW).components[0].fast is None
    assert PricingEngine({"total_expression": BUILT_IN.total_expression}).components[4].fast is not None
    from celprice import Limits

    assert PricingEngine({}, limits=Limits(max_cost=10)).components[0].fast is None


@settings(max_examples=1500)
@given(st.lists(rows, max_size=4), st.integers(0, 10**12), st.integers(0, INT64_MAX), st.integers(0, INT64_MAX))
def test_fast_and_cel_agree(resources, elapsed_ms, inference, royalty):
    pricing = {"prices": {"i": inference, "r": royalty}, "inference_expression": "prices.i",
               "royalty_expression": "prices.r"}
    task = {"resources": resources, "elapsed_ms": elapsed_ms}
    assert PricingEngine(pricing).evaluate(**task) == PricingEngine(pricing, defaults=SLOW).evaluate(**task)


def test_an_explicit_default_total_with_a_failed_fee():
    response = PricingEngine({"inference_expression": "'x'", "total_expression": BUILT_IN.total_expression}).evaluate()
    assert response["total"]["value"] == 0
    assert response["total"]["error"].endswith("depends on inference_fee, which failed")
