"""estimate_pricing: estimable detection and the estimate expression."""
from __future__ import annotations

import pytest

from celprice.pricing import RequestError, estimate_pricing
from celprice.pricing.estimate import free_names
from celprice.pricing.environment import pricing_environment
import celprice


def est(pricing, **task):
    return estimate_pricing({"pricing": pricing, **task})


def test_default_resource_expression_is_never_estimable():
    assert est({"inference_expression": "prices.x", "prices": {"x": 5}}) == {"estimable": False, "estimate": None}


def test_estimable_pricing_estimates_its_total():
    pricing = {
        "prices": {"per_image": 2500000},
        "resource_expression": "0",
        "inference_expression": "get(task_inputs, 'num_images', 1) * prices.per_image",
        "total_expression": "max(resource_fee + inference_fee, 100)",
    }
    assert est(pricing, task_inputs={"num_images": 4}) == {"estimable": True, "estimate": 10000000}
    assert est(pricing) == {"estimable": True, "estimate": 2500000}


def test_estimable_pricing_whose_fee_fails():
    pricing = {"resource_expression": "0", "inference_expression": "task_inputs.n * 2"}
    assert est(pricing) == {
        "estimable": True,
        "estimate": None,
        "error": "inference_expression:1:12: no such key: 'n'",
    }


@pytest.mark.parametrize(
    "name", ["output_meta", "inputs", "outputs", "resources", "usage_seconds", "elapsed_ms", "resource_ms"]
)
def test_any_runtime_variable_makes_a_pricing_not_estimable(name):
    for field in ("inference_expression", "royalty_expression", "partner_expression", "total_expression"):
        pricing = {"resource_expression": "0", field: f"true || {name} == null ? 1 : 2"}
        assert est(pricing)["estimable"] is False, field
    assert est({"resource_expression": f"size([{name}])"})["estimable"] is False


def test_shadowed_names_do_not_count():
    pricing = {"resource_expression": "0", "inference_expression": "[1, 2].map(outputs, outputs * 2).sum()"}
    assert est(pricing) == {"estimable": True, "estimate": 6}
    pricing = {"resource_expression": "0", "inference_expression": "cel.bind(inputs, 3, inputs)"}
    assert est(pricing) == {"estimable": True, "estimate": 3}


def test_a_fee_that_does_not_compile_is_not_estimable():
    assert est({"resource_expression": "0", "inference_expression": "1 +"}) == {"estimable": False, "estimate": None}


def test_estimate_expression():
    pricing = {
        "prices": {"per_image": 2500000},
        "inference_expression": "image_count(outputs) * prices.per_image",
        "estimate": "get(task_inputs, 'num_images', 1) * prices.per_image",
    }
    assert est(pricing, task_inputs={"num_images": 2}) == {"estimable": False, "estimate": 5000000}
    ranged = {**pricing, "estimate": "{'min': prices.per_image, 'max': 4 * prices.per_image}"}
    assert est(ranged) == {"estimable": False, "estimate": {"min": 2500000, "max": 10000000}}
    doubles = {**pricing, "estimate": "{'min': 0.4, 'max': 2.5}"}
    assert est(doubles)["estimate"] == {"min": 0, "max": 3}
    by_function = {**pricing, "estimate": "task_function == 'upscale' ? 100 : 200"}
    assert est(by_function, task_function="upscale")["estimate"] == 100


def test_the_estimate_expression_wins_over_computed_fees():
    pricing = {"resource_expression": "0", "inference_expression": "5", "estimate": "7"}
    assert est(pricing) == {"estimable": True, "estimate": 7}


@pytest.mark.parametrize(
    "source, error",
    [
        ("'x'", "estimate: must be a number, got string"),
        ("-1", "estimate: must not be negative, got -1"),
        ("{'min': 1}", "estimate: a map estimate must have exactly the keys 'min' and 'max', got 'min'"),
        ("{'min': 1, 'max': 2, 'avg': 1}", "estimate: a map estimate must have exactly the keys 'min' and 'max', got 'avg', 'max', 'min'"),
        ("{'min': 5, 'max': 2}", "estimate: min must not exceed max, got min 5 and max 2"),
        ("{'min': 'a', 'max': 2}", "estimate: min must be a number, got string"),
        ("{'min': 1, 'max': -2}", "estimate: max must not be negative, got -2"),
        ("task_inputs.n", "estimate:1:12: no such key: 'n'"),
        ("outputs", "estimate:1:1: undeclared reference to 'outputs'"),
        ("1 +", None),
    ],
)
def test_estimate_errors(source, error):
    result = est({"estimate": source})
    assert result["estimable"] is False and result["estimate"] is None
    if error is None:
        assert result["error"].startswith("estimate:1:4: Syntax error")
    else:
        assert result["error"] == error


def test_estimate_request_validation():
    with pytest.raises(RequestError, match="^task_inputs: "):
        estimate_pricing({"pricing": {}, "task_inputs": 3})
    with pytest.raises(RequestError, match="^pricing: is required"):
        estimate_pricing({})


def test_free_names():
    env = pricing_environment("total")
    names = lambda s: free_names(celprice.compile(s, env).ast)
    assert names("outputs.map(o, o.x + prices.a)") == {"outputs", "prices"}
    assert names("outputs.all(i, v, i < size(inputs))") == {"outputs", "inputs"}
    assert names("cel.bind(x, usage_seconds, x + elapsed_ms)") == {"usage_seconds", "elapsed_ms"}
    assert names("has(output_meta.outputs) && resource_fee > 0") == {"output_meta", "resource_fee"}
