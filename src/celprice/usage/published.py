"""Published pricings: an AppPricing as the store saves it (D1), price patches,
and the answer of `GET /store/apps/{appId}/pricing` (D6).

The ledger stores and numbers the versions (ledger.py); this module holds the
rules of what is saved: the pricing must pass `check_pricing`, its description
must render, a plain-text description is wrapped as a CEL string literal, and a
patch merges prices (a price of 0 removes the key) and replaces expressions.
"""
from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from ..pricing import check_pricing
from ..pricing.components import Problem, is_plain_text
from ..pricing.evaluator import engine_for
from ..pricing.messages import unknown_keys
from ..pricing.request import PRICING_FIELDS, describe, parse_pricing
from ..stdlib.format import quote
from .errors import InvalidPricing, LedgerError

__all__ = ["app_endpoint", "saved", "patched", "to_json", "from_json", "answer", "from_answer", "TEXT_FIELDS"]

TEXT_FIELDS: tuple[str, ...] = tuple(field for field in PRICING_FIELDS if field != "prices")
_PART = r"[A-Za-z0-9][A-Za-z0-9._-]*"
_ENDPOINT = re.compile(rf"{_PART}/{_PART}\Z")
_MAX_ENDPOINT = 1024
_LOCATED = re.compile(r"description:(\d+):(\d+): (.*)\Z", re.S)


def app_endpoint(value: object) -> str:
    """A store app's `namespace/name`, or LedgerError saying what is wrong with it."""
    if not isinstance(value, str):
        raise LedgerError(f"app_endpoint must be a string 'namespace/name', got {describe(value)}")
    if len(value) > _MAX_ENDPOINT or not _ENDPOINT.match(value):
        raise LedgerError(
            f"app_endpoint must be 'namespace/name' (each part letters, digits, '.', '_' or '-', "
            f"starting with a letter or digit), got {describe(value)}"
        )
    return value


def saved(app: str, pricing: Any) -> dict[str, Any]:
    """The AppPricing as it is stored: every field present (`""` for a default
    expression), prices as ints, a plain description wrapped as a CEL string
    literal. InvalidPricing, naming every problem, when it cannot be published."""
    if isinstance(pricing, Mapping) and type(pricing.get("description")) is str:
        description = pricing["description"]
        if description.strip() and is_plain_text(description):
            pricing = {**pricing, "description": quote(description)}
    problems = check_pricing(pricing)
    if problems:
        raise InvalidPricing(app, problems)
    valid = parse_pricing(pricing)
    out: dict[str, Any] = {"prices": dict(valid.prices)}
    for field in TEXT_FIELDS:
        value = valid.upstream_pricing if field == "upstream_pricing" else valid.expressions[field]
        out[field] = value or ""
    # The description sees only prices: one that fails now fails for every reader.
    _, error = engine_for(out).description
    if error is not None:
        located = _LOCATED.match(error)
        if located:
            line, column, message = located.groups()
            problem = Problem("description", int(line), int(column), message)
        else:
            problem = Problem("description", None, None, error.removeprefix("description: "))
        raise InvalidPricing(app, [problem])
    return out


def patched(app: str, current: Mapping[str, Any], patch: Any) -> dict[str, Any]:
    """`current` (a saved pricing) with a patch applied: `prices` merged key by key
    (a price of 0 removes the key), every other field given replaces it (`""`
    resets an expression to its default; a missing or null field is kept)."""
    if not isinstance(patch, Mapping):
        raise LedgerError(f"patch must be an object of AppPricing fields, got {describe(patch)}")
    unknown = unknown_keys(patch, PRICING_FIELDS, "patch")
    if unknown:
        raise LedgerError("; ".join(f"{path}: {message}" for path, message, _ in unknown))
    merged: dict[str, Any] = {**current, "prices": dict(current["prices"])}
    prices = patch.get("prices")
    if prices is not None:
        if not isinstance(prices, Mapping):
            raise LedgerError(f"patch.prices must be an object, got {describe(prices)}")
        for key, value in prices.items():
            if type(value) in (int, float) and value == 0:
                merged["prices"].pop(key, None)
            else:
                merged["prices"][key] = value  # checked with the rest by saved()
    for field in TEXT_FIELDS:
        if patch.get(field) is not None:
            merged[field] = patch[field]
    return saved(app, merged)


def to_json(pricing: Mapping[str, Any]) -> str:
    return json.dumps(pricing, ensure_ascii=False, separators=(",", ":"))


def from_json(text: str) -> dict[str, Any]:
    pricing: dict[str, Any] = json.loads(text)
    return pricing


def answer(app: str, version: int, pricing: Mapping[str, Any]) -> dict[str, Any]:
    """`GET /store/apps/{appId}/pricing`: the saved AppPricing and its
    `description_rendered`, then (beyond the store's documentation) the app and
    the version."""
    description, _ = engine_for(pricing).description
    return {**pricing, "description_rendered": description, "app_endpoint": app, "version": version}


_ANSWERED = ("description_rendered", "app_endpoint", "version")


def from_answer(answered: Mapping[str, Any]) -> tuple[int, dict[str, Any]]:
    """The version and the saved pricing of an `answer()` (what prices a task)."""
    return int(answered["version"]), {key: value for key, value in answered.items() if key not in _ANSWERED}
