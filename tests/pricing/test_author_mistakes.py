"""The mistakes an app author makes in a whole pricing, and the message each one gets.

docs/checker.md's second table ("Mistakes in a pricing") is generated here:
`PYTHONPATH=src python tests/pricing/test_author_mistakes.py --write`. Each row is
also asserted below with its exact message, so the table cannot drift into
saying something the code does not.
"""
from __future__ import annotations

import pathlib
import sys

import pytest

import celprice
from celprice.pricing import check_pricing, evaluate_pricing, pricing_warnings

PRICES = {"per_image": 200000, "per_second": 3000, "per_token": 20}
BASE = {"prices": PRICES, "inference_expression": "image_count(outputs) * prices.per_image"}
OUTPUTS = [
    {"type": "image", "width": 1024, "height": 1024},
    {"type": "image", "width": 768, "height": 768},
    {"type": "image", "height": 512},
    {"type": "text", "tokens": 100},
]

# (mistake, fields of the pricing, the fee whose message is shown, the message)
MISTAKES: list[tuple[str, dict[str, str], str, str]] = [
    (
        "a price name `prices` does not define",
        {"inference_expression": "image_count(outputs) * prices.per_imag"},
        "check",
        "warning: pricing.inference_expression: prices has no 'per_imag', so reading it always fails; "
        "did you mean 'per_image'?",
    ),
    (
        "a fee that is a negative constant",
        {"partner_expression": "-5"},
        "check",
        "warning: pricing.partner_expression: the fee is always -5; a fee must not be negative, so it always fails",
    ),
    (
        "a division by a literal zero",
        {"royalty_expression": "prices.per_image / 0"},
        "check",
        "warning: pricing.royalty_expression: divides by a literal zero, so it always fails",
    ),
    (
        "a single-quoted description",
        {"description": "'Per image'"},
        "check",
        "warning: pricing.description: the description is plain text, so it is shown with its quotes "
        "('Per image'); a CEL description starts with a double quote: \"Per image\"",
    ),
    (
        "a misspelt variable",
        {"total_expression": "inference_fee + royalty_fee + partner_fees"},
        "check",
        "total_expression:1:31: undeclared reference to 'partner_fees' (did you mean 'partner_fee'?)",
    ),
    (
        "a misspelt pricing helper",
        {"inference_expression": "image_counts(outputs) * prices.per_image"},
        "check",
        "inference_expression:1:13: undeclared reference to function 'image_counts' (did you mean 'image_count'?)",
    ),
    (
        "a misspelt method",
        {"inference_expression": "outputs.size() * prices.per_image + task_function.sise()"},
        "check",
        "inference_expression:1:55: undeclared reference to method 'sise' (did you mean 'size'?)",
    ),
    (
        "a fee read before it is computed",
        {"royalty_expression": "inference_fee / 10"},
        "check",
        "royalty_expression:1:1: undeclared reference to 'inference_fee' (only total_expression can read it)",
    ),
    (
        "a task variable in the estimate",
        {"estimate": "size(outputs) * prices.per_image"},
        "check",
        "estimate:1:6: undeclared reference to 'outputs' (an estimate can read only task_inputs, prices and "
        "task_function: the task has not run yet)",
    ),
    (
        "an operator given the wrong types",
        {"inference_expression": "image_count(outputs) * '2'"},
        "check",
        "inference_expression:1:22: found no matching overload for operator '*' applied to '(int, string)'",
    ),
    (
        "indexing with the wrong type",
        {"inference_expression": "prices[1]"},
        "check",
        "inference_expression:1:7: found no matching overload for indexing '[]' applied to '(map(string, int), int)'",
    ),
    (
        "a misspelt price name, read with a computed key",
        {"inference_expression": "prices['per_' + 'imag']"},
        "inference_fee",
        "inference_expression:1:7: no such key: 'per_imag' (did you mean 'per_image'?)",
    ),
    (
        "a misspelt field of an output item",
        {"inference_expression": "sum(outputs.filter(o, o.type == 'text').map(o, o.tokns)) * prices.per_token"},
        "check",
        "warning: pricing.inference_expression: an output-meta item has no field 'tokns', so reading it fails "
        "unless the app reports that key itself; did you mean 'tokens'?",
    ),
    (
        "a misspelt field of an output item, when it runs",
        {"inference_expression": "sum(outputs.filter(o, o.type == 'text').map(o, o.tokns)) * prices.per_token"},
        "inference_fee",
        "inference_expression:1:49: outputs.filter(o, o.type == \"text\")[0]: no such key: 'tokns' "
        "(did you mean 'tokens'?)",
    ),
    (
        "an item without the field a filter reads",
        {"inference_expression": "size(outputs.filter(o, o.type == 'image' && o.width > 512)) * prices.per_image"},
        "inference_fee",
        "inference_expression:1:46: outputs[2]: no such key: 'width'",
    ),
]


def message_of(fields: dict[str, str], where: str) -> str:
    pricing = {**BASE, **fields}
    if where == "check":
        problems = check_pricing(pricing)
        if problems:
            return problems[0].headline()
        return "; ".join(str(w) for w in pricing_warnings(pricing)) or "(no message)"
    response = evaluate_pricing({"pricing": pricing, "output_meta": {"outputs": OUTPUTS}, "usage_seconds": 10})
    return response[where].get("error", "(no error)")


@pytest.mark.parametrize(("what", "fields", "where", "message"), MISTAKES, ids=[m[0] for m in MISTAKES])
def test_each_mistake_gets_a_message_naming_the_place_and_the_fix(what: str, fields: dict[str, str], where: str, message: str) -> None:
    assert message_of(fields, where) == message


def test_nested_comprehensions_join_their_element_paths() -> None:
    pricing = {**BASE, "inference_expression": "size(task_inputs.shots.map(s, s.frames.map(f, f.width)))"}
    shots = [{"frames": [{"width": 1}]}, {"frames": [{"width": 1}, {"width": 2}, {"widht": 3}]}]
    response = evaluate_pricing({"pricing": pricing, "task_inputs": {"shots": shots}})
    assert response["inference_fee"]["error"] == (
        "inference_expression:1:48: task_inputs.shots[1].frames[2]: no such key: 'width' (did you mean 'widht'?)"
    )


def test_an_element_path_is_bounded() -> None:
    # Forty-five nested lists: the path keeps its end, where the evaluation failed.
    depth = 45
    source = "x" + "".join(f".map(a{i}, a{i}" for i in range(depth)) + ".nope" + ")" * depth
    value: object = {}
    for _ in range(depth):
        value = [value]
    with pytest.raises(celprice.CELEvaluationError) as raised:
        celprice.compile(source).evaluate({"x": value})
    path, message = raised.value.message.split(": ", 1)
    assert message == "no such key: 'nope'"
    assert path.startswith("...") and path.endswith("[0][0]") and len(path) <= 120


DOC = pathlib.Path(__file__).resolve().parents[2] / "docs" / "checker.md"
BEGIN, END = "<!-- pricing-mistakes:begin -->", "<!-- pricing-mistakes:end -->"


def _cell(text: str) -> str:
    return "`" + text.replace("|", "\\|") + "`"


def render_table() -> str:
    lines = ["| mistake | formula | found by | message |", "|---|---|---|---|"]
    for what, fields, where, _ in MISTAKES:
        ((field, source),) = fields.items()
        found = "`celprice check`" if where == "check" else "evaluating (`celprice preview`, `test`)"
        lines.append(f"| {what} | {field}: {_cell(source)} | {found} | {_cell(message_of(fields, where))} |")
    return "\n".join(lines)


def test_docs_table_is_current() -> None:
    table = DOC.read_text().split(BEGIN, 1)[1].split(END, 1)[0].strip()
    assert table == render_table()


def _write_doc() -> None:
    text = DOC.read_text()
    start, rest = text.split(BEGIN, 1)
    _, end = rest.split(END, 1)
    DOC.write_text(f"{start}{BEGIN}\n{render_table()}\n{END}{end}")


if __name__ == "__main__" and "--write" in sys.argv:
    _write_doc()
