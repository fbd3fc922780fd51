"""Closures for the iteration macros (all, exists, exists_one, map, filter,
the two-variable transforms, optMap and optFlatMap).

Each macro has its own loop instead of CEL's generic accumulator expansion:
`map` and `filter` append to one list (linear time) where the textbook
expansion `__result__ + [x]` copies the list at every step.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from . import ast
from .access import ADAPT, adapt, map_insert
from .budget import CTX
from .errors import CELEvaluationError, CELLimitError, located
from .limits import Limits, too_big
from .stdlib.lists import sort_by_keys, sort_cost
from .values import Optional, type_name

__all__ = ["compile_comprehension"]

Code = Callable[[Any], Any]
_MISSING = object()



def _items(rng: Any, name: str, pos: int) -> Any:
    """What a comprehension iterates: list elements, or map keys."""
    if isinstance(rng, (list, tuple, Mapping)):
        return rng
    raise located(
        CELEvaluationError(f"found no matching overload for '{name}' applied to '({type_name(rng)})'"), pos
    )


def _pairs(rng: Any, name: str, pos: int) -> Any:
    """(index, value) of a list or (key, value) of a map, for the two-variable forms."""
    if isinstance(rng, (list, tuple)):
        return enumerate(rng)
    if isinstance(rng, Mapping):
        return ((k, rng[k]) for k in rng)
    raise located(
        CELEvaluationError(f"found no matching overload for '{name}' applied to '({type_name(rng)})'"), pos
    )


def _not_bool(name: str, v: Any, pos: int) -> CELEvaluationError:
    return located(
        CELEvaluationError(f"found no matching overload for '{name}' applied to '({type_name(v)})'"), pos
    )


def compile_comprehension(
    node: ast.Comprehension, rng: Code, pred: Code | None, body: Code, cost: int, limits: Limits
) -> Code:
    adapt_get = ADAPT.get

    kind, pos = node.kind, node.pos
    key1 = "@" + node.var
    key2 = "@" + node.var2 if node.var2 else None
    max_list = limits.max_list_size

    if kind in ("opt_map", "opt_flat_map"):
        flat = kind == "opt_flat_map"

        def opt_map(a: Any) -> Any:
            opt = rng(a)
            if type(opt) is not Optional:
                raise located(
                    CELEvaluationError(
                        f"found no matching overload for '{'optFlatMap' if flat else 'optMap'}' "
                        f"applied to '({type_name(opt)})'"
                    ),
                    pos,
                )
            if not opt.has_value():
                return opt
            saved = a.get(key1, _MISSING)
            a[key1] = opt.value()
            try:
                v = body(a)
            finally:
                _restore(a, key1, saved)
            if not flat:
                return Optional.of(v)
            if type(v) is not Optional:
                raise located(CELEvaluationError("optFlatMap() expression must yield an optional value"), pos)
            return v

        return opt_map

    def loop(a: Any, step: Callable[[Any], bool | None]) -> None:
        """Bind the variables for each element and call step(a); stop when it returns True."""
        ctx = a[CTX]
        r = rng(a)
        saved1 = a.get(key1, _MISSING)
        saved2 = a.get(key2, _MISSING) if key2 else _MISSING
        try:
            if key2 is None:
                for x in _items(r, kind, pos):
                    ctx.left -= cost
                    if ctx.left < ctx.mark:
                        _tick(ctx, pos)
                    f = adapt_get(type(x))
                    a[key1] = x if f is None else f(x)
                    if step(a):
                        return
            else:
                for k, v in _pairs(r, kind, pos):
                    ctx.left -= cost
                    if ctx.left < ctx.mark:
                        _tick(ctx, pos)
                    a[key1] = adapt(k)
                    a[key2] = adapt(v)
                    if step(a):
                        return
        finally:
            _restore(a, key1, saved1)
            if key2:
                _restore(a, key2, saved2)

    if kind == "sort_by":
        return _sort_by(rng, body, key1, cost, pos)
    if kind in ("all", "exists"):
        return _quantifier(kind, rng, body, key1, key2, cost, pos)
    if key2 is None and pred is None and kind in ("map", "filter"):
        return _single_var_collect(kind, rng, body, key1, cost, pos, max_list, adapt_get)

    if kind == "exists_one":
        def exists_one(a: Any) -> bool:
            count = [0]

            def step(s: Any) -> bool:
                v = body(s)
                if v is True:
                    count[0] += 1
                elif v is not False:
                    raise _not_bool("exists_one", v, pos)
                return False

            loop(a, step)
            return count[0] == 1

        return exists_one

    if kind in ("map", "transform_list"):
        # (filter has one variable and no predicate: _single_var_collect.)
        def collect(a: Any) -> list:
            out: list = []
            append = out.append

            def step(s: Any) -> bool:
                if pred is not None:
                    keep = pred(s)
                    if keep is False:
                        return False
                    if keep is not True:
                        raise _not_bool(kind, keep, pos)
                append(body(s))
                if len(out) > max_list:
                    raise located(too_big("list", len(out), max_list, "max_list_size"), pos)
                return False

            loop(a, step)
            return out

        return collect

    if kind in ("transform_map", "transform_map_entry"):
        entry = kind == "transform_map_entry"

        def transform_map(a: Any) -> Any:
            out: dict = {}
            result: list[Any] = [out]

            def step(s: Any) -> bool:
                if pred is not None:
                    keep = pred(s)
                    if keep is False:
                        return False
                    if keep is not True:
                        raise _not_bool(kind, keep, pos)
                v = body(s)
                if entry:
                    if not isinstance(v, Mapping):
                        raise located(CELEvaluationError("transformMapEntry() expression must yield a map"), pos)
                    for k in v:
                        _insert(result, k, v[k], pos)
                else:
                    _insert(result, s[key1], v, pos)
                if len(result[0]) > max_list:
                    raise located(
                        too_big("map", len(result[0]), max_list, "max_list_size"),
                        pos,
                    )
                return False

            loop(a, step)
            return result[0]

        return transform_map

    raise AssertionError(f"unknown comprehension kind {kind}")


def _sort_by(rng: Code, body: Code, key: str, cost: int, pos: int) -> Code:
    """`list.sortBy(e, key)`: the key of each element, then one stable sort by them."""
    adapt_get = ADAPT.get

    def sort_by(a: Any) -> list[Any]:
        ctx = a[CTX]
        items = rng(a)
        if not isinstance(items, (list, tuple)):
            raise _not_bool("sortBy", items, pos)
        saved = a.get(key, _MISSING)
        keys = []
        try:
            for x in items:
                ctx.left -= cost
                if ctx.left < ctx.mark:
                    _tick(ctx, pos)
                f = adapt_get(type(x))
                a[key] = x if f is None else f(x)
                keys.append(body(a))
        finally:
            _restore(a, key, saved)
        ctx.left -= sort_cost(len(items))
        if ctx.left < ctx.mark:
            _tick(ctx, pos)
        try:
            return sort_by_keys(items, keys)
        except CELEvaluationError as e:
            raise located(e, pos)

    return sort_by


def _quantifier(kind: str, rng: Code, body: Code, key: str, key2: str | None, cost: int, pos: int) -> Code:
    """all and exists, with one variable or two, the loop written out: they
    combine like && and ||, so a deciding value wins over errors met before."""
    adapt_get = ADAPT.get
    decide = kind == "exists"  # the value that ends the loop
    other = not decide

    def quantifier(a: Any) -> bool:
        ctx = a[CTX]
        r = rng(a)
        items = _items(r, kind, pos) if key2 is None else _pairs(r, kind, pos)
        saved = a.get(key, _MISSING)
        saved2 = a.get(key2, _MISSING) if key2 else _MISSING
        error = None
        try:
            for x in items:
                ctx.left -= cost
                if ctx.left < ctx.mark:
                    _tick(ctx, pos)
                if key2 is None:
                    f = adapt_get(type(x))
                    a[key] = x if f is None else f(x)
                else:
                    a[key] = adapt(x[0])
                    a[key2] = adapt(x[1])
                try:
                    v = body(a)
                except CELLimitError:
                    raise
                except CELEvaluationError as e:
                    if error is None:
                        error = e
                    continue
                if v is decide:
                    return decide
                if v is not other and error is None:
                    error = _not_bool(kind, v, pos)
        finally:
            _restore(a, key, saved)
            if key2:
                _restore(a, key2, saved2)
        if error is not None:
            raise error
        return other

    return quantifier


def _single_var_collect(
    kind: str, rng: Code, body: Code, key: str, cost: int, pos: int, max_list: int, adapt_get: Any
) -> Code:
    """map and filter with one variable, the loop written out: no per-element call but the body."""
    is_filter = kind == "filter"

    def collect(a: Any) -> list:
        ctx = a[CTX]
        items = _items(rng(a), kind, pos)
        saved = a.get(key, _MISSING)
        out: list = []
        append = out.append
        # map and filter visit every element: without a deadline to watch,
        # the whole loop can be charged before it starts.
        step = cost
        if ctx.deadline is None:
            ctx.left -= cost * len(items)
            if ctx.left < ctx.mark:
                _tick(ctx, pos)
            step = 0
        try:
            for x in items:
                if step:
                    ctx.left -= step
                    if ctx.left < ctx.mark:
                        _tick(ctx, pos)
                f = adapt_get(type(x))
                if f is not None:
                    x = f(x)
                a[key] = x
                v = body(a)
                if is_filter:
                    if v is True:
                        append(x)
                    elif v is not False:
                        raise _not_bool("filter", v, pos)
                else:
                    append(v)
        finally:
            _restore(a, key, saved)
        if len(out) > max_list:
            raise located(too_big("list", len(out), max_list, "max_list_size"), pos)
        return out

    return collect


def _insert(result: list, k: Any, v: Any, pos: int) -> None:
    result[0] = map_insert(result[0], k, v, pos)


def _tick(ctx: Any, pos: int) -> None:
    try:
        ctx.tick()
    except CELLimitError as e:
        raise located(e, pos)


def _restore(a: Any, key: str, saved: Any) -> None:
    if saved is _MISSING:
        a.pop(key, None)
    else:
        a[key] = saved
