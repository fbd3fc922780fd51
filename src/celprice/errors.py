"""celprice's error types.

Every failure that reaches a caller is one of these; Python exceptions raised
inside the engine are converted at the boundary.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

__all__ = [
    "CELError",
    "CELSyntaxError",
    "CELCheckError",
    "CELEvaluationError",
    "CELLimitError",
    "NoSuchOverload",
    "format_snippet",
    "line_column",
    "located",
    "excerpt",
]


def line_column(source: str, offset: int) -> tuple[int, int]:
    """1-based line and column (in code points) of a 0-based offset."""
    if offset < 0:
        offset = 0
    line = source.count("\n", 0, offset) + 1
    start = source.rfind("\n", 0, offset) + 1
    return line, offset - start + 1


def format_snippet(source: str, line: int, column: int) -> str:
    """The two caret lines the reference implementation prints under an error."""
    lines = source.split("\n")
    if not 1 <= line <= len(lines):
        return ""
    text = lines[line - 1]
    return f" | {text}\n | {'.' * (column - 1)}^"


class CELError(Exception):
    """Base class of every error celprice raises."""

    message: str

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class _Located(CELError):
    """An error that may know where in the source it happened."""

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        offset: int | None = None,
    ) -> None:
        super().__init__(message)
        self.source = source
        self.offset = offset

    @property
    def line(self) -> int | None:
        if self.source is None or self.offset is None:
            return None
        return line_column(self.source, self.offset)[0]

    @property
    def column(self) -> int | None:
        if self.source is None or self.offset is None:
            return None
        return line_column(self.source, self.offset)[1]

    @property
    def snippet(self) -> str:
        if self.source is None or self.offset is None:
            return ""
        line, column = line_column(self.source, self.offset)
        return format_snippet(self.source, line, column)

    def located(self) -> str:
        """`<line>:<column>: <message>`, or the bare message without a position."""
        if self.line is None:
            return self.message
        return f"{self.line}:{self.column}: {self.message}"

    def __str__(self) -> str:
        if self.line is None:
            return self.message
        text = f"ERROR: <input>:{self.located()}"
        snippet = self.snippet
        return f"{text}\n{snippet}" if snippet else text


class CELSyntaxError(_Located):
    """The source is not valid CEL (or breaks a parse-time limit)."""


class CELCheckError(CELError):
    """Static checking found problems; `problems` lists each located error."""

    def __init__(self, problems: Sequence[CELSyntaxError | _Located]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))

    def __reduce__(self) -> tuple[Any, ...]:
        # Rebuilt from its problems (Exception's default would pass the joined text as them).
        return (type(self), (self.problems,), self.__dict__)


class CELEvaluationError(_Located):
    """Evaluation failed: the CEL error value that reached the top.

    `hint` adds to the message when it is first read (a "did you mean" that
    compares names): errors that evaluation absorbs (`||`, `exists`) never pay for it.
    `element` is the list element or map entry being evaluated when the error happened
    inside a comprehension (`outputs[3]`); the message starts with it."""

    element: str | None = None

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        offset: int | None = None,
        hint: Callable[[], str] | None = None,
    ) -> None:
        self._hint = hint
        super().__init__(message, source=source, offset=offset)

    @property
    def message(self) -> str:
        hint = self._hint
        if hint is not None:
            self._hint = None
            self._text += hint()
        return self._text if self.element is None else f"{self.element}: {self._text}"

    @message.setter
    def message(self, text: str) -> None:
        self._text = text
        self.element = None

    def __reduce__(self) -> tuple[Any, ...]:
        # The hint is a closure, which cannot cross a process boundary (replay's
        # workers, multiprocessing): it is spelt out first, and the element kept.
        self.message  # noqa: B018 (resolves the hint)
        return (type(self), (self._text,), {**self.__dict__, "_hint": None})


class CELLimitError(CELEvaluationError):
    """Evaluation exceeded a configured limit (cost, size, time, depth)."""


class NoSuchOverload(CELEvaluationError):
    """No overload of a function accepts the runtime argument types."""


def located(e: CELEvaluationError, pos: int) -> CELEvaluationError:
    """`e` pointing at source offset `pos`, unless it already points somewhere
    (the innermost failing node knows best)."""
    if e.offset is None:
        e.offset = pos
    return e


def int_text(value: int) -> str:
    """An int as a message shows it: its digits, or its size when it has too
    many to write (Python refuses to write more than 4,300 digits)."""
    if value.bit_length() > 256:
        return f"an integer of {value.bit_length()} bits"
    return str(value)


def excerpt(value: object, limit: int = 64) -> str:
    """A value quoted in an error message, cut short: the value may be a
    megabyte of untrusted input, and messages end up in responses and logs."""
    if isinstance(value, int) and not isinstance(value, bool):
        return int_text(value)
    text = repr(value)
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(text)} characters)"
