"""The standard library: one Registry of the Functions its modules declare.

Each module declares its functions next to their implementations (`DECLS`,
built with `registry.standard`); nothing else lists them.
"""
from __future__ import annotations

from ..registry import Registry
from . import conversions, encoders, math, operators, optionals, strings, time

__all__ = ["STANDARD"]

STANDARD = Registry(
    fn
    for module in (operators, conversions, optionals, strings, time, math, encoders)
    for fn in module.DECLS
)
