"""`celprice repl`: an interactive prompt that evaluates expressions against variables.

With a terminal it prompts and keeps history (readline, when the platform has
it); with a pipe it reads one expression per line and prints only results,
so `printf 'a + 1\n' | celprice repl --vars v.json` works in scripts.
"""
from __future__ import annotations

import argparse
import os
import re
import sys
from typing import Any

from .. import __version__
from ..env import Environment
from ..errors import CELError
from ..program import compile as cel_compile
from .common import OK, error
from .evaluate import add_variable_options, error_text, prepare, result_json, undeclared
from .values import dumps

__all__ = ["add_parser", "run", "Session"]

HELP = """\
Type a CEL expression to evaluate it; the result prints as JSON.
  :vars                 list the variables and their values
  :let NAME = EXPR      evaluate EXPR and keep the result as variable NAME
  :type EXPR            print the value with its CEL type
  :help                 this help
  :quit                 leave (or Ctrl-D)"""

_LET = re.compile(r":let\s+([_a-zA-Z][_a-zA-Z0-9]*)\s*=\s*(.+)$", re.S)
HISTORY_FILE = "~/.celprice_history"


class Session:
    """The REPL's state and one-line handler, apart from the terminal (so it is easy to test)."""

    def __init__(self, env: Environment | None, variables: dict[str, Any]) -> None:
        self.env = env
        self.variables = variables

    def evaluate(self, source: str) -> Any:
        return cel_compile(source, self.env).evaluate(self.variables)

    def handle(self, line: str) -> bool:
        """Run one line; False when the session should end."""
        text = line.strip()
        if not text or text.startswith("//"):
            return True
        if not text.startswith(":"):
            self.show(text, with_type=False)
            return True
        command = text.split(None, 1)[0]
        if command in (":quit", ":q", ":exit"):
            return False
        if command in (":help", ":h", ":?"):
            print(HELP)
        elif command == ":vars":
            if not self.variables:
                print("(no variables)")
            for name in sorted(self.variables):
                print(f"{name} = {dumps(self.variables[name])}")
        elif command == ":type":
            self.show(text[len(command):].strip(), with_type=True)
        elif command == ":let":
            match = _LET.match(text)
            if match is None:
                error("usage: :let NAME = EXPR")
            elif (message := undeclared(self.env, [match.group(1)])) is not None:
                error(message)
            else:
                try:
                    self.variables[match.group(1)] = self.evaluate(match.group(2))
                except CELError as e:
                    error(error_text(e, self.env))
        else:
            error(f"unknown command {command} (try :help)")
        return True

    def show(self, source: str, with_type: bool) -> None:
        try:
            value = self.evaluate(source)
        except CELError as e:
            error(error_text(e, self.env))  # an error ends the expression, not the session
            return
        print(result_json(value, with_type))


def _setup_history() -> None:
    try:
        import readline
    except ImportError:  # Windows without pyreadline: the prompt still works, without history
        return
    path = os.path.expanduser(HISTORY_FILE)
    try:
        readline.read_history_file(path)
    except OSError:
        pass
    readline.set_history_length(1000)
    import atexit

    def save() -> None:
        try:
            readline.write_history_file(path)
        except OSError:
            pass

    atexit.register(save)


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "repl",
        help="an interactive prompt evaluating expressions against variables",
        description="Evaluate expressions interactively (with history when readline is available), "
        "or one per line from a pipe. :help lists the commands; Ctrl-D or :quit leaves (exit 0).",
    )
    add_variable_options(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    session = Session(*prepare(args))
    interactive = sys.stdin.isatty()
    prompt = "cel> " if interactive else ""
    if interactive:
        _setup_history()
        print(f"celprice {__version__}: type a CEL expression, :help for commands, Ctrl-D to leave")
    while True:
        try:
            line = input(prompt)
        except EOFError:
            if interactive:
                print()
            return OK
        except KeyboardInterrupt:
            if not interactive:
                raise
            print()  # Ctrl-C drops the line being typed, as in Python's prompt
            continue
        try:
            if not session.handle(line):
                return OK
        except KeyboardInterrupt:
            if not interactive:
                raise
            error("interrupted")  # Ctrl-C cancels the evaluation; the session (and its variables) stay
        sys.stdout.flush()
