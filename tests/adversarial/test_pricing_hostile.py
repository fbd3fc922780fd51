"""Hostile pricing requests: untrusted formulas, output_meta and task_inputs.

Whatever the formula or the data, evaluate_pricing returns the response shape of
spec/pricing.md (a failed component has value 0 and a one-line error naming its
field) or raises RequestError for a badly shaped request; never another exception,
never a hang.
"""
from __future__ import annotations

import math
from typing import Any

import pytest

from celprice.pricing import RequestError, evaluate_pricing

from ._support import Hang, cpu_deadline, memory_cap


pytestmark = pytest.mark.timeout(60)

FEES = ["resource_fee", "inference_fee", "royalty_fee", "partner_fee", "total"]


def request(outputs: list | None = None, task_inputs: Any = None, **pricing_fields: Any) -> dict:
    return {
        "pricing": {"prices": {"per_image": 200000}, **pricing_fields},
        "output_meta": {"inputs": [], "outputs": outputs if outputs is not None else [{"type": "image", "count": 2}]},
        "resources": [{"name": "gpu", "price_per_second": 2500}],
        "usage_seconds": 2,
        "task_inputs": task_inputs if task_inputs is not None else {"prompt": "a cat"},
    }


def check_shape(response: dict) -> None:
    assert list(response) == FEES + ["description"]
    for name in FEES:
        entry = response[name]
        assert type(entry["value"]) is int and 0 <= entry["value"] < 2**63
        if "error" in entry:
            assert entry["value"] == 0 and entry["error"] and "\n" not in entry["error"]
    assert isinstance(response["description"]["value"], str)


def run(req: dict) -> dict:
    try:
        with cpu_deadline(10):
            response = evaluate_pricing(req)
    except Hang:
        pytest.fail("evaluate_pricing ran for over 10 s of CPU time")
    check_shape(response)
    return response


BOMBS = {
    "nested-comprehensions": "outputs.map(a, outputs.map(b, outputs.map(c, 1))).size()",
    "string-doubling": "cel.bind(s, 'ab', " + "cel.bind(s, s + s, " * 30 + "size(s)" + ")" * 31,
    "list-doubling": "cel.bind(l, [1], " + "cel.bind(l, l + l, " * 20 + "size(l)" + ")" * 21,
    "deep-parens": "(" * 400 + "1" + ")" * 400,
    "too-long": "1 + " * 3_000 + "1",
    "overflow": "9223372036854775807 + prices.per_image",
    "division-by-zero": "prices.per_image / 0",
    "nan": "0.0 / 0.0",
    "infinity": "1e308 * 10.0",
    "negative": "-prices.per_image",
    "wrong-type": "'a lot'",
    "bad-regex": "'a'.matches('(') ? 1 : 2",
    "unknown-name": "no_such_variable",
    "syntax": "1 +",
}


@pytest.mark.parametrize("field", ["resource_expression", "inference_expression", "royalty_expression",
                                   "partner_expression", "total_expression"])
@pytest.mark.parametrize("bomb", list(BOMBS))
def test_formula_bombs_fail_their_component_only(field: str, bomb: str) -> None:
    src = BOMBS[bomb]
    response = run(request(outputs=[{"type": "image", "count": 2}] * 200, **{field: src}))
    component = "total" if field == "total_expression" else field.replace("_expression", "_fee")
    assert "error" in response[component], response
    assert response[component]["error"].startswith(field), response[component]["error"]
    others = [f for f in FEES if f not in (component, "total")]
    if field != "resource_expression":
        assert all("error" not in response[f] for f in others), response


@pytest.mark.parametrize("bomb", list(BOMBS))
def test_formula_bombs_in_the_description(bomb: str) -> None:
    response = run(request(description=f"\"x\" + string({BOMBS[bomb]})"))
    assert response["total"] == {"value": 5_000}  # the default inference fee is 0
    desc = response["description"]
    if "error" in desc:
        assert desc["value"] == "" and desc["error"].startswith("description")


def test_huge_integer_literal_fails_its_component() -> None:
    response = run(request(inference_expression="1" * 10_000))
    assert "error" in response["inference_fee"]


def test_lone_surrogate_in_a_formula_fails_its_component() -> None:
    response = run(request(inference_expression="size(b'\ud800')"))
    assert "error" in response["inference_fee"]


@pytest.mark.parametrize(
    "item,function",
    [
        ({"type": "image", "count": 2**70}, "image_count(outputs)"),
        ({"type": "image", "count": -(2**70)}, "image_count(outputs)"),
        ({"type": "image", "count": math.nan}, "image_count(outputs)"),
        ({"type": "image", "count": math.inf}, "image_count(outputs)"),
        ({"type": "image", "count": 1e300}, "image_count(outputs)"),
        ({"type": "image", "count": "2"}, "image_count(outputs)"),
        ({"type": "image", "count": [2]}, "image_count(outputs)"),
        ({"type": "text", "tokens": 2**63}, "text_tokens(outputs)"),
        ({"type": "video", "seconds": math.inf}, "video_seconds(outputs)"),
        ({"type": "audio", "seconds": math.nan}, "audio_seconds(outputs)"),
        ({"type": "image", "width": 2**62, "height": 2**62}, "pixels(outputs[0].width, outputs[0].height)"),
        ({"type": "image", "extra": {"k": 2**64}}, "get_extra(outputs[0], 'k', 0)"),
        ("not a map", "image_count(outputs)"),
        (None, "count_type(outputs, 'image')"),
        ({"type": None}, "first(outputs, 'image') == null ? 1 : 2"),
        ({"\ud800": "\udfff", "type": "image"}, "image_count(outputs)"),
    ],
)
def test_hostile_output_meta_items(item: Any, function: str) -> None:
    # A value the store's decoder refuses is a request error naming the item;
    # anything it accepts fails at most the formula that reads it.
    try:
        response = run(request(outputs=[item], inference_expression=function))
    except RequestError as e:
        assert e.path.startswith("output_meta.outputs[0]")
        return
    entry = response["inference_fee"]
    assert "error" in entry or entry["value"] >= 0


def test_deeply_nested_task_inputs() -> None:
    deep: Any = []
    for _ in range(100_000):
        deep = [deep]
    for src in ["size(task_inputs.x)", "task_inputs.x == task_inputs.x ? 1 : 2", "task_inputs.x in [1] ? 1 : 2",
                "size(string(task_inputs))"]:
        response = run(request(task_inputs={"x": deep}, inference_expression=src))
        assert response["inference_fee"]["value"] in (0, 1, 2)


def test_large_output_meta_is_bounded_by_cost() -> None:
    outputs = [{"type": "image", "count": 1}] * 600_000
    response = run(request(outputs=outputs, inference_expression="outputs.filter(o, o.count > 0).size()"))
    assert "max_cost" in response["inference_fee"]["error"]
    response = run(request(outputs=outputs, inference_expression="image_count(outputs)"))
    assert response["inference_fee"] == {"value": 600_000}


def test_quadratic_formula_over_output_meta_is_bounded() -> None:
    outputs = [{"type": "image", "count": i} for i in range(3_000)]
    try:
        with cpu_deadline(1.5):
            response = evaluate_pricing(request(outputs=outputs, inference_expression="outputs.map(o, o in outputs).size()"))
    except Hang:
        pytest.fail("ran for over 1.5 s of CPU time within the default limits")
    assert "error" in response["inference_fee"]


@pytest.mark.parametrize(
    "req",
    [
        {"pricing": {"prices": {"p": 2**63}}},
        {"pricing": {"prices": {"p": -1}}},
        {"pricing": {"prices": {"p": 1.5}}},
        {"pricing": {"prices": {"p": math.nan}}},
        {"pricing": {"prices": {"p": True}}},
        {"pricing": {"prices": {"p": "1"}}},
        {"pricing": {"prices": []}},
        {"pricing": "x"},
        {"pricing": None},
        {},
        {"pricing": {}, "usage_seconds": -1},
        {"pricing": {}, "usage_seconds": 2**63},
        {"pricing": {}, "elapsed_ms": -5},
        {"pricing": {}, "output_meta": {"outputs": "x"}},
        {"pricing": {"inference_expression": 5}},
        {"pricing": {"inference_expression": ["1"]}},
    ],
)
def test_badly_shaped_requests_raise_request_error(req: dict) -> None:
    with pytest.raises(RequestError) as info:
        evaluate_pricing(req)
    assert str(info.value)


@pytest.mark.parametrize("req", [None, [], "pricing", 42, 1.5, b"{}"])
def test_requests_that_are_not_objects(req: Any) -> None:
    with pytest.raises(RequestError):
        evaluate_pricing(req)


def test_many_prices_and_resources() -> None:
    with memory_cap(1 << 30):
        response = run({"pricing": {"prices": {f"p{i}": i for i in range(200_000)}}})
        assert response["total"] == {"value": 0}
        response = run({"pricing": {"prices": {"p": 1}}, "resources": [{"price_per_second": 1}] * 3_000_000,
                        "usage_seconds": 1})
        assert "error" in response["resource_fee"] or response["resource_fee"]["value"] == 3_000_000
