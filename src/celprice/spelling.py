"""How names appear in messages: operators as people write them, and the closest
known name to a misspelt one.

CEL's internal function names (`_*_`, `_[_]`, `_?_:_`) are what the reference
implementation prints, but an author wrote `*`, `m[k]` and `c ? a : b`; every
message naming a function goes through `function_text`. "Did you mean" is
computed here for every kind of name (variables, fields, functions, price names,
document keys), so the rule of what counts as close is the same everywhere.

A leaf module: it imports nothing from celprice, so every layer may use it.
"""
from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = [
    "OPERATORS",
    "function_text",
    "no_matching_overload",
    "closest",
    "did_you_mean",
    "MAX_CANDIDATES",
]

# CEL's internal name of each operator -> how it is written in an expression.
OPERATORS: dict[str, str] = {
    "_+_": "+",
    "_-_": "-",
    "_*_": "*",
    "_/_": "/",
    "_%_": "%",
    "_<_": "<",
    "_<=_": "<=",
    "_>_": ">",
    "_>=_": ">=",
    "_==_": "==",
    "_!=_": "!=",
    "@in": "in",
    "_&&_": "&&",
    "_||_": "||",
    "!_": "!",
    "-_": "-",
    "_?_:_": "?:",
    "_[_]": "[]",
    "_[?_]": "[?]",
    "_?._": ".?",
}
_INDEXING = frozenset({"_[_]", "_[?_]"})

# Comparing a name with very many candidates costs time on an error path that
# untrusted data can reach; beyond this many, no suggestion is made.
MAX_CANDIDATES = 256
_CUTOFF = 0.75  # difflib's similarity ratio a suggestion must reach


def function_text(name: str) -> str:
    """A function as a message names it: `operator '*'`, `indexing '[]'`, or `'size'`."""
    symbol = OPERATORS.get(name)
    if symbol is None:
        return f"'{name}'"
    return f"{'indexing' if name in _INDEXING else 'operator'} '{symbol}'"


def no_matching_overload(name: str, applied: str) -> str:
    """`found no matching overload for operator '*' applied to '(int, string)'`;
    `applied` is the argument types as written between the second quotes."""
    return f"found no matching overload for {function_text(name)} applied to '{applied}'"


def closest(name: str, names: Iterable[str]) -> str | None:
    """The known name closest to a misspelt one (`partner_fees` -> `partner_fee`), if any is close.

    Case is ignored when comparing (`Outputs` is `outputs` misspelt); names that
    cannot be written by hand (CEL's internal `_+_`, `@it`) are never suggested."""
    candidates: dict[str, str] = {}
    for n in names:
        if type(n) is not str or not n or n == name or n in OPERATORS or n[0] == "@":
            continue
        candidates.setdefault(n.lower(), n)
        if len(candidates) > MAX_CANDIDATES:
            return None
    if not candidates:
        return None
    lowered = name.lower()
    if lowered in candidates:
        return candidates[lowered]
    found = difflib.get_close_matches(lowered, list(candidates), n=1, cutoff=_CUTOFF)
    return candidates[found[0]] if found else None


def did_you_mean(name: str, names: Iterable[str]) -> str:
    """` (did you mean 'outputs'?)` for a misspelt name, or nothing when no known name is close."""
    found = closest(name, names)
    return f" (did you mean '{found}'?)" if found is not None else ""
