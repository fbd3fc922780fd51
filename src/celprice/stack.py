"""Deep expressions without touching the interpreter's recursion limit.

Checking, compiling, rendering and evaluating recurse once per level of
nesting, up to 4 Python frames a level (measured in docs/architecture.md,
"Deep expressions"). Rather than raising the process-wide recursion limit
(which on Python 3.10 lets a deep expression overflow the C stack and kill
the process), every recursive pass checks the stack at most LEVELS levels
apart (`crossing`), and when the current thread lacks room for LEVELS
more levels it carries on in a fresh thread with a known stack size, waiting
for it. A thread never holds more than MAX_FRAMES frames of celprice's
recursion, whatever the recursion limit is, so the C stack of any thread
holds it. Expressions shallower than LEVELS never check anything.
"""
from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from .ast import Node

__all__ = ["LEVELS", "crossing", "low", "resume", "deep", "guard"]

T = TypeVar("T")

LEVELS = 32  # levels of nesting between two looks at the stack
_FRAMES_PER_LEVEL = 6  # the most any pass uses is 4 (measured); the rest is margin
_NEEDED = LEVELS * _FRAMES_PER_LEVEL + 64  # frames one stretch of LEVELS levels may use
MAX_FRAMES = 1000  # CPython's default limit: a thread's default C stack holds it
STACK_SIZE = 4 * 1024 * 1024  # of the threads started here: 8x what 1,000 frames took on 3.10
_start_lock = threading.Lock()


def crossing(node: Node) -> bool:
    """Whether a child of `node` is in a lower band of LEVELS depths: the nodes a
    pass checks the stack at. Along any path there are at most LEVELS levels
    between two of them, whatever parentheses do to depths (a parenthesised
    group counts as a level without a node of its own)."""
    band = node.depth // LEVELS
    return band > 0 and any(child.depth // LEVELS < band for child in node.children())


def low() -> bool:
    """Whether this thread lacks room for LEVELS more levels of nesting."""
    budget = min(sys.getrecursionlimit(), MAX_FRAMES) - _NEEDED
    if budget <= 0:
        return False  # a limit set this low: recurse here, and a RecursionError says so
    try:
        sys._getframe(budget)
    except ValueError:
        return False  # fewer than `budget` frames on the stack
    return True


def resume(fn: Callable[..., T], *args: Any) -> T:
    """fn(*args) on a fresh thread with an empty stack, waiting for its result
    (or its exception, raised here)."""
    outcome: list[Any] = []

    def run() -> None:
        try:
            outcome.append((True, fn(*args)))
        except BaseException as e:  # handed to the waiting thread, which raises it
            outcome.append((False, e))

    worker = threading.Thread(target=run, name="celprice-deep", daemon=True)
    with _start_lock:
        # stack_size() applies to threads started after it: set it only around this start.
        previous = threading.stack_size(STACK_SIZE)
        try:
            worker.start()
        finally:
            threading.stack_size(previous)
    worker.join()
    ok, value = outcome[0]
    if not ok:
        raise value
    result: T = value
    return result


def deep(fn: Callable[..., T], *args: Any) -> T:
    """fn(*args), on a fresh thread if this one is short of stack."""
    if low():
        return resume(fn, *args)
    return fn(*args)


def guard(code: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """A compiled closure that checks the stack before it runs: the compiler puts
    one every LEVELS levels of a deep expression (shallow ones get none)."""

    def guarded(a: Any) -> Any:
        if low():
            return resume(code, a)
        return code(a)

    return guarded
