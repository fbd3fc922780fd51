"""The platform's ingestion bodies: a completed task to record, a refund to
apply. The store's public docs do not cover these routes (docs/server.md)."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..env import Limits
from ..pricing import Message, RequestError, evaluate_pricing
from ..pricing.components import FEE_NAMES
from ..pricing.messages import unknown_keys
from ..pricing.request import REQUEST_FIELDS, describe
from ..isotime import parse_iso
from .problems import Problem

__all__ = [
    "TaskRecord", "RefundRequest", "TASK_FIELDS", "PRICING_INPUTS", "task_record", "refund_request",
    "field_warnings", "priced_fees", "conflict",
]

# What a task's pricing reads, as /usage/cel/evaluate takes it (the pricing is the app's published one).
PRICING_INPUTS: tuple[str, ...] = tuple(name for name in REQUEST_FIELDS if name != "pricing")
TASK_FIELDS: tuple[str, ...] = (
    "task_id", "app_endpoint", "completed_at", "fees", "usage_events", "discount", "pricing_version", *PRICING_INPUTS,
)
# The charged components, in the order the evaluate response has them.
_COMPONENTS: tuple[str, ...] = tuple(FEE_NAMES.values())
REFUND_FIELDS: tuple[str, ...] = ("refund_id", "amount")


@dataclass
class TaskRecord:
    task_id: str
    app_endpoint: str
    completed_at: datetime
    fees: Mapping[str, Any] | None
    usage_events: Any
    discount: Any
    pricing_version: int | None = None
    pricing_inputs: dict[str, Any] = field(default_factory=dict)


@dataclass
class RefundRequest:
    refund_id: str
    amount: Any


def field_warnings(body: Mapping[str, Any], known: tuple[str, ...]) -> list[dict[str, Any]]:
    """An `unknown_field` warning for each field of `body` not in `known` (ignored, as the store does)."""
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
    version = body.get("pricing_version")
    if version is not None and (type(version) is not int or not 1 <= version <= 2**31 - 1):
        raise Problem("invalid_request", f"pricing_version: must be a published version number from 1; got {describe(version)}")
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
        pricing_version=version,
        pricing_inputs={name: body[name] for name in PRICING_INPUTS if name in body},
    )
    return record, field_warnings(body, TASK_FIELDS)


def refund_request(body: Mapping[str, Any]) -> tuple[RefundRequest, list[dict[str, Any]]]:
    """The refund of a `POST /usage/tasks/{taskID}/refunds` body. A refund id is
    required: it is what makes a retried refund (after a 503) apply once."""
    return RefundRequest(_string(body, "refund_id"), body.get("amount")), field_warnings(body, REFUND_FIELDS)


def priced_fees(
    app: str, version: int, pricing: Mapping[str, Any], inputs: Mapping[str, Any], limits: Limits | None
) -> dict[str, Any]:
    """The fees of a task priced by the app's published pricing, or the problem
    saying why it cannot be (a fee that fails is never charged as 0)."""
    try:
        fees = evaluate_pricing({"pricing": pricing, **inputs}, limits=limits)
    except RequestError as e:
        raise Problem("invalid_request", str(e)) from None
    for name in _COMPONENTS:
        error = fees[name].get("error")
        if error is not None:
            # The first that failed: the total's own error only says which fee it waited for.
            raise Problem(
                "invalid_request",
                f"the published pricing of {app!r} (version {version}) cannot price this task: {name}: {error}",
            )
    return fees


def conflict(cost: Mapping[str, Any], record: TaskRecord, fees: Mapping[str, Any], version: int | None) -> Problem | None:
    """What differs between the task the ledger holds (its task cost) and the
    one this request would have recorded, as a 409; None when they agree.
    `version`: the pricing version the request names, compared when not None."""
    now: dict[str, Any] = {"app_endpoint": record.app_endpoint}
    before: dict[str, Any] = {"app_endpoint": cost["app_endpoint"]}
    for name in _COMPONENTS:
        entry = fees.get(name)
        now[f"fees.{name}"] = entry.get("value") if isinstance(entry, Mapping) else entry
        before[f"fees.{name}"] = cost["total" if name == "total" else name]
    now["discount"], before["discount"] = record.discount, cost.get("discount", 0)
    if version is not None:
        now["pricing_version"], before["pricing_version"] = version, cost.get("pricing_version")
    differ = [f"{name} {describe(before[name])} (this request: {describe(now[name])})" for name in now if now[name] != before[name]]
    if not differ:
        return None
    return Problem(
        "conflict",
        f"task {record.task_id[:100]!r} was recorded before with {', '.join(differ)}; the first record stands: "
        "correct a charge with a refund, or record the task under a new task_id",
    )
