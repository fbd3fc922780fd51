"""Builders for ledger tests: fees shaped like evaluate_pricing's answer, UTC times."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from celprice.usage.ledger import COMPONENTS


def fees(total: int, resource: int = 0, inference: int = 0, royalty: int = 0, partner: int = 0) -> dict[str, Any]:
    values = (resource, inference, royalty, partner, total)
    response: dict[str, Any] = {name: {"value": value} for name, value in zip(COMPONENTS, values)}
    response["description"] = {"value": "test price"}
    return response


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)
