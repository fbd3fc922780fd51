"""Source text to AST, through the Lark LALR grammar in `grammar/cel.lark`.

The Lark parser is built once per process (and cached on disk by Lark); its
tables and callbacks are run by `lalr.Driver` (Lark's own lexing and parsing
loop were most of a cold compile). The callbacks build AST nodes directly
while parsing, so no parse tree is materialised and no recursion happens
however deep the input nests.
"""
from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from . import ast
from .errors import CELSyntaxError
from .lalr import END, Driver, UnexpectedCharacter, UnexpectedToken
from .limits import DEFAULT
from .values import INT64_MAX, INT64_MIN, UINT64_MAX, UInt

__all__ = ["parse", "RESERVED", "MAX_SOURCE_LENGTH", "MAX_DEPTH"]

# The defaults are the Limits defaults: one home for every limit.
MAX_SOURCE_LENGTH = DEFAULT.max_expression_length
MAX_DEPTH = DEFAULT.max_nesting_depth

# Words CEL reserves: never identifiers, though allowed after a dot.
RESERVED = frozenset(
    "as break const continue else for function if import let loop package "
    "namespace return var void while".split()
)


class _Fail(Exception):
    """Raised inside callbacks; converted to CELSyntaxError with the source."""

    def __init__(self, message: str, pos: int) -> None:
        super().__init__(message)
        self.message = message
        self.pos = pos


class Int64Boundary(ast.Literal):
    """The literal 9223372036854775808: valid only right after a unary minus."""

    __slots__ = ()


def _grammar_text() -> str:
    from importlib import resources  # only when the parser is first built: keeps import fast

    try:
        return resources.files("celprice").joinpath("cel.lark").read_text("utf-8")
    except (FileNotFoundError, OSError):
        # Running from a source checkout (editable install): the grammar lives at the top.
        path = Path(__file__).resolve().parents[2] / "grammar" / "cel.lark"
        return path.read_text("utf-8")


# --- literal decoding ---------------------------------------------------------

_SIMPLE_ESCAPES = {
    "a": "\a",
    "b": "\b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "v": "\v",
    "\\": "\\",
    "'": "'",
    '"': '"',
    "`": "`",
    "?": "?",
}
_HEX = frozenset("0123456789abcdefABCDEF")


def _decode_string(text: str, pos: int) -> str | bytes:
    """Decode one string or bytes token (prefix, quotes, escapes)."""
    prefix_len = 0
    raw = is_bytes = False
    while text[prefix_len] not in "'\"":
        c = text[prefix_len].lower()
        raw |= c == "r"
        is_bytes |= c == "b"
        prefix_len += 1
    quote_len = 3 if text[prefix_len : prefix_len + 3] in ('"""', "'''") else 1
    body = text[prefix_len + quote_len : len(text) - quote_len]
    body_pos = pos + prefix_len + quote_len
    if raw or "\\" not in body:
        return _utf8(body, body_pos) if is_bytes else body
    out: list[Any] = []  # str pieces, or ints (raw bytes) for bytes literals
    i, n = 0, len(body)
    while i < n:
        ch = body[i]
        if ch != "\\":
            j = body.find("\\", i)
            j = n if j < 0 else j
            out.append(body[i:j])
            i = j
            continue
        if i + 1 >= n:
            raise _Fail("Syntax error: invalid escape sequence at end of string", body_pos + i)
        e = body[i + 1]
        if e in _SIMPLE_ESCAPES:
            out.append(_SIMPLE_ESCAPES[e])
            i += 2
        elif e in "xX":
            digits = body[i + 2 : i + 4]
            if len(digits) != 2 or not set(digits) <= _HEX:
                raise _Fail("Syntax error: invalid \\x escape, want two hex digits", body_pos + i)
            value = int(digits, 16)
            out.append(value if is_bytes else chr(value))
            i += 4
        elif e in "uU":
            width = 4 if e == "u" else 8
            digits = body[i + 2 : i + 2 + width]
            if len(digits) != width or not set(digits) <= _HEX:
                raise _Fail(f"Syntax error: invalid \\{e} escape, want {width} hex digits", body_pos + i)
            value = int(digits, 16)
            if 0xD800 <= value <= 0xDFFF or value > 0x10FFFF:
                raise _Fail(f"Syntax error: invalid code point \\{e}{digits}", body_pos + i)
            out.append(chr(value))
            i += 2 + width
        elif e in "0123":
            digits = body[i + 1 : i + 4]
            if len(digits) != 3 or not all(c in "01234567" for c in digits):
                raise _Fail("Syntax error: invalid octal escape, want three octal digits", body_pos + i)
            value = int(digits, 8)
            out.append(value if is_bytes else chr(value))
            i += 4
        else:
            raise _Fail(f"Syntax error: invalid escape sequence '\\{e}'", body_pos + i)
    if not is_bytes:
        return "".join(out)
    buf = bytearray()
    for piece in out:
        if isinstance(piece, int):
            buf.append(piece)
        else:
            buf += _utf8(piece, body_pos)
    return bytes(buf)


def _utf8(text: str, pos: int) -> bytes:
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as e:
        # Only a lone surrogate gets here: source text that is not valid UTF-8.
        raise _Fail("Syntax error: invalid character in bytes literal (a lone surrogate)", pos + e.start) from None


def _digits_value(text: str, pos: int, kind: str) -> int:
    """An int or uint literal's value; far too many digits is an invalid literal
    (and Python is never asked to convert thousands of digits)."""
    hexadecimal = text[:2] in ("0x", "0X")
    digits = (text[2:] if hexadecimal else text).lstrip("0") or "0"
    if len(digits) > 20:
        raise _Fail(f"Syntax error: invalid {kind} literal '{text[:30]}...'", pos)
    return int(digits, 16 if hexadecimal else 10)


def _parse_int(text: str, pos: int) -> ast.Literal:
    value = _digits_value(text, pos, "int")
    if value > INT64_MAX:
        if value == INT64_MAX + 1:
            return Int64Boundary(value, pos)
        raise _Fail(f"Syntax error: invalid int literal '{text}'", pos)
    return ast.Literal(value, pos)


# --- macros --------------------------------------------------------------------

_ONE_VAR = {"all": "all", "exists": "exists", "exists_one": "exists_one", "existsOne": "exists_one", "map": "map", "filter": "filter"}
_TWO_VAR = {
    "all": "all",
    "exists": "exists",
    "existsOne": "exists_one",
    "exists_one": "exists_one",
    "transformList": "transform_list",
    "transformMap": "transform_map",
    "transformMapEntry": "transform_map_entry",
}


def _var_name(node: ast.Node, macro: str) -> str:
    if type(node) is not ast.Ident or node.absolute:
        raise _Fail(f"Syntax error: {macro}() variable name must be a simple identifier", node.pos)
    return node.name


# The accumulator CEL's macro expansions bind; an iteration variable of that
# name would shadow it, so the references reject it (cel.bind and optMap do
# not iterate, and take any name).
ACCUMULATOR = "__result__"


def _iter_var(node: ast.Node, macro: str) -> str:
    name = _var_name(node, macro)
    if name == ACCUMULATOR:
        raise _Fail("iteration variable overwrites accumulator variable", node.pos)
    return name


def _expand_member_macro(target: ast.Node, name: str, args: tuple[ast.Node, ...], pos: int) -> ast.Node | None:
    n = len(args)
    if name == "bind" and n == 3 and type(target) is ast.Ident and target.name == "cel" and not target.absolute:
        return ast.Bind(_var_name(args[0], "cel.bind"), args[1], args[2], pos)
    if name in ("optMap", "optFlatMap") and n == 2:
        kind = "opt_map" if name == "optMap" else "opt_flat_map"
        return ast.Comprehension(kind, target, _var_name(args[0], name), None, None, args[1], pos)
    if name == "sortBy" and n == 2:
        # The lists extension's macro; the checker and compiler refuse it where
        # that library is off, as an undeclared method.
        return ast.Comprehension("sort_by", target, _iter_var(args[0], name), None, None, args[1], pos)
    if n == 2 and name in _ONE_VAR:
        return ast.Comprehension(_ONE_VAR[name], target, _iter_var(args[0], name), None, None, args[1], pos)
    if n == 3 and name == "map":
        return ast.Comprehension("map", target, _iter_var(args[0], name), None, args[1], args[2], pos)
    if n == 3 and name in _TWO_VAR:
        var, var2 = _iter_var(args[0], name), _iter_var(args[1], name)
        if var == var2:
            raise _Fail(f"Syntax error: {name}() variables must differ, both are '{var}'", args[1].pos)
        return ast.Comprehension(_TWO_VAR[name], target, var, var2, None, args[2], pos)
    if n == 4 and name in ("transformList", "transformMap", "transformMapEntry"):
        var, var2 = _iter_var(args[0], name), _iter_var(args[1], name)
        if var == var2:
            raise _Fail(f"Syntax error: {name}() variables must differ, both are '{var}'", args[1].pos)
        return ast.Comprehension(_TWO_VAR[name], target, var, var2, args[2], args[3], pos)
    return None


# --- parser callbacks ------------------------------------------------------------

_BINARY = {
    "+": "_+_",
    "-": "_-_",
    "*": "_*_",
    "/": "_/_",
    "%": "_%_",
    "<": "_<_",
    "<=": "_<=_",
    ">": "_>_",
    ">=": "_>=_",
    "==": "_==_",
    "!=": "_!=_",
    "in": "@in",
}


def _check_ident(tok: Any) -> str:
    name = str(tok)
    if name in RESERVED:
        raise _Fail(f"Syntax error: reserved identifier '{name}'", tok.start_pos)
    if name == "in":
        # The contextual lexer reads a lone `in` as a name where no operator may
        # stand; CEL's grammar has it only as the membership operator (cel-go refuses it too).
        raise _Fail("Syntax error: 'in' is the membership operator, not a name", tok.start_pos)
    return name


def _qualified_name(node: ast.Node) -> str | None:
    """`a.b.c` as a dotted name when the node is a plain selection chain."""
    parts: list[str] = []
    while type(node) is ast.Select and not node.optional:
        parts.append(node.field)
        node = node.operand
    if type(node) is not ast.Ident:
        return None
    parts.append(("." if node.absolute else "") + node.name)
    return ".".join(reversed(parts))


class _Callbacks:
    """Methods named after the grammar's rule aliases; each returns an AST node."""

    def start(self, c: list[ast.Node]) -> ast.Node:
        return c[0]

    def ternary(self, c: list[Any]) -> ast.Node:
        return ast.Cond(c[0], c[2], c[4], c[1].start_pos)

    def or_(self, c: list[Any]) -> ast.Node:
        return ast.Or(c[0], c[2], c[1].start_pos)

    def and_(self, c: list[Any]) -> ast.Node:
        return ast.And(c[0], c[2], c[1].start_pos)

    def binary(self, c: list[Any]) -> ast.Node:
        op = c[1]
        return ast.Call(_BINARY[str(op)], (c[0], c[2]), op.start_pos)

    def nots(self, c: list[Any]) -> ast.Node:
        node: ast.Node = c[-1]
        for tok in reversed(c[:-1]):
            node = ast.Call("!_", (node,), tok.start_pos)
        return node

    def negs(self, c: list[Any]) -> ast.Node:
        node: ast.Node = c[-1]
        minuses = c[:-1]
        if type(node) is Int64Boundary or (
            type(node) is ast.Literal and type(node.value) in (int, float) and node.value != INT64_MIN
        ):
            # Fold the innermost minus into a numeric literal; this is what
            # makes -9223372036854775808 a valid int literal.
            node = ast.Literal(-node.value, minuses[-1].start_pos)
            minuses = minuses[:-1]
        for tok in reversed(minuses):
            node = ast.Call("-_", (node,), tok.start_pos)
        return node

    def select(self, c: list[Any]) -> ast.Node:
        return ast.Select(c[0], c[2], c[1].start_pos)

    def opt_select(self, c: list[Any]) -> ast.Node:
        return ast.Select(c[0], c[2], c[1].start_pos, optional=True)

    def ident_or_kw(self, c: list[Any]) -> str:
        text = str(c[0])
        return text[1:-1] if text[0] == "`" else text

    def member_call(self, c: list[Any]) -> ast.Node:
        target, name, args = c[0], c[2], tuple(c[4] or ())
        pos = c[3].start_pos
        macro = _expand_member_macro(target, name, args, pos)
        if macro is not None:
            return macro
        return ast.Call(name, args, pos, target=target)

    def index(self, c: list[Any]) -> ast.Node:
        return ast.Index(c[0], c[2], c[1].start_pos)

    def opt_index(self, c: list[Any]) -> ast.Node:
        return ast.Index(c[0], c[2], c[1].start_pos, optional=True)

    def struct(self, c: list[Any]) -> ast.Node:
        name = _qualified_name(c[0])
        if name is None:
            raise _Fail("Syntax error: a message construction needs a type name", c[1].start_pos)
        return ast.Struct(name, tuple(c[2] or ()), c[1].start_pos)

    def ident(self, c: list[Any]) -> ast.Node:
        return ast.Ident(_check_ident(c[0]), c[0].start_pos)

    def root_ident(self, c: list[Any]) -> ast.Node:
        return ast.Ident(_check_ident(c[1]), c[0].start_pos, absolute=True)

    def global_call(self, c: list[Any]) -> ast.Node:
        name = _check_ident(c[0])
        args = tuple(c[2] or ())
        pos = c[1].start_pos
        if name == "has":
            if len(args) != 1 or type(args[0]) is not ast.Select or args[0].optional:
                raise _Fail("Syntax error: invalid argument to has() macro", c[0].start_pos)
            return ast.Has(args[0].operand, args[0].field, args[0].pos)
        return ast.Call(name, args, pos)

    def root_call(self, c: list[Any]) -> ast.Node:
        return ast.Call(_check_ident(c[1]), tuple(c[3] or ()), c[2].start_pos, absolute=True)

    def paren(self, c: list[Any]) -> ast.Node:
        node: ast.Node = c[1]
        if type(node) is Int64Boundary:
            raise _Fail(f"Syntax error: invalid int literal '{node.value}'", node.pos)
        # A parenthesised group counts as a level of nesting, as in cel-go.
        object.__setattr__(node, "depth", node.depth + 1)
        return node

    def list_lit(self, c: list[Any]) -> ast.Node:
        elems = c[1] or ()
        return ast.ListLit(
            tuple(e for e, _ in elems),
            c[0].start_pos,
            frozenset(i for i, (_, opt) in enumerate(elems) if opt),
        )

    def list_elems(self, c: list[Any]) -> list[Any]:
        return [x for x in c if isinstance(x, tuple)]

    def list_elem(self, c: list[Any]) -> tuple[Any, ...]:
        return (c[-1], len(c) == 2)

    def map_lit(self, c: list[Any]) -> ast.Node:
        return ast.MapLit(tuple(c[1] or ()), c[0].start_pos)

    def map_entries(self, c: list[Any]) -> list[Any]:
        return [x for x in c if isinstance(x, tuple)]

    def map_entry(self, c: list[Any]) -> tuple[Any, ...]:
        if len(c) == 4:
            return (c[1], c[3], True)
        return (c[0], c[2], False)

    def fields(self, c: list[Any]) -> list[Any]:
        return [x for x in c if isinstance(x, tuple)]

    def field(self, c: list[Any]) -> tuple[Any, ...]:
        if len(c) == 4:
            return (str(c[1]).strip("`"), c[3], True)
        return (str(c[0]).strip("`"), c[2], False)

    def args(self, c: list[Any]) -> list[Any]:
        return [x for x in c if isinstance(x, ast.Node)]

    def float_lit(self, c: list[Any]) -> ast.Node:
        value = float(str(c[0]))
        if value in (float("inf"), float("-inf")):
            raise _Fail(f"Syntax error: invalid double literal '{str(c[0])[:30]}': out of range", c[0].start_pos)
        return ast.Literal(value, c[0].start_pos)

    def uint_lit(self, c: list[Any]) -> ast.Node:
        value = _digits_value(str(c[0])[:-1], c[0].start_pos, "uint")
        if value > UINT64_MAX:
            raise _Fail(f"Syntax error: invalid uint literal '{c[0]}'", c[0].start_pos)
        return ast.Literal(UInt(value), c[0].start_pos)

    def int_lit(self, c: list[Any]) -> ast.Node:
        return _parse_int(str(c[0]), c[0].start_pos)

    def string_lit(self, c: list[Any]) -> ast.Node:
        return ast.Literal(_decode_string(str(c[0]), c[0].start_pos), c[0].start_pos)

    def true_lit(self, c: list[Any]) -> ast.Node:
        return ast.Literal(True, c[0].start_pos)

    def false_lit(self, c: list[Any]) -> ast.Node:
        return ast.Literal(False, c[0].start_pos)

    def null_lit(self, c: list[Any]) -> ast.Node:
        return ast.Literal(None, c[0].start_pos)


_lark: Any = None
_driver: Driver | None = None
_lark_lock = threading.Lock()


def _lark_parser() -> Any:
    """Lark's parser for the grammar: the tables and callbacks the driver runs,
    and the reference the driver is tested against."""
    global _lark
    if _lark is None:
        with _lark_lock:
            if _lark is None:
                import lark

                _lark = lark.Lark(
                    _grammar_text(),
                    parser="lalr",
                    lexer="contextual",
                    maybe_placeholders=True,
                    transformer=_Callbacks(),
                    cache=True,
                )
    return _lark


def _parser() -> Driver:
    global _driver
    if _driver is None:
        driver = Driver(_lark_parser())
        with _lark_lock:
            if _driver is None:
                _driver = driver
    return _driver


_TOKEN_NAMES = {
    "QMARK": "'?'",
    "COLON": "':'",
    "OR": "'||'",
    "AND": "'&&'",
    "RELOP": "a comparison",
    "IN": "'in'",
    "PLUS": "'+'",
    "MINUS": "'-'",
    "STAR": "'*'",
    "SLASH": "'/'",
    "PERCENT": "'%'",
    "NOT": "'!'",
    "DOT": "'.'",
    "DOTQ": "'.?'",
    "LPAR": "'('",
    "RPAR": "')'",
    "LBRACK": "'['",
    "LBRACKQ": "'[?'",
    "RBRACK": "']'",
    "LBRACE": "'{'",
    "RBRACE": "'}'",
    "COMMA": "','",
    "TRUE": "'true'",
    "FALSE": "'false'",
    "NULL": "'null'",
    "FLOAT": "a number",
    "UINT": "a number",
    "INT": "a number",
    "STRING": "a string",
    "RAW_STRING": "a string",
    "IDENT": "an identifier",
    "QUOTED_IDENT": "a quoted field name",
    "$END": "end of input",
}


def _expected(names: Any) -> str:
    shown = sorted({_TOKEN_NAMES.get(n, n) for n in names})
    return "{" + ", ".join(shown) + "}"


def parse(source: str, *, max_length: int = MAX_SOURCE_LENGTH, max_depth: int = MAX_DEPTH) -> ast.Node:
    """Parse CEL source text into an AST, or raise CELSyntaxError."""
    if not isinstance(source, str):
        raise CELSyntaxError(f"expression must be a string, got {type(source).__name__}")
    if len(source) > max_length:
        raise CELSyntaxError(
            f"Syntax error: expression is {len(source)} code points long, "
            f"over the limit of {max_length} (max_expression_length)"
        )
    try:
        node: ast.Node = _parser().parse(source)
    except _Fail as e:
        raise CELSyntaxError(e.message, source=source, offset=e.pos) from None
    except UnexpectedToken as e:
        tok = e.token
        if tok.type == END:
            text, pos = "<EOF>", len(source)
        else:
            text, pos = tok.value, tok.start_pos
        raise CELSyntaxError(
            f"Syntax error: mismatched input '{text}' expecting {_expected(e.expected)}",
            source=source,
            offset=pos,
        ) from None
    except UnexpectedCharacter as e:
        raise CELSyntaxError(
            f"Syntax error: token recognition error at: '{source[e.pos]}'",
            source=source,
            offset=e.pos,
        ) from None
    if "9223372036854775808" in source or "8000000000000000" in source:
        _reject_int64_boundary(node, source)
    if node.depth > max_depth:
        raise CELSyntaxError(
            f"Syntax error: expression nests {node.depth} levels deep, "
            f"over the limit of {max_depth} (max_nesting_depth)",
            source=source,
            offset=_deepest_pos(node, max_depth),
        )
    return node


def _reject_int64_boundary(node: ast.Node, source: str) -> None:
    """2**63 is a valid literal only right after a unary minus (the fold in
    `negs` consumed those); anywhere else it is an invalid int literal."""
    stack = [node]
    while stack:
        n = stack.pop()
        if type(n) is Int64Boundary:
            raise CELSyntaxError(f"Syntax error: invalid int literal '{n.value}'", source=source, offset=n.pos)
        stack.extend(n.children())


def _deepest_pos(node: ast.Node, limit: int) -> int:
    """The position of the first node nested deeper than the limit."""
    for _ in range(limit):
        kids = node.children()
        if not kids:
            break
        node = max(kids, key=lambda k: k.depth)
    return node.pos
