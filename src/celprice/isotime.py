"""Reading ISO 8601 date-times as RFC 3339 writes them (`2026-06-04T12:00:00Z`).

Standard library only, so that the CLI can read its time options at start-up
without importing the ledger."""
from __future__ import annotations

from datetime import datetime

__all__ = ["parse_iso"]


def parse_iso(text: str) -> datetime:
    """An ISO 8601 date-time as RFC 3339 writes it; a trailing `Z` is UTC, which
    Python 3.10's `fromisoformat` does not read. ValueError when it is not one."""
    return datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text)
