"""What an operation will cost, charged before it runs.

Most operations cost one unit, but some do work that grows with their input:
searching a string or a list, or building a string from a list. A formula
that repeats them inside a comprehension would otherwise do quadratic work
for a linear budget, and a builder like `replace` could allocate gigabytes
before its result is measured. Each check here looks at the arguments,
refuses a result that would break a size limit, and charges the budget for
the work; none of them does the work itself.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from .limits import Limits, too_big
from .errors import CELLimitError

__all__ = [
    "logical_size",
    "scans",
    "receiver_scan",
    "affix",
    "parses",
    "matches",
    "membership",
    "extremum",
    "join",
    "replace",
    "split",
    "format_",
    "REGEX_COMPILE_COST",
]

Check = Callable[[tuple, Any, Limits], None]


def _charge(budget: Any, units: int) -> None:
    if budget is not None and units:
        budget.charge(units)


def _string_limit(size: int, limits: Limits) -> None:
    if size > limits.max_string_size:
        raise too_big("string", size, limits.max_string_size, "max_string_size")


def _list_limit(size: int, limits: Limits) -> None:
    if size > limits.max_list_size:
        raise too_big("list", size, limits.max_list_size, "max_list_size")


def _len(value: Any) -> int:
    return len(value) if isinstance(value, (str, bytes, list, tuple, Mapping)) else 0


def scans(args: tuple, budget: Any, limits: Limits) -> None:
    """The default measure of a scan: every sized argument, read once."""
    _charge(budget, sum(map(_len, args)))


def parses(args: tuple, budget: Any, limits: Limits) -> None:
    """int, double, duration, ...: a string argument is read in full (other
    argument types convert in constant time)."""
    _charge(budget, sum(len(a) for a in args if type(a) is str))


def affix(args: tuple, budget: Any, limits: Limits) -> None:
    """startsWith, endsWith: compare the affix only, however long the receiver."""
    if len(args) == 2:
        _charge(budget, min(_len(args[0]), _len(args[1])))


def receiver_scan(args: tuple, budget: Any, limits: Limits) -> None:
    """contains, startsWith, indexOf, matches, ...: a scan of the receiver."""
    _charge(budget, _len(args[0]))


# Compiling a regular expression can take milliseconds (Unicode classes), far
# more than its length suggests; a pattern built at run time is charged this
# much every time, so a budget allows only so many. Constant patterns are
# compiled once, with the program, and cost nothing here.
REGEX_COMPILE_COST = 10_000


def matches(args: tuple, budget: Any, limits: Limits) -> None:
    if len(args) == 2 and type(args[0]) is str and type(args[1]) is str:
        _charge(budget, len(args[0]) + REGEX_COMPILE_COST)


def membership(args: tuple, budget: Any, limits: Limits) -> None:
    container = args[1] if len(args) == 2 else None
    if isinstance(container, (list, tuple)):
        _charge(budget, len(container))


def extremum(args: tuple, budget: Any, limits: Limits) -> None:
    _charge(budget, _len(args[0]) if len(args) == 1 else len(args))


def join(args: tuple, budget: Any, limits: Limits) -> None:
    items = args[0]
    if not isinstance(items, (list, tuple)) or not all(type(i) is str for i in items):
        return  # the function reports the wrong type itself
    sep = args[1] if len(args) > 1 and type(args[1]) is str else ""
    size = sum(map(len, items)) + len(sep) * max(len(items) - 1, 0)
    _string_limit(size, limits)
    # Each element is visited even when it is empty.
    _charge(budget, size + len(items))


def replace(args: tuple, budget: Any, limits: Limits) -> None:
    if len(args) < 3 or not all(type(a) is str for a in args[:3]):
        return
    s, old, new = args[0], args[1], args[2]
    limit = args[3] if len(args) > 3 and type(args[3]) is int else -1
    count = len(s) + 1 if old == "" else s.count(old)
    if limit >= 0:
        count = min(count, limit)
    size = len(s) + count * (len(new) - len(old))
    _string_limit(size, limits)
    _charge(budget, len(s) + size)


def split(args: tuple, budget: Any, limits: Limits) -> None:
    if len(args) < 2 or type(args[0]) is not str or type(args[1]) is not str:
        return
    s, sep = args[0], args[1]
    parts = len(s) if sep == "" else s.count(sep) + 1
    if len(args) > 2 and type(args[2]) is int and args[2] >= 0:
        parts = min(parts, args[2])
    _list_limit(parts, limits)
    _charge(budget, len(s) + parts)


def logical_size(value: Any, cap: int) -> int:
    """A lower bound of how many code points `%s` writes for `value`, counting
    a shared part each time it appears (as rendering does) but computed over
    distinct objects only, and stopped once past `cap`."""
    sizes: dict[int, int] = {}

    def size(v: Any) -> int:
        if isinstance(v, (str, bytes)):
            return len(v)
        if not isinstance(v, (list, tuple, Mapping)):
            return 1
        known = sizes.get(id(v))
        if known is not None:
            return known
        total = 0
        items = [*v.keys(), *v.values()] if isinstance(v, Mapping) else v
        for item in items:
            # Each element is written with a separator (", " or ": ").
            total += size(item) + 2
            if total > cap:
                break
        total = max(total, 2)  # at least the brackets
        sizes[id(v)] = total
        return total

    return size(value)


def _clauses(fmt: str) -> int:
    """How many arguments a format string consumes (`%%` is a literal percent)."""
    return fmt.count("%") - 2 * fmt.count("%%")


def format_(args: tuple, budget: Any, limits: Limits) -> None:
    if len(args) != 2 or type(args[0]) is not str or not isinstance(args[1], (list, tuple)):
        return
    cap = limits.max_string_size
    size = sum(logical_size(arg, cap) for arg in args[1][: max(_clauses(args[0]), 0)])
    if size > cap:
        raise CELLimitError(f"formatting would build a string of over {cap} code points (max_string_size)")
    _charge(budget, size)
