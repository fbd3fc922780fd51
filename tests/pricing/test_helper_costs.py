"""The pricing helpers are registry functions like the standard ones: the
list helpers are charged what they scan, and the estimate knows it."""
from __future__ import annotations

import pytest

import celprice
from celprice import CELLimitError, Limits
from celprice.pricing import pricing_environment

OUTPUTS = [{"type": "image", "count": 1} for _ in range(2_000)]


@pytest.mark.parametrize(
    "helper", ["image_count(outputs)", "text_tokens(outputs)", "count_type(outputs, 'image')", "sum([1, 2])"]
)
def test_a_list_helper_has_an_open_ended_estimate(helper: str) -> None:
    env = pricing_environment("total")
    source = f"outputs.map(o, {helper}).size()" if "sum" not in helper else f"outputs.map(o, sum(outputs.map(p, 1))).size()"
    assert celprice.compile(source, env).cost_estimate()[1] is None


def test_a_list_helper_inside_a_comprehension_is_charged_per_item_scanned() -> None:
    env = pricing_environment("total", limits=Limits(max_cost=1_000_000))
    program = celprice.compile("outputs.map(o, image_count(outputs)).size()", env)
    # 2,000 iterations each scanning 2,000 items: 4,000,000 units, over the limit.
    with pytest.raises(CELLimitError, match="max_cost"):
        program.evaluate({"outputs": OUTPUTS})
    assert program.evaluate({"outputs": OUTPUTS[:100]}) == 100

