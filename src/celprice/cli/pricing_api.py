"""The pricing module, imported only by the commands that need it.

Core-CEL commands (`eval`, `explain`, `repl` without `--pricing`) keep working
even if the pricing module fails to import; the ones that need it say so
clearly instead of printing a traceback.
"""
from __future__ import annotations

from types import ModuleType
from typing import Any

from ..env import Environment
from .common import UsageError

__all__ = [
    "module",
    "environment",
    "evaluate_pricing",
    "estimate_pricing",
    "check_pricing",
    "warnings",
    "decoded",
    "request_error",
    "task_variables",
]


def module() -> ModuleType:
    try:
        from .. import pricing
    except ImportError as e:
        raise UsageError(f"the pricing module (celprice.pricing) is not available: {e}") from None
    return pricing


def environment() -> Environment:
    """The environment fee expressions are compiled in (`pricing_environment`, a value or a factory)."""
    env: Any = getattr(module(), "pricing_environment", None)
    if env is None:
        raise UsageError("celprice.pricing has no pricing_environment")
    if not isinstance(env, Environment) and callable(env):
        env = env()
    found: Environment = env
    return found


def evaluate_pricing(request: Any) -> dict[str, Any]:
    response: dict[str, Any] = module().evaluate_pricing(request)
    return response


def estimate_pricing(request: Any) -> dict[str, Any]:
    response: dict[str, Any] = module().estimate_pricing(request)
    return response


def check_pricing(pricing: Any) -> list[Any]:
    problems: list[Any] = module().check_pricing(pricing)
    return problems


def warnings(document: Any, pricing: Any) -> list[Any]:
    """The warnings about a pricing (and, when `document` is a whole request, about its
    fields); empty when the pricing module has no warnings."""
    mod = module()
    found = list(getattr(mod, "pricing_warnings", lambda p: [])(pricing))
    if document is not pricing:
        found = list(getattr(mod, "request_warnings", lambda r: [])(document)) + found
    return found


def decoded(variables: dict[str, Any]) -> dict[str, Any]:
    """Variables with their output-meta items decoded as a request's are; an invalid
    item is a usage error naming it."""
    decode = getattr(module(), "decode_activation", None)
    if decode is None:
        return variables
    try:
        decoded_variables: dict[str, Any] = decode(variables)
        return decoded_variables
    except request_error() as e:
        raise UsageError(f"invalid variable: {e}") from None


def request_error() -> type[Exception]:
    """The exception type for invalid requests (a ValueError naming the JSON path)."""
    return getattr(module(), "RequestError", ValueError)


def task_variables(pricing: Any, task: dict[str, Any]) -> dict[str, Any]:
    """The variables a fee expression of `pricing` sees for `task` (RequestError when either is malformed)."""
    module()
    from ..pricing.request import parse_pricing, task_activation

    return task_activation(parse_pricing(pricing).prices, **task)
