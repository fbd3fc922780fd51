"""examples/*.json: each response equals its expected file exactly, and both
validate against the JSON Schemas in docs/schema/."""
from __future__ import annotations

import json
import pathlib

import jsonschema
import pytest
from hypothesis import given, settings

from celprice.pricing import estimate_pricing, evaluate_pricing

from .test_properties import requests

ROOT = pathlib.Path(__file__).resolve().parents[2]
EXAMPLES = sorted(p for p in (ROOT / "examples").glob("*.json") if not p.name.endswith(".expected.json"))
SCHEMAS = ROOT / "docs" / "schema"


def _validator(name: str) -> jsonschema.Draft202012Validator:
    schema = json.loads((SCHEMAS / name).read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


REQUEST = _validator("request.schema.json")
RESPONSE = _validator("response.schema.json")
ESTIMATE = _validator("estimate.schema.json")


def test_there_are_enough_examples():
    names = {p.stem for p in EXAMPLES}
    assert {"image", "llm", "video", "audio", "tiered", "errors"} <= names


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_response_is_exactly_the_expected_file(path):
    request = json.loads(path.read_text())
    expected_path = path.with_name(path.stem + ".expected.json")
    expected = json.loads(expected_path.read_text())
    response = evaluate_pricing(request)
    assert response == expected
    # Key order is part of the contract.
    assert json.dumps(response) == json.dumps(expected)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_examples_validate_against_the_schemas(path):
    request = json.loads(path.read_text())
    REQUEST.validate(request)
    RESPONSE.validate(json.loads(path.with_name(path.stem + ".expected.json").read_text()))
    ESTIMATE.validate(estimate_pricing(request))


def test_the_errors_example_has_errors_and_the_others_do_not():
    for path in EXAMPLES:
        expected = json.loads(path.with_name(path.stem + ".expected.json").read_text())
        errors = [k for k, v in expected.items() if "error" in v]
        if path.stem == "errors":
            assert len(errors) == 6
        elif path.stem != "custom_total":
            assert errors == [], path.stem


def test_schemas_reject_bad_shapes():
    assert not REQUEST.is_valid({"pricing": {"prices": {"x": "1"}}})
    assert not REQUEST.is_valid({"pricing": {"prices": {"x": -1}}})
    assert not REQUEST.is_valid({})
    assert REQUEST.is_valid({"pricing": {"prices": {"x": 2500.0}}})  # integral floats are integers
    assert not RESPONSE.is_valid({"resource_fee": {"value": 1}})
    bad_error = {k: {"value": 0} for k in ["resource_fee", "inference_fee", "royalty_fee", "partner_fee", "total"]}
    bad_error["description"] = {"value": "x", "error": "description: boom"}
    assert not RESPONSE.is_valid(bad_error)  # a failed description has value ""


@settings(max_examples=150)
@given(requests)
def test_every_response_matches_the_response_schema(request):
    try:
        response = evaluate_pricing(request)
    except ValueError:
        return
    RESPONSE.validate(response)
    ESTIMATE.validate(estimate_pricing(request))
