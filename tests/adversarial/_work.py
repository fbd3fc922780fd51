"""A work counter for the cost-model tests: what an evaluation was charged,
and how much work it really did, counted where the work happens.

The charge is read from the evaluation's budgets (every Budget made while
evaluating is recorded). The work is counted by wrapping the library's
workers while a test runs, so the production code carries no counter:

- `walked`: values visited by deep equality and membership (`_Equality.equal`);
- `items`: output-meta items read by the pricing helpers (`_item`);
- `parsed`: code points handed to the duration and timestamp parsers;
- `probes`: key comparisons made by a map lookup (`_Probe.__eq__`).

A test asserts `charged >= work`: the budget was charged at least the work
done, so a budget of N units bounds the work to N, whatever the input.
"""
from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest

import celprice
from celprice import access, budget, program
from celprice.pricing import functions as helpers
from celprice.stdlib import operators, time as cel_time


@dataclass
class Tally:
    """What one counted run was charged and did."""

    budgets: list[budget.Budget] = field(default_factory=list)
    work: Counter[str] = field(default_factory=Counter)

    @property
    def charged(self) -> int:
        return sum(b.spent for b in self.budgets)

    @property
    def done(self) -> int:
        return sum(self.work.values())


@contextlib.contextmanager
def counting() -> Iterator[Tally]:
    """Count charges and work of the evaluations run inside the block (compile
    outside it: compile-time folding has a budget of its own)."""
    tally = Tally()
    mp = pytest.MonkeyPatch()

    class Recorded(budget.Budget):
        __slots__ = ()

        def __init__(self, limits: celprice.Limits) -> None:
            super().__init__(limits)
            tally.budgets.append(self)

    equal = operators._Equality.equal

    def walked(self: Any, left: Any, right: Any) -> bool:
        tally.work["walked"] += 1
        return equal(self, left, right)

    item = helpers._item

    def read(fn: str, items: Any, i: int) -> Mapping:
        tally.work["items"] += 1
        return item(fn, items, i)

    def parser(name: str) -> None:
        original = getattr(cel_time, name)

        def parse(text: str) -> Any:
            tally.work["parsed"] += len(text)
            return original(text)

        mp.setattr(cel_time, name, parse)

    probe_eq = access._Probe.__eq__

    def probe(self: Any, other: object) -> bool:
        tally.work["probes"] += 1
        return probe_eq(self, other)

    try:
        mp.setattr(budget, "Budget", Recorded)
        mp.setattr(program, "Budget", Recorded)
        mp.setattr(operators._Equality, "equal", walked)
        mp.setattr(helpers, "_item", read)
        mp.setattr(access._Probe, "__eq__", probe)
        parser("parse_duration")
        parser("parse_timestamp")
        yield tally
    finally:
        mp.undo()


def run(prog: celprice.Program, activation: Mapping[str, Any] | None = None) -> tuple[Tally, Any]:
    """Evaluate a compiled program under the counter: (tally, value or CELError)."""
    with counting() as tally:
        try:
            value: Any = prog.evaluate(activation)
        except celprice.CELError as e:
            value = e
    return tally, value
