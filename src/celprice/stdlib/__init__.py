"""The standard library: one Registry of the Functions its modules declare.

Each module declares its functions next to their implementations (`DECLS`,
built with `registry.standard`); nothing else lists them.

`STANDARD` is what every Environment has: the CEL language definition plus
the extensions celprice has always had on (strings, math, encoders,
optionals, bindings, two-variable comprehensions), which the conformance
suite covers. The libraries in `EXTENSIONS` are opt-in, per Environment,
as every cel-go extension is: switching one on can change the meaning of an
expression that worked without it (`regex.replace(a, b)` on a variable
named `regex` becomes the library function), so none is on by default.
"""
from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from ..registry import Function, Registry
from . import conversions, encoders, lists, math, operators, optionals, regex, sets, strings, time

__all__ = ["STANDARD", "EXTENSIONS", "library"]

_BASE: tuple[Function, ...] = tuple(
    fn
    for module in (operators, conversions, optionals, strings, time, math, encoders)
    for fn in module.DECLS
)

STANDARD = Registry(_BASE)

# Opt-in libraries by the name `Environment(extensions=...)` takes.
EXTENSIONS: dict[str, tuple[Function, ...]] = {
    "lists": lists.DECLS,
    "regex": regex.DECLS,
    "sets": sets.DECLS,
}


def _forms(fn: Function) -> set[tuple[str, bool]]:
    return {(fn.name, ov.member) for ov in fn.overloads}


@lru_cache(maxsize=None)
def _library(names: frozenset[str]) -> Registry:
    added = [fn for name in sorted(names) for fn in EXTENSIONS[name]]
    # An extension function may take over a standard name, keeping its
    # signatures (lists' `reverse` also reverses strings).
    taken = set().union(*(_forms(fn) for fn in added)) if added else set()
    kept = [fn for fn in _BASE if not (_forms(fn) & taken)]
    return Registry([*kept, *added])


def library(names: Iterable[str] = ()) -> Registry:
    """The standard registry with the named opt-in libraries switched on
    (one shared Registry per set of names). An unknown name is a ValueError."""
    chosen = frozenset(names)
    unknown = sorted(chosen - EXTENSIONS.keys())
    if unknown:
        raise ValueError(
            f"unknown extension {', '.join(map(repr, unknown))} (known: {', '.join(sorted(EXTENSIONS))})"
        )
    return STANDARD if not chosen else _library(chosen)
