"""The store's own formulas, priced as the store prices them.

Every CEL block of the store's CEL reference for app authors (R1: repository
inference-sh/grid, api/falai/.claude/skills/fal-pricing/references/cel-pricing.md
at commit a2d8ce1, 26 blocks) and of its app pricing notes (R4: api/*/pricing.md,
api/*/PRICING.md, api/falai/*/PRICING.md at commit 85af325, 67 blocks in 31 files;
the other notes of those paths have no CEL) is here: it compiles under the strict
dialect and prices a sample task to the amount worked out by hand from the unit
price the file states, or it is refused with a located message that spells the fix.

A block holding several expressions (`// BEFORE:` / `// AFTER:`, or `#`-labelled
partner and total expressions, `#` not being CEL) is split into them. Where a note
contradicts itself, the test uses the unit price the note states in dollars and the
contradiction is recorded in test_notes_that_contradict_their_own_unit_prices.
Amounts: $1 = 100,000,000 microcents, so $0.14 is 14,000,000.
"""
from __future__ import annotations

from typing import Any

import pytest

import celprice
from celprice.pricing import check_pricing, evaluate_pricing, pricing_environment, pricing_warnings

USD = 100_000_000  # microcents per dollar


def usd(dollars: str) -> int:
    """A dollar amount as written in a note ("0.0562") in microcents, exactly."""
    whole, _, fraction = dollars.partition(".")
    fraction = (fraction + "0" * 8)[:8]
    return int(whole) * USD + int(fraction)


def video(seconds: Any, **fields: Any) -> dict:
    return {"outputs": [{"type": "video", "seconds": seconds, **fields}]}


def fee(field: str, source: str, prices: dict, **task: Any) -> dict:
    """The response entry of `field` when the pricing has only that formula (no compute charge)."""
    pricing = {"prices": prices, "resource_expression": "0", field: source}
    response = evaluate_pricing({"pricing": pricing, **task})
    return response[field.replace("_expression", "_fee")] if field != "total_expression" else response["total"]


def money(field: str, source: str, prices: dict, **task: Any) -> int:
    entry = fee(field, source, prices, **task)
    assert "error" not in entry, entry
    return entry["value"]


def refused(field: str, source: str) -> str:
    """The one problem check_pricing reports for a formula, as one line."""
    (problem,) = check_pricing({field: source})
    return problem.headline()


def description(source: str, prices: dict | None = None) -> str:
    response = evaluate_pricing({"pricing": {"prices": prices or {}, "description": source}})
    assert "error" not in response["description"], response["description"]
    return response["description"]["value"]


def value(source: str, **variables: Any) -> Any:
    return celprice.compile(source, pricing_environment("total")).evaluate(variables)


# --- R1: the CEL reference --------------------------------------------------------------
# R1 states no app's prices; the prices below follow its naming conventions and its
# example "$0.025 -> 2500000", and each amount is worked out in the comment.

PER_MP = {"per_megapixel": usd("0.025")}  # 2,500,000 per megapixel


def test_r1_ceil_megapixels_before_and_after():
    before = (
        "(double(outputs[0].resolution_mp) - double(int(double(outputs[0].resolution_mp))) > 0.0\n"
        "  ? double(int(double(outputs[0].resolution_mp))) + 1.0\n"
        "  : double(int(double(outputs[0].resolution_mp)))) * double(prices.per_megapixel)"
    )
    image = {"outputs": [{"type": "image", "resolution_mp": 1.5}]}
    assert money("inference_expression", before, PER_MP, output_meta=image) == 5_000_000  # ceil(1.5) = 2 MP * 2.5M
    whole = {"outputs": [{"type": "image", "resolution_mp": 2}]}  # 2 is read as 2.0
    assert money("inference_expression", before, PER_MP, output_meta=whole) == 5_000_000
    # AFTER mixes a double with an int price: the store rejects it (R3), so does celprice.
    after = "ceil(outputs[0].resolution_mp) * prices.per_megapixel"
    assert refused("inference_expression", after) == (
        "inference_expression:1:32: found no matching overload for operator '*' applied to '(double, int)': "
        "wrap the int in double(): ceil(outputs[0].resolution_mp) * double(prices.per_megapixel)"
    )
    fixed = "ceil(outputs[0].resolution_mp) * double(prices.per_megapixel)"
    assert money("inference_expression", fixed, PER_MP, output_meta=image) == 5_000_000


def test_r1_safe_input_access_before_and_after():
    for source in ("has(task_inputs.duration) ? task_inputs.duration : 8", 'get(task_inputs, "duration", 8)'):
        assert money("inference_expression", source, {}, task_inputs={"duration": 5}) == 5
        assert money("inference_expression", source, {}, task_inputs={}) == 8


def test_r1_extra_flag_before_and_after():
    prices = {"with_audio": usd("0.10"), "video_only": usd("0.05")}
    before = (
        "has(outputs[0].extra) && has(outputs[0].extra.generate_audio) && outputs[0].extra.generate_audio == true\n"
        "  ? prices.with_audio : prices.video_only"
    )
    after = 'get_extra(outputs[0], "generate_audio", false) ? prices.with_audio : prices.video_only'
    for source in (before, after):
        assert money("inference_expression", source, prices, output_meta=video(6, extra={"generate_audio": True})) == 10_000_000
        assert money("inference_expression", source, prices, output_meta=video(6)) == 5_000_000


PER_M_OUT = {"per_million_output": usd("15")}  # $15 per million output tokens: 1,500,000,000


def test_r1_token_pricing_before_and_after():
    before = (
        '(size(outputs) > 0 && outputs[0].type == "text"\n'
        "  ? (double(outputs[0].tokens) / 1000000.0) * double(prices.per_million_output)\n"
        "  : 0.0)"
    )
    text = {"outputs": [{"type": "text", "tokens": 1500}]}
    assert money("inference_expression", before, PER_M_OUT, output_meta=text) == 2_250_000  # 1500 * 1.5e9 / 1e6
    assert money("inference_expression", before, PER_M_OUT, output_meta={"outputs": []}) == 0
    after = "text_tokens(outputs) / 1000000.0 * prices.per_million_output"
    assert refused("inference_expression", after) == (
        "inference_expression:1:22: found no matching overload for operator '/' applied to '(int, double)': "
        "wrap the int in double(): double(text_tokens(outputs)) / 1000000.0"
    )
    # R3's form of it.
    fixed = "double(text_tokens(outputs)) / 1000000.0 * double(prices.per_million_output)"
    assert money("inference_expression", fixed, PER_M_OUT, output_meta=text) == 2_250_000


def test_r1_description_template_before_and_after():
    prices = {"per_image": usd("0.025")}
    before = '"$" + string(double(prices.per_image) / 100000000.0) + " per image"'
    after = '"$" + string(to_dollars(prices.per_image)) + " per image"'
    assert description(before, prices) == description(after, prices) == "$0.025 per image"


@pytest.mark.parametrize(
    "source, prices, meta, expected",
    [
        # 1024 x 1024 = 1.048576 MP at $0.025: 2,621,440
        ("(double(outputs[0].width) * double(outputs[0].height) / 1000000.0) * double(prices.per_megapixel)",
         PER_MP, {"outputs": [{"type": "image", "width": 1024, "height": 1024}]}, 2_621_440),
        # 4 images at $0.025: 10,000,000
        ("double(outputs[0].count) * double(prices.per_image)",
         {"per_image": usd("0.025")}, {"outputs": [{"type": "image", "count": 4}]}, 10_000_000),
        # the missing count is 1: one image
        ("double(outputs[0].count) * double(prices.per_image)",
         {"per_image": usd("0.025")}, {"outputs": [{"type": "image"}]}, 2_500_000),
        # 1.048576 MP at 60 steps (2x the 30-step base) at $0.025: 5,242,880
        ("(double(outputs[0].width) * double(outputs[0].height) / 1000000.0) * (double(outputs[0].steps) / 30.0)"
         " * double(prices.per_megapixel)",
         PER_MP, {"outputs": [{"type": "image", "width": 1024, "height": 1024, "steps": 60}]}, 5_242_880),
        # 1280 x 720 x 24 fps x 5 s = 110,592,000 tokens at $0.01 per million: 110,592,000
        ("(double(outputs[0].width) * double(outputs[0].height) * double(outputs[0].fps) * double(outputs[0].seconds)"
         " / 1000000.0) * double(prices.per_million_tokens)",
         {"per_million_tokens": usd("0.01")}, video(5, width=1280, height=720, fps=24), 110_592_000),
        # 8.5 s of video at $0.05/s: 42,500,000
        ("double(outputs[0].seconds) * double(prices.per_second)", {"per_second": usd("0.05")}, video(8.5), 42_500_000),
        # 0.9216 MP x 5 s at $0.01 per MP-second: 4,608,000
        ("double(outputs[0].resolution_mp) * double(outputs[0].seconds) * double(prices.per_mp_second)",
         {"per_mp_second": usd("0.01")}, video(5, resolution_mp=0.9216), 4_608_000),
        # 30 s of audio at $0.002/s: 6,000,000
        ("double(outputs[0].seconds) * double(prices.per_second)",
         {"per_second": usd("0.002")}, {"outputs": [{"type": "audio", "seconds": 30}]}, 6_000_000),
        # 90 s = 1.5 min of audio at $0.006/min: 900,000
        ("(double(outputs[0].seconds) / 60.0) * double(prices.per_minute)",
         {"per_minute": usd("0.006")}, {"outputs": [{"type": "audio", "seconds": 90}]}, 900_000),
        # 1500 output tokens at $15/M: 2,250,000
        ("(double(outputs[0].tokens) / 1000000.0) * double(prices.per_million_output)",
         PER_M_OUT, {"outputs": [{"type": "text", "tokens": 1500}]}, 2_250_000),
        # 5200 input tokens at $3/M = 1,560,000, plus 830 output tokens at $15/M = 1,245,000
        ("(double(inputs[0].tokens) / 1000000.0) * double(prices.per_million_input)"
         " + (double(outputs[0].tokens) / 1000000.0) * double(prices.per_million_output)",
         {"per_million_input": usd("3"), **PER_M_OUT},
         {"inputs": [{"type": "text", "tokens": 5200}], "outputs": [{"type": "text", "tokens": 830}]}, 2_805_000),
        # a flat $0.01 per run
        ("double(prices.per_run)", {"per_run": usd("0.01")}, {}, 1_000_000),
        # R1's own raw example: a cost of 0.5 cents is 500,000 microcents
        ("double(outputs[0].cost) * 1000000.0", {}, {"outputs": [{"type": "raw", "cost": 0.5}]}, 500_000),
        # with audio: 6 s at $0.10/s
        ("outputs[0].extra.generate_audio == true\n  ? double(outputs[0].seconds) * double(prices.with_audio)\n"
         "  : double(outputs[0].seconds) * double(prices.video_only)",
         {"with_audio": usd("0.10"), "video_only": usd("0.05")}, video(6, extra={"generate_audio": True}), 60_000_000),
        # without: 6 s at $0.05/s
        ("outputs[0].extra.generate_audio == true\n  ? double(outputs[0].seconds) * double(prices.with_audio)\n"
         "  : double(outputs[0].seconds) * double(prices.video_only)",
         {"with_audio": usd("0.10"), "video_only": usd("0.05")}, video(6, extra={"generate_audio": False}), 30_000_000),
        # 512 x 512 = 0.262144 MP at $0.025 = 655,360, below the $0.01 minimum
        ("max(double(prices.minimum), (double(outputs[0].width) * double(outputs[0].height) / 1000000.0)"
         " * double(prices.per_megapixel))",
         {"minimum": usd("0.01"), **PER_MP}, {"outputs": [{"type": "image", "width": 512, "height": 512}]}, 1_000_000),
        # 2048 x 2048 = 4.194304 MP at $0.025: 10,485,760, above the minimum
        ("max(double(prices.minimum), (double(outputs[0].width) * double(outputs[0].height) / 1000000.0)"
         " * double(prices.per_megapixel))",
         {"minimum": usd("0.01"), **PER_MP}, {"outputs": [{"type": "image", "width": 2048, "height": 2048}]}, 10_485_760),
        # 14.2 s: 10 s at $0.08 = 80,000,000, then 4.2 s at $0.05 = 21,000,000
        ("outputs[0].seconds <= 10.0\n  ? double(outputs[0].seconds) * double(prices.tier1)\n"
         "  : 10.0 * double(prices.tier1) + (double(outputs[0].seconds) - 10.0) * double(prices.tier2)",
         {"tier1": usd("0.08"), "tier2": usd("0.05")}, video(14.2), 101_000_000),
        # 6 s, all in the first tier: 6 x 8,000,000
        ("outputs[0].seconds <= 10.0\n  ? double(outputs[0].seconds) * double(prices.tier1)\n"
         "  : 10.0 * double(prices.tier1) + (double(outputs[0].seconds) - 10.0) * double(prices.tier2)",
         {"tier1": usd("0.08"), "tier2": usd("0.05")}, video(6), 48_000_000),
        # 1.048576 MP + 2.359296 MP at $0.025: 2,621,440 + 5,898,240
        ("outputs.map(o, double(o.width) * double(o.height) / 1000000.0 * double(prices.per_megapixel)).sum()",
         PER_MP, {"outputs": [{"type": "image", "width": 1024, "height": 1024},
                              {"type": "image", "width": 2048, "height": 1152}]}, 8_519_680),
    ],
)
def test_r1_patterns(source, prices, meta, expected):
    assert check_pricing({"prices": prices, "inference_expression": source}) == []
    assert money("inference_expression", source, prices, output_meta=meta) == expected


@pytest.mark.parametrize(
    "source, prices, expected",
    [
        ('"$" + string(double(prices.per_megapixel) / 100000000.0) + " per megapixel"', PER_MP, "$0.025 per megapixel"),
        ('"$" + string(double(prices.per_second) / 100000000.0) + " per second"',
         {"per_second": usd("0.05")}, "$0.05 per second"),
        ('"$" + string(double(prices.per_million_tokens) / 100000000.0) + " per million tokens"',
         {"per_million_tokens": usd("0.25")}, "$0.25 per million tokens"),
        ('"$" + string(double(prices.per_run) / 100000000.0) + " per run"', {"per_run": usd("0.01")}, "$0.01 per run"),
        # string() of a whole double has no fraction (as in cel-go): "$3", not "$3.00"
        ('"$" + string(double(prices.per_million_input) / 100000000.0) + "/M input, $"'
         ' + string(double(prices.per_million_output) / 100000000.0) + "/M output"',
         {"per_million_input": usd("3"), "per_million_output": usd("15")}, "$3/M input, $15/M output"),
    ],
)
def test_r1_description_templates(source, prices, expected):
    assert description(source, prices) == expected


# --- R4: the apps' pricing notes ---------------------------------------------------------


def test_r4_anthropic_cache_aware_partner_expression_and_total():
    partner = (
        "(\n"
        '  double(get_extra(inputs[0], "cache_read_tokens", 0)) / 1000000.0 * double(prices.partner_cache_read_per_million) +\n'
        '  double(get_extra(inputs[0], "cache_write_tokens", 0)) / 1000000.0 * double(prices.partner_cache_write_per_million) +\n'
        '  double(text_tokens(inputs) - get_extra(inputs[0], "cache_read_tokens", 0) - get_extra(inputs[0], '
        '"cache_write_tokens", 0)) / 1000000.0 * double(prices.partner_input_per_million)\n'
        ") +\n"
        "double(text_tokens(outputs)) / 1000000.0 * double(prices.partner_output_per_million)"
    )
    opus = {  # $5 in, $25 out, $0.50 cache read, $6.25 cache write per million tokens
        "partner_input_per_million": usd("5"),
        "partner_output_per_million": usd("25"),
        "partner_cache_read_per_million": usd("0.50"),
        "partner_cache_write_per_million": usd("6.25"),
    }
    pricing = {"prices": opus, "resource_expression": "0", "partner_expression": partner, "total_expression": "partner_fee"}
    assert check_pricing(pricing) == []
    # The note's own check: 41 input / 282 output tokens at $5/$25 is 725,500 (20,500 + 705,000).
    plain = {"inputs": [{"type": "text", "tokens": 41}], "outputs": [{"type": "text", "tokens": 282}]}
    assert evaluate_pricing({"pricing": pricing, "output_meta": plain})["total"] == {"value": 725_500}
    # With 800 cache reads (40,000) and 200 cache writes (125,000) among 1041 input tokens.
    cached = {
        "inputs": [{"type": "text", "tokens": 1041, "extra": {"cache_read_tokens": 800, "cache_write_tokens": 200}}],
        "outputs": [{"type": "text", "tokens": 282}],
    }
    assert evaluate_pricing({"pricing": pricing, "output_meta": cached})["total"] == {"value": 890_500}


BFL = (
    'get_bool(outputs[0], "extra.draft", false)\n'
    '  ? (get_string(outputs[0], "extra.mode", "t2v") == "v2v"\n'
    "      ? double(outputs[0].seconds) * double(prices.draft_hd_v2v_per_second)\n"
    "      : double(outputs[0].seconds) * double(prices.draft_hd_t2v_per_second))\n"
    '  : (get_string(outputs[0], "extra.mode", "t2v") == "v2v"\n'
    '      ? (get_string(outputs[0], "extra.resolution", "hd") == "fhd"\n'
    "          ? double(outputs[0].seconds) * double(prices.fhd_v2v_per_second)\n"
    "          : double(outputs[0].seconds) * double(prices.hd_v2v_per_second))\n"
    '      : (get_string(outputs[0], "extra.resolution", "hd") == "fhd"\n'
    "          ? double(outputs[0].seconds) * double(prices.fhd_t2v_per_second)\n"
    "          : double(outputs[0].seconds) * double(prices.hd_t2v_per_second)))"
)
BFL_PRICES = {
    "draft_hd_t2v_per_second": usd("0.06"),
    "draft_hd_v2v_per_second": usd("0.12"),
    "hd_t2v_per_second": usd("0.17"),
    "fhd_t2v_per_second": usd("0.29"),
    "hd_v2v_per_second": usd("0.41"),
    "fhd_v2v_per_second": usd("0.53"),
}


@pytest.mark.parametrize(
    "extra, expected",
    [
        ({}, 85_000_000),  # no extra: HD t2v, 5 s at $0.17
        ({"draft": False, "mode": "i2v", "resolution": "fhd"}, 145_000_000),  # 5 s at $0.29
        ({"mode": "v2v"}, 205_000_000),  # 5 s at $0.41
        ({"mode": "v2v", "resolution": "fhd"}, 265_000_000),  # 5 s at $0.53
        ({"draft": True}, 30_000_000),  # draft t2v: 5 s at $0.06
        ({"draft": True, "mode": "v2v"}, 60_000_000),  # draft v2v: 5 s at $0.12
    ],
)
def test_r4_bfl_flux_video_partner_expression_and_total(extra, expected):
    pricing = {"prices": BFL_PRICES, "resource_expression": "0", "partner_expression": BFL, "total_expression": "partner_fee"}
    assert check_pricing(pricing) == []
    response = evaluate_pricing({"pricing": pricing, "output_meta": video(5, extra=extra)})
    assert response["partner_fee"] == response["total"] == {"value": expected}


def test_r4_bfl_description():
    # to_cents(17,000,000) is 17.0: the note's description prints cents after a dollar sign.
    source = '"From $" + string(to_cents(prices.hd_t2v_per_second)) + "/sec (HD)"'
    assert description(source, BFL_PRICES) == "From $17/sec (HD)"


@pytest.mark.parametrize(
    "note, source, prices, meta, expected",
    [
        # ElevenLabs TTS, Flash/Turbo $0.15 per 1K characters: 2,500 characters = 37,500,000
        ("elevenlabs TTS", "(double(outputs[0].extra.characters) / 1000.0) * double(prices.per_1k_characters)",
         {"per_1k_characters": usd("0.15")},
         {"outputs": [{"type": "audio", "seconds": 9.5, "extra": {"characters": 2500, "model": "eleven_flash_v2_5"}}]},
         37_500_000),
        # ElevenLabs STT, $0.48 per hour: 1800 s = half an hour = 24,000,000
        ("elevenlabs STT", "(double(inputs[0].seconds) / 3600.0) * double(prices.per_hour)",
         {"per_hour": usd("0.48")}, {"inputs": [{"type": "audio", "seconds": 1800, "extra": {"model": "scribe_v1"}}]},
         24_000_000),
        # ElevenLabs voice isolator, $0.30 per minute: 90 s = 45,000,000
        ("elevenlabs audio processing", "(double(inputs[0].seconds) / 60.0) * double(prices.per_minute)",
         {"per_minute": usd("0.30")}, {"inputs": [{"type": "audio", "seconds": 90}]}, 45_000_000),
        # ElevenLabs sound effects, $0.18 per generation
        ("elevenlabs sound effects", "double(prices.per_generation)", {"per_generation": usd("0.18")}, {}, 18_000_000),
        # ElevenLabs text to dialogue, $0.30 per 1K characters: 1,200 characters = 36,000,000
        ("elevenlabs dialogue", "(double(outputs[0].extra.characters) / 1000.0) * double(prices.per_1k_characters)",
         {"per_1k_characters": usd("0.30")},
         {"outputs": [{"type": "audio", "seconds": 20, "extra": {"characters": 1200}}]}, 36_000_000),
        # ElevenLabs voice changer, $0.30 per minute: 120 s = 60,000,000
        ("elevenlabs voice changer", "(double(inputs[0].seconds) / 60.0) * double(prices.per_minute)",
         {"per_minute": usd("0.30")}, {"inputs": [{"type": "audio", "seconds": 120.0}]}, 60_000_000),
        # ElevenLabs forced alignment, $0.48 per hour: 900 s = a quarter hour = 12,000,000
        ("elevenlabs forced alignment", "(double(inputs[0].seconds) / 3600.0) * double(prices.per_hour)",
         {"per_hour": usd("0.48")}, {"inputs": [{"type": "audio", "seconds": 900}]}, 12_000_000),
        # Inworld TTS-2, $35 per 1M characters = $0.035 per 1K: 2,000 characters = 7,000,000
        ("inworld TTS", "(double(outputs[0].extra.characters) / 1000.0) * double(prices.per_1k_characters)",
         {"per_1k_characters": usd("0.035")},
         {"outputs": [{"type": "audio", "seconds": 12, "extra": {"characters": 2000}}]}, 7_000_000),
        # Inworld STT, $0.35 per hour: 1800 s = 17,500,000
        ("inworld STT", "(double(inputs[0].seconds) / 3600.0) * double(prices.per_hour)",
         {"per_hour": usd("0.35")}, {"inputs": [{"type": "audio", "seconds": 1800}]}, 17_500_000),
        # dia-tts, $0.04 per 1000 characters: 250 characters = 1,000,000
        ("falai dia-tts", "(double(size(inputs[0].text)) / 1000.0) * double(prices.per_1k_characters)",
         {"per_1k_characters": usd("0.04")}, {"inputs": [{"type": "text", "text": "x" * 250}]}, 1_000_000),
        # kokoro-tts, $0.02 per 1000 characters: 250 characters = 500,000
        ("falai kokoro-tts", "(double(size(inputs[0].text)) / 1000.0) * double(prices.per_1k_characters)",
         {"per_1k_characters": usd("0.02")}, {"inputs": [{"type": "text", "text": "x" * 250}]}, 500_000),
        # kling-ai-avatar-v2, standard $0.0562/s: 10 s = 56,200,000
        ("falai kling-ai-avatar-v2",
         'inputs[0].tier == "pro"\n  ? double(outputs[0].seconds) * double(prices.per_second_pro)\n'
         "  : double(outputs[0].seconds) * double(prices.per_second_standard)",
         {"per_second_standard": usd("0.0562"), "per_second_pro": usd("0.112")},
         {"inputs": [{"type": "image", "tier": "standard"}], "outputs": [{"type": "video", "seconds": 10}]}, 56_200_000),
        # ... and pro, $0.112/s (estimated): 10 s = 112,000,000
        ("falai kling-ai-avatar-v2",
         'inputs[0].tier == "pro"\n  ? double(outputs[0].seconds) * double(prices.per_second_pro)\n'
         "  : double(outputs[0].seconds) * double(prices.per_second_standard)",
         {"per_second_standard": usd("0.0562"), "per_second_pro": usd("0.112")},
         {"inputs": [{"type": "image", "tier": "pro"}], "outputs": [{"type": "video", "seconds": 10}]}, 112_000_000),
        # kling-video-v2-6-motion, pro $0.112/s: 5 s = 56,000,000
        ("falai kling-video-v2-6-motion",
         'double(outputs[0].seconds) * (outputs[0].extra.tier == "pro" ? double(prices.per_second_pro)'
         " : double(prices.per_second_standard))",
         {"per_second_pro": usd("0.112"), "per_second_standard": usd("0.07")}, video(5, extra={"tier": "pro"}), 56_000_000),
        # ... and standard, $0.07/s: 5 s = 35,000,000
        ("falai kling-video-v2-6-motion",
         'double(outputs[0].seconds) * (outputs[0].extra.tier == "pro" ? double(prices.per_second_pro)'
         " : double(prices.per_second_standard))",
         {"per_second_pro": usd("0.112"), "per_second_standard": usd("0.07")},
         video(5, extra={"tier": "standard"}), 35_000_000),
        # patina extract / text-to-material: $7e-05 per unit, charged once per request = 7,000
        ("falai patina-extract-material", "double(prices.per_unit)", {"per_unit": 7_000}, {}, 7_000),
        ("falai patina-text-to-material", "double(prices.per_unit)", {"per_unit": 7_000}, {}, 7_000),
        # patina image-to-material: $0.01 per unit, once per request = 1,000,000
        ("falai patina-image-to-material", "double(prices.per_unit)", {"per_unit": usd("0.01")}, {}, 1_000_000),
    ],
)
def test_r4_inference_expressions(note, source, prices, meta, expected):
    assert check_pricing({"prices": prices, "inference_expression": source}) == [], note
    assert money("inference_expression", source, prices, output_meta=meta) == expected, note


# (note, stated unit price in dollars) of the fal.ai notes whose formula is one price:
# `double(outputs[0].seconds) * double(prices.per_second)` or `double(prices.per_request)`.
PER_SECOND_NOTES = [
    ("kling-video-o3-i2v", "0.14"),
    ("kling-video-o3-r2v", "0.14"),
    ("kling-video-o3-t2v", "0.14"),
    ("kling-video-o3-v2v", "0.14"),
    ("kling-video-v2-1-i2v", "0.28"),
    ("kling-video-v2-1-t2v", "0.14"),
    ("kling-video-v2-5-turbo-i2v", "0.07"),
    ("kling-video-v2-5-turbo-t2v", "0.07"),
    ("kling-video-v2-6-i2v", "0.07"),
    ("kling-video-v2-6-t2v", "0.07"),
    ("kling-video-v2-i2v", "0.14"),
    ("kling-video-v2-t2v", "0.14"),
    ("kling-video-v3-i2v", "0.14"),
    ("kling-video-v3-t2v", "0.14"),
]
PER_REQUEST_NOTES = [("kling-create-voice", "0.02"), ("kling-lipsync", "0.05"), ("kling-video-to-audio", "0.14")]


@pytest.mark.parametrize("note, dollars", PER_SECOND_NOTES)
def test_r4_fal_per_second_notes(note, dollars):
    source = "double(outputs[0].seconds) * double(prices.per_second)"
    prices = {"per_second": usd(dollars)}
    # A 5 s video (the JSON integer 5 is the double 5.0) at the stated rate: 5 x the rate.
    assert money("inference_expression", source, prices, output_meta=video(5)) == 5 * usd(dollars)
    assert money("inference_expression", source, prices, output_meta=video(5.0)) == 5 * usd(dollars)


@pytest.mark.parametrize("note, dollars", PER_REQUEST_NOTES)
def test_r4_fal_per_request_notes(note, dollars):
    assert money("inference_expression", "double(prices.per_request)", {"per_request": usd(dollars)}) == usd(dollars)


def test_r4_nano_banana_sum_with_a_variable_is_refused_with_the_fix():
    source = "output_meta.outputs.sum(o, o.count) * 8000000000"
    assert refused("inference_expression", source) == (
        "inference_expression:1:24: 'sum' is not a macro and cannot bind the variable 'o': only all, exists, "
        "exists_one, filter and map do; map the list first: output_meta.outputs.map(o, o.count).sum()"
    )
    # The fix, at the stated $0.08 per image (8,000,000): 2 + 1 images = 24,000,000.
    fixed = "output_meta.outputs.map(o, o.count).sum() * 8000000"
    meta = {"outputs": [{"type": "image", "count": 2}, {"type": "image"}]}
    assert money("inference_expression", fixed, {}, output_meta=meta) == 24_000_000


MINIMAX = (
    'outputs[0].resolution == "2K"\n'
    "  ? double(outputs[0].seconds) * double(prices.partner_per_second_2k)\n"
    "  : double(outputs[0].seconds) * double(prices.partner_per_second_768p)"
)
MINIMAX_PRICES = {
    "partner_per_second_2k": usd("0.13"),
    "partner_per_second_768p": usd("0.08"),
    "partner_per_extra_image": usd("0.04"),
}


@pytest.mark.parametrize("resolution, expected", [("2K", 78_000_000), ("768P", 48_000_000)])  # 6 s at $0.13 / $0.08
def test_r4_minimax_partner_expression_and_total(resolution, expected):
    pricing = {"prices": MINIMAX_PRICES, "resource_expression": "0", "partner_expression": MINIMAX,
               "total_expression": "partner_fee"}
    assert check_pricing(pricing) == []
    response = evaluate_pricing({"pricing": pricing, "output_meta": video(6, resolution=resolution)})
    assert response["partner_fee"] == response["total"] == {"value": expected}


def test_r4_minimax_commented_surcharge_mixes_int_and_double():
    # The note's commented-out surcharge: an int count times a double price.
    surcharge = "max(0, int(outputs[0].extra.input_image_count) - 5) * double(prices.partner_per_extra_image)"
    assert refused("partner_expression", surcharge) == (
        "partner_expression:1:53: found no matching overload for operator '*' applied to '(int, double)': "
        "wrap the int in double(): double(max(0, int(outputs[0].extra.input_image_count) - 5)) * "
        "double(prices.partner_per_extra_image)"
    )
    fixed = "double(max(0, int(outputs[0].extra.input_image_count) - 5)) * double(prices.partner_per_extra_image)"
    meta = video(6, extra={"input_image_count": 7})  # 2 images over the free 5 at $0.04
    assert money("partner_expression", fixed, MINIMAX_PRICES, output_meta=meta) == 8_000_000


@pytest.mark.parametrize(
    "partner, prices, meta, expected",
    [
        # gen4.5 video, $0.12/s: 10 s = 120,000,000
        ("double(outputs[0].seconds) * double(prices.partner_per_second)", {"partner_per_second": usd("0.12")},
         video(10), 120_000_000),
        # gen4_image_turbo, a flat $0.02 per image
        ("double(prices.partner_per_image)", {"partner_per_image": usd("0.02")},
         {"outputs": [{"type": "image", "width": 1024, "height": 1024, "count": 1}]}, 2_000_000),
        # gen4_image at 1080p, $0.08
        ("(outputs[0].height > 720 || outputs[0].width > 1280)\n  ? double(prices.partner_per_image_1080p)\n"
         "  : double(prices.partner_per_image_720p)",
         {"partner_per_image_1080p": usd("0.08"), "partner_per_image_720p": usd("0.05")},
         {"outputs": [{"type": "image", "width": 1920, "height": 1080}]}, 8_000_000),
        # ... and at 720p, $0.05
        ("(outputs[0].height > 720 || outputs[0].width > 1280)\n  ? double(prices.partner_per_image_1080p)\n"
         "  : double(prices.partner_per_image_720p)",
         {"partner_per_image_1080p": usd("0.08"), "partner_per_image_720p": usd("0.05")},
         {"outputs": [{"type": "image", "width": 1280, "height": 720}]}, 5_000_000),
    ],
)
def test_r4_runway_partner_expressions_and_totals(partner, prices, meta, expected):
    pricing = {"prices": prices, "resource_expression": "0", "partner_expression": partner,
               "total_expression": "partner_fee"}
    assert check_pricing(pricing) == []
    response = evaluate_pricing({"pricing": pricing, "output_meta": meta})
    assert response["partner_fee"] == response["total"] == {"value": expected}


def test_r4_partner_fee_totals_leave_compute_unpaid_with_the_default_resource_expression():
    # bfl, minimax, runway and anthropic all write `total_expression: partner_fee`; with the
    # default resource expression the compute the task used is then never billed.
    pricing = {"prices": MINIMAX_PRICES, "partner_expression": MINIMAX, "total_expression": "partner_fee"}
    assert check_pricing(pricing) == []  # it can be saved...
    (warning,) = pricing_warnings(pricing)  # ...with a warning
    assert warning.code == "total_below_components" and warning.path == "pricing.total_expression"
    response = evaluate_pricing({
        "pricing": pricing, "output_meta": video(6, resolution="2K"),
        "resources": [{"name": "cpu", "price_per_second": 100}], "elapsed_ms": 30_000,
    })
    components = sum(response[k]["value"] for k in ("resource_fee", "inference_fee", "royalty_fee", "partner_fee"))
    assert response["total"]["value"] == 78_000_000 < components == 78_003_000


@pytest.mark.parametrize(
    "text",
    [
        "$0.04 per 1000 characters",  # dia-tts
        "$0.0562/s (standard), ~$0.112/s (pro, estimated)",  # kling-ai-avatar-v2
        "~$0.02 per request (estimated)",  # kling-create-voice
        "~$0.05 per request (estimated)",  # kling-lipsync
        "~$0.14 per second (estimated)",  # kling-video-o3-{i2v,r2v,t2v,v2v}, v2-1-t2v, v2-{i2v,t2v}
        "~$0.14 per request (estimated)",  # kling-video-to-audio
        "$0.28 per second (master)",  # kling-video-v2-1-i2v
        "$0.07 per second (pro)",  # kling-video-v2-5-turbo-i2v
        "$0.07 per second",  # kling-video-v2-5-turbo-t2v, v2-6-i2v, v2-6-t2v
        "$0.112/s (pro) or $0.07/s (standard)",  # kling-video-v2-6-motion
        "$0.14 per second of video",  # kling-video-v3-i2v
        "$0.14 per second",  # kling-video-v3-t2v
        "$0.02 per 1000 characters",  # kokoro-tts
        "$0.08 per image",  # nano-banana-2
        "$7e-05 per compute seconds",  # patina-extract-material, patina-text-to-material
        "$0.01 per megapixels",  # patina-image-to-material
    ],
)
def test_r4_fal_pricing_descriptions(text):
    # Each note's pricing_description block is a CEL string literal.
    assert description(f'"{text}"') == text


def test_seconds_as_int_and_as_double_price_the_same():
    source = "outputs[0].seconds / 60.0 * double(prices.per_minute)"
    prices = {"per_minute": usd("0.006")}
    assert check_pricing({"prices": prices, "inference_expression": source}) == []
    as_int = money("inference_expression", source, prices, output_meta={"outputs": [{"type": "audio", "seconds": 90}]})
    as_double = money("inference_expression", source, prices, output_meta={"outputs": [{"type": "audio", "seconds": 90.0}]})
    assert as_int == as_double == 900_000  # 1.5 minutes at $0.006


# --- the notes' contradictions -------------------------------------------------------------

# (note, the price variable it gives, the unit price it states in dollars)
CONTRADICTIONS = [
    *[(f"falai/{n}", 1000 * usd(d), d) for n, d in PER_SECOND_NOTES],  # "= $0.14 * 100000000000"
    *[(f"falai/{n}", 1000 * usd(d), d) for n, d in PER_REQUEST_NOTES],
    ("falai/kling-ai-avatar-v2 standard", 5_620_000_000, "0.0562"),
    ("falai/kling-ai-avatar-v2 pro", 11_200_000_000, "0.112"),
    ("falai/kling-video-v2-6-motion pro", 11_200_000_000, "0.112"),
    ("falai/kling-video-v2-6-motion standard", 7_000_000_000, "0.07"),
    ("falai/nano-banana-2", 8_000_000_000, "0.08"),  # "8000000000 (calculation: $0.08 * 100000000)"
    ("falai/patina-extract-material", 6_999, "0.00007"),  # "6999 (= $7e-05 * 100000000)"
    ("falai/patina-text-to-material", 6_999, "0.00007"),
]


@pytest.mark.parametrize("note, variable, dollars", CONTRADICTIONS, ids=[c[0] for c in CONTRADICTIONS])
def test_notes_that_contradict_their_own_unit_prices(note, variable, dollars):
    # These notes give a price variable that is not their stated unit price in microcents
    # (most bill 1000 times it); the tests above price with the stated unit price.
    assert variable != usd(dollars)


def test_bfl_rounds_partial_seconds_in_its_text_but_not_in_its_formula():
    # BFL's note: "Partial seconds rounded up to next whole second"; its formula bills 4.2 s
    # as 4.2 x $0.17 = 71,400,000, not 5 x $0.17 = 85,000,000. celprice prices the formula.
    pricing = {"prices": BFL_PRICES, "resource_expression": "0", "partner_expression": BFL}
    assert evaluate_pricing({"pricing": pricing, "output_meta": video(4.2)})["partner_fee"] == {"value": 71_400_000}


def test_the_references_after_examples_need_double_to_run_in_the_store():
    # R1's AFTER forms are its own shortening of BEFORE forms that run; R3 (first-hand)
    # says the live service rejects them, and so does celprice's default dialect...
    for source in ("ceil(outputs[0].resolution_mp) * prices.per_megapixel",
                   "text_tokens(outputs) / 1000000.0 * prices.per_million_output"):
        assert "wrap the int in double()" in refused("inference_expression", source)
        # ...while the opt-in promotion still takes them.
        assert check_pricing({"inference_expression": source}, nonstandard_promotion=True) == []
    assert value("ceil(1.5) * 2.0") == 4.0
