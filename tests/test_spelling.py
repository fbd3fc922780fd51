"""How names appear in messages: one "did you mean" rule and the operators as written."""
from __future__ import annotations

import pytest

import celprice
from celprice.spelling import MAX_CANDIDATES, closest, did_you_mean, function_text


def test_the_closest_name_is_suggested_only_when_it_is_close():
    assert closest("partner_fees", ["inference_fee", "partner_fee", "royalty_fee"]) == "partner_fee"
    assert closest("Outputs", ["inputs", "outputs"]) == "outputs"  # case is ignored
    assert closest("frob", ["inputs", "outputs"]) is None
    assert did_you_mean("tokns", ["type", "tokens"]) == " (did you mean 'tokens'?)"
    assert did_you_mean("zzz", ["type", "tokens"]) == ""


def test_internal_names_are_never_suggested():
    assert closest("_+", ["_+_", "_-_"]) is None
    assert closest("ctx", ["@ctx"]) is None


def test_very_many_candidates_give_no_suggestion_rather_than_slow_down_an_error():
    many = [f"key{i}" for i in range(MAX_CANDIDATES + 1)]
    assert closest("key1x", many) is None
    assert closest("key1x", many[:10]) == "key1"


@pytest.mark.parametrize(
    ("name", "text"),
    [("_*_", "operator '*'"), ("_?_:_", "operator '?:'"), ("!_", "operator '!'"), ("@in", "operator 'in'"),
     ("_[_]", "indexing '[]'"), ("size", "'size'")],
)
def test_operators_are_named_as_written(name, text):
    assert function_text(name) == text


def test_a_missing_key_names_the_closest_key_of_the_map():
    with pytest.raises(celprice.CELEvaluationError) as raised:
        celprice.evaluate("prices.per_imag", {"prices": {"per_image": 1, "per_second": 2}})
    assert raised.value.message == "no such key: 'per_imag' (did you mean 'per_image'?)"


def test_a_missing_key_that_is_absorbed_costs_no_comparison(monkeypatch):
    # `||` absorbs the error: its message, and so the suggestion, is never built.
    import celprice.access

    calls = []
    monkeypatch.setattr(celprice.access, "did_you_mean", lambda *args: calls.append(args) or "")
    m = {f"k{i}": i for i in range(200)}
    assert celprice.evaluate("items.all(i, m.nope == 1 || true)", {"items": list(range(1000)), "m": m}) is True
    assert calls == []
    with pytest.raises(celprice.CELEvaluationError) as raised:
        celprice.evaluate("m.nope", {"m": m})
    assert str(raised.value) and len(calls) == 1


def test_an_undeclared_name_in_an_undeclared_environment_names_the_closest_one_held():
    with pytest.raises(celprice.CELEvaluationError) as raised:
        celprice.evaluate("[1].map(item, items + 1)", {"itemz": 1})
    assert raised.value.message.endswith("undeclared reference to 'items' (did you mean 'item'?)")


def test_element_paths_of_the_two_variable_forms_and_of_maps():
    data = {"shots": [{"frames": [{"w": 1}, {}]}], "prices": {"a": 1, "b": "x"}}
    with pytest.raises(celprice.CELEvaluationError) as raised:
        celprice.evaluate("shots.transformList(i, s, s.frames.map(f, f.w))", data)
    assert raised.value.message == "shots[0].frames[1]: no such key: 'w'"
    with pytest.raises(celprice.CELEvaluationError) as raised:
        celprice.evaluate("prices.all(k, prices[k] > 0)", data)
    assert raised.value.message == "prices['b']: found no matching overload for operator '>' applied to '(string, int)'"
