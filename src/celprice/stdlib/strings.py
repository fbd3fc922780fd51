"""String functions: the standard `contains`/`startsWith`/`endsWith`/`matches`,
the CEL strings extension (`charAt`, `indexOf`, `split`, `join`, `quote`, ...)
and `string.format`.

Indices count code points, which is what Python's `str` indexes, so slicing
is direct. Behaviour follows the cel-spec `string` and `string_ext`
conformance data.
"""
from __future__ import annotations

import functools
from typing import Any, Callable

import re2

from ..errors import CELEvaluationError
from ..values import type_name
from .. import work
from ..registry import Cost, standard
from .base import excerpt, fail, no_overload
from .format import quote as _quote
from .format import string_format

__all__ = [
    "DECLS",
    "contains",
    "starts_with",
    "ends_with",
    "matches",
    "char_at",
    "index_of",
    "last_index_of",
    "lower_ascii",
    "upper_ascii",
    "replace",
    "split",
    "substring",
    "trim",
    "join",
    "reverse",
    "quote",
    "format_",
    "REGEX_CACHE_SIZE",
    "compile_re2",
]

REGEX_CACHE_SIZE = 128


def _is_int(value: Any) -> bool:
    # bool is an int subclass and UInt is a distinct CEL type: neither is an index.
    return type(value) is int


def _index_error(index: int) -> CELEvaluationError:
    return CELEvaluationError(f"index out of range: {index}")


# ---------------------------------------------------------------------------
# Standard library


def contains(s: Any, *args: Any) -> bool:
    if type(s) is str and len(args) == 1 and type(args[0]) is str:
        return args[0] in s
    no_overload("contains", s, *args)


def starts_with(s: Any, *args: Any) -> bool:
    if type(s) is str and len(args) == 1 and type(args[0]) is str:
        return s.startswith(args[0])
    no_overload("startsWith", s, *args)


def ends_with(s: Any, *args: Any) -> bool:
    if type(s) is str and len(args) == 1 and type(args[0]) is str:
        return s.endswith(args[0])
    no_overload("endsWith", s, *args)


def _re2_options() -> "re2.Options":
    options = re2.Options()
    # RE2 would otherwise print every bad pattern to stderr.
    options.log_errors = False
    # Only a yes/no answer is needed; skipping submatch tracking is faster.
    options.never_capture = True
    # Bounds the compiled program: a short pattern such as [\p{L}]{300}
    # would otherwise take a quarter of a second and megabytes to compile.
    options.max_mem = 1 << 20
    return options


_RE2_OPTIONS = _re2_options()


def compile_re2(pattern: str, options: "re2.Options") -> Any:
    """`pattern` compiled by RE2, or a CEL error saying why not (for `matches`
    and the regex extension, which differ only in their options)."""
    try:
        return re2.compile(pattern, options)
    except re2.error as exc:
        reason = exc.args[0] if exc.args else ""
        if isinstance(reason, bytes):  # the wrapper reports RE2's message as bytes
            reason = reason.decode("utf-8", "replace")
        raise CELEvaluationError(f"invalid regular expression {excerpt(pattern)}: {str(reason)[:120]}") from None
    except UnicodeEncodeError:
        raise CELEvaluationError(f"invalid regular expression {excerpt(pattern)}: not valid UTF-8") from None


@functools.lru_cache(maxsize=REGEX_CACHE_SIZE)
def _compile(pattern: str) -> Any:
    """Compile once per distinct pattern; bounded so hostile input cannot grow it.

    Failures are not cached (lru_cache never caches exceptions), which is
    fine: an invalid pattern is an error path.
    """
    return compile_re2(pattern, _RE2_OPTIONS)


def compiled_matcher(pattern: str) -> Callable[[Any, Any], bool]:
    """`matches` for a pattern known when the program is compiled: compile it now."""
    regex = _compile(pattern)

    def matches_compiled(s: Any, p: Any) -> bool:
        if type(s) is str:
            return regex.search(s.encode("utf-8", errors="surrogatepass")) is not None
        return matches(s, p)

    return matches_compiled


def matches(s: Any, *args: Any) -> bool:
    """RE2 search anywhere in `s` (not anchored): `'abc'.matches('b')` is true.

    RE2 runs in linear time, so a pattern like `(a+)+$` cannot blow up.
    """
    if type(s) is str and len(args) == 1 and type(args[0]) is str:
        regex = _compile(args[0])
        # Passing bytes skips the wrapper's code-point offset bookkeeping,
        # which a yes/no answer does not need.
        text = s.encode("utf-8", errors="surrogatepass")
        return regex.search(text) is not None
    no_overload("matches", s, *args)


# ---------------------------------------------------------------------------
# Strings extension


def char_at(s: Any, *args: Any) -> str:
    """`s.charAt(i)`: the code point at `i`; `i == size(s)` gives ''."""
    if type(s) is str and len(args) == 1 and _is_int(args[0]):
        i = args[0]
        if i < 0 or i > len(s):
            raise _index_error(i)
        return s[i : i + 1]
    no_overload("charAt", s, *args)


def index_of(s: Any, *args: Any) -> int:
    """`s.indexOf(sub[, from])`: first code-point index of `sub` at or after
    `from`, or -1. `from` must lie in [0, size(s)]."""
    if type(s) is str and 1 <= len(args) <= 2 and type(args[0]) is str:
        sub = args[0]
        if len(args) == 1:
            return s.find(sub)
        start = args[1]
        if _is_int(start):
            if start < 0 or start > len(s):
                raise _index_error(start)
            return s.find(sub, start)
    no_overload("indexOf", s, *args)


def last_index_of(s: Any, *args: Any) -> int:
    """`s.lastIndexOf(sub[, from])`: last index where `sub` starts at or
    before `from`, or -1. `from` must lie in [0, size(s)]."""
    if type(s) is str and 1 <= len(args) <= 2 and type(args[0]) is str:
        sub = args[0]
        if len(args) == 1:
            return s.rfind(sub)
        start = args[1]
        if _is_int(start):
            if start < 0 or start > len(s):
                raise _index_error(start)
            # A match starting at `start` may extend past it.
            return s.rfind(sub, 0, start + len(sub))
    no_overload("lastIndexOf", s, *args)


_LOWER = {c: c + 32 for c in range(ord("A"), ord("Z") + 1)}
_UPPER = {c: c - 32 for c in range(ord("a"), ord("z") + 1)}


def lower_ascii(s: Any, *args: Any) -> str:
    """Lower-case A-Z only; other code points (`Æ`) are untouched."""
    if type(s) is str and not args:
        return s.translate(_LOWER)
    no_overload("lowerAscii", s, *args)


def upper_ascii(s: Any, *args: Any) -> str:
    if type(s) is str and not args:
        return s.translate(_UPPER)
    no_overload("upperAscii", s, *args)


def replace(s: Any, *args: Any) -> str:
    """`s.replace(old, new[, n])`: replace the first `n` matches (all when n < 0).

    An empty `old` matches before each code point and at the end, as in Go
    and Python alike.
    """
    if (
        type(s) is str
        and 2 <= len(args) <= 3
        and type(args[0]) is str
        and type(args[1]) is str
        and (len(args) == 2 or _is_int(args[2]))
    ):
        count = -1 if len(args) == 2 or args[2] < 0 else args[2]
        return s.replace(args[0], args[1], count)
    no_overload("replace", s, *args)


def split(s: Any, *args: Any) -> list[str]:
    """`s.split(sep[, n])`, with Go's `strings.SplitN` limit semantics.

    n == 0 gives [], n < 0 no limit, n > 0 at most n parts (the last holds the
    rest). An empty separator splits into single code points.
    """
    if (
        type(s) is str
        and 1 <= len(args) <= 2
        and type(args[0]) is str
        and (len(args) == 1 or _is_int(args[1]))
    ):
        sep = args[0]
        limit = -1 if len(args) == 1 else args[1]
        if limit == 0:
            return []
        if sep == "":
            if limit < 0 or limit >= len(s):
                return list(s)
            return list(s[: limit - 1]) + [s[limit - 1 :]]
        return s.split(sep, -1 if limit < 0 else limit - 1)
    no_overload("split", s, *args)


def substring(s: Any, *args: Any) -> str:
    """`s.substring(start[, end])` in code points; indices must lie in
    [0, size(s)] and start <= end."""
    if type(s) is str and 1 <= len(args) <= 2 and all(_is_int(a) for a in args):
        start = args[0]
        if len(args) == 1:
            if start < 0 or start > len(s):
                raise _index_error(start)
            return s[start:]
        end = args[1]
        # Reversed ranges are reported before either bound (as the reference does).
        if start > end:
            raise CELEvaluationError(f"invalid substring range. start: {start}, end: {end}")
        if start < 0 or start > len(s):
            raise _index_error(start)
        if end < 0 or end > len(s):
            raise _index_error(end)
        return s[start:end]
    no_overload("substring", s, *args)


# Unicode White_Space (Go's unicode.IsSpace). Python's str.strip() would also
# remove U+001C..U+001F, which CEL keeps; U+180E, U+200B and U+FEFF are kept too.
_WHITESPACE = (
    "\t\n\v\f\r \x85\xa0\u1680"
    + "".join(chr(c) for c in range(0x2000, 0x200B))
    + "\u2028\u2029\u202f\u205f\u3000"
)


def trim(s: Any, *args: Any) -> str:
    if type(s) is str and not args:
        return s.strip(_WHITESPACE)
    no_overload("trim", s, *args)


def join(items: Any, *args: Any) -> str:
    """`list.join([sep])` on a list of strings."""
    if isinstance(items, (list, tuple)) and len(args) <= 1 and (
        not args or type(args[0]) is str
    ):
        for item in items:
            if type(item) is not str:
                fail(f"join: list elements must be strings, found {type_name(item)}")
        return (args[0] if args else "").join(items)
    no_overload("join", items, *args)


def reverse(s: Any, *args: Any) -> str:
    """Reverse by code point (combining marks are not kept with their base)."""
    if type(s) is str and not args:
        return s[::-1]
    no_overload("reverse", s, *args)


def quote(*args: Any) -> str:
    """`strings.quote(s)`."""
    if len(args) == 1 and type(args[0]) is str:
        return _quote(args[0])
    no_overload("strings.quote", *args)


def format_(s: Any, *args: Any) -> str:
    """`s.format(list)`; see `format.string_format` for the clauses."""
    if type(s) is str and len(args) == 1 and isinstance(args[0], (list, tuple)):
        return string_format(s, args[0])
    no_overload("format", s, *args)


_SCAN: dict[str, Any] = dict(cost=Cost.SCANS, precheck=work.receiver_scan)
_BUILD: dict[str, Any] = dict(cost=Cost.BUILDS)

DECLS = (
    standard("contains", contains, "string, string -> bool", member=True, **_SCAN),
    # Only the affix is compared, however long the receiver.
    standard("startsWith", starts_with, "string, string -> bool", member=True, cost=Cost.SCANS, precheck=work.affix),
    standard("endsWith", ends_with, "string, string -> bool", member=True, cost=Cost.SCANS, precheck=work.affix),
    standard("matches", matches, "string, string -> bool", method_too=True, cost=Cost.SCANS, precheck=work.matches),
    standard("charAt", char_at, "string, int -> string", member=True, cost=Cost.CONSTANT),
    standard("indexOf", index_of, "string, string -> int", "string, string, int -> int", member=True, **_SCAN),
    standard(
        "lastIndexOf", last_index_of, "string, string -> int", "string, string, int -> int", member=True, **_SCAN
    ),
    standard("lowerAscii", lower_ascii, "string -> string", member=True, **_BUILD),
    standard("upperAscii", upper_ascii, "string -> string", member=True, **_BUILD),
    # Its result may be far shorter than what it scans (all white space).
    standard("trim", trim, "string -> string", member=True, cost=Cost.BUILDS, precheck=work.receiver_scan),
    standard("reverse", reverse, "string -> string", member=True, **_BUILD),
    standard(
        "replace", replace, "string, string, string -> string", "string, string, string, int -> string",
        member=True, cost=Cost.BUILDS, precheck=work.replace,
    ),
    standard(
        "split", split, "string, string -> list(string)", "string, string, int -> list(string)",
        member=True, cost=Cost.BUILDS, precheck=work.split,
    ),
    standard("substring", substring, "string, int -> string", "string, int, int -> string", member=True, **_BUILD),
    standard(
        "join", join, "list(string) -> string", "list(string), string -> string",
        member=True, cost=Cost.BUILDS, precheck=work.join,
    ),
    standard("format", format_, "string, list(A) -> string", member=True, cost=Cost.BUILDS, precheck=work.format_),
    standard("strings.quote", quote, "string -> string", **_BUILD),
)
