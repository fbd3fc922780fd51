"""The function registry: every function and operator declared once.

A `Function` is a name with its overloads (CEL signature and Python
implementation) and the facts the rest of the core needs about it:

- `cost`: what evaluating it costs (`Cost`), and `precheck`, the check that
  charges that cost and refuses an oversized result before the work is done
  (work.py holds the prechecks);
- `specialised`: the compiler may replace its standard overloads by a
  specialised closure (specialize.py) when the environment adds no overload
  for the types that closure handles;
- `overridable`: whether an Environment may add overloads to it;
- `pure`: whether constant folding may run it at compile time.

The standard library (stdlib/) is one list of Functions; the checker's
declarations, the cost prechecks, the builders' size checks and the
fast-operator table are all read from a `Registry` of them, and an
Environment extends it with its own Functions (the pricing helpers are such
Functions). Adding a function is one Function in one list.
"""
from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .celtypes import Type as TypeName
from .celtypes import Var, parse_type
from .errors import CELError, NoSuchOverload
from . import work
from .limits import Limits
from .spelling import no_matching_overload
from .values import Duration, Optional, Timestamp, Type, UInt, type_name

__all__ = ["Cost", "Overload", "Function", "standard", "Registry", "Entry", "Overrides", "validate_type"]

Check = Callable[[tuple[Any, ...], Any, Limits], None]


class Cost(enum.Enum):
    """What one call costs, as the budget sees it: a cost unit stands for a
    bounded amount of time (benchmarks/calibrate_cost.py measures it), so
    every call whose work grows with an input is charged that input's size
    before the work is done.

    - CONSTANT: bounded work whatever the arguments; one unit, like any node.
    - SCANS: reads its inputs; its precheck charges their size (by default
      `work.scans`: the code points, bytes or elements of every string,
      bytes, list or map argument) and refuses an oversized result.
    - BUILDS: makes a new value; the result is measured against the size
      limits and charged, and a precheck, when it has one, charges the input
      read (and the result, bounded before it is built) instead.
    - WALKS: walks nested values (deep equality, membership); the
      implementation is handed the budget and charges as it goes.
    """

    CONSTANT = "constant"
    SCANS = "scans its input"
    BUILDS = "builds output"
    WALKS = "walks values"


@dataclass(frozen=True)
class Overload:
    """One signature of a function: CEL type names for params and result.

    A method's first parameter is its receiver (`string.contains(string)` is
    `Overload(["string", "string"], "bool", impl, member=True)`)."""

    params: Sequence[str]
    result: str
    impl: Callable[..., Any]
    member: bool = False


@dataclass(frozen=True)
class Function:
    """A function or operator with its overloads and what the core needs to know of it.

    Custom functions keep the defaults: not folded (their implementation may
    not be pure), constant cost, never replaced by a specialised closure.
    """

    name: str
    overloads: Sequence[Overload] = field(default_factory=tuple)
    cost: Cost = Cost.CONSTANT
    precheck: Check | None = None
    specialised: bool = False
    overridable: bool = True
    pure: bool = False
    # math.greatest and math.least: typed by the checker from their arguments.
    variadic_numeric: bool = False
    # The implementation checks its argument types itself (the library's do,
    # raising no_overload): it is called directly, without a dispatcher.
    dispatches: bool = False

    def __post_init__(self) -> None:
        if self.cost is Cost.SCANS and self.precheck is None:
            # A scan is charged what it reads unless it says otherwise.
            object.__setattr__(self, "precheck", work.scans)


def _split_params(text: str) -> list[str]:
    """`list(A), string` -> ["list(A)", "string"] (commas inside parentheses stay)."""
    out, depth, start = [], 0, 0
    for i, c in enumerate(text):
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        elif c == "," and depth == 0:
            out.append(text[start:i].strip())
            start = i + 1
    last = text[start:].strip()
    if last:
        out.append(last)
    return out


def standard(
    name: str,
    impl: Callable[..., Any],
    *signatures: str,
    member: bool = False,
    method_too: bool = False,
    **facts: Any,
) -> Function:
    """A library function whose one implementation dispatches on its arguments itself.

    Signatures read `"int, int -> int"` (a method's receiver first);
    `method_too` declares each signature as a method as well (`size`).
    Library functions are pure unless said otherwise.
    """
    overloads = []
    for sig in signatures:
        params, _, result = sig.rpartition("->")
        forms = (member,) if not method_too else (False, True)
        for m in forms:
            overloads.append(Overload(_split_params(params), result.strip(), impl, m))
    if "cost" not in facts and any(_sized(p) for ov in overloads for p in ov.params):
        # What a call costs must be decided for every library function that
        # takes a value of unbounded size: forgetting it would let a formula
        # do input-sized work for one unit.
        raise TypeError(f"{name}: declare cost= (a Cost): it takes a string, bytes, list, map or any value")
    facts.setdefault("pure", True)
    facts.setdefault("dispatches", True)
    return Function(name, tuple(overloads), **facts)


def _sized(param: str) -> bool:
    """Whether a parameter may hold a value of unbounded size."""
    head = param.split("(", 1)[0].strip()
    return head in ("string", "bytes", "list", "map", "dyn") or (head[:1].isupper() and "(" not in param)


# --- type names ----------------------------------------------------------------------

# What an Environment accepts; the checker's parser also takes message names
# and abstract types, which celprice has no values for.
_NAMED = frozenset({"int", "uint", "double", "bool", "string", "bytes", "null_type", "dyn", "timestamp", "duration"})
_GENERIC = frozenset({"list", "map", "optional_type", "type"})


def validate_type(text: str, *, named: Mapping[str, TypeName] | None = None) -> TypeName:
    """Parse a CEL type name such as `map(string, list(int))`; a name starting
    with an upper-case letter is a type parameter, `named` maps further names
    (an environment's records) to types. Anything celprice has no values for
    is a ValueError."""
    parsed = parse_type(text, named=dict(named) if named else None)

    def check(t: TypeName) -> None:
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
            check(param)

    check(parsed)
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


def _matcher(parsed: TypeName) -> Callable[[Any], bool] | None:
    """A runtime check for a parameter type, or None when anything is accepted."""
    if isinstance(parsed, Var):
        return None
    return _MATCH_TYPES.get(parsed if isinstance(parsed, str) else str(parsed[0]))


def _general_match(general: list[tuple[int, tuple[Any, ...], Callable[..., Any]]], args: Sequence[Any]) -> Callable[..., Any] | None:
    """The first overload of (arity, per-parameter checks, impl) that accepts `args`."""
    n = len(args)
    for arity, checks, impl in general:
        if arity != n:
            continue
        for check, arg in zip(checks, args):
            if check is not None and not check(arg):
                break
        else:
            return impl
    return None


class Overrides:
    """Overloads an Environment adds to one name, chosen by the runtime types of
    the arguments: scalar signatures by one dict lookup on the tuple of
    argument types (this keeps the pricing dialect's promoted operators
    cheap), the others tried in order."""

    __slots__ = ("name", "exact", "general", "call")

    def __init__(self, name: str, overloads: Sequence[Overload], fallback: Callable[..., Any] | None) -> None:
        self.name = name
        self.exact: dict[tuple[type, ...], Callable[..., Any]] = {}
        self.general: list[tuple[int, tuple[Any, ...], Callable[..., Any]]] = []
        for ov in overloads:
            parsed = [parse_type(p) for p in ov.params]
            if all(isinstance(t, str) and t in _EXACT_TYPES for t in parsed):
                self.exact.setdefault(tuple(_EXACT_TYPES[t] for t in parsed), ov.impl)  # type: ignore[index]
            else:
                self.general.append((len(parsed), tuple(_matcher(p) for p in parsed), ov.impl))
        self.call = self._caller(fallback)

    def find(self, args: Sequence[Any]) -> Callable[..., Any] | None:
        """The custom implementation for these arguments, or None when none applies."""
        if self.exact:
            impl = self.exact.get(tuple(map(type, args)))
            if impl is not None:
                return impl
        return _general_match(self.general, args)

    def claims(self, *samples: Sequence[Any]) -> bool:
        """Whether a custom overload applies to any of these sample argument lists."""
        return any(self.find(s) is not None for s in samples)

    def _caller(self, fallback: Callable[..., Any] | None) -> Callable[..., Any]:
        """One callable: the custom overloads first, then the standard implementation.

        Calls of the pricing dialect go through here on every evaluation: the
        exact table is a dict lookup, the general overloads one loop."""
        name, general, exact = self.name, self.general, self.exact

        def no_match(*args: Any) -> Any:
            types = ", ".join(type_name(a) for a in args)
            raise NoSuchOverload(no_matching_overload(name, f"({types})"))

        last = fallback if fallback is not None else no_match
        if general:
            def rest(*args: Any) -> Any:
                impl = _general_match(general, args)
                return last(*args) if impl is None else impl(*args)
        else:
            rest = last
        if not exact:
            return rest
        get = exact.get
        if {len(k) for k in exact} == {2}:
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


class Entry:
    """One name of the registry as a global function or as a method."""

    __slots__ = ("name", "member", "function", "overloads", "impl")

    def __init__(self, name: str, member: bool, function: Function, overloads: list[Overload]) -> None:
        self.name = name
        self.member = member
        self.function = function
        self.overloads = overloads
        one = len({id(ov.impl) for ov in overloads}) == 1
        # A library function is one implementation for every signature; others
        # get a dispatcher choosing by the arguments' runtime types.
        self.impl: Callable[..., Any] = (
            overloads[0].impl if one and function.dispatches else Overrides(name, overloads, None).call
        )


_SPECIALISABLE_SAMPLES = ((0, 0), (0.0, 0.0), ("", ""))


class Registry:
    """Functions by name: what the compiler calls, the checker types, and the budget charges."""

    def __init__(self, functions: Iterable[Function] = ()) -> None:
        self.functions: dict[str, Entry] = {}
        self.methods: dict[str, Entry] = {}
        for fn in functions:
            self.add(fn)

    def add(self, fn: Function) -> None:
        by_form: dict[bool, list[Overload]] = {}
        for ov in fn.overloads:
            by_form.setdefault(ov.member, []).append(ov)
        for member, overloads in by_form.items():
            table = self.methods if member else self.functions
            if fn.name in table:
                raise RuntimeError(f"{'method' if member else 'function'} {fn.name!r} declared twice")
            table[fn.name] = Entry(fn.name, member, fn, overloads)

    def entry(self, name: str, member: bool) -> Entry | None:
        return (self.methods if member else self.functions).get(name)

    def entries(self) -> Iterable[Entry]:
        yield from self.functions.values()
        yield from self.methods.values()

    def extended(self, functions: Sequence[Function]) -> tuple["Registry", dict[tuple[str, bool], Overrides]]:
        """This registry plus an environment's Functions: new names become entries,
        overloads of existing names become Overrides tried before the standard ones."""
        out = Registry()
        out.functions, out.methods = dict(self.functions), dict(self.methods)
        new: dict[tuple[str, bool], list[tuple[Function, Overload]]] = {}
        for fn in functions:
            for ov in fn.overloads:
                new.setdefault((fn.name, ov.member), []).append((fn, ov))
        overrides: dict[tuple[str, bool], Overrides] = {}
        for (name, member), pairs in new.items():
            overloads = [ov for _, ov in pairs]
            existing = self.entry(name, member)
            if existing is None:
                first = pairs[0][0]
                pure = all(fn.pure for fn, _ in pairs)
                merged = Function(
                    name, overloads, first.cost, first.precheck, False, first.overridable, pure,
                    first.variadic_numeric, first.dispatches and len(pairs) == 1,
                )
                (out.methods if member else out.functions)[name] = Entry(name, member, merged, overloads)
                continue
            if not existing.function.overridable:
                raise CELError(f"function {name!r} cannot be given new overloads")
            overrides[(name, member)] = Overrides(name, overloads, existing.impl)
        return out, overrides

    # --- derived tables ------------------------------------------------------------------

    def signatures(self) -> Iterable[tuple[Entry, Overload]]:
        for e in self.entries():
            for ov in e.overloads:
                yield e, ov

    def names_costing(self, *costs: Cost) -> frozenset[str]:
        return frozenset(e.name for e in self.entries() if e.function.cost in costs)

    def prechecked(self) -> dict[str, Check]:
        return {e.name: e.function.precheck for e in self.entries() if e.function.precheck is not None}

    def specialised(self) -> frozenset[str]:
        return frozenset(e.name for e in self.entries() if e.function.specialised)


def specialisable(entry: Entry, overrides: Overrides | None) -> bool:
    """Whether a specialised closure may stand for this call: the function allows
    it and the environment adds no overload for the types the closures handle
    inline (same-typed ints, doubles and strings)."""
    if not entry.function.specialised:
        return False
    return overrides is None or not overrides.claims(*_SPECIALISABLE_SAMPLES)
