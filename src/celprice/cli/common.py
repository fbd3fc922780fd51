"""What every command shares: exit codes, reading input (celprice.documents), variables, error output."""
from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import Any, TextIO

from .. import documents
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
    "read_document",
    "shown",
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
    """The contents of a file, or of stdin for `-`: UTF-8, at most documents.MAX_INPUT_BYTES."""
    origin = shown(path)
    try:
        if path == "-":
            return documents.decode(documents.read_bytes(sys.stdin.buffer, origin), origin)
        with open(path, "rb") as f:
            return documents.decode(documents.read_bytes(f, origin), origin)
    except documents.DocumentError as e:
        raise UsageError(str(e)) from None
    except IsADirectoryError:
        raise UsageError(f"cannot read {origin}: it is a directory") from None
    except OSError as e:
        raise UsageError(f"cannot read {origin}: {e.strerror or e}") from None


def shown(path: str) -> str:
    """A file name as messages show it (`<stdin>` for `-`; main() escapes control characters in all output)."""
    return "<stdin>" if path == "-" else path


def parse_json(text: str, origin: str) -> Any:
    """Strict JSON (no NaN/Infinity, no duplicate keys); errors name the origin and the place."""
    try:
        return documents.parse_json(text, origin)
    except documents.DocumentError as e:
        raise UsageError(str(e)) from None


def read_json(path: str) -> Any:
    return parse_json(read_text(path), shown(path))


def read_document(path: str) -> Any:
    """A JSON file, or a YAML one (.yaml/.yml); `-` is JSON on stdin."""
    text = read_text(path)
    try:
        return documents.parse(text, shown(path))
    except documents.DocumentError as e:
        raise UsageError(str(e)) from None


def load_variables(files: Iterable[str] = (), items: Iterable[str] = ()) -> dict[str, Any]:
    """Variables from `--vars FILE.json` (objects, merged in order) then `--var name=JSON` (which win)."""
    variables: dict[str, Any] = {}
    for path in files:
        data = read_document(path)
        if not isinstance(data, dict):
            raise UsageError(f"{shown(path)}: --vars needs a JSON object of variable names, got {_json_kind(data)}")
        variables.update(data)
    for item in items:
        name, sep, text = item.partition("=")
        name = name.strip()
        if not sep or not name:
            raise UsageError(f"--var {item!r}: expected name=JSON, for example --var 'n=3' or --var 's=\"text\"'")
        try:
            variables[name] = documents.parse_json(text, f"--var {name}")
        except documents.DocumentError as e:
            if ": invalid JSON: " not in str(e):
                raise UsageError(str(e)) from None
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
