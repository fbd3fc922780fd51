"""What the commands do with hostile or surprising input files: bounded, strict, and said plainly."""
from __future__ import annotations

import os

import pytest
from clihelpers import assert_no_traceback, run_cli

from celprice.documents import MAX_INPUT_BYTES

ESC = "\x1b"


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_an_endless_input_is_refused_at_the_size_limit():
    result = run_cli("preview", "/dev/zero")
    assert result.returncode == 2
    assert result.stderr == (
        f"celprice preview: /dev/zero: larger than 16 MiB ({MAX_INPUT_BYTES:,} bytes), the limit for an input "
        "(split it, or pass only what the command needs)\n"
    )


def test_stdin_is_bounded_too():
    result = run_cli("eval", "x", "--vars", "-", input='{"x": "' + "a" * MAX_INPUT_BYTES + '"}')
    assert result.returncode == 2
    assert result.stderr.startswith("celprice eval: <stdin>: larger than 16 MiB")


def test_a_yaml_alias_bomb_in_a_test_file_is_refused(write):
    bomb = "pricing: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n" for p, c in zip("abcdefgh", "bcdefghi")
    )
    assert len(bomb) < 500
    path = write("bomb.yaml", bomb)
    result = run_cli("test", path)
    assert result.returncode == 2
    assert result.stderr == (
        f"celprice test: {path}: line 2, column 8: YAML aliases (*a) are not supported; write the value out in full\n"
    )


def test_yaml_is_read_with_json_compatible_core_typing(write):
    path = write("v.yaml", "n: 0100\ncountry: NO\nswitch: on\nday: 2024-01-01\n")
    result = run_cli("eval", "[n, country, switch, day]", "--vars", path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == '[100, "NO", "on", "2024-01-01"]\n'


@pytest.mark.parametrize("name", ["v.yaml", "v.json"])
def test_a_5000_digit_integer_is_a_clear_error(write, name):
    path = write(name, ("n: " if name.endswith("yaml") else '{"n": ') + "7" * 5000 + ("" if name.endswith("yaml") else "}"))
    result = run_cli("eval", "n", "--vars", path)
    assert result.returncode == 2
    assert "an integer of 5,000 digits is too long (at most 100; celprice's integers are 64-bit)" in result.stderr
    assert result.stderr.startswith(f"celprice eval: {path}: ")
    assert_no_traceback(result)


def test_duplicate_json_keys_are_refused_naming_the_key_and_its_place(write):
    text = '{"pricing": {"prices": {"per_image": 1, "per_image": 2}, "inference_expression": "1"}}'
    path = write("r.json", text)
    result = run_cli("preview", path)
    assert result.returncode == 2
    assert result.stderr == (
        f'celprice preview: {path}: duplicate key "per_image" in pricing.prices (each key may appear once)\n'
    )


def test_duplicate_yaml_keys_are_refused_with_their_line(write):
    path = write("cases.yaml", "pricing: {}\ncases:\n  - name: a\n    expect: {total: 1}\n    expect: {total: 2}\n")
    result = run_cli("test", path)
    assert result.returncode == 2
    assert result.stderr == (
        f'celprice test: {path}: line 5, column 5: duplicate key "expect" in cases[0] '
        "(first at line 4; each key may appear once)\n"
    )


def test_duplicate_keys_in_a_var_are_refused():
    result = run_cli("eval", "m", "--var", 'm={"a": 1, "a": 2}')
    assert result.returncode == 2
    assert result.stderr == 'celprice eval: --var m: duplicate key "a" in the top-level object (each key may appear once)\n'


def test_control_characters_in_a_caret_snippet_are_shown_escaped(write):
    # A comment that would turn the terminal red and then overwrite the line with a carriage return.
    expression = f"prices.per_image + nope // {ESC}[31mall good{ESC}[0m\r no problems"
    path = write("p.json", {"prices": {"per_image": 1}, "inference_expression": expression})
    result = run_cli("check", path)
    assert result.returncode == 1
    assert ESC not in result.stdout and "\r" not in result.stdout
    assert "\\x1b[31mall good\\x1b[0m\\x0d no problems" in result.stdout
    assert "undeclared reference to 'nope'" in result.stdout


def test_control_characters_in_file_names_are_shown_escaped(tmp_path):
    name = f"evil{ESC}]0;owned\x07.json"
    result = run_cli("eval", "1", "--vars", name, cwd=tmp_path)
    assert result.returncode == 2
    assert ESC not in result.stderr and "\x07" not in result.stderr
    assert result.stderr == "celprice eval: cannot read evil\\x1b]0;owned\\x07.json: No such file or directory\n"
