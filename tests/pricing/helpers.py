"""Shared helpers of the pricing tests."""
from __future__ import annotations

import math
from typing import Any

import celprice
from celprice.pricing import pricing_environment


def ev(
    source: str, kind: str = "total", promoted: bool = False, *, check: bool | None = None, **variables: Any
) -> Any:
    """Evaluate a formula in the pricing environment of `kind` (type-checked unless check=False);
    `promoted` turns on the non-standard numeric promotion."""
    env = pricing_environment(kind, nonstandard_promotion=promoted, check=check)
    return celprice.compile(source, env).evaluate(variables)


def err(source: str, kind: str = "total", promoted: bool = False, **variables: Any) -> str:
    """The located message of the run-time error a formula raises (fails the test if it
    succeeds). The type checker is off, so helpers' own checks of what they are given
    (as they would be given mistyped data) are what is tested."""
    try:
        value = ev(source, kind, promoted, check=False, **variables)
    except celprice.CELEvaluationError as e:
        return e.located()
    raise AssertionError(f"{source!r} evaluated to {value!r}, expected an error")


def same(a: Any, b: Any) -> bool:
    """Equal with the same Python type (CEL kind), recursively; NaN equals NaN."""
    if type(a) is not type(b):
        return False
    if type(a) is float and math.isnan(a):
        return math.isnan(b)
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return a == b
