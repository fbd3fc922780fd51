"""estimate_pricing: the store's EstimateCostResponse (D6), its confidence rules,
depends_on, the estimate expression, and the store's four documented examples."""
from __future__ import annotations

import json

import pytest

import celprice
from celprice.pricing import RequestError, estimate_pricing
from celprice.pricing.environment import pricing_environment
from celprice.pricing.estimate import free_names


def est(pricing, **request):
    return estimate_pricing({"pricing": pricing, **request})


# --- D6's four examples, response for response ---------------------------------

# D6's exact example answers {"input": {"n": 4}} with 2,000,000 microcents and
# "$0.02 per image": $0.02 for the run, so this app's run makes one image, whatever n is.
D6_EXACT = {
    "prices": {"per_image": 2000000},
    "resource_expression": "0",
    "inference_expression": "prices.per_image",
    "description": '"$" + to_dollars(prices.per_image) + " per image"',
}
D6_RANGE = {
    "prices": {"min_run": 150000, "max_run": 1500000, "per_output_token": 150},
    "resource_expression": "0",
    "inference_expression": "text_tokens(outputs) * prices.per_output_token",
    "estimate": "{'min': prices.min_run, 'max': prices.max_run}",
    "description": '"About $" + to_dollars(prices.min_run) + "–$" + to_dollars(prices.max_run) + " per run"',
}
D6_UNKNOWN = {
    "prices": {"per_output_token": 150},
    "resource_expression": "0",
    "inference_expression": "text_tokens(outputs) * prices.per_output_token",
}
D6_ESTIMATE_ERROR = {**D6_UNKNOWN, "estimate": "task_inputs.max_tokens * prices.per_output_token"}


def test_d6_exact_example():
    assert est(D6_EXACT, input={"n": 4}) == {
        "confidence": "exact",
        "microcents": 2000000,
        "pricing_description": "$0.02 per image",
    }


def test_d6_range_example():
    assert est(D6_RANGE, input={"prompt": "hello"}) == {
        "confidence": "range",
        "min": 150000,
        "max": 1500000,
        "pricing_description": "About $0.0015–$0.015 per run",
    }


def test_d6_unknown_example():
    assert est(D6_UNKNOWN, input={"prompt": "hello"}) == {"confidence": "unknown", "depends_on": ["outputs"]}


def test_d6_estimate_error_example():
    # D6 prints "no such key: max_tokens" (cel-go's wording): the estimate says it
    # so, although celprice's CEL core quotes the key in its own messages.
    assert est(D6_ESTIMATE_ERROR, input={"prompt": "hello"}) == {
        "confidence": "unknown",
        "estimate_error": "no such key: max_tokens",
        "depends_on": ["outputs"],
    }


def test_the_response_is_json_in_the_documented_field_order():
    text = json.dumps(est(D6_ESTIMATE_ERROR))
    assert text == '{"confidence": "unknown", "estimate_error": "no such key: max_tokens", "depends_on": ["outputs"]}'


# --- confidence -----------------------------------------------------------------


def test_exact_when_every_fee_reads_inputs_only():
    pricing = {
        "prices": {"per_image": 2500000, "minimum": 100},
        "resource_expression": "0",
        "inference_expression": "get(task_inputs, 'num_images', 1) * prices.per_image",
        "royalty_expression": "task_function == 'upscale' ? 1000 : 0",
        "total_expression": "max(resource_fee + inference_fee + royalty_fee, prices.minimum)",
    }
    assert est(pricing, input={"num_images": 4}) == {"confidence": "exact", "microcents": 10000000}
    assert est(pricing, input={"num_images": 4}, function="upscale")["microcents"] == 10001000
    assert est(pricing)["microcents"] == 2500000


def test_exact_ignores_the_estimate_expression():
    # The store falls back to the estimate expression only when the fees need post-execution data.
    pricing = {"resource_expression": "0", "inference_expression": "5", "estimate": "7"}
    assert est(pricing) == {"confidence": "exact", "microcents": 5}


def test_the_evaluate_request_names_are_accepted():
    pricing = {"resource_expression": "0", "inference_expression": "task_inputs.n * 2", "royalty_expression": "task_function == 'x' ? 1 : 0"}
    assert est(pricing, task_inputs={"n": 4}, task_function="x")["microcents"] == 9
    # A preview request's post-execution fields are not looked at.
    assert est(pricing, task_inputs={"n": 4}, output_meta={"outputs": [{"type": "image"}]}, usage_seconds=9)["microcents"] == 8


def test_an_input_only_fee_that_fails_is_an_unknown_with_its_error():
    pricing = {"resource_expression": "0", "inference_expression": "task_inputs.n * 2"}
    assert est(pricing) == {
        "confidence": "unknown",
        "estimate_error": "inference_expression:1:12: no such key: n",
        "depends_on": [],
    }


@pytest.mark.parametrize(
    "name", ["output_meta", "inputs", "outputs", "resources", "usage_seconds", "elapsed_ms", "elapsed_seconds", "resource_ms"]
)
def test_any_post_execution_variable_makes_it_unknown(name):
    for field in ("resource_expression", "inference_expression", "royalty_expression", "partner_expression", "total_expression"):
        pricing = {"resource_expression": "0", field: f"size([{name}]) == 1 ? 1 : 2"}
        assert est(pricing) == {"confidence": "unknown", "depends_on": [name]}, field


def test_the_default_resource_expression():
    # It reads resources and elapsed_ms: unknown, unless the request says the app has no resources.
    pricing = {"prices": {"per_call": 500}, "inference_expression": "prices.per_call"}
    assert est(pricing) == {"confidence": "unknown", "depends_on": ["elapsed_ms", "resources"]}
    assert est(pricing, resources=[]) == {"confidence": "exact", "microcents": 500}
    gpu = [{"name": "gpu-a100", "price_per_second": 2500}]
    assert est(pricing, resources=gpu) == {"confidence": "unknown", "depends_on": ["elapsed_ms"]}
    # A custom resource formula over the known resources alone is computed.
    flat = {**pricing, "resource_expression": "sum(resources.map(r, r.price_per_second)) * 60"}
    assert est(flat, resources=gpu) == {"confidence": "exact", "microcents": 150500}
    assert est(flat) == {"confidence": "unknown", "depends_on": ["resources"]}


def test_a_fee_that_reads_a_post_execution_fee_names_it():
    pricing = {"prices": {"margin": 20}, "inference_expression": "resource_fee * prices.margin / 100"}
    assert est(pricing)["depends_on"] == ["elapsed_ms", "resource_fee", "resources"]
    assert est({**pricing, "inference_expression": "resource_cost / 5"})["depends_on"] == ["elapsed_ms", "resource_cost", "resources"]
    via_fees = {**pricing, "inference_expression": "fees.resource_fee * prices.margin / 100"}
    assert est(via_fees)["depends_on"] == ["elapsed_ms", "resource_fee", "resources"]
    assert est(via_fees, resources=[]) == {"confidence": "exact", "microcents": 0}
    total = {"resource_expression": "0", "inference_expression": "text_tokens(outputs)", "total_expression": "inference_fee + 5"}
    assert est(total)["depends_on"] == ["inference_fee", "outputs"]


def test_fees_of_input_only_components_are_known():
    pricing = {
        "prices": {"per_image": 1000},
        "resource_expression": "0",
        "inference_expression": "get(task_inputs, 'n', 1) * prices.per_image",
        "partner_expression": "fees.inference_fee * 30 / 100",
        "total_expression": "fees.inference_fee + fees.partner_fee",
    }
    assert est(pricing, input={"n": 3}) == {"confidence": "exact", "microcents": 3900}
    # Reading fees any other way waits for every earlier component.
    output_royalty = {**pricing, "royalty_expression": "image_count(outputs)", "partner_expression": "size(fees) * 1"}
    assert est(output_royalty)["depends_on"] == ["outputs", "partner_fee", "royalty_fee"]


def test_shadowed_names_do_not_count():
    pricing = {"resource_expression": "0", "inference_expression": "[1, 2].map(outputs, outputs * 2).sum()"}
    assert est(pricing) == {"confidence": "exact", "microcents": 6}
    pricing = {"resource_expression": "0", "inference_expression": "cel.bind(inputs, 3, inputs)"}
    assert est(pricing) == {"confidence": "exact", "microcents": 3}


def test_a_fee_that_does_not_compile():
    result = est({"resource_expression": "0", "inference_expression": "1 +"})
    assert result["confidence"] == "unknown" and result["depends_on"] == []
    assert result["estimate_error"].startswith("inference_expression:1:4: Syntax error")


# --- the estimate expression ------------------------------------------------------

OUTPUT_PRICED = {"prices": {"per_image": 2500000}, "resource_expression": "0", "inference_expression": "image_count(outputs) * prices.per_image"}


def test_estimate_expression_ranges():
    ranged = {**OUTPUT_PRICED, "estimate": "{'min': prices.per_image, 'max': get(task_inputs, 'n', 1) * prices.per_image}"}
    assert est(ranged, input={"n": 4}) == {"confidence": "range", "min": 2500000, "max": 10000000}
    doubles = {**OUTPUT_PRICED, "estimate": "{'min': 0.4, 'max': 2.5}"}
    assert est(doubles) == {"confidence": "range", "min": 0, "max": 3}
    by_function = {**OUTPUT_PRICED, "estimate": "task_function == 'upscale' ? 100 : 200"}
    # A single amount is a range of one amount: the fees still wait for the outputs.
    assert est(by_function, function="upscale") == {"confidence": "range", "min": 100, "max": 100}


@pytest.mark.parametrize(
    "source, error",
    [
        ("'x'", "must be a number, got string"),
        ("-1", "must not be negative, got -1"),
        ("{'min': 1}", "a map estimate must have exactly the keys 'min' and 'max', got 'min'"),
        ("{'min': 1, 'max': 2, 'avg': 1}", "a map estimate must have exactly the keys 'min' and 'max', got 'avg', 'max', 'min'"),
        ("{'min': 5, 'max': 2}", "min must not exceed max, got min 5 and max 2"),
        ("{'min': 'a', 'max': 2}", "min must be a number, got string"),
        ("{'min': 1, 'max': -2}", "max must not be negative, got -2"),
        ("task_inputs.n", "no such key: n"),
        ("task_inputs['a b']", "no such key: 'a b'"),
        ("outputs", "1:1: undeclared reference to 'outputs'"),
        ("1 +", None),
    ],
)
def test_estimate_errors(source, error):
    result = est({**OUTPUT_PRICED, "estimate": source})
    assert list(result) == ["confidence", "estimate_error", "depends_on"]
    assert result["confidence"] == "unknown" and result["depends_on"] == ["outputs"]
    if error is None:
        assert result["estimate_error"].startswith("1:4: Syntax error")
    else:
        assert result["estimate_error"] == error


# --- the description and the request ---------------------------------------------


def test_pricing_description_is_omitted_when_empty_or_failing():
    assert "pricing_description" not in est({"resource_expression": "0"})
    assert est({"resource_expression": "0", "description": "Free"})["pricing_description"] == "Free"
    failing = est({"resource_expression": "0", "description": '"$" + to_dollars(prices.nope)'})
    assert failing == {"confidence": "exact", "microcents": 0}


def test_estimate_request_validation():
    # The bad field is named as the request spells it: the store's `input`, or the evaluate request's name.
    with pytest.raises(RequestError, match="^input: must be an object, got 3$"):
        estimate_pricing({"pricing": {}, "input": 3})
    with pytest.raises(RequestError, match="^task_inputs: must be an object, got 3$"):
        estimate_pricing({"pricing": {}, "task_inputs": 3})
    with pytest.raises(RequestError, match="^function: must be a string, got 3$"):
        estimate_pricing({"pricing": {}, "function": 3})
    with pytest.raises(RequestError, match="^task_function: must be a string, got 3$"):
        estimate_pricing({"pricing": {}, "task_function": 3})
    with pytest.raises(RequestError, match="^input: give either input or task_inputs, not both"):
        estimate_pricing({"pricing": {}, "input": {}, "task_inputs": {}})
    with pytest.raises(RequestError, match="^resources: must be an array"):
        estimate_pricing({"pricing": {}, "resources": {}})
    with pytest.raises(RequestError, match="^pricing: is required"):
        estimate_pricing({})
    with pytest.raises(RequestError, match="^request: must be an object"):
        estimate_pricing([])


def test_free_names():
    env = pricing_environment("total")
    names = lambda s: free_names(celprice.compile(s, env).ast)
    assert names("outputs.map(o, o.x + prices.a)") == {"outputs", "prices"}
    assert names("outputs.all(i, v, i < size(inputs))") == {"outputs", "inputs"}
    assert names("cel.bind(x, usage_seconds, x + elapsed_ms)") == {"usage_seconds", "elapsed_ms"}
    assert names("has(output_meta.outputs) && resource_fee > 0") == {"output_meta", "resource_fee"}


def test_no_resources_zeroes_only_the_rates_times_time_formula():
    from celprice.pricing import PricingDefaults

    pricing = {"inference_expression": "7"}
    timed = PricingDefaults(resource_expression="usage_seconds * 10")
    assert estimate_pricing({"pricing": pricing, "resources": []}, defaults=timed) == {
        "confidence": "unknown", "depends_on": ["usage_seconds"],
    }
    free = PricingDefaults(resource_expression="0")
    assert estimate_pricing({"pricing": pricing}, defaults=free) == {"confidence": "exact", "microcents": 7}
    # The same formula written out by the author counts like the default.
    written = {**pricing, "resource_expression": PricingDefaults().resource_expression}
    assert est(written, resources=[]) == {"confidence": "exact", "microcents": 7}
