"""Deep expressions: any max_nesting_depth works on every supported Python without
touching the process's recursion limit (celprice/stack.py; docs/architecture.md,
"Deep expressions")."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from typing import Any, Callable

import pytest

import celprice
from celprice import CELEvaluationError, CELSyntaxError, Limits

DEEP = Limits(max_nesting_depth=6000, max_expression_length=40_000)


def _run_child(script: str) -> subprocess.CompletedProcess[str]:
    # A crash of the interpreter (Python 3.10 overflowing the C stack once the
    # recursion limit was raised) kills the child, not pytest, and fails here.
    src_dir = os.path.join(os.path.dirname(__file__), "..", "..", "src")
    environ = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [src_dir, os.environ.get("PYTHONPATH")]))}
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)], capture_output=True, text=True, timeout=240, env=environ
    )


def test_depth_5000_on_the_main_thread_does_not_crash_the_interpreter() -> None:
    # The 3.10 regression: Environment() raised the recursion limit to 5 frames a
    # level and the 8 MiB main-thread stack overflowed (SIGSEGV) before it.
    result = _run_child(
        """
        import sys, celprice
        limits = celprice.Limits(max_nesting_depth=6000, max_expression_length=40000)
        checked = celprice.Environment(variables={"x": "int", "b": "bool"}, limits=limits)
        unchecked = celprice.Environment(limits=limits)
        cases = [
            (unchecked, "-" * 4999 + "x", -1),
            (checked, "x+(" * 2499 + "x" + ")" * 2499, 2500),
            (checked, "b && " * 4999 + "b", True),
        ]
        for env, src, expected in cases:
            got = celprice.compile(src, env, cache=False).evaluate({"x": 1, "b": True})
            assert got == expected, (src[:20], got)
        print("ok", sys.getrecursionlimit())
        """
    )
    assert result.returncode == 0, (result.returncode, result.stderr[-2000:])
    assert result.stdout.split() == ["ok", "1000"], (result.stdout, result.stderr[-2000:])


def test_environment_leaves_the_recursion_limit_alone() -> None:
    before = sys.getrecursionlimit()
    celprice.Environment(limits=Limits(max_nesting_depth=100_000))
    celprice.Environment()
    assert sys.getrecursionlimit() == before


def _at_stack_depth(frames: int, fn: Callable[[], Any]) -> Any:
    return fn() if frames == 0 else _at_stack_depth(frames - 1, fn)


@pytest.mark.parametrize("caller_frames", [0, 500, 900])
def test_deep_expression_under_a_deep_caller(caller_frames: int) -> None:
    # Whatever the caller has used of the stack, a deep expression gets the room it needs.
    env = celprice.Environment(variables={"x": "int"}, limits=DEEP)
    src = "x+(" * 1999 + "x" + ")" * 1999
    program = _at_stack_depth(caller_frames, lambda: celprice.compile(src, env, cache=False))
    assert _at_stack_depth(caller_frames, lambda: program.evaluate({"x": 2})) == 4000
    assert _at_stack_depth(caller_frames, program.cost_estimate)[0] > 0


def test_errors_from_deep_inside_keep_their_position() -> None:
    # Raised on a worker thread, the error still reaches the caller with its location.
    env = celprice.Environment(limits=DEEP)
    src = "-(" * 2999 + "x / 0" + ")" * 2999
    with pytest.raises(CELEvaluationError, match="divide by zero") as info:
        celprice.compile(src, env, cache=False).evaluate({"x": 1})
    assert info.value.offset == src.index("/")


def test_undeclared_name_deep_inside_is_a_check_error() -> None:
    env = celprice.Environment(variables={"x": "int"}, limits=DEEP)
    with pytest.raises(celprice.CELCheckError, match="undeclared reference to 'y'"):
        celprice.compile("-" * 3000 + "y", env, cache=False)


def test_deeply_nested_types_are_a_clean_syntax_error() -> None:
    # A 5,000-deep list has a 5,000-deep type; the type algebra recurses on it
    # without the stack checks, and says so instead of crashing.
    env = celprice.Environment(variables={"x": "int"}, limits=DEEP)
    with pytest.raises(CELSyntaxError, match="nests too deeply"):
        celprice.compile("[" * 4999 + "x" + "]" * 4999, env, cache=False)


def test_explaining_a_deep_expression_under_a_deep_caller() -> None:
    # `celprice explain` renders and evaluates every subexpression; with 600
    # frames already used, 150 levels (4 frames each) need a fresh thread.
    from celprice.explanation import explain

    env = celprice.Environment(limits=DEEP)
    program = celprice.compile("-" * 149 + "x", env)
    step, error = _at_stack_depth(600, lambda: explain(program, {"x": 1}))
    assert error is None
    assert step.value == -1
    depth = 0
    while step.children:
        (step,) = step.children
        depth += 1
    assert depth == 149 and step.text == "x"
