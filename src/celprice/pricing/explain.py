"""The explanation tree (celprice.explanation) of one fee component, as the
engine evaluated it: the server's `POST /usage/cel/explain` and the ledger's
`Ledger.explain` both show it, so that a tree always agrees with its fee."""
from __future__ import annotations

import itertools
from typing import Any

from ..explanation import Step, explain
from .evaluator import PricingEngine

__all__ = ["explain_fee"]


def explain_fee(engine: PricingEngine, act: dict[str, Any], index: int) -> Step | None:
    """The tree of `engine.components[index]` for the task activation `act`,
    after `engine.run(act)`; None when the formula does not compile (the
    run's entry for it says why)."""
    part = engine.components[index]
    if part.program is None:
        return None
    variables = act
    if part.reads_fees:
        # The engine gave a formula reading `fees` only the components computed
        # before it; after the run `act["fees"]` holds them all, in that order,
        # as the engine made them (a failed one as its failed-fee error).
        variables = {**act, "fees": dict(itertools.islice(act["fees"].items(), index))}
    tree, _ = explain(part.program, variables)
    return tree
