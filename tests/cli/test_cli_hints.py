"""Errors that say how to fix them: the two mistakes of trying formulas at the command line."""
from __future__ import annotations

import pytest
from clihelpers import needs_pricing, run_cli

pytestmark = needs_pricing


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
