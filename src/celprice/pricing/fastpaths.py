"""Direct computations of the two built-in default formulas, for the common case.

Almost every app keeps the default resource expression and the default total,
so they run for nearly every task. Each function here returns the exact value
the CEL formula would give, or None whenever the CEL evaluation could differ
or fail (a non-int price, a negative one, an overflow, a very long list that
a cost limit might stop); the caller then evaluates the formula itself, which
also produces the exact error message.
"""
from __future__ import annotations

from typing import Any

from ..values import INT64_MAX
from .components import PricingDefaults

__all__ = ["FAST_PATHS"]

_MAX_ROWS = 1000  # far below what the default cost limit allows for this formula


def default_resource(act: dict[str, Any]) -> int | None:
    """`sum(resources.map(r, r.price_per_second)) * elapsed_ms / 1000`."""
    rows = act["resources"]
    if len(rows) > _MAX_ROWS:
        return None
    total = 0
    for row in rows:
        if type(row) is not dict:
            return None
        price = row.get("price_per_second")
        if type(price) is not int or price < 0:
            return None
        total += price
    # A price or a sum outside int64 is an error even when elapsed_ms is 0.
    if total > INT64_MAX:
        return None
    # Everything is non-negative here, so Python's // is CEL's truncating division.
    value = total * act["elapsed_ms"]
    return value // 1000 if value <= INT64_MAX else None


def default_total(act: dict[str, Any]) -> int | None:
    """`resource_fee + inference_fee + royalty_fee + partner_fee`."""
    r, i, ro, p = act["resource_fee"], act["inference_fee"], act["royalty_fee"], act["partner_fee"]
    # A custom total with this text sees a failed fee as an error value: CEL decides.
    if type(r) is not int or type(i) is not int or type(ro) is not int or type(p) is not int:
        return None
    value = r + i + ro + p
    return value if value <= INT64_MAX else None


_BUILT_IN = PricingDefaults()
# (field, source) -> direct computation; only the built-in sources qualify.
FAST_PATHS = {
    ("resource_expression", _BUILT_IN.resource_expression): default_resource,
    ("total_expression", _BUILT_IN.total_expression): default_total,
}
