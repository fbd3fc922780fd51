"""The evaluation budget: cost left, and the deadline.

An evaluation that needs one (it has comprehensions, or builds values) finds
it in its private copy of the activation under the key CTX, which no CEL
name can spell.
"""
from __future__ import annotations

import time

from .limits import Limits, over_cost, over_time

__all__ = ["CTX", "Budget"]

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

    def charge(self, units: int) -> None:
        self.left -= units
        if self.left < self.mark:
            self.tick()
