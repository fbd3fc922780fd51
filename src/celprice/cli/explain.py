"""`celprice explain`: the value of every sub-expression, printed as a tree.

The tree is built by `celprice.explanation` (one implementation, shared with
the server's `POST /usage/cel/explain`); this module reads the command's
options and prints it.
"""
from __future__ import annotations

import argparse
import sys
from typing import Any

from ..explanation import Step, explain
from ..program import compile as cel_compile
from .common import FAILED, OK, error
from .evaluate import add_variable_options, error_text, prepare
from .values import dumps

__all__ = ["add_parser", "run", "Step", "explain"]

# --- output ---------------------------------------------------------------------


def _glyphs() -> tuple[str, str, str, str]:
    encoding = getattr(sys.stdout, "encoding", None) or "ascii"
    try:
        "├└│─".encode(encoding)
        return "├── ", "└── ", "│   ", "    "
    except (UnicodeEncodeError, LookupError):
        return "|-- ", "`-- ", "|   ", "    "


def _describe(step: Step, width: int) -> str:
    if step.note is not None:
        return f"{step.text}  ({step.note})"
    if step.error is not None:
        return f"{step.text} = error: {step.error}"
    if step.literal:
        return step.text
    value = dumps(step.value)
    if width and len(value) > width:
        value = value[: max(width - 3, 1)] + "..."
    return f"{step.text} = {value}"


def format_tree(root: Step, width: int = 100) -> str:
    tee, last, bar, blank = _glyphs()
    lines = [_describe(root, width)]

    def walk(step: Step, prefix: str) -> None:
        for i, child in enumerate(step.children):
            final = i == len(step.children) - 1
            lines.append(prefix + (last if final else tee) + _describe(child, width))
            walk(child, prefix + (blank if final else bar))

    walk(root, "")
    return "\n".join(lines)


# --- the command ------------------------------------------------------------------


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "explain",
        help="show the value of every sub-expression as a tree",
        description="Evaluate an expression and show each sub-expression with its value (or error), "
        "so you can see why a fee is what it is.",
    )
    p.add_argument("expression", help="the CEL expression")
    add_variable_options(p)
    p.add_argument(
        "--width",
        type=int,
        default=100,
        metavar="N",
        help="shorten values longer than N characters (0: never; default 100)",
    )
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    env, variables = prepare(args)
    program = cel_compile(args.expression, env)  # a syntax or check error: exit 2 in main()
    root, failure = explain(program, variables)
    print(format_tree(root, max(args.width, 0)))
    if failure is not None:
        error(error_text(failure, env))  # the full error, with its caret, as `eval` prints it
        return FAILED
    return OK
