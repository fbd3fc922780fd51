"""Where cel-go, cel-cpp and cel-java agree and celprice once differed (issue 20).

Each test is one difference, written from the references' documented behaviour."""
from __future__ import annotations

import pytest

import celprice
from celprice import Optional

CHECKED = celprice.Environment(variables={"x": "list(int)", "y": "string", "n": "int"})


@pytest.mark.parametrize(
    "source",
    [
        "[].all(__result__, v, v == 0)",
        "[].exists(__result__, v == 0)",
        "[1].map(__result__, 1)",
        "[1].filter(__result__, true)",
        "[1].exists_one(__result__, true)",
        "[1].map(__result__, true, 1)",
        "[1].transformList(i, __result__, 1)",
        "{'a': 1}.transformMap(__result__, v, v)",
    ],
)
def test_result_is_no_iteration_variable(source: str) -> None:
    with pytest.raises(celprice.CELSyntaxError, match="iteration variable overwrites accumulator variable"):
        celprice.compile(source)


def test_result_is_still_a_name_elsewhere() -> None:
    # Only the iterating macros bind the accumulator; cel.bind and optMap may use the name.
    assert celprice.evaluate("cel.bind(__result__, 2, __result__ * 3)") == 6
    assert celprice.evaluate("optional.of(2).optMap(__result__, __result__ + 1)") == Optional.of(3)


@pytest.mark.parametrize(
    "source, types",
    [
        ("[1, 2].transformList(i, v, v % 2 == 0 ? [v] : v)", "(bool, list(int), int)"),
        ("n > 0 ? 1 : 'a'", "(bool, int, string)"),
        ("n > 0 ? 1 : 1.0", "(bool, int, double)"),
        ("n > 0 ? 1 : null", "(bool, int, null_type)"),
    ],
)
def test_conditional_branches_must_share_a_type(source: str, types: str) -> None:
    with pytest.raises(celprice.CELCheckError) as info:
        celprice.compile(source, CHECKED)
    assert f"found no matching overload for '_?_:_' applied to '{types}'" in str(info.value)


@pytest.mark.parametrize(
    "source, result_type",
    [
        ("n > 0 ? 1 : dyn('a')", "dyn"),
        ("n > 0 ? [1] : []", "list(int)"),
        ("n > 0 ? {'a': 1} : {}", "map(string, int)"),
        ("n > 0 ? optional.of(1) : optional.none()", "optional_type(int)"),
    ],
)
def test_conditional_branches_that_unify(source: str, result_type: str) -> None:
    assert celprice.compile(source, CHECKED).result_type == result_type


def test_unchecked_conditional_keeps_dynamic_branches() -> None:
    # Without declarations nothing is type-checked, as in CEL's dynamic mode.
    assert celprice.evaluate("[1, 2].transformList(i, v, v % 2 == 0 ? [v] : v)") == [1, [2]]


@pytest.mark.parametrize(
    "source, expected",
    [
        ("{'a': dyn(0)}.?a.?b", Optional.none()),
        ("{'a': dyn(null)}.?a.?b", Optional.none()),
        ("{'a': dyn('text')}.?a.?b.orValue('default')", "default"),
        ("{'a': {'b': 1}}.?a.?b", Optional.of(1)),
    ],
)
def test_optional_selection_on_a_value_without_fields_is_none(source: str, expected: object) -> None:
    assert celprice.evaluate(source) == expected


def test_plain_selection_on_an_optional_without_fields_is_still_an_error() -> None:
    # cel-spec optionals: `{'null_key': dyn(null)}.?null_key.invalid` is "no such key".
    with pytest.raises(celprice.CELEvaluationError):
        celprice.evaluate("{'k': dyn(null)}.?k.invalid.hasValue()")


def test_format_with_more_arguments_than_clauses_is_a_check_error() -> None:
    with pytest.raises(celprice.CELCheckError, match=r"too many arguments supplied to string.format \(expected 2, got 3\)"):
        celprice.compile('"%s %s".format(["abc", "def", "ghi"])', CHECKED)
    with pytest.raises(celprice.CELCheckError, match=r"expected 1, got 2"):
        celprice.compile('"100%% %d".format([1, 2])', CHECKED)
    # As many as the clauses, or a list that is not a literal: fine when checking.
    assert celprice.compile('"%s %s".format(["abc", y])', CHECKED).result_type == "string"
    assert celprice.compile('"%s".format(x)', CHECKED).result_type == "string"


def test_format_with_too_few_arguments_fails_when_evaluated() -> None:
    with pytest.raises(celprice.CELEvaluationError, match="index 1 out of range"):
        celprice.compile('"%s %s".format([y])', CHECKED).evaluate({"y": "a"})


def test_list_concatenation_with_dyn_widens_to_dyn() -> None:
    program = celprice.compile("(x + [dyn(y)])[1].size()", CHECKED)
    assert program.evaluate({"x": [1], "y": "abc"}) == 3
    assert celprice.compile("x + [dyn(y)]", CHECKED).result_type == "list(dyn)"
    assert celprice.compile("[dyn(y)] + x", CHECKED).result_type == "list(dyn)"
    assert celprice.compile("x + x", CHECKED).result_type == "list(int)"
    assert celprice.compile("x + []", CHECKED).result_type == "list(int)"


@pytest.mark.parametrize("name", ["greatest", "least"])
def test_math_extremum_of_an_empty_list_is_a_check_error(name: str) -> None:
    with pytest.raises(celprice.CELCheckError, match=rf"math.{name}\(\) invalid single argument value"):
        celprice.compile(f"math.{name}([])", CHECKED)
    with pytest.raises(celprice.CELCheckError):
        celprice.compile(f"math.{name}()", CHECKED)
    with pytest.raises(celprice.CELCheckError):
        celprice.compile(f"math.{name}('a', 1)", CHECKED)
    assert celprice.compile(f"math.{name}(x)", CHECKED).result_type == "int"
