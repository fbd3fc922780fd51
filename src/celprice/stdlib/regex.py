"""The regex extension (cel-go `ext.Regex`): `regex.replace`, `regex.extract`
and `regex.extractAll`, with RE2 semantics (google-re2, as `matches` uses).

Opt-in per Environment (`extensions=["regex"]`), as in cel-go. Matching
follows Go's regexp: successive non-overlapping matches, an empty match
right after the previous match is skipped; `\\N` in a replacement inserts
group N (`\\\\` is a backslash), anything else after a backslash is an
error. Offsets are code points (the wrapper converts from UTF-8).

Cost: RE2 runs in time linear in the text, so each call is charged the
length of its target plus what it builds, and MATCH_COST per match found
(the wrapper's per-match work dominates with many matches); a pattern that is not a constant
of the program is also charged REGEX_COMPILE_COST, as for `matches`
(constant patterns are compiled once and cached).
"""
from __future__ import annotations

import functools
from typing import Any

import re2

from ..errors import CELEvaluationError
from ..limits import Limits, too_big
from ..registry import Cost, Function, standard
from ..values import Optional
from ..work import REGEX_COMPILE_COST
from .base import excerpt, no_overload
from .strings import REGEX_CACHE_SIZE, compile_re2

__all__ = ["DECLS", "PATTERN_ARGUMENT", "RUNTIME_PATTERN_PRECHECK", "constant_pattern_precheck"]

def _options() -> "re2.Options":
    options = re2.Options()
    options.log_errors = False
    # The same bound as `matches`: a short pattern must not compile into megabytes.
    options.max_mem = 1 << 20
    return options


_OPTIONS = _options()


@functools.lru_cache(maxsize=REGEX_CACHE_SIZE)
def _compile(pattern: str) -> Any:
    # Its own cache: `matches` compiles without capture groups, which these need.
    return compile_re2(pattern, _OPTIONS)


# Units charged per match found: each one is a Python-level step of the
# wrapper's finditer (offsets converted from UTF-8, a match object built),
# about 10 us on this machine (benchmarks/calibrate_cost.py), where a code
# point scanned by RE2 itself is far cheaper. Charged as the matches are
# found, so a target with many matches stops at the budget midway.
MATCH_COST = 8


def _matches(regex: Any, text: str, budget: Any = None) -> list[Any]:
    """Go's FindAll: successive non-overlapping matches, where an empty match
    that abuts the previous match is not one."""
    out: list[Any] = []
    end = -1
    for m in regex.finditer(text):
        if budget is not None:
            budget.charge(MATCH_COST)
        s, e = m.span()
        if s == e and s == end:
            continue
        out.append(m)
        end = e
    return out


def _expand(template: str, match: Any, groups: int, room: int) -> str:
    """The replacement for one match; over `room` code points is a size error
    (`\\1` repeated can make a piece far larger than the target)."""
    parts: list[str] = []
    size = 0
    i, n = 0, len(template)
    while i < n:
        c = template[i]
        if c != "\\":
            parts.append(c)
            i += 1
            continue
        if i + 1 >= n:
            raise CELEvaluationError(f"invalid replacement string: '{template}' \\ not allowed at end")
        nxt = template[i + 1]
        i += 2
        if nxt == "\\":
            parts.append("\\")
            continue
        if not ("0" <= nxt <= "9"):
            raise CELEvaluationError(
                f"invalid replacement string: '{template}' \\ must be followed by a digit or \\"
            )
        group = ord(nxt) - ord("0")
        if group > groups:
            raise CELEvaluationError(
                f"replacement string references group {group} but regex has only {groups} group(s)"
            )
        text = match.group(group)
        if text is not None:
            parts.append(text)
            size += len(text)
            if size > room:
                raise too_big("string", size, room, "max_string_size")
    return "".join(parts)


def _budget_limits(budget: Any) -> Limits:
    return budget.limits if budget is not None else Limits()


def replace(target: Any, pattern: Any, replacement: Any, *rest: Any, budget: Any = None) -> str:
    """`regex.replace(target, pattern, replacement[, count])`: the first `count`
    matches replaced (all when count < 0, none when 0)."""
    if not (
        type(target) is str and type(pattern) is str and type(replacement) is str
        and len(rest) <= 1 and all(type(r) is int for r in rest)
    ):
        no_overload("regex.replace", target, pattern, replacement, *rest)
    count = rest[0] if rest else -1
    if count == 0:
        return target
    regex = _compile(pattern)
    limit = _budget_limits(budget).max_string_size
    out: list[str] = []
    size = 0
    last = 0
    for done, m in enumerate(_matches(regex, target, budget)):
        if 0 <= count <= done:
            break
        s, e = m.span()
        piece = _expand(replacement, m, regex.groups, limit)
        out.append(target[last:s])
        out.append(piece)
        size += (s - last) + len(piece)
        if size > limit:
            raise too_big("string", size, limit, "max_string_size")
        last = e
    out.append(target[last:])
    result = "".join(out)
    if len(result) > limit:
        raise too_big("string", len(result), limit, "max_string_size")
    if budget is not None:
        budget.charge(len(result))
    return result


def _single_group(regex: Any, pattern: str) -> int:
    if regex.groups > 1:
        raise CELEvaluationError(f"regular expression has more than one capturing group: {excerpt(pattern)}")
    return int(regex.groups)


def extract(target: Any, pattern: Any, budget: Any = None) -> Optional:
    """`regex.extract(target, pattern)`: the first match (or its one group), as
    an optional; none when nothing matches or the group is empty."""
    if type(target) is not str or type(pattern) is not str:
        no_overload("regex.extract", target, pattern)
    regex = _compile(pattern)
    groups = _single_group(regex, pattern)
    m = regex.search(target)
    if m is None:
        return Optional.none()
    if groups == 1:
        text = m.group(1)
        return Optional.of(text) if text else Optional.none()
    return Optional.of(m.group(0))


def extract_all(target: Any, pattern: Any, budget: Any = None) -> list[str]:
    """`regex.extractAll(target, pattern)`: every match (or its non-empty group)."""
    if type(target) is not str or type(pattern) is not str:
        no_overload("regex.extractAll", target, pattern)
    regex = _compile(pattern)
    groups = _single_group(regex, pattern)
    found = _matches(regex, target, budget)
    if groups == 1:
        out = [t for t in (m.group(1) for m in found) if t]
    else:
        out = [m.group(0) for m in found]
    limits = _budget_limits(budget)
    if len(out) > limits.max_list_size:
        raise too_big("list", len(out), limits.max_list_size, "max_list_size")
    if budget is not None and out:
        budget.charge(len(out))
    return out


def _precheck(compile_cost: int) -> Any:
    def check(args: tuple[Any, ...], budget: Any, limits: Limits) -> None:
        if budget is not None and len(args) >= 2 and type(args[0]) is str and type(args[1]) is str:
            budget.charge(len(args[0]) + compile_cost)

    return check


# The argument holding the pattern: when the program has it as a constant,
# the compiler uses `constant_pattern_precheck` (no compile cost) instead.
PATTERN_ARGUMENT = {"regex.replace": 1, "regex.extract": 1, "regex.extractAll": 1}
constant_pattern_precheck = _precheck(0)

# WALKS: the implementation is handed the budget, and charges and bounds what
# it builds as it goes (the size of a replacement is not known before matching).
RUNTIME_PATTERN_PRECHECK = _precheck(REGEX_COMPILE_COST)
_REGEX: dict[str, Any] = {"cost": Cost.WALKS, "precheck": RUNTIME_PATTERN_PRECHECK}

DECLS: tuple[Function, ...] = (
    standard(
        "regex.replace", replace,
        "string, string, string -> string", "string, string, string, int -> string", **_REGEX,
    ),
    standard("regex.extract", extract, "string, string -> optional_type(string)", **_REGEX),
    standard("regex.extractAll", extract_all, "string, string -> list(string)", **_REGEX),
)
