"""The platform's ingestion bodies: a completed task to record, a refund to
apply. The store's public docs do not cover these routes (docs/server.md)."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..pricing import Message
from ..pricing.messages import unknown_keys
from ..pricing.request import REQUEST_FIELDS, describe
from ..usage.periods import parse_iso
from .problems import Problem

__all__ = ["TaskRecord", "RefundRequest", "TASK_FIELDS", "PRICING_INPUTS", "task_record", "refund_request"]

# What a task's pricing reads, as /usage/cel/evaluate takes it (the pricing is the app's published one).
PRICING_INPUTS: tuple[str, ...] = tuple(name for name in REQUEST_FIELDS if name != "pricing")
TASK_FIELDS: tuple[str, ...] = (
    "task_id", "app_endpoint", "completed_at", "fees", "usage_events", "discount", *PRICING_INPUTS,
)
REFUND_FIELDS: tuple[str, ...] = ("refund_id", "amount")


@dataclass
class TaskRecord:
    task_id: str
    app_endpoint: str
    completed_at: datetime
    fees: Mapping[str, Any] | None
    usage_events: Any
    discount: Any
    pricing_inputs: dict[str, Any] = field(default_factory=dict)


@dataclass
class RefundRequest:
    refund_id: str
    amount: Any


def _warnings(body: Mapping[str, Any], known: tuple[str, ...]) -> list[dict[str, Any]]:
    return [
        Message("unknown_field", message, path.removeprefix("request."), meta={"suggestion": s} if s else {}).to_json()
        for path, message, s in unknown_keys(body, known, "request")
    ]


def _string(body: Mapping[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value:
        raise Problem("invalid_request", f"{name}: required, a non-empty string; got {describe(value)}")
    return value


def task_record(body: Mapping[str, Any], now: datetime) -> tuple[TaskRecord, list[dict[str, Any]]]:
    """The task of a `POST /usage/tasks` body, and warnings about fields it ignores.
    Values the ledger checks (ids' lengths, fees, events, the discount) are
    left to it, so each rule lives in one place."""
    completed = body.get("completed_at")
    if completed is None:
        completed_at = now
    elif not isinstance(completed, str):
        raise Problem("invalid_request", f"completed_at: must be an RFC 3339 date-time string, got {describe(completed)}")
    else:
        try:
            completed_at = parse_iso(completed)
        except ValueError:
            raise Problem("invalid_request", f"completed_at: not an RFC 3339 date-time: {describe(completed)}") from None
        if completed_at.tzinfo is None:
            raise Problem("invalid_request", f"completed_at: needs a timezone (2026-06-04T11:00:00Z); got {describe(completed)}")
    fees = body.get("fees")
    if fees is not None and not isinstance(fees, Mapping):
        raise Problem("invalid_request", f"fees: must be the object /usage/cel/evaluate answers, got {describe(fees)}")
    record = TaskRecord(
        task_id=_string(body, "task_id"),
        app_endpoint=_string(body, "app_endpoint"),
        completed_at=completed_at,
        fees=fees,
        usage_events=body.get("usage_events", []),
        discount=body.get("discount", 0),
        pricing_inputs={name: body[name] for name in PRICING_INPUTS if name in body},
    )
    return record, _warnings(body, TASK_FIELDS)


def refund_request(body: Mapping[str, Any]) -> tuple[RefundRequest, list[dict[str, Any]]]:
    """The refund of a `POST /usage/tasks/{taskID}/refunds` body. A refund id is
    required: it is what makes a retried refund (after a 503) apply once."""
    return RefundRequest(_string(body, "refund_id"), body.get("amount")), _warnings(body, REFUND_FIELDS)
