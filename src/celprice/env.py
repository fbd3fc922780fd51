"""Environments: what names an expression may use, which functions exist, and the limits."""
from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Any

from .celtypes import Type as TypeName
from .errors import CELError
from .limits import Limits
from .registry import Entry, Function, Overload, Overrides, Registry, validate_type
from .stdlib import library

__all__ = ["Limits", "Overload", "Function", "Environment", "parse_type", "default_environment"]


def parse_type(text: str, records: Mapping[str, Any] = {}) -> TypeName:
    """Parse a CEL type name such as `map(string, list(int))` (the checker's
    representation); a name starting with an upper-case letter is a type
    parameter (`A`, `T`); the names in `records` are an environment's record
    types. Anything celprice has no values for is a ValueError."""
    return validate_type(text, named=dict.fromkeys(records, "dyn"))


class Environment:
    """Declarations an expression is compiled against.

    `variables` maps names to CEL type names (`{"prices": "map(string, int)"}`);
    when it is given, compiling checks every name the expression uses against
    it. `functions` add custom functions (or new overloads of standard ones).

    `check` turns the static type checker on or off: None (the default) checks
    exactly when variables are declared; True checks even without declarations
    (every name must then be declared); False skips type checking (undeclared
    names are still errors when variables are declared).

    `records` names map types whose fields have fixed types, for data a service
    decodes before evaluation: `{"Item": {"seconds": "double"}}` lets a variable be
    `list(Item)`, and the checker then knows `items[0].seconds` is a double (any
    other key is `dyn`). The service must make the data match; the runtime does
    not convert it.

    `extensions` switches on opt-in libraries by name: `"sets"`, `"lists"`,
    `"regex"` (docs/api.md lists what each holds). None is on by default, as
    in cel-go, because each adds names that can change what an existing
    expression means.
    """

    def __init__(
        self,
        container: str = "",
        variables: Mapping[str, str] | None = None,
        functions: Sequence[Function] = (),
        *,
        limits: Limits | None = None,
        check: bool | None = None,
        records: Mapping[str, Mapping[str, str]] | None = None,
        extensions: Iterable[str] = (),
    ) -> None:
        self.container = container
        if isinstance(extensions, str):
            extensions = (extensions,)
        try:
            # The standard registry with this environment's libraries: what
            # the checker declares and the compiler calls before `functions`.
            self.library = library(extensions)
        except ValueError as e:
            raise CELError(str(e)) from None
        self.extensions: frozenset[str] = frozenset(extensions)
        self.check = check
        self.records: dict[str, dict[str, str]] = {}
        for record, fields in (records or {}).items():
            for field_name, type_text in fields.items():
                try:
                    parse_type(type_text)
                except ValueError as e:
                    raise CELError(f"record {record!r}, field {field_name!r}: {e}") from None
            self.records[record] = dict(fields)
        self.variables: dict[str, str] = {}
        for name, type_text in (variables or {}).items():
            try:
                parse_type(type_text, self.records)
            except ValueError as e:
                raise CELError(f"variable {name!r}: {e}") from None
            self.variables[name] = type_text
        self.limits = limits or Limits()
        # Compiling and evaluating recurse about four Python frames per level
        # of nesting; make sure an expression at the depth limit fits.
        needed = 5 * self.limits.max_nesting_depth + 500
        if sys.getrecursionlimit() < needed:
            sys.setrecursionlimit(needed)
        self.custom: tuple[Function, ...] = tuple(functions)
        for fn in self.custom:
            for ov in fn.overloads:
                try:
                    for p in (*ov.params, ov.result):
                        parse_type(p)
                except ValueError as e:
                    raise CELError(f"function {fn.name!r}: {e}") from None
        # The standard registry plus this environment's functions: new names
        # are entries of their own, overloads of standard names are overrides,
        # tried before the standard implementation.
        self.registry: Registry
        self.overrides: dict[tuple[str, bool], Overrides]
        self.registry, self.overrides = self.library.extended(self.custom)

    def entry(self, name: str, member: bool) -> Entry | None:
        """The registry entry a call of `name` resolves to (None: no such function)."""
        return self.registry.entry(name, member)

    @property
    def declares_variables(self) -> bool:
        return bool(self.variables)

    @property
    def checks(self) -> bool:
        """Whether compiling in this environment runs the type checker."""
        return self.declares_variables if self.check is None else bool(self.check)

    def __repr__(self) -> str:
        extra = f", extensions={sorted(self.extensions)!r}" if self.extensions else ""
        return f"Environment(container={self.container!r}, variables={self.variables!r}{extra})"


@lru_cache(maxsize=1)
def default_environment() -> Environment:
    """The environment of `compile(source)` without one: standard CEL, no declarations."""
    return Environment()
