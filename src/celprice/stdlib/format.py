"""Text renderings of CEL values: `string(double)`, `strings.quote`, `string.format`.

`format_double` is the reference implementation's `string(double)`.
`string_format` implements the strings extension's printf-style
`"...".format([args])`, following the cel-spec `string_ext` conformance data.
"""
from __future__ import annotations

import datetime as _dt
import math as _m
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Callable

from ..errors import CELEvaluationError
from ..values import Duration, Timestamp, Type, UInt, type_name
from .time import format_duration, format_timestamp

__all__ = ["format_double", "quote", "string_format", "format_value", "clause_count"]

# A printf precision is attacker-controlled text in an untrusted formula;
# without a bound "%.999999999f" would try to build a gigabyte string.
MAX_PRECISION = 1000
_DEFAULT_PRECISION = 6


# ---------------------------------------------------------------------------
# Doubles


def _shortest_digits(x: float) -> tuple[str, int]:
    """Shortest round-trip decimal digits of a finite nonzero |x|, and the
    decimal-point position: |x| == 0.<digits> * 10**point.

    Python's repr already yields the shortest round-trip digits; Decimal just
    parses them without another rounding step.
    """
    _, digits, exponent = Decimal(repr(abs(x))).normalize().as_tuple()
    text = "".join(map(str, digits))
    assert isinstance(exponent, int)
    return text, len(text) + exponent


def _fixed(digits: str, point: int) -> str:
    """Plain positional notation with exactly the given digits (Go's 'f', -1)."""
    if point <= 0:
        return "0." + "0" * (-point) + digits
    if point >= len(digits):
        return digits + "0" * (point - len(digits))
    return digits[:point] + "." + digits[point:]


def format_double(x: float) -> str:
    """CEL `string(double)`: Go's `strconv.FormatFloat(x, 'g', -1, 64)`.

    Shortest round-trip digits; exponent form when the decimal exponent is
    below -4 or at least 6 (Go fixes the threshold at 6 for shortest output,
    whatever the digit count), so 100000.0 is '100000' but 1e6 is '1e+06'.
    """
    if 1e-4 <= abs(x) < 1e6:
        # Here Python's repr is already positional with the shortest digits.
        text = repr(x)
        return text[:-2] if text.endswith(".0") else text
    if x != x:
        return "NaN"
    if x in (_m.inf, -_m.inf):
        return "+Inf" if x > 0 else "-Inf"
    sign = "-" if _m.copysign(1.0, x) < 0 else ""
    if x == 0:
        return sign + "0"
    digits, point = _shortest_digits(x)
    exp = point - 1
    if exp < -4 or exp >= 6:
        mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        return f"{sign}{mantissa}e{'-' if exp < 0 else '+'}{abs(exp):02d}"
    return sign + _fixed(digits, point)


def _plain_double(x: float) -> str:
    """Shortest digits without an exponent, as `%s` and `%d` print doubles."""
    if x != x:
        return "NaN"
    if x in (_m.inf, -_m.inf):
        return "Infinity" if x > 0 else "-Infinity"
    sign = "-" if _m.copysign(1.0, x) < 0 else ""
    if x == 0:
        return sign + "0"
    return sign + _fixed(*_shortest_digits(x))


# ---------------------------------------------------------------------------
# strings.quote

_QUOTE_MAP: dict[int, str] = {
    0x07: "\\a",
    0x08: "\\b",
    0x0C: "\\f",
    0x0A: "\\n",
    0x0D: "\\r",
    0x09: "\\t",
    0x0B: "\\v",
    0x5C: "\\\\",
    0x22: '\\"',
}
# A lone surrogate is not a valid code point; the reference implementation
# replaces invalid runes with U+FFFD rather than failing.
_QUOTE_MAP.update({cp: "\ufffd" for cp in range(0xD800, 0xE000)})


def quote(s: str) -> str:
    """`strings.quote`: wrap in double quotes, escaping CEL escape characters.

    Only the control characters that have a short escape (\\a \\b \\f \\n \\r
    \\t \\v), the backslash and the double quote are escaped; every other code
    point, printable or not, is kept as is.
    """
    return '"' + s.translate(_QUOTE_MAP) + '"'


# ---------------------------------------------------------------------------
# string.format


class _ClauseError(Exception):
    """A verb was given a value it cannot format (message without prefix)."""


_STRING_CLAUSE_TYPES = (
    "strings, bools, bytes, ints, doubles, maps, lists, types, durations, and timestamps"
)




def _str_clause(value: Any) -> str:
    t = type(value)
    if t is str:
        return value
    if t is bool:
        return "true" if value else "false"
    if t is int or t is UInt:
        return str(int(value))
    if t is float:
        return _plain_double(value)
    if value is None:
        return "null"
    if t is bytes:
        # Go appends the raw bytes; a Python str needs them decoded.
        return value.decode("utf-8", errors="replace")
    if t is Timestamp:
        return format_timestamp(value)
    if t is Duration:
        return format_duration(value)
    if t is Type:
        return value.name
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_str_clause(v) for v in value) + "]"
    if isinstance(value, Mapping):
        # Map iteration order is not part of CEL, so the output sorts entries
        # by the rendered key to be deterministic (as the reference does).
        entries = sorted(
            ((_str_clause(k), _str_clause(value[k])) for k in value),
            key=lambda kv: kv[0],
        )
        return "{" + ", ".join(f"{k}: {v}" for k, v in entries) + "}"
    if isinstance(value, _dt.datetime):
        return format_timestamp(Timestamp.from_datetime(value))
    if isinstance(value, _dt.timedelta):
        return format_duration(Duration.from_timedelta(value))
    raise _ClauseError(
        f"string clause can only be used on {_STRING_CLAUSE_TYPES}, was given {type_name(value)}"
    )


def _decimal_clause(value: Any) -> str:
    t = type(value)
    if t is int or t is UInt:
        return str(int(value))
    if t is float:
        return _plain_double(value)
    raise _ClauseError(
        f"decimal clause can only be used on ints, uints, and doubles, was given {type_name(value)}"
    )


def _as_float(value: Any, clause: str) -> float:
    t = type(value)
    if t is float:
        return value
    if t is int or t is UInt:
        return float(value)
    raise _ClauseError(
        f"{clause} clause can only be used on ints, uints, and doubles, was given {type_name(value)}"
    )


def _nonfinite(x: float) -> str | None:
    if x != x:
        return "NaN"
    if x == _m.inf:
        return "Infinity"
    if x == -_m.inf:
        return "-Infinity"
    return None


def _fixed_clause(precision: int) -> Callable[[Any], str]:
    def clause(value: Any) -> str:
        x = _as_float(value, "fixed-point")
        return _nonfinite(x) or f"{x:.{precision}f}"

    return clause


def _scientific_clause(precision: int) -> Callable[[Any], str]:
    def clause(value: Any) -> str:
        x = _as_float(value, "scientific")
        # Python and Go agree here: at least two exponent digits, explicit sign.
        return _nonfinite(x) or f"{x:.{precision}e}"

    return clause


def _binary_clause(value: Any) -> str:
    t = type(value)
    if t is bool:
        return "1" if value else "0"
    if t is int or t is UInt:
        return format(int(value), "b")
    raise _ClauseError(
        f"only ints, uints, and bools can be formatted as binary, was given {type_name(value)}"
    )


def _octal_clause(value: Any) -> str:
    t = type(value)
    if t is int or t is UInt:
        return format(int(value), "o")
    raise _ClauseError(
        f"octal clause can only be used on ints and uints, was given {type_name(value)}"
    )


def _hex_clause(upper: bool) -> Callable[[Any], str]:
    def clause(value: Any) -> str:
        t = type(value)
        if t is int or t is UInt:
            # Negative ints print as '-' and the magnitude, like Go's %x.
            text = format(int(value), "x")
        elif t is str:
            text = value.encode("utf-8", errors="surrogatepass").hex()
        elif t is bytes:
            text = value.hex()
        else:
            raise _ClauseError(
                "only ints, uints, bytes, and strings can be formatted as hex, "
                f"was given {type_name(value)}"
            )
        return text.upper() if upper else text

    return clause


def _parse_clause(fmt: str, start: int) -> tuple[int, Callable[[Any], str]]:
    """Parse the clause after the '%' at `start - 1`; return (end, formatter)."""
    i = start
    precision = _DEFAULT_PRECISION
    if fmt[i] == ".":
        i += 1
        j = i
        while j < len(fmt) and "0" <= fmt[j] <= "9":
            j += 1
        if j >= len(fmt):
            raise CELEvaluationError(
                "could not parse formatting clause: could not find end of precision specifier"
            )
        if j == i:
            raise CELEvaluationError(
                "could not parse formatting clause: missing precision digits"
            )
        precision = int(fmt[i:j])
        if precision > MAX_PRECISION:
            raise CELEvaluationError(
                f"could not parse formatting clause: precision {precision} exceeds {MAX_PRECISION}"
            )
        i = j
    verb = fmt[i]
    i += 1
    if verb == "s":
        return i, _str_clause
    if verb == "d":
        return i, _decimal_clause
    if verb == "f":
        return i, _fixed_clause(precision)
    if verb == "e":
        return i, _scientific_clause(precision)
    if verb == "b":
        return i, _binary_clause
    if verb == "x" or verb == "X":
        return i, _hex_clause(verb == "X")
    if verb == "o":
        return i, _octal_clause
    raise CELEvaluationError(
        f'could not parse formatting clause: unrecognized formatting clause "{verb}"'
    )


def clause_count(fmt: str) -> int | None:
    """How many arguments `fmt` consumes, or None when it does not parse
    (evaluating it reports why)."""
    n, i, count = len(fmt), 0, 0
    while True:
        i = fmt.find("%", i)
        if i < 0:
            return count
        if i + 1 < n and fmt[i + 1] == "%":
            i += 2
            continue
        if i + 1 >= n:
            return None
        try:
            i, _ = _parse_clause(fmt, i + 1)
        except (CELEvaluationError, IndexError):
            return None
        count += 1


def string_format(fmt: str, args: list[Any] | tuple[Any, ...]) -> str:
    """`fmt.format(args)`: substitute printf-style clauses with CEL renderings.

    Clauses: %s %d %f %e %b %x %X %o, an optional `.N` precision (used by %f
    and %e, default 6), and %% for a literal percent sign. Each clause
    consumes the next argument; too few arguments, an unknown verb or a value
    the verb cannot render is an error. Surplus arguments are ignored at
    runtime (the reference flags them only in its static validator).
    """
    out: list[str] = []
    n = len(fmt)
    i = 0
    arg_index = 0
    literal_start = 0
    while i < n:
        # Copy literal runs in one slice; the format string can be long.
        i = fmt.find("%", i)
        if i < 0:
            break
        out.append(fmt[literal_start:i])
        if i + 1 < n and fmt[i + 1] == "%":
            out.append("%")
            i += 2
            literal_start = i
            continue
        if arg_index >= len(args):
            raise CELEvaluationError(f"index {arg_index} out of range")
        if i + 1 >= n:
            raise CELEvaluationError("unexpected end of string")
        end, clause = _parse_clause(fmt, i + 1)
        try:
            out.append(clause(args[arg_index]))
        except _ClauseError as exc:
            raise CELEvaluationError(f"error during formatting: {exc}") from None
        except RecursionError:
            raise CELEvaluationError("error during formatting: value nested too deeply") from None
        arg_index += 1
        i = literal_start = end
    out.append(fmt[literal_start:])
    return "".join(out)


def format_value(value: Any) -> str:
    """How `%s` renders a value (e.g. `[1, a, 2.5]`, `{k: v}`, `NaN`)."""
    try:
        return _str_clause(value)
    except _ClauseError as exc:
        raise CELEvaluationError(f"error during formatting: {exc}") from None
    except RecursionError:
        raise CELEvaluationError("error during formatting: value nested too deeply") from None
