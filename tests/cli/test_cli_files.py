"""Files that combine: a pricing file and a task file instead of one request, for every command."""
from __future__ import annotations

import json

import pytest
from clihelpers import assert_no_traceback, run_cli

PRICING_YAML = """\
prices: {per_image: 200000}
inference_expression: image_count(outputs) * prices.per_image
description: '"$" + to_dollars(prices.per_image) + " per image"'
"""
TASK_YAML = """\
output_meta:
  outputs: [{type: image, count: 2}]
usage_seconds: 45
resources: [{name: gpu-a100, price_per_second: 2500}]
"""
PRICING = {
    "prices": {"per_image": 200000},
    "inference_expression": "image_count(outputs) * prices.per_image",
    "description": '"$" + to_dollars(prices.per_image) + " per image"',
}
TASK = {
    "output_meta": {"outputs": [{"type": "image", "count": 2}]},
    "usage_seconds": 45,
    "resources": [{"name": "gpu-a100", "price_per_second": 2500}],
}


def response(result) -> dict:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_preview_combines_a_pricing_file_and_a_task_file_in_json_or_yaml(write):
    whole = response(run_cli("preview", write("r.json", {"pricing": PRICING, **TASK})))
    assert whole["total"] == {"value": 512500}
    assert response(run_cli("preview", "--pricing-file", write("p.yaml", PRICING_YAML), "--task", write("t.yaml", TASK_YAML))) == whole
    assert response(run_cli("preview", "--pricing-file", write("p.json", PRICING), "--task", write("t.json", TASK))) == whole
    request_yaml = "pricing:\n" + "".join(f"  {line}\n" for line in PRICING_YAML.splitlines()) + TASK_YAML
    assert response(run_cli("preview", write("r.yaml", request_yaml))) == whole


def test_the_options_replace_that_part_of_a_request_file(write):
    request = write("r.json", {"pricing": {"inference_expression": "1"}, **TASK, "usage_seconds": 1})
    got = response(run_cli("preview", request, "--pricing-file", write("p.yaml", PRICING_YAML)))
    assert got["inference_fee"] == {"value": 400000}  # the pricing file's pricing
    assert got["resource_fee"] == {"value": 2500}  # the request's task
    got = response(run_cli("preview", request, "--task", write("t.json", {"usage_seconds": 10})))
    assert got["resource_fee"] == {"value": 25000} and got["inference_fee"] == {"value": 1}


def test_a_task_without_a_pricing_says_what_to_give(write):
    result = run_cli("preview", "--task", write("t.yaml", TASK_YAML))
    assert result.returncode == 2
    assert result.stderr == (
        "celprice preview: give a request file, or the pricing with --pricing-file FILE (and the task with --task FILE)\n"
    )


@pytest.mark.parametrize(
    ("task", "message"),
    [
        ({"pricing": PRICING}, "pricing: a task file holds only the task; give the pricing with --pricing-file"),
        (
            {"usage_second": 3},
            "usage_second: not a task field (did you mean 'usage_seconds'?) (a task has output_meta, task_inputs, ",
        ),
        ([1], "a task file holds an object with any of output_meta, task_inputs"),
    ],
)
def test_a_malformed_task_file_is_named(write, task, message):
    path = write("t.json", task)
    result = run_cli("preview", "--pricing-file", write("p.json", PRICING), "--task", path)
    assert result.returncode == 2
    assert result.stderr.startswith(f"celprice preview: {path}: {message}")


def test_check_reads_yaml_and_takes_the_pricing_as_an_option(write):
    path = write("p.yaml", PRICING_YAML + "royalty_expression: inference_fee / 10\n")
    for args in ([path], ["--pricing-file", path]):
        result = run_cli("check", *args)
        assert result.returncode == 1
        assert "royalty_expression:1:1: undeclared reference to 'inference_fee'" in result.stdout
    assert run_cli("check", write("ok.yaml", PRICING_YAML)).stdout == "no problems\n"
    result = run_cli("check", path, "--pricing-file", path)
    assert result.returncode == 2
    assert result.stderr == "celprice check: give the pricing file once: as the argument or as --pricing-file FILE\n"


def test_explain_eval_and_repl_see_the_variables_of_a_pricing_and_a_task(write):
    files = ["--pricing-file", write("p.yaml", PRICING_YAML), "--task", write("t.yaml", TASK_YAML)]
    result = run_cli("explain", *files, "image_count(outputs) * prices.per_image")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "image_count(outputs) * prices.per_image = 400000"
    result = run_cli("eval", *files, '"$" + to_dollars(resource_ms * 2500 / 1000)')
    assert result.stdout == '"$0.001125"\n'  # resource_ms derived from usage_seconds; to_dollars: pricing functions
    result = run_cli("repl", *files, input="prices.per_image\nusage_seconds\nsize(outputs)\n")
    assert result.stdout == "200000\n45\n1\n"
    # --var still wins, and a pricing alone gives an empty task.
    result = run_cli("eval", "--pricing-file", files[1], "--var", "usage_seconds=7", "[usage_seconds, size(outputs)]")
    assert result.stdout == "[7, 0]\n"


def test_a_request_file_given_as_vars_points_at_the_options(write):
    result = run_cli("explain", "--pricing", "--vars", write("r.json", {"pricing": PRICING, **TASK}), "1")
    assert result.returncode == 2
    assert result.stderr.endswith(
        "; for a request's pricing and task use --pricing-file FILE and --task FILE\n"
    )


def test_a_case_file_names_its_pricing_file_relative_to_itself(tmp_path):
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "pricing.yaml").write_text(PRICING_YAML)
    cases = tmp_path / "app" / "cases.yaml"
    cases.write_text(
        "pricing_file: pricing.yaml\n"
        "cases:\n"
        "  - name: two images\n"
        "    output_meta: {outputs: [{type: image, count: 2}]}\n"
        "    expect: {inference_fee: 400000, description: $0.002 per image}\n"
    )
    result = run_cli("test", "app/cases.yaml", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == "PASS  two images\n1 case: 1 passed, 0 failed\n"
    # --pricing-file wins over the file's own: the same cases against another pricing.
    other = tmp_path / "other.json"
    other.write_text(json.dumps({**PRICING, "prices": {"per_image": 1}}))
    result = run_cli("test", "app/cases.yaml", "--pricing-file", "other.json", cwd=tmp_path)
    assert result.returncode == 1
    assert "- expected: 400000" in result.stdout and "+ actual:   2" in result.stdout


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("pricing_file: nope.yaml\ncases: [{expect: {total: 1}}]\n", "pricing_file: cannot read {dir}/nope.yaml: No such file or directory"),
        ("pricing_file: p.yaml\npricing: {}\ncases: [{expect: {total: 1}}]\n", "pricing_file: give either pricing or pricing_file, not both"),
        ("pricing_file: 3\ncases: [{expect: {total: 1}}]\n", "pricing_file: must be the path of a pricing file, relative to this file"),
        ("cases: [{expect: {total: 1}}]\n", "pricing: missing, or not an object (or name a pricing_file)"),
    ],
)
def test_pricing_file_mistakes_in_a_case_file(tmp_path, text, message):
    cases = tmp_path / "cases.yaml"
    cases.write_text(text)
    result = run_cli("test", str(cases))
    assert result.returncode == 2
    assert result.stderr == f"celprice test: {cases}: {message.format(dir=tmp_path)}\n"
    assert_no_traceback(result)
