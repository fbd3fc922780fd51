"""Fixes spelled out in error messages, for a mistake CEL newcomers make often.

Standard CEL never mixes int and double in arithmetic (`1 / 2.0` has no
overload). The bare "no matching overload" message does not say what to do,
so the checker and the runtime add how to write it instead.
"""
from __future__ import annotations

from . import ast
from .render import render

__all__ = ["mixed_number_operand", "mixed_number_fix", "MIXED_NUMBERS_HINT"]

_ARITHMETIC = frozenset({"_+_", "_-_", "_*_", "_/_"})
_INTEGERS = frozenset({"int", "uint"})
_LONGEST_FIX = 120  # beyond this the rewritten expression hides the point

MIXED_NUMBERS_HINT = "wrap the int in double()"


def mixed_number_operand(name: str, types: tuple[str, ...] | list[str]) -> int | None:
    """The index of the integer operand when `name` is + - * / of an integer and a double."""
    if name not in _ARITHMETIC or len(types) != 2:
        return None
    left, right = types
    if left in _INTEGERS and right == "double":
        return 0
    if left == "double" and right in _INTEGERS:
        return 1
    return None


def mixed_number_fix(node: ast.Call, index: int) -> str:
    """`wrap the int in double(): double(text_tokens(inputs)) / 1000000.0` for the
    operator call `node` whose operand `index` is the integer."""
    operand = node.args[index]
    if type(operand) is ast.Literal and type(operand.value) is int:
        fixed: ast.Node = ast.Literal(float(operand.value), operand.pos)
        advice = "write the int as a double"
    else:
        fixed = ast.Call("double", (operand,), operand.pos)
        advice = MIXED_NUMBERS_HINT
    args = (fixed, node.args[1]) if index == 0 else (node.args[0], fixed)
    try:
        text = render(ast.Call(node.function, args, node.pos))
        if len(text) > _LONGEST_FIX:
            text = render(fixed)
    except (ValueError, RecursionError):
        return advice
    if len(text) > _LONGEST_FIX:
        return advice
    return f"{advice}: {text}"


def macro_style_fix(name: str, target: ast.Node, var: str, body: ast.Node, pos: int) -> str:
    """For `list.sum(o, o.count)`: a method called as if it were a macro binding `o`.
    Only the macros (`all`, `exists`, `map`, `filter`, ...) bind variables, so the
    fix is to map the list first: `list.map(o, o.count).sum()`."""
    mapped = ast.Comprehension("map", target, var, None, None, body, pos)
    message = (
        f"'{name}' is not a macro and cannot bind the variable '{var}': "
        "only all, exists, exists_one, filter and map do"
    )
    try:
        text = render(ast.Call(name, (), pos, target=mapped))
    except (ValueError, RecursionError):
        return message
    if len(text) > _LONGEST_FIX:
        return message
    return f"{message}; map the list first: {text}"
