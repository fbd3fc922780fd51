"""Save-time validation of an AppPricing: every problem at once, nothing evaluated."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..env import Limits
from .components import FEE_FIELDS, PricingDefaults, Problem, compile_field, is_plain_text
from .request import pricing_problems

__all__ = ["check_pricing"]


def _source(pricing: Mapping[str, Any], field: str, defaults: PricingDefaults) -> str | None:
    """The text the service would compile for a field (its default when blank), or
    None when there is nothing to compile (not a string: already a shape problem)."""
    value = pricing.get(field)
    if value is not None and type(value) is not str:
        return None
    if not value or value.isspace():
        return getattr(defaults, field, None)
    return value


def check_pricing(
    pricing: Any,
    *,
    defaults: PricingDefaults | None = None,
    promotion: bool = True,
    limits: Limits | None = None,
) -> list[Problem]:
    """Every problem of an AppPricing: its shape (bad prices, non-string fields) and each
    expression's syntax errors and undeclared references. An empty list means it can be saved."""
    defaults = defaults or PricingDefaults()
    _, shape = pricing_problems(pricing)
    problems = [Problem(path, None, None, message) for path, message in shape]
    if not isinstance(pricing, Mapping):
        return problems
    for field in FEE_FIELDS:
        source = _source(pricing, field, defaults)
        if source is not None:
            problems += compile_field(field, source, promotion=promotion, limits=limits)[1]
    description = _source(pricing, "description", defaults)
    if description is not None and not is_plain_text(description):
        problems += compile_field("description", description, promotion=promotion, limits=limits)[1]
    estimate = _source(pricing, "estimate", defaults)
    if estimate is not None:
        problems += compile_field("estimate", estimate, promotion=promotion, limits=limits)[1]
    return problems
