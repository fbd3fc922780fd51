"""What an expression reads: its free variables, and which fee components it reads
through `fees`. Used to tell the fees that can be computed before a task runs."""
from __future__ import annotations

from .. import ast

__all__ = ["free_names", "fees_keys", "ANY_KEY"]

# fees_keys' answer for a formula that reads `fees` other than as `fees.name`.
ANY_KEY = "*"


def free_names(node: ast.Node) -> set[str]:
    """The variables an expression reads (comprehension and bind variables excluded)."""
    names: set[str] = set()
    stack: list[tuple[ast.Node, frozenset[str]]] = [(node, frozenset())]
    while stack:
        n, scope = stack.pop()
        t = type(n)
        if t is ast.Ident:
            if n.absolute or n.name not in scope:  # type: ignore[attr-defined]
                names.add(n.name)  # type: ignore[attr-defined]
        elif t is ast.Comprehension:
            inner = scope | {n.var} | ({n.var2} if n.var2 else set())  # type: ignore[attr-defined]
            stack.append((n.range, scope))  # type: ignore[attr-defined]
            stack.extend((child, inner) for child in n.children()[1:])
        elif t is ast.Bind:
            stack.append((n.init, scope))  # type: ignore[attr-defined]
            stack.append((n.body, scope | {n.var}))  # type: ignore[attr-defined]
        else:
            stack.extend((child, scope) for child in n.children())
    return names


def _is_fees(node: ast.Node) -> bool:
    return type(node) is ast.Ident and node.name == "fees"


def fees_keys(node: ast.Node) -> set[str]:
    """The component names an expression reads from `fees` (`fees.resource_fee`,
    `fees["resource_fee"]`, `has(fees.x)`); ANY_KEY among them when it uses `fees`
    any other way (`size(fees)`, `fees[k]`), which may read every component.
    A comprehension variable named `fees` is taken for the map: an over-count,
    never an under-count."""
    keys: set[str] = set()
    stack = [node]
    while stack:
        n = stack.pop()
        t = type(n)
        if (t is ast.Select or t is ast.Has) and _is_fees(n.operand):  # type: ignore[attr-defined]
            keys.add(n.field)  # type: ignore[attr-defined]
        elif (
            t is ast.Index
            and _is_fees(n.operand)  # type: ignore[attr-defined]
            and type(n.index) is ast.Literal  # type: ignore[attr-defined]
            and type(n.index.value) is str  # type: ignore[attr-defined]
        ):
            keys.add(n.index.value)  # type: ignore[attr-defined]
        elif _is_fees(n):
            keys.add(ANY_KEY)
        else:
            stack.extend(n.children())
    return keys
