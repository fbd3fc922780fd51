"""CEL's name resolution, shared by the checker and the compiler.

A name written in a container (`a.b.c` in container `x.y`) may mean
`x.y.a.b.c`, `x.a.b.c` or `a.b.c`, and a qualified name may be a variable
followed by field selections: the longest name that is declared wins, the
container's innermost scope first. A leading dot (`.a.b`) skips the
container.
"""
from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from typing import Any

from . import ast
from .spelling import did_you_mean

__all__ = ["prefixes", "candidates", "first_match", "function_namespace", "resolve_call", "undeclared"]


def prefixes(container: str) -> list[str]:
    """`x.y` -> ["x.y.", "x.", ""]: where a name is looked for, innermost first."""
    if not container:
        return [""]
    parts = container.split(".")
    return [".".join(parts[:i]) + "." for i in range(len(parts), 0, -1)] + [""]


def candidates(parts: Sequence[str], scopes: Sequence[str]) -> list[tuple[str, int]]:
    """(name, how many of `parts` it uses) in the order they are tried: longest first."""
    return [(prefix + ".".join(parts[:n]), n) for n in range(len(parts), 0, -1) for prefix in scopes]


def first_match(parts: Sequence[str], scopes: Sequence[str], known: Callable[[str], Any]) -> tuple[str, int] | None:
    for name, n in candidates(parts, scopes):
        if known(name):
            return name, n
    return None


def function_namespace(
    target: ast.Node, locals_: Collection[str], variables: Collection[str], scopes: Sequence[str]
) -> str | None:
    """`math` in `math.greatest(...)`: a qualified name that is neither a local nor a variable."""
    parts: list[str] = []
    while type(target) is ast.Select and not target.optional:
        parts.append(target.field)
        target = target.operand
    if type(target) is not ast.Ident or target.absolute or target.name in locals_:
        return None
    parts.append(target.name)
    name = ".".join(reversed(parts))
    if any((p + name) in variables or (p + target.name) in variables for p in scopes):
        return None
    return name


def resolve_call(
    node: ast.Call,
    locals_: Collection[str],
    variables: Collection[str],
    scopes: Sequence[str],
    known: Callable[[str], bool],
) -> tuple[str, bool, tuple[ast.Node, ...]]:
    """(function name, is it a method, argument nodes) of a call; `known(name)`
    says whether a global function of that name exists. `ns.f(x)` is the
    global `ns.f` when one exists and `ns` is no variable, else the method
    `f` on `ns`; an unknown global comes back as it is written."""
    name, target = node.function, node.target
    if target is not None:
        namespace = function_namespace(target, locals_, variables, scopes)
        if namespace is not None:
            for prefix in scopes:
                full = prefix + namespace + "." + name
                if known(full):
                    return full, False, node.args
        return name, True, (target, *node.args)
    for prefix in [""] if node.absolute else scopes:
        if known(prefix + name):
            return prefix + name, False, node.args
    return name, False, node.args


def undeclared(name: str, container: str, kind: str = "", known: Iterable[str] = ()) -> str:
    """The message for a name nothing declares (`kind`: "function", "method", ...),
    with the closest of the `known` names in scope when one is close.

    A variable's name may be followed by field selections (`prices2.per_image`):
    its first part is compared with the first part of each known name."""
    where = f" (in container '{container}')" if container and not kind else ""
    if kind:
        hint = did_you_mean(name, known)
    else:
        hint = did_you_mean(name.split(".", 1)[0], {k.split(".", 1)[0] for k in known})
    return f"undeclared reference to {kind + ' ' if kind else ''}'{name}'{where}{hint}"
