"""Map keys of every type, and Unicode edge cases (escapes, sizes, invalid UTF-8)."""
from __future__ import annotations

import pytest

import celprice
from celprice import CELError, CELEvaluationError, CELSyntaxError, UInt

from ._support import env, evaluate, outcome, raises_limit, same

pytestmark = pytest.mark.timeout(30)


def fails(src: str, activation: dict | None = None, match: str | None = None) -> CELError:
    with pytest.raises(CELEvaluationError) as info:
        evaluate(src, activation)
    if match:
        assert match in str(info.value), str(info.value)
    return info.value


# --- map keys ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "src,key",
    [("{1: 'v'}", 1), ("{1u: 'v'}", UInt(1)), ("{true: 'v'}", True), ("{'k': 'v'}", "k"),
     ("{-9223372036854775808: 'v'}", -(2**63)), ("{18446744073709551615u: 'v'}", UInt(2**64 - 1)),
     ("{'': 'v'}", ""), ("{'\\u0000': 'v'}", "\x00")],
)
def test_allowed_key_types(src: str, key: object) -> None:
    m = evaluate(src)
    assert len(m) == 1
    (k,) = list(m)
    assert same(k, key)


@pytest.mark.parametrize(
    "key",
    ["1.0", "1.5", "null", "[1]", "{}", "b'a'", "timestamp(0)", "duration('1s')", "int", "optional.none()",
     "x", "0.0 / 0.0"],
)
def test_rejected_key_types(key: str) -> None:
    fails(f"{{{key}: 1}}", {"x": 1.0}, match="key")


@pytest.mark.parametrize(
    "src", ["{'a': 1, 'a': 2}", "{1: 1, 1u: 2}", "{1u: 1, 1: 2}", "{true: 1, true: 2}", "{0: 1, -0: 2}",
            "{x: 1, 1: 2}", "{'é': 1, 'e\\u0301'.size() == 2 ? 'é' : 'x': 2}"],
)
def test_duplicate_keys_are_an_error(src: str) -> None:
    fails(src, {"x": UInt(1)}, match="repeated key")


def test_bool_and_int_keys_stay_apart() -> None:
    m = "{true: 'bool', 1: 'int', false: 'no', 0: 'zero'}"
    assert evaluate(f"size({m})") == 4
    assert evaluate(f"{m}[true]") == "bool"
    assert evaluate(f"{m}[1]") == "int"
    assert evaluate(f"{m}[1u]") == "int"
    assert evaluate(f"{m}[1.0]") == "int"
    assert evaluate(f"{m}[false]") == "no"
    assert evaluate(f"{m}[0]") == "zero"
    assert evaluate(f"{m}.map(k, type(k) == bool).filter(b, b).size()") == 2
    assert evaluate("true in {1: 'a'}") is False
    assert evaluate("1 in {true: 'a'}") is False
    assert evaluate("{1: 'a'} == {true: 'a'}") is False
    assert evaluate("[true] == [1]") is False
    fails("{1: 'a'}[true]", match="no such key")
    fails("{true: 'a'}[1]", match="no such key")
    fails("{false: 'a'}[0]", match="no such key")


def test_numeric_keys_match_across_types() -> None:
    assert evaluate("{1u: 'a'}[1.0]") == "a"
    assert evaluate("{1: 'a'}[1u]") == "a"
    assert evaluate("{1: 'a'} == {1u: 'a'}") is True
    assert evaluate("1.0 in {1: 'a'}") is True
    fails("{1: 'a'}[1.5]", match="no such key")
    fails("{1u: 'a'}[-1]", match="no such key")
    fails("{-1: 'a'}[18446744073709551615u]", match="no such key")
    fails("{1: 'a'}[x]", {"x": float("nan")}, match="no such key")
    fails("{1: 'a'}[x]", {"x": float("inf")}, match="no such key")


def test_lookups_with_unsupported_key_types() -> None:
    for key in ["null", "[1]", "{}", "b'a'", "timestamp(0)"]:
        fails(f"{{'a': 1}}[{key}]")
        assert evaluate(f"{key} in {{'a': 1}}") is False


def test_bool_and_int_keys_from_python_data() -> None:
    # A Python dict cannot hold True and 1 apart; whatever it holds is looked up
    # with CEL's rules (a bool key is not found by an int and vice versa).
    assert evaluate("x[true]", {"x": {True: "a"}}) == "a"
    fails("x[1]", {"x": {True: "a"}}, match="no such key")
    fails("x[true]", {"x": {1: "a"}}, match="no such key")
    assert evaluate("x == {1: 'a'}", {"x": {True: "a"}}) is False
    assert evaluate("x == {true: 'a'}", {"x": {True: "a"}}) is True


@pytest.mark.parametrize("key", [None, 1.5, float("nan"), (1, 2), b"k", frozenset()])
def test_odd_python_keys_in_data(key: object) -> None:
    data = {"x": {key: "v", "s": "w"}}
    for src in ["x.s", "size(x)", "x.exists(k, k == 's')", "x.map(k, type(k)).size()", "'s' in x", "x == x",
                "x.all(k, k in x)"]:
        kind, value = outcome(src, data)
        assert kind == "ok" or isinstance(value, CELError)


def test_map_keys_in_macros() -> None:
    assert evaluate("{1: 'a', true: 'b'}.all(k, k in {1: 'a', true: 'b'})") is True
    assert evaluate("{1: 'a', 2u: 'b'}.transformMap(k, v, v + v)") == {1: "aa", UInt(2): "bb"}
    fails("[1, 1].transformMapEntry(i, v, {v: i})", match="repeated key")
    fails("{1: 'a', true: 'b'}.transformMapEntry(k, v, {1: v})", match="repeated key")


# --- Unicode: escapes -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "src",
    ["'\\ud800'", "'\\udfff'", "'\\uDBFF\\uDFFF'", "'\\U0000d800'", "'\\U00110000'", "'\\UFFFFFFFF'",
     "b'\\ud800'", "'\\u12'", "'\\U1234567'", "'\\x4'", "'\\400'", "'\\8'", "'\\q'", "'\\'", "'\\u{41}'"],
)
def test_invalid_escapes_are_syntax_errors(src: str) -> None:
    with pytest.raises(CELSyntaxError):
        celprice.compile(src, cache=False)


@pytest.mark.parametrize(
    "src,value",
    [
        ("'\\U0010FFFF'", "\U0010ffff"),
        ("'\\uFFFF'", "\uffff"),
        ("'\\u0000'", "\x00"),
        ("'\\xff'", "\xff"),
        ("'\\377'", "\xff"),
        ("b'\\xff'", b"\xff"),
        ("b'\\377'", b"\xff"),
        ("b'\\u00ff'", "\xff".encode()),
        ("b'é'", "é".encode()),
        ("r'\\ud800'", "\\ud800"),
        ("'''\\n'''", "\n"),
    ],
)
def test_valid_escapes(src: str, value: object) -> None:
    assert evaluate(src) == value


def test_lone_surrogate_in_source_text() -> None:
    # JSON can carry a lone surrogate ("\ud800"): the source then holds one. It may be
    # rejected or kept, but only ever as a CEL outcome.
    for src in ["'\ud800'", "'a\udfff'.size()", "bytes('\ud800')", "'\ud800'.matches('.')", "\ud800",
                "x\ud800", "'\ud800' + 'a'", "strings.quote('\ud800')", "'%s'.format(['\ud800'])"]:
        try:
            evaluate(src)
        except CELError as e:
            str(e)


@pytest.mark.parametrize("src", ["b'\ud800'", 'B"x\ud800"', "rb'\ud800'", "b'''\ud800'''", "size(b'a\udfffb')"])
def test_lone_surrogate_in_a_bytes_literal(src: str) -> None:
    # The source holds the surrogate itself (as JSON "\\ud800" decodes to), not an escape.
    assert "\ud800" in src or "\udfff" in src
    with pytest.raises(CELSyntaxError):
        celprice.compile(src, cache=False)


@pytest.mark.parametrize(
    "src",
    ["size(x)", "x + 'a'", "bytes(x)", "x.matches('.')", "'.'.matches(x)", "string(bytes(x))", "x.upperAscii()",
     "x.reverse()", "x.charAt(0)", "x.split('')", "x.indexOf('a')", "x < 'a'", "x == 'a'", "strings.quote(x)",
     "'%s'.format([x])", "{x: 1}", "x.substring(0, 1)", "x.replace('a', 'b')", "x.trim()", "[x].join(',')",
     "base64.encode(bytes(x))", "double(x)", "timestamp(x)", "x.contains(x)"],
)
def test_lone_surrogates_in_data(src: str) -> None:
    for value in ["\ud800", "a\udfffb", "\ud83d\ude00"]:  # the last is a split surrogate pair, not one emoji
        kind, result = outcome(src, {"x": value})
        assert kind == "ok" or isinstance(result, CELError)


# --- Unicode: sizes are code points ------------------------------------------------------------


@pytest.mark.parametrize(
    "text,size",
    [("e\u0301", 2), ("fiance\u0301", 7), ("😀", 1), ("👨\u200d👩\u200d👧", 5), ("🇫🇷", 2), ("\U0010ffff", 1),
     ("a\x00b", 3), ("", 0), ("\u200b", 1)],
)
def test_string_sizes_count_code_points(text: str, size: int) -> None:
    assert evaluate("size(x)", {"x": text}) == size
    assert evaluate("x.size()", {"x": text}) == size
    assert evaluate("size(bytes(x))", {"x": text}) == len(text.encode())


def test_code_point_indexing() -> None:
    x = {"x": "a😀e\u0301b"}
    assert evaluate("x.charAt(1)", x) == "😀"
    assert evaluate("x.charAt(3)", x) == "\u0301"
    assert evaluate("x.indexOf('e')", x) == 2
    assert evaluate("x.substring(1, 2)", x) == "😀"
    assert evaluate("x.reverse()", x) == "b\u0301e😀a"
    assert evaluate("x.split('').size()", x) == 5
    assert evaluate("'😀'.matches('^.$')") is True
    assert evaluate("'é'.matches('^.$')") is True
    assert evaluate("'e\\u0301'.matches('^.$')") is False
    fails("x.charAt(6)", x)
    fails("x.substring(0, 6)", x)


def test_string_size_limit_counts_code_points_and_bytes_count_bytes() -> None:
    e = env(max_string_size=4)
    assert evaluate("x + x", {"x": "😀😀"}, e) == "😀" * 4  # 4 code points, 16 bytes
    raises_limit("x + x", {"x": b"\xf0\x9f"}, env(max_string_size=3), limit="max_string_size")
    raises_limit("bytes(x + x)", {"x": "😀"}, env(max_string_size=7), limit="max_string_size")


def test_case_mapping_is_ascii_only() -> None:
    assert evaluate("'ÀBÇ'.lowerAscii()") == "ÀbÇ"
    assert evaluate("'straße'.upperAscii()") == "STRAßE"  # no expansion to SS
    assert evaluate("'İ'.lowerAscii()") == "İ"


def test_ordering_is_by_code_point() -> None:
    assert evaluate("'\\uFFFF' < '\\U00010000'") is True  # UTF-16 order would say otherwise
    assert evaluate("'Z' < 'a'") is True
    assert evaluate("'é' > 'z'") is True


# --- invalid UTF-8 ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [b"\xff", b"\xc3", b"\xc0\xaf", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"a\x80b", b"\xe2\x82", b"\xf8\x88\x80\x80\x80"],
)
def test_invalid_utf8_bytes_to_string_is_an_error(data: bytes) -> None:
    fails("string(x)", {"x": data}, match="UTF-8")
    kind, value = outcome("'%s'.format([x])", {"x": data})
    assert kind == "ok" or isinstance(value, CELError)


@pytest.mark.parametrize("literal", ["b'\\xff'", "b'\\xc3'", "b'\\355\\240\\200'"])
def test_invalid_utf8_from_bytes_literals(literal: str) -> None:
    fails(f"string({literal})", match="UTF-8")


def test_valid_utf8_bytes_to_string() -> None:
    assert evaluate("string(b'\\xc3\\xa9')") == "é"
    assert evaluate("string(b'\\xf0\\x9f\\x98\\x80')") == "😀"
    assert evaluate("string(b'')") == ""
    assert evaluate("string(bytes('e\\u0301')) == 'e\\u0301'") is True


def test_base64_of_hostile_input() -> None:
    for src in ["base64.decode('!!!!')", "base64.decode('a')", "base64.decode('====')", "base64.decode('\\u00e9')"]:
        kind, value = outcome(src)
        assert kind == "ok" or isinstance(value, CELError)
    fails("string(base64.decode('/w=='))", match="UTF-8")


# --- source text oddities --------------------------------------------------------------------


@pytest.mark.parametrize(
    "src",
    ["1 \u00a0+ 1", "1 \u2028+ 1", "1 \u3000+ 1", "1 \v + 2", "é", "x\u0301", "１ + 1", "1 \ufeff+ 1", "\x00",
     "1 +\x00 1", "`a`", "a.`b c`.d"],
)
def test_unicode_in_source_outside_strings(src: str) -> None:
    # Only ASCII space, tab, CR, LF and form feed separate tokens; other characters
    # outside string literals are syntax errors (as in cel-go), never accepted silently.
    kind, value = outcome(src, {"a": {"b c": {"d": 1}}})
    if src == "a.`b c`.d":
        assert kind == "ok" and value == 1
    else:
        assert kind == "error" and isinstance(value, CELSyntaxError), (src, value)
