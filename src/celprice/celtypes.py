"""The checker's type representation.

A type is one of:
- a string: a primitive or nominal type (`"int"`, `"string"`, `"null_type"`,
  `"timestamp"`, `"duration"`, `"dyn"`, a message name), or `ERROR` (a
  sub-expression that already failed: assignable to anything, so one mistake
  is reported once);
- a tuple `(name, *params)`: a parameterised type (`("list", "int")`,
  `("map", "string", "int")`, `("optional_type", T)`, `("type", T)`, or an
  abstract type such as `("tuple", A, B, C)`);
- a record: a `map(string, dyn)` tuple made by `record_type`, whose identity
  carries a table of typed fields (decoded data whose known keys always hold one
  type). It is a plain map type to everything but field selection, so it passes
  wherever such a map does; a type rebuilt from it (by `resolve`) is a plain map;
- a `Var`: a type parameter. Declarations use named Vars (`A`, `K`, `V`);
  each use of a generic overload gets fresh ones, bound through a
  substitution (a dict Var -> type) while checking.

Everything here is plain data so that a check costs a few dict lookups per node.
"""
from __future__ import annotations

import re
from typing import Union

__all__ = [
    "Var",
    "Type",
    "DYN",
    "record_type",
    "record_field",
    "is_record",
    "ERROR",
    "NUMBERS",
    "parse_type",
    "parse_types",
    "format_type",
    "walk",
    "resolve",
    "assignable",
    "undo",
    "more_general",
    "is_dyn",
]


class Var:
    """A type parameter (or a fresh type variable while checking)."""

    __slots__ = ("name",)

    def __init__(self, name: str = "_") -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"Var({self.name})"


Type = Union[str, tuple, Var]

DYN = "dyn"
ERROR = "*error*"
NUMBERS = frozenset({"int", "uint", "double"})
_DYNS = frozenset({DYN, ERROR})
# Types a null may stand for (protobuf's "legacy nullable" types, and abstract types).
_NOT_NULLABLE = frozenset({"int", "uint", "double", "bool", "string", "bytes", "list", "map", "type"})

_ALIASES = {
    "google.protobuf.Timestamp": "timestamp",
    "google.protobuf.Duration": "duration",
    "any": DYN,
    "google.protobuf.Any": DYN,
    "error": ERROR,
}
_BARE = {"list": ("list", DYN), "map": ("map", DYN, DYN), "optional_type": ("optional_type", DYN), "type": ("type", DYN)}
_ARITY = {"list": 1, "map": 2, "optional_type": 1, "type": 1}
_TOKEN = re.compile(r"\s*(?:([A-Za-z_][A-Za-z0-9_.]*)|([(),]))")


# id(record type) -> (the type, its fields); records are few (one per field table).
_RECORDS: dict[int, tuple[tuple, dict]] = {}
_RECORDS_BY_FIELDS: dict[tuple, tuple] = {}


def record_type(fields: dict[str, Type]) -> tuple:
    """The record type with these typed fields (the same object for the same table)."""
    key = tuple(sorted((name, format_type(t)) for name, t in fields.items()))
    t = _RECORDS_BY_FIELDS.get(key)
    if t is None:
        t = tuple(["map", "string", DYN])  # a new object: its identity names the record
        _RECORDS[id(t)] = (t, dict(fields))
        _RECORDS_BY_FIELDS[key] = t
    return t


def record_field(t: Type, name: str) -> Type | None:
    """The declared type of field `name` when `t` is a record that lists it."""
    entry = _RECORDS.get(id(t))
    return None if entry is None or entry[0] is not t else entry[1].get(name)


def is_record(t: Type) -> bool:
    return id(t) in _RECORDS and _RECORDS[id(t)][0] is t


def _is_param(name: str) -> bool:
    return name[:1].isupper() and "." not in name


def parse_types(
    text: str, params: dict[str, Var] | None = None, named: dict[str, Type] | None = None
) -> list[Type]:
    """A comma-separated list of type names (`"list(A), int"`); `params` maps type
    parameter names to Vars, so the same name means the same Var across calls;
    `named` maps further names (an environment's records) to their types."""
    if params is None:
        params = {}
    tokens: list[str] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:
            raise ValueError(f"invalid type name {text!r}")
        tokens.append(m.group(1) or m.group(2))
        pos = m.end()
    i = 0

    def one() -> Type:
        nonlocal i
        if i >= len(tokens) or tokens[i] in "(),":
            raise ValueError(f"invalid type name {text!r}")
        name = tokens[i]
        i += 1
        args: list[Type] = []
        if i < len(tokens) and tokens[i] == "(":
            i += 1
            args.append(one())
            while i < len(tokens) and tokens[i] == ",":
                i += 1
                args.append(one())
            if i >= len(tokens) or tokens[i] != ")":
                raise ValueError(f"invalid type name {text!r}: missing ')'")
            i += 1
        if not args:
            if name in _BARE:
                return _BARE[name]
            if named and name in named:
                return named[name]
            if _is_param(name):
                var = params.get(name)
                if var is None:
                    var = params[name] = Var(name)
                return var
            return _ALIASES.get(name, name)
        if name in _ARITY and len(args) != _ARITY[name]:
            raise ValueError(f"invalid type name {text!r}: {name} takes {_ARITY[name]} parameter(s)")
        return (name, *args)

    out: list[Type] = []
    if not tokens:
        return out
    out.append(one())
    while i < len(tokens) and tokens[i] == ",":
        i += 1
        out.append(one())
    if i != len(tokens):
        raise ValueError(f"invalid type name {text!r}")
    return out


def parse_type(text: str, params: dict[str, Var] | None = None, named: dict[str, Type] | None = None) -> Type:
    types = parse_types(text, params, named)
    if len(types) != 1:
        raise ValueError(f"invalid type name {text!r}")
    return types[0]


def walk(t: Type, subs: dict) -> Type:
    """`t` with its outermost bound variables followed."""
    while type(t) is Var:
        bound = subs.get(t)
        if bound is None:
            return t
        t = bound
    return t


def resolve(t: Type, subs: dict, free: Type | None = None) -> Type:
    """`t` with every bound variable replaced; unbound ones become `free` (when given)."""
    tt = type(t)
    if tt is str:
        return t
    if tt is Var:
        t = walk(t, subs)
        if type(t) is Var:
            return t if free is None else free
        return resolve(t, subs, free)
    return (t[0], *[resolve(p, subs, free) for p in t[1:]])


def format_type(t: Type, subs: dict | None = None) -> str:
    """The CEL spelling of a type: `map(string, list(int))`; free variables print as dyn."""
    tt = type(t)
    if tt is str:
        return DYN if t == ERROR else t
    if tt is Var:
        if subs is not None:
            bound = walk(t, subs)
            if type(bound) is not Var:
                return format_type(bound, subs)
        return DYN
    return f"{t[0]}({', '.join(format_type(p, subs) for p in t[1:])})"


def is_dyn(t: Type) -> bool:
    return t is DYN or t is ERROR or t == DYN or t == ERROR


def _occurs(v: Var, t: Type, subs: dict) -> bool:
    t = walk(t, subs)
    if t is v:
        return True
    if type(t) is tuple:
        return any(_occurs(v, p, subs) for p in t[1:])
    return False


def _nullable(t: Type) -> bool:
    if type(t) is tuple:
        return t[0] not in _NOT_NULLABLE
    return t not in _NOT_NULLABLE and t not in NUMBERS and t != "null_type"


def assignable(p: Type, a: Type, subs: dict, trail: list) -> bool:
    """Whether a value of type `a` may be passed where `p` is expected, binding type
    variables in `subs` as needed (each binding is appended to `trail` for `undo`)."""
    if type(p) is Var:
        bound = subs.get(p)
        if bound is not None and type(a) is not Var and _widens(p, a, subs, trail):
            return True
        p = walk(p, subs)
    if type(a) is Var:
        a = walk(a, subs)
    if p is a:
        return True
    tp, ta = type(p), type(a)
    if tp is str and ta is str:
        if p == a or p in _DYNS or a in _DYNS:
            return True
        return a == "null_type" and _nullable(p)
    if tp is Var:
        if ta is Var or not _occurs(p, a, subs):
            subs[p] = a
            trail.append(p)
            return True
        return False
    if ta is Var:
        if _occurs(a, p, subs):
            return False
        subs[a] = p
        trail.append(a)
        return True
    if tp is tuple and ta is tuple:
        if p[0] != a[0] or len(p) != len(a):
            return False
        for x, y in zip(p[1:], a[1:]):
            if not assignable(x, y, subs, trail):
                return False
        return True
    # one side a string, the other a tuple
    if p in _DYNS or a in _DYNS:
        return True
    return a == "null_type" and _nullable(p)


class Rebound:
    """A trail entry for a type variable bound again to a more general type
    (`undo` restores the old binding instead of removing it)."""

    __slots__ = ("var", "old")

    def __init__(self, var: Var, old: Type) -> None:
        self.var = var
        self.old = old


def _widens(var: Var, a: Type, subs: dict, trail: list) -> bool:
    """A type variable already bound to T meeting a more general type (dyn
    after int, list(dyn) after list(int)) takes the more general one, as
    cel-go's unification does: `list(int) + list(dyn)` is a list(dyn)."""
    if a == ERROR or _has_var(a, subs):
        return False
    bound = walk(var, subs)
    if type(bound) is Var or _less_or_equally_specific(bound, a, subs):
        return False
    if not _less_or_equally_specific(a, bound, subs) or _occurs(var, a, subs):
        return False
    mark = len(trail)
    if not assignable(bound, a, subs, trail):
        undo(subs, trail, mark)
        return False
    # Rebind the variable the chain ends at, so every alias sees the new type.
    end = var
    while type(subs.get(end)) is Var:
        end = subs[end]
    trail.append(Rebound(end, subs[end]))
    subs[end] = a
    return True


def _has_var(t: Type, subs: dict) -> bool:
    t = walk(t, subs)
    if type(t) is Var:
        return True
    return type(t) is tuple and any(_has_var(x, subs) for x in t[1:])


def undo(subs: dict, trail: list, mark: int = 0) -> None:
    while len(trail) > mark:
        entry = trail.pop()
        if type(entry) is Rebound:
            subs[entry.var] = entry.old
        else:
            del subs[entry]


def rebind(subs: dict, trail: list, var: Var, t: Type) -> None:
    """Bind `var` to `t`, recorded on the trail so `undo` can take it back."""
    old = subs.get(var)
    subs[var] = t
    trail.append(var if old is None else Rebound(var, old))


def _less_or_equally_specific(t1: Type, t2: Type, subs: dict) -> bool:
    t1, t2 = walk(t1, subs), walk(t2, subs)
    if t1 == DYN or t1 == ERROR or type(t1) is Var:
        return True
    if t2 == DYN or t2 == ERROR or type(t2) is Var:
        return False
    if t1 == "null_type":
        return False
    if t2 == "null_type":
        return True
    if type(t1) is tuple and type(t2) is tuple:
        if t1[0] != t2[0] or len(t1) != len(t2):
            return False
        return all(_less_or_equally_specific(x, y, subs) for x, y in zip(t1[1:], t2[1:]))
    return t1 == t2


def more_general(t1: Type, t2: Type, subs: dict) -> Type:
    """The more general of two mutually assignable types (dyn over int, optional over null)."""
    return t1 if _less_or_equally_specific(t1, t2, subs) else t2
