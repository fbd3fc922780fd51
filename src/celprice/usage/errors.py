"""The ledger's error types."""
from __future__ import annotations

from ..errors import CELError

__all__ = ["LedgerError", "LedgerUnavailable", "TaskNotFound", "Forbidden"]


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
