"""`celprice check`: save-time validation of an AppPricing."""
from __future__ import annotations

import pytest
from clihelpers import assert_no_traceback, needs_pricing, run_cli

pytestmark = needs_pricing

GOOD = {
    "prices": {"per_image": 200000},
    "inference_expression": "image_count(outputs) * prices.per_image",
    "total_expression": "resource_fee + inference_fee",
    "description": '"$" + to_dollars(prices.per_image) + " per image"',
}


def test_a_valid_pricing_exits_0(write):
    result = run_cli("check", write("p.json", GOOD))
    assert result.returncode == 0, result.stdout
    assert result.stdout == "no problems\n"
    assert result.stderr == ""


def test_a_request_file_is_checked_through_its_pricing_key(write):
    result = run_cli("check", write("r.json", {"pricing": GOOD, "usage_seconds": 3}))
    assert result.returncode == 0
    result = run_cli("check", write("r.json", {"pricing": {**GOOD, "inference_expression": "1 +"}}))
    assert result.returncode == 1


def test_every_problem_is_printed_with_its_caret_snippet(write):
    pricing = {
        "prices": {"per_image": 200000},
        "inference_expression": "image_count(outputs) * prices.per_image +",
        "royalty_expression": "inference_fee / 10",
        "total_expression": "inference_fee + tip",
    }
    result = run_cli("check", write("p.json", pricing))
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[0].startswith("inference_expression:1:42: Syntax error")
    assert lines[1:3] == [" | image_count(outputs) * prices.per_image +", " | " + "." * 41 + "^"]
    assert lines[3:6] == [
        "royalty_expression:1:1: undeclared reference to 'inference_fee'",
        " | inference_fee / 10",
        " | ^",
    ]
    assert lines[6:9] == ["total_expression:1:17: undeclared reference to 'tip'", " | inference_fee + tip", " | ................^"]
    assert lines[9:] == ["3 problems"]


@pytest.mark.parametrize(
    "pricing, expected",
    [
        ({"prices": {"x": -5}}, "pricing.prices.x: must be a non-negative integer, got -5"),
        ({"inference_expression": ["1"]}, "pricing.inference_expression: must be a string"),
        ({"pricing": 5}, "pricing: must be an object, got 5"),
        ('"just a string"', "pricing: must be an object"),  # JSON text: a string
    ],
)
def test_a_pricing_of_the_wrong_shape_is_a_problem_naming_the_path(write, pricing, expected):
    result = run_cli("check", write("p.json", pricing))
    assert result.returncode == 1
    assert result.stdout.startswith(expected)
    assert_no_traceback(result)


def test_reads_stdin():
    result = run_cli("check", "-", input='{"inference_expression": "1 + 1"}')
    assert result.returncode == 0
    assert result.stdout == "no problems\n"


def test_unreadable_file_exits_2():
    result = run_cli("check", "nowhere/pricing.json")
    assert result.returncode == 2
    assert result.stderr == "celprice check: cannot read nowhere/pricing.json: No such file or directory\n"
    assert result.stdout == ""


def test_invalid_json_exits_2(write):
    result = run_cli("check", write("p.json", "{'single': 'quotes'}"))
    assert result.returncode == 2
    assert "invalid JSON: Expecting property name enclosed in double quotes (line 1, column 2)" in result.stderr
