"""docs/pricing.md cannot drift: every example in it is evaluated here.

- ```json example-task``` is the task the helper tables run against;
- tables headed `| expression | result |` give a formula and its CEL result
  (a literal, compared kind included) or `error `message``;
- tables headed `| inference_expression | inference_fee |` / `| ... | error |` give a
  fee formula and its response entry / error (`...` ends a prefix);
- ```json request``` blocks are followed by ```json response``` blocks with the exact response;
- ```json pricing``` blocks pass check_pricing; ```text check-output``` is check_pricing's text;
- ```python``` blocks run, and `expr  # value` lines are checked.
"""
from __future__ import annotations

import json
import pathlib
import re

import pytest

import celprice
from celprice.pricing import check_pricing, decode_activation, estimate_pricing, evaluate_pricing, pricing_environment

from .helpers import same

DOC = pathlib.Path(__file__).resolve().parents[2] / "docs" / "pricing.md"
TEXT = DOC.read_text()
BLOCK = re.compile(r"^```([^\n]*)\n(.*?)^```", re.S | re.M)


def blocks(info: str) -> list[str]:
    return [body for tag, body in BLOCK.findall(TEXT) if tag.strip() == info]


def table_rows(header: str) -> list[tuple[str, str]]:
    """(first cell, second cell) of every table whose header row is `header`."""
    rows, inside = [], False
    for line in TEXT.splitlines():
        if line.strip() == header:
            inside = True
            continue
        if inside:
            if not line.startswith("|"):
                inside = False
            elif not line.startswith("|---"):
                cells = [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", line)[1:-1]]
                rows.append((cells[0], cells[1]))
    return rows


def code(cell: str) -> str:
    m = re.fullmatch(r"`(.*)`", cell)
    assert m, f"expected a code span, got {cell!r}"
    return m.group(1)


def _task() -> dict:
    (body,) = blocks("json example-task")
    task = json.loads(body)
    meta = task["output_meta"]
    return {**task, "inputs": meta["inputs"], "outputs": meta["outputs"],
            "resource_ms": task["elapsed_ms"], "resource_cost": task["resource_fee"]}


# The items as a request delivers them to formulas: decoded with their field types.
TASK = decode_activation(_task())
REQUEST = {k: TASK[k] for k in ("output_meta", "resources", "usage_seconds", "elapsed_ms", "task_inputs", "task_function")}
ENV = pricing_environment("total")
UNCHECKED = pricing_environment("total", check=False)
EXPRESSIONS = table_rows("| expression | result |")


def test_the_doc_has_its_examples():
    assert len(EXPRESSIONS) > 70
    assert len(blocks("json request")) == 11 and len(blocks("json response")) == 11


@pytest.mark.parametrize("source, result", EXPRESSIONS, ids=[r[0] for r in EXPRESSIONS])
def test_expression_tables(source, result):
    if result.startswith("error "):
        # The documented errors are the run-time ones (what mistyped data gets): the
        # type checker would stop some of these literal examples at compile time.
        program = celprice.compile(code(source), UNCHECKED)
        with pytest.raises(celprice.CELEvaluationError) as info:
            program.evaluate(TASK)
        assert info.value.message == code(result[len("error "):])
    else:
        program = celprice.compile(code(source), ENV)
        expected = celprice.compile(code(result), ENV).evaluate({})
        assert same(program.evaluate(TASK), expected)


FEES = table_rows("| inference_expression | inference_fee |")
ERRORS = table_rows("| inference_expression | error |")


@pytest.mark.parametrize("source, entry", FEES, ids=[r[0] for r in FEES])
def test_money_table(source, entry):
    response = evaluate_pricing({"pricing": {"inference_expression": code(source)}, **REQUEST})
    assert response["inference_fee"] == json.loads(code(entry))


@pytest.mark.parametrize("source, error", ERRORS, ids=[r[0] for r in ERRORS])
def test_error_table(source, error):
    response = evaluate_pricing({"pricing": {"inference_expression": code(source)}, **REQUEST})
    expected = code(error)
    actual = response["inference_fee"]["error"]
    if expected.endswith("..."):
        assert actual.startswith(expected[:-3])
    else:
        assert actual == expected


def _pairs(request_tag: str, response_tag: str) -> list[tuple[str, str]]:
    return list(zip(blocks(request_tag), blocks(response_tag)))


@pytest.mark.parametrize("request_text, response_text", _pairs("json request", "json response"))
def test_requests_and_responses(request_text, response_text):
    response = evaluate_pricing(json.loads(request_text))
    expected = json.loads(response_text)
    assert response == expected
    assert list(response) == list(expected)


ESTIMATES = _pairs("json estimate-request", "json estimate-response")


@pytest.mark.parametrize("request_text, response_text", ESTIMATES)
def test_estimate_examples(request_text, response_text):
    response = estimate_pricing(json.loads(request_text))
    expected = json.loads(response_text)
    assert response == expected
    assert list(response) == list(expected)


def test_the_store_examples_are_all_there():
    confidences = [json.loads(response)["confidence"] for _, response in ESTIMATES]
    assert confidences[:4] == ["exact", "range", "unknown", "unknown"]
    assert "estimate_error" in json.loads(ESTIMATES[3][1])


def test_publishing_examples():
    from celprice.usage import Ledger

    (pricing,) = blocks("json publish")
    (patch,) = blocks("json patch")
    first, second = blocks("json published")
    with Ledger() as ledger:
        assert ledger.publish_pricing("acme/sdxl-turbo", json.loads(pricing)) == 1
        assert ledger.pricing("acme/sdxl-turbo") == json.loads(first)
        assert list(ledger.pricing("acme/sdxl-turbo")) == list(json.loads(first))
        assert ledger.patch_pricing("acme/sdxl-turbo", json.loads(patch)) == 2
        assert ledger.pricing("acme/sdxl-turbo") == json.loads(second)
        assert ledger.pricing("acme/sdxl-turbo", 1) == json.loads(first)
        refused = re.search(r"`(the pricing of 'acme/sdxl-turbo' cannot be published: [^`]*)`", TEXT.replace("\n", " "))
        with pytest.raises(Exception) as info:
            ledger.patch_pricing("acme/sdxl-turbo", {"prices": {"per_image": 0}})
        assert str(info.value) == " ".join(refused.group(1).split())


def test_pricing_blocks_are_valid():
    for body in blocks("json pricing"):
        assert check_pricing(json.loads(body)) == []


def test_check_output_block():
    (body,) = blocks("text check-output")
    headline, source_line, _ = body.rstrip("\n").split("\n")
    field = headline.split(":")[0]
    (problem,) = check_pricing({field: source_line[len(" | "):]})
    assert str(problem) == body.rstrip("\n")


def test_python_blocks():
    for body in blocks("python"):
        namespace: dict = {}
        exec(compile(body, str(DOC), "exec"), namespace)
        for line in body.splitlines():
            m = re.fullmatch(r"(\w[^#]*?)\s+#\s*(-?\d+)", line)
            if m:
                assert eval(m.group(1), namespace) == int(m.group(2))
