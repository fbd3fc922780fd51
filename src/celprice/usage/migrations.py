"""The ledger's schema, as the numbered steps that build it, and the upgrade
that runs them when a ledger is opened.

A database records its schema version in `celprice_schema_version`. Opening a
ledger runs every step after that version, then records the new one, all in
one transaction (under an advisory lock on PostgreSQL, with SQLite's write
lock taken up front): two processes opening an old ledger at once upgrade it
once, and a step that fails leaves the database as it was.

To change the schema, append one step to STEPS. Never edit a released step:
databases out there have run it. Steps are SQL in the subset SQLite and
PostgreSQL share, without `?` or `%` (see sql.py).
"""
from __future__ import annotations

from . import sql
from .backends import Backend, SQLiteOnly
from .errors import LedgerError
from .audit import SCHEMA as AUDIT_SCHEMA
from .keys import SCHEMA as KEYS_SCHEMA

__all__ = ["STEPS", "LATEST", "VERSION_TABLE", "upgrade"]

VERSION_TABLE = "celprice_schema_version"


def _without_rowid(table: str, columns: str, *indexes: str) -> tuple[SQLiteOnly, ...]:
    """SQLite statements that rebuild `table` (with these columns, the ones
    it has, and these indexes) as a WITHOUT ROWID table, keeping its rows."""
    return tuple(SQLiteOnly(statement) for statement in (
        f"CREATE TABLE {table}_new ({columns}) WITHOUT ROWID",
        f"INSERT INTO {table}_new SELECT * FROM {table}",
        f"DROP TABLE {table}",
        f"ALTER TABLE {table}_new RENAME TO {table}",
        *indexes,
    ))

STEPS: tuple[tuple[str, ...], ...] = (
    # Version 1: the first released schema (main at 364c134), which had no
    # version table. Its IF NOT EXISTS lets this step adopt such a ledger: a
    # database without a version is at version 0, and step 1 finds its tables.
    (
        """CREATE TABLE IF NOT EXISTS celprice_tasks (
            team_id TEXT NOT NULL,
            task_id TEXT NOT NULL,
            app_endpoint TEXT NOT NULL,
            completed_at BIGINT NOT NULL,
            completed_day BIGINT NOT NULL,
            resource_fee BIGINT NOT NULL,
            inference_fee BIGINT NOT NULL,
            royalty_fee BIGINT NOT NULL,
            partner_fee BIGINT NOT NULL,
            total BIGINT NOT NULL,
            refunded SMALLINT NOT NULL DEFAULT 0,
            PRIMARY KEY (team_id, task_id)
        )""",
        """CREATE INDEX IF NOT EXISTS celprice_tasks_by_day
            ON celprice_tasks (team_id, completed_day, app_endpoint, refunded, completed_at, total)""",
        """CREATE TABLE IF NOT EXISTS celprice_usage (
            team_id TEXT NOT NULL,
            task_id TEXT NOT NULL,
            seq INTEGER NOT NULL,
            tier TEXT NOT NULL,
            event_type TEXT NOT NULL,
            model TEXT,
            micros BIGINT NOT NULL,
            PRIMARY KEY (team_id, task_id, seq)
        )""",
    ),
    # Version 2: discounts, partial refunds, organisations.
    (
        "ALTER TABLE celprice_tasks ADD COLUMN discount BIGINT NOT NULL DEFAULT 0",
        # refunded_amount is the sum of the task's refunds; `refunded` now
        # means "refunded in full" (refunded_amount = total - discount).
        "ALTER TABLE celprice_tasks ADD COLUMN refunded_amount BIGINT NOT NULL DEFAULT 0",
        # Version 1 refunds were all-or-nothing, of undiscounted tasks.
        "UPDATE celprice_tasks SET refunded_amount = total WHERE refunded = 1",
        # completed_day leads so that a daily breakdown groups rows in index
        # order instead of sorting them (4-5x faster on SQLite at 1M records);
        # the index covers every breakdown query, now net of discounts and refunds.
        "DROP INDEX celprice_tasks_by_day",
        """CREATE INDEX celprice_tasks_by_day_net ON celprice_tasks
            (team_id, completed_day, app_endpoint, refunded, completed_at, total, discount, refunded_amount)""",
        # Telling "another team's task" (403) from "no such task" (404).
        # Refunds given with a refund_id, so that a retried refund is applied once.
        """CREATE TABLE celprice_refunds (
            team_id TEXT NOT NULL,
            refund_id TEXT NOT NULL,
            task_id TEXT NOT NULL,
            amount BIGINT NOT NULL,
            PRIMARY KEY (team_id, refund_id)
        )""",
        # Which teams an organisation workspace pays for; a team has at most one.
        """CREATE TABLE celprice_members (
            team_id TEXT NOT NULL PRIMARY KEY,
            org_id TEXT NOT NULL
        )""",
        "CREATE INDEX celprice_members_by_org ON celprice_members (org_id, team_id)",
    ),
    # Version 3: the API keys of `celprice serve` (keys.py).
    KEYS_SCHEMA,
    # Version 4: rollups, so that breakdowns and summaries read sums per
    # bucket instead of every record (docs/usage.md, Rollups).
    (
        # The CHECKs turn a sum past int64 into an error on SQLite, whose
        # integer arithmetic would otherwise go on in floating point.
        """CREATE TABLE celprice_rollups (
            team_id TEXT NOT NULL,
            step BIGINT NOT NULL,
            bucket BIGINT NOT NULL,
            app_endpoint TEXT NOT NULL,
            calls BIGINT NOT NULL,
            net BIGINT NOT NULL CONSTRAINT celprice_rollups_int64 CHECK (net BETWEEN 0 AND 9223372036854775807),
            PRIMARY KEY (team_id, step, bucket, app_endpoint)
        )""",
        """CREATE TABLE celprice_usage_rollups (
            team_id TEXT NOT NULL,
            kind TEXT NOT NULL,
            name TEXT NOT NULL,
            events BIGINT NOT NULL,
            micros BIGINT NOT NULL CONSTRAINT celprice_usage_rollups_int64
                CHECK (micros BETWEEN 0 AND 9223372036854775807),
            PRIMARY KEY (team_id, kind, name)
        )""",
        # Breakdowns read records only for the part of a minute at a window's
        # edge; the wide covering index of version 2 is no longer worth its writes.
        "DROP INDEX celprice_tasks_by_day_net",
        "CREATE INDEX celprice_tasks_by_time ON celprice_tasks (team_id, completed_at)",
        # The rollups of the records already there, at this version's steps.
        *sql.rebuild((sql.MINUTE, sql.HOUR, sql.DAY)),
    ),
    # Version 5: published pricings, and which version priced a task.
    (
        # One row per published version of an app's AppPricing, as saved (a
        # plain description wrapped as a CEL string literal), in JSON.
        """CREATE TABLE celprice_pricings (
            app_endpoint TEXT NOT NULL,
            version INTEGER NOT NULL,
            pricing TEXT NOT NULL,
            PRIMARY KEY (app_endpoint, version)
        )""",
        # NULL for the tasks recorded without a version (all of them before).
        "ALTER TABLE celprice_tasks ADD COLUMN pricing_version INTEGER",
    ),
    # Version 6: what priced each task, for audit and replay (audit.py).
    AUDIT_SCHEMA,
    # Version 7: on SQLite, the tables a task writes become WITHOUT ROWID
    # tables, stored in their primary key's B-tree: a task then writes three
    # B-trees (the task, its time index, its events) and its new rollup rows
    # one each, instead of two per table (a rowid table and its key's index),
    # and a breakdown reads a range of rollups without a lookup per row.
    # PostgreSQL stores tables as heaps either way and skips the step.
    _without_rowid(
        "celprice_tasks",
        """team_id TEXT NOT NULL,
            task_id TEXT NOT NULL,
            app_endpoint TEXT NOT NULL,
            completed_at BIGINT NOT NULL,
            completed_day BIGINT NOT NULL,
            resource_fee BIGINT NOT NULL,
            inference_fee BIGINT NOT NULL,
            royalty_fee BIGINT NOT NULL,
            partner_fee BIGINT NOT NULL,
            total BIGINT NOT NULL,
            refunded SMALLINT NOT NULL DEFAULT 0,
            discount BIGINT NOT NULL DEFAULT 0,
            refunded_amount BIGINT NOT NULL DEFAULT 0,
            pricing_version INTEGER,
            PRIMARY KEY (team_id, task_id)""",
    )
    + _without_rowid(
        "celprice_usage",
        """team_id TEXT NOT NULL,
            task_id TEXT NOT NULL,
            seq INTEGER NOT NULL,
            tier TEXT NOT NULL,
            event_type TEXT NOT NULL,
            model TEXT,
            micros BIGINT NOT NULL,
            PRIMARY KEY (team_id, task_id, seq)""",
    )
    + _without_rowid(
        "celprice_rollups",
        """team_id TEXT NOT NULL,
            step BIGINT NOT NULL,
            bucket BIGINT NOT NULL,
            app_endpoint TEXT NOT NULL,
            calls BIGINT NOT NULL,
            net BIGINT NOT NULL CONSTRAINT celprice_rollups_int64 CHECK (net BETWEEN 0 AND 9223372036854775807),
            PRIMARY KEY (team_id, step, bucket, app_endpoint)""",
    )
    + _without_rowid(
        "celprice_usage_rollups",
        """team_id TEXT NOT NULL,
            kind TEXT NOT NULL,
            name TEXT NOT NULL,
            events BIGINT NOT NULL,
            micros BIGINT NOT NULL CONSTRAINT celprice_usage_rollups_int64
                CHECK (micros BETWEEN 0 AND 9223372036854775807),
            PRIMARY KEY (team_id, kind, name)""",
    )
    + (
        # The part of a minute at a window's edge is read from the records:
        # with every column it reads in the time index, that is one range of
        # the index, not a lookup of the task per record (a dense day has
        # about 5,000 records in 43 seconds, which took 80-140 ms of random
        # page reads on SQLite at 10M records). On SQLite the old index went
        # with its table above.
        "DROP INDEX IF EXISTS celprice_tasks_by_time",
        """CREATE INDEX celprice_tasks_by_time_net ON celprice_tasks
            (team_id, completed_at, app_endpoint, refunded, total, discount, refunded_amount)""",
    ),
    # Version 8: rollups of ten seconds and of ten minutes besides the
    # minute, hour and day, computed here from the records. A window's edge
    # then reads under ten seconds of records and fewer rows of each step
    # (sql.STEPS): on a day of 10,000,000 tasks the records of a minute's
    # edge were 5,000 rows, half of a breakdown's time.
    tuple(sql.rollups_at(step) for step in (sql.TEN_SECONDS, sql.TEN_MINUTES)),
)

LATEST = len(STEPS)

_CREATE_VERSION_TABLE = f"""CREATE TABLE IF NOT EXISTS {VERSION_TABLE} (
    one SMALLINT NOT NULL PRIMARY KEY CHECK (one = 1),
    version INTEGER NOT NULL
)"""


def upgrade(db: Backend, steps: tuple[tuple[str, ...], ...] = STEPS) -> int:
    """Bring the database to the latest version; returns the version it was at.

    Refuses a database of a newer version than this celprice knows, rather
    than write to tables it does not understand.
    """
    with db.schema_transaction() as tx:
        tx.change(_CREATE_VERSION_TABLE, ())
        rows = tx.rows(f"SELECT version FROM {VERSION_TABLE}", ())
        current = int(rows[0][0]) if rows else 0
        if current > len(steps):
            raise LedgerError(
                f"this ledger's schema is version {current}, newer than this celprice knows "
                f"(up to {len(steps)}); upgrade celprice to open it"
            )
        for step in steps[current:]:
            for statement in step:
                if db.sqlite or not isinstance(statement, SQLiteOnly):
                    tx.change(statement, ())
        if not rows:
            tx.change(f"INSERT INTO {VERSION_TABLE} (one, version) VALUES (1, ?)", (len(steps),))
        elif current < len(steps):
            tx.change(f"UPDATE {VERSION_TABLE} SET version = ?", (len(steps),))
    return current
