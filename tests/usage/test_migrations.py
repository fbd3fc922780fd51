"""Schema versions on both backends: a ledger made by version 1 (before
versions existed) opens, upgrades in place and answers the new shapes; a
newer schema is refused; a failing step changes nothing; a new step is all a
later version needs."""
from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from celprice.usage import Ledger, LedgerError
from celprice.usage.backends import open_backend
from celprice.usage.migrations import LATEST, STEPS, VERSION_TABLE, upgrade
from celprice.usage.sql import TEN_MINUTES, TEN_SECONDS

from .helpers import fees, utc

V1_SCHEMA = Path(__file__).parent / "fixtures" / "schema_v1.sql"
NOW = utc(2026, 6, 4, 12)
AT_US = 1780563600 * 10**6  # 2026-06-04T09:00:00Z in microseconds since the epoch
DAY_US = 86400 * 10**6

# Rows as version 1 wrote them: task-2 refunded (all-or-nothing then).
V1_TASKS = [
    ("team-a", "task-1", "infsh/echo", AT_US, AT_US // DAY_US, 0, 50000, 0, 0, 50000, 0),
    ("team-a", "task-2", "acme/img", AT_US, AT_US // DAY_US, 100, 900, 0, 0, 1000, 1),
    ("team-a", "task-3", "acme/img", AT_US, AT_US // DAY_US, 0, 300, 0, 0, 300, 0),
]
V1_EVENTS = [
    ("team-a", "task-2", 0, "cloud", "gpu", "sdxl", 8_000_000),
    ("team-a", "task-3", 0, "cloud", "gpu", "sdxl", 12_500_000),
]


def run_sql(url: str, statements: Sequence[str], rows: Sequence[tuple[str, Sequence[Sequence[Any]]]] = ()) -> None:
    """Statements and inserts straight on the database, as an old celprice would have."""
    if url.startswith("sqlite:///"):
        import sqlite3

        with sqlite3.connect(url[len("sqlite:///"):]) as conn:
            for statement in statements:
                conn.execute(statement)
            for insert, values in rows:
                conn.executemany(insert, values)
    else:
        import psycopg

        with psycopg.connect(url) as conn:
            for statement in statements:
                conn.execute(statement)
            for insert, values in rows:
                conn.cursor().executemany(insert.replace("?", "%s"), values)


def query(url: str, sql: str) -> list[tuple[Any, ...]]:
    if url.startswith("sqlite:///"):
        import sqlite3

        with sqlite3.connect(url[len("sqlite:///"):]) as conn:
            return conn.execute(sql).fetchall()
    import psycopg

    with psycopg.connect(url) as conn:
        return conn.execute(sql).fetchall()


def make_v1_ledger(url: str, events: bool = True) -> None:
    """A ledger as version 1 made it: the fixture's DDL, then rows in its columns."""
    lines = [line for line in V1_SCHEMA.read_text().splitlines() if not line.startswith("--")]
    ddl = [part.strip() for part in "\n".join(lines).split(";") if part.strip()]
    rows = [("INSERT INTO celprice_tasks VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", V1_TASKS)]
    if events:
        rows.append(("INSERT INTO celprice_usage VALUES (?, ?, ?, ?, ?, ?, ?)", V1_EVENTS))
    run_sql(url, ddl, rows)


def test_a_version_1_ledger_opens_upgrades_and_answers_the_new_shapes(shared_url: str) -> None:
    make_v1_ledger(shared_url)
    with Ledger(shared_url) as ledger:
        assert query(shared_url, f"SELECT version FROM {VERSION_TABLE}") == [(LATEST,)]
        cost = ledger.task_cost("team-a", "task-1")
        assert {key: cost[key] for key in ("total", "discount", "charged", "refunded") if key in cost} == {
            "total": 50000, "charged": 50000,
        }
        # A version 1 refund was of the whole total.
        refunded = ledger.task_cost("team-a", "task-2")
        assert (refunded["charged"], refunded["refunded"], refunded["resource_fee"]) == (1000, 1000, 100)
        ledger.refund("team-a", "task-2")  # still refunded in full: nothing to do
        answer = ledger.breakdown("team-a", "1d", now=NOW)
        assert (answer["total_cost"], answer["per_team"]) == (50300, [])
        assert answer["per_model"][1] == {"app_endpoint": "acme/img", "call_count": 1, "cost": 300}
        assert ledger.summary("team-a") == {
            "tier_usage": {"cloud": 12.5}, "type_usage": {"gpu": 12.5}, "model_usage": {"sdxl": 12.5},
            "total_usage": 13,
        }
        # What version 1 could not do.
        ledger.refund("team-a", "task-3", amount=100, refund_id="re-1")
        ledger.record_task("team-a", "task-4", "acme/img", utc(2026, 6, 4, 10), fees(1000), discount=400)
        ledger.set_members("org-1", ["team-a"])
        org = ledger.breakdown("org-1", "1d", now=NOW)
        assert org["per_team"] == [{"team_id": "team-a", "call_count": 3, "cost": 50000 + 200 + 600}]
    with Ledger(shared_url) as again:  # opening an up-to-date ledger changes nothing
        assert query(shared_url, f"SELECT version FROM {VERSION_TABLE}") == [(LATEST,)]
        assert again.task_cost("team-a", "task-3")["refunded"] == 100


UPGRADER = """
import sys
from celprice.usage import Ledger
with Ledger(sys.argv[1]) as ledger:
    print(ledger.task_cost("team-a", "task-2")["refunded"])
"""


def test_processes_opening_an_old_ledger_at_once_upgrade_it_once(shared_url: str) -> None:
    make_v1_ledger(shared_url, events=False)
    workers = [subprocess.Popen([sys.executable, "-c", UPGRADER, shared_url], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True) for _ in range(4)]
    for proc in workers:
        out, err = proc.communicate(timeout=240)
        assert (proc.returncode, out, err) == (0, "1000\n", "")  # an ADD COLUMN run twice would fail
    assert query(shared_url, f"SELECT version FROM {VERSION_TABLE}") == [(LATEST,)]


def test_a_new_ledger_is_at_the_latest_version(shared_url: str) -> None:
    Ledger(shared_url).close()
    assert query(shared_url, f"SELECT version FROM {VERSION_TABLE}") == [(LATEST,)]


def test_a_newer_schema_is_refused(shared_url: str) -> None:
    Ledger(shared_url).close()
    run_sql(shared_url, [f"UPDATE {VERSION_TABLE} SET version = {LATEST + 1}"])
    with pytest.raises(LedgerError, match=rf"this ledger's schema is version {LATEST + 1}, newer than this "
                                          rf"celprice knows \(up to {LATEST}\); upgrade celprice to open it"):
        Ledger(shared_url)


EXTRA = ("CREATE TABLE celprice_extra (id TEXT NOT NULL PRIMARY KEY)",
         "INSERT INTO celprice_extra (id) SELECT task_id FROM celprice_tasks")


def test_a_later_version_is_one_more_step(shared_url: str) -> None:
    with Ledger(shared_url) as ledger:
        ledger.record_task("team-a", "task-1", "acme/x", NOW, fees(5))
    db = open_backend(shared_url)
    try:
        assert upgrade(db, STEPS + (EXTRA,)) == LATEST  # the version it was at
        assert upgrade(db, STEPS + (EXTRA,)) == LATEST + 1  # and now is: nothing more to do
    finally:
        db.close()
    assert query(shared_url, "SELECT id FROM celprice_extra") == [("task-1",)]
    assert query(shared_url, f"SELECT version FROM {VERSION_TABLE}") == [(LATEST + 1,)]


def test_a_failing_step_changes_nothing(shared_url: str) -> None:
    Ledger(shared_url).close()
    db = open_backend(shared_url)
    try:
        with pytest.raises(LedgerError, match="celprice_nowhere"):
            upgrade(db, STEPS + (EXTRA, ("SELECT * FROM celprice_nowhere",)))
    finally:
        db.close()
    assert query(shared_url, f"SELECT version FROM {VERSION_TABLE}") == [(LATEST,)]
    with Ledger(shared_url) as ledger:  # the half-run step left no table behind
        ledger.record_task("team-a", "task-1", "acme/x", NOW, fees(5))
    with pytest.raises(Exception, match="celprice_extra"):
        query(shared_url, "SELECT id FROM celprice_extra")


V6_TASKS = [
    # team, task, app, at, day, four components, total, refunded (in full), discount, refunded_amount, version
    ("team-a", "task-1", "acme/img", AT_US, AT_US // DAY_US, 100, 900, 0, 0, 1000, 0, 200, 300, None),
    ("team-a", "task-2", "acme/img", AT_US + 1, AT_US // DAY_US, 0, 500, 0, 0, 500, 1, 0, 500, None),
    ("team-b", "task-1", "infsh/echo", AT_US - DAY_US, AT_US // DAY_US - 1, 0, 70, 0, 0, 70, 0, 0, 0, None),
]
V6_EVENTS = [
    ("team-a", "task-1", 0, "cloud", "gpu", "sdxl", 8_000_000),
    ("team-a", "task-1", 1, "cloud", "cpu", None, 2_000_000),
    ("team-a", "task-2", 0, "cloud", "gpu", "sdxl", 1_000_000),
]
V7_TABLES = {
    "celprice_tasks": "team_id, task_id",
    "celprice_usage": "team_id, task_id, seq",
    "celprice_rollups": "team_id, step, bucket, app_endpoint",
    "celprice_usage_rollups": "team_id, kind, name",
}


def test_a_version_6_ledger_keeps_every_row_through_versions_7_and_8(shared_url: str) -> None:
    """Version 7 rebuilds the tables a task writes on SQLite and swaps the
    time index on both; version 8 adds rollups of two more steps. Nothing
    recorded is lost or changed, the new rollups are what a rebuild computes,
    and the ledger goes on recording, refunding and answering."""
    db = open_backend(shared_url)
    try:
        upgrade(db, STEPS[:6])
    finally:
        db.close()
    run_sql(shared_url, [], [
        ("INSERT INTO celprice_tasks VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", V6_TASKS),
        ("INSERT INTO celprice_usage VALUES (?, ?, ?, ?, ?, ?, ?)", V6_EVENTS),
    ])
    # The rollups version 6 kept: version 4's rebuild, at its three steps.
    run_sql(shared_url, [statement for statement in STEPS[3] if statement.startswith(("DELETE", "INSERT"))])

    def rows() -> dict[str, list[tuple[Any, ...]]]:
        return {table: query(shared_url, f"SELECT * FROM {table} ORDER BY {key}") for table, key in V7_TABLES.items()}

    before = rows()
    assert len(before["celprice_rollups"]) == 3 * 2  # task-2 is refunded in full: two apps' minute, hour, day
    with Ledger(shared_url) as ledger:
        after = rows()
        new_steps = (TEN_SECONDS, TEN_MINUTES)
        kept = [row for row in after["celprice_rollups"] if int(row[1]) not in new_steps]
        assert {**after, "celprice_rollups": kept} == before
        assert len(after["celprice_rollups"]) == len(kept) + 2 * 2  # each app's ten seconds and ten minutes
        ledger.rebuild_rollups()
        assert rows() == after
        assert query(shared_url, f"SELECT version FROM {VERSION_TABLE}") == [(LATEST,)]
        assert ledger.task_cost("team-a", "task-1")["charged"] == 800
        assert ledger.breakdown("team-a", "1d", now=NOW)["total_cost"] == 500  # 1000 - 200 discount - 300 refunded
        ledger.refund("team-a", "task-1")
        assert ledger.record_task("team-a", "task-3", "acme/img", NOW, fees(40))
        answer = ledger.breakdown("team-a", "1d", now=NOW)
        assert answer["total_cost"] == 40
        assert answer["per_model"] == [{"app_endpoint": "acme/img", "call_count": 1, "cost": 40}]
        assert ledger.summary("team-a")["total_usage"] == 0
