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

__all__ = ["module", "environment", "evaluate_pricing", "check_pricing", "request_error", "task_variables"]


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
    return env


def evaluate_pricing(request: Any) -> dict[str, Any]:
    return module().evaluate_pricing(request)


def check_pricing(pricing: Any) -> list[Any]:
    return module().check_pricing(pricing)


def request_error() -> type[Exception]:
    """The exception type for invalid requests (a ValueError naming the JSON path)."""
    return getattr(module(), "RequestError", ValueError)


def task_variables(pricing: Any, task: dict[str, Any]) -> dict[str, Any]:
    """The variables a fee expression of `pricing` sees for `task` (RequestError when either is malformed)."""
    module()
    from ..pricing.request import parse_pricing, task_activation

    return task_activation(parse_pricing(pricing).prices, **task)
