"""Environments: what names an expression may use, which functions exist, and the limits."""
from __future__ import annotations

import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .checker.types import Type as TypeName
from .checker.types import Var
from .checker.types import parse_type as parse_checker_type
from .errors import CELError, NoSuchOverload
from .values import Duration, Optional, Timestamp, Type, UInt, type_name

__all__ = ["Limits", "Overload", "Function", "Environment", "parse_type"]


@dataclass(frozen=True)
class Limits:
    """Resource limits for untrusted expressions (defaults from the pricing spec).

    Sizes are counted in code points (strings), bytes (bytes) and elements
    (lists, maps); cost is counted as the pricing spec defines it; `timeout`
    is wall-clock seconds per evaluation, or None for no deadline.
    """

    max_expression_length: int = 10_000
    max_nesting_depth: int = 250
    max_cost: int = 1_000_000
    max_string_size: int = 1_048_576
    max_list_size: int = 100_000
    timeout: float | None = None


@dataclass(frozen=True)
class Overload:
    """One signature of a custom function: CEL type names for params and result."""

    params: Sequence[str]
    result: str
    impl: Callable[..., Any]
    member: bool = False


@dataclass(frozen=True)
class Function:
    name: str
    overloads: Sequence[Overload] = field(default_factory=tuple)


# --- type names ---------------------------------------------------------------------

# What an Environment accepts; the checker's parser also takes message names
# and abstract types, which celprice has no values for.
_NAMED = frozenset({"int", "uint", "double", "bool", "string", "bytes", "null_type", "dyn", "timestamp", "duration"})
_GENERIC = frozenset({"list", "map", "optional_type", "type"})


def parse_type(text: str, records: Mapping[str, Any] = {}) -> TypeName:
    """Parse a CEL type name such as `map(string, list(int))` (the checker's
    representation); a name starting with an upper-case letter is a type
    parameter (`A`, `T`); the names in `records` are an environment's record
    types. Anything celprice has no values for is a ValueError."""
    parsed = parse_checker_type(text, named=dict.fromkeys(records, "dyn"))

    def validate(t: TypeName) -> None:
        if isinstance(t, Var):
            return
        if isinstance(t, str):
            if t not in _NAMED:
                raise ValueError(f"unknown type {t!r} in {text!r}")
            return
        if t[0] in _NAMED:
            raise ValueError(f"invalid type name {text!r}: {t[0]} takes no parameters")
        if t[0] not in _GENERIC:
            raise ValueError(f"unknown type {t[0]!r} in {text!r}")
        for param in t[1:]:
            validate(param)

    validate(parsed)
    return parsed


_MATCH_TYPES: dict[str, Callable[[Any], bool]] = {
    "int": lambda v: type(v) is int,
    "uint": lambda v: type(v) is UInt,
    "double": lambda v: type(v) is float,
    "bool": lambda v: type(v) is bool,
    "string": lambda v: type(v) is str,
    "bytes": lambda v: type(v) is bytes,
    "null_type": lambda v: v is None,
    "timestamp": lambda v: type(v) is Timestamp,
    "duration": lambda v: type(v) is Duration,
    "list": lambda v: isinstance(v, (list, tuple)),
    "map": lambda v: isinstance(v, Mapping),
    "optional_type": lambda v: type(v) is Optional,
    "type": lambda v: type(v) is Type,
}


def _matcher(parsed: TypeName) -> Callable[[Any], bool] | None:
    """A runtime check for a parameter type, or None when anything is accepted."""
    if isinstance(parsed, Var):
        return None
    return _MATCH_TYPES.get(parsed if isinstance(parsed, str) else parsed[0])


_EXACT_TYPES: dict[str, type] = {
    "int": int,
    "uint": UInt,
    "double": float,
    "bool": bool,
    "string": str,
    "bytes": bytes,
    "null_type": type(None),
    "timestamp": Timestamp,
    "duration": Duration,
}


def _dispatcher(name: str, overloads: list[Overload], fallback: Callable[..., Any] | None) -> Callable[..., Any]:
    """One callable choosing among overloads by the runtime types of the arguments.

    Overloads over scalar types are found with one dict lookup on the tuple of
    argument types (this is what keeps the pricing dialect's promoted
    operators cheap); the others are tried in order; then the standard
    function, if the name has one.
    """
    exact: dict[tuple[type, ...], Callable[..., Any]] = {}
    general = []
    for ov in overloads:
        parsed = [parse_type(p) for p in ov.params]
        if all(isinstance(t, str) and t in _EXACT_TYPES for t in parsed):
            exact.setdefault(tuple(_EXACT_TYPES[t] for t in parsed), ov.impl)
        else:
            general.append((len(parsed), tuple(_matcher(p) for p in parsed), ov.impl))

    def no_match(*args: Any) -> Any:
        types = ", ".join(type_name(a) for a in args)
        raise NoSuchOverload(f"found no matching overload for '{name}' applied to '({types})'")

    last = fallback if fallback is not None else no_match
    if general:
        def rest(*args: Any) -> Any:
            n = len(args)
            for arity, checks, impl in general:
                if arity != n:
                    continue
                for check, arg in zip(checks, args):
                    if check is not None and not check(arg):
                        break
                else:
                    return impl(*args)
            return last(*args)
    else:
        rest = last
    if not exact:
        return rest
    get = exact.get
    arities = {len(k) for k in exact}
    if arities == {2}:
        def call2(*args: Any) -> Any:
            if len(args) == 2:
                impl = get((type(args[0]), type(args[1])))
                if impl is not None:
                    return impl(*args)
            return rest(*args)

        return call2

    def call(*args: Any) -> Any:
        impl = get(tuple(map(type, args)))
        if impl is not None:
            return impl(*args)
        return rest(*args)

    return call


def _standard_library() -> tuple[dict[str, Callable[..., Any]], dict[str, Callable[..., Any]]]:
    from .stdlib import library

    return library()


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
    ) -> None:
        self.container = container
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
        globals_, methods = _standard_library()
        self.functions: dict[str, Callable[..., Any]] = dict(globals_)
        self.methods: dict[str, Callable[..., Any]] = dict(methods)
        self.custom: tuple[Function, ...] = tuple(functions)
        by_name: dict[tuple[str, bool], list[Overload]] = {}
        for fn in functions:
            for ov in fn.overloads:
                try:
                    for p in (*ov.params, ov.result):
                        parse_type(p)
                except ValueError as e:
                    raise CELError(f"function {fn.name!r}: {e}") from None
                by_name.setdefault((fn.name, ov.member), []).append(ov)
        for (name, member), overloads in by_name.items():
            table = self.methods if member else self.functions
            table[name] = _dispatcher(name, overloads, table.get(name))

    @property
    def declares_variables(self) -> bool:
        return bool(self.variables)

    @property
    def checks(self) -> bool:
        """Whether compiling in this environment runs the type checker."""
        return self.declares_variables if self.check is None else bool(self.check)

    def __repr__(self) -> str:
        return f"Environment(container={self.container!r}, variables={self.variables!r})"
