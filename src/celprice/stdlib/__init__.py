"""The standard function library, assembled from its modules."""
from __future__ import annotations

import importlib
from collections.abc import Callable
from functools import lru_cache
from typing import Any

_MODULES = ("operators", "conversions", "optionals", "strings", "time", "math", "encoders")


@lru_cache(maxsize=1)
def library() -> tuple[dict[str, Callable[..., Any]], dict[str, Callable[..., Any]]]:
    """(global functions, methods) of standard CEL and its extensions."""
    functions: dict[str, Callable[..., Any]] = {}
    methods: dict[str, Callable[..., Any]] = {}
    for name in _MODULES:
        try:
            module = importlib.import_module(f"{__name__}.{name}")
        except ImportError:
            continue
        for key, fn in getattr(module, "FUNCTIONS", {}).items():
            if key in functions:
                raise RuntimeError(f"function {key!r} defined twice (in {name})")
            functions[key] = fn
        for key, fn in getattr(module, "METHODS", {}).items():
            if key in methods:
                raise RuntimeError(f"method {key!r} defined twice (in {name})")
            methods[key] = fn
    return functions, methods
