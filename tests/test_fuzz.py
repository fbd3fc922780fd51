"""Property-based fuzzing of celprice with hypothesis.

Four generators:

1. random text as CEL source (arbitrary Unicode, CEL-flavoured token soup, and
   mutations of valid expressions);
2. syntactically valid CEL generated from the grammar (literals of every kind,
   identifiers, operators, stdlib calls with random arguments, macros, lists,
   maps, ternaries, selections, indexes, optionals, cel.bind);
3. random activations for generated expressions;
4. random pricing requests (arbitrary JSON-ish shapes, and mutations of a valid
   request), when `celprice.pricing.evaluate_pricing` exists.

Properties: only celprice's error types escape (and `RequestError` for requests),
every evaluation ends within its budget (a CPU-time guard per case), the same
input gives the same outcome twice (NaN-aware), evaluation never mutates its
inputs, and `cost_estimate()`'s upper bound really bounds the cost.

The default run is small and fast. For a long campaign:

    CELPRICE_FUZZ=1 [CELPRICE_FUZZ_EXAMPLES=200000] [CELPRICE_FUZZ_REPORT=path.json] \\
        python -m pytest tests/test_fuzz.py -p no:cacheprovider -q -rA

In campaign mode a failing case is recorded (and written to the report) instead
of stopping the run, so one long run finds every distinct problem.
"""
from __future__ import annotations

import copy
import json
import math
import os
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adversarial._support import same

import celprice
from celprice import pricing
from celprice import CELError, Duration, Environment, Limits, Timestamp, UInt

# --- profiles ---------------------------------------------------------------------------------
#
# Registered here (not in a shared conftest) and applied per test, so loading this
# module never changes the settings of other hypothesis tests.

CAMPAIGN = os.environ.get("CELPRICE_FUZZ", "") not in ("", "0")
CAMPAIGN_EXAMPLES = int(os.environ.get("CELPRICE_FUZZ_EXAMPLES", "100000"))
REPORT_PATH = os.environ.get("CELPRICE_FUZZ_REPORT")

_COMMON = dict(
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much,
                           HealthCheck.large_base_example],
)
# The default run is derandomized: the same examples every time, so it is a stable
# regression check; campaigns draw fresh random examples.
settings.register_profile("celprice-default", max_examples=60, derandomize=True, **_COMMON)
settings.register_profile("celprice-campaign", max_examples=CAMPAIGN_EXAMPLES, report_multiple_bugs=True,
                          **_COMMON)
PROFILE = settings.get_profile("celprice-campaign" if CAMPAIGN else "celprice-default")

# Per-case CPU-time guard: every evaluation is bounded by the limits, so a case
# that runs this long is a finding (a hang), not a slow machine.
CASE_SECONDS = 10.0

pytestmark = pytest.mark.timeout(0 if CAMPAIGN else 300)


# --- bookkeeping ----------------------------------------------------------------------------


class Stats:
    def __init__(self) -> None:
        self.cases = 0
        self.outcomes: Counter[str] = Counter()
        self.failures: dict[str, dict[str, Any]] = {}
        self.started = time.monotonic()
        self.slowest = (0.0, "")

    def note(self, outcome: str, seconds: float, case: str) -> None:
        self.cases += 1
        self.outcomes[outcome] += 1
        if seconds > self.slowest[0]:
            self.slowest = (seconds, case[:200])


STATS: dict[str, Stats] = {}


class Hang(BaseException):
    pass


class _Guard:
    """CPU-time guard (SIGVTALRM) around one case; a no-op off the main thread."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def __enter__(self) -> None:
        self.active = threading.current_thread() is threading.main_thread()
        if self.active:
            def fire(signum: int, frame: Any) -> None:
                raise Hang(f"case ran for over {self.seconds} s of CPU time")

            self.previous = signal.signal(signal.SIGVTALRM, fire)
            signal.setitimer(signal.ITIMER_VIRTUAL, self.seconds)

    def __exit__(self, *exc: Any) -> None:
        if self.active:
            signal.setitimer(signal.ITIMER_VIRTUAL, 0)
            signal.signal(signal.SIGVTALRM, self.previous)


def _finding(stats: Stats, kind: str, case: Any, detail: str) -> None:
    """A property failed: raise now (default run, so hypothesis shrinks it), or
    record it (campaign run, so the campaign goes on)."""
    message = f"{kind}: {detail}\ncase: {case!r}"[:4000]
    if not CAMPAIGN:
        raise AssertionError(message)
    key = f"{kind}: {detail.splitlines()[0][:160] if detail else ''}"
    entry = stats.failures.setdefault(key, {"count": 0, "example": repr(case)[:2000], "detail": detail[:2000]})
    entry["count"] += 1
    if len(repr(case)) < len(entry["example"]):
        entry["example"] = repr(case)[:2000]


def _report(name: str) -> None:
    stats = STATS.get(name)
    if stats is None:
        return
    elapsed = time.monotonic() - stats.started
    lines = [
        f"[fuzz] {name}: {stats.cases} cases in {elapsed:.1f} s "
        f"({stats.cases / max(elapsed, 1e-9):.0f}/s), slowest {stats.slowest[0] * 1000:.1f} ms",
        f"[fuzz] outcomes: {dict(stats.outcomes.most_common())}",
    ]
    if stats.slowest[1]:
        lines.append(f"[fuzz] slowest case: {stats.slowest[1]!r}")
    for key, entry in stats.failures.items():
        lines.append(f"[fuzz] FINDING x{entry['count']}: {key}\n        example: {entry['example'][:500]}")
    print("\n".join(lines))
    if REPORT_PATH:
        try:
            with open(REPORT_PATH) as f:
                data = json.load(f)
        except (OSError, ValueError):
            data = {}
        previous = data.get(name, {"cases": 0, "seconds": 0.0, "outcomes": {}, "findings": {}})
        outcomes = Counter(previous["outcomes"]) + stats.outcomes
        findings = previous["findings"]
        for key, entry in stats.failures.items():
            old = findings.get(key)
            findings[key] = {**entry, "count": entry["count"] + (old["count"] if old else 0)}
        data[name] = {
            "cases": previous["cases"] + stats.cases,
            "seconds": round(previous["seconds"] + elapsed, 1),
            "outcomes": dict(outcomes),
            "findings": findings,
        }
        with open(REPORT_PATH, "w") as f:
            json.dump(data, f, indent=2, sort_keys=True)


def _run_campaign(name: str, test: Callable[[], None]) -> None:
    STATS[name] = Stats()
    try:
        test()
    finally:
        _report(name)
    failures = STATS[name].failures
    assert not failures, f"{len(failures)} distinct findings:\n" + "\n".join(failures)


# --- snapshots -----------------------------------------------------------------------------


def snapshot(value: Any) -> Any:
    """A copy of the containers of a value; leaves (immutable CEL values) are shared,
    which is enough to detect an evaluation that mutates its input."""
    if isinstance(value, list):
        return [snapshot(v) for v in value]
    if isinstance(value, tuple):
        return tuple(snapshot(v) for v in value)
    if isinstance(value, dict):
        return {k: snapshot(v) for k, v in value.items()}
    return value


def outcome_of(fn: Callable[[], Any], allowed: tuple[type[BaseException], ...] = (CELError,)) -> tuple[str, Any]:
    """("ok", value) or (error type name, message); a disallowed exception propagates."""
    try:
        return "ok", fn()
    except allowed as e:
        return type(e).__name__, str(e)


def same_outcome(a: tuple[str, Any], b: tuple[str, Any]) -> bool:
    if a[0] != b[0]:
        return False
    return same(a[1], b[1]) if a[0] == "ok" else a[1] == b[1]


# --- generator 1: random text -------------------------------------------------------------

CEL_TOKENS = [
    "(", ")", "[", "]", "{", "}", ".", ",", ":", "?", "!", "-", "+", "*", "/", "%", "<", "<=", ">", ">=", "==",
    "!=", "&&", "||", "in", "true", "false", "null", "x", "y", "s", "l", "m", "a", "b", "f", "has", "size",
    "map", "all", "exists", "filter", "cel", "bind", "math", "'", '"', "'''", "\\", "\\u", "\\x", "\\U", "0x",
    "u", "1", "0", "9223372036854775808", "1e309", ".5", "e", "`", "?.", "[?", " ", "\n", "\t", "é", "😀",
    "\ud800", "\x00", "optional", "dyn", "int", "timestamp", "r'", "b'", "b\"", "//", "#",
]


def _mutate(text: str, ops: list[tuple[int, int, str]]) -> str:
    for kind, pos, piece in ops:
        if not text:
            text = piece
            continue
        pos %= len(text) + 1
        if kind == 0:
            text = text[:pos] + piece + text[pos:]
        elif kind == 1:
            text = text[:pos] + text[pos + 1:]
        else:
            text = text[:pos] + piece + text[pos + 1:]
    return text


# Arbitrary text, lone surrogates included (JSON can carry them).
any_char = st.characters(codec=None, exclude_categories=()) | st.sampled_from(["\ud800", "\udfff", "\x00"])
random_text = st.one_of(
    st.text(any_char, max_size=200),
    st.lists(st.sampled_from(CEL_TOKENS), max_size=40).map("".join),
    st.lists(st.sampled_from(CEL_TOKENS), max_size=40).map(" ".join),
)


# --- generator 2: CEL from the grammar ---------------------------------------------------------

VARIABLES = ["x", "y", "s", "l", "m", "b", "n", "u", "t", "d", "o"]
LOCALS = ["v", "w"]
FIELDS = ["a", "b", "k", "x", "size", "value", "in_", "`a-b`"]


def _cel_string(text: str, quote: str, escapes: list[int]) -> str:
    out = []
    for i, ch in enumerate(text):
        cp = ord(ch)
        mode = escapes[i % len(escapes)] if escapes else 0
        if ch == "\\":
            out.append("\\\\")
        elif ch == quote[0] or ch in "\n\r" or (0xD800 <= cp <= 0xDFFF):
            out.append(f"\\u{cp:04x}" if cp <= 0xFFFF and not 0xD800 <= cp <= 0xDFFF else f"\\x{cp % 256:02x}")
        elif mode == 1 and cp < 256:
            out.append(f"\\x{cp:02x}")
        elif mode == 2 and cp <= 0xFFFF:
            out.append(f"\\u{cp:04x}")
        elif mode == 3:
            out.append(f"\\U{cp:08x}")
        elif mode == 4 and cp < 256:
            out.append(f"\\{cp:03o}")
        else:
            out.append(ch)
    return quote + "".join(out) + quote


string_literal = st.builds(
    _cel_string,
    st.text(st.characters(codec="utf-8"), max_size=12),
    st.sampled_from(["'", '"']),
    st.lists(st.integers(0, 5), max_size=4),
) | st.sampled_from(["''", '""', "'''multi\nline'''", 'r"\\d+\\w*"', "r'\\n'", "'\\a\\b\\f\\n\\r\\t\\v\\\\'",
                     "'\\u00e9'", "'\\U0001F600'", "'e\\u0301'", "'%s %d %f %.2f %e %x %X %o %b'", "'a,b,,c'",
                     "'  padded  '", "'2024-02-29T12:00:00Z'", "'1h2m3.5s'", "'-9223372036854775808'", "'NaN'",
                     "'[a-z]+'", "'(a+)+$'", "'^\\\\d{3}$'", "'America/New_York'", "'+05:30'", "'true'"])

bytes_literal = st.binary(max_size=8).map(lambda b: "b'" + "".join(f"\\x{c:02x}" for c in b) + "'") | st.sampled_from(
    ["b''", "b'abc'", "b'\\xff\\xfe'", "b'\\303\\251'", "B\"x\""])

int_literal = st.one_of(
    st.integers(-(2**63), 2**63 - 1).map(str),
    st.integers(0, 2**63 - 1).map(hex),
    st.sampled_from(["0", "1", "-1", "2", "7", "9223372036854775807", "-9223372036854775808", "0x7fffffffffffffff",
                     "9223372036854775808", "-0", "1000000", "86400"]),
)
uint_literal = st.one_of(
    st.integers(0, 2**64 - 1).map(lambda v: f"{v}u"),
    st.sampled_from(["0u", "1u", "18446744073709551615u", "0xFFFFFFFFFFFFFFFFu", "18446744073709551616u", "3U"]),
)
double_literal = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False).map(lambda f: repr(f) if "e" in repr(f) or "." in repr(f)
                                                          else repr(f) + ".0"),
    st.sampled_from(["0.0", "-0.0", "1.5", ".5", "1e309", "-1e309", "1e-400", "1.7976931348623157e308", "5e-324",
                     "2.5", "-2.5", "1e6", "123456.7", "0.025", "9223372036854775807.0", "18446744073709551615.0"]),
)
literal = st.one_of(int_literal, uint_literal, double_literal, string_literal, bytes_literal,
                    st.sampled_from(["true", "false", "null"]))
identifier = st.sampled_from(VARIABLES + LOCALS + ["int", "string", "double", "dyn", "missing", "cel", "math"])
leaf = st.one_of(literal, identifier)

GLOBALS = {
    "size": [1], "int": [1], "uint": [1], "double": [1], "string": [1], "bytes": [1], "bool": [1], "dyn": [1],
    "type": [1], "timestamp": [1], "duration": [1], "matches": [2], "strings.quote": [1],
    "math.greatest": [1, 2, 3], "math.least": [1, 2, 3], "math.ceil": [1], "math.floor": [1], "math.round": [1],
    "math.trunc": [1], "math.abs": [1], "math.sign": [1], "math.isNaN": [1], "math.isInf": [1],
    "math.isFinite": [1], "math.sqrt": [1], "math.bitAnd": [2], "math.bitOr": [2], "math.bitXor": [2],
    "math.bitNot": [1], "math.bitShiftLeft": [2], "math.bitShiftRight": [2], "base64.encode": [1],
    "base64.decode": [1], "optional.of": [1], "optional.none": [0], "optional.ofNonZeroValue": [1],
    "no_such_function": [1], ".size": [1],
}
METHODS = {
    "size": [0], "contains": [1], "startsWith": [1], "endsWith": [1], "matches": [1], "charAt": [1],
    "indexOf": [1, 2], "lastIndexOf": [1, 2], "lowerAscii": [0], "upperAscii": [0], "replace": [2, 3],
    "split": [1, 2], "substring": [1, 2], "trim": [0], "join": [0, 1], "reverse": [0], "format": [1],
    "hasValue": [0], "value": [0], "or": [1], "orValue": [1], "getFullYear": [0, 1], "getMonth": [0, 1],
    "getDayOfYear": [0, 1], "getDayOfMonth": [0, 1], "getDate": [0, 1], "getDayOfWeek": [0, 1],
    "getHours": [0, 1], "getMinutes": [0, 1], "getSeconds": [0, 1], "getMilliseconds": [0, 1],
    "noSuchMethod": [0],
}
MACROS_2 = ["all", "exists", "exists_one", "existsOne", "map", "filter", "optMap", "optFlatMap"]
MACROS_3 = ["map", "all", "exists", "existsOne", "transformList", "transformMap", "transformMapEntry"]
MACROS_4 = ["transformList", "transformMap"]
BINARY = ["+", "-", "*", "/", "%", "==", "!=", "<", "<=", ">", ">=", "in", "&&", "||"]


def _call(name: str, args: list[str]) -> str:
    return f"{name}({', '.join(args)})"


def _extend(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    local = st.sampled_from(LOCALS)
    args = lambda n: st.lists(children, min_size=n, max_size=n)  # noqa: E731
    global_call = st.sampled_from(sorted(GLOBALS)).flatmap(
        lambda name: st.sampled_from(GLOBALS[name]).flatmap(lambda n: args(n).map(lambda a: _call(name, a))))
    method_call = st.sampled_from(sorted(METHODS)).flatmap(
        lambda name: st.sampled_from(METHODS[name]).flatmap(
            lambda n: st.tuples(children, args(n)).map(lambda t: f"{t[0]}.{_call(name, t[1])}")))
    return st.one_of(
        st.tuples(st.sampled_from(["-", "!", "--", "!!"]), children).map(lambda t: f"{t[0]}{t[1]}"),
        st.tuples(children, st.sampled_from(BINARY), children, st.booleans()).map(
            lambda t: f"({t[0]} {t[1]} {t[2]})" if t[3] else f"{t[0]} {t[1]} {t[2]}"),
        st.tuples(children, children, children).map(lambda t: f"({t[0]} ? {t[1]} : {t[2]})"),
        global_call,
        method_call,
        st.tuples(children, st.sampled_from(MACROS_2), local, children).map(
            lambda t: f"{t[0]}.{t[1]}({t[2]}, {t[3]})"),
        # map(v, predicate, body); the others take two variables: (v, w, body)
        st.tuples(children, st.sampled_from(MACROS_3), children, children).map(
            lambda t: f"{t[0]}.map(v, {t[2]}, {t[3]})" if t[1] == "map" else f"{t[0]}.{t[1]}(v, w, {t[3]})"),
        st.tuples(children, st.sampled_from(MACROS_4), children, children).map(
            lambda t: f"{t[0]}.{t[1]}(v, w, {t[2]}, {t[3]})"),
        st.lists(st.tuples(st.booleans(), children), max_size=4).map(
            lambda items: "[" + ", ".join(("?" if opt else "") + e for opt, e in items) + "]"),
        st.lists(st.tuples(st.booleans(), children, children), max_size=3).map(
            lambda items: "{" + ", ".join(("?" if opt else "") + f"{k}: {v}" for opt, k, v in items) + "}"),
        st.tuples(children, children, st.booleans()).map(lambda t: f"{t[0]}[{'?' if t[2] else ''}{t[1]}]"),
        st.tuples(children, st.sampled_from(FIELDS), st.booleans()).map(
            lambda t: f"{t[0]}.{'?' if t[2] else ''}{t[1]}"),
        st.tuples(children, st.sampled_from(FIELDS)).map(lambda t: f"has({t[0]}.{t[1]})"),
        st.tuples(local, children, children).map(lambda t: f"cel.bind({t[0]}, {t[1]}, {t[2]})"),
        children.map(lambda c: f"({c})"),
    )


cel_expression = st.recursive(leaf, _extend, max_leaves=24)


# --- generator 2b: well-typed CEL ----------------------------------------------------------------
#
# The grammar generator above mostly produces type errors (which is its job: error
# paths). This one composes type-correct operations so that arithmetic, overflow,
# NaN, string building, comprehensions and the limits are exercised on real values.
# Variables (see TYPED_DATA): x int, y double, s string, l list(int), m map(string, int).

small_int = st.one_of(st.integers(-10, 10).map(str), st.sampled_from(
    ["9223372036854775807", "-9223372036854775808", "4611686018427387904", "1000000", "2", "3"]))
small_double = st.one_of(st.sampled_from(["0.0", "-0.0", "0.5", "2.5", "1e308", "-1e308", "1e-300", "3.0"]),
                         st.floats(-1e6, 1e6, allow_nan=False).map(lambda f: repr(f) if "." in repr(f) or "e" in repr(f)
                                                                   else repr(f) + ".0"))
small_string = st.sampled_from(["''", "'a'", "'abc'", "'héllo'", "'😀'", "'a,b,c'", "' x '", "'%s-%d'", "'é\u0301'",
                                "'NaN'", "'12'", "'-9223372036854775808'", "'1.5'", "'true'", "'(a+)+$'", "'[a-c]'"])

int_e: st.SearchStrategy[str] = st.deferred(lambda: st.one_of(
    small_int,
    st.sampled_from(["x", "size(s)", "size(l)", "l[0]", "m.a", "v"]),
    st.tuples(int_e, st.sampled_from(["+", "-", "*", "/", "%"]), int_e).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
    int_e.map(lambda a: f"-{a}"),
    str_e.map(lambda a: f"size({a})"),
    list_e.map(lambda a: f"size({a})"),
    double_e.map(lambda a: f"int({a})"),
    str_e.map(lambda a: f"int({a})"),
    st.tuples(bool_e, int_e, int_e).map(lambda t: f"({t[0]} ? {t[1]} : {t[2]})"),
    st.tuples(str_e, str_e).map(lambda t: f"{t[0]}.indexOf({t[1]})"),
    list_e.map(lambda a: f"math.greatest({a})"),
    st.tuples(int_e, int_e).map(lambda t: f"math.bitShiftLeft({t[0]}, {t[1]})"),
    int_e.map(lambda a: f"math.abs({a})"),
    st.tuples(list_e, int_e).map(lambda t: f"{t[0]}[{t[1]}]"),
    st.tuples(map_e, str_e).map(lambda t: f"{t[0]}[{t[1]}]"),
    st.tuples(st.sampled_from(["v", "w"]), int_e, int_e).map(lambda t: f"cel.bind({t[0]}, {t[1]}, {t[2]})"),
))
double_e: st.SearchStrategy[str] = st.deferred(lambda: st.one_of(
    small_double,
    st.just("y"),
    st.tuples(double_e, st.sampled_from(["+", "-", "*", "/"]), double_e).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
    int_e.map(lambda a: f"double({a})"),
    str_e.map(lambda a: f"double({a})"),
    double_e.map(lambda a: f"math.round({a})"),
    double_e.map(lambda a: f"math.sqrt({a})"),
    double_e.map(lambda a: f"-{a}"),
))
str_e: st.SearchStrategy[str] = st.deferred(lambda: st.one_of(
    small_string,
    st.just("s"),
    st.tuples(str_e, str_e).map(lambda t: f"({t[0]} + {t[1]})"),
    int_e.map(lambda a: f"string({a})"),
    double_e.map(lambda a: f"string({a})"),
    st.tuples(str_e, str_e, str_e).map(lambda t: f"{t[0]}.replace({t[1]}, {t[2]})"),
    st.tuples(strlist_e, str_e).map(lambda t: f"{t[0]}.join({t[1]})"),
    st.tuples(str_e, list_e).map(lambda t: f"{t[0]}.format({t[1]})"),
    st.tuples(st.sampled_from(["'%s'", "'%d%d'", "'%s %s %s'", "'%.3f|%e'", "'%x-%X'", "'%o%b'", "'%.20f'",
                               "'%s:%d'"]),
              st.lists(st.one_of(int_e, double_e, str_e, list_e), max_size=3)).map(
        lambda t: f"{t[0]}.format([{', '.join(t[1])}])"),
    str_e.map(lambda a: f"{a}.upperAscii()"),
    str_e.map(lambda a: f"{a}.reverse()"),
    str_e.map(lambda a: f"strings.quote({a})"),
    st.tuples(str_e, int_e, int_e).map(lambda t: f"{t[0]}.substring({t[1]}, {t[2]})"),
    st.tuples(str_e, int_e).map(lambda t: f"{t[0]}.charAt({t[1]})"),
    st.tuples(st.sampled_from(["v", "w"]), str_e, str_e).map(lambda t: f"cel.bind({t[0]}, {t[1]}, {t[0]} + {t[2]})"),
    str_e.map(lambda a: f"base64.encode(bytes({a}))"),
))
bool_e: st.SearchStrategy[str] = st.deferred(lambda: st.one_of(
    st.sampled_from(["true", "false"]),
    st.tuples(int_e, st.sampled_from(["<", "<=", "==", "!=", ">", ">="]), double_e).map(
        lambda t: f"({t[0]} {t[1]} {t[2]})"),
    st.tuples(str_e, st.sampled_from(["<", "==", "!="]), str_e).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
    st.tuples(bool_e, st.sampled_from(["&&", "||"]), bool_e).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
    bool_e.map(lambda a: f"!{a}"),
    st.tuples(str_e, str_e).map(lambda t: f"{t[0]}.matches({t[1]})"),
    st.tuples(str_e, str_e).map(lambda t: f"{t[0]}.contains({t[1]})"),
    st.tuples(int_e, list_e).map(lambda t: f"({t[0]} in {t[1]})"),
    st.tuples(list_e, list_e).map(lambda t: f"({t[0]} == {t[1]})"),
    st.tuples(list_e, st.sampled_from(["all", "exists", "exists_one"]), bool_e).map(
        lambda t: f"{t[0]}.{t[1]}(v, {t[2]})"),
    double_e.map(lambda a: f"math.isNaN({a})"),
    map_e.map(lambda a: "has(" + a + ".a)"),
))
list_e: st.SearchStrategy[str] = st.deferred(lambda: st.one_of(
    st.sampled_from(["l", "[]", "[1, 2, 3]", "[9223372036854775807]"]),
    st.lists(int_e, max_size=4).map(lambda items: "[" + ", ".join(items) + "]"),
    st.tuples(list_e, list_e).map(lambda t: f"({t[0]} + {t[1]})"),
    st.tuples(list_e, int_e).map(lambda t: f"{t[0]}.map(v, {t[1]})"),
    st.tuples(list_e, bool_e).map(lambda t: f"{t[0]}.filter(v, {t[1]})"),
    st.tuples(list_e, bool_e, int_e).map(lambda t: f"{t[0]}.map(v, {t[1]}, {t[2]})"),
    st.tuples(list_e, int_e).map(lambda t: f"{t[0]}.transformList(w, v, {t[1]})"),
    map_e.map(lambda a: f"{a}.map(k, size(k))"),
    st.tuples(st.sampled_from(["v", "w"]), list_e).map(lambda t: f"cel.bind({t[0]}, {t[1]}, {t[0]} + {t[0]})"),
))
strlist_e: st.SearchStrategy[str] = st.deferred(lambda: st.one_of(
    st.lists(str_e, max_size=3).map(lambda items: "[" + ", ".join(items) + "]"),
    st.tuples(str_e, str_e).map(lambda t: f"{t[0]}.split({t[1]})"),
    list_e.map(lambda a: f"{a}.map(v, string(v))"),
))
map_e: st.SearchStrategy[str] = st.deferred(lambda: st.one_of(
    st.sampled_from(["m", "{}", "{'a': 1}"]),
    st.lists(st.tuples(str_e, int_e), max_size=3).map(lambda items: "{" + ", ".join(f"{k}: {v}" for k, v in items) + "}"),
    st.tuples(list_e, int_e).map(lambda t: f"{t[0]}.transformMap(w, v, {t[1]})"),
))
typed_expression = st.one_of(int_e, double_e, str_e, bool_e, list_e, map_e)
TYPED_DATA = {"x": 7, "y": 2.5, "s": "héllo, wörld", "l": [3, 1, 2, 9223372036854775807], "m": {"a": 1, "b": 2}}


# --- generator 3: activations -----------------------------------------------------------------

json_scalar = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**63), 2**63 - 1), st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=10),
)
python_scalar = st.one_of(
    json_scalar,
    st.integers(),  # may be out of int64: must be a CEL error when read
    st.text(any_char, max_size=8),
    st.binary(max_size=8),
    st.integers(0, 2**64 - 1).map(UInt),
    st.integers(-62135596800, 253402300799).map(lambda s: Timestamp(s)),
    st.integers(-(2**63), 2**63 - 1).map(lambda ns: Duration(0, ns)),
    st.sampled_from([math.nan, math.inf, -math.inf, -0.0, 2**63, -(2**63) - 1]),
)
key = st.one_of(st.text(max_size=6), st.sampled_from(FIELDS + ["k1", "k2"]), st.integers(-3, 3), st.booleans())
value = st.recursive(
    python_scalar,
    lambda kids: st.one_of(st.lists(kids, max_size=5), st.dictionaries(key, kids, max_size=5)),
    max_leaves=20,
)
activation = st.dictionaries(st.sampled_from(VARIABLES), value, max_size=len(VARIABLES))


# --- the CEL properties ------------------------------------------------------------------------

SMALL = Environment(limits=Limits(max_cost=200_000, max_string_size=100_000, max_list_size=10_000))


def _check_expression(stats: Stats, src: str, data: Mapping[str, Any] | None, env: Environment | None = None) -> None:
    env = env or SMALL
    case = (src, data)
    start = time.process_time()
    try:
        with _Guard(CASE_SECONDS):
            try:
                compiled = outcome_of(lambda: celprice.compile(src, env, cache=False))
            except Exception as e:  # noqa: BLE001
                _finding(stats, "compile raised a non-CEL exception", case, f"{type(e).__name__}: {e}")
                return
            if compiled[0] != "ok":
                stats.note(compiled[0], time.process_time() - start, src)
                again = outcome_of(lambda: celprice.compile(src, env, cache=False))
                if not same_outcome(compiled, again):
                    _finding(stats, "compile is not deterministic", case, f"{compiled!r} vs {again!r}")
                return
            program = compiled[1]
            before = snapshot(data)
            try:
                first = outcome_of(lambda: program.evaluate(data))
                second = outcome_of(lambda: program.evaluate(data))
                third = outcome_of(lambda: celprice.compile(src, env, cache=False).evaluate(data))
            except Exception as e:  # noqa: BLE001
                _finding(stats, "evaluate raised a non-CEL exception", case, f"{type(e).__name__}: {e}")
                return
            stats.note(first[0], time.process_time() - start, src)
            if not same_outcome(first, second) or not same_outcome(first, third):
                _finding(stats, "evaluation is not deterministic", case, f"{first!r} / {second!r} / {third!r}")
            if first[0] == "ok" or first[0] == "CELEvaluationError":
                if "internal error" in str(first[1]):
                    _finding(stats, "internal error", case, str(first[1])[:300])
            if first[0] == "ok" and isinstance(first[1], (str, bytes)) and len(first[1]) > env.limits.max_string_size:
                text = first[1] if isinstance(first[1], str) else first[1].decode("latin-1")
                if text not in src and not any(isinstance(v, (str, bytes)) and first[1] == v
                                               for v in (data or {}).values()):
                    _finding(stats, "a built string exceeds max_string_size", case,
                             f"{len(first[1])} > {env.limits.max_string_size}")
            if data is not None and not same(data, before):
                _finding(stats, "evaluation mutated the activation", case, "")
            try:
                lo, hi = program.cost_estimate()
            except Exception as e:  # noqa: BLE001
                _finding(stats, "cost_estimate raised", case, f"{type(e).__name__}: {e}")
                return
            if not (isinstance(lo, int) and lo >= 0 and (hi is None or (isinstance(hi, int) and hi >= lo))):
                _finding(stats, "cost_estimate is not a range", case, f"{(lo, hi)!r}")
            elif hi is not None and hi < env.limits.max_cost and first[0] != "CELLimitError":
                bounded = Environment(limits=Limits(max_cost=hi, max_string_size=env.limits.max_string_size,
                                                    max_list_size=env.limits.max_list_size))
                kind, message = outcome_of(lambda: celprice.compile(src, bounded, cache=False).evaluate(data))
                if kind == "CELLimitError" and "max_cost" in message:
                    _finding(stats, "cost_estimate max is below the actual cost", case, f"max={hi}: {message}")
    except Hang as e:
        _finding(stats, "hang", case, str(e))


@PROFILE
@given(text=random_text)
def _random_text(text: str) -> None:
    _check_expression(STATS["random_text"], text, {"x": 1, "s": "a", "l": [1], "m": {"a": 1}})


@PROFILE
@given(src=cel_expression, ops=st.lists(st.tuples(st.integers(0, 2), st.integers(0, 10_000),
                                                   st.sampled_from(CEL_TOKENS)), min_size=1, max_size=3))
def _mutated_expressions(src: str, ops: list[tuple[int, int, str]]) -> None:
    _check_expression(STATS["mutated_expressions"], _mutate(src, ops), {"x": 1, "s": "abc", "l": [1, 2]})


@PROFILE
@given(src=cel_expression)
def _grammar_expressions(src: str) -> None:
    # A fixed, well-typed activation: many generated expressions then evaluate fully.
    data = {"x": 3, "y": 2.5, "s": "héllo, world", "l": [1, 2, 3], "m": {"a": 1, "b": [1, 2], "k": "v"},
            "b": b"\x00\xff", "n": None, "u": UInt(7), "t": Timestamp(1_700_000_000),
            "d": Duration(3600), "o": celprice.Optional.of(1)}
    _check_expression(STATS["grammar_expressions"], src, data)


@PROFILE
@given(src=typed_expression)
def _typed_expressions(src: str) -> None:
    _check_expression(STATS["typed_expressions"], src, TYPED_DATA)


TINY = Environment(limits=Limits(max_cost=100_000, max_string_size=32, max_list_size=8))


@PROFILE
@given(src=typed_expression)
def _typed_expressions_tiny_limits(src: str) -> None:
    # Tiny size limits: every builder's result must respect them.
    _check_expression(STATS["typed_tiny_limits"], src, TYPED_DATA, TINY)


@PROFILE
@given(src=cel_expression, data=activation)
def _expressions_with_random_activations(src: str, data: dict[str, Any]) -> None:
    _check_expression(STATS["random_activations"], src, data)


# --- time per cost unit (campaign only: it measures time) ----------------------------------

# Large inputs, so that input-sized work dominates: a formula doing much more
# work than it is charged shows up as a high CPU time per unit.
BIG_DATA = {
    "x": 7, "y": 2.5, "s": "héllo, wörld " * 8_000, "l": list(range(20_000)),
    "m": {str(i): i for i in range(20_000)},
}
_PER_UNIT_US = 5.0  # findings above this CPU time per unit (the calibrated worst is below 2)
_UNCHARGED_SLACK = 2_000  # nodes outside comprehensions run once and are not charged


@PROFILE
@given(src=typed_expression)
def _time_per_unit(src: str) -> None:
    stats = STATS["time_per_unit"]
    stats.cases += 1
    try:
        program = celprice.compile(src, cache=False)
    except CELError:
        stats.outcomes["compile error"] += 1
        return
    started = time.process_time()
    try:
        with _Guard(10):
            _, units = program.metered(BIG_DATA)
    except CELError:
        stats.outcomes["error"] += 1
        return
    except Hang as e:
        _finding(stats, "hang", src, str(e))
        return
    spent = time.process_time() - started
    stats.outcomes["value"] += 1
    if spent > stats.slowest[0]:
        stats.slowest = (spent, src)
    if spent * 1e6 > _PER_UNIT_US * (units + _UNCHARGED_SLACK):
        _finding(stats, "time per unit above the target", src,
                 f"{spent * 1e6 / max(units, 1):.1f} us/unit ({units} units in {spent:.3f} s)")


@pytest.mark.skipif(not CAMPAIGN, reason="measures time: campaign runs only (CELPRICE_FUZZ=1)")
def test_fuzz_time_per_unit() -> None:
    _run_campaign("time_per_unit", _time_per_unit)


def test_fuzz_random_text() -> None:
    _run_campaign("random_text", _random_text)


def test_fuzz_mutated_expressions() -> None:
    _run_campaign("mutated_expressions", _mutated_expressions)


def test_fuzz_grammar_expressions() -> None:
    _run_campaign("grammar_expressions", _grammar_expressions)


def test_fuzz_typed_expressions() -> None:
    _run_campaign("typed_expressions", _typed_expressions)


def test_fuzz_typed_tiny_limits() -> None:
    _run_campaign("typed_tiny_limits", _typed_expressions_tiny_limits)


def test_fuzz_random_activations() -> None:
    _run_campaign("random_activations", _expressions_with_random_activations)


def test_generated_expressions_are_mostly_valid() -> None:
    # Guard the generator itself: most of what it makes must parse, or the grammar
    # fuzzing would only exercise the parser's error paths.
    parsed = total = 0

    @settings(max_examples=200, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(src=cel_expression)
    def collect(src: str) -> None:
        nonlocal parsed, total
        total += 1
        try:
            celprice.compile(src, cache=False)
            parsed += 1
        except celprice.CELSyntaxError:
            pass
        except CELError:
            parsed += 1

    collect()
    assert parsed >= 0.8 * total, f"only {parsed} of {total} generated expressions parse"


# --- generator 4: pricing requests ---------------------------------------------------------------

VALID_REQUEST: dict[str, Any] = {
    "pricing": {
        "prices": {"per_image": 200000, "per_million": 150, "gpu": 2500},
        "inference_expression": "image_count(output_meta.outputs) * prices.per_image",
        "resource_expression": "",
        "royalty_expression": "double(text_tokens(outputs)) / 1000000.0 * double(prices.per_million)",
        "partner_expression": None,
        "total_expression": "",
        "description": "\"$\" + to_dollars(prices.per_image) + \" per image\"",
        "upstream_pricing": "note",
        "estimate": "{'min': prices.per_image, 'max': prices.per_image * get(task_inputs, 'num_images', 1)}",
    },
    "output_meta": {
        "inputs": [{"type": "text", "tokens": 12}],
        "outputs": [{"type": "image", "count": 2, "width": 1024, "height": 1024},
                    {"type": "text", "tokens": 1500, "extra": {"cached": True}}],
    },
    "resources": [{"name": "gpu-a100", "price_per_second": 2500}],
    "usage_seconds": 45,
    "task_inputs": {"prompt": "a cat", "num_images": 2},
    "task_function": "generate",
}

PRICING_NAMES = ["prices.per_image", "prices.gpu", "output_meta.outputs", "outputs", "inputs", "resources",
                 "usage_seconds", "elapsed_ms", "resource_ms", "task_inputs", "task_function", "resource_fee",
                 "inference_fee", "royalty_fee", "partner_fee", "resource_cost"]
PRICING_CALLS = ["image_count(outputs)", "text_tokens(outputs)", "video_seconds(outputs)", "audio_seconds(outputs)",
                 "count_type(outputs, 'image')", "first(outputs, 'text')", "get(task_inputs, 'num_images', 1)",
                 "sum(resources.map(r, r.price_per_second))", "max(1, 2.5)", "min(3, 4)", "ceil(1.2)",
                 "round(2.5)", "megapixels(1024, 768)", "pixels(10, 10)", "resolution(1920, 1080)",
                 "to_cents(12345)", "to_dollars(prices.per_image)", "floor(-0.5)"]

json_value = st.recursive(
    json_scalar | st.sampled_from([2**63, -(2**63) - 1, 1e300, -1.0, 0.5, math.nan, math.inf, "", "0"]),
    lambda kids: st.one_of(st.lists(kids, max_size=4), st.dictionaries(st.text(max_size=8), kids, max_size=4)),
    max_leaves=15,
)
pricing_expression = st.one_of(
    st.sampled_from(PRICING_NAMES + PRICING_CALLS + ["", "0", "-5", "1.5", "'text'", "null", "[1]", "1/0",
                                                     "9223372036854775807 + 1", "inference_fee * 2"]),
    st.tuples(st.sampled_from(PRICING_NAMES + PRICING_CALLS), st.sampled_from(["+", "-", "*", "/"]),
              st.sampled_from(PRICING_NAMES + PRICING_CALLS + ["2", "0.5", "1000000"])).map(" ".join),
    cel_expression,
    random_text,
)
EXPRESSION_FIELDS = ["inference_expression", "resource_expression", "royalty_expression", "partner_expression",
                     "total_expression", "description", "estimate"]


def _paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix]
    if isinstance(value, dict):
        for k, v in value.items():
            out.extend(_paths(v, prefix + (k,)))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out.extend(_paths(v, prefix + (i,)))
    return out


def _set_path(root: Any, path: tuple, new: Any, delete: bool) -> Any:
    if not path:
        return new
    parent = root
    for step in path[:-1]:
        parent = parent[step]
    if delete:
        if isinstance(parent, dict):
            parent.pop(path[-1], None)
        else:
            parent.pop(path[-1])
    else:
        parent[path[-1]] = new
    return root


@st.composite
def mutated_request(draw: st.DrawFn) -> Any:
    request = copy.deepcopy(VALID_REQUEST)
    for field in EXPRESSION_FIELDS:
        if draw(st.integers(0, 3)) == 0:
            request["pricing"][field] = draw(pricing_expression)
    for _ in range(draw(st.integers(0, 3))):
        paths = _paths(request)
        path = draw(st.sampled_from(paths))
        request = _set_path(request, path, draw(json_value), draw(st.booleans()) and bool(path))
    return request


pricing_request = st.one_of(mutated_request(), json_value, st.dictionaries(
    st.sampled_from(list(VALID_REQUEST) + ["elapsed_ms", "extra"]), json_value, max_size=7))

FEES = ["resource_fee", "inference_fee", "royalty_fee", "partner_fee", "total"]


def _check_response(stats: Stats, request: Any, response: Any) -> None:
    if not isinstance(response, dict):
        _finding(stats, "response is not a dict", request, repr(response)[:300])
        return
    if list(response) != FEES + ["description"]:
        _finding(stats, "response keys", request, repr(list(response)))
        return
    for name in FEES:
        entry = response[name]
        if not isinstance(entry, dict) or type(entry.get("value")) is not int:
            _finding(stats, "fee value is not an int", request, f"{name}: {entry!r}"[:300])
            continue
        v = entry["value"]
        if not 0 <= v <= 2**63 - 1:
            _finding(stats, "fee out of range", request, f"{name}: {v}")
        if set(entry) - {"value", "error"}:
            _finding(stats, "unexpected fee fields", request, f"{name}: {sorted(entry)}")
        if "error" in entry:
            if v != 0:
                _finding(stats, "failed fee is not 0", request, f"{name}: {entry!r}"[:300])
            if not isinstance(entry["error"], str) or "\n" in entry["error"] or not entry["error"]:
                _finding(stats, "error is not a one-line message", request, f"{name}: {entry['error']!r}"[:300])
    desc = response["description"]
    if not isinstance(desc, dict) or not isinstance(desc.get("value"), str):
        _finding(stats, "description value is not a string", request, repr(desc)[:300])
    elif "error" in desc and desc["value"] != "":
        _finding(stats, "failed description is not empty", request, repr(desc)[:300])


def _check_pricing(stats: Stats, request: Any) -> None:
    evaluate_pricing, request_error, estimate = pricing.evaluate_pricing, pricing.RequestError, pricing.estimate_pricing
    before = snapshot(request)
    start = time.process_time()
    try:
        with _Guard(CASE_SECONDS):
            try:
                first = outcome_of(lambda: evaluate_pricing(request), (request_error,))
                second = outcome_of(lambda: evaluate_pricing(request), (request_error,))
            except Exception as e:  # noqa: BLE001
                _finding(stats, "evaluate_pricing raised something other than RequestError", request,
                         f"{type(e).__name__}: {e}")
                return
            stats.note(first[0] if first[0] != "ok" else _response_kind(first[1]), time.process_time() - start,
                       repr(request))
            if not same_outcome(first, second):
                _finding(stats, "evaluate_pricing is not deterministic", request, f"{first!r} vs {second!r}"[:600])
            if not same(request, before):
                _finding(stats, "evaluate_pricing mutated the request", request, "")
            if first[0] == "ok":
                _check_response(stats, request, first[1])
            elif not first[1]:
                _finding(stats, "RequestError without a message", request, "")
            try:
                est = outcome_of(lambda: estimate(request), (request_error,))
            except Exception as e:  # noqa: BLE001
                _finding(stats, "estimate_pricing raised something other than RequestError", request,
                         f"{type(e).__name__}: {e}")
                return
            if est[0] == "ok" and (not isinstance(est[1], dict) or est[1].get("confidence") not in ("exact", "range", "unknown")):
                _finding(stats, "estimate_pricing response shape", request, repr(est[1])[:300])
    except Hang as e:
        _finding(stats, "hang", request, str(e))


def _response_kind(response: Any) -> str:
    if isinstance(response, dict) and any(isinstance(v, dict) and "error" in v for v in response.values()):
        return "ok-with-errors"
    return "ok"


@PROFILE
@given(request=pricing_request)
def _pricing_requests(request: Any) -> None:
    _check_pricing(STATS["pricing_requests"], request)


def test_fuzz_pricing_requests() -> None:
    _run_campaign("pricing_requests", _pricing_requests)


def test_valid_request_is_valid() -> None:
    # Guard the request generator: the base request must evaluate without errors.
    response = pricing.evaluate_pricing(copy.deepcopy(VALID_REQUEST))
    assert [k for k, v in response.items() if "error" in v] == [], response
    assert response["inference_fee"]["value"] == 400000
