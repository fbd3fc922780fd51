"""`celprice preview`: the /usage/cel/evaluate response for a request file."""
from __future__ import annotations

import json

import pytest
from clihelpers import assert_no_traceback, run_cli

REQUEST = {
    "pricing": {
        "prices": {"per_image": 200000},
        "inference_expression": "image_count(output_meta.outputs) * prices.per_image",
        "description": '"$" + to_dollars(prices.per_image) + " per image"',
    },
    "output_meta": {"inputs": [], "outputs": [{"type": "image", "count": 2}]},
    "resources": [{"name": "gpu-a100", "price_per_second": 2500}],
    "usage_seconds": 45,
}
RESPONSE = {
    "resource_fee": {"value": 112500},
    "inference_fee": {"value": 400000},
    "royalty_fee": {"value": 0},
    "partner_fee": {"value": 0},
    "total": {"value": 512500},
    "description": {"value": "$0.002 per image"},
}
FAILING = {
    "pricing": {
        "prices": {"per_token": 3},
        "resource_expression": "0",
        "inference_expression": "outputs[0].tokens * prices.per_token",
    },
    "output_meta": {"outputs": [{"type": "text"}]},
}


def test_prints_the_response_as_json_in_the_spec_order(write):
    result = run_cli("preview", write("r.json", REQUEST))
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert json.loads(result.stdout) == RESPONSE
    assert list(json.loads(result.stdout)) == list(RESPONSE)
    assert '  "total": {"value": 512500},\n' in result.stdout  # one component per line


def test_reads_the_request_from_stdin():
    result = run_cli("preview", "-", input=json.dumps(REQUEST))
    assert result.returncode == 0
    assert json.loads(result.stdout) == RESPONSE


def test_pretty_prints_microcents_and_dollars(write):
    result = run_cli("preview", "--pretty", write("r.json", REQUEST))
    assert result.returncode == 0
    assert result.stdout == (
        "component      microcents  dollars\n"
        "resource_fee      112,500  $0.001125\n"
        "inference_fee     400,000  $0.004\n"
        "royalty_fee             0  $0.00\n"
        "partner_fee             0  $0.00\n"
        "total             512,500  $0.005125\n"
        'description    "$0.002 per image"\n'
    )


def test_a_failed_component_exits_1_and_still_prints_the_response(write):
    result = run_cli("preview", write("r.json", FAILING))
    assert result.returncode == 1
    response = json.loads(result.stdout)
    assert response["inference_fee"]["value"] == 0
    assert "no such key: 'tokens'" in response["inference_fee"]["error"]
    assert response["total"]["error"].startswith("total_expression: depends on inference_fee")
    assert "error" not in response["resource_fee"]


def test_pretty_shows_errors_in_place_of_dollars(write):
    result = run_cli("preview", "--pretty", write("r.json", FAILING))
    assert result.returncode == 1
    row = next(line for line in result.stdout.splitlines() if line.startswith("inference_fee"))
    assert row.split(None, 2)[1:] == ["0", "error: inference_expression:1:11: no such key: 'tokens'"]


def test_large_amounts_group_thousands(write):
    request = {"pricing": {"prices": {}, "resource_expression": "0", "inference_expression": "123456789012"}}
    result = run_cli("preview", "--pretty", write("r.json", request))
    assert "inference_fee  123,456,789,012  $1,234.56789012" in result.stdout


@pytest.mark.parametrize(
    "request_json, path",
    [
        ({"pricing": {"prices": {"x": "abc"}}}, "pricing.prices.x"),
        ({"pricing": {"prices": {"x": -1}}}, "pricing.prices.x"),
        ({"pricing": {"inference_expression": 5}}, "pricing.inference_expression"),
        ({"pricing": {}, "usage_seconds": -3}, "usage_seconds"),
        ({"pricing": {}, "output_meta": {"outputs": "x"}}, "output_meta.outputs"),
        ({"no_pricing": 1}, "pricing"),
        ([1, 2], ""),
    ],
)
def test_an_invalid_request_exits_2_naming_the_json_path(write, request_json, path):
    result = run_cli("preview", write("r.json", request_json))
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith(f"celprice preview: invalid request: {path}")
    assert_no_traceback(result)


def test_invalid_json_exits_2(write):
    result = run_cli("preview", write("r.json", '{"pricing": {'))
    assert result.returncode == 2
    assert "r.json: invalid JSON: Expecting property name enclosed in double quotes (line 1, column 14)" in result.stderr


def test_empty_stdin_is_invalid_json():
    result = run_cli("preview", "-", input="")
    assert result.returncode == 2
    assert result.stderr == "celprice preview: <stdin>: invalid JSON: Expecting value (line 1, column 1)\n"


def test_missing_file_exits_2():
    result = run_cli("preview", "no-such-request.json")
    assert result.returncode == 2
    assert result.stderr == "celprice preview: cannot read no-such-request.json: No such file or directory\n"


def test_a_formula_with_a_syntax_error_fails_its_component_only(write):
    request = {"pricing": {"prices": {}, "resource_expression": "0", "inference_expression": "1 +", "partner_expression": "7"}}
    result = run_cli("preview", write("r.json", request))
    assert result.returncode == 1
    response = json.loads(result.stdout)
    assert response["inference_fee"]["error"].startswith("inference_expression:1:4: Syntax error")
    assert response["partner_fee"] == {"value": 7}
