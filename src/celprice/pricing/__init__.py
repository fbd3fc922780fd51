"""Pricing formulas: the fee evaluator of `POST /usage/cel/evaluate` (spec/pricing.md).

    >>> from celprice.pricing import evaluate_pricing
    >>> evaluate_pricing({"pricing": {"prices": {"per_image": 200000},
    ...     "inference_expression": "image_count(outputs) * prices.per_image"},
    ...     "output_meta": {"outputs": [{"type": "image", "count": 2}]}})["total"]
    {'value': 400000}
"""
from .check import check_pricing, pricing_warnings, request_warnings
from .components import PricingDefaults, Problem
from .environment import pricing_environment
from .estimate import estimate_pricing
from .messages import Message
from .evaluator import PricingEngine, evaluate_pricing
from .money import format_dollars, microcents
from .request import RequestError, decode_activation

__all__ = [
    "evaluate_pricing",
    "PricingEngine",
    "PricingDefaults",
    "check_pricing",
    "pricing_warnings",
    "request_warnings",
    "Message",
    "Problem",
    "estimate_pricing",
    "RequestError",
    "decode_activation",
    "pricing_environment",
    "microcents",
    "format_dollars",
]
