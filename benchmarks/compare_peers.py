#!/usr/bin/env python
"""Time celprice against the other CEL engines for Python on the pricing workload.

    python benchmarks/compare_peers.py                 # full run (a few minutes)
    python benchmarks/compare_peers.py --quick         # fewer/shorter batches
    python benchmarks/compare_peers.py --cases 'stress|llm' --json out.json

Libraries (a missing one is reported and skipped):

    celprice                     this project (pure Python, compiles to closures)
    cel-expr-python              Google's cel-cpp bindings      (import cel_expr_python.cel)
    common-expression-language   Rust 'cel' crate via PyO3      (import cel)
    cel-python                   pure Python interpreter        (import celpy)

Method, the same for every library, all in this one process:

* Each case's standard-CEL ``expression`` is compiled once per library, then
  evaluated once and the result compared with the case's ``expected`` (value and
  CEL kind). A library that fails to compile, raises, or gives another result is
  reported for that case and left out of that case's ratios; nothing is fatal.
* The timed call takes the case's activation as plain Python dicts/lists and
  returns a plain Python value, so converting the activation into the library's
  own value types (and the result back) is inside the timed call:
  celprice ``program.evaluate(act)``; cel-expr-python ``expr.eval(data=act).value()``
  (all variables declared ``dyn``); cel ``program.execute(act)``; cel-python
  ``runner.evaluate({k: json_to_cel(v) for k, v in act.items()})``.
* A batch is N back-to-back calls with the garbage collector disabled, N chosen
  so that one batch lasts about --batch-ms. Time is this process's CPU time
  (``time.process_time``) by default, so other processes on a busy machine
  inflate it far less than wall time; ``--clock wall`` uses ``perf_counter``. The batches of all libraries for a
  case are interleaved (rotating order), so machine noise hits them alike. The
  per-call time reported is the median over the batches.
* Cold compile: source string -> evaluable program, no caches (celprice
  ``compile(src, cache=False)`` with the default environment and no declared
  variables; cel-expr-python ``env.compile(src)`` on a prebuilt all-dyn env;
  cel ``compile(src)``; cel-python ``env.program(env.compile(src))`` on a
  prebuilt Environment). Cached compile: celprice ``compile(src)`` on a hit.
"""
from __future__ import annotations

import argparse
import gc
import json
import math
import os
import platform
import re
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).resolve().parent))

from workload import (  # noqa: E402
    describe_mismatch,
    ensure_celprice_importable,
    evaluate_pricing_function,
    example_requests,
    load_workload,
    pricing_compiler,
    same_response,
    same_result,
)

ensure_celprice_importable()

import celprice  # noqa: E402

REFERENCE = "cel-expr-python"  # the peer the targets are stated against

# ---------------------------------------------------------------------------
# Library adapters
# ---------------------------------------------------------------------------


@dataclass
class Library:
    name: str
    import_name: str
    version: str = "?"
    available: bool = False
    error: str = ""
    # compile(source) -> program ; evaluator(program) -> fn(activation) -> python value
    compile: Callable[[str], Any] | None = None
    evaluator: Callable[[Any], Callable[[dict], Any]] | None = None


def _dist_version(dist: str) -> str:
    try:
        from importlib.metadata import version

        return version(dist)
    except Exception:
        return "?"


def make_celprice(variables: list[str]) -> Library:
    lib = Library("celprice", "celprice", version=celprice.__version__, available=True)
    lib.compile = lambda src: celprice.compile(src, cache=False)
    lib.evaluator = lambda prog: prog.evaluate
    return lib


def make_cel_expr_python(variables: list[str]) -> Library:
    lib = Library("cel-expr-python", "cel_expr_python.cel")
    try:
        from cel_expr_python import cel as gcel
    except Exception as e:  # ImportError, or a broken binary wheel
        lib.error = f"not installed ({type(e).__name__}: {e})"
        return lib
    env = gcel.NewEnv(variables={v: gcel.Type.DYN for v in variables})
    lib.available = True
    lib.version = _dist_version("cel-expr-python")
    lib.compile = env.compile

    def evaluator(expr: Any) -> Callable[[dict], Any]:
        ev = expr.eval
        return lambda act: ev(data=act).value()

    lib.evaluator = evaluator
    return lib


def make_cel_rust(variables: list[str]) -> Library:
    lib = Library("cel (rust)", "cel")
    try:
        import cel as rcel

        compile_ = rcel.compile
    except Exception as e:
        lib.error = f"not installed ({type(e).__name__}: {e})"
        return lib
    lib.available = True
    lib.version = _dist_version("common-expression-language")
    lib.compile = compile_
    lib.evaluator = lambda prog: prog.execute
    return lib


def make_celpy(variables: list[str]) -> Library:
    lib = Library("cel-python", "celpy")
    try:
        import celpy
        from celpy.adapter import json_to_cel
    except Exception as e:
        lib.error = f"not installed ({type(e).__name__}: {e})"
        return lib
    env = celpy.Environment()
    lib.available = True
    lib.version = _dist_version("cel-python")
    lib.compile = lambda src: env.program(env.compile(src))

    def evaluator(runner: Any) -> Callable[[dict], Any]:
        ev = runner.evaluate
        return lambda act: ev({k: json_to_cel(v) for k, v in act.items()})

    lib.evaluator = evaluator
    return lib


LIBRARY_FACTORIES = [make_celprice, make_cel_expr_python, make_cel_rust, make_celpy]
DIST_NAMES = {
    "celprice": "celprice",
    "cel-expr-python": "cel-expr-python",
    "cel (rust)": "common-expression-language",
    "cel-python": "cel-python",
}

# ---------------------------------------------------------------------------
# Timing
# ---------------------------------------------------------------------------


CLOCKS = {"cpu": time.process_time, "wall": time.perf_counter}
CLOCK: Callable[[], float] = time.process_time


def run_batch(fn: Callable[[Any], Any], arg: Any, n: int) -> float:
    """Mean seconds per call over n back-to-back calls, gc disabled."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        perf = CLOCK
        t0 = perf()
        for _ in range(n):
            fn(arg)
        t1 = perf()
    finally:
        if was_enabled:
            gc.enable()
    return (t1 - t0) / n


def calibrate(fn: Callable[[Any], Any], arg: Any, batch_seconds: float) -> int:
    """Calls per batch so that one batch lasts about batch_seconds."""
    n = 1
    while True:
        t = run_batch(fn, arg, n) * n
        if t >= batch_seconds / 10 or n >= 1 << 24:
            break
        n *= 4
    per_call = max(t / n, 1e-9)
    return max(1, int(batch_seconds / per_call))


@dataclass
class Timing:
    median: float  # seconds per call
    minimum: float
    spread: float  # (p75 - p25) / median over batches
    batches: int
    calls_per_batch: int


def time_interleaved(
    fns: dict[str, tuple[Callable[[Any], Any], Any]], batches: int, batch_seconds: float, max_seconds: float
) -> dict[str, Timing]:
    """Time several callables on their argument, batches interleaved round-robin."""
    if not fns:
        return {}
    sizes = {k: calibrate(fn, arg, batch_seconds) for k, (fn, arg) in fns.items()}
    samples: dict[str, list[float]] = {k: [] for k in fns}
    keys = list(fns)
    start = time.perf_counter()
    for b in range(batches):
        order = keys[b % len(keys):] + keys[: b % len(keys)]
        for k in order:
            fn, arg = fns[k]
            samples[k].append(run_batch(fn, arg, sizes[k]))
        if b >= 2 and time.perf_counter() - start > max_seconds:
            break
    out = {}
    for k, s in samples.items():
        med = statistics.median(s)
        if len(s) >= 4:
            q = statistics.quantiles(s, n=4)
            spread = (q[2] - q[0]) / med if med else 0.0
        else:
            spread = (max(s) - min(s)) / med if med else 0.0
        out[k] = Timing(med, min(s), spread, len(s), sizes[k])
    return out


def geomean(values: list[float]) -> float | None:
    values = [v for v in values if v and v > 0]
    if not values:
        return None
    return math.exp(sum(math.log(v) for v in values) / len(values))


def us(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    v = seconds * 1e6
    if v >= 1000:
        return f"{v:,.0f}"
    if v >= 100:
        return f"{v:.0f}"
    if v >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}"


def ratio(x: float | None) -> str:
    if x is None:
        return "—"
    if x < 0.01:
        return f"{x:.4f}x"
    if x < 0.1:
        return f"{x:.3f}x"
    return f"{x:.2f}x" if x < 10 else f"{x:.1f}x"


def warm_up(seconds: float) -> None:
    """Spin so the CPU leaves any idle/low-frequency state before the first batch."""
    end = time.perf_counter() + seconds
    x = 0
    while time.perf_counter() < end:
        for i in range(1000):
            x += i


def short_error(e: BaseException) -> str:
    text = f"{type(e).__name__}: {e}".replace("\n", " ")
    return text if len(text) <= 110 else text[:107] + "..."


# ---------------------------------------------------------------------------
# The run
# ---------------------------------------------------------------------------


@dataclass
class CaseResult:
    name: str
    category: str
    times: dict[str, float | None] = field(default_factory=dict)
    status: dict[str, str] = field(default_factory=dict)
    spread: dict[str, float] = field(default_factory=dict)
    compile_times: dict[str, float | None] = field(default_factory=dict)
    cached_compile: float | None = None
    pricing_time: float | None = None
    pricing_status: str = ""


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def prepare(lib: Library, case: dict) -> tuple[Callable[[dict], Any] | None, str]:
    """Compile and check one case on one library: (evaluator, status)."""
    try:
        prog = lib.compile(case["expression"])
    except Exception as e:
        return None, "compile error: " + short_error(e)
    fn = lib.evaluator(prog)
    try:
        got = fn(case["activation"])
    except Exception as e:
        return None, "evaluation error: " + short_error(e)
    if not same_result(got, case["expected"]):
        return None, "wrong result: " + describe_mismatch(got, case["expected"])
    return fn, "ok"


def run(args: argparse.Namespace) -> dict[str, Any]:
    workload = load_workload(args.workload)
    variables = workload["variables"]
    cases = workload["cases"]
    if args.cases:
        pat = re.compile(args.cases)
        cases = [c for c in cases if pat.search(c["name"]) or pat.search(c.get("category", ""))]
        if not cases:
            raise SystemExit(f"no case matches {args.cases!r}")

    libs = [make(variables) for make in LIBRARY_FACTORIES]
    if args.libs:
        wanted = {x.strip() for x in args.libs.split(",")}
        libs = [lib for lib in libs if lib.name in wanted or lib.import_name in wanted or lib.name == "celprice"]
    available = [lib for lib in libs if lib.available]
    for lib in libs:
        log(f"{lib.name:28s} {lib.version if lib.available else 'MISSING: ' + lib.error}")

    batch_s = args.batch_ms / 1000
    warm_up(0.5 if args.quick else 1.0)
    results: list[CaseResult] = []
    pricing_compile = pricing_compiler()

    for i, case in enumerate(cases, 1):
        res = CaseResult(case["name"], case.get("category", ""))
        act = case["activation"]
        fns: dict[str, tuple[Callable, Any]] = {}
        for lib in libs:
            if not lib.available:
                res.status[lib.name] = "missing"
                res.times[lib.name] = None
                continue
            fn, status = prepare(lib, case)
            res.status[lib.name] = status
            if fn is not None:
                fns[lib.name] = (fn, act)
        timings = time_interleaved(fns, args.batches, batch_s, args.max_case_seconds)
        for lib in libs:
            t = timings.get(lib.name)
            res.times[lib.name] = t.median if t else None
            if t:
                res.spread[lib.name] = t.spread

        # Cold compile of the same source, every library that compiled it.
        cfns = {}
        for lib in available:
            if res.status.get(lib.name, "").startswith("compile error"):
                continue
            cfns[lib.name] = (lib.compile, case["expression"])
        ctimes = time_interleaved(cfns, args.compile_batches, batch_s, args.max_case_seconds)
        for lib in available:
            t = ctimes.get(lib.name)
            res.compile_times[lib.name] = t.median if t else None

        # celprice's compile cache (a hit) and the pricing dialect formula.
        extra: dict[str, tuple[Callable, Any]] = {}
        try:
            celprice.compile(case["expression"])
            extra["cached"] = (lambda s: celprice.compile(s), case["expression"])
        except celprice.CELError:
            pass
        if "pricing_expression" in case:
            if pricing_compile is None:
                res.pricing_status = "pricing environment not available"
            else:
                try:
                    pprog = pricing_compile(case["pricing_expression"])
                    got = pprog.evaluate(act)
                    if same_result(got, case["expected"]):
                        extra["pricing"] = (pprog.evaluate, act)
                        res.pricing_status = "ok"
                    else:
                        res.pricing_status = "wrong result: " + describe_mismatch(got, case["expected"])
                except Exception as e:
                    res.pricing_status = "error: " + short_error(e)
        etimes = time_interleaved(extra, args.compile_batches, batch_s, args.max_case_seconds)
        if "cached" in etimes:
            res.cached_compile = etimes["cached"].median
        if "pricing" in etimes:
            res.pricing_time = etimes["pricing"].median

        log(
            f"[{i:2d}/{len(cases)}] {case['name']:36s} "
            + "  ".join(f"{lib.name}={us(res.times.get(lib.name))}" for lib in available)
        )
        results.append(res)

    # Scaling: the same formula at 100 and 1000 items. The two sizes are timed
    # interleaved (per library), so a change in machine load between the two
    # cases' slots in the main loop does not distort the growth factor.
    scaling_times: dict[str, dict[str, dict[int, float]]] = {}
    by_prefix: dict[str, dict[int, dict]] = {}
    for case in cases:
        m = re.match(r"^(.*)_(\d+)$", case["name"])
        if m:
            by_prefix.setdefault(m.group(1), {})[int(m.group(2))] = case
    for prefix, sized in by_prefix.items():
        if 100 not in sized or 1000 not in sized:
            continue
        scaling_times[prefix] = {}
        for lib in available:
            pair = {}
            for n in (100, 1000):
                fn, status = prepare(lib, sized[n])
                if fn is not None:
                    pair[n] = (fn, sized[n]["activation"])
            if len(pair) == 2:
                t = time_interleaved(pair, args.batches, batch_s, args.max_case_seconds)
                scaling_times[prefix][lib.name] = {n: t[n].median for n in pair}
                log(f"scaling {prefix} {lib.name}: x{t[1000].median / t[100].median:.2f}")

    # Full evaluate_pricing on the example requests.
    examples_out = []
    evaluate_pricing = evaluate_pricing_function()
    for name, request, expected in example_requests():
        entry: dict[str, Any] = {"name": name, "time": None, "status": ""}
        if evaluate_pricing is None:
            entry["status"] = "celprice.pricing.evaluate_pricing not available"
        else:
            try:
                response = evaluate_pricing(request)
                entry["total"] = response.get("total") if isinstance(response, dict) else None
                if expected is not None and not same_response(response, expected):
                    entry["status"] = f"response differs from {name}.expected.json: {response!r}"[:200]
                    examples_out.append(entry)
                    continue
                t = time_interleaved({"ep": (evaluate_pricing, request)}, args.batches, batch_s, args.max_case_seconds)
                entry["time"] = t["ep"].median
                entry["min"] = t["ep"].minimum
                entry["status"] = "ok"
            except Exception as e:
                entry["status"] = "error: " + short_error(e)
        examples_out.append(entry)

    return summarise(args, libs, results, examples_out, pricing_compile is not None, scaling_times)


def summarise(
    args: argparse.Namespace,
    libs: list[Library],
    results: list[CaseResult],
    examples: list[dict[str, Any]],
    have_pricing: bool,
    scaling_times: dict[str, dict[str, dict[int, float]]],
) -> dict[str, Any]:
    names = [lib.name for lib in libs if lib.available]
    peers = [n for n in names if n != "celprice"]

    eval_geo = {n: geomean([r.times[n] for r in results if r.times.get(n)]) for n in names}
    eval_ratio = {}
    for p in peers:
        pairs = [r.times["celprice"] / r.times[p] for r in results if r.times.get("celprice") and r.times.get(p)]
        eval_ratio[p] = geomean(pairs)
    comp_geo = {n: geomean([r.compile_times.get(n) for r in results if r.compile_times.get(n)]) for n in names}
    comp_ratio = {}
    for p in peers:
        pairs = [
            r.compile_times["celprice"] / r.compile_times[p]
            for r in results
            if r.compile_times.get("celprice") and r.compile_times.get(p)
        ]
        comp_ratio[p] = geomean(pairs)
    cached = [r.cached_compile for r in results if r.cached_compile]

    # Scaling groups: same expression at 100 and 1000 items, named <prefix>_<N>.
    by_name = {r.name: r for r in results}
    scaling = {}
    for prefix, per_lib in scaling_times.items():
        r1000 = by_name.get(f"{prefix}_1000")
        scaling[prefix] = {
            "t100": {n: per_lib[n][100] for n in per_lib},
            "t1000": {n: per_lib[n][1000] for n in per_lib},
            "growth": {n: per_lib[n][1000] / per_lib[n][100] for n in per_lib},
            # the cross-library comparison at 1000 items comes from the main,
            # library-interleaved run of that case
            "t1000_main": {n: r1000.times.get(n) for n in names} if r1000 else {},
        }

    targets = compute_targets(results, eval_ratio, comp_ratio, cached, scaling, examples)

    return {
        "machine": {
            "platform": platform.platform(),
            "python": sys.version.split()[0],
            "implementation": platform.python_implementation(),
            "cpu": _cpu_model(),
            "cores": os.cpu_count(),
            "loadavg_at_end": _loadavg(),
        },
        "settings": {
            "quick": args.quick,
            "batches": args.batches,
            "compile_batches": args.compile_batches,
            "batch_ms": args.batch_ms,
            "clock": args.clock,
            "cases": args.cases,
        },
        "libraries": {
            lib.name: {
                "distribution": DIST_NAMES.get(lib.name, lib.name),
                "import": lib.import_name,
                "version": lib.version if lib.available else None,
                "available": lib.available,
                "error": lib.error,
            }
            for lib in libs
        },
        "cases": [
            {
                "name": r.name,
                "category": r.category,
                "eval_us": {n: _us(r.times.get(n)) for n in names},
                "status": r.status,
                "spread": r.spread,
                "compile_us": {n: _us(r.compile_times.get(n)) for n in names},
                "cached_compile_us": _us(r.cached_compile),
                "pricing_expression_us": _us(r.pricing_time),
                "pricing_status": r.pricing_status,
            }
            for r in results
        ],
        "eval_geomean_us": {n: _us(v) for n, v in eval_geo.items()},
        "eval_ratio_celprice_to": eval_ratio,
        "compile_geomean_us": {n: _us(v) for n, v in comp_geo.items()},
        "compile_ratio_celprice_to": comp_ratio,
        "cached_compile_us": {"geomean": _us(geomean(cached)), "max": _us(max(cached) if cached else None)},
        "pricing_expression_geomean_us": _us(geomean([r.pricing_time for r in results if r.pricing_time])),
        "have_pricing_environment": have_pricing,
        "scaling": {
            k: {kk: {n: (_us(x) if kk != "growth" else x) for n, x in vv.items()} for kk, vv in v.items()}
            for k, v in scaling.items()
        },
        "evaluate_pricing_examples": [
            {**e, "time": None, "min": None, "us": _us(e["time"]), "min_us": _us(e.get("min"))} for e in examples
        ],
        "targets": targets,
    }


def _us(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1e6, 4)


def _loadavg() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except (OSError, AttributeError):
        return None


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def compute_targets(results, eval_ratio, comp_ratio, cached, scaling, examples) -> list[dict[str, Any]]:
    ref = REFERENCE
    out = []

    def add(name: str, met: bool | None, value: str) -> None:
        out.append({"target": name, "met": met, "value": value})

    r = eval_ratio.get(ref)
    add("evaluation geomean <= 0.5x cel-expr-python", None if r is None else r <= 0.5, ratio(r))

    per_case = [
        (x.times["celprice"] / x.times[ref], x.name) for x in results if x.times.get("celprice") and x.times.get(ref)
    ]
    if per_case:
        worst, worst_name = max(per_case)
        slow = sum(1 for v, _ in per_case if v > 1.5)
        add(
            "no case slower than 1.5x cel-expr-python",
            worst <= 1.5,
            f"worst {ratio(worst)} ({worst_name}); {slow} of {len(per_case)} cases over 1.5x",
        )
    else:
        add("no case slower than 1.5x cel-expr-python", None, "—")

    for prefix, s in scaling.items():
        g = s["growth"].get("celprice")
        add(f"{prefix}: 1000-item <= 12x the 100-item time", None if g is None else g <= 12, ratio(g))
        t_cp, t_ref = s["t1000_main"].get("celprice"), s["t1000_main"].get(ref)
        speed = (t_ref / t_cp) if t_cp and t_ref else None
        add(
            f"{prefix}: 1000-item >= 10x faster than cel-expr-python",
            None if speed is None else speed >= 10,
            f"{ratio(speed)} faster ({us(t_cp)} vs {us(t_ref)} µs)" if speed else "—",
        )

    c = comp_ratio.get(ref)
    add("cold compile geomean <= 3x cel-expr-python", None if c is None else c <= 3, ratio(c))
    # Issue 19 tightened both, to hold in the same run.
    add("cold compile geomean <= 2x cel-expr-python (issue 19)", None if c is None else c <= 2, ratio(c))
    add("evaluation geomean <= 0.30x cel-expr-python (issue 19)", None if r is None else r <= 0.30, ratio(r))

    if cached:
        add(
            "cached compile < 2 µs",
            max(cached) < 2e-6,
            f"geomean {us(geomean(cached))} µs, max {us(max(cached))} µs",
        )
    else:
        add("cached compile < 2 µs", None, "—")

    image = [e for e in examples if "image" in e["name"] and e["time"]]
    if image:
        t = image[0]["time"]
        add(
            "evaluate_pricing(image example) < 30 µs",
            t < 30e-6,
            f"{us(t)} µs median, {us(image[0]['min'])} µs best batch ({image[0]['name']})",
        )
    else:
        why = "no examples/*image*.json" if not any("image" in e["name"] for e in examples) else "evaluate_pricing failed"
        add("evaluate_pricing(image example) < 30 µs", None, f"not measured ({why})")
    return out


# ---------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------


def print_report(report: dict[str, Any]) -> None:
    libs = report["libraries"]
    names = [n for n, v in libs.items() if v["available"]]
    peers = [n for n in names if n != "celprice"]
    m = report["machine"]
    print(f"\nMachine: {m['cpu']}, {m['cores']} cores, {m['implementation']} {m['python']}, {m['platform']}")
    if m.get("loadavg_at_end"):
        print(f"Load average at the end of the run: {m['loadavg_at_end']} (other work on the machine adds noise)")
    s = report["settings"]
    print(
        f"Settings: {s['batches']} batches (compile: {s['compile_batches']}) of ~{s['batch_ms']} ms, "
        f"{s.get('clock', 'wall')} clock, median per call, gc off inside a batch, activation conversion included"
    )
    print("Libraries: " + ", ".join(
        f"{n} {v['version']}" if v["available"] else f"{n} MISSING ({v['error']})" for n, v in libs.items()
    ))

    def us_(v: float | None) -> str:
        return us(None if v is None else v / 1e6)

    # Evaluation table
    print("\nEvaluation, µs per call (lower is better); ratio = celprice time / peer time (< 1: celprice faster)\n")
    w = max(len(c["name"]) for c in report["cases"]) if report["cases"] else 10
    header = f"{'case':{w}s} " + " ".join(f"{n:>16s}" for n in names) + " " + " ".join(
        f"{'cp/' + n:>20s}" for n in peers
    )
    print(header)
    print("-" * len(header))
    failures = []
    for c in report["cases"]:
        row = f"{c['name']:{w}s} "
        for n in names:
            v = c["eval_us"].get(n)
            row += f"{(us_(v) if v is not None else 'FAIL'):>16s} "
            if v is None and c["status"].get(n) not in (None, "ok", "missing"):
                failures.append((c["name"], n, c["status"][n]))
        cp = c["eval_us"].get("celprice")
        for p in peers:
            pv = c["eval_us"].get(p)
            row += f"{(ratio(cp / pv) if cp and pv else '—'):>20s} "
        print(row.rstrip())
    print("-" * len(header))
    geo = report["eval_geomean_us"]
    row = f"{'geomean':{w}s} " + " ".join(f"{us_(geo.get(n)):>16s}" for n in names) + " "
    row += " ".join(f"{ratio(report['eval_ratio_celprice_to'].get(p)):>20s}" for p in peers)
    print(row.rstrip())
    if failures:
        print("\nFailures (excluded from that case's ratios):")
        for case, lib, status in failures:
            print(f"  {case}: {lib}: {status}")

    # Compile
    print("\nCold compile (source -> program, no cache), geomean over cases, µs")
    cg = report["compile_geomean_us"]
    for n in names:
        extra = "" if n == "celprice" else f"   celprice/{n} = {ratio(report['compile_ratio_celprice_to'].get(n))}"
        print(f"  {n:28s} {us_(cg.get(n)):>10s}{extra}")
    cc = report["cached_compile_us"]
    print(f"  celprice cached compile (hit): geomean {us_(cc['geomean'])} µs, max {us_(cc['max'])} µs")

    # Scaling
    for prefix, sc in report["scaling"].items():
        print(f"\nScaling {prefix}: 100 items -> 1000 items (µs, growth factor; the two sizes timed interleaved)")
        for n in names:
            t100, t1000, g = sc["t100"].get(n), sc["t1000"].get(n), sc["growth"].get(n)
            print(f"  {n:28s} {us_(t100):>10s} -> {us_(t1000):>10s}   x{g:.2f}" if g else f"  {n:28s} —")
        cp, ref = sc["t1000_main"].get("celprice"), sc["t1000_main"].get(REFERENCE)
        if cp and ref:
            print(f"  celprice is {ref / cp:.1f}x faster than {REFERENCE} at 1000 items")

    # celprice extras
    print("\nPricing dialect (pricing_expression through celprice's pricing environment), µs")
    if not report["have_pricing_environment"]:
        print("  not measured: celprice.pricing has no pricing environment yet (TODO issue 4)")
    else:
        for c in report["cases"]:
            if c["pricing_status"]:
                v = c["pricing_expression_us"]
                core = c["eval_us"].get("celprice")
                extra = f"   (core expression {us_(core)})" if core else ""
                print(f"  {c['name']:{w}s} {us_(v) if v else c['pricing_status']:>10s}{extra if v else ''}")
        print(f"  geomean {us_(report['pricing_expression_geomean_us'])}")
    print("\nFull evaluate_pricing on examples/*.json, µs")
    if not report["evaluate_pricing_examples"]:
        print("  no example requests in examples/*.json")
    for e in report["evaluate_pricing_examples"]:
        if e["us"]:
            print(f"  {e['name']:28s} {us_(e['us']):>10s}   (best batch {us_(e['min_us'])})")
        else:
            print(f"  {e['name']:28s} {e['status']}")

    # Targets
    print("\nTargets (issues 4 and 19)")
    for t in report["targets"]:
        mark = {True: "MET  ", False: "UNMET", None: "n/a  "}[t["met"]]
        print(f"  [{mark}] {t['target']}: {t['value']}")


def markdown_report(report: dict[str, Any]) -> str:
    """The result tables as Markdown (for docs/performance.md)."""
    libs = report["libraries"]
    names = [n for n, v in libs.items() if v["available"]]
    peers = [n for n in names if n != "celprice"]
    out: list[str] = []

    def us_(v: float | None) -> str:
        return us(None if v is None else v / 1e6)

    m = report["machine"]
    out.append(
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['implementation']} {m['python']}; "
        f"load average at the end {m.get('loadavg_at_end')}. "
        + "Libraries: "
        + ", ".join(f"{n} {v['version']}" if v["available"] else f"{n} missing" for n, v in libs.items())
        + ".\n"
    )
    out.append("| case | " + " | ".join(names) + " | " + " | ".join(f"celprice / {p}" for p in peers) + " |")
    out.append("|---|" + "---:|" * (len(names) + len(peers)))
    failures = []
    for c in report["cases"]:
        cells = []
        for n in names:
            v = c["eval_us"].get(n)
            cells.append(us_(v) if v is not None else "fail")
            if v is None:
                failures.append(f"- {c['name']}, {n}: {c['status'].get(n, '')}")
        cp = c["eval_us"].get("celprice")
        for p in peers:
            pv = c["eval_us"].get(p)
            r = cp / pv if cp and pv else None
            cells.append(("**" + ratio(r) + "**") if r is not None and r > 1 else ratio(r))
        out.append(f"| {c['name']} | " + " | ".join(cells) + " |")
    geo = report["eval_geomean_us"]
    out.append(
        "| **geomean** | "
        + " | ".join(f"**{us_(geo.get(n))}**" for n in names)
        + " | "
        + " | ".join(f"**{ratio(report['eval_ratio_celprice_to'].get(p))}**" for p in peers)
        + " |"
    )
    out.append("")
    if failures:
        out.append("Failures (left out of that case's ratios):\n")
        out.extend(failures)
        out.append("")
    out.append("Cold compile (source to program, no cache), geometric mean over the cases:\n")
    out.append("| library | µs | celprice / library |")
    out.append("|---|---:|---:|")
    for n in names:
        r = "" if n == "celprice" else ratio(report["compile_ratio_celprice_to"].get(n))
        out.append(f"| {n} | {us_(report['compile_geomean_us'].get(n))} | {r} |")
    cc = report["cached_compile_us"]
    out.append(f"\ncelprice cached compile (a cache hit): geomean {us_(cc['geomean'])} µs, max {us_(cc['max'])} µs.\n")
    for prefix, sc in report["scaling"].items():
        out.append(f"Scaling of `{prefix}` from 100 to 1,000 output items (the two sizes timed interleaved):\n")
        out.append("| library | 100 items µs | 1,000 items µs | growth |")
        out.append("|---|---:|---:|---:|")
        for n in names:
            if n in sc["growth"]:
                out.append(f"| {n} | {us_(sc['t100'][n])} | {us_(sc['t1000'][n])} | x{sc['growth'][n]:.2f} |")
        out.append("")
    if report["have_pricing_environment"]:
        out.append("Pricing dialect: `pricing_expression` through `pricing_environment('total')` "
                   "(celprice only), next to the same formula in standard CEL:\n")
        out.append("| case | pricing_expression µs | expression µs |")
        out.append("|---|---:|---:|")
        for c in report["cases"]:
            if c["pricing_status"]:
                v = c["pricing_expression_us"]
                out.append(f"| {c['name']} | {us_(v) if v else c['pricing_status']} | {us_(c['eval_us'].get('celprice'))} |")
        out.append(f"| **geomean** | **{us_(report['pricing_expression_geomean_us'])}** | |\n")
    if report["evaluate_pricing_examples"]:
        out.append("Full `evaluate_pricing(request)` on `examples/*.json`:\n")
        out.append("| example | median µs | best batch µs |")
        out.append("|---|---:|---:|")
        for e in report["evaluate_pricing_examples"]:
            if e["us"]:
                out.append(f"| {e['name']} | {us_(e['us'])} | {us_(e['min_us'])} |")
            else:
                out.append(f"| {e['name']} | {e['status']} | |")
        out.append("")
    out.append("Targets:\n")
    out.append("| target | met | value |")
    out.append("|---|---|---|")
    for t in report["targets"]:
        mark = {True: "yes", False: "**no**", None: "n/a"}[t["met"]]
        out.append(f"| {t['target']} | {mark} | {t['value']} |")
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer and shorter batches (a rough number in ~1 min)")
    ap.add_argument("--cases", metavar="PATTERN", help="regular expression searched in case names/categories")
    ap.add_argument("--libs", help="comma-separated subset of peers to run (celprice always runs)")
    ap.add_argument("--json", metavar="OUT", help="save the full results as JSON")
    ap.add_argument("--markdown", metavar="OUT", help="save the result tables as Markdown")
    ap.add_argument("--from-json", metavar="IN", help="do not measure: print (and --markdown) a saved --json run")
    ap.add_argument("--workload", help="workload JSON (default: benchmarks/pricing_workload.json)")
    ap.add_argument("--batches", type=int, help="timed batches per case and library (default 15, quick 5)")
    ap.add_argument("--compile-batches", type=int, help="batches for compile timings (default 7, quick 3)")
    ap.add_argument("--batch-ms", type=float, help="target duration of one batch in ms (default 20, quick 5)")
    ap.add_argument(
        "--clock",
        choices=sorted(CLOCKS),
        default="cpu",
        help="cpu: this process's CPU time (default; robust to other processes on a busy machine); wall: perf_counter",
    )
    ap.add_argument("--max-case-seconds", type=float, default=20.0, help="stop adding batches after this long")
    args = ap.parse_args(argv)
    if args.batches is None:
        args.batches = 5 if args.quick else 15
    if args.compile_batches is None:
        args.compile_batches = 3 if args.quick else 7
    if args.batch_ms is None:
        args.batch_ms = 5.0 if args.quick else 20.0

    global CLOCK
    CLOCK = CLOCKS[args.clock]
    if args.from_json:
        with open(args.from_json, encoding="utf-8") as f:
            report = json.load(f)
    else:
        started = time.time()
        report = run(args)
        report["elapsed_seconds"] = round(time.time() - started, 1)
    print_report(report)
    if args.json and not args.from_json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(report, f, indent=1)
        print(f"\nsaved {args.json}")
    if args.markdown:
        with open(args.markdown, "w", encoding="utf-8") as f:
            f.write(markdown_report(report))
        print(f"saved {args.markdown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
