"""celprice: a fast, safe, conformant CEL engine, and a pricing-formula evaluator.

    >>> import celprice
    >>> celprice.compile("prices.per_image * 2").evaluate({"prices": {"per_image": 200000}})
    400000
"""
from typing import TYPE_CHECKING

from .env import Environment, Function, Limits, Overload
from .errors import (
    CELCheckError,
    CELError,
    CELEvaluationError,
    CELLimitError,
    CELSyntaxError,
)
from .program import Program, compile, evaluate
from .values import Duration, ErrorValue, Map, Optional, Timestamp, Type, UInt, Value

if TYPE_CHECKING:
    # Type checkers see the lazily loaded pricing names with their real types.
    from .pricing import (
        PricingDefaults,
        PricingEngine,
        RequestError,
        check_pricing,
        estimate_pricing,
        evaluate_pricing,
    )

__version__ = "0.1.0"

# The pricing evaluator is reachable from the top level but loaded on first
# use, so services that only need the CEL core do not pay for it at import.
_PRICING = ("evaluate_pricing", "RequestError", "PricingEngine", "PricingDefaults", "check_pricing", "estimate_pricing")


def __getattr__(name: str) -> object:
    if name in _PRICING:
        from . import pricing

        return getattr(pricing, name)
    raise AttributeError(f"module 'celprice' has no attribute {name!r}")

__all__ = [
    "compile",
    "evaluate",
    "Program",
    "Environment",
    "Function",
    "Overload",
    "Limits",
    "CELError",
    "CELSyntaxError",
    "CELCheckError",
    "CELEvaluationError",
    "CELLimitError",
    "UInt",
    "Timestamp",
    "Duration",
    "Type",
    "Optional",
    "Map",
    "ErrorValue",
    "Value",
    "__version__",
    # _PRICING, spelled out so type checkers see the names as exported
    "evaluate_pricing",
    "RequestError",
    "PricingEngine",
    "PricingDefaults",
    "check_pricing",
    "estimate_pricing",
]
