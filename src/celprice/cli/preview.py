"""`celprice preview`: what `POST /usage/cel/evaluate` would answer for a request."""
from __future__ import annotations

import argparse
import json
from typing import Any

from ..pricing import evaluate_pricing, format_dollars
from . import inputs
from .common import FAILED, OK

__all__ = ["add_parser", "run", "dollars", "format_table", "format_json"]

FEES = ("resource_fee", "inference_fee", "royalty_fee", "partner_fee", "total")


def dollars(microcents: int) -> str:
    """Exact dollars as to_dollars() writes them, with a $ and grouped thousands ($1,250.00)."""
    text = format_dollars(microcents)
    sign = "-" if text.startswith("-") else ""
    whole, _, fraction = text.lstrip("-").partition(".")
    return f"{sign}${int(whole):,}.{fraction}"


def format_table(response: dict[str, Any]) -> str:
    """The response for people: each fee in microcents and dollars, errors in place of dollars."""
    rows = [("component", "microcents", "dollars")]
    for name in FEES:
        part = response.get(name, {})
        value = part.get("value", 0)
        shown = f"error: {part['error']}" if part.get("error") else dollars(value)
        rows.append((name, f"{value:,}", shown))
    name_width = max(len(r[0]) for r in rows)
    number_width = max(len(r[1]) for r in rows)
    lines = [f"{a:<{name_width}}  {b:>{number_width}}  {c}".rstrip() for a, b, c in rows]
    description = response.get("description", {})
    if description.get("error"):
        text = f"error: {description['error']}"
    else:
        text = json.dumps(description.get("value", ""), ensure_ascii=False)
    lines.append(f"{'description':<{name_width}}  {text}")
    return "\n".join(lines)


def format_json(response: dict[str, Any]) -> str:
    """The response as JSON, one component per line (as the spec shows it)."""
    lines = [f"  {json.dumps(k)}: {json.dumps(v, ensure_ascii=False)}" for k, v in response.items()]
    return "{\n" + ",\n".join(lines) + "\n}"


def failed(response: dict[str, Any]) -> bool:
    return any(isinstance(part, dict) and part.get("error") for part in response.values())


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "preview",
        help="evaluate a pricing request, as POST /usage/cel/evaluate does",
        description="Evaluate a /usage/cel/evaluate request and print the response as JSON. "
        "The request is a file, or a pricing file and a task file that combine (--pricing-file, --task; "
        "given with a request file, they replace its pricing or its task fields). "
        "Exit 0 when every component evaluated, 1 when any failed, "
        "2 for an invalid request, an unreadable file or a usage error.",
    )
    inputs.add_request_arguments(p)
    p.add_argument("--pretty", action="store_true", help="print a table in microcents and dollars instead of JSON")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    response = inputs.answer_request(args, evaluate_pricing)
    print(format_table(response) if args.pretty else format_json(response))
    return FAILED if failed(response) else OK
