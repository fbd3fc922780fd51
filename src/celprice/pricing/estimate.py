"""Before a task runs: the store's estimate (`POST /store/apps/{appId}/estimate`, D6).

When every fee expression reads only what is known before the task runs
(`task_inputs`, `prices`, `task_function`, `fees` of such fees), the fees are
computed and the estimate is `exact`. Otherwise the pricing's `estimate`
expression, when it has one, gives a `range`; without one, or when it fails,
the estimate is `unknown`, with the post-execution variables it depends on.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from weakref import WeakKeyDictionary

from ..env import Limits
from ..errors import CELError
from ..program import Program
from .components import FEE_NAMES, PricingDefaults, compile_field, one_line
from .environment import RUNTIME_NAMES
from .evaluator import PricingEngine, engine_for
from .money import microcents
from .reads import ANY_KEY, fees_keys, free_names
from .request import RequestError, describe, task_activation

__all__ = ["estimate_pricing", "free_names", "ESTIMATE_FIELDS", "CONFIDENCES"]

CONFIDENCES: tuple[str, ...] = ("exact", "range", "unknown")
# The fields of an estimate request: the store's body (`input`, `function`), the
# pricing it is run against, and `resources`, the rates of the hardware the app
# runs on when the service knows them before the run. The evaluate request's
# names (`task_inputs`, `task_function`) are accepted for `input` and `function`,
# so that a preview request file estimates as it is.
ESTIMATE_FIELDS: tuple[str, ...] = ("pricing", "input", "function", "resources")
_ALIASES = (("input", "task_inputs"), ("function", "task_function"))

# The variable a formula reads for each component, by the component it names.
_READ_AS: dict[str, str] = {
    "resource_fee": "resource_fee",
    "resource_cost": "resource_fee",
    "inference_fee": "inference_fee",
    "royalty_fee": "royalty_fee",
    "partner_fee": "partner_fee",
}
_COMPONENTS = tuple(FEE_NAMES.values())[:-1]
# cel-go's wording of a missing key, which the store's estimate_error shows
# (`no such key: max_tokens`, D6); celprice's messages quote the key elsewhere.
# Only a key that reads as a field name: any other stays quoted, unambiguous.
_QUOTED_KEY = re.compile(r"no such key: '([A-Za-z_][A-Za-z0-9_]*)'")


def _store_wording(message: str) -> str:
    return _QUOTED_KEY.sub(r"no such key: \1", message)
# The platform's resource formula: 0 for an app without resources, whatever the time.
_RATES_TIMES_TIME = PricingDefaults().resource_expression


class _Reads:
    """What each fee expression of an engine reads (computed once per engine)."""

    __slots__ = ("runtime", "components", "estimate", "estimate_problem")

    def __init__(self, engine: PricingEngine) -> None:
        runtime: list[frozenset[str]] = []
        components: list[dict[str, str]] = []
        for index, component in enumerate(engine.components):
            if component.program is None:
                runtime.append(frozenset())
                components.append({})
                continue
            names = free_names(component.program.ast)
            runtime.append(frozenset(names & RUNTIME_NAMES))
            # component name -> the variable the formula reads it as
            read: dict[str, str] = {}
            for name in sorted(names & set(_READ_AS)):
                read.setdefault(_READ_AS[name], name)
            if "fees" in names:
                earlier = _COMPONENTS[:index]
                keys = fees_keys(component.program.ast)
                for key in earlier if ANY_KEY in keys else sorted(keys & set(earlier)):
                    read.setdefault(key, key)
            components.append(read)
        self.runtime = tuple(runtime)
        self.components = tuple(components)
        self.estimate: Program | None = None
        self.estimate_problem: str | None = None
        source = engine.pricing.expressions["estimate"]
        if source is not None:
            program, problems = compile_field(
                "estimate", source, nonstandard_promotion=engine.nonstandard_promotion, limits=engine.limits
            )
            self.estimate = program
            if problems:
                p = problems[0]
                self.estimate_problem = p.message if p.line is None else f"{p.line}:{p.column}: {p.message}"


_reads: "WeakKeyDictionary[PricingEngine, _Reads]" = WeakKeyDictionary()


def _reads_of(engine: PricingEngine) -> _Reads:
    reads = _reads.get(engine)
    if reads is None:
        reads = _reads[engine] = _Reads(engine)
    return reads


def depends_on(engine: PricingEngine, resources_known: bool = False, no_resources: bool = False) -> list[str]:
    """The post-execution variables the fees of an engine need, sorted; [] when
    every fee can be computed before the task runs.

    A fee formula that reads another fee needs that fee's name when that fee is
    itself post-execution (`resource_fee` for `resource_fee * 20 / 100` next to
    the default resource expression). `resources_known`: the request gives the app's
    resources, so `resources` is known before the run; `no_resources`: it gives
    none, so the default resource expression (rates x time) is 0.
    """
    reads = _reads_of(engine)
    unknown: dict[str, bool] = {}
    needed: set[str] = set()
    for index, component in enumerate(engine.components):
        needs = set(reads.runtime[index])
        if resources_known:
            needs.discard("resources")
        if index == 0 and no_resources and component.source == _RATES_TIMES_TIME:
            needs.clear()  # the sum of no rates, times any time
        waits = any(unknown.get(name) for name in reads.components[index])
        if not component.is_default:
            # The default total (the platform's sum) names no component: what it
            # waits for is already listed by the components themselves.
            needs.update(read_as for name, read_as in reads.components[index].items() if unknown.get(name))
        unknown[component.name] = bool(needs) or waits
        needed |= needs
    return sorted(needed)


def _money(value: Any) -> tuple[Any, str | None]:
    """{"min", "max"} from the estimate's CEL result, or the reason it is not one."""
    if isinstance(value, Mapping):
        if set(value) != {"min", "max"}:
            keys = ", ".join(sorted(repr(k) for k in value)) or "none"
            return None, f"a map estimate must have exactly the keys 'min' and 'max', got {keys}"
        low, low_error = microcents(value["min"])
        high, high_error = microcents(value["max"])
        if low_error or high_error:
            return None, f"{'min' if low_error else 'max'} {low_error or high_error}"
        if low > high:
            return None, f"min must not exceed max, got min {low} and max {high}"
        return (low, high), None
    n, error = microcents(value)
    return (None, error) if error else ((n, n), None)


def _task(request: Any) -> tuple[Any, dict[str, Any], Any]:
    """(pricing, task inputs and function, resources) of an estimate request."""
    if not isinstance(request, Mapping):
        raise RequestError("request", f"must be an object, got {describe(request)}")
    pricing = request.get("pricing")
    if pricing is None:
        raise RequestError("pricing", "is required")
    task: dict[str, Any] = {}
    for (name, alias), kind in zip(_ALIASES, ((Mapping, "an object"), (str, "a string"))):
        if request.get(name) is not None and request.get(alias) is not None:
            raise RequestError(name, f"give either {name} or {alias}, not both")
        given, value = (alias, request.get(alias)) if request.get(name) is None else (name, request.get(name))
        # Checked here, under the name the caller used (the store's `input`), not the activation's.
        if value is not None and not isinstance(value, kind[0]):
            raise RequestError(given, f"must be {kind[1]}, got {describe(value)}")
        task[alias] = value
    return pricing, task, request.get("resources")


def estimate_pricing(
    request: Mapping[str, Any],
    *,
    defaults: PricingDefaults | None = None,
    nonstandard_promotion: bool = False,
    limits: Limits | None = None,
) -> dict[str, Any]:
    """The store's EstimateCostResponse for `{"pricing", "input", "function"}`
    (D6; see docs/pricing.md, "Estimates"): `confidence` `exact` with
    `microcents`, `range` with `min` and `max`, or `unknown` with `depends_on`
    (and `estimate_error` when the estimate expression failed), plus
    `pricing_description` when the description renders to a non-empty text.

    Raises RequestError (naming the JSON path) when the request has the wrong shape.
    """
    pricing, task, resources = _task(request)
    engine = engine_for(pricing, defaults, nonstandard_promotion, limits)
    if resources is not None:
        if not isinstance(resources, (list, tuple)):
            raise RequestError("resources", f"must be an array, got {describe(resources)}")
    act = task_activation(engine.prices, None, resources, None, task["task_inputs"], task["task_function"])
    needs = depends_on(engine, resources is not None, resources is not None and len(resources) == 0)
    description, description_error = engine.description
    out: dict[str, Any]
    if not needs:
        out = _exact(engine, act)
    else:
        out = _from_estimate(engine, act, needs)
    if description and description_error is None:
        out["pricing_description"] = description
    return out


def _exact(engine: PricingEngine, act: dict[str, Any]) -> dict[str, Any]:
    response = engine.run(act)
    for name in (*_COMPONENTS, "total"):
        error = response[name].get("error")
        if error is not None:
            # A fee of the inputs alone fails for these inputs: the task could not be priced.
            return {"confidence": "unknown", "estimate_error": _store_wording(error), "depends_on": []}
    return {"confidence": "exact", "microcents": response["total"]["value"]}


def _from_estimate(engine: PricingEngine, act: dict[str, Any], needs: list[str]) -> dict[str, Any]:
    reads = _reads_of(engine)
    if engine.pricing.expressions["estimate"] is None:
        return {"confidence": "unknown", "depends_on": needs}
    error = reads.estimate_problem
    if error is None:
        scope = {"task_inputs": act["task_inputs"], "prices": act["prices"], "task_function": act["task_function"]}
        try:
            value = reads.estimate.evaluate(scope)  # type: ignore[union-attr]
        except CELError as e:
            error = e.message
        else:
            bounds, error = _money(value)
            if error is None:
                return {"confidence": "range", "min": bounds[0], "max": bounds[1]}
    return {"confidence": "unknown", "estimate_error": _store_wording(one_line(error)), "depends_on": needs}
