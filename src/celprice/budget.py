"""The evaluation budget: cost left, and the deadline.

An evaluation that needs one (it has comprehensions, or builds values) finds
it in its private copy of the activation under the key CTX, which no CEL
name can spell.
"""
from __future__ import annotations

import threading
import time
from typing import Any

from .limits import Limits, over_cost, over_time

__all__ = ["CTX", "Budget", "shared", "evaluating", "restore"]

CTX = "@ctx"


class Budget:
    """The evaluation's remaining cost, and its deadline."""

    __slots__ = ("left", "mark", "limits", "deadline")

    def __init__(self, limits: Limits) -> None:
        # Made for every evaluation that needs a budget: keep it cheap.
        self.limits = limits
        self.left = limits.max_cost
        if limits.timeout is None:
            self.deadline = None
            self.mark = 0
        else:
            self.deadline = time.monotonic() + limits.timeout
            self.mark = self._next_mark()

    def _next_mark(self) -> int:
        # Below `mark` the loop calls tick(): at 0 (over budget), or every
        # 1,000 units when there is a deadline to look at.
        return 0 if self.deadline is None else max(self.left - 1000, 0)

    def tick(self) -> None:
        if self.left < 0:
            raise over_cost(self.limits)
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise over_time(self.limits)
        self.mark = self._next_mark()

    @property
    def spent(self) -> int:
        return self.limits.max_cost - self.left

    def charge(self, units: int) -> None:
        self.left -= units
        if self.left < self.mark:
            self.tick()


class _Idle:
    """The slot's value outside an evaluation that shares a budget."""


_IDLE: Any = _Idle()


class _Slot(threading.local):
    budget: Any = _IDLE


# A program without local variables reads the caller's mapping directly, so
# it has nowhere to carry a budget; the operations in it that do input-sized
# work share one per evaluation from here instead, made on the first charge
# (Program.evaluate opens the slot around each evaluation of such a program).
_slot = _Slot()


def shared(limits: Limits) -> Budget:
    """The budget of the evaluation running in this thread without a scope of
    its own; outside one (an operation the compiler did not flag), a fresh
    budget for this operation alone."""
    b = _slot.budget
    if b is None:
        b = _slot.budget = Budget(limits)
    elif b is _IDLE:
        return Budget(limits)
    return b  # type: ignore[no-any-return]


def evaluating() -> Any:
    """Open the slot for one evaluation; returns what to restore afterwards
    (an evaluation may run inside another one, from a custom function)."""
    prev = _slot.budget
    _slot.budget = None
    return prev


def restore(prev: Any) -> None:
    _slot.budget = prev
