"""The ledger's error types."""
from __future__ import annotations

from ..errors import CELError

from typing import Any

__all__ = ["LedgerError", "LedgerUnavailable", "TaskNotFound", "Forbidden", "PricingNotFound", "InvalidPricing"]


class LedgerError(CELError, ValueError):
    """A ledger call was refused (bad argument, refused fees) or the database failed.

    Nothing is written when a call raises: every write is one transaction.
    """


class TaskNotFound(LedgerError, LookupError):
    """No task with this id was recorded for this team (an API answers 404)."""

    def __init__(self, team_id: str, task_id: str) -> None:
        super().__init__(f"no task {task_id!r} recorded for team {team_id!r}")
        self.team_id = team_id
        self.task_id = task_id


class Forbidden(LedgerError, PermissionError):
    """The workspace may not see what it asked for (an API answers 403): a task
    recorded for another team, or a breakdown filtered to a team that is not
    one of the organisation's members."""


class LedgerUnavailable(LedgerError, ConnectionError):
    """The database cannot be reached (down, restarting, refusing connections).
    The call was rolled back, or its commit's outcome is unknown; retrying it
    later is safe for the idempotent writes (a task id, a refund id). The next
    call connects again (an API answers 503)."""


class PricingNotFound(LedgerError, LookupError):
    """The app has no published pricing, or not the version asked for (an API answers 404)."""

    def __init__(self, app_endpoint: str, version: int | None = None, latest: int | None = None) -> None:
        if version is None:
            message = f"no pricing published for app {app_endpoint!r}"
        elif latest is None:
            message = f"app {app_endpoint!r} has no pricing version {version}: it has no published pricing"
        else:
            message = f"app {app_endpoint!r} has no pricing version {version} (its versions are 1 to {latest})"
        super().__init__(message)
        self.app_endpoint = app_endpoint
        self.version = version


class InvalidPricing(LedgerError):
    """A pricing that `check_pricing` refuses (or whose description cannot render)
    cannot be published; `problems` holds every one of them (an API answers 400)."""

    def __init__(self, app_endpoint: str, problems: list[Any], refused: str = "the pricing of {app!r} cannot be published") -> None:
        count = len(problems)
        listed = "; ".join(problem.headline() for problem in problems)
        super().__init__(
            f"{refused.format(app=app_endpoint)}: {count} problem{'s' if count != 1 else ''}: {listed}"
        )
        self.app_endpoint = app_endpoint
        self.problems = list(problems)
