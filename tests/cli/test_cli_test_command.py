"""`celprice test`: an app author's pricing test cases, from JSON or YAML."""
from __future__ import annotations

import pytest
from clihelpers import ROOT, assert_no_traceback, run_cli

PRICING = {
    "prices": {"per_image": 200000},
    "resource_expression": "0",
    "inference_expression": "image_count(outputs) * prices.per_image",
    "description": '"$" + to_dollars(prices.per_image) + " per image"',
}
TWO_IMAGES = {"output_meta": {"outputs": [{"type": "image", "count": 2}]}}


def suite(*cases: dict) -> dict:
    return {"pricing": PRICING, "cases": list(cases)}


def test_all_passing_cases_exit_0(write):
    cases = suite(
        {"name": "two images", **TWO_IMAGES, "expect": {"inference_fee": 400000, "total": 400000}},
        {"name": "described", "expect": {"description": "$0.002 per image", "total": {"value": 0}}},
    )
    result = run_cli("test", write("cases.json", cases))
    assert result.returncode == 0, result.stdout
    assert result.stdout == "PASS  two images\nPASS  described\n2 cases: 2 passed, 0 failed\n"
    assert result.stderr == ""


def test_a_failing_case_prints_a_diff_of_the_components_and_exits_1(write):
    cases = suite(
        {"name": "ok", **TWO_IMAGES, "expect": {"total": 400000}},
        {
            "name": "wrong",
            **TWO_IMAGES,
            "expect": {"inference_fee": 200000, "royalty_fee": {"error": True}, "description": "$1 per image"},
        },
    )
    result = run_cli("test", write("cases.json", cases))
    assert result.returncode == 1
    assert result.stdout == (
        "PASS  ok\n"
        "FAIL  wrong\n"
        "      inference_fee:\n"
        "        - expected: 200000\n"
        "        + actual:   400000\n"
        "      royalty_fee:\n"
        "        - expected: an error\n"
        "        + actual:   0\n"
        "      description:\n"
        '        - expected: "$1 per image"\n'
        '        + actual:   "$0.002 per image"\n'
        "2 cases: 1 passed, 1 failed\n"
    )


def test_expected_errors_by_flag_and_by_text(write):
    broken = {"output_meta": {"outputs": [{"type": "image", "count": -1}]}}
    cases = suite(
        {"name": "any error", **broken, "expect": {"inference_fee": {"error": True}}},
        {"name": "error text", **broken, "expect": {"inference_fee": {"error": "image_count"}}},
        {"name": "wrong text", **broken, "expect": {"inference_fee": {"error": "per_video"}}},
        {"name": "value expected", **broken, "expect": {"inference_fee": 0}},
        {"name": "no error expected", **TWO_IMAGES, "expect": {"inference_fee": {"error": False}}},
    )
    result = run_cli("test", write("cases.json", cases))
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[:2] == ["PASS  any error", "PASS  error text"]
    assert lines[2] == "FAIL  wrong text"
    assert lines[4] == '        - expected: an error containing "per_video"'
    assert lines[5].startswith("        + actual:   error: inference_expression:")
    assert lines[6] == "FAIL  value expected"  # a value means: that value and no error
    assert lines[-2] == "PASS  no error expected"
    assert lines[-1] == "5 cases: 3 passed, 2 failed"


def test_an_invalid_request_in_a_case_fails_that_case(write):
    cases = suite({"name": "negative time", "usage_seconds": -1, "expect": {"total": 0}})
    result = run_cli("test", write("cases.json", cases))
    assert result.returncode == 1
    assert result.stdout.splitlines()[:2] == [
        "FAIL  negative time",
        "      invalid request: usage_seconds: must be a non-negative integer, got -1",
    ]


def test_yaml_case_files(write):
    text = """
pricing:
  prices: {per_image: 200000}
  resource_expression: "0"
  inference_expression: image_count(outputs) * prices.per_image
cases:
  - name: three images
    output_meta: {outputs: [{type: image, count: 3}]}
    expect: {inference_fee: 600000, total: 600000}
"""
    result = run_cli("test", write("cases.yaml", text))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == "PASS  three images\n1 case: 1 passed, 0 failed\n"


def test_the_example_case_files_run():
    assert run_cli("test", "examples/cli/image-cases.yaml", cwd=ROOT).returncode == 0
    assert run_cli("test", "examples/cli/image-cases-failing.json", cwd=ROOT).returncode == 1


def test_quiet_prints_only_failures(write):
    cases = suite({"name": "ok", "expect": {"total": 0}}, {"name": "bad", "expect": {"total": 1}})
    result = run_cli("test", "-q", write("cases.json", cases))
    assert result.stdout.splitlines()[0] == "FAIL  bad"
    assert "PASS" not in result.stdout


@pytest.mark.parametrize(
    "content, message",
    [
        ({"cases": []}, "pricing: missing, or not an object"),
        ({"pricing": PRICING}, "cases: must be a non-empty list of cases"),
        ({"pricing": PRICING, "cases": [], "extra": 1}, "extra: unknown field"),
        (suite({"name": "x"}), "cases[0].expect: missing"),
        (suite({"expect": {"inference_fe": 1}}), "cases[0].expect.inference_fe: unknown component"),
        (suite({"expect": {"total": "12"}}), "cases[0].expect.total: the expected value must be an integer"),
        (suite({"expect": {"description": 5}}), "cases[0].expect.description: the expected value must be a string"),
        (suite({"expect": {"total": {"eror": True}}}), "cases[0].expect.total: an expectation object has"),
        (suite({"expect": {"total": {"error": 1}}}), "cases[0].expect.total.error: must be true, false or a text"),
        (suite({"expect": {}}), "cases[0].expect: expects nothing"),
        (suite({"expect": {"total": 0}}, {"usage_second": 3, "expect": {"total": 0}}), "cases[1].usage_second: unknown field"),
        (suite("not a case"), "cases[0]: must be an object"),
        ([1], "must be an object with \"pricing\" and \"cases\""),
    ],
)
def test_a_malformed_case_file_exits_2_naming_the_field(write, content, message):
    path = write("cases.json", content)
    result = run_cli("test", path)
    assert result.returncode == 2, result.stdout
    assert result.stdout == ""  # checked before any case runs
    assert result.stderr.startswith(f"celprice test: {path}: ")
    assert message in result.stderr
    assert_no_traceback(result)


def test_invalid_json_and_yaml_exit_2(write):
    result = run_cli("test", write("cases.json", "{"))
    assert result.returncode == 2
    assert "invalid JSON" in result.stderr
    result = run_cli("test", write("cases.yml", "pricing: [unclosed"))
    assert result.returncode == 2
    assert "invalid YAML" in result.stderr
    assert_no_traceback(result)


def test_yaml_without_pyyaml_says_what_to_install(write, tmp_path):
    blocker = tmp_path / "blocker"
    blocker.mkdir()
    (blocker / "yaml.py").write_text("raise ImportError('No module named yaml')\n")
    path = write("cases.yaml", "pricing: {}\ncases: []\n")
    result = run_cli("test", path, PYTHONPATH=str(blocker))  # a `yaml` that fails to import comes first
    assert result.returncode == 2, result.stderr
    assert "reading YAML needs PyYAML (pip install 'celprice[yaml]')" in result.stderr


def test_missing_file_exits_2():
    result = run_cli("test", "no-cases.json")
    assert result.returncode == 2
    assert result.stderr == "celprice test: cannot read no-cases.json: No such file or directory\n"
