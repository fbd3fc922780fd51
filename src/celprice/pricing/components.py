"""The pieces of an AppPricing: its expression fields, their defaults, and
compiling one field into a Program or a list of located Problems."""
from __future__ import annotations

import re
from dataclasses import dataclass, fields

from ..env import Limits
from ..errors import CELCheckError, CELError, CELSyntaxError
from ..program import Program, compile
from .environment import FIELD_KINDS, out_of_scope, pricing_environment

__all__ = [
    "FEE_FIELDS",
    "FEE_NAMES",
    "PricingDefaults",
    "Problem",
    "compile_field",
    "is_plain_text",
    "one_line",
]

# Evaluation order, and the response key each fee field fills.
FEE_FIELDS: tuple[str, ...] = (
    "resource_expression",
    "inference_expression",
    "royalty_expression",
    "partner_expression",
    "total_expression",
)
FEE_NAMES: dict[str, str] = {
    "resource_expression": "resource_fee",
    "inference_expression": "inference_fee",
    "royalty_expression": "royalty_fee",
    "partner_expression": "partner_fee",
    "total_expression": "total",
}


@dataclass(frozen=True)
class PricingDefaults:
    """What a missing, null or blank expression of an AppPricing means.

    Replace it to change the service-wide defaults, e.g.
    `PricingDefaults(resource_expression="0")` for a service without compute charges.
    The total's dependency rule (a failed component makes the default total fail)
    applies whenever the total comes from here.
    """

    resource_expression: str = "sum(resources.map(r, r.price_per_second)) * elapsed_ms / 1000"
    inference_expression: str = "0"
    royalty_expression: str = "0"
    partner_expression: str = "0"
    total_expression: str = "resource_fee + inference_fee + royalty_fee + partner_fee"
    description: str = ""

    def __post_init__(self) -> None:
        for f in fields(self):
            if type(getattr(self, f.name)) is not str:
                raise TypeError(f"PricingDefaults.{f.name} must be a string")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an AppPricing, for save-time validation.

    `component` is the field ("inference_expression") or, for a shape problem,
    the JSON path ("pricing.prices.per_image"); line and column are 1-based
    (None when the problem has no position); `snippet` holds the caret lines.
    """

    component: str
    line: int | None
    column: int | None
    message: str
    snippet: str = ""

    def headline(self) -> str:
        """`inference_expression:1:13: message` on one line."""
        if self.line is None:
            return one_line(f"{self.component}: {self.message}")
        return one_line(f"{self.component}:{self.line}:{self.column}: {self.message}")

    def __str__(self) -> str:
        return f"{self.headline()}\n{self.snippet}" if self.snippet else self.headline()


def one_line(text: str) -> str:
    """Error text for a JSON response: line breaks inside it become spaces."""
    if "\n" in text or "\r" in text or len(text.splitlines()) > 1:
        return " ".join(text.splitlines())
    return text


def is_plain_text(description: str) -> bool:
    """A description is CEL only when, trimmed, it starts with a double quote."""
    return not description.lstrip().startswith('"')


def compile_field(
    field: str, source: str, *, nonstandard_promotion: bool = False, limits: Limits | None = None
) -> tuple[Program | None, list[Problem]]:
    """Compile one expression field against its kind's environment: (program, []) or (None, problems)."""
    env = pricing_environment(FIELD_KINDS[field], nonstandard_promotion=nonstandard_promotion, limits=limits)
    try:
        return compile(source, env), []
    except CELCheckError as e:
        return None, [_problem(field, p) for p in e.problems]
    except CELSyntaxError as e:
        return None, [_problem(field, e)]
    except CELError as e:
        return None, [Problem(field, None, None, e.message)]
    except RecursionError:
        return None, [Problem(field, None, None, "expression nests too deeply to compile")]


def _problem(field: str, e: CELError) -> Problem:
    return Problem(
        field,
        getattr(e, "line", None),
        getattr(e, "column", None),
        _explained(field, e.message),
        getattr(e, "snippet", "") or "",
    )


_UNDECLARED = re.compile(r"undeclared reference to '([^']+)'")


def _explained(field: str, message: str) -> str:
    """An undeclared name the pricing dialect knows, but not in this field: say why,
    instead of suggesting a similar name that is in scope."""
    match = _UNDECLARED.match(message)
    if match is None:
        return message
    reason = out_of_scope(FIELD_KINDS[field], match.group(1).split(".", 1)[0])
    return message if reason is None else f"{match.group(0)} ({reason})"
