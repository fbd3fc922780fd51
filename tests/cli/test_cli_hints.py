"""Errors that say how to fix them: the mistakes of trying formulas at the command line."""
from __future__ import annotations

import json

import pytest
from clihelpers import run_cli


@pytest.mark.parametrize("command", ["eval", "explain"])
def test_a_pricing_function_without_the_pricing_environment_says_to_add_pricing(command):
    result = run_cli(command, "to_dollars(5)")
    assert result.returncode in (1, 2)
    assert result.stderr.endswith(
        "unbound function 'to_dollars'\n | to_dollars(5)\n | ..........^\n"
        "hint: to_dollars is a pricing function: add --pricing (or --pricing-file/--task)\n"
    )


def test_a_declared_variable_without_a_value_says_where_to_give_it(write):
    result = run_cli("eval", "--pricing", "--vars", write("v.json", {"prices": {"a": 1}}), "image_count(outputs) * prices.a")
    assert result.returncode == 1
    assert result.stderr.endswith(
        "hint: outputs has no value: give it with --var 'outputs=JSON', --vars FILE or --task FILE\n"
    )
    result = run_cli("repl", "--pricing", input="size(outputs)\n")
    assert "hint: outputs has no value" in result.stderr


def test_no_hint_for_a_plain_unknown_name():
    assert "hint" not in run_cli("eval", "x + 1").stderr
    assert "hint" not in run_cli("eval", "--pricing", "nope + 1").stderr
    assert "hint" not in run_cli("eval", "frob(1)").stderr



@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("pricing_fil: p.yaml\ncases: []\n", "pricing_fil: unknown field (did you mean 'pricing_file'?)"),
        ("pricing: {}\ncases: [{output_mta: {}, expect: {total: 1}}]\n", "cases[0].output_mta: unknown field (did you mean 'output_meta'?)"),
        ("pricing: {}\ncases: [{expect: {totl: 1}}]\n", "cases[0].expect.totl: unknown component (did you mean 'total'?)"),
    ],
)
def test_a_misspelt_name_in_a_case_file_gets_a_suggestion(write, text, message):
    path = write("cases.yaml", text)
    result = run_cli("test", path)
    assert result.returncode == 2
    assert result.stderr.startswith(f"celprice test: {path}: {message} (")


def test_a_misspelt_task_field_gets_a_suggestion(write):
    path = write("t.json", {"usage_second": 3})
    result = run_cli("eval", "--task", path, "1")
    assert result.returncode == 2
    assert result.stderr.startswith(f"celprice eval: {path}: usage_second: not a task field (did you mean 'usage_seconds'?)")


def test_check_names_the_closest_name_and_why_a_fee_cannot_be_read(write):
    pricing = {
        "prices": {"per_image": 200000},
        "inference_expression": "image_counts(outputs) * prices.per_image",
        "royalty_expression": "inference_fee / 10",
        "partner_expression": "size(outputs) * '2'",
        "total_expression": "resource_fee + inference_fee + royalty_fee + partner_fees",
    }
    result = run_cli("check", write("p.json", pricing))
    assert result.returncode == 1
    for line in [
        "inference_expression:1:13: undeclared reference to function 'image_counts' (did you mean 'image_count'?)",
        "royalty_expression:1:1: undeclared reference to 'inference_fee' (only total_expression can read it)",
        "partner_expression:1:15: found no matching overload for operator '*' applied to '(int, string)'",
        "total_expression:1:46: undeclared reference to 'partner_fees' (did you mean 'partner_fee'?)",
    ]:
        assert line in result.stdout.splitlines(), result.stdout


def test_an_error_inside_a_comprehension_names_the_element(write):
    outputs = [{"type": "text", "tokens": 5}, {"type": "text", "tokns": 7}]
    result = run_cli("eval", "--pricing", "--var", f"outputs={json.dumps(outputs)}", "outputs.map(o, o.tokens)")
    assert result.returncode == 1
    assert result.stderr.startswith(
        "ERROR: <input>:1:17: outputs[1]: no such key: 'tokens' (did you mean 'tokns'?)\n"
        " | outputs.map(o, o.tokens)\n"
        " | ................^\n"
    )


def test_preview_names_the_element_and_the_closest_price_name(write):
    pricing = write("p.json", {
        "prices": {"per_image": 200000},
        "inference_expression": "size(outputs.filter(o, o.width > 512)) * prices['per_imag']",
    })
    task = write("t.json", {"output_meta": {"outputs": [{"type": "image", "width": 1024}, {"type": "image", "height": 5}]}})
    result = run_cli("preview", "--pricing-file", pricing, "--task", task)
    assert "inference_expression:1:25: outputs[1]: no such key: 'width'" in result.stdout + result.stderr
    task = write("t2.json", {"output_meta": {"outputs": [{"type": "image", "width": 1024}]}})
    result = run_cli("preview", "--pricing-file", pricing, "--task", task)
    assert "no such key: 'per_imag' (did you mean 'per_image'?)" in result.stdout + result.stderr


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("1 + 'a'", "found no matching overload for operator '+' applied to '(int, string)'"),
        ("{'a': 1}[true]", "found no matching overload for indexing '[]' applied to '(map(string, int), bool)'"),
        ("!1", "found no matching overload for operator '!' applied to '(int)'"),
        ("1 ? 2 : 3", "found no matching overload for operator '?:' applied to '(int, int, int)'"),
    ],
)
def test_operators_are_named_as_written(expression, message):
    result = run_cli("eval", "--pricing", expression)
    assert result.returncode == 2
    assert message in result.stderr
    assert "_" not in result.stderr.split("overload for ", 1)[1].split(" applied")[0]
