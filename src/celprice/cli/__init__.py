"""The `celprice` command line: try formulas, preview and check pricing, run pricing tests,
manage a ledger's organisations.

Each command lives in its own module with `add_parser(subparsers)` and
`run(args) -> exit code`. main() is the only place that turns exceptions into
messages and exit codes, so no user mistake ends in a traceback.
"""
from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from .. import __version__
from ..errors import CELCheckError, CELError, CELSyntaxError
from . import backtest, cases, check, estimate, evaluate, explain, keys, orgs, preview, repl, serve, usage
from .common import FAILED, INTERRUPTED, USAGE, UsageError, error
from .terminal import EscapingStream

__all__ = ["main", "build_parser"]

_COMMANDS = (preview, estimate, evaluate, check, cases, explain, repl, orgs, serve, keys, usage, backtest)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="celprice",
        description="Evaluate CEL expressions and AI-app pricing formulas.",
        epilog="Run 'celprice COMMAND --help' for a command's options. "
        "Exit codes: 0 success, 1 something evaluated failed, 2 usage or input error, 130 interrupted.",
    )
    parser.add_argument("--version", action="version", version=f"celprice {__version__}")
    subparsers = parser.add_subparsers(title="commands", dest="command", metavar="COMMAND")
    for command in _COMMANDS:
        command.add_parser(subparsers)
    for sub in subparsers.choices.values():
        sub.set_defaults(command_parser=sub)  # so errors show the command's own usage line
    return parser


def _parse(parser: argparse.ArgumentParser, argv: Sequence[str] | None) -> argparse.Namespace:
    """Like parse_args, but an unknown option is reported with its command's usage line."""
    args, extra = parser.parse_known_args(argv)
    if extra:
        getattr(args, "command_parser", parser).error(f"unrecognized arguments: {' '.join(extra)}")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (the console script exits with it)."""
    _tolerate_unencodable_output()
    streams = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = EscapingStream(sys.stdout), EscapingStream(sys.stderr)
    try:
        return _main(argv)
    finally:
        sys.stdout, sys.stderr = streams


def _main(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    args: argparse.Namespace | None = None
    try:
        args = _parse(parser, argv)
        if args.command is None:
            parser.print_help(sys.stderr)
            return USAGE
        status: int = args.run(args)
        return status
    except KeyboardInterrupt:
        error("interrupted")
        return INTERRUPTED
    except UsageError as e:
        command = getattr(args, "command", None)
        error(f"celprice {command}: {e}" if command else f"celprice: {e}")
        return USAGE
    except (CELSyntaxError, CELCheckError) as e:
        error(_error_text(e, args))  # the message with its caret snippet
        return USAGE
    except CELError as e:
        error(_error_text(e, args))
        return FAILED
    except BrokenPipeError:
        # `celprice ... | head`: the reader left; nothing more to say, and no traceback.
        _silence_stdout()
        return FAILED


def _error_text(e: CELError, args: argparse.Namespace | None) -> str:
    if args is None or not hasattr(args, "environment"):  # not an evaluating command
        return str(e)
    return evaluate.error_text(e, args.environment)


def _tolerate_unencodable_output() -> None:
    # A result may hold any Unicode; a terminal that cannot show it gets escapes, not a crash.
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            try:
                reconfigure(errors="backslashreplace")
            except (ValueError, OSError):
                pass


def _silence_stdout() -> None:
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
