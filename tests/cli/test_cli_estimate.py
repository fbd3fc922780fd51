"""`celprice estimate`: the store's estimate response for a request file."""
from __future__ import annotations

import json

from clihelpers import assert_no_traceback, needs_pricing, run_cli

pytestmark = needs_pricing

OUTPUT_PRICED = {
    "prices": {"per_token": 2},
    "resource_expression": "0",
    "inference_expression": "text_tokens(outputs) * prices.per_token",
}


def test_an_exact_estimate_as_json(write):
    request = {
        "pricing": {"prices": {"per_image": 2500000}, "resource_expression": "0",
                    "inference_expression": "get(task_inputs, 'n', 1) * prices.per_image", "description": "Per image"},
        "input": {"n": 4},
    }
    result = run_cli("estimate", write("r.json", request))
    assert (result.returncode, result.stderr) == (0, "")
    assert json.loads(result.stdout) == {"confidence": "exact", "microcents": 10000000, "pricing_description": "Per image"}
    pretty = run_cli("estimate", "--pretty", write("r.json", request))
    assert pretty.stdout == 'exact: $0.10 (10,000,000 microcents)\ndescription: "Per image"\n'


def test_a_range_and_an_unknown(write):
    ranged = {"pricing": {**OUTPUT_PRICED, "estimate": "{'min': 10, 'max': 2000}"}}
    result = run_cli("estimate", "--pretty", write("r.json", ranged))
    assert (result.returncode, result.stdout) == (0, "range: $0.0000001 to $0.00002 (10 to 2,000 microcents)\n")
    unknown = run_cli("estimate", write("u.json", {"pricing": OUTPUT_PRICED}))
    assert (unknown.returncode, json.loads(unknown.stdout)) == (0, {"confidence": "unknown", "depends_on": ["outputs"]})


def test_a_failed_estimate_exits_1_with_the_error(write):
    request = {"pricing": {**OUTPUT_PRICED, "estimate": "task_inputs.max_tokens * prices.per_token"}}
    result = run_cli("estimate", write("r.json", request))
    assert result.returncode == 1
    assert json.loads(result.stdout) == {
        "confidence": "unknown", "estimate_error": "no such key: max_tokens", "depends_on": ["outputs"],
    }
    pretty = run_cli("estimate", "--pretty", write("r.json", request))
    assert pretty.stdout == "unknown: the fees need outputs from the run\nestimate error: no such key: max_tokens\n"


def test_a_preview_request_estimates_as_it_is(write):
    request = {"pricing": {"resource_expression": "0", "inference_expression": "task_inputs.n * 3"},
               "task_inputs": {"n": 2}, "output_meta": {"outputs": []}}
    result = run_cli("estimate", "-", input=json.dumps(request))
    assert json.loads(result.stdout) == {"confidence": "exact", "microcents": 6}


def test_an_invalid_request_exits_2(write):
    result = run_cli("estimate", write("r.json", {"pricing": {}, "input": [1]}))
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == "celprice estimate: invalid request: input: must be an object, got an array\n"
    missing = run_cli("estimate", "nowhere.json")
    assert missing.returncode == 2 and "cannot read nowhere.json" in missing.stderr
    assert_no_traceback(missing)


def test_a_pricing_file_and_a_task_file_combine(write):
    pricing = write("pricing.yaml", "prices: {per_image: 1000}\nresource_expression: '0'\n"
                    "inference_expression: get(task_inputs, 'n', 1) * prices.per_image\n")
    task = write("task.yaml", "task_inputs: {n: 3}\n")
    result = run_cli("estimate", "--pricing-file", pricing, "--task", task)
    assert (result.returncode, json.loads(result.stdout)) == (0, {"confidence": "exact", "microcents": 3000})
    request = write("r.json", {"pricing": {"inference_expression": "1"}, "input": {"n": 5}})
    replaced = run_cli("estimate", request, "--pricing-file", pricing)
    assert json.loads(replaced.stdout) == {"confidence": "exact", "microcents": 5000}
    nothing = run_cli("estimate")
    assert nothing.returncode == 2 and "give a request file, or the pricing with --pricing-file FILE" in nothing.stderr
