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
    "MINUTE",
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
    "breakdown",
    "window_total",
    "BATCH_TASKS",
    "BATCH_EVENTS",
    "BATCH_TASK_COLUMNS",
    "BATCH_EVENT_COLUMNS",
    "CREATE_BATCH",
    "CLEAR_BATCH",
    "DROP_RECORDED",
    "INSERT_BATCH",
    "BATCH_ROLLUPS",
]

# ON CONFLICT DO NOTHING makes recording idempotent: the first record stands,
# and the caller learns from the row count whether this one was new.
INSERT_TASK = """INSERT INTO celprice_tasks
    (team_id, task_id, app_endpoint, completed_at, completed_day,
     resource_fee, inference_fee, royalty_fee, partner_fee, total, discount)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (team_id, task_id) DO NOTHING"""

INSERT_EVENT = """INSERT INTO celprice_usage
    (team_id, task_id, seq, tier, event_type, model, micros)
    VALUES (?, ?, ?, ?, ?, ?, ?)"""

# An update that changes nothing, for its row lock: refunds of one task then
# take turns on PostgreSQL too (SQLite's write transactions already do), and
# what a refund reads next is what it adds to.
LOCK_TASK = "UPDATE celprice_tasks SET refunded = refunded WHERE team_id = ? AND task_id = ?"

TASK_COST = """SELECT app_endpoint, resource_fee, inference_fee, royalty_fee, partner_fee,
        total, discount, refunded_amount, refunded
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

# The rollups: per (team, bucket length, bucket start, app) the tasks not
# refunded in full and their net charge, at three bucket lengths, kept by every
# write in its own transaction; per (team, event column, name) the usage of
# those tasks. Breakdowns read whole buckets from them and only the part of a
# minute at a window's edge from the records (see Ledger.breakdown).
MINUTE, HOUR, DAY = 60_000_000, 3_600_000_000, 86_400_000_000
STEPS = (MINUTE, HOUR, DAY)
USAGE_COLUMNS = ("tier", "event_type", "model")

# A task's three buckets in one statement (one round trip on PostgreSQL).
ADD_ROLLUP = """INSERT INTO celprice_rollups (team_id, step, bucket, app_endpoint, calls, net)
    VALUES (?, ?, ?, ?, ?, ?), (?, ?, ?, ?, ?, ?), (?, ?, ?, ?, ?, ?)
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


# Rollups recomputed from the records: by rebuild_rollups and by the migration
# step that introduced them (schema version 3).
REBUILD: tuple[str, ...] = (
    "DELETE FROM celprice_rollups",
    "DELETE FROM celprice_usage_rollups",
    *(
        f"""INSERT INTO celprice_rollups (team_id, step, bucket, app_endpoint, calls, net)
        SELECT team_id, {step}, {_floor("completed_at", step)}, app_endpoint,
            COUNT(*), SUM(total - discount - refunded_amount)
        FROM celprice_tasks WHERE refunded = 0
        GROUP BY team_id, {_floor("completed_at", step)}, app_endpoint"""
        for step in STEPS
    ),
    *(
        f"""INSERT INTO celprice_usage_rollups (team_id, kind, name, events, micros)
        SELECT u.team_id, '{column}', u.{column}, COUNT(*), SUM(u.micros)
        FROM celprice_usage u
        JOIN celprice_tasks t ON t.team_id = u.team_id AND t.task_id = u.task_id
        WHERE t.refunded = 0 AND u.{column} IS NOT NULL
        GROUP BY u.team_id, u.{column}"""
        for column in USAGE_COLUMNS
    ),
)


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


def breakdown(teams: int, steps: list[int]) -> str:
    """Net spend and calls per (team, bucket, app) of segments of those
    steps (see _segment). Parameters: the window's start and bucket step,
    then each segment's."""
    return f"""SELECT team_id, (at - ?) / ?, app_endpoint, SUM(calls), SUM(net)
    FROM ({_segments(teams, steps)}) AS segments
    GROUP BY 1, 2, 3"""


def window_total(teams: int, steps: list[int]) -> str:
    """The net total of segments of those steps. Parameters: each segment's."""
    return f"SELECT SUM(net) FROM ({_segments(teams, steps)}) AS segments"


# Batch ingestion: items are staged in temporary tables (COPY on PostgreSQL),
# those already recorded are dropped, and the rest reach the ledger and its
# rollups in set-based statements.
BATCH_TASKS = "celprice_batch_tasks"
BATCH_EVENTS = "celprice_batch_events"
BATCH_TASK_COLUMNS = (
    "idx", "team_id", "task_id", "app_endpoint", "completed_at", "completed_day",
    "resource_fee", "inference_fee", "royalty_fee", "partner_fee", "total", "discount",
    "minute", "hour",
)
BATCH_EVENT_COLUMNS = ("idx", "seq", "tier", "event_type", "model", "micros")
CREATE_BATCH: tuple[str, ...] = (
    f"""CREATE TEMPORARY TABLE IF NOT EXISTS {BATCH_TASKS} (
        idx BIGINT NOT NULL PRIMARY KEY, team_id TEXT NOT NULL, task_id TEXT NOT NULL,
        app_endpoint TEXT NOT NULL, completed_at BIGINT NOT NULL, completed_day BIGINT NOT NULL,
        resource_fee BIGINT NOT NULL, inference_fee BIGINT NOT NULL, royalty_fee BIGINT NOT NULL,
        partner_fee BIGINT NOT NULL, total BIGINT NOT NULL, discount BIGINT NOT NULL,
        minute BIGINT NOT NULL, hour BIGINT NOT NULL)""",
    f"""CREATE TEMPORARY TABLE IF NOT EXISTS {BATCH_EVENTS} (
        idx BIGINT NOT NULL, seq INTEGER NOT NULL, tier TEXT NOT NULL, event_type TEXT NOT NULL,
        model TEXT, micros BIGINT NOT NULL)""",
)
CLEAR_BATCH: tuple[str, ...] = (f"DELETE FROM {BATCH_TASKS}", f"DELETE FROM {BATCH_EVENTS}")
DROP_RECORDED = f"""DELETE FROM {BATCH_TASKS} WHERE EXISTS (
    SELECT 1 FROM celprice_tasks t
    WHERE t.team_id = {BATCH_TASKS}.team_id AND t.task_id = {BATCH_TASKS}.task_id)"""
# No ON CONFLICT (PostgreSQL's speculative insertion doubled the cost of this
# statement): what is left in the batch is new, unless another connection
# records one of its tasks meanwhile; the primary key then refuses the batch.
INSERT_BATCH = f"""INSERT INTO celprice_tasks
        (team_id, task_id, app_endpoint, completed_at, completed_day,
         resource_fee, inference_fee, royalty_fee, partner_fee, total, discount)
    SELECT team_id, task_id, app_endpoint, completed_at, completed_day,
         resource_fee, inference_fee, royalty_fee, partner_fee, total, discount
    FROM {BATCH_TASKS}"""
BATCH_ROLLUPS: tuple[str, ...] = (
    f"""INSERT INTO celprice_usage (team_id, task_id, seq, tier, event_type, model, micros)
    SELECT b.team_id, b.task_id, e.seq, e.tier, e.event_type, e.model, e.micros
    FROM {BATCH_EVENTS} e JOIN {BATCH_TASKS} b ON b.idx = e.idx""",
    *(
        f"""INSERT INTO celprice_rollups (team_id, step, bucket, app_endpoint, calls, net)
        SELECT team_id, {step}, {bucket}, app_endpoint, COUNT(*), SUM(total - discount)
        FROM {BATCH_TASKS} WHERE true GROUP BY team_id, {bucket}, app_endpoint
        ON CONFLICT (team_id, step, bucket, app_endpoint)
        DO UPDATE SET calls = celprice_rollups.calls + excluded.calls, net = celprice_rollups.net + excluded.net"""
        for step, bucket in ((MINUTE, "minute"), (HOUR, "hour"), (DAY, f"completed_day * {DAY}"))
    ),
    *(
        f"""INSERT INTO celprice_usage_rollups (team_id, kind, name, events, micros)
        SELECT b.team_id, '{column}', e.{column}, COUNT(*), SUM(e.micros)
        FROM {BATCH_EVENTS} e JOIN {BATCH_TASKS} b ON b.idx = e.idx
        WHERE e.{column} IS NOT NULL GROUP BY b.team_id, e.{column}
        ON CONFLICT (team_id, kind, name)
        DO UPDATE SET events = celprice_usage_rollups.events + excluded.events,
            micros = celprice_usage_rollups.micros + excluded.micros"""
        for column in USAGE_COLUMNS
    ),
)
