"""The compiler as a stage: which closure it chooses, that the fast and the
general paths agree, that an environment's overloads are honoured by every
route (fast operators, cost-checked calls, folding), and what folding does.
"""
from __future__ import annotations

import math

import pytest

import celprice
from celprice import Environment, Function, Limits, Overload
from celprice.errors import CELEvaluationError, CELLimitError

BINARY = {
    "_+_": "+",
    "_-_": "-",
    "_*_": "*",
    "_/_": "/",
    "_%_": "%",
    "_==_": "==",
    "_!=_": "!=",
    "_<_": "<",
    "_<=_": "<=",
    "_>_": ">",
    "_>=_": ">=",
}
_SENTINEL = "overridden"


def _override(name: str, params: list[str], result: str = "string") -> Environment:
    return Environment(functions=[Function(name, [Overload(params, result, lambda *args: _SENTINEL)])])


# --- overrides are honoured on every route -------------------------------------------


@pytest.mark.parametrize("name", sorted(BINARY))
def test_an_int_overload_of_a_binary_operator_is_used_for_variables(name: str) -> None:
    env = _override(name, ["int", "int"])
    program = celprice.compile(f"x {BINARY[name]} y", env)
    assert program.evaluate({"x": 7, "y": 2}) == _SENTINEL


@pytest.mark.parametrize("name", sorted(BINARY))
def test_an_int_overload_of_a_binary_operator_is_used_with_a_constant_operand(name: str) -> None:
    env = _override(name, ["int", "int"])
    assert celprice.compile(f"x {BINARY[name]} 2", env).evaluate({"x": 7}) == _SENTINEL


@pytest.mark.parametrize("name", sorted(BINARY))
def test_constant_folding_never_bypasses_an_overload(name: str) -> None:
    env = _override(name, ["int", "int"])
    assert celprice.compile(f"7 {BINARY[name]} 2", env).evaluate() == _SENTINEL


@pytest.mark.parametrize("name", sorted(BINARY))
def test_double_and_string_overloads_are_used_too(name: str) -> None:
    env = Environment(
        functions=[
            Function(
                name,
                [
                    Overload(["double", "double"], "string", lambda a, b: "doubles"),
                    Overload(["string", "string"], "string", lambda a, b: "strings"),
                ],
            )
        ]
    )
    program = celprice.compile(f"x {BINARY[name]} y", env)
    assert program.evaluate({"x": 1.5, "y": 2.5}) == "doubles"
    assert program.evaluate({"x": "a", "y": "b"}) == "strings"


@pytest.mark.parametrize("name", sorted(BINARY))
def test_a_dyn_overload_claims_every_argument_type(name: str) -> None:
    env = _override(name, ["dyn", "dyn"])
    assert celprice.compile(f"x {BINARY[name]} y", env).evaluate({"x": 1, "y": 2}) == _SENTINEL
    assert celprice.compile(f"x {BINARY[name]} 2.0", env).evaluate({"x": 1.0}) == _SENTINEL


def test_the_exact_example_of_the_api_docs() -> None:
    env = Environment(functions=[Function("_+_", [Overload(["int", "int"], "int", lambda a, b: 42)])])
    assert celprice.compile("x + y", env).evaluate({"x": 1, "y": 2}) == 42
    assert celprice.compile("1 + 2", env).evaluate() == 42


@pytest.mark.parametrize(
    ("source", "name", "params"),
    [
        ("-x", "-_", ["int"]),
        ("!x", "!_", ["bool"]),
        ("[1, 2][x]", "_[_]", ["list(int)", "int"]),
        ("x in [1, 2]", "@in", ["int", "list(int)"]),
        ("size(x)", "size", ["list(int)"]),
    ],
)
def test_other_operators_and_functions_honour_overloads(source: str, name: str, params: list[str]) -> None:
    env = _override(name, params)
    value = {"bool": True, "int": 1}.get(params[0], [1, 2])
    if name == "_[_]":
        value = 1
    assert celprice.compile(source, env).evaluate({"x": value}) == _SENTINEL


def test_a_method_overload_of_a_cost_checked_function_is_used() -> None:
    env = Environment(
        functions=[Function("contains", [Overload(["string", "string"], "string", lambda s, t: _SENTINEL, member=True)])]
    )
    assert celprice.compile("x.contains('a')", env).evaluate({"x": "abc"}) == _SENTINEL


def test_overloads_for_other_types_leave_the_standard_cases_alone() -> None:
    # The pricing dialect's int/double promotion: only the mixed pairs are custom.
    env = Environment(
        functions=[Function("_+_", [Overload(["int", "double"], "double", lambda a, b: float(a) + b)])]
    )
    program = celprice.compile("x + y", env)
    assert program.evaluate({"x": 1, "y": 2.5}) == 3.5
    assert program.evaluate({"x": 1, "y": 2}) == 3
    assert program.evaluate({"x": "a", "y": "b"}) == "ab"
    with pytest.raises(CELEvaluationError, match="overflow"):
        program.evaluate({"x": 2**62, "y": 2**62})


# --- charging is not lost to an override -----------------------------------------------


@pytest.mark.parametrize("op", ["==", "!="])
def test_list_equality_is_charged_when_equality_has_custom_overloads(op: str) -> None:
    env = Environment(
        functions=[Function("_==_", [Overload(["string", "int"], "bool", lambda a, b: False)])],
        limits=Limits(max_cost=1000),
    )
    big = list(range(200_000))
    with pytest.raises(CELLimitError, match="max_cost"):
        celprice.compile(f"x {op} y", env).evaluate({"x": big, "y": list(big)})


def test_list_equality_is_charged_without_overloads() -> None:
    env = Environment(limits=Limits(max_cost=1000))
    big = list(range(200_000))
    with pytest.raises(CELLimitError, match="max_cost"):
        celprice.compile("x == y", env).evaluate({"x": big, "y": list(big)})


def test_membership_is_charged_when_in_has_custom_overloads() -> None:
    env = Environment(
        functions=[Function("@in", [Overload(["string", "int"], "bool", lambda a, b: False)])],
        limits=Limits(max_cost=1000),
    )
    with pytest.raises(CELLimitError, match="max_cost"):
        celprice.compile("x in y", env).evaluate({"x": [-1], "y": [[i] for i in range(200_000)]})


# --- fast and general paths agree -------------------------------------------------------

_VALUES = [
    0,
    1,
    -3,
    2**62,
    -(2**63),
    2**63 - 1,
    0.0,
    -0.0,
    2.5,
    math.inf,
    math.nan,
    "",
    "abc",
    "b" * 300,
    celprice.UInt(3),
    True,
    None,
    [1, 2],
    {"a": 1},
]


def _outcome(program: celprice.Program, activation: dict) -> object:
    try:
        v = program.evaluate(activation)
    except CELEvaluationError as e:
        return ("error", type(e).__name__, e.message)
    if isinstance(v, float) and math.isnan(v):
        return "nan"
    return (type(v).__name__, v)


@pytest.mark.parametrize("name", sorted(BINARY))
def test_fast_general_and_constant_paths_agree(name: str) -> None:
    # A custom overload for a type no value has routes every call through the
    # environment's dispatcher and the standard implementation: the general path.
    general_env = Environment(
        functions=[Function(name, [Overload(["timestamp", "bytes"], "bool", lambda a, b: False)])]
    )
    op = BINARY[name]
    fast = celprice.compile(f"x {op} y", Environment())
    general = celprice.compile(f"x {op} y", general_env)
    for left in _VALUES:
        for right in _VALUES:
            act = {"x": left, "y": right}
            expected = _outcome(general, act)
            assert _outcome(fast, act) == expected, (left, right)
            if isinstance(right, (int, float, str)) and not isinstance(right, bool):
                literal = celprice.compile(f"x {op} y_const".replace("y_const", _literal(right)), Environment())
                assert _outcome(literal, {"x": left}) == expected, (left, right)


def _literal(v: object) -> str:
    if isinstance(v, str):
        return repr(v)
    if isinstance(v, celprice.UInt):
        return f"{int(v)}u"
    if isinstance(v, float):
        if math.isnan(v):
            return "double('NaN')"
        if math.isinf(v):
            return "double('Infinity')" if v > 0 else "double('-Infinity')"
        return repr(v)
    if v == -(2**63):
        return "-9223372036854775808"
    return str(v)


# --- folding ----------------------------------------------------------------------------


def test_constant_expressions_are_folded_to_their_value() -> None:
    program = celprice.compile("1 + 2 * 3")
    assert program.evaluate() == 7
    assert celprice.compile("'a' + 'b'").evaluate() == "ab"


def test_a_failing_constant_expression_fails_when_evaluated_not_when_compiled() -> None:
    program = celprice.compile("1 / 0")
    with pytest.raises(CELEvaluationError, match="divide by zero"):
        program.evaluate()
    with pytest.raises(CELEvaluationError, match="overflow"):
        celprice.compile("9223372036854775807 + 1").evaluate()


def test_a_custom_function_is_never_run_at_compile_time() -> None:
    calls = []

    def tally(x: int) -> int:
        calls.append(x)
        return x

    env = Environment(functions=[Function("tally", [Overload(["int"], "int", tally)])])
    program = celprice.compile("tally(1)", env, cache=False)
    assert calls == []
    assert program.evaluate() == 1
    assert program.evaluate() == 1
    assert calls == [1, 1]


def test_an_overridden_operator_is_never_run_at_compile_time() -> None:
    calls = []

    def plus(a: int, b: int) -> int:
        calls.append((a, b))
        return 0

    env = Environment(functions=[Function("_+_", [Overload(["int", "int"], "int", plus)])])
    program = celprice.compile("1 + 2", env, cache=False)
    assert calls == []
    assert program.evaluate() == 0
    assert calls == [(1, 2)]


# --- the checker's result ---------------------------------------------------------------


def test_a_checked_program_records_what_each_name_and_call_resolved_to() -> None:
    env = Environment(container="app", variables={"app.limit": "int", "m": "map(string, int)"})
    program = celprice.compile("[1, 2].exists(v, v < limit) && m.k > 0 && size(m) == 1 && int('3') == 3", env)
    refs = sorted(r for r in program.checked.references.values())
    assert ("variable", "app.limit", 1) in refs
    assert ("variable", "m", 1) in refs
    assert ("local", "v", 1) in refs
    assert ("function", "size", False) in refs
    assert ("function", "int", False) in refs
    assert program.evaluate({"app.limit": 2, "m": {"k": 1}}) is True


def test_the_compiler_follows_the_checker_for_namespaced_calls_and_methods() -> None:
    env = Environment(variables={"s": "string", "l": "list(int)"})
    program = celprice.compile("s.contains('a') && math.greatest(l) == 3 && strings.quote(s) == '\"abc\"'", env)
    refs = set(program.checked.references.values())
    assert {("function", "contains", True), ("function", "math.greatest", False)} <= refs
    assert program.evaluate({"s": "abc", "l": [1, 3]}) is True


@pytest.mark.parametrize("name", ["_&&_", "_||_", "_?_:_"])
def test_the_short_circuit_operators_cannot_be_given_overloads(name: str) -> None:
    with pytest.raises(celprice.CELError, match="cannot be given new overloads"):
        Environment(functions=[Function(name, [Overload(["bool", "bool"], "bool", lambda a, b: True)])])
