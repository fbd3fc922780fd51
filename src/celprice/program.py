"""Compiled programs, the compile cache, and the public entry points."""
from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from . import ast
from .compiler import CTX, Budget, compile_ast, estimate_cost
from .env import Environment
from .errors import CELError, CELEvaluationError, CELLimitError, CELSyntaxError
from .parser import parse

__all__ = ["Program", "compile", "evaluate", "default_environment", "CACHE_SIZE"]

CACHE_SIZE = 4096
_MISSING = object()
_EMPTY: Mapping[str, Any] = {}


class Program:
    """A compiled CEL expression: immutable, and safe to share between threads."""

    __slots__ = ("source", "env", "ast", "_root", "_needs_scope", "_limits", "_constant")

    def __init__(self, source: str, env: Environment) -> None:
        limits = env.limits
        node = parse(source, max_length=limits.max_expression_length, max_depth=limits.max_nesting_depth)
        try:
            compiled = compile_ast(node, env, source)
        except RecursionError:
            raise CELSyntaxError(
                f"Syntax error: expression nests too deeply to compile (max_nesting_depth {limits.max_nesting_depth})"
            ) from None
        self.source = source
        self.env = env
        self.ast: ast.Node = node
        self._root = compiled.root
        self._needs_scope = compiled.needs_scope
        self._limits = limits
        self._constant = compiled.constant

    def evaluate(self, activation: Mapping[str, Any] | None = None) -> Any:
        """Evaluate against the caller's variables (read in place, never copied deeply)."""
        if activation is None:
            activation = _EMPTY
        try:
            if self._needs_scope:
                # A private top-level mapping for local variables and the budget;
                # the caller's values themselves are not copied.
                scope = dict(activation)
                scope[CTX] = Budget(self._limits)
                return self._root(scope)
            return self._root(activation)
        except CELEvaluationError as e:
            if e.source is None:
                e.source = self.source
            raise
        except CELError:
            raise
        except RecursionError:
            raise CELLimitError("expression nests too deeply to evaluate") from None
        except Exception as e:
            if not isinstance(activation, Mapping):
                raise CELEvaluationError(
                    f"activation must be a mapping of variable names, got {type(activation).__name__}"
                ) from None
            raise CELEvaluationError(f"internal error: {type(e).__name__}: {e}") from None

    def cost_estimate(self) -> tuple[int, int | None]:
        """(min, max) evaluation cost; max is None when it grows with the input."""
        return estimate_cost(self.ast)

    def __repr__(self) -> str:
        return f"Program({self.source!r})"


@lru_cache(maxsize=1)
def default_environment() -> Environment:
    """The environment of `compile(source)` without one: standard CEL, no declarations.

    Built on first use so that importing celprice does not load the whole
    standard library (RE2, time zones, ...).
    """
    return Environment()


@lru_cache(maxsize=CACHE_SIZE)
def _cached(source: str, env: Environment) -> Program:
    return Program(source, env)


def compile(source: str, env: Environment | None = None, *, cache: bool = True) -> Program:
    """Parse and compile CEL source; cached by (source, environment) unless cache=False."""
    if env is None:
        env = default_environment()
    if cache:
        try:
            return _cached(source, env)
        except TypeError:
            if not isinstance(source, str):
                raise CELSyntaxError(f"expression must be a string, got {type(source).__name__}") from None
            raise
    return Program(source, env)


def evaluate(source: str, activation: Mapping[str, Any] | None = None, env: Environment | None = None) -> Any:
    """Compile (cached) and evaluate in one step."""
    return compile(source, env).evaluate(activation)
