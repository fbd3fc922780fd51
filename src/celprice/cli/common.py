"""What every command shares: exit codes, reading JSON input, variables, error output."""
from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from typing import Any, TextIO

from ..errors import CELCheckError, CELError

__all__ = [
    "OK",
    "FAILED",
    "USAGE",
    "INTERRUPTED",
    "UsageError",
    "read_text",
    "parse_json",
    "read_json",
    "load_variables",
    "error",
    "cel_error_text",
    "DEFAULT_DB",
    "add_db_option",
]

# Exit codes, the same for every command.
OK = 0
FAILED = 1  # the input was read, and something in it failed (a component, a case, a check)
USAGE = 2  # the input could not be used at all: usage, unreadable file, invalid JSON or request
INTERRUPTED = 130  # Ctrl-C, as shells report SIGINT


# The ledger a command opens without --db: a SQLite file in the working directory.
DEFAULT_DB = "sqlite:///celprice.db"


def add_db_option(parser: Any) -> None:
    """`--db URL`, the ledger database, the same for every command that opens one."""
    parser.add_argument(
        "--db",
        metavar="URL",
        default=DEFAULT_DB,
        help=f"the ledger database: sqlite:///path.db or postgresql://user@host/dbname (default: {DEFAULT_DB}, "
        "a file in the working directory)",
    )


class UsageError(Exception):
    """A mistake in how the tool was called or in what it was given; exits 2 without a traceback."""


def error(message: str, stream: TextIO | None = None) -> None:
    """Print a message for the user on stderr (results alone go to stdout, so pipes stay clean)."""
    print(message, file=stream or sys.stderr)


def read_text(path: str) -> str:
    """The contents of a file, or of stdin for `-`."""
    if path == "-":
        return sys.stdin.read()
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except UnicodeDecodeError:
        raise UsageError(f"{path}: not a UTF-8 text file") from None
    except IsADirectoryError:
        raise UsageError(f"cannot read {path}: it is a directory") from None
    except OSError as e:
        raise UsageError(f"cannot read {path}: {e.strerror or e}") from None


def _reject_constant(name: str) -> Any:
    # Python's json accepts NaN and Infinity; JSON does not, and neither do we.
    raise ValueError(f"{name} is not valid JSON")


def parse_json(text: str, origin: str) -> Any:
    """Strict JSON (no NaN/Infinity); errors name the origin, the line and the column."""
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as e:
        raise UsageError(f"{origin}: invalid JSON: {e.msg} (line {e.lineno}, column {e.colno})") from None
    except ValueError as e:
        raise UsageError(f"{origin}: invalid JSON: {e}") from None
    except RecursionError:
        raise UsageError(f"{origin}: invalid JSON: nested too deeply") from None


def read_json(path: str) -> Any:
    origin = "<stdin>" if path == "-" else path
    return parse_json(read_text(path), origin)


def load_variables(files: Iterable[str] = (), items: Iterable[str] = ()) -> dict[str, Any]:
    """Variables from `--vars FILE.json` (objects, merged in order) then `--var name=JSON` (which win)."""
    variables: dict[str, Any] = {}
    for path in files:
        data = read_json(path)
        if not isinstance(data, dict):
            raise UsageError(f"{path}: --vars needs a JSON object of variable names, got {_json_kind(data)}")
        variables.update(data)
    for item in items:
        name, sep, text = item.partition("=")
        name = name.strip()
        if not sep or not name:
            raise UsageError(f"--var {item!r}: expected name=JSON, for example --var 'n=3' or --var 's=\"text\"'")
        try:
            variables[name] = json.loads(text, parse_constant=_reject_constant)
        except (ValueError, RecursionError):
            raise UsageError(
                f"--var {name}: {text!r} is not valid JSON (a string needs quotes: --var '{name}=\"{text}\"')"
            ) from None
    return variables


def _json_kind(value: Any) -> str:
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    return "null" if value is None else type(value).__name__


def cel_error_text(e: CELError) -> str:
    """One line for a CEL error: the message without the caret snippet (for trees and tables)."""
    if isinstance(e, CELCheckError) and e.problems:
        return "; ".join(p.message for p in e.problems)
    return e.message
