"""What the command line prints is text for a terminal: control characters in it are escaped.

Messages quote what people wrote (file names, caret snippets of formulas,
case names, descriptions); a formula's comment holding ESC sequences or a
carriage return could otherwise recolour, hide or rewrite what `celprice check`
shows. Results printed as JSON are escaped by JSON already; this catches the
rest in one place, the streams main() prints to.
"""
from __future__ import annotations

import re
from typing import Any, TextIO

__all__ = ["escape_controls", "EscapingStream", "unescaped"]

# C0 controls but tab and newline, DEL, C1 controls, and the bidirectional
# overrides and isolates that reorder how a line displays ("Trojan Source").
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape_controls(text: str) -> str:
    """`text` with every control character as a visible escape (`\\x1b`); tabs and newlines stay."""
    return _CONTROLS.sub(_escape, text)


class EscapingStream:
    """A text stream that escapes control characters in what is written through it."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        self._stream.write(escape_controls(text))
        return len(text)

    def __getattr__(self, name: str) -> Any:  # flush, fileno, isatty, encoding, buffer...
        return getattr(self._stream, name)


def unescaped(stream: Any) -> Any:
    """The stream under an EscapingStream: for a progress bar's own carriage returns."""
    return stream._stream if isinstance(stream, EscapingStream) else stream
