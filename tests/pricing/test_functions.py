"""Each pricing helper: its overloads, edge cases and errors (spec/pricing.md table)."""
from __future__ import annotations

import math

import pytest

import celprice
from celprice import UInt

from .helpers import err, ev, same

IMG = {"type": "image"}


# --- image_count -------------------------------------------------------------------


@pytest.mark.parametrize(
    "items, expected",
    [
        ([], 0),
        ([{"type": "image", "count": 2}], 2),
        ([{"type": "image"}], 1),  # missing count is one image
        ([{"type": "image", "count": None}], 1),  # null count too
        ([{"type": "image", "count": 0}], 0),
        ([{"type": "image", "count": 3.0}], 3),  # an integral double counts
        ([{"type": "image", "count": UInt(4)}], 4),
        ([{"type": "image", "count": 2}, {"type": "video", "count": 5}, {"type": "image"}], 3),
        ([{"count": 7}, {"type": "IMAGE"}], 0),  # no type / other type: not images
    ],
)
def test_image_count(items, expected):
    assert same(ev("image_count(outputs)", outputs=items), expected)


@pytest.mark.parametrize(
    "items, message",
    [
        (["image"], "image_count: item 0 is not a map, got string"),
        ([IMG, 5], "image_count: item 1 is not a map, got int"),
        ([{"type": "image", "count": "2"}], "image_count: item 0: 'count' must be a number, got string"),
        ([{"type": "image", "count": True}], "image_count: item 0: 'count' must be a number, got bool"),
        ([{"type": "image", "count": 1.5}], "image_count: item 0: 'count' must be a whole number, got 1.5"),
        ([{"type": "image", "count": -1}], "image_count: item 0: 'count' must not be negative, got -1"),
        ([{"type": "image", "count": 2**62}, {"type": "image", "count": 2**62}], "image_count: int64 overflow"),
    ],
)
def test_image_count_errors(items, message):
    assert err("image_count(outputs)", outputs=items) == f"1:12: {message}"


def test_image_count_wrong_argument_is_a_cel_error_naming_the_function():
    assert err("image_count('x')") == "1:12: found no matching overload for 'image_count' applied to '(string)'"
    assert "image_count" in err("image_count(output_meta)", output_meta={"outputs": []})


# --- text_tokens -------------------------------------------------------------------


def test_text_tokens():
    items = [
        {"type": "text", "tokens": 100, "cached_tokens": 40},
        {"type": "text"},  # missing tokens count 0
        {"type": "text", "tokens": None},
        {"type": "image", "tokens": 999},
        {"type": "text", "tokens": 25.0},
    ]
    assert same(ev("text_tokens(inputs)", inputs=items), 125)
    assert same(ev("text_tokens([])"), 0)


def test_text_tokens_errors():
    assert err("text_tokens(inputs)", inputs=[{"type": "text", "tokens": "12"}]) == (
        "1:12: text_tokens: item 0: 'tokens' must be a number, got string"
    )
    assert err("text_tokens(inputs)", inputs=[[1]]) == "1:12: text_tokens: item 0 is not a map, got list"
    assert "found no matching overload for 'text_tokens'" in err("text_tokens(1)")


# --- video_seconds, audio_seconds ------------------------------------------------------


def test_video_and_audio_seconds_are_doubles():
    items = [
        {"type": "video", "seconds": 8},
        {"type": "video", "seconds": 2.5},
        {"type": "video"},  # missing seconds count 0
        {"type": "audio", "seconds": 30},
    ]
    assert same(ev("video_seconds(outputs)", outputs=items), 10.5)
    assert same(ev("audio_seconds(outputs)", outputs=items), 30.0)
    assert same(ev("video_seconds([])"), 0.0)
    assert same(ev("audio_seconds([{'type': 'video', 'seconds': 3}])"), 0.0)


@pytest.mark.parametrize(
    "seconds, message",
    [
        ("5", "'seconds' must be a number, got string"),
        (-1.0, "'seconds' must be a finite non-negative number, got -1"),
        (math.nan, "'seconds' must be a finite non-negative number, got NaN"),
        (math.inf, "'seconds' must be a finite non-negative number, got +Inf"),
    ],
)
def test_seconds_errors(seconds, message):
    assert err("video_seconds(outputs)", outputs=[{"type": "video", "seconds": seconds}]) == (
        f"1:14: video_seconds: item 0: {message}"
    )
    assert err("audio_seconds(outputs)", outputs=[{"type": "audio", "seconds": seconds}]) == (
        f"1:14: audio_seconds: item 0: {message}"
    )


# --- count_type, first --------------------------------------------------------------------


def test_count_type_ignores_count():
    items = [{"type": "image", "count": 4}, {"type": "image"}, {"type": "video"}]
    assert same(ev("count_type(outputs, 'image')", outputs=items), 2)
    assert same(ev("count_type(outputs, 'audio')", outputs=items), 0)
    assert "found no matching overload for 'count_type'" in err("count_type(outputs, 1)", outputs=items)
    assert err("count_type(outputs, 'x')", outputs=[1]) == "1:11: count_type: item 0 is not a map, got int"


def test_first():
    items = [{"type": "text", "tokens": 1}, {"type": "video", "seconds": 3}, {"type": "video", "seconds": 9}]
    assert ev("first(outputs, 'video')", outputs=items) is items[1]
    assert ev("first(outputs, 'video').seconds", outputs=items) == 3
    assert ev("first(outputs, 'audio')", outputs=items) is None
    assert ev("first(outputs, 'audio') == null", outputs=items) is True
    assert err("first(outputs, 'video')", outputs=["x"]) == "1:6: first: item 0 is not a map, got string"


# --- get, get_extra -----------------------------------------------------------------------


def test_get():
    m = {"a": 1, "n": None, "d": 2.5}
    assert same(ev("get(task_inputs, 'a', 0)", task_inputs=m), 1)
    assert same(ev("get(task_inputs, 'missing', 7)", task_inputs=m), 7)
    assert same(ev("get(task_inputs, 'n', 'dflt')", task_inputs=m), "dflt")  # null -> default
    assert same(ev("get(task_inputs, 'd', 0)", task_inputs=m), 2.5)
    assert same(ev("get({1: 'one'}, 1.0, 'none')"), "one")  # CEL numeric key equality
    assert same(ev("get({true: 'yes'}, 1, 'none')"), "none")  # bool keys never match numbers
    assert same(ev("get(first(outputs, 'video'), 'seconds', 0)", outputs=[]), 0)  # null map -> default


def test_get_errors():
    assert "found no matching overload for 'get'" in err("get([1], 0, 0)")
    assert "found no matching overload for 'get'" in err("get('abc', 'a', 0)")
    assert err("get({}, [1], 0)") == "1:4: get: unsupported key type list"
    # A value read through get() is range checked like any variable read.
    assert "out of the int64 range" in err("get(task_inputs, 'big', 0)", task_inputs={"big": 2**64})


def test_get_extra():
    item = {"type": "video", "extra": {"generate_audio": True, "n": None}}
    assert ev("get_extra(outputs[0], 'generate_audio', false)", outputs=[item]) is True
    assert ev("get_extra(outputs[0], 'missing', false)", outputs=[item]) is False
    assert same(ev("get_extra(outputs[0], 'n', 3)", outputs=[item]), 3)
    assert same(ev("get_extra(outputs[0], 'k', 3)", outputs=[{"type": "video"}]), 3)  # no extra
    assert same(ev("get_extra(outputs[0], 'k', 3)", outputs=[{"extra": None}]), 3)  # null extra
    assert same(ev("get_extra(first(outputs, 'audio'), 'k', 3)", outputs=[]), 3)  # null item
    assert err("get_extra(outputs[0], 'k', 3)", outputs=[{"extra": "x"}]) == (
        "1:10: get_extra: 'extra' must be a map, got string"
    )
    assert "found no matching overload for 'get_extra'" in err("get_extra(1, 'k', 3)")


# --- sum ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "source, expected",
    [
        ("sum([])", 0),
        ("[].sum()", 0),
        ("sum([1, 2, 3])", 6),
        ("[1, 2, 3].sum()", 6),
        ("sum([1, 2.5])", 3.5),
        ("[0.5, 0.25].sum()", 0.75),
        ("sum([1u, 2u])", 3.0),  # int only when every element is an int
        ("sum([1, 2u])", 3.0),
        ("sum([9223372036854775807, -1])", 9223372036854775806),
    ],
)
def test_sum(source, expected):
    assert same(ev(source), expected)


def test_sum_errors():
    assert err("sum([9223372036854775807, 1])") == "1:4: sum: int64 overflow"
    assert err("[1, 'a'].sum()") == "1:13: sum: element 1 must be a number, got string"
    assert err("sum([true])") == "1:4: sum: element 0 must be a number, got bool"
    assert "found no matching overload for 'sum'" in err("sum(1)")
    assert "found no matching overload for 'sum'" in err("'abc'.sum()")


# --- min, max -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "source, expected",
    [
        ("min(3, 5)", 3),
        ("max(3, 5)", 5),
        ("min(3, 5.0)", 3.0),
        ("max(3.5, 2)", 3.5),
        ("max(2u, 1u)", 2.0),
        ("min(-1, 1u)", -1.0),
        ("max(2, 2)", 2),
        ("min(-9223372036854775807 - 1, 0)", -(2**63)),
    ],
)
def test_min_max(source, expected):
    assert same(ev(source), expected)


def test_min_max_nan_propagates():
    assert math.isnan(ev("min(0.0 / 0.0, 1)"))
    assert math.isnan(ev("max(1.0, 0.0 / 0.0)"))
    assert "found no matching overload for 'min'" in err("min('a', 1)")
    assert "found no matching overload for 'max'" in err("max(1)")


# --- ceil, floor, round ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "source, expected",
    [
        ("ceil(1.2)", 2.0),
        ("ceil(3)", 3.0),
        ("ceil(-1.5)", -1.0),
        ("floor(1.8)", 1.0),
        ("floor(-1.2)", -2.0),
        ("floor(7u)", 7.0),
        ("round(2.5)", 3.0),
        ("round(-2.5)", -3.0),
        ("round(2.4999)", 2.0),
        ("round(0.49999999999999994)", 0.0),
        ("round(5)", 5.0),
    ],
)
def test_rounding(source, expected):
    assert same(ev(source), expected)


def test_rounding_non_finite_and_errors():
    assert ev("ceil(1.0 / 0.0)") == math.inf
    assert math.isnan(ev("round(0.0 / 0.0)"))
    assert err("ceil('1.2')") == "1:5: found no matching overload for 'ceil' applied to '(string)'"
    assert "found no matching overload for 'round'" in err("round(null)")


# --- megapixels, pixels, resolution --------------------------------------------------------------


def test_megapixels_pixels():
    assert same(ev("megapixels(1024, 1024)"), 1.048576)
    assert same(ev("megapixels(2000.0, 1000)"), 2.0)
    assert same(ev("pixels(1920, 1080)"), 2073600)
    assert same(ev("pixels(1.5, 2.0)"), 3.0)
    assert same(ev("pixels(2, 2.5)"), 5.0)
    assert err("pixels(4294967296, 4294967296)") == "1:7: pixels: int64 overflow"
    assert "found no matching overload for 'megapixels'" in err("megapixels('a', 1)")


@pytest.mark.parametrize(
    "w, h, tier",
    [
        (640, 480, "480p"),
        (480, 4000, "480p"),
        (1280, 720, "720p"),
        (1280, 721, "1080p"),
        (1920, 1080, "1080p"),
        (1080, 1920, "1080p"),  # the shorter side decides
        (2560, 1440, "1440p"),
        (3840, 2160, "4k"),
        (720.0, 1280.0, "720p"),
    ],
)
def test_resolution(w, h, tier):
    assert ev("resolution(task_inputs.w, task_inputs.h)", task_inputs={"w": w, "h": h}) == tier


def test_resolution_errors():
    assert err("resolution(0.0 / 0.0, 720)") == "1:11: resolution: width and height must not be NaN"
    assert "found no matching overload for 'resolution'" in err("resolution('1920', 1080)")


# --- to_cents, to_dollars ---------------------------------------------------------------------


def test_to_cents():
    assert same(ev("to_cents(2500000)"), 2.5)
    assert same(ev("to_cents(1.0)"), 1e-6)


@pytest.mark.parametrize(
    "source, expected",
    [
        ("to_dollars(2500000)", "0.025"),
        ("to_dollars(100000000)", "1.00"),
        ("to_dollars(123)", "0.00000123"),
        ("to_dollars(0)", "0.00"),
        ("to_dollars(125000000)", "1.25"),
        ("to_dollars(10000000)", "0.10"),
        ("to_dollars(123456789012)", "1234.56789012"),
        ("to_dollars(-2500000)", "-0.025"),
        ("to_dollars(5u)", "0.00000005"),
        ("to_dollars(2500000.4)", "0.025"),  # doubles round to whole microcents
        ("to_dollars(2.5)", "0.00000003"),  # halves away from zero
        ("to_dollars(-0.4)", "0.00"),
        ("string(to_dollars(2500000))", "0.025"),
    ],
)
def test_to_dollars(source, expected):
    assert ev(source) == expected


def test_to_dollars_errors():
    assert err("to_dollars(0.0 / 0.0)") == "1:11: to_dollars: cannot format NaN"
    assert err("to_dollars(1e30)") == "1:11: to_dollars: 1e+30 is out of the int64 range"
    assert "found no matching overload for 'to_dollars'" in err("to_dollars('1')")


def test_helpers_are_not_python_exceptions():
    # Whatever the argument, a helper fails as a CEL error, never a Python one.
    for source in ("image_count([{'type': 'image', 'count': {}}])", "sum([[]])", "resolution(null, 1)",
                   "get({}, {}, 1)", "pixels([], 1)", "to_dollars(null)"):
        with pytest.raises(celprice.CELEvaluationError):
            ev(source, check=False)
