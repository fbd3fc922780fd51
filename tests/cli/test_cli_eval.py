"""`celprice eval`: one expression, its value as JSON, errors with carets on stderr."""
from __future__ import annotations

import json

import pytest
from clihelpers import assert_no_traceback, run_cli


@pytest.mark.parametrize(
    "expression, printed",
    [
        ("3 + 4", "7"),
        ("7.0", "7.0"),  # a double stays a double
        ("'héllo' + '!'", '"héllo!"'),
        ("[1, 'a', null, true]", '[1, "a", null, true]'),
        ("{'k': [1u]}", '{"k": [1]}'),  # uint: a plain number
        ("b'\\x00\\xff'", '"AP8="'),  # bytes: base64
        ("timestamp('2024-05-01T12:30:00Z')", '"2024-05-01T12:30:00Z"'),
        ("duration('1500ms')", '"1.5s"'),
        ("0.0 / 0.0", '"NaN"'),
        ("1.0 / 0.0", '"+Inf"'),
        ("-1.0 / 0.0", '"-Inf"'),
        ("type(1u)", '"uint"'),
        ("{true: 'a', 1: 'b'}", '{"true": "a", "1": "b"}'),  # keys JSON cannot merge
        ("optional.of(2)", "2"),
        ("optional.none()", "null"),
    ],
)
def test_values_print_as_json(expression, printed):
    result = run_cli("eval", expression)
    assert result.returncode == 0, result.stderr
    assert result.stdout == printed + "\n"
    assert result.stderr == ""


@pytest.mark.parametrize(
    "expression, value, type_name",
    [
        ("3 + 4", 7, "int"),
        ("3u", 3, "uint"),
        ("2.5", 2.5, "double"),
        ("'x'", "x", "string"),
        ("[1]", [1], "list"),
        ("duration('2s')", "2s", "google.protobuf.Duration"),
        ("null", None, "null_type"),
    ],
)
def test_type_flag_adds_the_cel_type(expression, value, type_name):
    result = run_cli("eval", expression, "--type")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"value": value, "type": type_name}


def test_variables_from_flags_and_files_later_ones_win(write):
    first = write("a.json", {"a": 1, "b": 2, "prices": {"per_image": 200000}})
    second = write("b.json", {"b": 20})
    result = run_cli(
        "eval", "[a, b, c, prices.per_image]", "--vars", first, "--vars", second, "--var", "c=300", "--var", "a=10"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "[10, 20, 300, 200000]\n"


def test_json_numbers_keep_their_kind(write):
    result = run_cli("eval", "[type(i), type(d)]", "--var", "i=2", "--var", "d=2.0")
    assert result.stdout == '["int", "double"]\n'


def test_vars_from_stdin():
    result = run_cli("eval", "x * 2", "--vars", "-", input='{"x": 21}')
    assert result.returncode == 0
    assert result.stdout == "42\n"


def test_a_var_value_that_is_not_json_is_a_usage_error():
    result = run_cli("eval", "x", "--var", "x=abc")
    assert result.returncode == 2
    assert "--var x: 'abc' is not valid JSON" in result.stderr
    assert "x=\"abc\"" in result.stderr  # says how to pass a string
    assert result.stdout == ""


def test_a_var_without_a_name_is_a_usage_error():
    result = run_cli("eval", "1", "--var", "=3")
    assert result.returncode == 2
    assert "expected name=JSON" in result.stderr


def test_evaluation_error_exits_1_with_the_caret_snippet_on_stderr():
    result = run_cli("eval", "prices.per_token * 2", "--var", 'prices={"per_image": 1}')
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == (
        "ERROR: <input>:1:7: no such key: 'per_token'\n"
        " | prices.per_token * 2\n"
        " | ......^\n"
    )


def test_syntax_error_exits_2_with_the_caret_snippet():
    result = run_cli("eval", "prices.per_image *")
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines[0].startswith("ERROR: <input>:1:19: Syntax error:")
    assert lines[1:] == [" | prices.per_image *", " | ..................^"]


def test_an_undeclared_variable_is_an_evaluation_error_in_core_cel():
    result = run_cli("eval", "nope + 1")
    assert result.returncode == 1
    assert "undeclared reference to 'nope'" in result.stderr


@pytest.mark.parametrize(
    "args, message",
    [
        (["--vars", "/no/such/file.json"], "cannot read /no/such/file.json: No such file or directory"),
        (["--vars", "."], "cannot read .: it is a directory"),
    ],
)
def test_unreadable_vars_file_exits_2(args, message):
    result = run_cli("eval", "1", *args)
    assert result.returncode == 2
    assert result.stderr == f"celprice eval: {message}\n"


def test_invalid_json_vars_file_names_the_line_and_column(write):
    path = write("bad.json", '{"a": 1,\n "b": }')
    result = run_cli("eval", "a", "--vars", path)
    assert result.returncode == 2
    assert result.stderr == f"celprice eval: {path}: invalid JSON: Expecting value (line 2, column 7)\n"


def test_nan_is_not_json(write):
    path = write("nan.json", '{"a": NaN}')
    result = run_cli("eval", "a", "--vars", path)
    assert result.returncode == 2
    assert "NaN is not valid JSON" in result.stderr


def test_vars_file_must_hold_an_object(write):
    result = run_cli("eval", "1", "--vars", write("list.json", [1, 2]))
    assert result.returncode == 2
    assert "--vars needs a JSON object of variable names, got an array" in result.stderr


def test_not_utf8_vars_file(tmp_path):
    path = tmp_path / "latin1.json"
    path.write_bytes(b'{"a": "\xe9"}')
    result = run_cli("eval", "a", "--vars", str(path))
    assert result.returncode == 2
    assert "not a UTF-8 text file" in result.stderr
    assert_no_traceback(result)


def test_an_expression_starting_with_a_dash_after_double_dash():
    result = run_cli("eval", "--var", "x=5", "--", "-x + 1")
    assert result.returncode == 0
    assert result.stdout == "-4\n"


def test_a_limit_error_is_an_evaluation_error():
    ten = "[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]"
    expression = "1"
    for var in "abcdef":  # 10**6 elements: over the default cost limit
        expression = f"{ten}.map({var}, {expression})"
    result = run_cli("eval", expression)
    assert result.returncode == 1
    assert "max_cost" in result.stderr
    assert_no_traceback(result)


def test_pricing_environment_has_the_pricing_functions_and_standard_arithmetic():
    result = run_cli("eval", "--pricing", "[to_dollars(2500000), 3.0 * 1.5, image_count(outputs)]",
                     "--var", 'outputs=[{"type": "image", "count": 2}]')
    assert result.returncode == 0, result.stderr
    assert result.stdout == '["0.025", 4.5, 2]\n'


def test_core_cel_has_no_pricing_functions_or_promotion():
    result = run_cli("eval", "3 * 1.5")
    assert result.returncode == 1
    assert "no matching overload" in result.stderr
    result = run_cli("eval", "to_dollars(1)")
    assert result.returncode == 1


def test_pricing_environment_rejects_names_no_formula_sees_before_evaluating():
    result = run_cli("eval", "--pricing", "nope + 1")
    assert result.returncode == 2  # found at check time, like a syntax error
    assert "undeclared reference to 'nope'" in result.stderr
    assert " | nope + 1" in result.stderr


def test_pricing_rejects_a_variable_no_formula_can_read():
    result = run_cli("eval", "--pricing", "image_count(outputs)", "--var", "output=[]")
    assert result.returncode == 2
    assert result.stderr.startswith("celprice eval: the pricing environment has no variable 'output' (did you mean 'outputs'?) (it has ")
    assert "outputs" in result.stderr
    assert result.stdout == ""


def test_pricing_variables_are_decoded_like_a_request():
    # `"seconds": 90` is the double 90.0 to a formula, as in a request.
    result = run_cli("eval", "--pricing", "outputs[0].seconds / 60.0", "--var", 'outputs=[{"type": "audio", "seconds": 90}]')
    assert (result.returncode, result.stdout) == (0, "1.5\n")
    result = run_cli("eval", "--pricing", "outputs[0].seconds", "--var", 'outputs=[{"type": "audio", "seconds": "x"}]')
    assert result.returncode == 2
    assert result.stderr == 'celprice eval: invalid variable: outputs[0].seconds: must be a number, got "x"\n'
