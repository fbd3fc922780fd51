"""Save-time validation of an AppPricing: every problem at once, nothing evaluated."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..env import Limits
from ..errors import format_snippet
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
    nonstandard_promotion: bool = False,
    limits: Limits | None = None,
) -> list[Problem]:
    """Every problem of an AppPricing: its shape (bad prices, non-string fields) and each
    expression's syntax errors, undeclared references and type errors (a fee whose type
    can never be a number, a description that can never be a string). An empty list
    means it can be saved."""
    defaults = defaults or PricingDefaults()
    _, shape = pricing_problems(pricing)
    problems = [Problem(path, None, None, message) for path, message in shape]
    if not isinstance(pricing, Mapping):
        return problems
    for field in FEE_FIELDS:
        source = _source(pricing, field, defaults)
        if source is not None:
            problems += _checked(field, source, _NUMBER, "fee must be a number", nonstandard_promotion, limits)
    description = _source(pricing, "description", defaults)
    if description is not None and not is_plain_text(description):
        problems += _checked(
            "description", description, _STRING, "description must be a string", nonstandard_promotion, limits
        )
    estimate = _source(pricing, "estimate", defaults)
    if estimate is not None:
        problems += _checked(
            "estimate", estimate, _ESTIMATE, "estimate must be a number or a {min, max} map", nonstandard_promotion, limits
        )
    return problems


# What the type checker's result type may be for each kind of field: `dyn`
# (data whose type is only known at run time) is always accepted.
_NUMBER = ("int", "uint", "double", "dyn")
_STRING = ("string", "dyn")
_ESTIMATE = (*_NUMBER, "map")


def _checked(
    field: str, source: str, allowed: tuple[str, ...], what: str, nonstandard_promotion: bool, limits: Limits | None
) -> list[Problem]:
    """compile_field's problems, plus one when the checked result type can never be
    what the field needs (`inference_expression:1:1: fee must be a number, got string`)."""
    program, problems = compile_field(field, source, nonstandard_promotion=nonstandard_promotion, limits=limits)
    if program is None or program.result_type is None:
        return problems
    result = program.result_type
    if result.split("(", 1)[0] in allowed:
        return problems
    return [Problem(field, 1, 1, f"{what}, got {result}", format_snippet(source, 1, 1))]
