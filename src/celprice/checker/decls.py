"""The standard library's overload signatures, as data.

Each entry is `(name, params, result)` in CEL type names. A name starting with
`.` is a method: its first parameter is the receiver (`(".contains",
"string, string", "bool")` is `string.contains(string) -> bool`). Upper-case
single names (`A`, `K`, `V`) are type parameters, local to one overload.

Two functions are variadic (`math.greatest`, `math.least`) and typed by code
in the checker (see VARIADIC_NUMERIC). Macros (`all`, `exists`, `map`, ...)
and `has()` are typed by the checker from the AST nodes the parser makes.
"""
from __future__ import annotations

from itertools import product

__all__ = ["STANDARD", "VARIADIC_NUMERIC"]

_N = ("int", "uint", "double")


def _same(names: str, types: tuple[str, ...], arity: int, result: str | None) -> list[tuple[str, str, str]]:
    out = []
    for name in names.split():
        for t in types:
            out.append((name, ", ".join([t] * arity), result or t))
    return out


STANDARD: list[tuple[str, str, str]] = [
    # --- arithmetic --------------------------------------------------------------------
    *_same("_+_", (*_N, "string", "bytes", "list(A)", "duration"), 2, None),
    ("_+_", "timestamp, duration", "timestamp"),
    ("_+_", "duration, timestamp", "timestamp"),
    *_same("_-_", (*_N, "duration"), 2, None),
    ("_-_", "timestamp, timestamp", "duration"),
    ("_-_", "timestamp, duration", "timestamp"),
    *_same("_*_ _/_", _N, 2, None),
    *_same("_%_", ("int", "uint"), 2, None),
    *_same("-_", ("int", "double", "duration"), 1, None),
    ("!_", "bool", "bool"),
    # --- comparison --------------------------------------------------------------------
    ("_==_", "A, A", "bool"),
    ("_!=_", "A, A", "bool"),
    *[(op, f"{a}, {b}", "bool") for op in ("_==_", "_!=_") for a, b in product(_N, _N) if a != b],
    *[(op, f"{a}, {b}", "bool") for op in ("_<_", "_<=_", "_>_", "_>=_") for a, b in product(_N, _N)],
    *_same("_<_ _<=_ _>_ _>=_", ("string", "bytes", "bool", "timestamp", "duration"), 2, "bool"),
    ("@in", "A, list(A)", "bool"),
    ("@in", "K, map(K, V)", "bool"),
    *[("@in", f"{a}, list({b})", "bool") for a, b in product(_N, _N) if a != b],
    *[("@in", f"{a}, map({b}, V)", "bool") for a, b in product(_N, _N) if a != b],
    # --- size, conversions -------------------------------------------------------------
    *[(name, t, "int") for name in ("size", ".size") for t in ("string", "bytes", "list(A)", "map(K, V)")],
    *[("int", t, "int") for t in ("int", "uint", "double", "string", "timestamp")],
    *[("uint", t, "uint") for t in ("int", "uint", "double", "string")],
    *[("double", t, "double") for t in ("int", "uint", "double", "string")],
    *[("string", t, "string") for t in (
        "string", "int", "uint", "double", "bool", "bytes", "timestamp", "duration", "type(A)")],
    *[("bytes", t, "bytes") for t in ("bytes", "string")],
    *[("bool", t, "bool") for t in ("bool", "string")],
    ("dyn", "A", "dyn"),
    ("type", "A", "type(A)"),
    *[("timestamp", t, "timestamp") for t in ("string", "int", "timestamp")],
    *[("duration", t, "duration") for t in ("string", "duration")],
    # --- strings -----------------------------------------------------------------------
    *[(m, "string, string", "bool") for m in (".contains", ".startsWith", ".endsWith", ".matches", "matches")],
    (".charAt", "string, int", "string"),
    (".indexOf", "string, string", "int"),
    (".indexOf", "string, string, int", "int"),
    (".lastIndexOf", "string, string", "int"),
    (".lastIndexOf", "string, string, int", "int"),
    *[(m, "string", "string") for m in (".lowerAscii", ".upperAscii", ".trim", ".reverse")],
    (".replace", "string, string, string", "string"),
    (".replace", "string, string, string, int", "string"),
    (".split", "string, string", "list(string)"),
    (".split", "string, string, int", "list(string)"),
    (".substring", "string, int", "string"),
    (".substring", "string, int, int", "string"),
    (".join", "list(string)", "string"),
    (".join", "list(string), string", "string"),
    (".format", "string, list(A)", "string"),
    ("strings.quote", "string", "string"),
    # --- timestamps and durations ------------------------------------------------------
    *[(m, t, "int") for m in (".getFullYear", ".getMonth", ".getDayOfYear", ".getDayOfMonth", ".getDate",
                              ".getDayOfWeek", ".getHours", ".getMinutes", ".getSeconds", ".getMilliseconds")
      for t in ("timestamp", "timestamp, string")],
    *[(m, "duration", "int") for m in (".getHours", ".getMinutes", ".getSeconds", ".getMilliseconds")],
    # --- math extension ----------------------------------------------------------------
    *_same("math.ceil math.floor math.round math.trunc", ("double",), 1, None),
    *_same("math.abs math.sign", _N, 1, None),
    *_same("math.isNaN math.isInf math.isFinite", ("double",), 1, "bool"),
    *[("math.sqrt", t, "double") for t in _N],
    *_same("math.bitAnd math.bitOr math.bitXor", ("int", "uint"), 2, None),
    *_same("math.bitNot", ("int", "uint"), 1, None),
    *[(f, f"{t}, int", t) for f in ("math.bitShiftLeft", "math.bitShiftRight") for t in ("int", "uint")],
    # Declared so the names are known; typed by the checker (VARIADIC_NUMERIC).
    ("math.greatest", "A", "dyn"),
    ("math.least", "A", "dyn"),
    # --- encoders ------------------------------------------------------------------------
    ("base64.encode", "bytes", "string"),
    ("base64.decode", "string", "bytes"),
    # --- optionals -----------------------------------------------------------------------
    ("optional.of", "A", "optional_type(A)"),
    ("optional.ofNonZeroValue", "A", "optional_type(A)"),
    ("optional.none", "", "optional_type(A)"),
    (".hasValue", "optional_type(A)", "bool"),
    (".value", "optional_type(A)", "A"),
    (".or", "optional_type(A), optional_type(A)", "optional_type(A)"),
    (".orValue", "optional_type(A), A", "A"),
]

# Functions taking any number of numbers (or one list of numbers): the result is the
# arguments' common type, or dyn when they differ.
VARIADIC_NUMERIC = frozenset({"math.greatest", "math.least"})
