"""explain shows and evaluates re-rendered sub-expressions: rendering must give back the same tree."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from clihelpers import ROOT

import celprice
from celprice.cli.render import render

TRICKY = [
    "1 - (2 - 3)",
    "(1 - 2) - 3",
    "(1 + 2) * 3",
    "1 + 2 * 3",
    "-(1 + 2)",
    "!(-x)",
    "-(!x)",
    "--x",
    "---5",
    "!!true",
    "-(5).foo()",
    "(-5).foo()",
    "(-5.5).bar",
    "-9223372036854775808",
    "a ? b : c ? d : e",
    "(a ? b : c) ? d : e",
    "a ? (b ? c : d) : e",
    "a || b && c",
    "(a || b) && c",
    "a || (b || c)",
    "a && (b && c)",
    "(a == b) == c",
    "a == (b == c)",
    "x in [1, 2] == true",
    "1 in (a ? [1] : [2])",
    "x.all(i, i > 0) && x.exists(i, i < 0)",
    "x.exists_one(i, i == 0) || x.existsOne(i, v, v == 0)",
    "[1, 2].map(x, x > 1, x * 2)",
    "m.transformMap(k, v, k == 'a', v + 1)",
    "m.transformList(i, v, v * 2)",
    "m.transformMapEntry(k, v, {k: v})",
    "optional.of(1).optMap(x, x + 1).optFlatMap(y, optional.of(y))",
    "cel.bind(x, 1, cel.bind(y, x + 1, x * y))",
    "'quote\" back\\\\slash\\n\\t\\r' + 'ü\\u0001\\u00a0'",
    "b'\\x00\\xff\"\\\\ok'",
    "r'raw\\d'",
    "1e+100 + 0.1 + 1e-7 + 2.0 + 1e300",
    "12u + 0x1F + 0xffu",
    "a.?b[?0].c",
    "m.`dotted.key-x`",
    "{1: 'a', ?2: optional.none(), 'k': [?optional.of(3)]}",
    "pkg.Msg{a: 1, ?b: optional.none()}",
    "has(a.b.c) && has(m.`x-y`)",
    ".root.name + .f(1)",
    "(x + 1).size()",
    "(a ? b : c).d[0]",
    "image_count(outputs) * prices.per_image + sum(resources.map(r, r.price_per_second)) * elapsed_ms / 1000",
]


def _parse(source: str) -> celprice.ast.Node:
    # The parser alone: some of these trees do not compile (pkg.Msg{}), but all parse.
    from celprice.parser import parse

    return parse(source)


@pytest.mark.parametrize("source", TRICKY)
def test_render_parses_back_to_the_same_tree(source):
    node = _parse(source)
    text = render(node)
    assert _parse(text) == node, text


def test_render_drops_only_redundant_parentheses():
    assert render(_parse("((1 + 2)) * (3)")) == "(1 + 2) * 3"
    assert render(_parse("a  ||   (b&&c)")) == "a || b && c"
    assert render(_parse("'single'")) == '"single"'


def _conformance_expressions() -> list[str]:
    folder = Path(os.environ.get("CELPRICE_CONFORMANCE_DIR", ROOT.parent / "shared" / "cel-spec" / "json"))
    found: list[str] = []
    for path in sorted(folder.glob("*.json")):
        stack = [json.loads(path.read_text("utf-8"))]
        while stack:
            item = stack.pop()
            if isinstance(item, dict):
                if isinstance(item.get("expr"), str):
                    found.append(item["expr"])
                stack.extend(item.values())
            elif isinstance(item, list):
                stack.extend(item)
    return found


def test_render_round_trips_every_parsable_conformance_expression():
    expressions = _conformance_expressions()
    if not expressions:
        pytest.skip("the cel-spec conformance data is not available")
    checked = 0
    for source in expressions:
        try:
            node = _parse(source)
        except celprice.CELError:
            continue  # the conformance data also holds expressions that must not parse
        text = render(node)
        assert _parse(text) == node, f"{source!r} rendered as {text!r}"
        checked += 1
    assert checked > 1000
