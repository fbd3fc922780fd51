"""The pricing Environment: standard CEL plus the pricing dialect.

One Environment per expression kind, because what a formula may read
depends on its kind (spec/pricing.md, "Variables each expression sees"):
a name outside its kind's set is an undeclared reference at compile time.
Environments are cached so the core's compile cache (keyed by source and
environment) is shared by every engine.
"""
from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from ..env import Environment, Function, Limits, Overload
from ..stdlib import operators as ops
from .functions import HELPERS
from .meta import FIELD_TYPES, RECORD_NAME

__all__ = ["KINDS", "FIELD_KINDS", "RUNTIME_NAMES", "variables_for", "out_of_scope", "pricing_environment", "PROMOTION"]

# The checker's view of an output-meta item: the typed fields the request decoder
# guarantees (meta.py), every other key dyn.
_RECORDS = {RECORD_NAME: FIELD_TYPES}

_TASK_VARIABLES = {
    "prices": "map(string, int)",
    "output_meta": "map(string, dyn)",
    "inputs": f"list({RECORD_NAME})",
    "outputs": f"list({RECORD_NAME})",
    "resources": "list(map(string, dyn))",
    "usage_seconds": "int",
    "elapsed_ms": "int",
    "elapsed_seconds": "int",
    "resource_ms": "int",
    "task_inputs": "map(string, dyn)",
    "task_function": "string",
    # The fee components computed before the expression that reads it (our
    # decision: the store names `fees` among the input-only variables, and
    # says nothing of what it holds).
    "fees": "map(string, int)",
}
_RESOURCE = {"resource_fee": "int", "resource_cost": "int"}
_COMPONENTS = {"inference_fee": "int", "royalty_fee": "int", "partner_fee": "int"}

# kind -> the variables an expression of that kind may read.
_VARIABLES: dict[str, dict[str, str]] = {
    "resource": _TASK_VARIABLES,
    "component": {**_TASK_VARIABLES, **_RESOURCE},
    "total": {**_TASK_VARIABLES, **_RESOURCE, **_COMPONENTS},
    "description": {"prices": "map(string, int)"},
    "estimate": {
        "task_inputs": "map(string, dyn)",
        "prices": "map(string, int)",
        "task_function": "string",
    },
}
KINDS: tuple[str, ...] = tuple(_VARIABLES)

FIELD_KINDS: dict[str, str] = {
    "resource_expression": "resource",
    "inference_expression": "component",
    "royalty_expression": "component",
    "partner_expression": "component",
    "total_expression": "total",
    "description": "description",
    "estimate": "estimate",
}

# Names only known once the task has run: a fee that reads one cannot be estimated.
RUNTIME_NAMES: frozenset[str] = frozenset(
    {"output_meta", "inputs", "outputs", "resources", "usage_seconds", "elapsed_ms", "elapsed_seconds", "resource_ms"}
)


def variables_for(kind: str) -> dict[str, str]:
    """The declared variables (name -> CEL type) of an expression kind."""
    try:
        return dict(_VARIABLES[kind])
    except KeyError:
        raise ValueError(f"unknown expression kind {kind!r}; expected one of {', '.join(KINDS)}") from None


def out_of_scope(kind: str, name: str) -> str | None:
    """Why a name of the pricing dialect cannot be read by an expression of `kind`
    (None when it can, or when no expression kind knows it): a close name in scope
    would be the wrong fix for a fee read before it is computed."""
    if name in _VARIABLES[kind] or not any(name in v for v in _VARIABLES.values()):
        return None
    if kind == "description":
        return "a description can read only prices"
    if kind == "estimate":
        return "an estimate can read only task_inputs, prices and task_function: the task has not run yet"
    if name in _RESOURCE:
        return "resource_expression computes it; the other expressions can read it"
    return "only total_expression can read it"


def _promoted(op: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    # The integer side becomes a double, then the standard double operator
    # applies (so 1 / 0.0 is +Inf, as CEL's double division is IEEE).
    def promoted(a: Any, b: Any) -> Any:
        return op(float(a), float(b))

    return promoted


_MIXED = (("int", "double"), ("double", "int"), ("uint", "double"), ("double", "uint"))

# `int|uint op double` in + - * /. `%` and int-with-uint stay errors, as in CEL.
PROMOTION: tuple[Function, ...] = tuple(
    Function(name, [Overload(list(pair), "double", _promoted(op)) for pair in _MIXED])
    for name, op in (("_+_", ops.add), ("_-_", ops.sub), ("_*_", ops.mul), ("_/_", ops.div))
)


@lru_cache(maxsize=64)
def pricing_environment(
    kind: str = "total",
    *,
    nonstandard_promotion: bool = False,
    limits: Limits | None = None,
    check: bool | None = None,
) -> Environment:
    """The Environment of one expression kind: `resource`, `component` (inference,
    royalty, partner), `total`, `description` or `estimate`.

    `total` sees every fee variable, so it is the one to use for trying a formula.
    Arithmetic is standard CEL, as in the store: `int` and `double` do not mix.
    `nonstandard_promotion=True` adds the promoted operators (`int|uint op double`
    is a double), for a service that wants them; formulas that rely on it are
    rejected by the store.
    Formulas are type-checked at compile time (the variables have real types, the
    helpers typed overloads, output-meta items their decoded field types);
    `check=False` skips the type checker (names are still checked), leaving type
    mistakes to evaluation.
    """
    variables = variables_for(kind)
    functions = (*PROMOTION, *HELPERS) if nonstandard_promotion else HELPERS
    return Environment(variables=variables, functions=functions, limits=limits, check=check, records=_RECORDS)
