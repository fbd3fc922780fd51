"""Request validation: RequestError naming the JSON path, never KeyError/TypeError."""
from __future__ import annotations

import pytest

from celprice.pricing import PricingEngine, RequestError, evaluate_pricing

OK = {"inference_expression": "1"}


def _error(request) -> str:
    with pytest.raises(RequestError) as info:
        evaluate_pricing(request)
    assert isinstance(info.value, ValueError)
    return str(info.value)


@pytest.mark.parametrize(
    "request_, message",
    [
        ([], "request: must be an object, got an array"),
        ("x", 'request: must be an object, got "x"'),
        ({}, "pricing: is required"),
        ({"pricing": None}, "pricing: is required"),
        ({"pricing": []}, "pricing: must be an object, got an array"),
        ({"pricing": "x"}, 'pricing: must be an object, got "x"'),
        ({"pricing": {"prices": [1]}}, "pricing.prices: must be an object, got an array"),
        ({"pricing": {"prices": {"per_image": "abc"}}}, 'pricing.prices.per_image: must be a non-negative integer, got "abc"'),
        ({"pricing": {"prices": {"per_image": -1}}}, "pricing.prices.per_image: must be a non-negative integer, got -1"),
        ({"pricing": {"prices": {"per_image": 2.5}}}, "pricing.prices.per_image: must be a non-negative integer, got 2.5"),
        ({"pricing": {"prices": {"per_image": True}}}, "pricing.prices.per_image: must be a non-negative integer, got true"),
        ({"pricing": {"prices": {"per_image": None}}}, "pricing.prices.per_image: must be a non-negative integer, got null"),
        ({"pricing": {"prices": {"per_image": float("nan")}}}, "pricing.prices.per_image: must be a non-negative integer, got NaN"),
        ({"pricing": {"prices": {"x": 2**63}}}, "pricing.prices.x: must fit in int64 (at most 9223372036854775807), got 9223372036854775808"),
        ({"pricing": {"prices": {"per image": "1"}}}, 'pricing.prices["per image"]: must be a non-negative integer, got "1"'),
        ({"pricing": {"prices": {1: 1}}}, "pricing.prices: keys must be strings, got 1"),
        ({"pricing": {"inference_expression": 5}}, "pricing.inference_expression: must be a string, got 5"),
        ({"pricing": {"total_expression": ["1"]}}, "pricing.total_expression: must be a string, got an array"),
        ({"pricing": {"description": {}}}, "pricing.description: must be a string, got an object"),
        ({"pricing": {"estimate": 1.5}}, "pricing.estimate: must be a string, got 1.5"),
        ({"pricing": {"upstream_pricing": False}}, "pricing.upstream_pricing: must be a string, got false"),
        ({"pricing": OK, "output_meta": []}, "output_meta: must be an object, got an array"),
        ({"pricing": OK, "output_meta": {"outputs": {}}}, "output_meta.outputs: must be an array, got an object"),
        ({"pricing": OK, "output_meta": {"inputs": "x"}}, 'output_meta.inputs: must be an array, got "x"'),
        ({"pricing": OK, "resources": {}}, "resources: must be an array, got an object"),
        ({"pricing": OK, "usage_seconds": -1}, "usage_seconds: must be a non-negative integer, got -1"),
        ({"pricing": OK, "usage_seconds": "45"}, 'usage_seconds: must be a non-negative integer, got "45"'),
        ({"pricing": OK, "usage_seconds": 1.5}, "usage_seconds: must be a non-negative integer, got 1.5"),
        ({"pricing": OK, "usage_seconds": 2**62}, "usage_seconds: must be at most 9223372036854775 so that elapsed_ms fits in int64"),
        ({"pricing": OK, "elapsed_ms": -3}, "elapsed_ms: must be a non-negative integer, got -3"),
        ({"pricing": OK, "task_inputs": [1]}, "task_inputs: must be an object, got an array"),
        ({"pricing": OK, "task_function": 3}, "task_function: must be a string, got 3"),
    ],
)
def test_request_errors_name_the_path(request_, message):
    assert _error(request_) == message


def test_request_error_has_path_and_detail():
    with pytest.raises(RequestError) as info:
        evaluate_pricing({"pricing": {"prices": {"per_image": "abc"}}})
    assert info.value.path == "pricing.prices.per_image"
    assert info.value.detail == 'must be a non-negative integer, got "abc"'


def test_accepted_shapes_and_defaults():
    # Integral floats become ints: a formula sees type int.
    response = evaluate_pricing(
        {
            "pricing": {"prices": {"p": 2500.0}, "inference_expression": "type(prices.p) == int ? prices.p : 1"},
            "usage_seconds": 3.0,
        }
    )
    assert response["inference_fee"] == {"value": 2500}
    # Missing lists, maps, strings and numbers take their empty values; null is missing.
    response = evaluate_pricing(
        {
            "pricing": {
                "prices": None,
                "inference_expression": "size(inputs) + size(outputs) + size(resources) + size(task_inputs)"
                " + size(task_function) + usage_seconds + elapsed_ms + size(prices) + size(output_meta)",
            },
            "output_meta": None,
            "resources": None,
        }
    )
    assert response["inference_fee"] == {"value": 2}  # output_meta has inputs and outputs
    response = evaluate_pricing(
        {"pricing": {"inference_expression": "size(output_meta.inputs) + size(output_meta.outputs)"},
         "output_meta": {"outputs": None}}
    )
    assert response["inference_fee"] == {"value": 0}


def test_free_form_rows_are_not_validated_up_front():
    # A bad resource row fails only the formula that reads it.
    response = evaluate_pricing(
        {"pricing": {"partner_expression": "size(resources)"}, "resources": [1, "two"]}
    )
    assert response["partner_fee"] == {"value": 2}
    assert response["resource_fee"]["error"].startswith("resource_expression:")


def test_an_output_meta_item_must_be_an_object():
    # The store decodes items into structs: a string is not an item.
    with pytest.raises(RequestError) as e:
        evaluate_pricing({"pricing": {}, "output_meta": {"outputs": [{"type": "text"}, "not a map"]}})
    assert str(e.value) == 'output_meta.outputs[1]: must be an object, got "not a map"'


def test_elapsed_ms_and_usage_seconds():
    expr = "usage_seconds * 1000000 + elapsed_ms * 10 + resource_ms"
    fee = lambda **kw: evaluate_pricing({"pricing": {"inference_expression": expr, "resource_expression": "0"}, **kw})[
        "inference_fee"
    ]["value"]
    assert fee(usage_seconds=45) == 45 * 1000000 + 45000 * 11
    assert fee(elapsed_ms=12500) == 12 * 1000000 + 12500 * 11  # usage_seconds = elapsed_ms // 1000
    assert fee(elapsed_ms=12500, usage_seconds=13) == 13 * 1000000 + 12500 * 11  # both as given
    assert fee() == 0


def test_the_engine_validates_task_data():
    engine = PricingEngine({"inference_expression": "1"})
    with pytest.raises(RequestError, match=r"^output_meta\.outputs: "):
        engine.evaluate(output_meta={"outputs": 3})
    with pytest.raises(RequestError, match=r"^pricing\.prices\.x: "):
        PricingEngine({"prices": {"x": "1"}})


def test_unknown_fields_are_ignored():
    response = evaluate_pricing({"pricing": {"inference_expression": "1", "comment": 5}, "extra_field": [1]})
    assert response["inference_fee"] == {"value": 1}
