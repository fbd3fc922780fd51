"""`celprice eval`: evaluate one expression and print the result as JSON."""
from __future__ import annotations

import argparse
import json
import re
from collections.abc import Iterable
from typing import Any

from ..env import Environment
from ..errors import CELCheckError, CELError
from ..program import compile as cel_compile
from ..spelling import did_you_mean
from ..pricing import RequestError, decode_activation, pricing_environment
from . import inputs
from .common import OK, UsageError, load_variables
from .values import to_json, type_of

__all__ = ["add_parser", "run", "add_variable_options", "environment", "prepare", "undeclared", "result_json", "error_text"]


def add_variable_options(p: argparse.ArgumentParser) -> None:
    """The options every evaluating command shares (eval, explain, repl)."""
    p.add_argument(
        "--var",
        action="append",
        default=[],
        metavar="NAME=JSON",
        help="a variable, its value as JSON (repeatable; wins over --vars): --var n=3 --var 's=\"x\"'",
    )
    p.add_argument(
        "--vars",
        action="append",
        default=[],
        metavar="FILE.json",
        help="a JSON object of variables (repeatable; later files win; - for stdin)",
    )
    p.add_argument(
        "--pricing",
        action="store_true",
        help="use the pricing environment (its functions, such as to_dollars)",
    )
    # A pricing or a task file gives the variables a fee expression sees (prices, outputs, ...),
    # in the pricing environment; --vars/--var then add to them or replace them.
    inputs.add_pricing_file_option(p)
    inputs.add_task_option(p)


def environment(pricing: bool) -> Environment | None:
    """None means the default core-CEL environment."""
    return pricing_environment() if pricing else None


def undeclared(env: Environment | None, names: Iterable[str]) -> str | None:
    """A message when an environment that declares its variables does not declare some of these.

    Formulas in the pricing environment can read only the declared names, so a
    variable with another name is most likely a typo (`output` for `outputs`).
    """
    if env is None or not env.declares_variables:
        return None
    unknown = sorted(n for n in names if n not in env.variables)
    if not unknown:
        return None
    suggestion = "".join(did_you_mean(n, env.variables) for n in unknown)
    hint = ""
    if "pricing" in unknown:  # a request or case file given as --vars
        hint = "; for a request's pricing and task use --pricing-file FILE and --task FILE"
    return (
        f"the pricing environment has no variable {', '.join(repr(n) for n in unknown)}{suggestion} "
        f"(it has {', '.join(sorted(env.variables))}){hint}"
    )


def prepare(args: argparse.Namespace) -> tuple[Environment | None, dict[str, Any]]:
    """The environment and the variables of an evaluating command, checked against each other."""
    task = inputs.task_variables(args.pricing_file, args.task)
    variables = {**task, **load_variables(args.vars, args.var)}
    env = environment(args.pricing or bool(task))
    message = undeclared(env, variables)
    if message is not None:
        raise UsageError(message)
    if env is not None:
        # Output-meta items as a request delivers them (`"seconds": 90` is 90.0).
        try:
            variables = decode_activation(variables)
        except RequestError as e:
            raise UsageError(f"invalid variable: {e}") from None
    args.environment = env  # so main() can say how to fix an error (error_text)
    return env, variables


_UNBOUND = re.compile(r"unbound function '([^']+)'")
_UNDECLARED = re.compile(r"(?:undeclared reference to|no value for variable) '([^']+)'")


def _pricing_functions() -> set[str]:
    return {f.name for f in pricing_environment().custom}


def error_text(e: CELError, env: Environment | None) -> str:
    """A CEL error as the commands print it, with a line saying how to fix the likely mistakes:
    a pricing function used without the pricing environment, a declared variable given no value."""
    text = str(e)
    messages = [p.message for p in e.problems] if isinstance(e, CELCheckError) else [e.message]
    for message in messages:
        unbound = _UNBOUND.search(message)
        if env is None and unbound and unbound.group(1) in _pricing_functions():
            return f"{text}\nhint: {unbound.group(1)} is a pricing function: add --pricing (or --pricing-file/--task)"
        missing = _UNDECLARED.search(message)
        if env is not None and missing and missing.group(1) in env.variables and not isinstance(e, CELCheckError):
            name = missing.group(1)
            return f"{text}\nhint: {name} has no value: give it with --var '{name}=JSON', --vars FILE or --task FILE"
    return text


def result_json(value: Any, with_type: bool) -> str:
    if with_type:
        return json.dumps({"value": to_json(value), "type": type_of(value)}, ensure_ascii=False)
    return json.dumps(to_json(value), ensure_ascii=False)


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "eval",
        help="evaluate one expression and print the result as JSON",
        description="Evaluate a CEL expression and print its value as JSON. "
        "Exit 0 on success, 1 on an evaluation error, 2 on a syntax or usage error.",
    )
    p.add_argument("expression", help="the CEL expression")
    add_variable_options(p)
    p.add_argument("--type", action="store_true", help='print {"value": ..., "type": ...} with the CEL type')
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    env, variables = prepare(args)
    # A syntax or check error, or an evaluation error, propagates to main(), which
    # prints it with its caret snippet and exits 2 or 1.
    value = cel_compile(args.expression, env).evaluate(variables)
    print(result_json(value, args.type))
    return OK
