"""celprice.testing.assert_pricing: the same comparison as `celprice test`, from pytest."""
from __future__ import annotations

import pytest
from clihelpers import ROOT

from celprice.testing import CaseError, assert_pricing, compare, load_case_file, validate_expect

PRICING = {
    "prices": {"per_image": 200000},
    "resource_expression": "0",
    "inference_expression": "image_count(outputs) * prices.per_image",
}
TWO = {"output_meta": {"outputs": [{"type": "image", "count": 2}]}}


def test_a_matching_case_returns_the_response():
    response = assert_pricing(PRICING, {**TWO, "expect": {"inference_fee": 400000, "total": 400000}})
    assert response["total"] == {"value": 400000}


def test_a_mismatch_raises_assertion_error_with_a_readable_diff():
    with pytest.raises(AssertionError) as info:
        assert_pricing(PRICING, {"name": "two", **TWO, "expect": {"inference_fee": 1, "total": {"error": True}}})
    assert str(info.value) == (
        "pricing case 'two' failed:\n"
        "  inference_fee:\n"
        "    - expected: 1\n"
        "    + actual:   400000\n"
        "  total:\n"
        "    - expected: an error\n"
        "    + actual:   400000"
    )


def test_an_invalid_request_is_an_assertion_error_naming_the_path():
    with pytest.raises(AssertionError, match=r"invalid request: usage_seconds: "):
        assert_pricing(PRICING, {"usage_seconds": "soon", "expect": {"total": 0}})


def test_a_malformed_case_is_a_case_error_not_a_failed_assertion():
    with pytest.raises(CaseError, match=r"^case\.expect\.totl: unknown component"):
        assert_pricing(PRICING, {"expect": {"totl": 0}})
    with pytest.raises(CaseError, match=r"^case\.expect: missing"):
        assert_pricing(PRICING, {})


def test_compare_rules_without_evaluating():
    response = {
        "inference_fee": {"value": 0, "error": "inference_expression:1:1: boom"},
        "total": {"value": 5},
        "description": {"value": "five"},
    }
    assert compare({"total": 5, "description": "five"}, response) == []
    assert compare({"inference_fee": {"error": True}}, response) == []
    assert compare({"inference_fee": {"error": "boom"}}, response) == []
    assert compare({"inference_fee": {"value": 0, "error": True}}, response) == []
    assert [m.component for m in compare({"inference_fee": 0}, response)] == ["inference_fee"]
    assert [m.component for m in compare({"inference_fee": {"value": 0}}, response)] == ["inference_fee"]
    assert [m.component for m in compare({"inference_fee": {"error": False}}, response)] == ["inference_fee"]
    assert [m.component for m in compare({"total": {"error": True}}, response)] == ["total"]
    (mismatch,) = compare({"inference_fee": {"error": "bang"}}, response)
    assert (mismatch.expected, mismatch.actual) == ('an error containing "bang"', "error: inference_expression:1:1: boom")


def test_bools_are_not_microcents():
    with pytest.raises(CaseError, match="must be an integer number of microcents, got true"):
        validate_expect({"total": True})


def test_parametrize_a_pytest_suite_from_a_case_file():
    suite = load_case_file(ROOT / "examples" / "cli" / "image-cases.yaml")
    assert len(suite.cases) == 3
    for case in suite.cases:
        assert_pricing(suite.pricing, case)
