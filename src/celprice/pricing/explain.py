"""The explanation tree (celprice.explanation) of one fee component, as the
engine evaluated it: the server's `POST /usage/cel/explain` and the ledger's
`Ledger.explain` both show it, so that a tree always agrees with its fee."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..explanation import Step, explain
from .evaluator import PricingEngine, failed_fee

__all__ = ["explain_fee"]


def explain_fee(
    engine: PricingEngine, act: dict[str, Any], response: Mapping[str, Mapping[str, Any]], index: int
) -> Step | None:
    """The tree of `engine.components[index]` for the task activation `act`
    that `engine.run(act)` answered with `response`; None when the formula
    does not compile (its entry in `response` says why)."""
    part = engine.components[index]
    if part.program is None:
        return None
    variables = act
    if part.reads_fees:
        # The engine gave a formula reading `fees` only the components computed before it;
        # after the run `act["fees"]` holds them all.
        fees: dict[str, Any] = {}
        for before in engine.components[:index]:
            entry = response[before.name]
            fees[before.name] = failed_fee(before.name) if "error" in entry else entry["value"]
        variables = {**act, "fees": fees}
    tree, _ = explain(part.program, variables)
    return tree
