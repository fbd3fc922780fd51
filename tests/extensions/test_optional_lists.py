"""The optional library's list functions (cel-go's OptionalTypes version 2), on by default."""
from __future__ import annotations

import pytest

import celprice
from celprice import Optional


@pytest.mark.parametrize(
    "source, expected",
    [
        ("[1, 2, 3].first()", Optional.of(1)),
        ("[1, 2, 3].last()", Optional.of(3)),
        ("[].first()", Optional.none()),
        ("[].last().orValue('test')", "test"),
        ("optional.unwrap([optional.of(42), optional.none()])", [42]),
        ("[optional.of(1), optional.none(), optional.of(3)].unwrapOpt()", [1, 3]),
        ("optional.unwrap([])", []),
        ("{'a': [5]}.?a.optMap(l, l.first().value())", Optional.of(5)),
    ],
)
def test_results(source: str, expected: object) -> None:
    assert celprice.evaluate(source) == expected


def test_unwrap_refuses_a_plain_value() -> None:
    with pytest.raises(celprice.CELEvaluationError, match="not optional"):
        celprice.evaluate("optional.unwrap([optional.of(1), dyn(2)])")


def test_types() -> None:
    env = celprice.Environment(variables={"xs": "list(int)", "os": "list(optional_type(string))"})
    assert celprice.compile("xs.first()", env).result_type == "optional_type(int)"
    assert celprice.compile("xs.last().orValue(0)", env).result_type == "int"
    assert celprice.compile("os.unwrapOpt()", env).result_type == "list(string)"
    assert celprice.compile("optional.unwrap(os)", env).result_type == "list(string)"
    with pytest.raises(celprice.CELCheckError, match="no matching overload"):
        celprice.compile("optional.unwrap(xs)", env)
