"""`celprice test`: run an app author's pricing test cases (the logic is celprice.testing)."""
from __future__ import annotations

import argparse
import os
from typing import Any

from .. import documents, testing
from . import inputs
from .common import FAILED, OK, UsageError, read_text

__all__ = ["add_parser", "run"]


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "test",
        help="run pricing test cases from a JSON or YAML file",
        description="Run the cases of a test file {\"pricing\": {...}, \"cases\": [...]} (.json, or .yaml/.yml "
        "with PyYAML) and print pass/fail per case with a diff of the components. Instead of \"pricing\" the file "
        "may name a \"pricing_file\" (relative to it); --pricing-file FILE wins over both. "
        "Exit 0 when all pass, 1 when any fails, 2 when the file cannot be read or is malformed.",
    )
    p.add_argument("cases", metavar="CASES", help="the test file (.json, .yaml or .yml; - for JSON on stdin)")
    inputs.add_pricing_file_option(p)
    p.add_argument("-q", "--quiet", action="store_true", help="print only failing cases and the summary")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    origin = "<stdin>" if args.cases == "-" else args.cases
    text = read_text(args.cases)
    pricing = inputs.load_pricing(args.pricing_file) if args.pricing_file else None
    directory = "." if args.cases == "-" else os.path.dirname(args.cases)
    try:
        suite = testing.parse_case_file(
            text, origin, yaml=documents.is_yaml_name(origin), directory=directory, pricing=pricing
        )
        # Every case is checked before any runs: a typo is a usage error, not a half-run suite.
        for i, case in enumerate(suite.cases):
            testing.build_request(suite.pricing, case, f"cases[{i}]")
            testing.validate_expect(case["expect"], f"cases[{i}].expect")
    except testing.CaseError as e:
        message = str(e)
        raise UsageError(message if message.startswith(origin) else f"{origin}: {message}") from None

    failures = 0
    for i, case in enumerate(suite.cases):
        result = testing.run_case(suite.pricing, case, f"cases[{i}]", name=str(case.get("name", f"cases[{i}]")))
        if result.passed:
            if not args.quiet:
                print(f"PASS  {result.name}")
            continue
        failures += 1
        print(f"FAIL  {result.name}")
        print(testing.format_mismatches(result, indent="      "))
    total = len(suite.cases)
    print(f"{total} case{'s' if total != 1 else ''}: {total - failures} passed, {failures} failed")
    return FAILED if failures else OK
