"""Every statement the ledger runs, shared by both backends (the schema they
run over is built by migrations.py).

Written in the common subset of SQLite and PostgreSQL, with `?` placeholders
(the PostgreSQL backend turns them into `%s`; no statement contains `?` or `%`
otherwise). Money is BIGINT microcents, times BIGINT microseconds since the
epoch, usage BIGINT microseconds of resource time: integers, so both
databases add and bucket them exactly the same way.

A task's `refunded` column means "refunded in full"; what it charged net of
refunds is `total - discount - refunded_amount`. The rollup tables hold sums
of the records and are rebuilt from them with REBUILD.
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
    "TEN_SECONDS",
    "MINUTE",
    "TEN_MINUTES",
    "HOUR",
    "DAY",
    "STEPS",
    "USAGE_COLUMNS",
    "ADD_ROLLUP",
    "TAKE_ROLLUP",
    "add_usage_rollups",
    "TAKE_USAGE_ROLLUP",
    "TASK_FOR_REFUND",
    "TASK_EVENTS",
    "SUMMARY",
    "REBUILD",
    "rebuild",
    "rollups_at",
    "USAGE_REBUILD",
    "breakdown",
    "window_total",
    "TASKS",
    "EVENTS",
    "ROLLUPS",
    "USAGE_ROLLUPS",
    "TASK_COLUMNS",
    "TASK_KEY",
    "EVENT_COLUMNS",
    "ROLLUP_COLUMNS",
    "ROLLUP_KEY",
    "USAGE_ROLLUP_COLUMNS",
    "USAGE_ROLLUP_KEY",
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

# Published pricings: apps are the store's, not a team's, so these are not scoped by team.
LATEST_PRICING = """SELECT version, pricing FROM celprice_pricings
    WHERE app_endpoint = ? ORDER BY version DESC LIMIT 1"""
PRICING_VERSION = "SELECT version, pricing FROM celprice_pricings WHERE app_endpoint = ? AND version = ?"
# A publisher that lost the race for a version number changes nothing, and tries the next.
INSERT_PRICING = """INSERT INTO celprice_pricings (app_endpoint, version, pricing) VALUES (?, ?, ?)
    ON CONFLICT (app_endpoint, version) DO NOTHING"""

SET_REFUNDED = """UPDATE celprice_tasks SET refunded_amount = ?, refunded = ?
    WHERE team_id = ? AND task_id = ?"""

INSERT_REFUND = """INSERT INTO celprice_refunds (team_id, refund_id, task_id, amount)
    VALUES (?, ?, ?, ?) ON CONFLICT (team_id, refund_id) DO NOTHING"""

FIND_REFUND = "SELECT task_id, amount FROM celprice_refunds WHERE team_id = ? AND refund_id = ?"

MEMBERS_OF = "SELECT team_id FROM celprice_members WHERE org_id = ? ORDER BY team_id"
ORG_OF = "SELECT org_id FROM celprice_members WHERE team_id = ?"
DELETE_MEMBERS = "DELETE FROM celprice_members WHERE org_id = ?"
INSERT_MEMBER = "INSERT INTO celprice_members (team_id, org_id) VALUES (?, ?)"

# The rollups: per (team, bucket length, bucket start, app) the tasks not
# refunded in full and their net charge, at every length of STEPS, kept by
# every write in its own transaction; per (team, event column, name) the usage
# of those tasks. Breakdowns read whole buckets from them and, at a window's
# edges, only what is shorter than the shortest step from the records (see
# Ledger.breakdown). Each step is a whole number of the one before, so an
# edge of a window reads per app at most 5 ten-second, 9 minute, 5 ten-minute
# and 23 hour rows, and under ten seconds of records: what a breakdown reads
# is bounded by the apps and the buckets, however busy the team.
TEN_SECONDS, MINUTE, TEN_MINUTES, HOUR, DAY = 10_000_000, 60_000_000, 600_000_000, 3_600_000_000, 86_400_000_000
STEPS = (TEN_SECONDS, MINUTE, TEN_MINUTES, HOUR, DAY)
USAGE_COLUMNS = ("tier", "event_type", "model")

# A task's bucket of every step in one statement (one round trip on PostgreSQL).
ADD_ROLLUP = f"""INSERT INTO celprice_rollups (team_id, step, bucket, app_endpoint, calls, net)
    VALUES {", ".join(["(?, ?, ?, ?, ?, ?)"] * len(STEPS))}
    ON CONFLICT (team_id, step, bucket, app_endpoint)
    DO UPDATE SET calls = celprice_rollups.calls + excluded.calls, net = celprice_rollups.net + excluded.net"""

# A refund takes its amount off the task's buckets, and the task itself when
# it is now refunded in full. Parameters: calls, net, team, step, bucket, app.
TAKE_ROLLUP = """UPDATE celprice_rollups SET calls = calls - ?, net = net - ?
    WHERE team_id = ? AND step = ? AND bucket = ? AND app_endpoint = ?"""

def add_usage_rollups(count: int) -> str:
    """Add `count` (team, kind, name, events, micros) rows to the usage rollups."""
    values = ", ".join(["(?, ?, ?, ?, ?)"] * count)
    return f"""INSERT INTO celprice_usage_rollups (team_id, kind, name, events, micros)
    VALUES {values}
    ON CONFLICT (team_id, kind, name)
    DO UPDATE SET events = celprice_usage_rollups.events + excluded.events,
        micros = celprice_usage_rollups.micros + excluded.micros"""


# A full refund takes the task's events off. Parameters: events, micros, team, kind, name.
TAKE_USAGE_ROLLUP = """UPDATE celprice_usage_rollups SET events = events - ?, micros = micros - ?
    WHERE team_id = ? AND kind = ? AND name = ?"""

TASK_FOR_REFUND = """SELECT app_endpoint, completed_at, total, discount, refunded_amount, refunded
    FROM celprice_tasks WHERE team_id = ? AND task_id = ?"""

TASK_EVENTS = "SELECT tier, event_type, model, micros FROM celprice_usage WHERE team_id = ? AND task_id = ?"

SUMMARY = "SELECT kind, name, micros FROM celprice_usage_rollups WHERE team_id = ? AND events > 0"


def _floor(column: str, step: int) -> str:
    """The start of the bucket of `step` holding `column`, rounding down also
    before 1970 (SQL's integer division truncates towards zero)."""
    return f"(CASE WHEN {column} >= 0 THEN {column} ELSE {column} - {step - 1} END) / {step} * {step}"


def rollups_at(step: int) -> str:
    """The rollup rows of `step`, computed from the records.

    Released text: schema versions 4 and 8 (migrations.py) run it for their
    steps. A version that changes the rollups' table must first copy this
    text, and USAGE_REBUILD's, into those steps as it is now."""
    return f"""INSERT INTO celprice_rollups (team_id, step, bucket, app_endpoint, calls, net)
        SELECT team_id, {step}, {_floor("completed_at", step)}, app_endpoint,
            COUNT(*), SUM(total - discount - refunded_amount)
        FROM celprice_tasks WHERE refunded = 0
        GROUP BY team_id, {_floor("completed_at", step)}, app_endpoint"""


# The usage rollups computed from the records (released text, as rollups_at).
USAGE_REBUILD: tuple[str, ...] = tuple(
    f"""INSERT INTO celprice_usage_rollups (team_id, kind, name, events, micros)
        SELECT u.team_id, '{column}', u.{column}, COUNT(*), SUM(u.micros)
        FROM celprice_usage u
        JOIN celprice_tasks t ON t.team_id = u.team_id AND t.task_id = u.task_id
        WHERE t.refunded = 0 AND u.{column} IS NOT NULL
        GROUP BY u.team_id, u.{column}"""
    for column in USAGE_COLUMNS
)

def rebuild(steps: tuple[int, ...]) -> tuple[str, ...]:
    """Every rollup recomputed from the records, at these steps (released
    text, as rollups_at: schema version 4 runs it for its own three)."""
    return (
        "DELETE FROM celprice_rollups",
        "DELETE FROM celprice_usage_rollups",
        *(rollups_at(step) for step in steps),
        *USAGE_REBUILD,
    )


# The rebuild of this schema, by rebuild_rollups.
REBUILD = rebuild(STEPS)


def _teams(count: int) -> str:
    return "team_id IN (" + ", ".join("?" * count) + ")"


def _segment(teams: int, step: int) -> str:
    """Rows of [from, to) of the teams: whole buckets of `step` from the
    rollups, or (step 0) the records themselves, as (team, at, app, calls, net).
    Parameters: the teams, from, to."""
    if step:
        return f"""SELECT team_id, bucket AS at, app_endpoint, calls, net FROM celprice_rollups
        WHERE {_teams(teams)} AND step = {step} AND bucket >= ? AND bucket < ? AND calls > 0"""
    return f"""SELECT team_id, completed_at AS at, app_endpoint, 1 AS calls, total - discount - refunded_amount AS net
        FROM celprice_tasks WHERE {_teams(teams)} AND completed_at >= ? AND completed_at < ? AND refunded = 0"""


def _segments(teams: int, steps: list[int]) -> str:
    return "\n    UNION ALL ".join(_segment(teams, step) for step in steps)


def breakdown(teams: int, steps: list[int], whole: int) -> str:
    """(team, bucket number, app, calls, net) rows of segments of those steps
    (see _segment), for the caller to add up per (team, bucket, app).

    A segment of the window's own step (`whole`) holds one row per bucket and
    app already, and passes through: a GROUP BY over all of them would sort
    them first, which took half the time of a 1h breakdown. A shorter
    segment, at an edge of the window, lies in one bucket and is added up per
    app here, each on its own: at a dense edge it is dozens of rows per app,
    and SQL's sum of them costs less than handing each row to Python (each
    sum is at most its bucket's rollup row of the whole step, so within
    int64). Parameters: for each segment, the window's start and bucket step,
    then the segment's."""
    parts = [
        f"SELECT team_id, (at - ?) / ?, app_endpoint, calls, net FROM ({_segment(teams, step)}) AS whole"
        if step == whole else
        f"""SELECT team_id, (at - ?) / ? AS n, app_endpoint, CAST(SUM(calls) AS BIGINT), CAST(SUM(net) AS BIGINT)
    FROM ({_segment(teams, step)}) AS edge GROUP BY team_id, n, app_endpoint"""
        for step in steps
    ]
    return "\nUNION ALL ".join(parts)


def window_total(teams: int, steps: list[int]) -> str:
    """The net total of segments of those steps. Parameters: each segment's."""
    return f"SELECT SUM(net) FROM ({_segments(teams, steps)}) AS segments"


# Batch ingestion (Ledger.record_tasks): the rows of new tasks and their
# events are appended by the database's fastest path (executemany; COPY on
# PostgreSQL), and the rollups get one merged row per key of the batch.
# The first TASK_KEY columns of TASK_COLUMNS are the task's key, the first
# ROLLUP_KEY of ROLLUP_COLUMNS the rollup's (the rest are added up), and so on.
TASKS, EVENTS, ROLLUPS, USAGE_ROLLUPS = "celprice_tasks", "celprice_usage", "celprice_rollups", "celprice_usage_rollups"
TASK_COLUMNS = (
    "team_id", "task_id", "app_endpoint", "completed_at", "completed_day",
    "resource_fee", "inference_fee", "royalty_fee", "partner_fee", "total", "discount",
)
TASK_KEY = 2
EVENT_COLUMNS = ("team_id", "task_id", "seq", "tier", "event_type", "model", "micros")
ROLLUP_COLUMNS = ("team_id", "step", "bucket", "app_endpoint", "calls", "net")
ROLLUP_KEY = 4
USAGE_ROLLUP_COLUMNS = ("team_id", "kind", "name", "events", "micros")
USAGE_ROLLUP_KEY = 3
