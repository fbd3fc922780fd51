"""Compiled programs, the compile cache, and the public entry points."""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

from . import budget as _budget
from .budget import CTX, Budget, _slot
from .compiler import compile_ast, estimate_cost
from .env import Environment, default_environment
from .errors import CELError, CELEvaluationError, CELLimitError, CELSyntaxError
from .checker import CheckResult, check
from .parser import parse

__all__ = ["Program", "compile", "evaluate", "default_environment", "CACHE_SIZE", "CACHE_MAX_SOURCE"]

CACHE_SIZE = 4096
CACHE_MAX_SOURCE = 1_000_000  # code points of source held by the cache at most
_EMPTY: Mapping[str, Any] = {}


class Program:
    """A compiled CEL expression: immutable, and safe to share between threads."""

    __slots__ = ("source", "env", "ast", "result_type", "checked", "_root", "_needs_scope", "_shares_budget", "_limits")

    def __init__(self, source: str, env: Environment) -> None:
        limits = env.limits
        node = parse(source, max_length=limits.max_expression_length, max_depth=limits.max_nesting_depth)
        # `result_type`: the checked type of the expression as a CEL type name
        # ("int", "list(string)", "dyn"), None when the environment does not check;
        # `checked` gives the type of every node (checker.CheckResult), or None.
        checked: CheckResult | None = None
        try:
            if env.checks:
                checked = check(node, env, source)
            compiled = compile_ast(node, env, source, checked)
        except RecursionError:
            raise CELSyntaxError(
                f"Syntax error: expression nests too deeply to compile (max_nesting_depth {limits.max_nesting_depth})"
            ) from None
        fields = {
            "source": source,
            "env": env,
            "ast": node,
            "result_type": None if checked is None else checked.result_type,
            "checked": checked,
            "_root": compiled.root,
            "_needs_scope": compiled.needs_scope,
            "_shares_budget": compiled.charges,
            "_limits": limits,
        }
        for name, value in fields.items():
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: Any) -> None:
        # Programs are shared between threads and cached: they never change.
        raise AttributeError("Program is immutable")

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
            if self._shares_budget:
                # budget.evaluating()/restore(), inlined: this is every
                # evaluation of most formulas.
                slot = _slot
                prev = slot.budget
                slot.budget = None
                try:
                    return self._root(activation)
                finally:
                    slot.budget = prev
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

    def metered(self, activation: Mapping[str, Any] | None = None) -> tuple[Any, int]:
        """(value, cost units charged): evaluate with one budget made for this
        call, so what the evaluation was charged can be read afterwards
        (benchmarks/calibrate_cost.py relates it to time). A limit or other
        CEL error propagates as from `evaluate`, without the source attached."""
        if activation is None:
            activation = _EMPTY
        budget = Budget(self._limits)
        # The slot serves the operations of a program without a scope of its
        # own; the scope, when there is one, carries the same budget.
        prev = _budget.evaluating()
        _budget.restore(budget)
        try:
            if self._needs_scope:
                scope = dict(activation)
                scope[CTX] = budget
                value = self._root(scope)
            else:
                value = self._root(activation)
        finally:
            _budget.restore(prev)
        return value, budget.spent

    def cost_estimate(self) -> tuple[int, int | None]:
        """(min, max) evaluation cost; max is None when it grows with the input."""
        return estimate_cost(self.ast, self.env.registry)

    def __repr__(self) -> str:
        return f"Program({self.source!r})"


class _ProgramCache:
    """An LRU of compiled programs bounded by entry count and by total source
    length: a compiled program's memory grows with its source, so counting
    entries alone would let long formulas pin gigabytes."""

    def __init__(self, max_entries: int, max_source: int) -> None:
        self.max_entries = max_entries
        self.max_source = max_source
        self._entries: OrderedDict[tuple[str, Environment], Program] = OrderedDict()
        self._source = 0
        self._lock = threading.Lock()

    def get(self, source: str, env: Environment) -> Program:
        key = (source, env)
        with self._lock:
            program = self._entries.get(key)
            if program is not None:
                self._entries.move_to_end(key)
                return program
        program = Program(source, env)  # outside the lock: compiling takes a while
        with self._lock:
            if key not in self._entries and len(source) <= self.max_source:
                self._entries[key] = program
                self._source += len(source)
                while len(self._entries) > self.max_entries or self._source > self.max_source:
                    (old_source, _), _ = self._entries.popitem(last=False)
                    self._source -= len(old_source)
        return program

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._source = 0


_cache = _ProgramCache(CACHE_SIZE, CACHE_MAX_SOURCE)


def compile(source: str, env: Environment | None = None, *, cache: bool = True) -> Program:
    """Parse and compile CEL source; cached by (source, environment) unless cache=False."""
    if env is None:
        env = default_environment()
    if cache:
        if not isinstance(source, str):
            raise CELSyntaxError(f"expression must be a string, got {type(source).__name__}")
        return _cache.get(source, env)
    return Program(source, env)


def evaluate(source: str, activation: Mapping[str, Any] | None = None, env: Environment | None = None) -> Any:
    """Compile (cached) and evaluate in one step."""
    return compile(source, env).evaluate(activation)
