"""The pricing commands' input: a whole request, or a pricing file and a task file that combine.

A request is `{"pricing": {...}, "output_meta": ..., "usage_seconds": ...}`, what
`POST /usage/cel/evaluate` takes. An author keeps the pricing in one file and
tries it on several tasks, so every command that needs a pricing or a task also
takes `--pricing-file FILE` (an AppPricing, or a request whose `pricing` is used)
and `--task FILE` (the request's task fields). Files are JSON, or YAML when named
.yaml/.yml. Given with a request file, each option replaces that part of it.
"""
from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from .. import testing
from ..spelling import did_you_mean
from ..pricing.request import RequestError, parse_pricing, task_activation
from .common import UsageError, read_document, shown

__all__ = [
    "TASK_FIELDS",
    "add_pricing_file_option",
    "add_task_option",
    "load_pricing",
    "load_task",
    "assemble_request",
    "add_request_arguments",
    "answer_request",
    "task_variables",
]

T = TypeVar("T")

TASK_FIELDS = testing.REQUEST_FIELDS


def add_pricing_file_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--pricing-file",
        metavar="FILE",
        help="the AppPricing (prices and expressions), JSON or YAML; a request file's pricing also works",
    )


def add_task_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--task",
        metavar="FILE",
        help=f"the task, JSON or YAML: an object with any of {', '.join(TASK_FIELDS)}",
    )


def load_pricing(path: str) -> dict[str, Any]:
    pricing = testing.pricing_of(read_document(path))
    if not isinstance(pricing, Mapping):
        raise UsageError(f"{shown(path)}: a pricing file holds an AppPricing object (prices and expressions)")
    return dict(pricing)


def load_task(path: str) -> dict[str, Any]:
    task = read_document(path)
    if not isinstance(task, Mapping):
        raise UsageError(f"{shown(path)}: a task file holds an object with any of {', '.join(TASK_FIELDS)}")
    for key in task:
        if key == "pricing":
            raise UsageError(f"{shown(path)}: pricing: a task file holds only the task; give the pricing with --pricing-file")
        if key not in TASK_FIELDS:
            raise UsageError(
                f"{shown(path)}: {key}: not a task field{did_you_mean(str(key), TASK_FIELDS)} "
                f"(a task has {', '.join(TASK_FIELDS)})"
            )
    return dict(task)


def assemble_request(request_path: str | None, pricing_path: str | None, task_path: str | None) -> Any:
    """The request file, its pricing and task replaced by the options' files."""
    if request_path is None and pricing_path is None:
        raise UsageError("give a request file, or the pricing with --pricing-file FILE (and the task with --task FILE)")
    request: Any = {} if request_path is None else read_document(request_path)
    if not isinstance(request, Mapping):
        return request  # evaluate_pricing says what is wrong with it
    request = dict(request)
    if pricing_path is not None:
        request["pricing"] = load_pricing(pricing_path)
    if task_path is not None:
        request.update(load_task(task_path))
    return request


def add_request_arguments(p: argparse.ArgumentParser, what: str = "the request") -> None:
    """The request file argument and the options that replace its parts (`preview`, `estimate`)."""
    p.add_argument("request", metavar="REQUEST", nargs="?", help=f"{what}, JSON or YAML (.yaml/.yml; - for JSON on stdin)")
    add_pricing_file_option(p)
    add_task_option(p)


def answer_request(args: argparse.Namespace, answer: Callable[[Any], T]) -> T:
    """`answer` (evaluate_pricing, estimate_pricing) of the request the arguments of
    add_request_arguments give; an invalid request is a usage error."""
    request = assemble_request(args.request, args.pricing_file, args.task)
    try:
        return answer(request)
    except RequestError as e:
        # The message starts with the JSON path of the bad field (pricing.prices.x: ...).
        raise UsageError(f"invalid request: {e}") from None


def task_variables(pricing_path: str | None, task_path: str | None) -> dict[str, Any]:
    """The variables a fee expression sees for these files (none when neither is given).

    Without a task the task is empty (no outputs, zero seconds); without a pricing, `prices` is empty.
    """
    if pricing_path is None and task_path is None:
        return {}
    pricing = load_pricing(pricing_path) if pricing_path is not None else {}
    task = load_task(task_path) if task_path is not None else {}
    try:
        return task_activation(parse_pricing(pricing).prices, **task)
    except RequestError as e:
        where = pricing_path if str(e).startswith("pricing") else task_path
        raise UsageError(f"{shown(where or '-')}: {e}") from None
