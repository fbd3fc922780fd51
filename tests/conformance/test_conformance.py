"""The CEL conformance suite (cel-spec simple tests, JSON form), run against celprice.

One pytest test per conformance test, id `file/section/name` (a name repeated in
a section gets `#2`, `#3`, ...). Tests outside the in-scope rule of the data's
README are skipped with the rule's reason (see `out_of_scope_reason`); known
gaps are listed, with reasons, in `skips.py`.

The data folder is `$CELPRICE_CONFORMANCE_DIR`, by default
`<repo root>/../shared/cel-spec/json`.
"""
from __future__ import annotations

import json
import os
import re
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import celprice
from celprice import checker
from celprice.parser import parse

from .skips import SKIPS
from .values import (
    DURATION_TYPE,
    TIMESTAMP_TYPE,
    binding_from_json,
    from_json,
    message_type_name,
    same_value,
    show,
)

# --- where the data is ----------------------------------------------------------


def repo_root() -> Path:
    """The folder holding pyproject.toml, found upward from this file."""
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "pyproject.toml").is_file():
            return parent
    return here.parents[2]


def data_dir() -> Path:
    env = os.environ.get("CELPRICE_CONFORMANCE_DIR")
    if env:
        return Path(env)
    return repo_root().parent / "shared" / "cel-spec" / "json"


# --- the in-scope rule (cel-spec/README.md) ---------------------------------------

OUT_OF_SCOPE_FILES: dict[str, str] = {
    "proto2": "protobuf messages are not supported",
    "proto3": "protobuf messages are not supported",
    "proto2_ext": "protobuf messages are not supported",
    "enums": "protobuf enums are not supported",
    "wrappers": "protobuf wrapper types are not supported",
    "network_ext": "the network extension is not shipped",
    "block_ext": "the block extension is not shipped",
}

_MESSAGE_NAME = re.compile(r"TestAllTypes|google\.protobuf\.")
_ALLOWED_OBJECTS = {TIMESTAMP_TYPE, DURATION_TYPE}


def _unsupported_value(node: Any) -> str | None:
    """The first object_value (other than Timestamp/Duration) or enum_value inside `node`."""
    if isinstance(node, dict):
        for key, sub in node.items():
            if key == "enum_value":
                return f"enum_value {sub.get('type', '?')}"
            if key == "object_value":
                name = message_type_name(sub.get("@type", ""))
                if name not in _ALLOWED_OBJECTS:
                    return f"object_value {name}"
            found = _unsupported_value(sub)
            if found:
                return found
    elif isinstance(node, list):
        for sub in node:
            found = _unsupported_value(sub)
            if found:
                return found
    return None


def _declared_message(node: Any) -> str | None:
    """A message or wrapper type anywhere inside a declaration's Type JSON."""
    if isinstance(node, dict):
        for key, sub in node.items():
            if key == "message_type":
                return f"message type {sub}"
            if key == "wrapper":
                return f"wrapper type {sub}"
            found = _declared_message(sub)
            if found:
                return found
    elif isinstance(node, list):
        for sub in node:
            found = _declared_message(sub)
            if found:
                return found
    return None


def out_of_scope_reason(file_name: str, test: dict[str, Any]) -> str | None:
    """Why a conformance test is outside celprice's scope, or None when in scope.

    `file_name` is the data file's name without `.json`; `test` is the test's JSON.
    """
    if file_name in OUT_OF_SCOPE_FILES:
        return f"out of scope: {file_name}.json ({OUT_OF_SCOPE_FILES[file_name]})"
    match = _MESSAGE_NAME.search(test.get("expr", ""))
    if match:
        return f"out of scope: expr names a protobuf message type ({match.group(0).rstrip('.')})"
    container = test.get("container", "")
    if container == "google.protobuf" or container.startswith("cel.expr.conformance"):
        return f"out of scope: protobuf container {container}"
    for part in ("bindings", "value", "typed_result"):
        found = _unsupported_value(test.get(part))
        if found:
            return f"out of scope: {part} contain an {found}"
    for decl in test.get("type_env", []):
        found = _declared_message(decl)
        if found:
            return f"out of scope: type_env declares {found}"
    return None


# --- loading the cases ------------------------------------------------------------


@dataclass
class Case:
    id: str
    file: str
    section: str
    test: dict[str, Any]
    out_of_scope: str | None


def load_cases(folder: Path | None = None) -> list[Case]:
    """Every test of every data file, in file/section/test order, with unique ids."""
    folder = data_dir() if folder is None else folder
    cases: list[Case] = []
    for path in sorted(folder.glob("*.json")):
        file_name = path.stem
        with path.open(encoding="utf-8") as fh:
            data = json.load(fh)
        for section in data.get("section", []):
            seen: dict[str, int] = {}
            for test in section.get("test", []):
                base = f"{file_name}/{section['name']}/{test['name']}"
                seen[base] = seen.get(base, 0) + 1
                case_id = base if seen[base] == 1 else f"{base}#{seen[base]}"
                cases.append(
                    Case(case_id, file_name, section["name"], test, out_of_scope_reason(file_name, test))
                )
    return cases


# --- declarations -------------------------------------------------------------------

_PRIMITIVES = {
    "BOOL": "bool",
    "INT64": "int",
    "UINT64": "uint",
    "DOUBLE": "double",
    "STRING": "string",
    "BYTES": "bytes",
}
_WRAPPERS = {
    "BOOL": "google.protobuf.BoolValue",
    "INT64": "google.protobuf.Int64Value",
    "UINT64": "google.protobuf.UInt64Value",
    "DOUBLE": "google.protobuf.DoubleValue",
    "STRING": "google.protobuf.StringValue",
    "BYTES": "google.protobuf.BytesValue",
}
_WELL_KNOWN = {
    "ANY": "any",
    "TIMESTAMP": "google.protobuf.Timestamp",
    "DURATION": "google.protobuf.Duration",
}


def type_name(t: dict[str, Any]) -> str:
    """A checked.proto Type (JSON) as a CEL type name string, e.g. `map(string, int)`."""
    ((kind, raw),) = t.items()
    if kind == "primitive":
        return _PRIMITIVES[raw]
    if kind == "wrapper":
        return _WRAPPERS[raw]
    if kind == "well_known":
        return _WELL_KNOWN[raw]
    if kind == "null":
        return "null_type"
    if kind == "dyn":
        return "dyn"
    if kind == "error":
        return "error"
    if kind == "message_type":
        return str(raw)
    if kind == "type_param":
        return str(raw)
    if kind == "type":
        return f"type({type_name(raw)})" if raw else "type"
    if kind == "list_type":
        return f"list({type_name(raw['elem_type'])})"
    if kind == "map_type":
        return f"map({type_name(raw['key_type'])}, {type_name(raw['value_type'])})"
    if kind == "abstract_type":
        params = raw.get("parameter_types", [])
        if not params:
            return raw["name"]
        return f"{raw['name']}({', '.join(type_name(p) for p in params)})"
    raise ValueError(f"unsupported Type kind {kind!r}")


def declared_functions(test: dict[str, Any]) -> list[celprice.Function]:
    """Function declarations of the test's type_env (signatures only: for check_only tests)."""
    functions = []
    for decl in test.get("type_env", []):
        if "function" in decl:
            overloads = [
                celprice.Overload(
                    [type_name(p) for p in ov.get("params", [])],
                    type_name(ov["result_type"]),
                    None,  # type: ignore[arg-type]
                    member=bool(ov.get("is_instance_function")),
                )
                for ov in decl["function"].get("overloads", [])
            ]
            functions.append(celprice.Function(decl["name"], overloads))
    return functions


def same_type(expected: dict[str, Any], actual: str | None) -> bool:
    """Whether a deduced type (CEL type name) is the expected checked.proto Type."""
    if actual is None:
        return False
    want = checker.format_type(checker.parse_type(type_name(expected)))
    return want == checker.format_type(checker.parse_type(actual))


def declared_variables(test: dict[str, Any]) -> dict[str, str]:
    """Variables of the test's type_env; bound but undeclared names become `dyn`."""
    variables: dict[str, str] = {}
    for decl in test.get("type_env", []):
        if "ident" in decl:
            variables[decl["name"]] = type_name(decl["ident"]["type"])
    for binding in test.get("bindings", []):
        variables.setdefault(binding["key"], "dyn")
    return variables


# --- running one case -------------------------------------------------------------


def describe(test: dict[str, Any]) -> str:
    lines = [f"expr: {test['expr']}"]
    if test.get("container"):
        lines.append(f"container: {test['container']}")
    if test.get("bindings"):
        bound = ", ".join(
            f"{b['key']}={show(binding_from_json(b['value']))}" for b in test["bindings"]
        )
        lines.append(f"bindings: {bound}")
    return "\n".join(lines)


def expected_outcome(test: dict[str, Any]) -> tuple[str, Any]:
    """('value', v) or ('error', hint) for the test's result matcher."""
    if "value" in test:
        return "value", from_json(test["value"])
    if "typed_result" in test:
        # (A typed_result without a result is a check-only test: run_check_only.)
        return "value", from_json(test["typed_result"]["result"])
    if "eval_error" in test:
        return "error", test["eval_error"]
    if "any_eval_errors" in test:
        return "error", test["any_eval_errors"]
    for unsupported in ("unknown", "any_unknowns"):
        if unsupported in test:
            pytest.skip(f"{unsupported} matcher is not supported")
    return "value", True


def _error_hint(errors: dict[str, Any]) -> str:
    messages = [e.get("message", "") for e in errors.get("errors", [])]
    if not messages:
        messages = [m.get("message", "") for s in errors.get("errors", []) for m in s.get("errors", [])]
    return "; ".join(m for m in messages if m) or "an error"


def run_check_only(test: dict[str, Any]) -> None:
    """A type_deduction test without a result: check it and compare the deduced type."""
    env = celprice.Environment(container=test.get("container", ""), variables=declared_variables(test), check=True)
    expected = test["typed_result"]["deduced_type"]
    try:
        result = checker.check(parse(test["expr"]), env, test["expr"], functions=declared_functions(test))
    except celprice.CELError as exc:
        pytest.fail(f"{describe(test)}\nexpected type: {type_name(expected)}\nactual: check raised {exc}", pytrace=False)
    if not same_type(expected, result.result_type):
        pytest.fail(
            f"{describe(test)}\nexpected type: {type_name(expected)}\nactual type: {result.result_type}",
            pytrace=False,
        )


def run_case(test: dict[str, Any]) -> None:
    typed = test.get("typed_result")
    if typed is not None and "result" not in typed:
        run_check_only(test)
        return
    kind, expected = expected_outcome(test)
    activation = {b["key"]: binding_from_json(b["value"]) for b in test.get("bindings", [])}
    env = celprice.Environment(
        container=test.get("container", ""),
        variables=declared_variables(test),
        check=True if typed is not None else None,
    )
    stage = "compile"
    try:
        program = celprice.compile(test["expr"], env)
        stage = "evaluate"
        actual = program.evaluate(activation)
    except celprice.CELError as exc:
        if kind == "error":
            return
        pytest.fail(
            f"{describe(test)}\nexpected: {show(expected)}\n"
            f"actual: {stage} raised {type(exc).__name__}: {exc}",
            pytrace=False,
        )
    except Exception as exc:  # an engine bug: not converted to a CELError
        tb = "".join(traceback.format_exception(exc, limit=-4))
        pytest.fail(
            f"{describe(test)}\n"
            f"expected: {show(expected) if kind == 'value' else 'error: ' + _error_hint(expected)}\n"
            f"actual: {stage} raised a non-CEL exception {type(exc).__name__}: {exc}\n{tb}",
            pytrace=False,
        )
    if kind == "error":
        pytest.fail(
            f"{describe(test)}\nexpected: error ({_error_hint(expected)})\n"
            f"actual: {show(actual)}",
            pytrace=False,
        )
    if not same_value(expected, actual):
        pytest.fail(
            f"{describe(test)}\nexpected: {show(expected)}\nactual: {show(actual)}",
            pytrace=False,
        )
    if typed is not None and not same_type(typed["deduced_type"], program.result_type):
        pytest.fail(
            f"{describe(test)}\nexpected type: {type_name(typed['deduced_type'])}\n"
            f"actual type: {program.result_type}",
            pytrace=False,
        )


# --- collection ----------------------------------------------------------------------

if not data_dir().is_dir():
    pytest.skip(
        f"conformance data not found at {data_dir()} "
        "(set CELPRICE_CONFORMANCE_DIR to the cel-spec json folder)",
        allow_module_level=True,
    )

CASES = load_cases()


def _params() -> Iterator[Any]:
    for case in CASES:
        marks = []
        if case.out_of_scope:
            marks.append(pytest.mark.skip(reason=case.out_of_scope))
        elif case.id in SKIPS:
            marks.append(pytest.mark.skip(reason=f"known gap: {SKIPS[case.id]}"))
        yield pytest.param(case.test, id=case.id, marks=marks)


@pytest.mark.parametrize("test", list(_params()))
def test_conformance(test: dict[str, Any]) -> None:
    run_case(test)


def test_skips_list_is_current() -> None:
    """Every id in skips.py names an existing, in-scope conformance test."""
    by_id = {case.id: case for case in CASES}
    missing = sorted(i for i in SKIPS if i not in by_id)
    out_of_scope = sorted(i for i in SKIPS if i in by_id and by_id[i].out_of_scope)
    problems = []
    if missing:
        problems.append("not in the data any more:\n  " + "\n  ".join(missing))
    if out_of_scope:
        problems.append("already skipped as out of scope:\n  " + "\n  ".join(out_of_scope))
    assert not problems, "skips.py lists stale ids; remove them.\n" + "\n".join(problems)


# --- unit tests of the helpers above ------------------------------------------------


def test_type_names() -> None:
    assert type_name({"primitive": "INT64"}) == "int"
    assert type_name({"well_known": "TIMESTAMP"}) == "google.protobuf.Timestamp"
    assert type_name({"null": "NULL_VALUE"}) == "null_type"
    assert type_name({"dyn": {}}) == "dyn"
    assert (
        type_name({"map_type": {"key_type": {"primitive": "STRING"}, "value_type": {"list_type": {"elem_type": {"primitive": "UINT64"}}}}})
        == "map(string, list(uint))"
    )
    assert type_name({"type": {"primitive": "BOOL"}}) == "type(bool)"
    assert type_name({"abstract_type": {"name": "optional_type", "parameter_types": [{"primitive": "INT64"}]}}) == "optional_type(int)"
    assert type_name({"type_param": "T"}) == "T"


def test_scope_rule() -> None:
    assert out_of_scope_reason("basic", {"expr": "1 + 1"}) is None
    assert out_of_scope_reason("proto3", {"expr": "1"})
    assert out_of_scope_reason("type_deduction", {"expr": "1"}) is None
    assert out_of_scope_reason("type_deduction", {"expr": "TestAllTypes{}"})
    assert out_of_scope_reason("dynamic", {"expr": "TestAllTypes{}"})
    assert out_of_scope_reason("dynamic", {"expr": "google.protobuf.Int32Value{value: 1}"})
    assert out_of_scope_reason("parse", {"expr": "1", "container": "cel.expr.conformance.proto3"})
    assert out_of_scope_reason("parse", {"expr": "1", "container": "google.protobuf"})
    assert out_of_scope_reason("parse", {"expr": "1", "container": "com.example"}) is None
    ts = {"object_value": {"@type": "type.googleapis.com/google.protobuf.Timestamp"}}
    assert out_of_scope_reason("timestamps", {"expr": "x", "bindings": [{"key": "x", "value": {"value": ts}}]}) is None
    msg = {"object_value": {"@type": "type.googleapis.com/google.protobuf.Value"}}
    assert out_of_scope_reason("dynamic", {"expr": "x", "bindings": [{"key": "x", "value": {"value": msg}}]})
    assert out_of_scope_reason("dynamic", {"expr": "x", "value": {"list_value": {"values": [msg]}}})
    assert out_of_scope_reason("dynamic", {"expr": "x", "value": {"enum_value": {"type": "E", "value": 1}}})
    decl = {"name": "x", "ident": {"type": {"list_type": {"elem_type": {"wrapper": "INT64"}}}}}
    assert out_of_scope_reason("fields", {"expr": "x", "type_env": [decl]})
