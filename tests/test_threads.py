"""Thread safety: shared compiled programs evaluated from 8 threads at once give
exactly the sequential results, each evaluation has its own budget, and
compiling the same source concurrently is safe."""
from __future__ import annotations

import copy
import math
import random
import sys
import threading
from collections.abc import Callable, Mapping
from typing import Any

import pytest

import celprice
from celprice import CELError, Environment, Limits

pytestmark = pytest.mark.timeout(120)

THREADS = 8
ROUNDS = 6
# Programs are compiled with a small budget so that the cost-limit case fails fast;
# every other source stays far below it.
SMALL_BUDGET = Environment(limits=Limits(max_cost=100_000))

SOURCES = [
    # comprehensions
    "l.map(v, v * 2).filter(v, v % 3 == 0).size()",
    "l.all(v, v >= 0) && l.exists(v, v == 7) && l.exists_one(v, v == 8)",
    "m.transformMap(k, v, v + 1)",
    "l.map(v, l.filter(w, w < v).size())",
    "[1, 2, 3].map(a, [4, 5].map(b, a * b))",
    "l.transformList(i, v, i * v).size()",
    # bind
    "cel.bind(x, l.size(), cel.bind(y, x * x, [x, y, x + y]))",
    "cel.bind(s, 'ab', cel.bind(s, s + s, cel.bind(s, s + s, s + '!')))",
    # string building
    "l.map(v, string(v)).join(',')",
    "'%s-%d-%.2f'.format([name, size(l), 2.5])",
    "name.upperAscii() + ':' + name.reverse() + ':' + strings.quote(name)",
    "name.split('').map(c, c + c).join('')",
    "name.replace('a', 'AA').substring(1, 4)",
    "base64.encode(bytes(name + name))",
    # regex and maps
    "l.map(v, string(v)).filter(t, t.matches('^[13579]+$')).size()",
    "m.exists(k, k.matches('k[0-9]+')) && {'a': 1, 'b': 2}.all(k, k in ['a', 'b'])",
    "{1: 'a', true: 'b'}[true] + {1: 'a', true: 'b'}[1]",
    # errors (must be the same error every time)
    "l.map(v, 10 / (v - 5))",
    "m.missing + 1",
    "9223372036854775807 + size(l)",
    "l.map(v, l.map(w, l.map(u, v + w + u)))",  # cost limit (a small budget, see SMALL_BUDGET)
    # optionals, time, math
    "optional.of(m).optMap(z, z.k1).orValue(0)",
    "timestamp('2024-01-01T00:00:00Z') + duration(string(size(l)) + 's')",
    "math.greatest(l) + math.least(l)",
    "double(size(l)) / 3.0",
    "x == x",
]

ACTIVATION: dict[str, Any] = {
    "l": list(range(100)),
    "m": {f"k{i}": i for i in range(50)},
    "name": "banana",
    "x": math.nan,
}


def _same(a: Any, b: Any) -> bool:
    """NaN-aware, type-strict structural equality."""
    if type(a) is not type(b) and not (isinstance(a, Mapping) and isinstance(b, Mapping)):
        return False
    if isinstance(a, float):
        return (math.isnan(a) and math.isnan(b)) or a == b
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, Mapping):
        return len(a) == len(b) and all(k in b and _same(a[k], b[k]) for k in a)
    if isinstance(a, celprice.Optional):
        return a.has_value() == b.has_value() and (not a.has_value() or _same(a.value(), b.value()))
    return bool(a == b)


def _run(program: celprice.Program, activation: Mapping[str, Any]) -> tuple[str, Any]:
    try:
        return "ok", program.evaluate(activation)
    except CELError as e:
        return type(e).__name__, str(e)


def _same_outcome(a: tuple[str, Any], b: tuple[str, Any]) -> bool:
    return a[0] == b[0] and (_same(a[1], b[1]) if a[0] == "ok" else a[1] == b[1])


def _in_threads(work: Callable[[int], list[str]]) -> list[str]:
    """Run work(thread_index) on THREADS threads started together; collect problems."""
    barrier = threading.Barrier(THREADS)
    problems: list[str] = []
    lock = threading.Lock()

    def target(index: int) -> None:
        try:
            barrier.wait()
            found = work(index)
        except BaseException as e:  # noqa: BLE001 - anything escaping a thread is a finding
            found = [f"thread {index}: {type(e).__name__}: {e}"]
        with lock:
            problems.extend(found)

    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-4)  # switch threads often to shake out races
    try:
        threads = [threading.Thread(target=target, args=(i,)) for i in range(THREADS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(100)
        assert not any(t.is_alive() for t in threads), "a thread hung"
    finally:
        sys.setswitchinterval(old)
    return problems


def test_shared_programs_give_sequential_results() -> None:
    programs = [celprice.compile(src, SMALL_BUDGET, cache=False) for src in SOURCES]
    expected = [_run(p, ACTIVATION) for p in programs]
    assert sum(1 for kind, _ in expected if kind == "ok") >= len(SOURCES) - 6  # mostly values, some errors
    snapshot = copy.deepcopy({k: v for k, v in ACTIVATION.items() if k != "x"})

    def work(index: int) -> list[str]:
        rng = random.Random(index)
        found = []
        order = list(range(len(programs)))
        for _ in range(ROUNDS):
            rng.shuffle(order)
            for i in order:
                got = _run(programs[i], ACTIVATION)  # the same activation object in every thread
                if not _same_outcome(got, expected[i]):
                    found.append(f"{SOURCES[i]!r}: expected {expected[i]!r}, got {got!r}")
        return found

    problems = _in_threads(work)
    assert not problems, "\n".join(sorted(set(problems))[:20])
    assert _same({k: v for k, v in ACTIVATION.items() if k != "x"}, snapshot), "the shared activation was modified"


def test_each_evaluation_has_its_own_budget() -> None:
    # Each evaluation uses about 60% of the budget: if threads shared a budget
    # (or leaked one into another), some would fail with a limit error.
    env = Environment(limits=Limits(max_cost=10_000))
    program = celprice.compile("l.map(v, v + 1).size()", env, cache=False)
    activation = {"l": list(range(2_000))}
    assert program.evaluate(activation) == 2_000

    def work(index: int) -> list[str]:
        found = []
        for _ in range(60):
            try:
                if program.evaluate(activation) != 2_000:
                    found.append("wrong value")
            except CELError as e:
                found.append(f"{type(e).__name__}: {e}")
        return found

    problems = _in_threads(work)
    assert not problems, "\n".join(sorted(set(problems))[:10])


def test_each_evaluation_has_its_own_deadline() -> None:
    env = Environment(limits=Limits(max_cost=10**12, timeout=0.05))
    slow = celprice.compile("l.map(a, l.map(b, a + b)).size()", env, cache=False)
    fast = celprice.compile("l.size()", env, cache=False)
    activation = {"l": list(range(3_000))}

    def work(index: int) -> list[str]:
        found = []
        for _ in range(3):
            if index % 2:
                kind, message = _run(slow, activation)
                if kind != "CELLimitError" or "timeout" not in message:
                    found.append(f"slow: {kind}: {message}")
            else:
                for _ in range(50):
                    if _run(fast, activation) != ("ok", 3_000):
                        found.append("fast evaluation failed")
        return found

    problems = _in_threads(work)
    assert not problems, "\n".join(sorted(set(problems))[:10])


def test_concurrent_compilation_of_the_same_sources() -> None:
    # Through the shared compile cache and without it, and through the shared
    # regex cache: every thread must get working programs.
    expected = [_run(celprice.compile(src, SMALL_BUDGET, cache=False), ACTIVATION) for src in SOURCES]
    fresh = [f"{src} == {src}" for src in SOURCES[:8]]  # sources nobody compiled yet

    def work(index: int) -> list[str]:
        found = []
        for round_ in range(3):
            for i, src in enumerate(SOURCES):
                program = celprice.compile(src, SMALL_BUDGET, cache=bool((index + round_) % 2))
                got = _run(program, ACTIVATION)
                if not _same_outcome(got, expected[i]):
                    found.append(f"{src!r}: expected {expected[i]!r}, got {got!r}")
            for src in fresh:
                kind, _ = _run(celprice.compile(src), ACTIVATION)
                if kind not in ("ok", "CELEvaluationError", "CELLimitError", "NoSuchOverload"):
                    found.append(f"{src!r}: {kind}")
        return found

    problems = _in_threads(work)
    assert not problems, "\n".join(sorted(set(problems))[:20])


def test_shared_environment_with_custom_functions() -> None:
    calls = []
    lock = threading.Lock()

    def tally(v: int) -> int:
        with lock:
            calls.append(v)
        return v * 10

    env = Environment(functions=[celprice.Function("tally", [celprice.Overload(["int"], "int", tally)])])
    program = celprice.compile("l.map(v, tally(v)).size()", env, cache=False)

    def work(index: int) -> list[str]:
        found = []
        for _ in range(20):
            if program.evaluate({"l": [index] * 10}) != 10:
                found.append("wrong")
        return found

    problems = _in_threads(work)
    assert not problems
    assert len(calls) == THREADS * 20 * 10


FIRST_USE_SCRIPT = r"""
import sys, threading
import celprice
sources = %r
barrier = threading.Barrier(8)
results = [None] * 8
def work(i):
    barrier.wait()
    out = []
    for src in sources:
        try:
            out.append(("ok", repr(celprice.compile(src, cache=bool(i %% 2)).evaluate({"l": [1, 2, 3], "s": "abc"}))))
        except celprice.CELError as e:
            out.append((type(e).__name__, str(e)))
        except BaseException as e:
            out.append(("CRASH", f"{type(e).__name__}: {e}"))
    results[i] = out
threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
for t in threads: t.start()
for t in threads: t.join()
bad = [r for r in results if r != results[0]] + [x for x in results[0] if x[0] == "CRASH"]
print("OK" if not bad else f"MISMATCH {bad!r}"[:2000])
"""


def test_first_use_from_many_threads_in_a_fresh_process() -> None:
    # Lazy initialisation (the Lark parser, the standard library tables, the regex
    # and compile caches) raced by 8 threads in a process that has done nothing yet.
    import os
    import subprocess

    sources = ["l.map(v, v * 2)", "s.matches('b+')", "timestamp('2024-01-01T00:00:00Z').getHours('Europe/Paris')",
               "math.greatest(l)", "'%s'.format([l])", "base64.encode(bytes(s))", "s.split('').reverse()",
               "optional.of(1).orValue(2)", "{1: 'a', true: 'b'}.size()", "1 +"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [os.path.join(os.path.dirname(__file__), "..",
                                                                                   "src"), os.environ.get("PYTHONPATH")]))}
    result = subprocess.run([sys.executable, "-c", FIRST_USE_SCRIPT % (sources,)], capture_output=True, text=True,
                            timeout=100, env=env)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "OK", result.stdout[-2000:]
