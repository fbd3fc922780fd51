"""The parser as a stage: the AST it builds, the positions it records (what
every error's line:column comes from), how it expands macros, and what it
refuses before any later stage runs."""
from __future__ import annotations

import pytest

from celprice import CELSyntaxError
from celprice.ast import (
    And,
    Bind,
    Call,
    Comprehension,
    Cond,
    Has,
    Ident,
    Index,
    ListLit,
    Literal,
    MapLit,
    Or,
    Select,
    Struct,
)
from celprice.parser import MAX_DEPTH, MAX_SOURCE_LENGTH, parse
from celprice.values import UInt

x, y = Ident("x", 0), Ident("y", 0)


# --- shape ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "tree"),
    [
        ("x + y", Call("_+_", (x, y), 0)),
        ("x + y * 2", Call("_+_", (x, Call("_*_", (y, Literal(2, 0)), 0)), 0)),
        ("(x + y) * 2", Call("_*_", (Call("_+_", (x, y), 0), Literal(2, 0)), 0)),
        ("x - y - 1", Call("_-_", (Call("_-_", (x, y), 0), Literal(1, 0)), 0)),
        ("!x", Call("!_", (x,), 0)),
        ("-x", Call("-_", (x,), 0)),
        ("x in [1, 2]", Call("@in", (x, ListLit((Literal(1, 0), Literal(2, 0)), 0)), 0)),
        ("x < y == true", Call("_==_", (Call("_<_", (x, y), 0), Literal(True, 0)), 0)),
        ("x && y || x", Or(And(x, y, 0), x, 0)),
        ("x || y && x", Or(x, And(y, x, 0), 0)),
        ("x ? y : 1", Cond(x, y, Literal(1, 0), 0)),
        ("x ? y : x ? 1 : 2", Cond(x, y, Cond(x, Literal(1, 0), Literal(2, 0), 0), 0)),
        ("x.a.b", Select(Select(x, "a", 0), "b", 0)),
        ("x.?a", Select(x, "a", 0, optional=True)),
        ("x[0]", Index(x, Literal(0, 0), 0)),
        ("x[?'k']", Index(x, Literal("k", 0), 0, optional=True)),
        ("f(x, y)", Call("f", (x, y), 0)),
        ("x.f(y)", Call("f", (y,), 0, target=x)),
        (".x", Ident("x", 0, absolute=True)),
        (".f(x)", Call("f", (x,), 0, absolute=True)),
        ("[1, ?x]", ListLit((Literal(1, 0), x), 0, optional=frozenset({1}))),
        ("{'a': x, ?'b': y}", MapLit(((Literal("a", 0), x, False), (Literal("b", 0), y, True)), 0)),
        ("a.B{f: 1}", Struct("a.B", (("f", Literal(1, 0), False),), 0)),
    ],
)
def test_tree_shape(source: str, tree: object) -> None:
    assert parse(source) == tree


@pytest.mark.parametrize(
    ("source", "value"),
    [
        ("1", 1),
        ("0x1F", 31),
        ("1u", UInt(1)),
        ("0x10u", UInt(16)),
        ("3.5e2", 350.0),
        (".5", 0.5),
        ("'a\\tb'", "a\tb"),
        ("r'a\\tb'", "a\\tb"),
        ("'''two\nlines'''", "two\nlines"),
        ("b'ab'", b"ab"),
        ("b'\\xff'", b"\xff"),
        ("'\\u00e9'", "\u00e9"),
        ("true", True),
        ("null", None),
        ("-9223372036854775808", -(2**63)),
        ("18446744073709551615u", UInt(2**64 - 1)),
    ],
)
def test_literals(source: str, value: object) -> None:
    node = parse(source)
    assert type(node) is Literal
    assert node.value == value and type(node.value) is type(value)


def test_the_innermost_minus_is_folded_into_a_number() -> None:
    assert parse("-1") == Literal(-1, 0)
    assert parse("- -1") == Call("-_", (Literal(-1, 0),), 0)
    assert parse("-x") == Call("-_", (x,), 0)


# --- positions --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "pos"),
    [
        ("x + y", 2),  # an operator sits at its operator
        ("x\n  + y", 4),
        ("'héllo' + x", 8),  # in code points, not bytes
        ("f(x)", 1),  # a call at its opening parenthesis
        ("x.f(1)", 3),
        ("a.b.c", 3),  # a selection at its dot
        ("a[0]", 1),
        ("a ? b : c", 2),
        ("!x", 0),
        ("has(a.b)", 5),
        ("[1]", 0),
        ("{'a': 1}", 0),
        ("x", 0),
        ("  x", 2),
    ],
)
def test_positions(source: str, pos: int) -> None:
    assert parse(source).pos == pos


def test_every_child_lies_inside_the_source() -> None:
    source = "l.filter(v, v.size > 2).map(v, {'k': v.name + '!'}[?'k']).exists(s, s in ['a', 'b'])"
    stack = [parse(source)]
    while stack:
        node = stack.pop()
        assert 0 <= node.pos < len(source)
        stack.extend(node.children())


def test_depth_counts_nesting() -> None:
    assert parse("x").depth == 1
    assert parse("x + y").depth == 2
    assert parse("(x + y) * 2").depth == 4  # a parenthesised group is a level, as in cel-go


# --- macros -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "kind", "var", "var2", "has_predicate"),
    [
        ("l.all(v, v)", "all", "v", None, False),
        ("l.exists(v, v)", "exists", "v", None, False),
        ("l.exists_one(v, v)", "exists_one", "v", None, False),
        ("l.existsOne(v, v)", "exists_one", "v", None, False),
        ("l.map(v, v)", "map", "v", None, False),
        ("l.map(v, v, v)", "map", "v", None, True),
        ("l.filter(v, v)", "filter", "v", None, False),
        ("l.all(i, v, v)", "all", "i", "v", False),
        ("l.exists(i, v, v)", "exists", "i", "v", False),
        ("l.transformList(i, v, v)", "transform_list", "i", "v", False),
        ("l.transformList(i, v, v, v)", "transform_list", "i", "v", True),
        ("m.transformMap(k, v, v)", "transform_map", "k", "v", False),
        ("m.transformMapEntry(k, v, {k: v})", "transform_map_entry", "k", "v", False),
        ("o.optMap(v, v)", "opt_map", "v", None, False),
        ("o.optFlatMap(v, v)", "opt_flat_map", "v", None, False),
    ],
)
def test_macros_expand_to_comprehensions(source: str, kind: str, var: str, var2: str | None, has_predicate: bool) -> None:
    node = parse(source)
    assert type(node) is Comprehension
    assert (node.kind, node.var, node.var2, node.predicate is not None) == (kind, var, var2, has_predicate)
    assert node.range.name in ("l", "m", "o")


def test_has_and_bind_expand_to_their_nodes() -> None:
    assert parse("has(x.f)") == Has(x, "f", 0)
    assert parse("cel.bind(v, 1, v + v)") == Bind("v", Literal(1, 0), Call("_+_", (Ident("v", 0), Ident("v", 0)), 0), 0)


def test_a_method_named_like_a_macro_with_other_arguments_is_a_call() -> None:
    node = parse("l.map(1)")
    assert type(node) is Call and node.function == "map"


# --- refusals ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("x +", "Syntax error"),
        ("9223372036854775808", "invalid int literal"),
        ("(9223372036854775808)", "invalid int literal"),
        ("-(9223372036854775808)", "invalid int literal"),
        ("18446744073709551616u", "invalid"),
        ("has(x)", "has"),
        ("l.map(1, v)", "map"),
        ("cel.bind(1, 2, 3)", "bind"),
        ("'unterminated", "Syntax error"),
        ("if", "reserved"),
        # `in` is the membership operator only: never a variable, a call or a macro's variable.
        ("in", "'in' is the membership operator"),
        ("in + 1", "'in' is the membership operator"),
        ("[1].exists(in, in > 0)", "'in' is the membership operator"),
    ],
)
def test_refusals(source: str, message: str) -> None:
    with pytest.raises(CELSyntaxError, match=message) as info:
        parse(source)
    assert info.value.offset is not None and 0 <= info.value.offset <= len(source)


def test_limits_are_the_environment_defaults() -> None:
    from celprice.limits import DEFAULT

    assert MAX_SOURCE_LENGTH == DEFAULT.max_expression_length
    assert MAX_DEPTH == DEFAULT.max_nesting_depth
    with pytest.raises(CELSyntaxError, match="length"):
        parse("1" * 11, max_length=10)
    with pytest.raises(CELSyntaxError, match="nest"):
        parse("[" * 6 + "]" * 6, max_depth=5)
