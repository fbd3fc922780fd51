#!/usr/bin/env python
"""What one cost unit is worth in time: every function and operator, timed per charged unit.

    python benchmarks/calibrate_cost.py                 # every row, ~3 minutes
    python benchmarks/calibrate_cost.py --quick         # 5 repeats instead of 41
    python benchmarks/calibrate_cost.py --only 'join|split' --markdown table.md

The budget (`Limits.max_cost`, default 1,000,000 units) bounds an evaluation's
time only if no operation does more work per unit than the others. For each
function and operator of the standard library, its extensions and the pricing
helpers, this runs `l.map(x, CALL).size()` (a comprehension over `l`, so that
even a constant-cost call is charged its nodes) on inputs of growing size,
with a budget large enough never to stop it, and divides the wall time by the
units the evaluation was charged (`Program.metered`). A row's figure is the
worst over its sizes; the table sorts rows worst first. The target is at most
2 us per unit: then the default budget bounds any evaluation to about 2 s.

Every name in the registries (the default environment's and the pricing
environment's) must have a row: a name without one is listed at the end as
uncalibrated, and the run exits with status 1.

Wall time includes machine load (the reference machine is shared): each
timed evaluation charges about --units units (a few milliseconds, so a run
often fits in one scheduler slice), each measurement is the minimum over
--repeats runs, and CPU time is reported beside it. An operation whose one
call on the largest input charges more than --units is timed as one call.
"""
from __future__ import annotations

import argparse
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from workload import ensure_celprice_importable  # noqa: E402

ensure_celprice_importable()

import celprice  # noqa: E402
from celprice import Environment, Limits  # noqa: E402
from celprice.pricing.environment import pricing_environment  # noqa: E402
from celprice.program import default_environment  # noqa: E402

TARGET_US = 2.0
UNLIMITED = Limits(max_cost=10**13, max_string_size=1 << 24, max_list_size=1 << 22)

Data = Callable[[int], dict[str, Any]]


@dataclass(frozen=True)
class Row:
    """One calibrated operation: a CEL expression over variables built for size n."""

    name: str  # the function or operator as the registry names it
    expr: str  # evaluated once per element of `l`
    data: Data  # the variables for input size n (`l` is added)
    sizes: tuple[int, ...] = (10, 1_000, 100_000)
    pricing: bool = False  # needs the pricing environment


def s_(n: int) -> dict[str, Any]:
    return {"s": "ab" * (n // 2) + "c", "t": "ab" * (n // 2) + "d"}


def spaces(n: int) -> dict[str, Any]:
    return {"s": " " * n + "x"}


def digits(n: int) -> dict[str, Any]:
    return {"s": "1" * min(n, 18), "d": "1" * min(n, 300) + "." + "5" * n, "z": " " * n}


def lst(n: int) -> dict[str, Any]:
    return {"v": list(range(n)), "w": list(range(n)), "strs": ["ab"] * n, "empty": [""] * n}


def maps(n: int) -> dict[str, Any]:
    m = {str(i): i for i in range(n)}
    m[0] = "zero"
    return {"m": m, "m2": dict(m), "nested": [{"a": [i, i]} for i in range(n)], "nested2": [{"a": [i, i]} for i in range(n)]}


def outs(n: int) -> dict[str, Any]:
    items = [{"type": "image", "count": 1, "tokens": 3, "seconds": 1.5, "extra": {"k": 1, "flag": True, "s": "x"}}] * n
    return {"outputs": items, "task_inputs": {str(i): i for i in range(n)} | {"flag": True, "name": "x"}}


def none(n: int) -> dict[str, Any]:
    return {}


def durations(n: int) -> dict[str, Any]:
    return {"s": "1h" * (n // 2 + 1), "f": "0." + "1" * min(n, 4000) + "s"}


def stamps(n: int) -> dict[str, Any]:
    return {"s": "2024-01-01T00:00:00." + "1" * 9 + "Z", "tz": "America/New_York", "off": "+" + "0" * 1 + "1:00",
            "ts": celprice.compile("timestamp('2024-01-01T00:00:00Z')").evaluate()}


def b64(n: int) -> dict[str, Any]:
    import base64

    raw = b"ab" * (n // 2)
    return {"b": raw, "e": base64.b64encode(raw).decode()}


CONST = (10,)
ROWS: list[Row] = [
    # --- strings (standard and the strings extension) ---
    Row("contains", "s.contains('zz')", s_),
    Row("startsWith", "s.startsWith(t)", s_),
    Row("endsWith", "s.endsWith(t)", s_),
    Row("indexOf", "s.indexOf('zz')", s_),
    Row("lastIndexOf", "s.lastIndexOf('zz')", s_),
    Row("matches", "s.matches('(a|b)+d')", s_),
    Row("matches", "s.matches(x % 2 == 0 ? '(a|b)+d' : 'c(d|e)')", s_, sizes=(10, 1_000, 10_000)),  # run-time pattern
    Row("charAt", "s.charAt(1)", s_),
    Row("lowerAscii", "s.lowerAscii()", s_),
    Row("upperAscii", "s.upperAscii()", s_),
    Row("trim", "s.trim()", spaces),
    Row("reverse", "s.reverse()", s_),
    Row("replace", "s.replace('a', 'xy')", s_),
    Row("split", "s.split('b')", s_),
    Row("split", "s.split('')", s_),
    Row("substring", "s.substring(1)", s_),
    Row("join", "strs.join('-')", lst),
    Row("join", "empty.join('')", lst),
    Row("format", "'%s %d'.format([s, x])", s_),
    Row("format", "'%s'.format([v])", lst),
    Row("strings.quote", "strings.quote(s)", s_),
    Row("base64.encode", "base64.encode(b)", b64),
    Row("base64.decode", "base64.decode(e)", b64),
    # --- conversions ---
    Row("size", "size(s)", s_),
    Row("int", "int(s)", digits),
    Row("uint", "uint(s)", digits),
    Row("double", "double(d)", digits),
    Row("double", "double(x)", none, sizes=CONST),
    Row("bool", "bool(b)", lambda n: {"b": "true"}, sizes=CONST),
    Row("string", "string(x)", none, sizes=CONST),
    Row("string", "string(b)", b64),
    Row("bytes", "bytes(s)", s_),
    Row("dyn", "dyn(s)", s_),
    Row("type", "type(s)", s_),
    Row("timestamp", "timestamp(s)", stamps, sizes=CONST),
    Row("duration", "duration(s)", durations),
    Row("duration", "duration(f)", durations),
    # --- time ---
    *(Row(m, f"ts.{m}(tz)", stamps, sizes=CONST) for m in (
        "getFullYear", "getMonth", "getDayOfYear", "getDayOfMonth", "getDate", "getDayOfWeek",
        "getHours", "getMinutes", "getSeconds", "getMilliseconds")),
    Row("getHours", "ts.getHours(off)", stamps, sizes=CONST),
    # --- operators ---
    Row("_+_", "x + 1", none, sizes=CONST),
    Row("_+_", "s + t", s_),
    Row("_+_", "v + w", lst),
    Row("_-_", "x - 1", none, sizes=CONST),
    Row("_*_", "x * 3", none, sizes=CONST),
    Row("_/_", "x / 3", none, sizes=CONST),
    Row("_%_", "x % 3", none, sizes=CONST),
    Row("-_", "-x", none, sizes=CONST),
    Row("!_", "!(x > 1)", none, sizes=CONST),
    Row("_&&_", "x > 1 && x < 5", none, sizes=CONST),
    Row("_||_", "x > 1 || x < 5", none, sizes=CONST),
    Row("_?_:_", "x > 1 ? 1 : 2", none, sizes=CONST),
    Row("_==_", "s == t", s_),
    Row("_==_", "v == w", lst),
    Row("_==_", "nested == nested2", maps, sizes=(10, 1_000, 30_000)),
    Row("_==_", "m == m2", maps, sizes=(10, 1_000, 30_000)),
    Row("_!=_", "v != w", lst),
    Row("_<_", "s < t", s_),
    Row("_<=_", "s <= t", s_),
    Row("_>_", "s > t", s_),
    Row("_>=_", "s >= t", s_),
    Row("_[_]", "v[0]", lst),
    Row("_[_]", "m[0]", maps),
    Row("_[_]", "m['1']", maps),
    Row("@in", "x in v", lst),
    Row("@in", "-1 in v", lst),
    Row("@in", "true in m", maps),
    Row("@in", "[x] in nested", maps, sizes=(10, 1_000, 30_000)),
    # --- macros ---
    Row("map", "v.map(y, y)", lst, sizes=(10, 1_000)),
    Row("filter", "v.filter(y, y > 0)", lst, sizes=(10, 1_000)),
    Row("all", "v.all(y, y >= 0)", lst, sizes=(10, 1_000)),
    Row("exists", "v.exists(y, y < 0)", lst, sizes=(10, 1_000)),
    Row("exists_one", "v.exists_one(y, y == 0)", lst, sizes=(10, 1_000)),
    Row("has", "has(m.a)", maps, sizes=CONST),
    Row("cel.bind", "cel.bind(y, x, y + 1)", none, sizes=CONST),
    # --- math extension ---
    Row("math.greatest", "math.greatest(v)", lst),
    Row("math.least", "math.least(v)", lst),
    *(Row(f"math.{f}", f"math.{f}(2.5)", none, sizes=CONST) for f in (
        "ceil", "floor", "round", "trunc", "abs", "sign", "isNaN", "isInf", "isFinite", "sqrt")),
    *(Row(f"math.{f}", f"math.{f}(x, 3)", none, sizes=CONST) for f in (
        "bitAnd", "bitOr", "bitXor", "bitShiftLeft", "bitShiftRight")),
    Row("math.bitNot", "math.bitNot(x)", none, sizes=CONST),
    # --- optionals ---
    Row("optional.of", "optional.of(x)", none, sizes=CONST),
    Row("optional.ofNonZeroValue", "optional.ofNonZeroValue(v)", lst),
    Row("optional.none", "optional.none()", none, sizes=CONST),
    Row("hasValue", "optional.of(x).hasValue()", none, sizes=CONST),
    Row("value", "optional.of(x).value()", none, sizes=CONST),
    Row("or", "optional.none().or(optional.of(x))", none, sizes=CONST),
    Row("orValue", "optional.none().orValue(x)", none, sizes=CONST),
    # --- the opt-in extensions (sets, lists, regex) and the optional list helpers ---
    Row("distinct", "v.distinct()", lst),
    Row("flatten", "[v, w].flatten()", lst),
    Row("lists.range", "lists.range(size(v))", lst),
    Row("slice", "v.slice(0, size(v))", lst),
    Row("sort", "v.sort()", lst),
    Row("reverse", "v.reverse()", lst),
    Row("sets.contains", "sets.contains(v, w)", lst),
    Row("sets.equivalent", "sets.equivalent(v, w)", lst),
    Row("sets.intersects", "sets.intersects(v, [-1])", lst),
    Row("regex.extract", "regex.extract(s, 'c')", s_),
    Row("regex.extractAll", "regex.extractAll(s, 'ab')", s_),
    Row("regex.replace", "regex.replace(s, 'a', 'x')", s_),
    Row("first", "v.first()", lst),
    Row("last", "v.last()", lst),
    Row("optional.unwrap", "optional.unwrap(opts)", lambda n: {"opts": [celprice.Optional.none()] * n}),
    Row("unwrapOpt", "opts.unwrapOpt()", lambda n: {"opts": [celprice.Optional.of(1)] * n}),
    # --- pricing helpers ---
    Row("image_count", "image_count(outputs)", outs, pricing=True),
    Row("text_tokens", "text_tokens(outputs)", outs, pricing=True),
    Row("video_seconds", "video_seconds(outputs)", outs, pricing=True),
    Row("audio_seconds", "audio_seconds(outputs)", outs, pricing=True),
    Row("count_type", "count_type(outputs, 'image')", outs, pricing=True),
    Row("first", "first(outputs, 'video')", outs, pricing=True),
    Row("sum", "sum(outputs.map(o, 1))", outs, pricing=True, sizes=(10, 1_000)),
    Row("get", "get(task_inputs, '1', 0)", outs, pricing=True),
    Row("get", "get(task_inputs, 0, 0)", outs, pricing=True),
    Row("get_extra", "get_extra(outputs[0], 'k', 0)", outs, pricing=True),
    Row("get_bool", "get_bool(task_inputs, 'flag', false)", outs, pricing=True),
    Row("get_string", "get_string(task_inputs, 'name', '')", outs, pricing=True),
    *(Row(f, f"{f}(x, 3.5)", none, pricing=True, sizes=CONST) for f in (
        "min", "max", "megapixels", "pixels", "resolution")),
    *(Row(f, f"{f}(double(x) * 1.5)", none, pricing=True, sizes=CONST) for f in (
        "ceil", "floor", "round", "to_cents", "to_dollars")),
]

# Names the compiler evaluates itself (macros) rather than the registry.
MACROS = {"map", "filter", "all", "exists", "exists_one", "has", "cel.bind"}


@dataclass
class Result:
    row: Row
    worst_us: float  # wall us per charged unit, worst over sizes
    worst_cpu_us: float
    at_size: int
    units: int  # charged at that size


def _environments() -> tuple[Environment, Environment]:
    extended = Environment(limits=UNLIMITED, extensions=("sets", "lists", "regex"))
    return extended, pricing_environment("total", limits=UNLIMITED, check=False)


def measure(row: Row, repeats: int, budget: int, plain: Environment, pricing: Environment) -> Result:
    worst: Result | None = None
    for n in row.sizes:
        data = row.data(n)
        # About `budget` units per evaluation: an iteration costs at least one.
        # The pricing environment declares its variables: the range rides in task_inputs.
        rng = "task_inputs.l" if row.pricing else "l"
        prog = celprice.compile(f"{rng}.map(x, {row.expr}).size()", pricing if row.pricing else plain, cache=False)

        def activation(k: int) -> dict[str, Any]:
            l = list(range(1, k + 1))
            if row.pricing:
                return {**data, "task_inputs": {**data.get("task_inputs", {}), "l": l}}
            return {**data, "l": l}

        _, per = prog.metered(activation(1))
        iterations = max(1, min(budget // max(per, 1), 200_000))
        act = activation(iterations)
        best_wall = best_cpu = float("inf")
        units = 0
        for _ in range(repeats):
            w0, c0 = time.perf_counter(), time.process_time()
            _, units = prog.metered(act)
            w1, c1 = time.perf_counter(), time.process_time()
            best_wall, best_cpu = min(best_wall, w1 - w0), min(best_cpu, c1 - c0)
        us, cpu_us = best_wall * 1e6 / units, best_cpu * 1e6 / units
        if worst is None or us > worst.worst_us:
            worst = Result(row, us, cpu_us, n, units)
    assert worst is not None
    return worst


def uncalibrated() -> list[str]:
    covered = {r.name for r in ROWS}
    names: set[str] = set()
    for env in _environments():
        names |= {e.name for e in env.registry.entries()}
    names |= set(default_environment().registry.functions) | set(default_environment().registry.methods)
    return sorted(names - covered - MACROS)


def table(results: list[Result]) -> str:
    lines = [
        "| function / operator | expression (per element of `l`) | worst wall us/unit | CPU us/unit | at size | units charged |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for r in results:
        expr = r.row.expr.replace("|", "\\|")
        name = r.row.name.replace("|", "\\|")
        lines.append(f"| `{name}` | `{expr}` | {r.worst_us:.3f} | {r.worst_cpu_us:.3f} | {r.at_size:,} | {r.units:,} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="5 repeats instead of 41")
    parser.add_argument("--only", help="regular expression: rows whose name or expression match")
    parser.add_argument("--markdown", help="write the table to this file")
    parser.add_argument("--repeats", type=int, default=41)
    parser.add_argument("--units", type=int, default=5_000, help="units charged per timed evaluation (short runs: on a shared machine the minimum of many short runs is the least disturbed)")
    args = parser.parse_args(argv)
    repeats, budget = (5, 5_000) if args.quick else (args.repeats, args.units)
    plain, pricing = _environments()
    rows = [r for r in ROWS if not args.only or re.search(args.only, f"{r.name} {r.expr}")]
    started = time.perf_counter()
    measured, failed = [], []
    for r in rows:
        try:
            measured.append(measure(r, repeats, budget, plain, pricing))
        except celprice.CELError as e:
            failed.append(f"{r.name} `{r.expr}`: {str(e).splitlines()[0]}")
    results = sorted(measured, key=lambda r: -r.worst_us)
    elapsed = time.perf_counter() - started
    text = table(results)
    print(text)
    worst = results[0] if results else None
    print()
    print(f"{len(results)} rows in {elapsed:.0f} s; target {TARGET_US} us/unit")
    if worst is not None:
        verdict = "meets" if worst.worst_us <= TARGET_US else "MISSES"
        print(f"worst: {worst.row.name} `{worst.row.expr}` {worst.worst_us:.3f} us/unit ({verdict} the target)")
    for f in failed:
        print("failed:", f)
    missing = uncalibrated()
    if missing and not args.only:
        print("uncalibrated (no row):", ", ".join(missing))
    if args.markdown:
        Path(args.markdown).write_text(text + "\n")
    return 1 if failed or (missing and not args.only) else 0


if __name__ == "__main__":
    sys.exit(main())
