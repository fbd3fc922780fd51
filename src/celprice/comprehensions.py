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
from .access import ADAPT, adapt, map_insert, show_key
from .budget import CTX
from .errors import CELEvaluationError, CELLimitError, located
from .limits import Limits, too_big
from .render import render
from .spelling import no_matching_overload
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
        CELEvaluationError(no_matching_overload(name, f"({type_name(rng)})")), pos
    )


def _pairs(rng: Any, name: str, pos: int) -> Any:
    """(index, value) of a list or (key, value) of a map, for the two-variable forms."""
    if isinstance(rng, (list, tuple)):
        return enumerate(rng)
    if isinstance(rng, Mapping):
        return ((k, rng[k]) for k in rng)
    raise located(
        CELEvaluationError(no_matching_overload(name, f"({type_name(rng)})")), pos
    )


# An element path longer than this keeps its end (the innermost step says most).
MAX_ELEMENT_PATH = 120
_MAX_RANGE_TEXT = 60


class _Where:
    """Names the element a comprehension was at when its body failed: `outputs[3]`.

    The range's text is rendered only when an error needs it. An error from a
    nested comprehension over this one's variable (`o.frames[2]`) continues this
    path (`outputs[3].frames[2]`)."""

    __slots__ = ("node", "var", "text")

    def __init__(self, node: ast.Comprehension) -> None:
        # The variable bound to the element: the value one of the two-variable forms.
        self.node, self.var = node, node.var2 or node.var
        self.text: str | None = None

    def range_text(self) -> str:
        if self.text is None:
            try:
                text = render(self.node.range)
            except (ValueError, RecursionError):
                text = "element"
            if len(text) > _MAX_RANGE_TEXT:
                text = text[: _MAX_RANGE_TEXT - 3] + "..."
            self.text = text
        return self.text

    def mark(self, e: CELEvaluationError, key: Any, is_list: bool) -> CELEvaluationError:
        if isinstance(e, CELLimitError):
            return e  # a limit is about the whole evaluation, not one element
        here = f"{self.range_text()}[{key if is_list else show_key(key)}]"
        inner = e.element
        if inner is None:
            path = here
        elif inner == self.var or inner.startswith((self.var + ".", self.var + "[")):
            path = here + inner[len(self.var):]
        else:
            return e  # a comprehension over something else: its own path says where
        if len(path) > MAX_ELEMENT_PATH:
            path = "..." + path[-(MAX_ELEMENT_PATH - 3):]
        e.element = path
        return e


def _not_bool(name: str, v: Any, pos: int) -> CELEvaluationError:
    return located(
        CELEvaluationError(no_matching_overload(name, f"({type_name(v)})")), pos
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
                        no_matching_overload("optFlatMap" if flat else "optMap", f"({type_name(opt)})")
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

    where = _Where(node)

    def loop(a: Any, step: Callable[[Any], bool | None]) -> None:
        """Bind the variables for each element and call step(a); stop when it returns True."""
        ctx = a[CTX]
        r = rng(a)
        saved1 = a.get(key1, _MISSING)
        saved2 = a.get(key2, _MISSING) if key2 else _MISSING
        at: Any = None
        try:
            if key2 is None:
                for at, x in _indexed(_items(r, kind, pos)):
                    ctx.left -= cost
                    if ctx.left < ctx.mark:
                        _tick(ctx, pos)
                    f = adapt_get(type(x))
                    a[key1] = x if f is None else f(x)
                    if step(a):
                        return
            else:
                for at, v in _pairs(r, kind, pos):
                    ctx.left -= cost
                    if ctx.left < ctx.mark:
                        _tick(ctx, pos)
                    a[key1] = adapt(at)
                    a[key2] = adapt(v)
                    if step(a):
                        return
        except CELEvaluationError as e:
            if at is not None:
                where.mark(e, at, not isinstance(r, Mapping))
            raise
        finally:
            _restore(a, key1, saved1)
            if key2:
                _restore(a, key2, saved2)

    if kind == "sort_by":
        return _sort_by(rng, body, key1, cost, pos, where)
    if kind in ("all", "exists"):
        return _quantifier(kind, rng, body, key1, key2, cost, pos, where)
    if key2 is None and pred is None and kind in ("map", "filter"):
        return _single_var_collect(kind, rng, body, key1, cost, pos, max_list, adapt_get, where)

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
        def collect(a: Any) -> list[Any]:
            out: list[Any] = []
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
            out: dict[Any, Any] = {}
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


def _sort_by(rng: Code, body: Code, key: str, cost: int, pos: int, where: _Where) -> Code:
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
        except CELEvaluationError as e:
            where.mark(e, len(keys), True)  # one key per element before the failing one
            raise
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


def _quantifier(
    kind: str, rng: Code, body: Code, key: str, key2: str | None, cost: int, pos: int, where: _Where
) -> Code:
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
        failed_at: Any = None
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
                        error, failed_at = e, x
                    continue
                if v is decide:
                    return not other
                if v is not other and error is None:
                    error, failed_at = _not_bool(kind, v, pos), x
        finally:
            _restore(a, key, saved)
            if key2:
                _restore(a, key2, saved2)
        if error is not None:
            # Marked only now: an error a deciding element overrides costs nothing.
            at = _first(r, failed_at) if key2 is None else failed_at[0]
            if at is not None:
                where.mark(error, at, not isinstance(r, Mapping))
            raise error
        return other

    return quantifier


def _single_var_collect(
    kind: str, rng: Code, body: Code, key: str, cost: int, pos: int, max_list: int, adapt_get: Any, where: _Where
) -> Code:
    """map and filter with one variable, the loop written out: no per-element call but the body."""
    is_filter = kind == "filter"

    def collect(a: Any) -> list[Any]:
        ctx = a[CTX]
        items = _items(rng(a), kind, pos)
        saved = a.get(key, _MISSING)
        out: list[Any] = []
        append = out.append
        # map and filter visit every element: without a deadline to watch,
        # the whole loop can be charged before it starts.
        step = cost
        if ctx.deadline is None:
            ctx.left -= cost * len(items)
            if ctx.left < ctx.mark:
                _tick(ctx, pos)
            step = 0
        item: Any = _MISSING
        try:
            for item in items:
                if step:
                    ctx.left -= step
                    if ctx.left < ctx.mark:
                        _tick(ctx, pos)
                f = adapt_get(type(item))
                x = item if f is None else f(item)
                a[key] = x
                v = body(a)
                if is_filter:
                    if v is True:
                        append(x)
                    elif v is not False:
                        raise _not_bool("filter", v, pos)
                else:
                    append(v)
        except CELEvaluationError as e:
            if item is not _MISSING:
                # map has appended one value per element before the failing one.
                at = _first(items, item) if is_filter else item if isinstance(items, Mapping) else len(out)
                if at is not None:
                    where.mark(e, at, not isinstance(items, Mapping))
            raise
        finally:
            _restore(a, key, saved)
        if len(out) > max_list:
            raise located(too_big("list", len(out), max_list, "max_list_size"), pos)
        return out

    return collect


def _first(items: Any, item: Any) -> Any:
    """The element's index (a map's key: the key), found only once the loop failed, so
    the loop counts nothing. The body sees nothing but the element that differs between
    elements, so the first occurrence of the same object is where it failed."""
    if isinstance(items, Mapping):
        return item
    for i, y in enumerate(items):
        if y is item:
            return i
    return None


def _indexed(items: Any) -> Any:
    """(index, element) of a list, (key, key) of a map: what an element path names."""
    return ((k, k) for k in items) if isinstance(items, Mapping) else enumerate(items)


def _insert(result: list[Any], k: Any, v: Any, pos: int) -> None:
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
