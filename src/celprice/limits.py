"""Resource limits, their defaults, and the one wording of a broken limit.

Everything that refuses work for being too big (the parser, the cost
prechecks, the builders' size checks, comprehensions, the budget) raises
through the functions here, so a limit is named the same way wherever it
trips: what was too big, its size, the limit and the Limits field to raise.
"""
from __future__ import annotations

from dataclasses import dataclass

from .errors import CELLimitError

__all__ = ["Limits", "DEFAULT", "too_big", "check_size", "over_cost", "over_time"]


@dataclass(frozen=True)
class Limits:
    """Resource limits for untrusted expressions (defaults from the pricing spec).

    Sizes are counted in code points (strings), bytes (bytes) and elements
    (lists, maps); cost is counted as the pricing spec defines it; `timeout`
    is wall-clock seconds per evaluation, or None for no deadline.
    """

    max_expression_length: int = 10_000
    max_nesting_depth: int = 250
    max_cost: int = 1_000_000
    max_string_size: int = 1_048_576
    max_list_size: int = 100_000
    timeout: float | None = None


DEFAULT = Limits()


def too_big(what: str, size: int, limit: int, field: str) -> CELLimitError:
    """`string of size 12 exceeds the limit of 10 (max_string_size)`."""
    return CELLimitError(f"{what} of size {size} exceeds the limit of {limit} ({field})")


def check_size(value: object, limits: Limits) -> int:
    """The size of a built string, bytes or list (0 for anything else), refused over its limit."""
    t = type(value)
    if t is str or t is bytes:
        n = len(value)  # type: ignore[arg-type]
        if n > limits.max_string_size:
            raise too_big("string" if t is str else "bytes", n, limits.max_string_size, "max_string_size")
        return n
    if t is list:
        n = len(value)  # type: ignore[arg-type]
        if n > limits.max_list_size:
            raise too_big("list", n, limits.max_list_size, "max_list_size")
        return n
    return 0


def over_cost(limits: Limits) -> CELLimitError:
    return CELLimitError(f"evaluation cost exceeds the limit of {limits.max_cost} (max_cost)")


def over_time(limits: Limits) -> CELLimitError:
    return CELLimitError(f"evaluation took longer than the limit of {limits.timeout} seconds (timeout)")
