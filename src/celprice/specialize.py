"""Closures specialised for the shapes pricing formulas are made of.

The generic call closure evaluates the arguments and hands them to the
library function, which then dispatches on their types. For the binary
operators, these closures test the common case (both operands int, or both
double, or both string) inline and compute it with the C-level `operator`
function, and reach the library function only for everything else. A
constant right operand (`x * 1000000.0`) is held in the closure instead of
being produced by a call.
"""
from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

from .budget import CTX, shared
from .limits import Limits
from .plan import FieldRead
from .errors import CELEvaluationError, CELLimitError, located
from .values import INT64_MAX, INT64_MIN

__all__ = ["binary", "SPECIALISED"]

Code = Callable[[Any], Any]

# Operators whose int and double cases are exactly Python's (with the int64
# range checked afterwards). `/` and `%` are left out: CEL truncates integer
# division and makes float division by zero IEEE, where Python differs.
_ARITH = {"_+_": operator.add, "_-_": operator.sub, "_*_": operator.mul}
# Comparisons agree with Python for same-typed ints, doubles (NaN included)
# and strings (code-point order).
_COMPARE = {
    "_<_": operator.lt,
    "_<=_": operator.le,
    "_>_": operator.gt,
    "_>=_": operator.ge,
    "_==_": operator.eq,
    "_!=_": operator.ne,
}
# The operators this module has closures for (the registry marks them `specialised`).
SPECIALISED = frozenset(_ARITH) | frozenset(_COMPARE) | {"_/_"}
_LONG = 256  # strings longer than this are charged when compared with each other




def binary(
    name: str,
    impl: Callable[[Any, Any], Any],
    lf: Code,
    rf: Code | None,
    rconst: Any,
    pos: int,
    sized: Callable[[Any, Any, int], None] | None,
    walks: bool,
    limits: Limits,
    fused: FieldRead | None = None,
) -> Code:
    """The closure for `left <name> right`; rf is None when the right operand is the constant rconst.

    `impl` computes every case the closure does not handle inline; `walks`
    says it takes the budget (equality of lists and maps), `sized(a, value,
    pos)` checks and charges what `+` builds (strings, lists); `fused` is
    the left operand when it is `name.field`, which a comparison with a
    constant reads itself.
    """
    if name in _COMPARE:
        return _compare(_COMPARE[name], impl, lf, rf, rconst, pos, walks, limits, fused)
    if name == "_/_":
        return _divide(impl, lf, rf, rconst, pos)
    return _arith(_ARITH[name], impl, lf, rf, rconst, pos, sized)


def _arith(op: Callable, impl: Callable, lf: Code, rf: Code | None, rconst: Any, pos: int, sized: Any) -> Code:
    lo, hi = INT64_MIN, INT64_MAX

    def slow(a: Any, l: Any, r: Any) -> Any:
        try:
            v = impl(l, r)
        except CELLimitError:
            raise
        except CELEvaluationError as e:
            raise located(e, pos)
        if sized is not None:
            sized(a, v, pos)
        return v

    # One closure for a constant right operand (`x * 1000000.0`, held here)
    # and a computed one.
    def arith(a: Any) -> Any:
        l = lf(a)
        r = rconst if rf is None else rf(a)
        t = type(l)
        if t is type(r):
            if t is int:
                v = op(l, r)
                if lo <= v <= hi:
                    return v
            elif t is float:
                return op(l, r)
            elif t is str and sized is not None:
                # `+` is also how descriptions are built: strings take a short path too.
                v = l + r
                sized(a, v, pos)
                return v
        return slow(a, l, r)

    return arith


def _divide(impl: Callable, lf: Code, rf: Code | None, rconst: Any, pos: int) -> Code:
    def slow(l: Any, r: Any) -> Any:
        try:
            return impl(l, r)
        except CELEvaluationError as e:
            raise located(e, pos)

    if rf is None:
        r = rconst

        def divide_const(a: Any) -> Any:
            l = lf(a)
            if type(l) is float and type(r) is float and r:
                return l / r
            return slow(l, r)

        return divide_const

    def divide(a: Any) -> Any:
        l = lf(a)
        r = rf(a)
        if type(l) is float and type(r) is float and r:
            return l / r
        return slow(l, r)

    return divide


def _compare(
    op: Callable,
    impl: Callable,
    lf: Code,
    rf: Code | None,
    rconst: Any,
    pos: int,
    walks: bool,
    limits: Limits,
    fused: FieldRead | None,
) -> Code:
    def slow(a: Any, l: Any, r: Any) -> Any:
        try:
            if walks:
                # Equality of lists and maps walks them: charged as it goes, to
                # the scope's budget or the evaluation's shared one.
                return impl(l, r, budget=a.get(CTX) or shared(limits))
            return impl(l, r)
        except CELEvaluationError as e:
            raise located(e, pos)

    if rf is None:
        r = rconst
        tr = type(r)
        fast = tr is int or tr is float or tr is str
        if fast and fused is not None:
            return _compare_field_const(op, slow, lf, fused, r)

        def compare_const(a: Any) -> Any:
            l = lf(a)
            if fast and type(l) is tr:
                return op(l, r)
            return slow(a, l, r)

        return compare_const

    def compare(a: Any) -> Any:
        l = lf(a)
        r = rf(a)
        t = type(l)
        if t is type(r):
            if t is int or t is float:
                return op(l, r)
            if t is str:
                if len(l) > _LONG:
                    # Two long strings may compare in full: charge that.
                    (a.get(CTX) or shared(limits)).charge(min(len(l), len(r)))
                return op(l, r)
        return slow(a, l, r)

    return compare


def _compare_field_const(op: Callable, slow: Callable, lf: Code, fused: FieldRead, r: Any) -> Code:
    """`x.field <op> constant`, the comparison comprehension bodies are made of, in one closure."""
    key, field = fused.key, fused.field
    tr = type(r)
    lo, hi = INT64_MIN, INT64_MAX
    absent = object()

    def compare_field(a: Any) -> Any:
        v = a.get(key, absent)
        if type(v) is dict:
            l = v.get(field, absent)
            t = type(l)
            if t is tr and (t is not int or lo <= l <= hi):
                return op(l, r)
        # Anything unusual (missing key, other types, adaptation): the general path.
        return slow(a, lf(a), r)

    return compare_field
