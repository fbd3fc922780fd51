"""`celprice repl`: piped (one expression per line) and on a real terminal (pty)."""
from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time

import pytest
from clihelpers import ROOT, assert_no_traceback, cli_env, needs_pricing, run_cli


def test_piped_expressions_print_one_result_per_line_and_eof_exits_0(write):
    path = write("v.json", {"prices": {"per_image": 200000}, "n": 2})
    result = run_cli("repl", "--vars", path, input="prices.per_image * n\n'a' + 'b'\n\n// a comment\n[n, n]\n")
    assert result.returncode == 0
    assert result.stdout == '400000\n"ab"\n[2, 2]\n'
    assert result.stderr == ""


def test_an_error_goes_to_stderr_and_the_session_goes_on():
    result = run_cli("repl", input="1 / 0\n1 +\n2 + 2\n")
    assert result.returncode == 0
    assert result.stdout == "4\n"
    assert "ERROR: <input>:1:3: divide by zero" in result.stderr
    assert "ERROR: <input>:1:4: Syntax error" in result.stderr
    assert_no_traceback(result)


def test_commands_vars_let_type_help_quit(write):
    path = write("v.json", {"b": [1, 2], "a": "x"})
    script = ":vars\n:let c = b.size() * 10\nc + 1\n:type c\n:help\n:quit\n'never evaluated'\n"
    result = run_cli("repl", "--vars", path, "--var", "z=null", input=script)
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert lines[:3] == ['a = "x"', "b = [1, 2]", "z = null"]  # sorted by name
    assert lines[3:5] == ["21", '{"value": 20, "type": "int"}']
    assert any(line.strip().startswith(":let NAME = EXPR") for line in lines)
    assert "never evaluated" not in result.stdout


def test_vars_with_no_variables():
    result = run_cli("repl", input=":vars\n")
    assert result.stdout == "(no variables)\n"


def test_unknown_and_malformed_commands_are_reported_and_ignored():
    result = run_cli("repl", input=":frob\n:let 1x = 2\n:let y = nope\n3\n")
    assert result.returncode == 0
    assert result.stdout == "3\n"
    assert "unknown command :frob (try :help)" in result.stderr
    assert "usage: :let NAME = EXPR" in result.stderr
    assert "undeclared reference to 'nope'" in result.stderr


def test_missing_vars_file_exits_2_before_reading_input():
    result = run_cli("repl", "--vars", "nope.json", input="1\n")
    assert result.returncode == 2
    assert result.stdout == ""
    assert "cannot read nope.json" in result.stderr


@needs_pricing
def test_pricing_repl():
    result = run_cli("repl", "--pricing", input="to_dollars(123)\nnope\n")
    assert result.returncode == 0
    assert result.stdout == '"0.00000123"\n'
    assert "undeclared reference to 'nope'" in result.stderr


def test_ctrl_c_exits_130_without_a_traceback():
    proc = subprocess.Popen(
        [sys.executable, "-m", "celprice", "repl"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=cli_env(),
        cwd=ROOT,
        text=True,
    )
    try:
        proc.stdin.write("40 + 2\n")
        proc.stdin.flush()
        assert proc.stdout.readline() == "42\n"  # the REPL is now waiting for the next line
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 130
    assert err == "interrupted\n"


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal")
def test_on_a_terminal_it_prompts_keeps_history_and_ctrl_d_exits_0(tmp_path):
    master, slave = os.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "celprice", "repl"],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=cli_env(HOME=str(tmp_path), TERM="dumb"),
        cwd=ROOT,
        close_fds=True,
    )
    os.close(slave)
    seen = b""

    def read_until(token: bytes, start: int = 0, timeout: float = 30) -> int:
        """Read until `token` shows after offset `start`; returns the offset just past it."""
        nonlocal seen
        deadline = time.monotonic() + timeout
        while token not in seen[start:]:
            assert time.monotonic() < deadline, seen
            ready, _, _ = select.select([master], [], [], 0.5)
            if ready:
                try:
                    seen += os.read(master, 4096)
                except OSError:
                    break
        return seen.index(token, start) + len(token)

    try:
        read_until(b"cel> ")
        assert b":help for commands" in seen
        os.write(master, b"6 * 7\n")
        after = read_until(b"42")
        read_until(b"cel> ", after)  # the next prompt: readline is waiting again
        os.write(master, b"\x04")  # Ctrl-D on an empty line: end of input
        assert proc.wait(timeout=30) == 0
    finally:
        proc.kill()
        os.close(master)
    history = tmp_path / ".celprice_history"
    if history.exists():  # readline is optional (absent on some platforms)
        assert "6 * 7" in history.read_text()


@needs_pricing
def test_pricing_let_can_only_bind_declared_names():
    result = run_cli("repl", "--pricing", input=':let x = 1\n:let prices = {"a": 5}\nprices.a * 2\n')
    assert result.returncode == 0
    assert result.stdout == "10\n"
    assert "the pricing environment has no variable 'x'" in result.stderr
