"""The abstract syntax tree: small immutable nodes that remember where they came from.

`pos` is the 0-based code-point offset of the node's token in the source;
`depth` is the node's nesting depth (a leaf is 1), kept for the depth limit.
Macros are expanded by the parser into dedicated nodes (`Has`, `Comprehension`,
`Bind`) so the compiler can give each its own efficient loop.
"""
from __future__ import annotations

from typing import Any

__all__ = [
    "Node",
    "Literal",
    "Ident",
    "Select",
    "Index",
    "Call",
    "ListLit",
    "MapLit",
    "Struct",
    "Cond",
    "And",
    "Or",
    "Has",
    "Comprehension",
    "Bind",
    "MACRO_NAMES",
]


# The node classes set their slots directly rather than through `_init`: a
# cold compile builds every node of the tree, and keyword arguments, a loop
# and a generator per node were a fifth of the parse.
_set = object.__setattr__


def _depth(nodes: tuple[Node, ...]) -> int:
    """The greatest depth among `nodes` (0 for none)."""
    depth = 0
    for node in nodes:
        if node.depth > depth:
            depth = node.depth
    return depth


class Node:
    __slots__ = ("pos", "depth")
    pos: int
    depth: int

    def children(self) -> tuple["Node", ...]:
        return ()

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def _init(self, pos: int, **fields: Any) -> None:
        for key, value in fields.items():
            _set(self, key, value)
        _set(self, "pos", pos)
        _set(self, "depth", 1 + _depth(self.children()))

    def __repr__(self) -> str:
        fields = ", ".join(
            f"{name}={getattr(self, name)!r}"
            for cls in type(self).__mro__
            for name in getattr(cls, "__slots__", ())
            if name not in ("pos", "depth")
        )
        return f"{type(self).__name__}({fields})"

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return False
        return all(
            getattr(self, n) == getattr(other, n)
            for cls in type(self).__mro__
            for n in getattr(cls, "__slots__", ())
            if n not in ("pos", "depth")
        )

    __hash__ = object.__hash__


class Literal(Node):
    __slots__ = ("value",)

    def __init__(self, value: Any, pos: int) -> None:
        _set(self, "value", value)
        _set(self, "pos", pos)
        _set(self, "depth", 1)


class Ident(Node):
    """A name; `absolute` for a leading dot (`.y`), which skips local scopes and the container."""

    __slots__ = ("name", "absolute")

    def __init__(self, name: str, pos: int, absolute: bool = False) -> None:
        _set(self, "name", name)
        _set(self, "absolute", absolute)
        _set(self, "pos", pos)
        _set(self, "depth", 1)


class Select(Node):
    __slots__ = ("operand", "field", "optional")

    def __init__(self, operand: Node, field: str, pos: int, optional: bool = False) -> None:
        _set(self, "operand", operand)
        _set(self, "field", field)
        _set(self, "optional", optional)
        _set(self, "pos", pos)
        _set(self, "depth", operand.depth + 1)

    def children(self) -> tuple[Node, ...]:
        return (self.operand,)


class Index(Node):
    __slots__ = ("operand", "index", "optional")

    def __init__(self, operand: Node, index: Node, pos: int, optional: bool = False) -> None:
        _set(self, "operand", operand)
        _set(self, "index", index)
        _set(self, "optional", optional)
        _set(self, "pos", pos)
        _set(self, "depth", 1 + (operand.depth if operand.depth > index.depth else index.depth))

    def children(self) -> tuple[Node, ...]:
        return (self.operand, self.index)


class Call(Node):
    """A function or operator call; operators use CEL's names (`_+_`, `!_`, `@in`)."""

    __slots__ = ("function", "args", "target", "absolute")

    def __init__(
        self,
        function: str,
        args: tuple[Node, ...],
        pos: int,
        target: Node | None = None,
        absolute: bool = False,
    ) -> None:
        args = tuple(args)
        _set(self, "function", function)
        _set(self, "args", args)
        _set(self, "target", target)
        _set(self, "absolute", absolute)
        _set(self, "pos", pos)
        depth = _depth(args)
        if target is not None and target.depth > depth:
            depth = target.depth
        _set(self, "depth", depth + 1)

    def children(self) -> tuple[Node, ...]:
        return self.args if self.target is None else (self.target, *self.args)


class ListLit(Node):
    """`optional` holds the indices of `?x` elements."""

    __slots__ = ("elements", "optional")

    def __init__(self, elements: tuple[Node, ...], pos: int, optional: frozenset[int] = frozenset()) -> None:
        elements = tuple(elements)
        _set(self, "elements", elements)
        _set(self, "optional", frozenset(optional))
        _set(self, "pos", pos)
        _set(self, "depth", 1 + _depth(elements))

    def children(self) -> tuple[Node, ...]:
        return self.elements


class MapLit(Node):
    """`entries` are (key, value, is_optional) triples."""

    __slots__ = ("entries",)

    def __init__(self, entries: tuple[tuple[Node, Node, bool], ...], pos: int) -> None:
        self._init(pos, entries=tuple(entries))

    def children(self) -> tuple[Node, ...]:
        return tuple(n for k, v, _ in self.entries for n in (k, v))


class Struct(Node):
    """A message construction `pkg.Type{field: value}`; celprice has no message types."""

    __slots__ = ("type_name", "fields")

    def __init__(self, type_name: str, fields: tuple[tuple[str, Node, bool], ...], pos: int) -> None:
        self._init(pos, type_name=type_name, fields=tuple(fields))

    def children(self) -> tuple[Node, ...]:
        return tuple(v for _, v, _ in self.fields)


class Cond(Node):
    __slots__ = ("cond", "then", "otherwise")

    def __init__(self, cond: Node, then: Node, otherwise: Node, pos: int) -> None:
        _set(self, "cond", cond)
        _set(self, "then", then)
        _set(self, "otherwise", otherwise)
        _set(self, "pos", pos)
        _set(self, "depth", 1 + _depth((cond, then, otherwise)))

    def children(self) -> tuple[Node, ...]:
        return (self.cond, self.then, self.otherwise)


class And(Node):
    __slots__ = ("left", "right")

    def __init__(self, left: Node, right: Node, pos: int) -> None:
        _set(self, "left", left)
        _set(self, "right", right)
        _set(self, "pos", pos)
        _set(self, "depth", 1 + (left.depth if left.depth > right.depth else right.depth))

    def children(self) -> tuple[Node, ...]:
        return (self.left, self.right)


class Or(And):
    __slots__ = ()


class Has(Node):
    """`has(operand.field)`: tests presence of a map key (or a field)."""

    __slots__ = ("operand", "field")

    def __init__(self, operand: Node, field: str, pos: int) -> None:
        self._init(pos, operand=operand, field=field)

    def children(self) -> tuple[Node, ...]:
        return (self.operand,)


class Comprehension(Node):
    """An expanded iteration macro.

    kind is one of all, exists, exists_one, map, filter, transform_list,
    transform_map, transform_map_entry, opt_map, opt_flat_map, sort_by (the
    lists extension's `sortBy`, valid only where that library is on). `var2` is the value variable of the
    two-variable forms (then `var` is the index or key); `predicate` is the
    filter of `map(x, p, t)` and of the 4-argument transforms.
    """

    __slots__ = ("kind", "range", "var", "var2", "predicate", "body")

    def __init__(
        self,
        kind: str,
        range: Node,
        var: str,
        var2: str | None,
        predicate: Node | None,
        body: Node,
        pos: int,
    ) -> None:
        self._init(pos, kind=kind, range=range, var=var, var2=var2, predicate=predicate, body=body)

    def children(self) -> tuple[Node, ...]:
        if self.predicate is None:
            return (self.range, self.body)
        return (self.range, self.predicate, self.body)


# How each Comprehension.kind is spelled in CEL source (for messages and rendering).
MACRO_NAMES = {
    "all": "all",
    "exists": "exists",
    "exists_one": "exists_one",
    "map": "map",
    "filter": "filter",
    "transform_list": "transformList",
    "transform_map": "transformMap",
    "transform_map_entry": "transformMapEntry",
    "opt_map": "optMap",
    "opt_flat_map": "optFlatMap",
    "sort_by": "sortBy",
}


class Bind(Node):
    """`cel.bind(var, init, body)`."""

    __slots__ = ("var", "init", "body")

    def __init__(self, var: str, init: Node, body: Node, pos: int) -> None:
        self._init(pos, var=var, init=init, body=body)

    def children(self) -> tuple[Node, ...]:
        return (self.init, self.body)
