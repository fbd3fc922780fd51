"""Validation of the `/usage/cel/evaluate` request.

A request of the wrong shape is the caller's mistake, not a formula's: it
raises RequestError whose message starts with the JSON path of the bad field
(`pricing.prices.per_image: must be a non-negative integer, got "abc"`).
Output-meta items are decoded with the store's field types (meta.py); other
free-form data (resource rows, task inputs, an item's `extra`) is not looked
into here: a formula that reads a bad field fails in its own component.
"""
from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import int_text
from ..values import INT64_MAX
from .components import FEE_FIELDS
from .meta import DecodeError, decode_items

__all__ = [
    "RequestError",
    "ValidPricing",
    "EXPRESSION_FIELDS",
    "PRICING_FIELDS",
    "REQUEST_FIELDS",
    "OUTPUT_META_FIELDS",
    "pricing_problems",
    "parse_pricing",
    "task_activation",
    "decode_activation",
    "describe",
]

EXPRESSION_FIELDS: tuple[str, ...] = (*FEE_FIELDS, "description", "estimate")
_TEXT_FIELDS = (*EXPRESSION_FIELDS, "upstream_pricing")
# Every field of an AppPricing and of a request; anything else is a typo or an
# extension the store ignores (check_pricing refuses it in a pricing, and warns
# about it in a request).
PRICING_FIELDS: tuple[str, ...] = ("prices", *_TEXT_FIELDS)
REQUEST_FIELDS: tuple[str, ...] = (
    "pricing",
    "output_meta",
    "resources",
    "usage_seconds",
    "elapsed_ms",
    "task_inputs",
    "task_function",
)
OUTPUT_META_FIELDS: tuple[str, ...] = ("inputs", "outputs")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_LISTS = (list, tuple)


class RequestError(ValueError):
    """The request does not have the shape of the spec; `path` names the bad field."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.detail = message


@dataclass(frozen=True)
class ValidPricing:
    """An AppPricing that passed validation: int prices, and each expression
    field as its source text, or None when it is missing, null or blank."""

    prices: dict[str, int]
    expressions: dict[str, str | None]
    upstream_pricing: str | None


def describe(value: Any) -> str:
    """A value as an error message shows it: JSON scalars as JSON, containers by kind."""
    if type(value) is int:
        return int_text(value)
    if value is None or type(value) in (bool, float, str):
        text = json.dumps(value, ensure_ascii=False)
        return text if len(text) <= 60 else text[:57] + "..."
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, _LISTS):
        return "an array"
    return f"a {type(value).__name__}"


def _key_path(base: str, key: str) -> str:
    return f"{base}.{key}" if _IDENTIFIER.match(key) else f"{base}[{json.dumps(key, ensure_ascii=False)}]"


def _count(value: Any) -> int | str:
    """A non-negative int64 (an integral float counts): the int, or why not."""
    t = type(value)
    if t is int:
        n = value
    elif t is float and value.is_integer():
        n = int(value)
    else:
        return f"must be a non-negative integer, got {describe(value)}"
    if n < 0:
        return f"must be a non-negative integer, got {describe(value)}"
    if n > INT64_MAX:
        return f"must fit in int64 (at most {INT64_MAX}), got {describe(value)}"
    return n


def pricing_problems(pricing: Any, path: str = "pricing") -> tuple[ValidPricing | None, list[tuple[str, str]]]:
    """Every shape problem of an AppPricing as (path, message); the valid pricing when none."""
    if not isinstance(pricing, Mapping):
        return None, [(path, f"must be an object, got {describe(pricing)}")]
    problems: list[tuple[str, str]] = []
    prices: dict[str, int] = {}
    raw = pricing.get("prices")
    if raw is not None and not isinstance(raw, Mapping):
        problems.append((f"{path}.prices", f"must be an object, got {describe(raw)}"))
    elif raw is not None:
        for key, value in raw.items():
            if type(key) is not str:
                problems.append((f"{path}.prices", f"keys must be strings, got {describe(key)}"))
                continue
            n = _count(value)
            if type(n) is str:
                problems.append((_key_path(f"{path}.prices", key), n))
            else:
                prices[key] = n  # type: ignore[assignment]
    texts: dict[str, str | None] = {}
    for field in _TEXT_FIELDS:
        value = pricing.get(field)
        if value is not None and type(value) is not str:
            problems.append((f"{path}.{field}", f"must be a string, got {describe(value)}"))
            value = None
        # Missing, null and blank all mean "use the default".
        texts[field] = value if value and not value.isspace() else None
    if problems:
        return None, problems
    expressions = {field: texts[field] for field in EXPRESSION_FIELDS}
    return ValidPricing(prices, expressions, texts["upstream_pricing"]), []


def parse_pricing(pricing: Any, path: str = "pricing") -> ValidPricing:
    """The validated pricing, or RequestError naming the first bad field."""
    valid, problems = pricing_problems(pricing, path)
    if valid is None:
        raise RequestError(*problems[0])
    return valid


def _list(path: str, value: Any) -> list:
    if value is None:
        return []
    if type(value) is list or isinstance(value, _LISTS):
        return value  # type: ignore[return-value]
    raise RequestError(path, f"must be an array, got {describe(value)}")


def _int(path: str, value: Any) -> int:
    n = _count(value)
    if type(n) is str:
        raise RequestError(path, n)  # type: ignore[arg-type]
    return n  # type: ignore[return-value]


def decode_activation(act: Mapping[str, Any]) -> dict[str, Any]:
    """An activation's `inputs`, `outputs` and `output_meta` items decoded as a request's
    are (for formulas evaluated outside `evaluate_pricing`, such as a benchmark's)."""
    out = dict(act)
    try:
        for key in ("inputs", "outputs"):
            if act.get(key) is not None:
                out[key] = decode_items(act[key], key, describe)
        meta = act.get("output_meta")
        if isinstance(meta, Mapping):
            decoded = {k: decode_items(meta[k], f"output_meta.{k}", describe) for k in OUTPUT_META_FIELDS if meta.get(k)}
            out["output_meta"] = {**meta, **decoded}
    except DecodeError as e:
        raise RequestError(e.path, e.message) from None
    return out


def task_activation(
    prices: dict[str, int],
    output_meta: Any = None,
    resources: Any = None,
    usage_seconds: Any = None,
    task_inputs: Any = None,
    task_function: Any = None,
    elapsed_ms: Any = None,
) -> dict[str, Any]:
    """The variables a fee expression sees, from one task's data (read in place, not copied)."""
    if output_meta is None:
        meta: Any = {"inputs": [], "outputs": []}
    elif type(output_meta) is dict or isinstance(output_meta, Mapping):
        meta = output_meta
    else:
        raise RequestError("output_meta", f"must be an object, got {describe(output_meta)}")
    try:
        inputs = decode_items(_list("output_meta.inputs", meta.get("inputs")), "output_meta.inputs", describe)
        outputs = decode_items(_list("output_meta.outputs", meta.get("outputs")), "output_meta.outputs", describe)
    except DecodeError as e:
        raise RequestError(e.path, e.message) from None
    if meta.get("inputs") is not inputs or meta.get("outputs") is not outputs:
        # Fill in the missing lists without touching the caller's map.
        meta = {**meta, "inputs": inputs, "outputs": outputs}
    if task_inputs is None:
        task_inputs = {}
    elif type(task_inputs) is not dict and not isinstance(task_inputs, Mapping):
        raise RequestError("task_inputs", f"must be an object, got {describe(task_inputs)}")
    if task_function is None:
        task_function = ""
    elif type(task_function) is not str:
        raise RequestError("task_function", f"must be a string, got {describe(task_function)}")
    seconds = None if usage_seconds is None else _int("usage_seconds", usage_seconds)
    if elapsed_ms is not None:
        ms = _int("elapsed_ms", elapsed_ms)
        if seconds is None:
            seconds = ms // 1000
    else:
        seconds = seconds or 0
        ms = seconds * 1000
        if ms > INT64_MAX:
            raise RequestError("usage_seconds", f"must be at most {INT64_MAX // 1000} so that elapsed_ms fits in int64")
    return {
        "prices": prices,
        "output_meta": meta,
        "inputs": inputs,
        "outputs": outputs,
        "resources": _list("resources", resources),
        "usage_seconds": seconds,
        "elapsed_ms": ms,
        # Whole seconds, truncated, as usage_seconds is derived from elapsed_ms.
        "elapsed_seconds": ms // 1000,
        "resource_ms": ms,
        "task_inputs": task_inputs,
        "task_function": task_function,
    }
