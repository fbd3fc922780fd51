"""String functions, the strings extension, string.format and string(double)."""
from __future__ import annotations

import math
import time

import pytest

from celprice.errors import CELError, CELEvaluationError, NoSuchOverload
from celprice.stdlib import STANDARD
from celprice.stdlib import strings as S
from celprice.stdlib.format import format_double, format_value, quote, string_format
from celprice.values import Duration, Map, Timestamp, Type, UInt

NAN = float("nan")
INF = float("inf")


def call(name: str, *args):
    return STANDARD.methods[name].impl(*args)


# ---------------------------------------------------------------------------
# contains / startsWith / endsWith


@pytest.mark.parametrize(
    "name, recv, arg, expected",
    [
        ("contains", "hello", "he", True),
        ("contains", "hello", "", True),
        ("contains", "hello", "ol", False),
        ("contains", "Straße", "aß", True),
        ("contains", "", "x", False),
        ("startsWith", "завтра", "за", True),
        ("startsWith", "", "foo", False),
        ("startsWith", "foo", "", True),
        ("endsWith", "🐱😀😛", "😛", True),
        ("endsWith", "foobar", "foo", False),
    ],
)
def test_basic_predicates(name, recv, arg, expected):
    assert call(name, recv, arg) is expected


@pytest.mark.parametrize("name", ["contains", "startsWith", "endsWith", "matches"])
def test_basic_predicates_reject_wrong_types(name):
    with pytest.raises(NoSuchOverload):
        call(name, b"abc", "a")
    with pytest.raises(NoSuchOverload):
        call(name, "abc", 1)
    with pytest.raises(NoSuchOverload):
        call(name, "abc")


# ---------------------------------------------------------------------------
# matches (RE2)


@pytest.mark.parametrize(
    "text, pattern, expected",
    [
        ("hubba", "ubb", True),  # substring search, not a full match
        ("", "foo|bar", False),
        ("cows", "", True),
        ("grey", "gr(a|e)y", True),
        ("mañana", "a+ñ+a+", True),
        ("🐱😀😀", "(a|😀){2}", True),  # a code point is one character
        ("abc", "^b", False),
        ("abc", "\\d", False),
        ("a1c", "\\d", True),
    ],
)
def test_matches(text, pattern, expected):
    assert S.matches(text, pattern) is expected
    assert STANDARD.functions["matches"].impl(text, pattern) is expected


def test_matches_catastrophic_pattern_is_linear():
    text = "a" * 100_000 + "!"
    began = time.perf_counter()
    assert S.matches(text, "(a+)+$") is False
    assert S.matches(text, "(a|aa)+b") is False
    assert time.perf_counter() - began < 2.0


def test_matches_invalid_pattern_names_the_pattern():
    with pytest.raises(CELEvaluationError) as info:
        S.matches("abc", "a(b")
    assert "a(b" in info.value.message


def test_matches_rejects_backreferences():
    # RE2 has no backreferences; Python's re would accept this.
    with pytest.raises(CELEvaluationError):
        S.matches("aa", "(a)\\1")


# ---------------------------------------------------------------------------
# charAt, indexOf, lastIndexOf


def test_char_at():
    assert call("charAt", "tacocat", 3) == "o"
    assert call("charAt", "tacocat", 7) == ""  # one past the end is allowed
    assert [call("charAt", "©αT", i) for i in range(3)] == ["©", "α", "T"]


@pytest.mark.parametrize("index", [8, 30, -1])
def test_char_at_out_of_range(index):
    with pytest.raises(CELEvaluationError, match=f"index out of range: {index}"):
        call("charAt", "tacocat", index)


def test_char_at_type_errors():
    with pytest.raises(NoSuchOverload):
        call("charAt", 42, 2)
    with pytest.raises(NoSuchOverload):
        call("charAt", "hello", True)  # bool is not an int in CEL
    with pytest.raises(NoSuchOverload):
        call("charAt", "hello", UInt(1))


@pytest.mark.parametrize(
    "args, expected",
    [
        (("",), 0),
        (("ac",), 1),
        (("none",), -1),
        (("", 3), 3),
        (("a", 3), 5),
        (("at", 3), 5),
        (("at", 7), -1),
    ],
)
def test_index_of(args, expected):
    assert call("indexOf", "tacocat", *args) == expected


def test_index_of_code_points():
    assert call("indexOf", "ta©o©αT", "©") == 2
    assert call("indexOf", "ta©o©αT", "©", 3) == 4
    assert call("indexOf", "ta©o©αT", "©αT", 3) == 4
    assert call("indexOf", "ta©o©αT", "©α", 5) == -1
    assert call("indexOf", "hello wello", "ello", 6) == 7


def test_index_of_errors():
    with pytest.raises(CELEvaluationError, match="index out of range: 30"):
        call("indexOf", "tacocat", "a", 30)
    with pytest.raises(CELEvaluationError, match="index out of range: -1"):
        call("indexOf", "tacocat", "a", -1)
    for bad in [(24, "2"), ("hello", True), ("42", 4, 0), ("42", "4", "0"), ("42", "4", 0, 1)]:
        with pytest.raises(NoSuchOverload):
            call("indexOf", *bad)


def test_last_index_of():
    assert call("lastIndexOf", "", "@@") == -1
    assert call("lastIndexOf", "tacocat", "") == 7
    assert call("lastIndexOf", "tacocat", "at") == 5
    assert call("lastIndexOf", "tacocat", "", 3) == 3
    assert call("lastIndexOf", "tacocat", "a", 3) == 1
    assert call("lastIndexOf", "ta©o©αT", "©") == 4
    assert call("lastIndexOf", "ta©o©αT", "©", 3) == 2
    assert call("lastIndexOf", "ta©o©αT", "©α", 4) == 4  # match may extend past `from`
    assert call("lastIndexOf", "hello wello", "ello", 6) == 1
    assert call("lastIndexOf", "bananananana", "nana", 7) == 6


@pytest.mark.parametrize("index", [-1, 30])
def test_last_index_of_out_of_range(index):
    with pytest.raises(CELEvaluationError, match=f"index out of range: {index}"):
        call("lastIndexOf", "tacocat", "a", index)


# ---------------------------------------------------------------------------
# casing, replace, split, substring, trim, join, reverse


def test_ascii_casing_leaves_other_letters():
    assert call("lowerAscii", "TacoCÆt Xii") == "tacocÆt xii"
    assert call("upperAscii", "tacoCαt") == "TACOCαT"
    with pytest.raises(NoSuchOverload):
        call("lowerAscii", "A", "b")


def test_replace():
    assert call("replace", "{0} days {0} hours", "{0}", "2") == "2 days 2 hours"
    assert call("replace", "{0} days {0} hours", "{0}", "2", 1) == "2 days {0} hours"
    assert call("replace", "aaa", "a", "b", 0) == "aaa"
    assert call("replace", "aaa", "a", "b", -5) == "bbb"
    assert call("replace", "1 ©αT taco", "αT", "o©α") == "1 ©o©α taco"
    assert call("replace", "ab", "", "-") == "-a-b-"


@pytest.mark.parametrize(
    "args",
    [(2, 1), ("2", 1), (2, "1", 1), ("2", 1, 1), ("2", "1", "1"), ("2", "1", 1, False)],
)
def test_replace_type_errors(args):
    with pytest.raises(NoSuchOverload):
        call("replace", "42", *args)


@pytest.mark.parametrize(
    "recv, args, expected",
    [
        ("hello world", (" ",), ["hello", "world"]),
        ("hello world events!", (" ", 0), []),
        ("hello world events!", (" ", 1), ["hello world events!"]),
        ("hello world events!", (" ", 2), ["hello", "world events!"]),
        ("o©o©o©o", ("©", -1), ["o", "o", "o", "o"]),
        ("", (",",), [""]),
        ("a©c", ("",), ["a", "©", "c"]),
        ("abcd", ("", 2), ["a", "bcd"]),
        ("ab", ("", 5), ["a", "b"]),
        ("", ("",), []),
    ],
)
def test_split(recv, args, expected):
    assert call("split", recv, *args) == expected


def test_split_type_errors():
    for bad in [(42, "2"), ("42", 2), ("42", "2", "1"), ("42", "2", 1, 1)]:
        with pytest.raises(NoSuchOverload):
            call("split", *bad)


def test_substring():
    assert call("substring", "tacocat", 4) == "cat"
    assert call("substring", "tacocat", 7) == ""
    assert call("substring", "tacocat", 0, 4) == "taco"
    assert call("substring", "tacocat", 4, 4) == ""
    assert call("substring", "ta©o©αT", 2, 6) == "©o©α"
    assert call("substring", "ta©o©αT", 7, 7) == ""


@pytest.mark.parametrize(
    "args, message",
    [
        ((40,), "index out of range: 40"),
        ((-1,), "index out of range: -1"),
        ((1, 50), "index out of range: 50"),
        ((49, 50), "index out of range: 49"),
        ((4, 3), "invalid substring range. start: 4, end: 3"),
    ],
)
def test_substring_errors(args, message):
    with pytest.raises(CELEvaluationError) as info:
        call("substring", "tacocat", *args)
    assert info.value.message == message


def test_substring_type_errors():
    for bad in [("hello", 1, 2, 3), (30, True, 3), ("tacocat", True, 3), ("tacocat", 0, False)]:
        with pytest.raises(NoSuchOverload):
            call("substring", *bad)


def test_trim_unicode_white_space():
    assert call("trim", " \f\n\r\t\vtext  ") == "text"
    assert call("trim", "\u0085\u00a0\u1680text") == "text"
    assert call("trim", "text\u2000\u2001\u2002\u2003\u2004\u2006\u2007\u2008\u2009") == "text"
    assert call("trim", "\u200atext\u2028\u2029\u202f\u205f\u3000") == "text"
    kept = "\u180etext\u200b\u200c\u200d\u2060\ufeff"
    assert call("trim", kept) == kept
    # Python's str.strip() would remove these separators; CEL does not.
    assert call("trim", "\x1ctext\x1f") == "\x1ctext\x1f"


def test_join():
    assert call("join", ["x", "y"]) == "xy"
    assert call("join", ["x", "y"], "-") == "x-y"
    assert call("join", [], "-") == ""
    assert call("join", ("a",), ", ") == "a"
    with pytest.raises(CELEvaluationError):
        call("join", ["x", 1])
    with pytest.raises(NoSuchOverload):
        call("join", "xy")
    with pytest.raises(NoSuchOverload):
        call("join", ["x"], 1)


def test_reverse():
    assert call("reverse", "") == ""
    assert call("reverse", "☺") == "☺"
    assert call("reverse", "Ta©oCαt") == "tαCo©aT"
    with pytest.raises(NoSuchOverload):
        call("reverse", ["a"])


# ---------------------------------------------------------------------------
# strings.quote


@pytest.mark.parametrize(
    "raw, quoted",
    [
        ("first\nsecond", '"first\\nsecond"'),
        ("bell\a", '"bell\\a"'),
        ("\bbackspace", '"\\bbackspace"'),
        ("\fform feed", '"\\fform feed"'),
        ("carriage \r return", '"carriage \\r return"'),
        ("horizontal tab\t", '"horizontal tab\\t"'),
        ("vertical \v tab", '"vertical \\v tab"'),
        ("double \\\\ slash", '"double \\\\\\\\ slash"'),
        ("ends with \\", '"ends with \\\\"'),
        ('mid string " quote', '"mid string \\" quote"'),
        ("size('ÿ')", "\"size('ÿ')\""),
        ("\U0001F431\U0001F600", '"\U0001F431\U0001F600"'),
        ("", '""'),
        ("\ud800x", '"\ufffdx"'),  # a lone surrogate becomes U+FFFD
    ],
)
def test_quote(raw, quoted):
    assert quote(raw) == quoted
    assert STANDARD.functions["strings.quote"].impl(raw) == quoted


def test_quote_type_error():
    with pytest.raises(NoSuchOverload):
        STANDARD.functions["strings.quote"].impl(b"x")


# ---------------------------------------------------------------------------
# string(double)


@pytest.mark.parametrize(
    "value, text",
    [
        (1.0, "1"),
        (123456.7, "123456.7"),
        (100000.0, "100000"),
        (999999.0, "999999"),
        (1000000.0, "1e+06"),
        (123456789.0, "1.23456789e+08"),
        (1.5e-7, "1.5e-07"),
        (0.0001, "0.0001"),
        (0.00001, "1e-05"),
        (0.025, "0.025"),
        (123.456, "123.456"),
        (-4.5e-3, "-0.0045"),
        (1e100, "1e+100"),
        (5e-324, "5e-324"),
        (0.1 + 0.2, "0.30000000000000004"),
        (0.0, "0"),
        (-0.0, "-0"),
        (NAN, "NaN"),
        (INF, "+Inf"),
        (-INF, "-Inf"),
    ],
)
def test_format_double(value, text):
    assert format_double(value) == text


# ---------------------------------------------------------------------------
# string.format


def fmt(template, *args):
    return call("format", template, list(args))


@pytest.mark.parametrize(
    "template, args, expected",
    [
        ("no substitution", [], "no substitution"),
        ("%% and also %%", [], "% and also %"),
        ("%%%s%%", ["text"], "%text%"),
        ("%d %d %d, %s %s %s", [1, 2, 3, "A", "B", "C"], "1 2 3, A B C"),
        ("%.3f", [1.2345], "1.234"),
        ("%b", [5], "101"),
        ("%b", [UInt(64)], "1000000"),
        ("%b", [True], "1"),
        ("%b", [-5], "-101"),
        ("%o", [11], "13"),
        ("%o", [UInt(65535)], "177777"),
        ("%x", [30], "1e"),
        ("%X", [30], "1E"),
        ("%X", [UInt(6000)], "1770"),
        ("%x", [-255], "-ff"),
        ("%x", ["Hello world!"], "48656c6c6f20776f726c6421"),
        ("%X", [b"byte string"], "6279746520737472696E67"),
        ("%x", ["é"], "c3a9"),
        ("%.6e", [1052.032911275], "1.052033e+03"),
        ("%f", [2.71828], "2.718280"),
        ("%f", [2], "2.000000"),
        ("%f", [UInt(3)], "3.000000"),
        ("%e", [2.71828], "2.718280e+00"),
        ("%e", [UInt(3)], "3.000000e+00"),
        ("%e", [1e100], "1.000000e+100"),
        ("%e %d %f", [NAN, INF, -INF], "NaN Infinity -Infinity"),
        ("%d", [UInt(64)], "64"),
        ("%d", [2.5], "2.5"),
        ("%.0f", [123.0], "123"),
        ("%.0f", [3.5001], "4"),
        ("%.0f", [1.5], "2"),
        ("%.0f", [2.5], "2"),  # the binary value is exact: round half to even
        ("%.3f", [-123.4999], "-123.500"),
        ("%.3f", [-123.4994], "-123.499"),
        ("%.5f", [-1.2], "-1.20000"),
        ("%.2s", ["ab"], "ab"),  # precision is parsed and ignored by %s
        ("a%sb", ["©"], "a©b"),
        ("%s", ["%d"], "%d"),  # substituted text is not re-scanned
        ("%s", [1, 2], "1"),  # surplus arguments are ignored at runtime
    ],
)
def test_format(template, args, expected):
    assert fmt(template, *args) == expected


@pytest.mark.parametrize(
    "value, expected",
    [
        (None, "null"),
        (999999999999, "999999999999"),
        (UInt(7), "7"),
        (b"xyz", "xyz"),
        (Type("string"), "string"),
        (True, "true"),
        (56.8, "56.8"),
        (1e20, "100000000000000000000"),  # %s never uses an exponent
        (1e-7, "0.0000001"),
        (-0.0, "-0"),
        ([NAN, INF, -INF], "[NaN, Infinity, -Infinity]"),
        (["abc", 3.14, None, [9, 8, 7, 6]], "[abc, 3.14, null, [9, 8, 7, 6]]"),
        ((), "[]"),
        ({}, "{}"),
        # Entries sort by rendered key, whatever the insertion order.
        ({"key1": b"xyz", "key5": None, "key4": True, "key3": 2.71828},
         "{key1: xyz, key3: 2.71828, key4: true, key5: null}"),
        (Map([(1, "value1"), (UInt(2), "value2"), (True, NAN)]),
         "{1: value1, 2: value2, true: NaN}"),
        (Map([("strKey", "x"), (6, 1), (True, 42)]), "{6: 1, strKey: x, true: 42}"),
    ],
)
def test_format_s_renderings(value, expected):
    assert fmt("%s", value) == expected
    assert format_value(value) == expected


def test_format_s_time_values():
    pytest.importorskip("celprice.stdlib.time")
    ts = Timestamp(1675467080)  # 2023-02-03T23:31:20Z
    assert fmt("%s", ts) == "2023-02-03T23:31:20Z"
    assert fmt("%s", Duration(6347)) == "6347s"
    assert fmt("%s", [ts, {"d": Duration(7200)}]) == "[2023-02-03T23:31:20Z, {d: 7200s}]"


@pytest.mark.parametrize(
    "template, args, message",
    [
        ("%a", [1], 'could not parse formatting clause: unrecognized formatting clause "a"'),
        ("%E", [0.5], 'could not parse formatting clause: unrecognized formatting clause "E"'),
        ("%d %d %d", [0, 1], "index 2 out of range"),
        ("%s", [], "index 0 out of range"),
        ("abc %", [1], "unexpected end of string"),
        ("%.3", [1.0], "could not find end of precision specifier"),
        ("%.f", [1.0], "could not parse formatting clause"),
        ("%.99999f", [1.0], "precision"),
        ("%b", ["abc"], "error during formatting: only ints, uints, and bools can be formatted as binary, was given string"),
        ("%d", [None], "error during formatting: decimal clause can only be used on ints, uints, and doubles, was given null_type"),
        ("%d", [True], "was given bool"),
        ("%o", ["a string"], "octal clause can only be used on ints and uints, was given string"),
        ("%x", [0.5], "formatted as hex, was given double"),
        ("%X", [None], "formatted as hex, was given null_type"),
        ("%e", [None], "scientific clause can only be used on ints, uints, and doubles, was given null_type"),
        ("%f", ["1"], "fixed-point clause can only be used on ints, uints, and doubles, was given string"),
        ("%s", [[1, object()]], "string clause can only be used on"),
        ("%s", [{1: object()}], "string clause can only be used on"),
    ],
)
def test_format_errors(template, args, message):
    with pytest.raises(CELEvaluationError) as info:
        fmt(template, *args)
    assert message in info.value.message


def test_format_error_on_duration_for_decimal():
    with pytest.raises(CELEvaluationError, match="google.protobuf.Duration"):
        fmt("%d", Duration(1802))


def test_format_type_errors():
    with pytest.raises(NoSuchOverload):
        call("format", 1, [1])
    with pytest.raises(NoSuchOverload):
        call("format", "%s", "x")
    with pytest.raises(NoSuchOverload):
        call("format", "%s")


def test_format_direct_api():
    assert string_format("%s=%d", ["a", 1]) == "a=1"


def test_format_deep_nesting_is_a_cel_error():
    value: list = []
    for _ in range(100_000):
        value = [value]
    with pytest.raises(CELEvaluationError):
        string_format("%s", [value])


def test_all_errors_are_cel_errors():
    # Every failure path must surface as a CELError, never a bare Python exception.
    cases = [
        lambda: call("charAt", "x", 5),
        lambda: call("substring", "x", 3, 1),
        lambda: S.matches("x", "("),
        lambda: fmt("%q", 1),
        lambda: call("split", "x", ","[0], "1"),
    ]
    for case in cases:
        with pytest.raises(CELError):
            case()


def test_format_double_round_trips():
    for value in [0.1, 1 / 3, 2.0**-1074, 1.7976931348623157e308, 123456.789e-10, 6.02214076e23]:
        assert float(format_double(value)) == value
        assert not math.isnan(float(format_double(value)))
