"""Fee evaluation: `PricingEngine` (compile an AppPricing once, evaluate it per
task) and `evaluate_pricing` (one request, through a cache of engines)."""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any, NamedTuple

from .. import ast
from ..env import Limits
from ..errors import CELError, CELEvaluationError
from ..program import Program
from ..values import INT64_MAX, ErrorValue, type_name
from .components import FEE_FIELDS, FEE_NAMES, PricingDefaults, Problem, compile_field, is_plain_text, one_line
from .fastpaths import FAST_PATHS
from .money import microcents
from .reads import free_names
from .request import RequestError, ValidPricing, describe, parse_pricing, task_activation

__all__ = [
    "PricingEngine",
    "PricingDefaults",
    "evaluate_pricing",
    "engine_for",
    "EngineCacheInfo",
    "engine_cache_info",
    "clear_engine_cache",
    "failed_fee",
]

DEFAULTS = PricingDefaults()
_COMPONENT_NAMES = ("resource_fee", "inference_fee", "royalty_fee", "partner_fee")


class _Component:
    """One compiled fee field: its program, or the compile error it reports."""

    __slots__ = ("field", "name", "program", "error", "source", "is_default", "fast", "fixed", "reads_fees")

    def __init__(
        self, field: str, source: str, is_default: bool, nonstandard_promotion: bool, limits: Limits | None
    ) -> None:
        self.field = field
        self.name = FEE_NAMES[field]
        self.source = source
        self.is_default = is_default
        program, problems = compile_field(field, source, nonstandard_promotion=nonstandard_promotion, limits=limits)
        self.program: Program | None = program
        self.error: str | None = _compile_error(problems)
        # Only a formula that reads `fees` gets the map built for it.
        self.reads_fees = program is not None and "fees" in free_names(program.ast)
        # Custom limits could stop the formula where the direct computation would not.
        self.fast = FAST_PATHS.get((field, source)) if limits is None else None
        # A result known without a task: a compile error, or a literal such as the default `0`.
        self.fixed: tuple[int, str | None] | None = None
        if program is None:
            self.fixed = (0, self.error)
        elif type(program.ast) is ast.Literal:
            self.fixed = self._money(program.ast.value)

    def run(self, activation: dict[str, Any]) -> tuple[int, str | None]:
        """(microcents, None) or (0, the one-line error)."""
        fixed = self.fixed
        if fixed is not None:
            return fixed
        fast = self.fast
        if fast is not None:
            value = fast(activation)
            if value is not None:
                return value, None
        try:
            value = self.program.evaluate(activation)  # type: ignore[union-attr]
        except CELError as e:
            return 0, f"{self.field}{_where(e)}"
        except Exception as e:  # the core converts these; a last guard for the service
            return 0, one_line(f"{self.field}: internal error: {type(e).__name__}: {e}")
        if type(value) is int and 0 <= value <= INT64_MAX:
            return value, None
        return self._money(value)

    def _money(self, value: Any) -> tuple[int, str | None]:
        value, why = microcents(value)
        if why is None:
            return value, None
        return 0, one_line(f"{self.field}: {why}")


def _compile_error(problems: list[Problem]) -> str | None:
    if not problems:
        return None
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    return problems[0].headline() + more


def _where(e: CELError) -> str:
    """`:1:13: message` (or `: message` without a position), to follow a field name."""
    if getattr(e, "line", None) is None:
        return one_line(f": {e.message}")
    return one_line(f":{e.located()}")  # type: ignore[attr-defined]


def failed_fee(name: str) -> ErrorValue:
    """What a formula reads for a component that failed: an error value, so that
    using it fails too (in the engine's `fees` map, which `explain_fee` reads)."""
    return ErrorValue(CELEvaluationError(f"depends on {name}, which failed"))


def _entry(value: Any, error: str | None) -> dict[str, Any]:
    return {"value": value} if error is None else {"value": value, "error": error}


class PricingEngine:
    """An AppPricing compiled once, evaluated for many tasks.

    Every expression is compiled against the variables its kind may see, so a
    name it may not use is an "undeclared reference" error for that component
    (reported in each response, never raised). A pricing of the wrong shape
    raises RequestError here.
    """

    def __init__(
        self,
        pricing: Mapping[str, Any] | ValidPricing,
        defaults: PricingDefaults | None = None,
        nonstandard_promotion: bool = False,
        limits: Limits | None = None,
    ) -> None:
        valid = pricing if isinstance(pricing, ValidPricing) else parse_pricing(pricing)
        self.pricing = valid
        self.defaults = defaults = defaults or DEFAULTS
        self.nonstandard_promotion = nonstandard_promotion
        self.limits = limits
        self.prices: dict[str, int] = dict(valid.prices)
        components = []
        for field in FEE_FIELDS:
            source = valid.expressions[field]
            is_default = source is None
            components.append(
                _Component(field, getattr(defaults, field) if source is None else source, is_default, nonstandard_promotion, limits)
            )
        self.components: tuple[_Component, ...] = tuple(components)
        self._resource, self._inference, self._royalty, self._partner, self._total = components
        self._fees_read = any(c.reads_fees for c in components[1:])
        # The description sees only prices: it is the same for every task.
        self._description = self._describe()

    @property
    def description(self) -> tuple[str, str | None]:
        """The rendered description and its error (None when it rendered): the same for every task."""
        return self._description

    def _describe(self) -> tuple[str, str | None]:
        source = self.pricing.expressions["description"]
        if source is None:
            source = self.defaults.description
        if is_plain_text(source):
            return source, None
        program, problems = compile_field(
            "description", source, nonstandard_promotion=self.nonstandard_promotion, limits=self.limits
        )
        if program is None:
            return "", _compile_error(problems)
        try:
            value = program.evaluate({"prices": self.prices})
        except CELError as e:
            return "", f"description{_where(e)}"
        if type(value) is not str:
            return "", f"description: must be a string, got {type_name(value)}"
        return value, None

    def evaluate(
        self,
        *,
        output_meta: Any = None,
        resources: Any = None,
        usage_seconds: Any = None,
        task_inputs: Any = None,
        task_function: Any = None,
        elapsed_ms: Any = None,
    ) -> dict[str, dict[str, Any]]:
        """The response for one task (RequestError when the task data has the wrong shape)."""
        act = task_activation(
            self.prices, output_meta, resources, usage_seconds, task_inputs, task_function, elapsed_ms
        )
        return self.run(act)

    def run(self, act: dict[str, Any]) -> dict[str, dict[str, Any]]:
        """Evaluate every component against a task activation (built by `task_activation`)."""
        resource_c = self._resource
        if resource_c.reads_fees:
            act["fees"] = {}
        resource, resource_error = resource_c.run(act)
        if resource_error is None:
            act["resource_fee"] = act["resource_cost"] = resource
        else:
            act["resource_fee"] = failed_fee("resource_fee")
            act["resource_cost"] = failed_fee("resource_cost")
        if self._fees_read:
            return self._run_with_fees(act, resource, resource_error)
        inference, inference_error = self._inference.run(act)
        royalty, royalty_error = self._royalty.run(act)
        partner, partner_error = self._partner.run(act)
        return self._finish(act, resource, resource_error, inference, inference_error, royalty, royalty_error,
                            partner, partner_error)

    def _run_with_fees(self, act: dict[str, Any], resource: int, resource_error: str | None) -> dict[str, dict[str, Any]]:
        # `fees` holds the components computed before the formula that reads it.
        fees: dict[str, Any] = {"resource_fee": act["resource_fee"]}
        results = []
        for component in self.components[1:4]:
            if component.reads_fees:
                act["fees"] = dict(fees)
            value, error = component.run(act)
            results.append((value, error))
            fees[component.name] = value if error is None else failed_fee(component.name)
        act["fees"] = fees
        (inference, inference_error), (royalty, royalty_error), (partner, partner_error) = results
        return self._finish(act, resource, resource_error, inference, inference_error, royalty, royalty_error,
                            partner, partner_error)

    def _finish(
        self,
        act: dict[str, Any],
        resource: int,
        resource_error: str | None,
        inference: int,
        inference_error: str | None,
        royalty: int,
        royalty_error: str | None,
        partner: int,
        partner_error: str | None,
    ) -> dict[str, dict[str, Any]]:
        total_component = self._total
        failed = resource_error or inference_error or royalty_error or partner_error
        total_error: str | None
        if failed is not None and total_component.is_default:
            # The default total's dependency rule: name the first failed component.
            errors = (resource_error, inference_error, royalty_error, partner_error)
            name = _COMPONENT_NAMES[next(i for i, e in enumerate(errors) if e is not None)]
            total, total_error = 0, f"total_expression: depends on {name}, which failed"
        else:
            act["inference_fee"] = inference if inference_error is None else failed_fee("inference_fee")
            act["royalty_fee"] = royalty if royalty_error is None else failed_fee("royalty_fee")
            act["partner_fee"] = partner if partner_error is None else failed_fee("partner_fee")
            total, total_error = total_component.run(act)
        description_text, description_error = self._description
        return {
            "resource_fee": {"value": resource} if resource_error is None else _entry(resource, resource_error),
            "inference_fee": {"value": inference} if inference_error is None else _entry(inference, inference_error),
            "royalty_fee": {"value": royalty} if royalty_error is None else _entry(royalty, royalty_error),
            "partner_fee": {"value": partner} if partner_error is None else _entry(partner, partner_error),
            "total": {"value": total} if total_error is None else _entry(total, total_error),
            "description": {"value": description_text}
            if description_error is None
            else _entry(description_text, description_error),
        }


# --- evaluate_pricing: one request, engines cached per pricing ------------------------

_CACHE_SIZE = 1024
# An engine holds its texts and their compiled programs, which grow with the
# texts: the cache is also bounded by the code points of text it holds (as
# the compile cache is), so large pricings cannot pin memory by the thousand.
_CACHE_MAX_TEXT = 2_000_000


class EngineCacheInfo(NamedTuple):
    """What the engine cache holds now (`engine_cache_info()`), and its bounds."""

    engines: int
    text_held: int  # the code points of pricing text of the engines held
    max_engines: int
    max_text: int


class _EngineCache:
    """Engines by key, oldest first, each with its weight (the text it holds),
    and the total of those weights: kept together so that evicting or
    forgetting an engine cannot leave the total wrong."""

    __slots__ = ("entries", "held", "lock")

    def __init__(self) -> None:
        # Read without the lock by engine_for; changed only under it.
        self.entries: OrderedDict[tuple[Any, ...], tuple[PricingEngine, int]] = OrderedDict()
        self.held = 0
        self.lock = threading.Lock()

    def remember(self, key: tuple[Any, ...], engine: PricingEngine) -> None:
        weight = _weight(key)
        if weight > _CACHE_MAX_TEXT:
            return
        entries = self.entries
        with self.lock:
            if key in entries:
                return
            while entries and (len(entries) >= _CACHE_SIZE or self.held + weight > _CACHE_MAX_TEXT):
                _, (_, old_weight) = entries.popitem(last=False)  # the oldest
                self.held -= old_weight
            entries[key] = (engine, weight)
            self.held += weight

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()
            self.held = 0

    def info(self) -> EngineCacheInfo:
        with self.lock:
            return EngineCacheInfo(len(self.entries), self.held, _CACHE_SIZE, _CACHE_MAX_TEXT)


_engines = _EngineCache()


def clear_engine_cache() -> None:
    """Forget every cached engine."""
    _engines.clear()


def engine_cache_info() -> EngineCacheInfo:
    """How many engines `engine_for` holds and how much pricing text, against its bounds
    (oldest engines are dropped first to stay within both)."""
    return _engines.info()


def _weight(key: tuple[Any, ...]) -> int:
    texts, prices = key[0]
    return 1 + len(prices) + sum(len(t) for t in texts if t is not None)


def _cache_key(pricing: Any) -> tuple[Any, ...] | None:
    """A hashable key of everything that shapes an engine, or None (then no caching).

    Prices must be int or float to be cached: 1 and 1.0 then share a key, which is
    right as both become the price 1, while True (equal to 1) is not a price at all.
    """
    if type(pricing) is not dict:
        return None
    get = pricing.get
    prices = get("prices")
    if prices is None:
        price_key: tuple[Any, ...] = ()
    elif type(prices) is dict:
        price_key = tuple(prices.items())
        for _, v in price_key:
            t = type(v)
            if t is not int and t is not float:
                return None
    else:
        return None
    texts = (
        get("resource_expression"),
        get("inference_expression"),
        get("royalty_expression"),
        get("partner_expression"),
        get("total_expression"),
        get("description"),
        get("estimate"),
        get("upstream_pricing"),
    )
    for text in texts:
        if text is not None and type(text) is not str:
            return None
    return (texts, price_key)


def engine_for(
    pricing: Any,
    defaults: PricingDefaults | None = None,
    nonstandard_promotion: bool = False,
    limits: Limits | None = None,
) -> PricingEngine:
    """The (cached) engine of a pricing object; RequestError when it has the wrong shape."""
    key = _cache_key(pricing)
    if key is None:
        return PricingEngine(pricing, defaults, nonstandard_promotion, limits)
    key = (key, defaults, nonstandard_promotion, limits)
    entry = _engines.entries.get(key)
    if entry is not None:
        return entry[0]
    engine = PricingEngine(pricing, defaults, nonstandard_promotion, limits)
    _engines.remember(key, engine)
    return engine


def split_request(request: Any) -> tuple[Any, dict[str, Any]]:
    """(pricing, task fields) of a request object."""
    if type(request) is not dict and not isinstance(request, Mapping):
        raise RequestError("request", f"must be an object, got {describe(request)}")
    pricing = request.get("pricing")
    if pricing is None:
        raise RequestError("pricing", "is required")
    task = {
        "output_meta": request.get("output_meta"),
        "resources": request.get("resources"),
        "usage_seconds": request.get("usage_seconds"),
        "task_inputs": request.get("task_inputs"),
        "task_function": request.get("task_function"),
        "elapsed_ms": request.get("elapsed_ms"),
    }
    return pricing, task


def evaluate_pricing(
    request: Mapping[str, Any],
    *,
    defaults: PricingDefaults | None = None,
    nonstandard_promotion: bool = False,
    limits: Limits | None = None,
) -> dict[str, dict[str, Any]]:
    """The `/usage/cel/evaluate` response for a parsed request object (see spec/pricing.md).

    Raises RequestError (a ValueError naming the JSON path) when the request has the wrong
    shape; every formula failure is reported in the response instead.
    """
    # split_request's work, inlined: this is the per-request path of a service.
    if type(request) is not dict and not isinstance(request, Mapping):
        raise RequestError("request", f"must be an object, got {describe(request)}")
    get = request.get
    pricing = get("pricing")
    if pricing is None:
        raise RequestError("pricing", "is required")
    engine = engine_for(pricing, defaults, nonstandard_promotion, limits)
    act = task_activation(
        engine.prices,
        get("output_meta"),
        get("resources"),
        get("usage_seconds"),
        get("task_inputs"),
        get("task_function"),
        get("elapsed_ms"),
    )
    return engine.run(act)
