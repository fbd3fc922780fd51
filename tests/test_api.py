"""The public core API: how values cross it, how errors read, environments, the cache."""
from __future__ import annotations

import datetime as dt
import math

import pytest

import celprice
from celprice import (
    CELCheckError,
    CELError,
    CELEvaluationError,
    CELSyntaxError,
    Environment,
    Function,
    Map,
    Optional,
    Overload,
    Timestamp,
    Type,
    UInt,
)


def ev(source, activation=None, env=None):
    return celprice.compile(source, env).evaluate(activation)


# --- values crossing the API -------------------------------------------------------


@pytest.mark.parametrize(
    "source, expected, expected_type",
    [
        ("null", None, type(None)),
        ("true", True, bool),
        ("7", 7, int),
        ("7u", 7, UInt),
        ("1.5", 1.5, float),
        ("'x'", "x", str),
        ("b'x'", b"x", bytes),
        ("[1, 'a']", [1, "a"], list),
        ("{'a': 1}", {"a": 1}, dict),
    ],
)
def test_results_are_plain_python_values(source, expected, expected_type):
    result = ev(source)
    assert result == expected
    assert type(result) is expected_type


def test_map_with_bool_and_equal_int_keys_keeps_them_apart():
    result = ev("{true: 1, 1: 2}")
    assert isinstance(result, Map)
    assert result[True] == 1 and result[1] == 2
    assert len(result) == 2


def test_timestamps_durations_types_optionals():
    ts = ev("timestamp('2024-01-02T03:04:05.123456789Z')")
    assert isinstance(ts, Timestamp)
    assert ts.nanos == 123456789
    assert ts.to_datetime() == dt.datetime(2024, 1, 2, 3, 4, 5, 123456, tzinfo=dt.timezone.utc)
    d = ev("duration('1.5s')")
    assert (d.seconds, d.nanos) == (1, 500_000_000)
    assert d.to_timedelta() == dt.timedelta(seconds=1.5)
    assert ev("type(1)") == Type("int") and ev("type(1)").name == "int"
    assert ev("type({})").name == "map"
    opt = ev("optional.of(3)")
    assert isinstance(opt, Optional) and opt.has_value() and opt.value() == 3
    assert not ev("optional.none()").has_value()


def test_activation_reads_python_datetime_and_timedelta():
    start = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)
    assert ev("t + d > t", {"t": start, "d": dt.timedelta(seconds=5)}) is True
    assert ev("(t + d).getSeconds()", {"t": start, "d": dt.timedelta(seconds=5)}) == 5
    assert ev("string(t)", {"t": Timestamp.from_datetime(start)}) == "2024-01-01T00:00:00Z"


def test_bool_is_never_an_int():
    with pytest.raises(CELEvaluationError, match="no matching overload"):
        ev("x + 1", {"x": True})
    assert ev("x == 1", {"x": True}) is False
    assert ev("type(x)", {"x": False}).name == "bool"


def test_python_int_outside_int64_is_an_error_where_read():
    with pytest.raises(CELEvaluationError, match="int64"):
        ev("x", {"x": 2**63})
    with pytest.raises(CELEvaluationError, match="int64"):
        ev("m.big > 0", {"m": {"big": -(2**63) - 1}})
    assert ev("x.size()", {"x": [2**70, 1]}) == 2  # not read, not an error


def test_uint_in_activation():
    assert ev("x + 1u", {"x": UInt(4)}) == 5
    with pytest.raises(CELEvaluationError):
        ev("x + 1", {"x": UInt(4)})


def test_activation_lists_and_dicts_are_read_in_place():
    items = [{"type": "image", "count": 2}, {"type": "text"}]
    act = {"outputs": items}
    assert ev("outputs.filter(o, o.type == 'image')[0]", act) is items[0]
    assert act == {"outputs": items}  # nothing added or removed


def test_tuples_are_lists():
    assert ev("x[1] + size(x)", {"x": (5, 6)}) == 8


# --- errors ------------------------------------------------------------------------


def test_syntax_error_points_at_the_column_with_a_caret():
    with pytest.raises(CELSyntaxError) as info:
        celprice.compile("prices.a * )")
    e = info.value
    assert (e.line, e.column) == (1, 12)
    assert str(e).splitlines() == [
        str(e).splitlines()[0],
        " | prices.a * )",
        " | ...........^",
    ]
    assert str(e).startswith("ERROR: <input>:1:12: Syntax error: mismatched input ')' expecting")


def test_evaluation_error_points_at_the_failing_node():
    with pytest.raises(CELEvaluationError) as info:
        ev("1 + (2 / x)", {"x": 0})
    e = info.value
    assert e.message == "divide by zero"
    assert (e.line, e.column) == (1, 8)
    assert str(e) == "ERROR: <input>:1:8: divide by zero\n | 1 + (2 / x)\n | .......^"


def test_columns_count_code_points_on_later_lines():
    with pytest.raises(CELEvaluationError) as info:
        ev("'é' +\n  x", {})
    assert (info.value.line, info.value.column) == (2, 3)


def test_error_hierarchy():
    assert issubclass(CELSyntaxError, CELError)
    assert issubclass(CELEvaluationError, CELError)
    assert issubclass(celprice.CELLimitError, CELEvaluationError)
    assert issubclass(CELCheckError, CELError)


def test_non_string_source_is_a_syntax_error():
    with pytest.raises(CELSyntaxError):
        celprice.compile(42)  # type: ignore[arg-type]


def test_non_mapping_activation_is_a_cel_error():
    with pytest.raises(CELEvaluationError, match="mapping"):
        ev("x", ["not", "a", "mapping"])  # type: ignore[arg-type]


# --- environments ------------------------------------------------------------------


def test_declared_variables_reject_undeclared_names_at_compile_time():
    env = Environment(variables={"prices": "map(string, int)"})
    assert ev("prices.a + 1", {"prices": {"a": 1}}, env) == 2
    with pytest.raises(CELCheckError) as info:
        celprice.compile("prices.a + inference_fee", env)
    (problem,) = info.value.problems
    assert "undeclared reference to 'inference_fee'" in problem.message
    assert (problem.line, problem.column) == (1, 12)


@pytest.mark.parametrize("source", ["size(outputs) + 1", "outputs.total + 1"])
def test_a_declared_variable_missing_from_the_activation_is_named_as_such(source):
    # The formula is fine; the caller forgot the value: the message must not call the name undeclared.
    program = celprice.compile(source, Environment(variables={"outputs": "dyn"}))
    with pytest.raises(CELEvaluationError) as info:
        program.evaluate({})
    assert info.value.message == "no value for variable 'outputs': it is declared, but the activation does not hold it"
    assert "undeclared" not in str(info.value)


def test_invalid_type_name_is_rejected():
    with pytest.raises(CELError, match="strng"):
        Environment(variables={"x": "strng"})


def test_container_resolves_qualified_names():
    env = Environment(container="acme.billing", variables={"acme.billing.rate": "int"})
    assert ev("rate * 2", {"acme.billing.rate": 21}, env) == 42


def test_custom_function_overloads_and_member_functions():
    env = Environment(
        functions=[
            Function("double_it", [Overload(["int"], "int", lambda x: x * 2), Overload(["string"], "string", lambda s: s + s)]),
            Function("shout", [Overload(["string"], "string", lambda s: s.upper() + "!", member=True)]),
        ]
    )
    assert ev("double_it(21)", env=env) == 42
    assert ev("double_it('ab')", env=env) == "abab"
    assert ev("'hi'.shout()", env=env) == "HI!"
    with pytest.raises(CELEvaluationError, match="no matching overload for 'double_it'"):
        ev("double_it(1.5)", env=env)


def test_exception_inside_a_custom_function_becomes_a_cel_error_naming_it():
    def boom(x):
        raise KeyError("nope")

    env = Environment(functions=[Function("boom", [Overload(["int"], "int", boom)])])
    with pytest.raises(CELEvaluationError, match="boom"):
        ev("boom(1)", env=env)


def test_unknown_function_without_declarations_is_an_evaluation_error():
    with pytest.raises(CELEvaluationError, match="f_unknown"):
        ev("f_unknown(1)")
    assert ev("f_unknown(1) || true") is True


# --- compile cache -------------------------------------------------------------------


def test_compile_is_cached_per_source_and_environment():
    env = Environment()
    a = celprice.compile("1 + 1", env)
    assert celprice.compile("1 + 1", env) is a
    assert celprice.compile("1 + 1", Environment()) is not a
    assert celprice.compile("1 + 1", env, cache=False) is not a


def test_program_is_reusable_and_independent_of_activation():
    prog = celprice.compile("[1, 2].map(x, x * k)")
    assert prog.evaluate({"k": 2}) == [2, 4]
    assert prog.evaluate({"k": 3}) == [3, 6]
    first = prog.evaluate({"k": 1})
    first.append(99)  # a result list belongs to the caller
    assert prog.evaluate({"k": 1}) == [1, 2]


def test_cost_estimate():
    lo, hi = celprice.compile("1 + 2").cost_estimate()
    assert lo >= 1 and hi is not None and hi >= lo
    assert celprice.compile("xs.map(x, x * 2)").cost_estimate()[1] is None
    assert celprice.compile("[1, 2, 3].map(x, x * 2)").cost_estimate()[1] is not None


# --- semantics users rely on --------------------------------------------------------


@pytest.mark.parametrize(
    "source, expected",
    [
        ("-3 % 5", -3),
        ("43 % -5", 3),
        ("-7 / 2", -3),
        ("1.0 / 0.0 > 1e308", True),
        ("string(1000000.0)", "1e+06"),
        ("string(0.025)", "0.025"),
        ("dyn(1) == 1u && dyn(1) == 1.0", True),
        ("dyn(9223372036854775807) < 9223372036854775808.0", False),
        ("{1u: 'a'}[1.0]", "a"),
        ("size('fiance\\u0301')", 7),
        ("'abc'.matches('b')", True),
        ("[1, 2, 3].exists(x, x == 2)", True),
        ("[1, 2, 3].all(i, v, v > i)", True),
        ("{'a': 1}.transformMap(k, v, v + 1)", {"a": 2}),
    ],
)
def test_cel_semantics(source, expected):
    assert ev(source) == expected


def test_nan_is_unequal_to_itself():
    assert ev("x == x", {"x": math.nan}) is False
    assert ev("[x] == [x]", {"x": math.nan}) is False


@pytest.mark.parametrize(
    "source",
    ["9223372036854775807 + 1", "-(-9223372036854775807 - 1)", "(-9223372036854775807 - 1) / -1", "0u - 1u",
     "int(9223372036854775807.0)", "1 + 1u", "'ab' * 3", "{'a': 1}['b']", "1 / 0", "1 % 0", "timestamp('10000-01-01T00:00:00Z')"],
)
def test_cel_errors(source):
    with pytest.raises(CELEvaluationError):
        ev(source)


def test_programs_are_immutable():
    prog = celprice.compile("1 + 1")
    with pytest.raises(AttributeError):
        prog.source = "2 + 2"  # type: ignore[misc]
    assert prog.evaluate() == 2


def test_errors_survive_pickling_with_their_hint_element_and_problems():
    # Replay's workers and multiprocessing pools send errors between processes.
    import pickle

    with pytest.raises(CELEvaluationError) as info:
        ev("items.map(x, x.widht)", {"items": [{"width": 1}]})
    copy = pickle.loads(pickle.dumps(info.value))
    assert str(copy) == str(info.value)
    assert copy.message.startswith("items[0]: ") and "did you mean 'width'?" in copy.message
    with pytest.raises(CELCheckError) as checked:
        celprice.compile("sise(x) + y", Environment(variables={"x": "list(int)"}))
    copy = pickle.loads(pickle.dumps(checked.value))
    assert [str(p) for p in copy.problems] == [str(p) for p in checked.value.problems]
    assert len(copy.problems) == 2
