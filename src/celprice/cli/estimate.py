"""`celprice estimate`: what `POST /store/apps/{appId}/estimate` would answer before a run."""
from __future__ import annotations

import argparse
import json
from typing import Any

from ..pricing import estimate_pricing
from . import inputs
from .common import FAILED, OK
from .preview import dollars

__all__ = ["add_parser", "run", "format_text"]


def format_text(answer: dict[str, Any]) -> str:
    """The estimate for people: the amount or range in dollars, or what it waits for."""
    confidence = answer["confidence"]
    if confidence == "exact":
        lines = [f"exact: {dollars(answer['microcents'])} ({answer['microcents']:,} microcents)"]
    elif confidence == "range":
        low, high = answer["min"], answer["max"]
        lines = [f"range: {dollars(low)} to {dollars(high)} ({low:,} to {high:,} microcents)"]
    else:
        waits = ", ".join(answer["depends_on"]) or "nothing"
        lines = [f"unknown: the fees need {waits} from the run"]
        if "estimate_error" in answer:
            lines.append(f"estimate error: {answer['estimate_error']}")
    if "pricing_description" in answer:
        lines.append(f"description: {json.dumps(answer['pricing_description'], ensure_ascii=False)}")
    return "\n".join(lines)


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "estimate",
        help="estimate a run's cost before it runs, as POST /store/apps/{appId}/estimate does",
        description="Estimate what a task would cost before it runs and print the store's estimate response as "
        "JSON: confidence exact (with microcents), range (min, max, from the pricing's estimate expression) or "
        "unknown (with depends_on, the post-execution variables the fees need). The request holds the pricing, "
        "the task's input and function ({\"pricing\": ..., \"input\": ..., \"function\": ...}); a preview request "
        "(task_inputs, task_function) works as it is, and so do a pricing file and a task file that combine "
        "(--pricing-file, --task; given with a request file, they replace its pricing or its task fields). "
        "Exit 0 when the estimate was computed (unknown included), "
        "1 when a formula failed (estimate_error), 2 for an invalid request, an unreadable file or a usage error.",
    )
    inputs.add_request_arguments(p, "the estimate request")
    p.add_argument("--pretty", action="store_true", help="print the estimate in dollars for people instead of JSON")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    answer = inputs.answer_request(args, estimate_pricing)
    print(format_text(answer) if args.pretty else json.dumps(answer, ensure_ascii=False, indent=2))
    return FAILED if "estimate_error" in answer else OK
