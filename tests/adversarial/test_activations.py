"""Hostile data: reference cycles, deep nesting, huge values and arbitrary Python
objects in the activation. Every outcome is a value or a CEL error; never a
RecursionError, AttributeError, TypeError or a hang."""
from __future__ import annotations

import collections
import copy
import enum
from typing import Any

import pytest

import celprice
from celprice import CELError, CELEvaluationError, CELLimitError, ErrorValue
from celprice.errors import NoSuchOverload

from ._support import cpu_deadline, evaluate, outcome, same

pytestmark = pytest.mark.timeout(30)


def cyclic_dict() -> dict:
    d: dict = {"x": 1}
    d["self"] = d
    return d


def cyclic_list() -> list:
    l: list = [1]
    l.append(l)
    return l


def deep_list(depth: int) -> list:
    v: list = []
    for _ in range(depth):
        v = [v]
    return v


def deep_dict(depth: int) -> dict:
    v: dict = {}
    for _ in range(depth):
        v = {"a": v}
    return v


# --- reference cycles ------------------------------------------------------------------------


def test_selecting_through_a_cycle_works() -> None:
    d = cyclic_dict()
    assert evaluate("d.self.self.self.x", {"d": d}) == 1
    assert evaluate("d['self']['self'].x", {"d": d}) == 1
    assert evaluate("has(d.self.self.x)", {"d": d}) is True
    assert evaluate("size(d)", {"d": d}) == 2
    assert evaluate("d.exists(k, k == 'self')", {"d": d}) is True
    l = cyclic_list()
    assert evaluate("l[1][1][1][0]", {"l": l}) == 1
    assert evaluate("size(l[1])", {"l": l}) == 2


@pytest.mark.parametrize(
    "src",
    [
        "d == d",
        "d != d",
        "d == e",
        "[d] == [d]",
        "d in [d]",
        "d in [e]",
        "{'k': d} == {'k': e}",
        "dyn(d) == dyn(e)",
        "d.self == e",
        "l == l",
        "l == m",
        "l in [m]",
        "[l].exists(v, v == m)",
        "'%s'.format([d])",
        "'%s'.format([l])",
        "d.all(k, d[k] == e[k])",
    ],
)
def test_walking_a_cycle_is_a_cel_error_not_a_recursion_error(src: str) -> None:
    data = {"d": cyclic_dict(), "e": cyclic_dict(), "l": cyclic_list(), "m": cyclic_list()}
    with cpu_deadline(10):
        kind, value = outcome(src, data)
    # A cycle has no finite CEL value: comparing or printing it cannot finish
    # normally. Identity may short-cut `d == d` to true; otherwise a CEL error.
    if kind == "ok":
        assert src in ("d == d", "d != d", "l == l", "d in [d]") and isinstance(value, bool)
    else:
        assert isinstance(value, CELEvaluationError), value


def test_cycle_as_a_map_value_in_a_comprehension_result() -> None:
    d = cyclic_dict()
    result = evaluate("[d].map(v, v.self)", {"d": d})
    assert result[0] is d


@pytest.mark.parametrize("depth", [100, 5_000, 50_000])
@pytest.mark.parametrize(
    "src", ["x == y", "x != y", "x in [y]", "'%s'.format([x])", "[x] == [y]", "size(x)", "x == x"]
)
def test_deeply_nested_data(depth: int, src: str) -> None:
    data = {"x": deep_list(depth), "y": deep_list(depth)}
    kind, value = outcome(src, data)
    if kind == "ok":
        if src in ("x == y", "[x] == [y]", "x in [y]", "x == x"):
            assert value is True
        elif src == "x != y":
            assert value is False
    else:
        assert isinstance(value, CELLimitError) or "nested too deeply" in str(value), value
        assert depth > 100, value  # 100 levels is ordinary data and must work


def test_deeply_nested_map_selection() -> None:
    data = {"x": deep_dict(5_000)}
    assert evaluate("size(x" + ".a" * 200 + ")", data) == 1
    assert evaluate("has(x.a.a.a)", data) is True


# --- huge values ------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [2**63, -(2**63) - 1, 10**30, 10**5000, -(10**5000)],
                         ids=["2^63", "-2^63-1", "10^30", "10^5000", "-10^5000"])
def test_python_ints_outside_int64_are_errors(value: int) -> None:
    with pytest.raises(CELEvaluationError) as info:
        evaluate("x", {"x": value})
    assert "internal error" not in str(info.value) or value.bit_length() > 10_000, str(info.value)
    kind, err = outcome("x + 1", {"x": value})
    assert kind == "error"
    kind, err = outcome("false && x > 0", {"x": value})  # absorbed like any other error
    assert kind == "ok" and err is False


def test_python_int_with_thousands_of_digits_is_reported_as_out_of_range() -> None:
    with pytest.raises(CELEvaluationError) as info:
        evaluate("x", {"x": 10**5000})
    assert "internal error" not in str(info.value)
    assert "int64" in str(info.value) or "range" in str(info.value)


def test_huge_collections_are_bounded_by_cost() -> None:
    # The default budget allows about 500,000 one-node iterations; more is a limit error.
    big = {"l": list(range(2_000_000)), "m": dict.fromkeys(map(str, range(600_000)), 1)}
    for src in ["l.filter(v, true)", "m.all(k, true)"]:
        kind, value = outcome(src, big)
        assert kind == "error" and isinstance(value, CELLimitError), (src, value)
    assert evaluate("size(l)", big) == 2_000_000
    assert evaluate("l[1999999]", big) == 1_999_999
    assert evaluate("'599999' in m", big) is True


def test_huge_string_in_data() -> None:
    s = {"s": "a" * 50_000_000}
    assert evaluate("size(s)", s) == 50_000_000
    assert evaluate("s.startsWith('aaa')", s) is True
    kind, value = outcome("s + 'b'", s)
    assert kind == "error" and isinstance(value, CELLimitError)


# --- arbitrary Python objects --------------------------------------------------------------


class Plain:
    pass


class Hostile:
    """Every dunder a careless engine might call raises."""

    def __eq__(self, other: object) -> bool:
        raise RuntimeError("__eq__")

    def __hash__(self) -> int:
        raise RuntimeError("__hash__")

    def __len__(self) -> int:
        raise RuntimeError("__len__")

    def __iter__(self) -> Any:
        raise RuntimeError("__iter__")

    def __bool__(self) -> bool:
        raise RuntimeError("__bool__")

    def __getattr__(self, name: str) -> Any:
        raise RuntimeError(f"__getattr__ {name}")

    def __str__(self) -> str:
        raise RuntimeError("__str__")

    def __repr__(self) -> str:
        raise RuntimeError("__repr__")

    def __lt__(self, other: object) -> bool:
        raise RuntimeError("__lt__")


class BadMapping(collections.abc.Mapping):
    def __getitem__(self, key: Any) -> Any:
        raise RuntimeError("__getitem__")

    def __iter__(self) -> Any:
        return iter(["a"])

    def __len__(self) -> int:
        return 1


class Color(enum.IntEnum):
    RED = 1


class MyInt(int):
    pass


class MyStr(str):
    pass


OPERATIONS = [
    "x + 1", "1 + x", "-x", "!x", "x * x", "x < 1", "x <= x", "x == 1", "x != 1", "x == x", "x.y", "x.y.z",
    "has(x.y)", "x[0]", "x['k']", "size(x)", "x.size()", "int(x)", "uint(x)", "double(x)", "string(x)", "bytes(x)",
    "bool(x)", "type(x)", "x in [1]", "1 in x", "[x] == [x]", "{'k': x} == {'k': x}", "{x: 1}", "x.all(v, true)",
    "x.map(v, v)", "x ? 1 : 2", "x && true", "true && x", "x || false", "'%s'.format([x])", "'%d'.format([x])",
    "x.matches('a')", "x.startsWith('a')", "timestamp(x)", "duration(x)", "math.abs(x)", "math.greatest(x, 1)",
    "optional.of(x).value()", "[x].map(v, v)", "cel.bind(v, x, v)", "x.?y", "x[?0]", "dyn(x)",
]

OBJECTS = {
    "plain": Plain(),
    "hostile": Hostile(),
    "bad-mapping": BadMapping(),
    "int-enum": Color.RED,
    "int-subclass": MyInt(3),
    "str-subclass": MyStr("abc"),
    "set": {1, 2},
    "frozenset": frozenset({1}),
    "range": range(10),
    "generator": (i for i in range(3)),
    "memoryview": memoryview(b"ab"),
    "complex": 1j,
    "type": int,
    "function": len,
    "module": celprice,
    "date": __import__("datetime").date(2020, 1, 1),
    "time": __import__("datetime").time(1, 2),
    "Ellipsis": ...,
    "exception": ValueError("boom"),
}


@pytest.mark.parametrize("name", list(OBJECTS))
def test_python_objects_give_cel_errors(name: str) -> None:
    problems = []
    for src in OPERATIONS:
        obj = OBJECTS[name]
        try:
            evaluate(src, {"x": obj})
        except CELError as e:
            try:
                str(e)
            except Exception as inner:  # formatting the error must work too
                problems.append(f"{src}: str(error) raised {type(inner).__name__}")
        except Exception as e:
            problems.append(f"{src}: {type(e).__name__}: {e}")
    assert not problems, "\n".join(problems)


def test_python_objects_get_no_overload_errors() -> None:
    for src in ["x + 1", "-x", "size(x)", "x < 1", "string(x)", "int(x)", "x.startsWith('a')"]:
        with pytest.raises(NoSuchOverload, match="no matching overload"):
            evaluate(src, {"x": Plain()})
    with pytest.raises(CELEvaluationError, match="does not support field selection"):
        evaluate("x.y", {"x": Plain()})
    assert evaluate("x == 1", {"x": Plain()}) is False
    assert evaluate("x != 1", {"x": Plain()}) is True
    assert evaluate("x in [1]", {"x": Plain()}) is False


def test_hostile_object_errors_are_contained() -> None:
    # __eq__ raising inside equality must become a CEL error, and && must still
    # be able to absorb it.
    kind, value = outcome("x == x", {"x": Hostile()})
    assert kind == "ok" or isinstance(value, CELEvaluationError)
    assert evaluate("false && x == x", {"x": Hostile()}) is False


def test_error_values_in_the_activation() -> None:
    data = {"e": ErrorValue("boom"), "t": True}
    with pytest.raises(CELEvaluationError, match="boom"):
        evaluate("e + 1", data)
    assert evaluate("false && e > 0", data) is False
    assert evaluate("t || e", data) is True
    assert evaluate("[1].exists(v, v == 1 || e)", data) is True
    with pytest.raises(CELEvaluationError, match="boom"):
        evaluate("t ? e : 1", data)
    assert evaluate("has(m.e)", {"m": {"e": ErrorValue("boom")}}) is True


@pytest.mark.parametrize("activation", [[1, 2], "abc", 42, None, b"x", ("x", 1)])
def test_activation_that_is_not_a_mapping(activation: Any) -> None:
    kind, value = outcome("x + 1", activation)
    assert kind == "error", value


def test_activation_with_odd_keys() -> None:
    data = {1: 2, None: 3, ("t",): 4, "@ctx": "not a budget", "@v": 99, "x": 5}
    assert evaluate("[1, 2].map(v, v + x)", data) == [6, 7]
    assert evaluate("cel.bind(v, 1, v + x)", data) == 6
    assert evaluate("x", data) == 5


def test_evaluation_never_mutates_the_activation() -> None:
    data = {
        "l": [3, 1, 2],
        "m": {"b": 1, "a": [1, {"c": 2}]},
        "s": "text",
        "n": None,
        "d": collections.OrderedDict(z=1, y=2),
    }
    snapshot = copy.deepcopy(data)
    sources = [
        "l.map(v, v * 2)", "l.filter(v, v > 1)", "m.transformMap(k, v, v)", "cel.bind(l, [1], l + l)",
        "l + l", "m.a + [1]", "[l, l].map(v, v.map(w, w))", "l.sort()", "m.exists(k, k == 'b')",
        "l.map(v, l.map(w, v / (w - 1)))",  # fails mid-comprehension
        "[1, 2].map(l, l)", "m.a[1].c", "d.map(k, k)", "cel.bind(m, 1, m)", "l.all(v, v.size() > 0)",
        "optional.of(l).value() + [4]", "{'k': l}.k + [5]",
    ]
    for src in sources:
        outcome(src, data)
        assert same(data, snapshot), src
        assert list(data) == list(snapshot), src


def test_celprice_values_can_be_deep_copied() -> None:
    from celprice import Duration, Timestamp

    data = {"t": Timestamp(1_700_000_000), "d": Duration(5), "o": celprice.Optional.of([1])}
    copied = copy.deepcopy(data)
    assert copied["t"] == data["t"] and copied["d"] == data["d"]
