"""Every statement the ledger runs, shared by both backends (the schema they
run over is built by migrations.py).

Written in the common subset of SQLite and PostgreSQL, with `?` placeholders
(the PostgreSQL backend turns them into `%s`; no statement contains `?` or `%`
otherwise). Money is BIGINT microcents, times BIGINT microseconds since the
epoch, usage BIGINT microseconds of resource time: integers, so both
databases add and bucket them exactly the same way.

A task's `refunded` column means "refunded in full"; what it charged net of
refunds is `total - discount - refunded_amount`.
"""
from __future__ import annotations

__all__ = [
    "INSERT_TASK",
    "INSERT_EVENT",
    "LOCK_TASK",
    "TASK_COST",
    "SET_REFUNDED",
    "INSERT_REFUND",
    "FIND_REFUND",
    "MEMBERS_OF",
    "ORG_OF",
    "DELETE_MEMBERS",
    "INSERT_MEMBER",
    "LATEST_PRICING",
    "PRICING_VERSION",
    "INSERT_PRICING",
    "breakdown_by_day",
    "breakdown_by_step",
    "window_total",
    "USAGE_BY",
]

# ON CONFLICT DO NOTHING makes recording idempotent: the first record stands,
# and the caller learns from the row count whether this one was new.
INSERT_TASK = """INSERT INTO celprice_tasks
    (team_id, task_id, app_endpoint, completed_at, completed_day,
     resource_fee, inference_fee, royalty_fee, partner_fee, total, discount, pricing_version)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (team_id, task_id) DO NOTHING"""

INSERT_EVENT = """INSERT INTO celprice_usage
    (team_id, task_id, seq, tier, event_type, model, micros)
    VALUES (?, ?, ?, ?, ?, ?, ?)"""

# An update that changes nothing, for its row lock: refunds of one task then
# take turns on PostgreSQL too (SQLite's write transactions already do), and
# what a refund reads next is what it adds to.
LOCK_TASK = "UPDATE celprice_tasks SET refunded = refunded WHERE team_id = ? AND task_id = ?"

TASK_COST = """SELECT app_endpoint, resource_fee, inference_fee, royalty_fee, partner_fee,
        total, discount, refunded_amount, refunded, pricing_version
    FROM celprice_tasks WHERE team_id = ? AND task_id = ?"""

SET_REFUNDED = """UPDATE celprice_tasks SET refunded_amount = ?, refunded = ?
    WHERE team_id = ? AND task_id = ?"""

INSERT_REFUND = """INSERT INTO celprice_refunds (team_id, refund_id, task_id, amount)
    VALUES (?, ?, ?, ?) ON CONFLICT (team_id, refund_id) DO NOTHING"""

FIND_REFUND = "SELECT task_id, amount FROM celprice_refunds WHERE team_id = ? AND refund_id = ?"

MEMBERS_OF = "SELECT team_id FROM celprice_members WHERE org_id = ? ORDER BY team_id"
ORG_OF = "SELECT org_id FROM celprice_members WHERE team_id = ?"
DELETE_MEMBERS = "DELETE FROM celprice_members WHERE org_id = ?"
INSERT_MEMBER = "INSERT INTO celprice_members (team_id, org_id) VALUES (?, ?)"

# Published pricings: apps are the store's, not a team's, so these are not scoped by team.
LATEST_PRICING = """SELECT version, pricing FROM celprice_pricings
    WHERE app_endpoint = ? ORDER BY version DESC LIMIT 1"""
PRICING_VERSION = "SELECT version, pricing FROM celprice_pricings WHERE app_endpoint = ? AND version = ?"
# A publisher that lost the race for a version number changes nothing, and tries the next.
INSERT_PRICING = """INSERT INTO celprice_pricings (app_endpoint, version, pricing) VALUES (?, ?, ?)
    ON CONFLICT (app_endpoint, version) DO NOTHING"""

_NET = "SUM(total - discount - refunded_amount)"


def _teams(count: int) -> str:
    return "team_id IN (" + ", ".join("?" * count) + ")"


def _team_column(count: int) -> str:
    """What a breakdown row says of its team: the team, or '' when there is
    only one. Grouping one team's rows by team_id too cost about 20% of a 30d
    breakdown over 1M records on SQLite (measured, docs/performance.md)."""
    return "team_id" if count > 1 else "''"


def breakdown_by_day(teams: int) -> str:
    """Net spend per (team, bucket, app) of a window whose start is a UTC midnight.
    Parameters: first day, the teams, first day, last day, end (inclusive)."""
    by_team = "team_id, " if teams > 1 else ""
    return f"""SELECT {_team_column(teams)}, completed_day - ?, app_endpoint, COUNT(*), {_NET}
    FROM celprice_tasks
    WHERE {_teams(teams)} AND completed_day >= ? AND completed_day <= ? AND completed_at <= ?
      AND refunded = 0
    GROUP BY {by_team}completed_day, app_endpoint"""


def breakdown_by_step(teams: int) -> str:
    """The same for minute and hour buckets (a window of at most a day and a bit).
    Parameters: start, bucket step, the teams, first day, last day, start, end (inclusive)."""
    by_team = "1, " if teams > 1 else ""
    return f"""SELECT {_team_column(teams)}, (completed_at - ?) / ?, app_endpoint, COUNT(*), {_NET}
    FROM celprice_tasks
    WHERE {_teams(teams)} AND completed_day >= ? AND completed_day <= ?
      AND completed_at >= ? AND completed_at <= ? AND refunded = 0
    GROUP BY {by_team}2, 3"""


def window_total(teams: int) -> str:
    """The net total of the window before a breakdown's.
    Parameters: the teams, first day, last day, start, end (exclusive)."""
    return f"""SELECT {_NET} FROM celprice_tasks
    WHERE {_teams(teams)} AND completed_day >= ? AND completed_day <= ?
      AND completed_at >= ? AND completed_at < ? AND refunded = 0"""


_USAGE_BY = """SELECT u.{column}, SUM(u.micros)
    FROM celprice_usage u
    JOIN celprice_tasks t ON t.team_id = u.team_id AND t.task_id = u.task_id
    WHERE u.team_id = ? AND t.refunded = 0 AND u.{column} IS NOT NULL
    GROUP BY u.{column}"""

# summary key -> statement; the column names are ours, never a caller's.
USAGE_BY: dict[str, str] = {
    "tier_usage": _USAGE_BY.format(column="tier"),
    "type_usage": _USAGE_BY.format(column="event_type"),
    "model_usage": _USAGE_BY.format(column="model"),
}
