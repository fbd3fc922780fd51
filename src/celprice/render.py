"""AST nodes back to CEL source text, with only the parentheses the grammar needs.

`explain` shows each sub-expression as text, and the checker spells fixes as text; the AST
records a node's position but not its span, so the text is rebuilt here.
The round trip `parse(render(ast)) == ast` is tested on a corpus of expressions.
"""
from __future__ import annotations

import math
import re

from . import ast, stack
from .ast import MACRO_NAMES as _MACRO_NAMES
from .values import UInt

__all__ = ["render", "is_literal", "qualified_name"]

# Precedence, loosest to tightest, as in the grammar (grammar/cel.lark).
_TERNARY, _OR, _AND, _RELATION, _ADD, _MUL, _UNARY, _MEMBER = range(1, 9)

_BINARY = {
    "_+_": ("+", _ADD),
    "_-_": ("-", _ADD),
    "_*_": ("*", _MUL),
    "_/_": ("/", _MUL),
    "_%_": ("%", _MUL),
    "_<_": ("<", _RELATION),
    "_<=_": ("<=", _RELATION),
    "_>_": (">", _RELATION),
    "_>=_": (">=", _RELATION),
    "_==_": ("==", _RELATION),
    "_!=_": ("!=", _RELATION),
    "@in": ("in", _RELATION),
}
_UNARY_OPS = {"!_": "!", "-_": "-"}


_IDENT = re.compile(r"[_a-zA-Z][_a-zA-Z0-9]*")
_STRING_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _binary(node: ast.Node) -> tuple[str, int] | None:
    if type(node) is ast.Call and node.target is None and len(node.args) == 2:
        return _BINARY.get(node.function)
    return None


def _unary(node: ast.Node) -> str | None:
    """The prefix operator of a node: `!`/`-` calls, and negative number literals (`-5`)."""
    if type(node) is ast.Call and node.target is None and len(node.args) == 1:
        return _UNARY_OPS.get(node.function)
    if isinstance(node, ast.Literal) and type(node.value) in (int, float):
        if node.value < 0 or math.copysign(1.0, node.value) < 0:
            return "-"
    return None


def _precedence(node: ast.Node) -> int:
    kind = type(node)
    if type(node) is ast.Cond:
        return _TERNARY
    if type(node) is ast.Or:
        return _OR
    if type(node) is ast.And:
        return _AND
    op = _binary(node)
    if op is not None:
        return op[1]
    if _unary(node) is not None:
        return _UNARY
    return _MEMBER


def _wrap(node: ast.Node, minimum: int) -> str:
    text = render(node)
    return text if _precedence(node) >= minimum else f"({text})"


def _field(name: str) -> str:
    # Field names that are not identifiers were written in backquotes (`a.`b-c``).
    return name if _IDENT.fullmatch(name) else f"`{name}`"


def _string(value: str) -> str:
    out = []
    for ch in value:
        if ch in _STRING_ESCAPES:
            out.append(_STRING_ESCAPES[ch])
        elif ord(ch) < 0x20 or 0x7F <= ord(ch) < 0xA0:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _bytes(value: bytes) -> str:
    out = []
    for b in value:
        ch = chr(b)
        if ch in _STRING_ESCAPES:
            out.append(_STRING_ESCAPES[ch])
        elif 0x20 <= b < 0x7F:
            out.append(ch)
        else:
            out.append(f"\\x{b:02x}")
    return 'b"' + "".join(out) + '"'


def _literal(value: object) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, UInt):
        return f"{int(value)}u"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isinf(value):
            # Only an overflowing literal such as 1e999 parses to infinity.
            return "1e999" if value > 0 else "-1e999"
        return repr(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, bytes):
        return _bytes(value)
    raise ValueError(f"cannot render a literal of type {type(value).__name__}")


def _args(nodes: tuple[ast.Node, ...]) -> str:
    return ", ".join(render(n) for n in nodes)


def render(node: ast.Node) -> str:
    """CEL source for a node; parsing it gives back an equal tree."""
    if node.depth >= stack.LEVELS and stack.crossing(node) and stack.low():
        return stack.resume(render, node)
    kind = type(node)
    if isinstance(node, ast.Literal):
        return _literal(node.value)
    if type(node) is ast.Ident:
        return ("." if node.absolute else "") + node.name
    if type(node) is ast.Select:
        return _wrap(node.operand, _MEMBER) + (".?" if node.optional else ".") + _field(node.field)
    if type(node) is ast.Index:
        return _wrap(node.operand, _MEMBER) + ("[?" if node.optional else "[") + render(node.index) + "]"
    if type(node) is ast.Call:
        return _call(node)
    if type(node) is ast.Cond:
        return f"{_wrap(node.cond, _OR)} ? {_wrap(node.then, _OR)} : {render(node.otherwise)}"
    if type(node) is ast.Or:
        return f"{_wrap(node.left, _OR)} || {_wrap(node.right, _OR + 1)}"
    if type(node) is ast.And:
        return f"{_wrap(node.left, _AND)} && {_wrap(node.right, _AND + 1)}"
    if type(node) is ast.ListLit:
        items = [("?" if i in node.optional else "") + render(e) for i, e in enumerate(node.elements)]
        return "[" + ", ".join(items) + "]"
    if type(node) is ast.MapLit:
        entries = [("?" if opt else "") + f"{render(k)}: {render(v)}" for k, v, opt in node.entries]
        return "{" + ", ".join(entries) + "}"
    if type(node) is ast.Struct:
        fields = [("?" if opt else "") + f"{_field(name)}: {render(v)}" for name, v, opt in node.fields]
        return node.type_name + "{" + ", ".join(fields) + "}"
    if type(node) is ast.Has:
        return f"has({_wrap(node.operand, _MEMBER)}.{_field(node.field)})"
    if type(node) is ast.Comprehension:
        names = [node.var] if node.var2 is None else [node.var, node.var2]
        parts = [*names, *([render(node.predicate)] if node.predicate is not None else []), render(node.body)]
        return f"{_wrap(node.range, _MEMBER)}.{_MACRO_NAMES[node.kind]}({', '.join(parts)})"
    if type(node) is ast.Bind:
        return f"cel.bind({node.var}, {render(node.init)}, {render(node.body)})"
    raise ValueError(f"cannot render a {kind.__name__} node")


def _call(node: ast.Call) -> str:
    op = _binary(node)
    if op is not None:
        symbol, prec = op
        left, right = node.args
        # Binary operators associate to the left: a right operand of equal precedence needs parentheses.
        return f"{_wrap(left, prec)} {symbol} {_wrap(right, prec + 1)}"
    prefix_op = _unary(node)
    if prefix_op is not None:
        (operand,) = node.args
        # `--x` and `!!x` chain, but `!-x` and `-!x` do not parse: a different operator needs parentheses.
        if _unary(operand) == prefix_op:
            return prefix_op + render(operand)
        return prefix_op + _wrap(operand, _MEMBER)
    prefix = "." if node.absolute else ""
    if node.target is None:
        return f"{prefix}{node.function}({_args(node.args)})"
    return f"{_wrap(node.target, _MEMBER)}.{node.function}({_args(node.args)})"


def is_literal(node: ast.Node) -> bool:
    return isinstance(node, ast.Literal)


def qualified_name(node: ast.Node) -> bool:
    """Whether a node is a plain dotted name (`a`, `a.b.c`): maybe a namespace, not a value."""
    while type(node) is ast.Select and not node.optional:
        node = node.operand
    return type(node) is ast.Ident
