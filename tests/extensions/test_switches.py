"""Which libraries an Environment has: the opt-in ones only when asked for."""
from __future__ import annotations

import pytest

import celprice
from celprice.pricing import pricing_environment

from .conftest import run

SAMPLES = {
    "sets": "sets.contains([1, 2], [2])",
    "lists": "lists.range(3)",
    "regex": "regex.extractAll('a1b2', '[0-9]')",
}


@pytest.mark.parametrize("library", sorted(SAMPLES))
def test_off_by_default(library: str) -> None:
    # Without declarations an unknown function fails when evaluated; with them, when compiled.
    with pytest.raises(celprice.CELEvaluationError):
        celprice.evaluate(SAMPLES[library])
    with pytest.raises(celprice.CELCheckError, match="undeclared reference"):
        celprice.compile(SAMPLES[library], celprice.Environment(variables={"x": "int"}))


@pytest.mark.parametrize("library", sorted(SAMPLES))
def test_switched_on_alone(library: str) -> None:
    env = celprice.Environment(extensions=[library])
    assert run(SAMPLES[library], env) is not None
    for other in set(SAMPLES) - {library}:
        with pytest.raises(celprice.CELEvaluationError):
            run(SAMPLES[other], env)


def test_unknown_extension_is_refused() -> None:
    with pytest.raises(celprice.CELError, match="unknown extension 'strings'"):
        celprice.Environment(extensions=["strings"])


def test_a_variable_named_like_a_library_keeps_its_meaning_when_it_is_off() -> None:
    # The reason the libraries are opt-in: `regex.replace(a, b)` on a string variable.
    env = celprice.Environment(variables={"regex": "string"})
    assert celprice.compile("regex.replace('a', 'b')", env).evaluate({"regex": "aa"}) == "bb"


def test_lists_reverse_keeps_string_reverse() -> None:
    env = celprice.Environment(extensions=["lists"])
    assert run("'abc'.reverse() == 'cba' && [1, 2].reverse() == [2, 1]", env) is True


def test_sort_by_is_not_a_macro_without_lists() -> None:
    with pytest.raises(celprice.CELEvaluationError, match="sortBy"):
        celprice.evaluate("[2, 1].sortBy(e, e)")
    with pytest.raises(celprice.CELCheckError, match="undeclared reference to method 'sortBy'"):
        celprice.compile("xs.sortBy(e, e)", celprice.Environment(variables={"xs": "list(int)"}))


def test_pricing_environment_has_none_of_them() -> None:
    env = pricing_environment("total")
    assert env.extensions == frozenset()
    for source in SAMPLES.values():
        with pytest.raises(celprice.CELCheckError, match="undeclared reference"):
            celprice.compile(source, env)


def test_optional_list_functions_are_on_by_default() -> None:
    assert celprice.evaluate("[1, 2, 3].first().value() + [1, 2, 3].last().value()") == 4
    assert celprice.evaluate("[].first().orValue('test')") == "test"
