"""Helpers shared by the adversarial tests."""
from __future__ import annotations

import contextlib
import math
import resource
import signal
import threading
from collections.abc import Iterator, Mapping
from typing import Any

import pytest

import celprice
from celprice import CELError, CELLimitError, Environment, Limits

# Every test also carries pytest-timeout's guard (tests/adversarial/*: 30 s); these
# helpers give a faster, clearer failure for the cases that are expected to be hard.


class Hang(BaseException):
    """The CPU-time guard fired (a BaseException, so the engine cannot swallow it)."""


@contextlib.contextmanager
def cpu_deadline(seconds: float) -> Iterator[None]:
    """Raise Hang when the block has used `seconds` of CPU time.

    Uses ITIMER_VIRTUAL / SIGVTALRM so it does not clash with pytest-timeout's
    SIGALRM. Only works on the main thread, which is where pytest runs tests.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def fire(signum: int, frame: Any) -> None:
        raise Hang(f"still running after {seconds} s of CPU time")

    previous = signal.signal(signal.SIGVTALRM, fire)
    signal.setitimer(signal.ITIMER_VIRTUAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_VIRTUAL, 0)
        signal.signal(signal.SIGVTALRM, previous)


def _vm_size() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


@contextlib.contextmanager
def memory_cap(extra: int = 1 << 30) -> Iterator[None]:
    """Cap this process's address space at its current size plus `extra` bytes.

    A memory bomb that the engine fails to stop then dies with a MemoryError
    (which the engine reports as an internal error, failing the test) instead of
    taking the machine down. The soft limit is restored afterwards.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    cap = _vm_size() + extra
    if hard != resource.RLIM_INFINITY:
        cap = min(cap, hard)
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def env(**limits: Any) -> Environment:
    """A dynamic environment (no declared variables) with custom limits."""
    return Environment(limits=Limits(**limits))


def evaluate(source: str, activation: Mapping[str, Any] | None = None, environment: Environment | None = None) -> Any:
    """Compile without the cache (hostile sources should not fill it) and evaluate."""
    return celprice.compile(source, environment, cache=False).evaluate(activation)


def outcome(source: str, activation: Mapping[str, Any] | None = None, environment: Environment | None = None) -> Any:
    """("ok", value) or ("error", exception); anything that is not a CELError propagates."""
    try:
        return "ok", evaluate(source, activation, environment)
    except CELError as e:
        str(e)  # formatting the message must not fail either
        return "error", e


def raises_limit(source: str, activation: Mapping[str, Any] | None = None, environment: Environment | None = None,
                 *, limit: str | None = None) -> CELLimitError:
    """Assert evaluation fails with CELLimitError (naming `limit` when given)."""
    with pytest.raises(CELLimitError) as info:
        evaluate(source, activation, environment)
    if limit is not None:
        assert limit in str(info.value), f"expected the {limit} limit, got: {info.value}"
    return info.value


def same(a: Any, b: Any) -> bool:
    """Structural equality that treats NaN as equal to NaN and tells -0.0 from 0.0,
    bool from int, and int from uint."""
    if type(a) is not type(b):
        if isinstance(a, Mapping) and isinstance(b, Mapping):
            pass
        else:
            return False
    if isinstance(a, float):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, Mapping):
        if len(a) != len(b):
            return False
        keys_a = [(type(k), k) for k in a]
        keys_b = {(type(k), k) for k in b}
        if set(keys_a) != keys_b:
            return False
        return all(same(a[k], b[k]) for _, k in keys_a)
    if isinstance(a, celprice.Optional):
        if a.has_value() != b.has_value():
            return False
        return not a.has_value() or same(a.value(), b.value())
    try:
        return bool(a == b)
    except Exception:  # a hostile Python object in an activation
        return a is b
