"""`celprice check`: save-time validation of every expression of an AppPricing."""
from __future__ import annotations

import argparse
from typing import Any

from .. import testing
from ..pricing import RequestError, check_pricing, pricing_warnings, request_warnings
from . import inputs
from .common import FAILED, OK, UsageError, read_document

__all__ = ["add_parser", "run", "pricing_of"]


pricing_of = testing.pricing_of  # a bare AppPricing, or the `pricing` of a whole request


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "check",
        help="validate every expression of a pricing, as saving it would",
        description="Check every expression of an AppPricing (or of a request's \"pricing\") and print each "
        "problem with its caret snippet, then any warnings (a total that leaves a component unpaid, "
        "unknown request fields). Exit 0 when there is no problem (warnings do not count), 1 when "
        "there are problems, 2 when the file cannot be read.",
    )
    p.add_argument(
        "pricing",
        metavar="PRICING",
        nargs="?",
        help="an AppPricing object, or a request with a \"pricing\" key; JSON or YAML (.yaml/.yml; - for JSON on stdin)",
    )
    inputs.add_pricing_file_option(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if (args.pricing is None) == (args.pricing_file is None):
        raise UsageError("give the pricing file once: as the argument or as --pricing-file FILE")
    document = read_document(args.pricing or args.pricing_file)
    pricing = pricing_of(document)
    try:
        problems = check_pricing(pricing)
        # A whole request also gets the warnings about its own fields.
        warnings = [*(request_warnings(document) if document is not pricing else []), *pricing_warnings(pricing)]
    except RequestError as e:
        # A pricing of the wrong shape (prices not integers, an expression not a string)
        # is one more problem found by validation, not an unreadable file.
        print(f"invalid pricing: {e}")
        return FAILED
    for problem in problems:
        print(str(problem))
    # Warnings do not stop a save: they are printed, and the exit status ignores them.
    for warning in warnings:
        print(str(warning))
    if problems:
        count = len(problems)
        print(f"{count} problem{'s' if count != 1 else ''}")
        return FAILED
    print("no problems")
    return OK
