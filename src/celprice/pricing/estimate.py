"""Before a task runs: can its fees be computed, and what is the author's estimate?"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from weakref import WeakKeyDictionary

from .. import ast
from ..env import Limits
from ..errors import CELError
from ..program import Program
from .components import PricingDefaults, compile_field, one_line
from .environment import RUNTIME_NAMES
from .evaluator import PricingEngine, _where, engine_for, split_request
from .money import microcents
from .request import task_activation

__all__ = ["estimate_pricing", "free_names", "is_estimable"]


def free_names(node: ast.Node) -> set[str]:
    """The variables an expression reads (comprehension and bind variables excluded)."""
    names: set[str] = set()
    stack: list[tuple[ast.Node, frozenset[str]]] = [(node, frozenset())]
    while stack:
        n, scope = stack.pop()
        t = type(n)
        if t is ast.Ident:
            if n.absolute or n.name not in scope:  # type: ignore[attr-defined]
                names.add(n.name)  # type: ignore[attr-defined]
        elif t is ast.Comprehension:
            inner = scope | {n.var} | ({n.var2} if n.var2 else set())  # type: ignore[attr-defined]
            stack.append((n.range, scope))  # type: ignore[attr-defined]
            stack.extend((child, inner) for child in n.children()[1:])
        elif t is ast.Bind:
            stack.append((n.init, scope))  # type: ignore[attr-defined]
            stack.append((n.body, scope | {n.var}))  # type: ignore[attr-defined]
        else:
            stack.extend((child, scope) for child in n.children())
    return names


def is_estimable(engine: PricingEngine) -> bool:
    """True when every fee expression (after defaults) compiles and reads no run-time
    variable, so the fees themselves can be computed before the task runs."""
    for component in engine.components:
        if component.program is None or free_names(component.program.ast) & RUNTIME_NAMES:
            return False
    return True


class _Estimator:
    __slots__ = ("estimable", "program", "error")

    def __init__(self, engine: PricingEngine) -> None:
        self.estimable = is_estimable(engine)
        self.program: Program | None = None
        self.error: str | None = None
        source = engine.pricing.expressions["estimate"]
        if source is not None:
            program, problems = compile_field(
                "estimate", source, nonstandard_promotion=engine.nonstandard_promotion, limits=engine.limits
            )
            self.program = program
            if problems:
                self.error = problems[0].headline()


_estimators: "WeakKeyDictionary[PricingEngine, _Estimator]" = WeakKeyDictionary()


def _estimator(engine: PricingEngine) -> _Estimator:
    est = _estimators.get(engine)
    if est is None:
        est = _estimators[engine] = _Estimator(engine)
    return est


def _estimate_value(value: Any) -> tuple[Any, str | None]:
    """An int, or {"min", "max"}, from the estimate's CEL result."""
    if isinstance(value, Mapping):
        if set(value) != {"min", "max"}:
            keys = ", ".join(sorted(repr(k) for k in value)) or "none"
            return None, f"estimate: a map estimate must have exactly the keys 'min' and 'max', got {keys}"
        low, low_error = microcents(value["min"])
        high, high_error = microcents(value["max"])
        if low_error or high_error:
            which = "min" if low_error else "max"
            return None, f"estimate: {which} {low_error or high_error}"
        if low > high:
            return None, f"estimate: min must not exceed max, got min {low} and max {high}"
        return {"min": low, "max": high}, None
    n, error = microcents(value)
    return (None, f"estimate: {error}") if error else (n, None)


def _result(estimable: bool, estimate: Any, error: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {"estimable": estimable, "estimate": estimate}
    if error is not None:
        out["error"] = one_line(error)
    return out


def estimate_pricing(
    request: Mapping[str, Any],
    *,
    defaults: PricingDefaults | None = None,
    nonstandard_promotion: bool = False,
    limits: Limits | None = None,
) -> dict[str, Any]:
    """`{"estimable": bool, "estimate": int | {"min", "max"} | None}`, plus `error` when
    the estimate could not be computed (see spec/pricing.md, "Estimate").

    The pricing's `estimate` expression wins when there is one; otherwise an
    estimable pricing's estimate is its total computed from the task inputs.
    """
    pricing, task = split_request(request)
    engine = engine_for(pricing, defaults, nonstandard_promotion, limits)
    act = task_activation(engine.prices, **task)
    est = _estimator(engine)
    if engine.pricing.expressions["estimate"] is not None:
        if est.program is None:
            return _result(est.estimable, None, est.error)
        scope = {"task_inputs": act["task_inputs"], "prices": act["prices"], "task_function": act["task_function"]}
        try:
            value = est.program.evaluate(scope)
        except CELError as e:
            return _result(est.estimable, None, f"estimate{_where(e)}")
        return _result(est.estimable, *_estimate_value(value))
    if not est.estimable:
        return _result(False, None, None)
    response = engine.run(act)
    for entry in response.values():
        if "error" in entry:
            return _result(True, None, entry["error"])
    return _result(True, response["total"]["value"], None)
