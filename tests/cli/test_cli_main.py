"""The command line as a whole: help, version, usage errors, the entry point."""
from __future__ import annotations

import importlib
import re

import pytest
from clihelpers import ROOT, assert_no_traceback, run_cli

import celprice

COMMANDS = ["preview", "eval", "check", "test", "explain", "repl"]


def test_version_prints_the_package_version():
    result = run_cli("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"celprice {celprice.__version__}"


def test_top_level_help_lists_every_command_and_the_exit_codes():
    result = run_cli("--help")
    assert result.returncode == 0
    for command in COMMANDS:
        assert re.search(rf"^\s+{command}\s+\S", result.stdout, re.M), command
    assert "130 interrupted" in result.stdout


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command):
    result = run_cli(command, "--help")
    assert result.returncode == 0
    assert result.stdout.startswith(f"usage: celprice {command} ")
    assert result.stderr == ""


@pytest.mark.parametrize("command", COMMANDS)
def test_an_unknown_flag_is_a_usage_error_with_the_commands_usage(command):
    args = {"preview": ["r.json"], "eval": ["1"], "check": ["p.json"], "test": ["c.json"], "explain": ["1"]}
    result = run_cli(command, *args.get(command, []), "--no-such-flag")
    assert result.returncode == 2
    assert f"usage: celprice {command}" in result.stderr
    assert "unrecognized arguments: --no-such-flag" in result.stderr
    assert result.stdout == ""


def test_no_command_prints_help_on_stderr_and_exits_2():
    result = run_cli()
    assert result.returncode == 2
    assert "usage: celprice" in result.stderr
    assert result.stdout == ""


def test_an_unknown_command_exits_2():
    result = run_cli("frobnicate")
    assert result.returncode == 2
    assert "invalid choice: 'frobnicate'" in result.stderr
    assert_no_traceback(result)


def test_a_missing_argument_exits_2():
    result = run_cli("eval")
    assert result.returncode == 2
    assert "the following arguments are required: expression" in result.stderr


def test_the_console_script_entry_point_resolves_and_returns_the_exit_code(capsys):
    text = (ROOT / "pyproject.toml").read_text("utf-8")
    target = re.search(r'^celprice = "([\w.]+):(\w+)"$', text, re.M)
    assert target, "pyproject declares the celprice script"
    main = getattr(importlib.import_module(target.group(1)), target.group(2))
    assert main(["eval", "6 * 7"]) == 0
    assert capsys.readouterr().out == "42\n"
    assert main(["eval", "1 / 0"]) == 1
