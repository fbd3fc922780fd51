"""`celprice check`: save-time validation of an AppPricing."""
from __future__ import annotations

import pytest
from clihelpers import assert_no_traceback, run_cli

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
        "royalty_expression:1:1: undeclared reference to 'inference_fee' (only total_expression can read it)",
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


def test_an_int_mixed_with_a_double_is_a_located_problem_with_the_fix(write):
    pricing = {"prices": {"x": 300000000}, "resource_expression": "0",
               "inference_expression": "text_tokens(inputs) / 1000000.0 * prices.x"}
    result = run_cli("check", write("p.json", pricing))
    assert result.returncode == 1
    assert result.stdout == (
        "inference_expression:1:21: found no matching overload for operator '/' applied to '(int, double)': "
        "wrap the int in double(): double(text_tokens(inputs)) / 1000000.0\n"
        " | text_tokens(inputs) / 1000000.0 * prices.x\n"
        " | ....................^\n"
        "1 problem\n"
    )
    # Written as the message says, it passes, and prices 1200 tokens at $3 per million.
    fixed = {**pricing, "inference_expression": "double(text_tokens(inputs)) / 1000000.0 * double(prices.x)"}
    result = run_cli("check", write("p.json", fixed))
    assert (result.returncode, result.stdout) == (0, "no problems\n")
    request = {"pricing": fixed, "output_meta": {"inputs": [{"type": "text", "tokens": 1200}]}}
    result = run_cli("preview", write("r.json", request))
    assert result.returncode == 0, result.stderr
    assert "360000" in result.stdout  # 1200 * 300,000,000 / 1,000,000


def test_an_unknown_pricing_field_is_a_problem_with_the_closest_name(write):
    result = run_cli("check", write("p.json", {**GOOD, "inference_expresion": "1"}))
    assert result.returncode == 1
    assert result.stdout.splitlines()[0] == (
        "pricing.inference_expresion: unknown field 'inference_expresion'; did you mean 'inference_expression'?"
    )


def test_warnings_are_printed_and_do_not_fail_the_check(write):
    request = {"pricing": {**GOOD, "total_expression": "inference_fee"}, "ouput_meta": {"outputs": []}}
    result = run_cli("check", write("r.json", request))
    assert result.returncode == 0
    assert result.stdout.splitlines() == [
        "warning: ouput_meta: unknown field 'ouput_meta'; did you mean 'output_meta'?",
        "warning: pricing.total_expression: the total does not read resource_fee, so it bills the user less "
        "than the components whenever it is above 0 (the default resource expression bills compute time); "
        "add it to the total, or set that expression to 0",
        "no problems",
    ]
