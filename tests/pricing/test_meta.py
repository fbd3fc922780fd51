"""Output-meta items decoded as the store decodes them, the typed path getters,
unknown fields and the warnings (docs/pricing.md, Decisions 17-23)."""
from __future__ import annotations

import json
import pathlib

import jsonschema
import pytest

import celprice
from celprice.pricing import (
    Message,
    RequestError,
    check_pricing,
    evaluate_pricing,
    pricing_environment,
    pricing_warnings,
    request_warnings,
)

from .helpers import err, ev, same

SCHEMA = jsonschema.Draft202012Validator(
    json.loads((pathlib.Path(__file__).resolve().parents[2] / "docs" / "schema" / "request.schema.json").read_text())
)


def seen(source: str, outputs: list, inputs: list | None = None) -> dict:
    return evaluate_pricing(
        {
            "pricing": {"resource_expression": "0", "inference_expression": source},
            "output_meta": {"inputs": inputs or [], "outputs": outputs},
        }
    )["inference_fee"]


@pytest.mark.parametrize(
    "item, source",
    [
        ({"type": "video", "seconds": 90}, "type(outputs[0].seconds) == double ? 1 : 0"),
        ({"type": "audio", "seconds": 3}, "type(outputs[0].seconds) == double ? 1 : 0"),
        ({"type": "image", "resolution_mp": 2}, "type(outputs[0].resolution_mp) == double ? 1 : 0"),
        ({"type": "raw", "cost": 5}, "type(outputs[0].cost) == double ? 1 : 0"),
        ({"type": "text", "tokens": 12.0}, "type(outputs[0].tokens) == int ? 1 : 0"),
        ({"type": "image", "width": 1024.0}, "type(outputs[0].width) == int ? 1 : 0"),
        ({"type": "image"}, "outputs[0].count == 1 ? 1 : 0"),  # the one default
        ({"type": "image", "count": None}, "outputs[0].count == 1 ? 1 : 0"),
        ({"type": "video", "seconds": None}, "has(outputs[0].seconds) ? 0 : 1"),  # null is missing
        ({"type": "video"}, "has(outputs[0].count) ? 0 : 1"),  # count is an image field only
        # Fields of another type, and unknown ones, keep their JSON kind.
        ({"type": "text", "seconds": 90}, "type(outputs[0].seconds) == int ? 1 : 0"),
        ({"type": "text", "tokens": 5, "cached_tokens": 2.0}, "type(outputs[0].cached_tokens) == double ? 1 : 0"),
        ({"type": "thing", "seconds": 90}, "type(outputs[0].seconds) == int ? 1 : 0"),
        ({"type": "video", "extra": {"seconds": 90}}, "type(outputs[0].extra.seconds) == int ? 1 : 0"),
    ],
)
def test_items_are_read_with_the_sdk_field_types(item, source):
    assert seen(source, [item]) == {"value": 1}


def test_inputs_are_decoded_too():
    assert seen("type(inputs[0].seconds) == double ? 1 : 0", [], [{"type": "audio", "seconds": 30}]) == {"value": 1}


@pytest.mark.parametrize(
    "outputs, message",
    [
        ([{"type": "text", "tokens": 1.5}], "output_meta.outputs[0].tokens: must be an integer, got 1.5"),
        ([{"type": "video", "seconds": "90"}], 'output_meta.outputs[0].seconds: must be a number, got "90"'),
        ([{"type": "image"}, {"type": "image", "count": "2"}], 'output_meta.outputs[1].count: must be an integer, got "2"'),
        ([{"type": "image", "count": True}], "output_meta.outputs[0].count: must be an integer, got true"),
        ([{"type": "audio", "seconds": float("nan")}], "output_meta.outputs[0].seconds: must be a finite number, got NaN"),
        ([{"type": "image", "width": 2**64}], "output_meta.outputs[0].width: must fit in int64, got 18446744073709551616"),
        ([{"type": "video", "resolution": 720}], "output_meta.outputs[0].resolution: must be a string, got 720"),
        ([{"type": 3}], "output_meta.outputs[0].type: must be a string, got 3"),
        ([{"type": "text", "extra": [1]}], "output_meta.outputs[0].extra: must be an object, got an array"),
        (["image"], 'output_meta.outputs[0]: must be an object, got "image"'),
    ],
)
def test_a_value_the_store_would_refuse_is_a_request_error_naming_its_path(outputs, message):
    with pytest.raises(RequestError) as e:
        evaluate_pricing({"pricing": {}, "output_meta": {"outputs": outputs}})
    assert str(e.value) == message


def test_decoding_never_changes_the_callers_items():
    outputs = [{"type": "video", "seconds": 90}, {"type": "image"}]
    evaluate_pricing({"pricing": {}, "output_meta": {"outputs": outputs}})
    assert outputs == [{"type": "video", "seconds": 90}, {"type": "image"}]
    assert type(outputs[0]["seconds"]) is int


def test_the_checker_knows_the_typed_fields():
    (problem,) = check_pricing({"inference_expression": "outputs[0].seconds * prices.per_second"})
    assert problem.headline() == (
        "inference_expression:1:20: found no matching overload for operator '*' applied to '(double, int)': "
        "wrap the int in double(): outputs[0].seconds * double(prices.per_second)"
    )
    assert check_pricing({"inference_expression": "outputs[0].tokens * prices.per_token"}) == []
    assert check_pricing({"inference_expression": "outputs.map(o, o.seconds).sum() > 1.0 ? 1 : 0"}) == []


def test_the_schema_types_fields_by_item_type():
    def valid(item: dict) -> bool:
        return SCHEMA.is_valid({"pricing": {}, "output_meta": {"outputs": [item]}})

    assert valid({"type": "video", "seconds": 90})
    assert valid({"type": "image", "count": 2.0})  # an integral number is an integer
    assert not valid({"type": "image", "count": 1.5})
    assert valid({"type": "text", "seconds": "free-form on a text item"})
    assert not valid({"type": "raw", "cost": "12"})


# --- get_bool / get_string ------------------------------------------------------------------

ITEM = {"type": "video", "seconds": 5.0, "extra": {"draft": True, "mode": "v2v", "nested": {"on": False}, "gone": None}}


@pytest.mark.parametrize(
    "source, expected",
    [
        ('get_bool(task_inputs, "extra.draft", false)', True),
        ('get_bool(task_inputs, "extra.nested.on", true)', False),
        ('get_bool(task_inputs, "extra.missing", true)', True),
        ('get_bool(task_inputs, "extra.gone", true)', True),  # null is missing
        ('get_bool(task_inputs, "absent.deeper", false)', False),
        ('get_bool(null, "extra.draft", true)', True),
        ('get_string(task_inputs, "extra.mode", "t2v")', "v2v"),
        ('get_string(task_inputs, "extra.resolution", "hd")', "hd"),
        ('get_string(task_inputs, "type", "")', "video"),
    ],
)
def test_path_getters(source, expected):
    assert same(ev(source, task_inputs=ITEM), expected)


def test_path_getters_refuse_a_value_of_another_type():
    assert err('get_string(task_inputs, "extra.draft", "x")', task_inputs=ITEM) == (
        "1:11: get_string: 'extra.draft' must be a string, got bool"
    )
    assert err('get_bool(task_inputs, "seconds.x", false)', task_inputs=ITEM) == "1:9: get_bool: 'seconds.x': cannot look up 'x' in a double"
    with pytest.raises(celprice.CELCheckError, match="found no matching overload for 'get_bool'"):
        celprice.compile('get_bool(outputs[0], "extra.draft", 0)', pricing_environment("total"))


def test_a_method_written_like_a_macro_says_how_to_write_it():
    (problem,) = check_pricing({"inference_expression": "outputs.sum(o, o.count)"})
    assert problem.message == (
        "'sum' is not a macro and cannot bind the variable 'o': only all, exists, exists_one, filter and map do; "
        "map the list first: outputs.map(o, o.count).sum()"
    )
    # A declared name in that place is an ordinary argument: the usual arity error.
    (problem,) = check_pricing({"inference_expression": "outputs.sum(prices, 1)"})
    assert "takes 0 arguments" in problem.message


# --- unknown fields and warnings ----------------------------------------------------------------


def test_unknown_pricing_fields_are_refused_by_check_and_schema_but_ignored_when_evaluating():
    pricing = {"prices": {"per_image": 5}, "inference_expresion": "image_count(outputs) * prices.per_image"}
    (problem,) = check_pricing(pricing)
    assert str(problem) == (
        "pricing.inference_expresion: unknown field 'inference_expresion'; did you mean 'inference_expression'?"
    )
    (problem,) = check_pricing({"colour": "red"})
    assert problem.message.startswith("unknown field 'colour'; known fields: prices, resource_expression")
    assert not SCHEMA.is_valid({"pricing": pricing})
    # The store's decoder drops the field: the formula is simply not there.
    response = evaluate_pricing({"pricing": pricing, "output_meta": {"outputs": [{"type": "image"}]}})
    assert response["inference_fee"] == {"value": 0}


def test_unknown_request_fields_are_warnings_and_evaluate_keeps_its_six_keys():
    request = {"pricing": {"inference_expression": "image_count(outputs)"}, "ouput_meta": {"outputs": [{"type": "image"}]},
               "output_meta": {"inputs": [], "outptus": []}}
    warnings = request_warnings(request)
    assert [w.to_json() for w in warnings] == [
        {"level": "warning", "code": "unknown_field", "message": "unknown field 'ouput_meta'; did you mean 'output_meta'?",
         "meta": {"suggestion": "output_meta", "path": "ouput_meta"}},
        {"level": "warning", "code": "unknown_field", "message": "unknown field 'outptus'; did you mean 'outputs'?",
         "meta": {"suggestion": "outputs", "path": "output_meta.outptus"}},
    ]
    response = evaluate_pricing(request)
    assert list(response) == ["resource_fee", "inference_fee", "royalty_fee", "partner_fee", "total", "description"]
    assert response["inference_fee"] == {"value": 0}
    assert request_warnings({"pricing": {}, "usage_seconds": 1}) == []
    assert SCHEMA.is_valid(request)  # the schema does not refuse them either: the store ignores them


@pytest.mark.parametrize(
    "pricing, missing",
    [
        ({"partner_expression": "5", "total_expression": "partner_fee"}, ["resource_fee"]),
        ({"resource_expression": "0", "inference_expression": "3", "partner_expression": "5",
          "total_expression": "partner_fee"}, ["inference_fee"]),
        ({"resource_expression": "0", "royalty_expression": "2", "total_expression": "inference_fee + partner_fee"},
         ["royalty_fee"]),
    ],
)
def test_a_total_that_leaves_a_component_unpaid_is_a_warning(pricing, missing):
    assert check_pricing(pricing) == []
    (warning,) = pricing_warnings(pricing)
    assert isinstance(warning, Message)
    assert (warning.code, warning.path, warning.meta["components"]) == (
        "total_below_components", "pricing.total_expression", missing
    )
    assert str(warning).startswith(f"warning: pricing.total_expression: the total does not read {missing[0]}")


@pytest.mark.parametrize(
    "pricing",
    [
        {"partner_expression": "5"},  # the default total is the sum
        {"resource_expression": "0", "partner_expression": "5", "total_expression": "partner_fee"},
        {"partner_expression": "5", "total_expression": "resource_cost + partner_fee"},
        {"partner_expression": "5", "total_expression": "max(resource_fee, partner_fee)"},  # read: not judged
        {"total_expression": "1 +"},  # a problem, not a warning
    ],
)
def test_totals_that_read_every_component_are_not_warned_about(pricing):
    assert pricing_warnings(pricing) == []
