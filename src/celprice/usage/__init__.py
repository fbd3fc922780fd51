"""The usage ledger: record what priced tasks charged, and answer the usage
analytics (`/usage/breakdown`, `/usage/summary`, `/usage/tasks/{taskID}/cost`)
from SQLite or PostgreSQL. Reference: docs/usage.md.

    >>> from datetime import datetime, timezone
    >>> from celprice.usage import Ledger
    >>> ledger = Ledger()
    >>> fees = {name: {"value": 500} for name in ("resource_fee", "inference_fee", "royalty_fee", "partner_fee")}
    >>> fees["total"] = {"value": 2000}
    >>> ledger.record_task("team-1", "task-1", "acme/upscaler", datetime(2026, 6, 4, 9, 30, tzinfo=timezone.utc), fees)
    True
    >>> ledger.task_cost("team-1", "task-1")["total"]
    2000
"""
from .errors import Forbidden, InvalidPricing, LedgerError, PricingNotFound, TaskNotFound
from .ledger import Ledger
from .periods import DEFAULT_RANGE, RANGES

__all__ = [
    "Ledger",
    "LedgerError",
    "TaskNotFound",
    "Forbidden",
    "PricingNotFound",
    "InvalidPricing",
    "RANGES",
    "DEFAULT_RANGE",
]
