"""Warnings: things worth telling the author that do not stop a save or a request.

A `Message` has the fields of the store's ResponseMessage (`level`, `code`,
`message`, `meta`), so an HTTP response can carry a list of them in its
envelope's `messages` unchanged (`to_json()`).
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..spelling import closest

__all__ = ["Message", "unknown_keys"]


@dataclass(frozen=True)
class Message:
    """One warning: `code` is machine-readable (`unknown_field`), `message` one line
    for people, `path` the JSON path it is about (None for the whole thing)."""

    code: str
    message: str
    path: str | None = None
    level: str = "warning"
    meta: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The store's ResponseMessage shape: level, code, message, meta (with the path)."""
        meta = dict(self.meta)
        if self.path is not None:
            meta["path"] = self.path
        out: dict[str, Any] = {"level": self.level, "code": self.code, "message": self.message}
        if meta:
            out["meta"] = meta
        return out

    def __str__(self) -> str:
        where = f"{self.path}: " if self.path is not None else ""
        return f"{self.level}: {where}{self.message}"


def unknown_keys(obj: Any, known: Iterable[str], path: str) -> list[tuple[str, str, str | None]]:
    """(path of the key, message, suggestion) for each key of `obj` not in `known`."""
    if not isinstance(obj, Mapping):
        return []
    known = tuple(known)
    found = []
    for key in obj:
        if key in known:
            continue
        name = key if type(key) is str else json.dumps(key) if isinstance(key, (int, float)) else repr(key)
        suggestion = closest(name, known) if type(key) is str else None
        hint = f"; did you mean '{suggestion}'?" if suggestion else f"; known fields: {', '.join(known)}"
        found.append((f"{path}.{name}", f"unknown field '{name}'{hint}", suggestion))
    return found
