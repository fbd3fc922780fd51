"""The parser's own lexer and LALR loop against Lark's, on generated input.

`celprice.lalr.Driver` runs Lark's tables with its own contextual lexer; Lark's
parser (the same grammar, tables and callbacks) is the reference. For every
input both must give the same outcome: the same tokens (type, text, offset)
and the same tree (node types, fields, positions, depths), or the same error
(which token, where, what was expected). The examples are derandomized and
bounded so the run stays short and stable.
"""
from __future__ import annotations

import re
from typing import Any

import lark
import lark.exceptions as lx
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from test_fuzz import cel_expression, random_text

from celprice import ast, parser
from celprice.lalr import END, Driver, Token, UnexpectedCharacter, UnexpectedToken, first_chars

_SETTINGS = settings(
    max_examples=300,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

_recorded: list[tuple[str, str, int]] = []


def _record(tok: lark.Token) -> lark.Token:
    _recorded.append((tok.type, str(tok), tok.start_pos or 0))
    return tok


# Lark with every token recorded as its lexer produces it (ignored ones aside).
_TERMINALS = [t.name for t in parser._lark_parser().terminals if t.name not in ("WS", "COMMENT")]
_REFERENCE = lark.Lark(
    parser._grammar_text(),
    parser="lalr",
    lexer="contextual",
    maybe_placeholders=True,
    transformer=parser._Callbacks(),
    lexer_callbacks={name: _record for name in _TERMINALS},
)
_DRIVER = parser._parser()


def _tree(node: Any) -> Any:
    """Everything about a parse result, positions and depths included."""
    if isinstance(node, ast.Node):
        fields = tuple(
            (name, _tree(getattr(node, name))) for cls in type(node).__mro__ for name in getattr(cls, "__slots__", ())
        )
        return (type(node).__name__, fields)
    if isinstance(node, (tuple, list)):
        return tuple(_tree(x) for x in node)
    if isinstance(node, frozenset):
        return tuple(sorted(node))
    # Literal values: keep the type apart (1, 1.0, True and UInt(1) must not be equal).
    return (type(node).__name__, node)


def _lark_outcome(src: str) -> tuple[Any, list[tuple[str, str, int]]]:
    _recorded.clear()
    try:
        result: Any = ("ok", _tree(_REFERENCE.parse(src)))
    except parser._Fail as e:
        result = ("fail", e.message, e.pos)
    except lx.UnexpectedToken as e:
        tok = e.token
        where = len(src) if tok.type == END else tok.start_pos
        result = ("token", tok.type, str(tok) if tok.type != END else "", where, sorted(e.expected))
    except lx.UnexpectedCharacters as e:
        result = ("char", e.pos_in_stream)
    return result, list(_recorded)


def _driver_outcome(src: str) -> tuple[Any, list[tuple[str, str, int]]]:
    seen: list[tuple[str, str, int]] = []

    def on_token(tok: Token) -> None:
        if tok.type != END:
            seen.append((tok.type, tok.value, tok.start_pos))

    try:
        result: Any = ("ok", _tree(_DRIVER.parse(src, on_token)))
    except parser._Fail as e:
        result = ("fail", e.message, e.pos)
    except UnexpectedToken as e:
        tok = e.token
        result = ("token", tok.type, tok.value, tok.start_pos, sorted(e.expected))
    except UnexpectedCharacter as e:
        result = ("char", e.pos)
    return result, seen


def _assert_same(src: str) -> None:
    expected, lark_tokens = _lark_outcome(src)
    got, tokens = _driver_outcome(src)
    assert got == expected, src
    if expected[0] == "token" and lark_tokens[-1:] == [expected[1:4]] and tokens[-1:] != lark_tokens[-1:]:
        # Lark also records the token its contextual lexer found only in the
        # global set of terminals (the one it reports); the driver reports it
        # without lexing it as a token.
        lark_tokens = lark_tokens[:-1]
    assert tokens == lark_tokens, src


# Pieces that stress the lexer: terminals that share prefixes (keywords and
# identifiers, `.` `.?` and `.5`, `[` and `[?`, `/` and `//`), every literal form
# and its near misses, and characters no terminal accepts.
_PIECES = [
    "in", "inx", "in_", "true", "truex", "false", "null", "nullx", "as", "package", "has", "cel", "bind",
    "x", "_y1", "b", "r", "br", "rb", "R", "B", "bR", "u", "e", "`a.b`", "`/api v1-x`", "`a", "``",
    "0", "00", "123", "0x1F", "0X", "0xg", "1u", "1U", "0x1u", "1.5", ".5", "1.", "1e5", "1E-3", "1.e5", "1e",
    "1.5e+2", "5e5u", "9223372036854775808", "-9223372036854775808", "18446744073709551615u",
    "18446744073709551616u", "1e999",
    '"a"', "'b'", '"""x"y"""', "'''y\n'''", '"\\n\\t\\""', "'\\x41\\u00e9\\U0001F600\\101'", '"\\z"', '"\\x4"',
    '"\\ud800"', 'r"\\d+"', "R'\\'", 'b"\\xff\\377"', "B'é'", "br'\\x'", "rb\"\"", '"abc', "'", '"""ab', "'''",
    '"a\nb"', "r'a\nb'",
    "+", "-", "*", "/", "%", "!", "!=", "==", "=", "<", "<=", ">", ">=", "&&", "||", "&", "|", "?", ":",
    ".", ".?", "(", ")", "[", "[?", "]", "{", "}", ",", "#", "@", "$", "^", "~", ";", "\\", "é", "\x00",
    " ", "\t", "\n", "\r", "\f", "\v", "// comment\n", "//", "/ /",
]
_soup = st.lists(st.tuples(st.sampled_from(_PIECES), st.sampled_from(["", "", " ", "\n"])), max_size=14).map(
    lambda parts: "".join(p + sep for p, sep in parts)
)


@pytest.mark.parametrize(
    "src",
    [
        "a.in", "a.true && b.null", "in", "in in in", "[?x]", "x[?0]", "a.?b", ".5", "a.5", "a .5", "1.e5",
        "{true: 1, ?x: 2}", "T{?f: 1}", ".x", ".?x", "x.`a.b`", "b'x' + r'y' + br'z'", "a..b", "1 2", "x ?",
        '"abc', "a # b", "a | b", "", "   // only a comment", "(((1)))", "-(-1)", "--1", "!!x",
        "-9223372036854775808", "9223372036854775808", "x.all(v, v > 0)", "has(a.b)", "cel.bind(v, 1, v)",
    ],
)
def test_same_as_lark_on_tricky_input(src: str) -> None:
    _assert_same(src)


@_SETTINGS
@given(_soup)
@example("a.b c")
def test_same_as_lark_on_token_soup(src: str) -> None:
    _assert_same(src)


@_SETTINGS
@given(random_text)
def test_same_as_lark_on_random_text(src: str) -> None:
    _assert_same(src)


@_SETTINGS
@given(cel_expression)
def test_same_as_lark_on_generated_expressions(src: str) -> None:
    _assert_same(src)


_PATTERNS = [(t.name, re.compile(t.pattern.to_regexp()), first_chars(t.pattern.to_regexp()))
             for t in parser._lark_parser().terminals]


@_SETTINGS
@given(st.one_of(_soup, random_text))
def test_first_chars_admit_every_match(src: str) -> None:
    # The lexer skips a terminal when the next character is not among its first
    # characters: that must never skip a terminal that would have matched.
    for start in range(len(src)):
        for name, pattern, first in _PATTERNS:
            if first is not None and pattern.match(src, start):
                assert src[start] in first, (name, src[start:])


def test_first_chars_of_the_grammar() -> None:
    firsts = {name: first for name, _, first in _PATTERNS}
    assert firsts["STRING"] == frozenset("\"'bB")
    assert firsts["RAW_STRING"] == frozenset("rRbB")
    assert firsts["FLOAT"] == frozenset(".0123456789")
    assert firsts["IN"] == frozenset("i")
    assert firsts["COMMENT"] == frozenset("/")
    # Unknown constructs answer None: any character may start them.
    assert first_chars(r"\d+") is None
    assert first_chars(r"(?i:in)") is None
    assert first_chars(r"[^a]") is None
    assert first_chars(r"(?:a|)b") == frozenset("ab")


def test_deep_input_does_not_recurse() -> None:
    # An explicit stack: nesting far past the recursion limit parses (the depth
    # limit is parse()'s business, not the driver's).
    src = "[" * 5000 + "1" + "]" * 5000
    node = _DRIVER.parse(src)
    assert node.depth == 5001


def test_driver_refuses_grammars_it_cannot_run_exactly() -> None:
    # Lark re-types tokens through lexer callbacks; the driver would silently differ.
    with pytest.raises(ValueError, match="callbacks"):
        Driver(_REFERENCE)
