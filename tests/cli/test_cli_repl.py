"""`celprice repl`: piped (one expression per line) and on a real terminal (pty)."""
from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from clihelpers import ROOT, assert_no_traceback, cli_env, run_cli


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


def test_pricing_repl():
    result = run_cli("repl", "--pricing", input="to_dollars(123)\nnope\n")
    assert result.returncode == 0
    assert result.stdout == '"0.00000123"\n'
    assert "undeclared reference to 'nope'" in result.stderr


FOREGROUND = str(Path(__file__).with_name("foreground.py"))


def wait_until_blocked(pid: int, timeout: float = 30) -> None:
    """Wait until the process sleeps in a system call (the repl waiting for input).

    A signal that comes while Python runs C code just before a blocking read or
    select() is handled before that call starts, so the call does not return
    until more input comes: Python's signal handling cannot see it in time, and
    readline's loop neither. A user's Ctrl-C comes long after the prompt; a
    test's comes microseconds after the output it waits for, so it waits for
    the sleep too (Linux's /proc; elsewhere, a pause).
    """
    stat = Path(f"/proc/{pid}/stat")
    if not stat.exists():
        time.sleep(0.5)
        return
    deadline = time.monotonic() + timeout
    # The state is the field after the parenthesised command name.
    while stat.read_text().rpartition(")")[2].split()[0] != "S":
        assert time.monotonic() < deadline, "the repl never waited for input"
        time.sleep(0.005)


def test_ctrl_c_exits_130_without_a_traceback():
    # Through foreground.py: a pytest started in the background inherits SIGINT ignored,
    # and so would the repl (that, not a race in the repl, made this test fail in such runs).
    proc = subprocess.Popen(
        [sys.executable, FOREGROUND, "repl"],
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
        assert proc.stdout.readline() == "42\n"
        wait_until_blocked(proc.pid)  # the REPL is now waiting for the next line
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 130
    assert err == "interrupted\n"


class Terminal:
    """The repl on a pseudo-terminal that is its controlling terminal, read as a user would see it."""

    def __init__(self, home: Path, *args: str) -> None:
        self.master, slave = os.openpty()
        self.proc = subprocess.Popen(
            [sys.executable, FOREGROUND, "--tty", "repl", *args],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=cli_env(HOME=str(home), TERM="dumb"),
            cwd=ROOT,
            close_fds=True,
        )
        os.close(slave)
        self.seen = b""

    def read_until(self, token: bytes, start: int = 0, timeout: float = 30) -> int:
        """Read until `token` shows after offset `start`; returns the offset just past it."""
        deadline = time.monotonic() + timeout
        while token not in self.seen[start:]:
            assert time.monotonic() < deadline, self.seen
            ready, _, _ = select.select([self.master], [], [], 0.5)
            if ready:
                try:
                    self.seen += os.read(self.master, 4096)
                except OSError:
                    break
        return self.seen.index(token, start) + len(token)

    def type(self, text: bytes) -> None:
        os.write(self.master, text)

    def close(self) -> None:
        self.proc.kill()
        self.proc.wait()
        os.close(self.master)


needs_pty = pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal")


@pytest.fixture
def terminal(tmp_path):
    terminals = []

    def start(*args: str) -> Terminal:
        terminals.append(Terminal(tmp_path, *args))
        return terminals[-1]

    yield start
    for t in terminals:
        t.close()


@needs_pty
def test_on_a_terminal_it_prompts_keeps_history_and_ctrl_d_exits_0(terminal, tmp_path):
    term = terminal()
    term.read_until(b"cel> ")
    assert b":help for commands" in term.seen
    term.type(b"6 * 7\n")
    after = term.read_until(b"42")
    term.read_until(b"cel> ", after)  # the next prompt: readline is waiting again
    term.type(b"\x04")  # Ctrl-D on an empty line: end of input
    assert term.proc.wait(timeout=30) == 0
    history = tmp_path / ".celprice_history"
    if history.exists():  # readline is optional (absent on some platforms)
        assert "6 * 7" in history.read_text()


# Exhausts the default cost limit after about half a second of work: long enough to
# press Ctrl-C while it runs, and it cannot run away if the Ctrl-C comes too late.
_SLOW = "[{0}].map(a, [{0}].map(b, [{0}].map(c, [{0}].map(d, [{0}].map(e, a + b + c + d + e)))))".format(
    ", ".join(str(i) for i in range(10))
)


@needs_pty
def test_on_a_terminal_ctrl_c_cancels_the_evaluation_and_the_session_goes_on(terminal):
    term = terminal()
    offset = term.read_until(b"cel> ")
    # The evaluation runs about 0.2 s on an idle machine, longer on a busy one:
    # Ctrl-C after a short pause lands inside it.
    for attempt, pause in enumerate((0.05, 0.1, 0.02, 0.15, 0.05, 0.1, 0.01, 0.05)):
        term.type(_SLOW.encode() + b"\n")
        started = term.read_until(b"\n", offset)  # readline echoed the line: evaluation is under way
        time.sleep(pause)
        term.type(b"\x03")  # Ctrl-C, turned into SIGINT by the terminal
        offset = term.read_until(b"cel> ", started)
        if b"interrupted" in term.seen[started:offset]:
            break
        # Else the Ctrl-C came before the evaluation started (the line was dropped) or
        # after it ended (at its cost limit). A late one reaches the next prompt and
        # prints one more: resynchronise on an answer that is not in its own echo.
        time.sleep(0.5)
        term.type(f"7000 + {attempt}\n".encode())
        offset = term.read_until(b"cel> ", term.read_until(f"{7000 + attempt}\r\n".encode(), offset))
    else:
        pytest.fail(f"Ctrl-C never cancelled an evaluation: {term.seen!r}")
    assert b"max_cost" not in term.seen[started:offset]
    assert b"Traceback" not in term.seen
    term.type(b"6 * 7\n")  # the session is still there
    offset = term.read_until(b"42", offset)
    term.read_until(b"cel> ", offset)
    term.type(b"\x04")
    assert term.proc.wait(timeout=30) == 0


@needs_pty
def test_on_a_terminal_ctrl_c_drops_the_line_being_typed(terminal):
    term = terminal()
    offset = term.read_until(b"cel> ")
    term.type(b"1 + ")
    offset = term.read_until(b"1 + ", offset)
    wait_until_blocked(term.proc.pid)
    term.type(b"\x03")
    offset = term.read_until(b"cel> ", offset)
    term.type(b"2 * 3\n")
    offset = term.read_until(b"6", offset)
    term.read_until(b"cel> ", offset)  # Ctrl-D only once readline reads the terminal again
    term.type(b"\x04")
    assert term.proc.wait(timeout=30) == 0
    assert b"Syntax error" not in term.seen


def test_pricing_let_can_only_bind_declared_names():
    result = run_cli("repl", "--pricing", input=':let x = 1\n:let prices = {"a": 5}\nprices.a * 2\n')
    assert result.returncode == 0
    assert result.stdout == "10\n"
    assert "the pricing environment has no variable 'x'" in result.stderr
