"""celprice.documents: what JSON and YAML input reads as, and what it refuses (and how it says so)."""
from __future__ import annotations

import io
import tracemalloc

import pytest

from celprice.documents import MAX_DEPTH, DocumentError, parse_json, parse_yaml, read_bytes

yaml = pytest.importorskip("yaml")


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("0100", 100),  # YAML 1.1 reads 64 (octal)
        ("0o17", 15),
        ("0x1F", 31),
        ("-7", -7),
        ("1.5", 1.5),
        ("1e3", 1000.0),
        ("NO", "NO"),  # YAML 1.1 reads false
        ("on", "on"),
        ("y", "y"),
        ("True", True),
        ("false", False),
        ("~", None),
        ("null", None),
        ("2024-01-01", "2024-01-01"),  # YAML 1.1 reads a date
        ("1:20", "1:20"),  # YAML 1.1 reads 80 (base 60)
        ("1_000", "1_000"),  # YAML 1.1 reads 1000
        ("'0100'", "0100"),
        ('"true"', "true"),
        ("!!str 12", "12"),
        ("!!float 3", 3.0),
        ('!!int "12"', 12),
    ],
)
def test_yaml_scalars_follow_the_yaml_1_2_core_schema(text, value):
    got = parse_yaml(f"v: {text}\n", "f.yaml")["v"]
    assert got == value and type(got) is type(value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: &x [1]\nb: *x\n", "f.yaml: line 2, column 4: YAML aliases (*x) are not supported"),
        ("a: 1\nb:\n  c: 1\n  c: 2\n", 'f.yaml: line 4, column 3: duplicate key "c" in b (first at line 3'),
        ("a: 1\na: 2\n", 'duplicate key "a" in the top-level object'),
        ("cases:\n- {x: 1}\n- {x: 1, x: 2}\n", 'duplicate key "x" in cases[1]'),
        ("v: .inf\n", "line 1, column 4: .inf has no JSON equivalent"),
        ("v: .nan\n", ".nan has no JSON equivalent"),
        ("v: !!binary aGk=\n", "the tag !!binary is not supported (JSON-compatible YAML only)"),
        ("v: !!timestamp 2024-01-01\n", "the tag !!timestamp is not supported"),
        ("v: !!set {a}\n", "the tag !!set is not supported"),
        ("v: !!int abc\n", "'abc' is not a valid !!int"),
        ("1: a\n", "the key '1' is not a string; quote it ('1')"),
        ("? [1]\n: 2\n", "a key must be a string, not a list"),
        ("a: 1\n---\nb: 2\n", "a second YAML document (---); a file holds one"),
        ("a: [1, 2\n", "f.yaml: invalid YAML: line 2, column 1: did not find expected ',' or ']'"),
        ("v: " + "9" * 5000 + "\n", "an integer of 5,000 digits is too long (at most 100"),
        ("[" * (MAX_DEPTH + 5), f"nested more than {MAX_DEPTH} levels deep"),
    ],
)
def test_yaml_refusals_name_the_problem_and_its_place(text, message):
    with pytest.raises(DocumentError) as info:
        parse_yaml(text, "f.yaml")
    assert message in str(info.value)
    assert str(info.value).startswith("f.yaml: ")


def test_a_yaml_alias_bomb_is_refused_without_growing_memory():
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n" for p, c in zip("abcdefgh", "bcdefghi")
    )
    assert len(bomb) < 500  # expanded, it would hold 9**9 strings
    tracemalloc.start()
    try:
        with pytest.raises(DocumentError, match=r"line 2, column 8: YAML aliases \(\*a\) are not supported"):
            parse_yaml(bomb, "bomb.yaml")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 10_000_000


def test_yaml_builds_json_values():
    text = "pricing:\n  prices: {per_image: 200000}\ncases:\n  - name: one\n    expect: {total: 1}\n"
    assert parse_yaml(text, "f.yaml") == {
        "pricing": {"prices": {"per_image": 200000}},
        "cases": [{"name": "one", "expect": {"total": 1}}],
    }
    assert parse_yaml("", "f.yaml") is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"a": 1, "a": 2}', 'f.json: duplicate key "a" in the top-level object (each key may appear once)'),
        ('{"pricing": {"prices": {"x": 1, "y": 2, "x": 3}}}', 'duplicate key "x" in pricing.prices'),
        ('{"cases": [{}, {"expect": {"a b": {"k": 1, "k": 1}}}]}', 'duplicate key "k" in cases[1].expect["a b"]'),
        ("9" * 5000, "f.json: an integer of 5,000 digits is too long (at most 100"),
        ("[1e400]", "f.json: the number 1e400 is beyond the range of a double"),
        ("[NaN]", "f.json: invalid JSON: NaN is not valid JSON"),
        ("[" * 100_000, "f.json: invalid JSON: nested too deeply"),
        ('{"a": }', "f.json: invalid JSON: Expecting value (line 1, column 7)"),
    ],
)
def test_json_refusals_name_the_problem_and_its_place(text, message):
    with pytest.raises(DocumentError) as info:
        parse_json(text, "f.json")
    assert message in str(info.value)


def test_json_values_are_unchanged():
    assert parse_json('{"a": [1, 2.5, "x", true, null], "b": {"c": -3}}', "f.json") == {
        "a": [1, 2.5, "x", True, None],
        "b": {"c": -3},
    }


def test_read_bytes_stops_at_the_limit():
    assert read_bytes(io.BytesIO(b"x" * 10), "f", limit=10) == b"x" * 10
    with pytest.raises(DocumentError, match=r"^f: larger than 10 bytes, the limit for an input"):
        read_bytes(io.BytesIO(b"x" * 11), "f", limit=10)
