"""Unit tests of the conformance runner's value conversion and strict comparison."""
from __future__ import annotations

import math

import pytest

from .values import (
    Duration,
    Map,
    Timestamp,
    Type,
    UInt,
    UnsupportedValue,
    binding_from_json,
    from_json,
    same_value,
)


def test_scalars() -> None:
    assert from_json({"null_value": "NULL_VALUE"}) is None
    assert from_json({"bool_value": True}) is True
    v = from_json({"int64_value": -5})
    assert type(v) is int and v == -5
    u = from_json({"uint64_value": 18446744073709551615})
    assert type(u) is UInt and u == 2**64 - 1
    assert from_json({"string_value": "\x00\U00088888"}) == "\x00\U00088888"
    assert from_json({"bytes_value": "AP8="}) == b"\x00\xff"
    assert from_json({"type_value": "null_type"}) == Type("null_type")


def test_doubles() -> None:
    assert from_json({"double_value": "inf"}) == math.inf
    assert from_json({"double_value": "-inf"}) == -math.inf
    assert math.isnan(from_json({"double_value": "nan"}))
    d = from_json({"double_value": 10.0})
    assert type(d) is float
    assert math.copysign(1.0, from_json({"double_value": -0.0})) == -1.0


def test_containers() -> None:
    assert from_json({"list_value": {}}) == []
    assert from_json({"map_value": {}}) == {}
    v = from_json(
        {
            "list_value": {
                "values": [
                    {"int64_value": 1},
                    {"map_value": {"entries": [{"key": {"string_value": "k"}, "value": {"uint64_value": 2}}]}},
                ]
            }
        }
    )
    assert same_value([1, {"k": UInt(2)}], v)


def test_map_with_bool_and_int_keys_keeps_both() -> None:
    v = from_json(
        {
            "map_value": {
                "entries": [
                    {"key": {"bool_value": True}, "value": {"int64_value": 1}},
                    {"key": {"int64_value": 1}, "value": {"int64_value": 2}},
                ]
            }
        }
    )
    assert isinstance(v, Map)
    assert len(v) == 2
    assert v[True] == 1 and v[1] == 2
    assert same_value(Map([(True, 1), (1, 2)]), v)
    assert not same_value(Map([(True, 1), (1, 2)]), {True: 1})
    # without a colliding key it stays a plain dict
    assert type(from_json({"map_value": {"entries": [{"key": {"bool_value": True}, "value": {"int64_value": 1}}]}})) is dict


def test_timestamp_and_duration() -> None:
    ts = from_json({"object_value": {"@type": "type.googleapis.com/google.protobuf.Timestamp"}})
    assert same_value(Timestamp(0, 0), ts)
    d = from_json(
        {"object_value": {"@type": "type.googleapis.com/google.protobuf.Duration", "seconds": 123, "nanos": 321456789}}
    )
    assert same_value(Duration(123, 321456789), d)
    assert not same_value(Duration(123, 0), d)
    assert not same_value(Duration(0, 0), Timestamp(0, 0))


def test_unsupported_values() -> None:
    with pytest.raises(UnsupportedValue):
        from_json({"object_value": {"@type": "type.googleapis.com/cel.expr.conformance.proto3.TestAllTypes"}})
    with pytest.raises(UnsupportedValue):
        from_json({"enum_value": {"type": "x.E", "value": 1}})
    assert binding_from_json({"value": {"int64_value": 3}}) == 3


def test_same_value_is_strict_about_numeric_types() -> None:
    assert same_value(1, 1)
    assert not same_value(1, UInt(1))
    assert not same_value(UInt(1), 1)
    assert not same_value(1, 1.0)
    assert not same_value(1.0, 1)
    assert not same_value(True, 1)
    assert not same_value(1, True)
    assert not same_value(False, 0)
    assert not same_value(None, False)
    assert not same_value("a", b"a")


def test_same_value_doubles() -> None:
    assert same_value(math.nan, math.nan)
    assert not same_value(math.nan, 1.0)
    assert not same_value(1.0, math.nan)
    assert same_value(0.0, -0.0)
    assert same_value(math.inf, math.inf)
    assert not same_value(math.inf, -math.inf)


def test_same_value_containers() -> None:
    assert same_value([1, 2], (1, 2))
    assert not same_value([1, 2], [1, UInt(2)])
    assert not same_value([1], [1, 2])
    assert same_value({"a": 1}, Map([("a", 1)]))
    assert not same_value({1: "a"}, {UInt(1): "a"})
    assert not same_value({1: "a"}, {True: "a"})
    assert not same_value({"a": 1}, {"a": 1, "b": 2})
    assert not same_value([], {})
    assert same_value({"x": [math.nan]}, {"x": [math.nan]})


def test_same_value_types() -> None:
    assert same_value(Type("int"), Type("int"))
    assert not same_value(Type("int"), Type("uint"))
    assert not same_value(Type("int"), "int")
