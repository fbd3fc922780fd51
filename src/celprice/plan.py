"""What one closure tells the compiler about itself, as typed values.

The compiler turns each node into a closure; some closures are reads whose
shape a parent can fuse into its own closure, saving a call per evaluation
(`x.f` reads `x` itself, `x.f == 'a'` reads both in one closure). These
values carry the closure and what the fusing parent needs; `code()` gives
the closure alone.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["Const", "Read", "FieldRead", "IndexRead", "code"]

Code = Callable[[Any], Any]


class Const:
    """A compile-time constant (kept apart from closures for folding)."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


class Read:
    """A variable or local read: `key` in the activation, `missing` the error when absent."""

    __slots__ = ("code", "key", "missing", "pos")

    def __init__(self, code: Code, key: str, missing: Any, pos: int) -> None:
        self.code, self.key, self.missing, self.pos = code, key, missing, pos


class FieldRead:
    """`name.field` in one closure: the read of `key`, then the field."""

    __slots__ = ("code", "key", "missing", "field", "pos")

    def __init__(self, code: Code, key: str, missing: Any, field: str, pos: int) -> None:
        self.code, self.key, self.missing, self.field, self.pos = code, key, missing, field, pos


class IndexRead:
    """`name[index]` with a constant int index."""

    __slots__ = ("code", "key", "index")

    def __init__(self, code: Code, key: str, index: int) -> None:
        self.code, self.key, self.index = code, key, index


_FUSABLE = (Read, FieldRead, IndexRead)


def code(c: Any) -> Code:
    """The closure of a compiled node, whatever the compiler knows of it."""
    t = type(c)
    if t is Const:
        value = c.value
        return lambda a: value
    if t in _FUSABLE:
        return c.code  # type: ignore[no-any-return]
    return c  # type: ignore[no-any-return]
