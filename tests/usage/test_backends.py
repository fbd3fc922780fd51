"""What the two backends must both do beyond answering: open by URL, keep
records across reopening, take concurrent writers, fail as LedgerError."""
from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from celprice.usage import Ledger, LedgerError

from .helpers import fees, utc

AT = utc(2026, 6, 4, 9)
NOW = utc(2026, 6, 4, 12)

# Each worker records 40 tasks every worker records too, and 40 of its own.
WORKER = """
import json, sys
from datetime import datetime, timezone
from celprice.usage import Ledger
from celprice.usage.ledger import COMPONENTS
url, worker = sys.argv[1], int(sys.argv[2])
fees = {k: {"value": v} for k, v in zip(COMPONENTS, (1, 2, 3, 4, 10))}
at = datetime(2026, 6, 4, 9, tzinfo=timezone.utc)
event = [{"tier": "cloud", "type": "gpu", "model": "m", "seconds": 1}]
new = 0
with Ledger(url) as ledger:
    for i in range(40):
        new += ledger.record_task("team-a", f"shared-{i}", "acme/x", at, fees, event)
        new += ledger.record_task("team-a", f"own-{worker}-{i}", "acme/x", at, fees, event)
print(new)
"""


def test_concurrent_writers_in_separate_processes(shared_url: str) -> None:
    workers = [
        subprocess.Popen([sys.executable, "-c", WORKER, shared_url, str(n)], stdout=subprocess.PIPE, text=True)
        for n in range(4)
    ]
    recorded = []
    for proc in workers:
        out, _ = proc.communicate(timeout=240)
        assert proc.returncode == 0
        recorded.append(int(out))
    assert sum(recorded) == 40 + 4 * 40  # each shared task recorded by exactly one worker
    with Ledger(shared_url) as ledger:
        answer = ledger.breakdown("team-a", "1d", now=NOW)
        assert answer["per_model"] == [{"app_endpoint": "acme/x", "call_count": 200, "cost": 2000}]
        assert ledger.summary("team-a")["total_usage"] == 200


def test_threads_share_one_ledger(ledger: Ledger) -> None:
    failures: list[BaseException] = []

    def work(thread: int) -> None:
        try:
            for i in range(25):
                ledger.record_task("team-a", f"{thread}-{i}", f"app-{thread % 2}", AT, fees(3))
                ledger.breakdown("team-a", "1d", now=NOW)
        except BaseException as exc:  # noqa: BLE001 - reported below
            failures.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures
    answer = ledger.breakdown("team-a", "1d", now=NOW)
    assert answer["per_model"] == [
        {"app_endpoint": "app-0", "call_count": 75, "cost": 225},
        {"app_endpoint": "app-1", "call_count": 75, "cost": 225},
    ]


def test_records_survive_reopening(open_ledger: Callable[[], Ledger]) -> None:
    first = open_ledger()
    first.record_task("team-a", "task-1", "acme/x", AT, fees(99))
    first.close()
    assert open_ledger().task_cost("team-a", "task-1")["total"] == 99


def test_a_sqlite_file_uses_wal(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    with Ledger(f"sqlite:///{path}") as ledger:
        ledger.record_task("team-a", "task-1", "acme/x", AT, fees(1))
        with sqlite3.connect(path) as conn:
            assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_a_closed_ledger_raises_ledger_error(ledger: Ledger) -> None:
    ledger.close()
    ledger.close()
    with pytest.raises(LedgerError, match="this ledger is closed"):
        ledger.task_cost("team-a", "task-1")
    with pytest.raises(LedgerError, match="this ledger is closed"):
        ledger.record_task("team-a", "task-1", "acme/x", AT, fees(1))


def test_unsupported_urls_are_refused_without_their_password() -> None:
    with pytest.raises(LedgerError) as caught:
        Ledger("mysql://billing:s3cret@db.example/ledger")
    assert "mysql://billing:***@db.example/ledger" in str(caught.value)
    assert "s3cret" not in str(caught.value)
    assert "sqlite:///path/to/ledger.db" in str(caught.value)


def test_an_unopenable_sqlite_file(tmp_path: Path) -> None:
    with pytest.raises(LedgerError, match="cannot open SQLite database"):
        Ledger(f"sqlite:///{tmp_path / 'missing-directory' / 'ledger.db'}")


def test_an_unreachable_postgres_server(tmp_path: Path) -> None:
    pytest.importorskip("psycopg")
    with pytest.raises(LedgerError, match=r"cannot connect to PostgreSQL postgresql://nobody:\*\*\*@/x"):
        Ledger(f"postgresql://nobody:pw@/x?host={tmp_path}")


def test_postgres_without_psycopg(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)
    with pytest.raises(LedgerError, match=r"needs psycopg 3: pip install 'celprice\[postgres\]'"):
        Ledger("postgresql://localhost/ledger")


def test_answers_are_plain_json(ledger: Ledger) -> None:
    ledger.record_task("team-a", "task-1", "acme/x", AT, fees(10), [{"tier": "cloud", "type": "gpu", "seconds": 1.5}])
    for answer in (ledger.breakdown("team-a", "1d", now=NOW), ledger.summary("team-a"), ledger.task_cost("team-a", "task-1")):
        assert json.loads(json.dumps(answer)) == answer


def test_a_dropped_postgres_connection_fails_one_call_then_reconnects(empty_postgres: str) -> None:
    import psycopg

    with Ledger(empty_postgres) as ledger:
        ledger.record_task("team-a", "task-1", "acme/x", AT, fees(5))
        with psycopg.connect(empty_postgres, autocommit=True) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        with pytest.raises(LedgerError, match="PostgreSQL"):
            ledger.task_cost("team-a", "task-1")
        assert ledger.task_cost("team-a", "task-1")["total"] == 5


def test_concurrent_partial_refunds_never_exceed_the_charge(open_ledger: Callable[[], Ledger]) -> None:
    # Each thread has its own connection, so on PostgreSQL the refunds really
    # run at once; the task's row lock makes them take turns.
    open_ledger().record_task("team-a", "task-1", "acme/x", AT, fees(100))
    ledgers = [open_ledger() for _ in range(4)]
    refused: list[int] = []
    failures: list[BaseException] = []

    def work(ledger: Ledger) -> None:
        for _ in range(40):
            try:
                ledger.refund("team-a", "task-1", amount=1)
            except LedgerError as exc:
                if "exceeds what is left to refund" not in str(exc):
                    failures.append(exc)
                refused.append(1)

    threads = [threading.Thread(target=work, args=(each,)) for each in ledgers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures
    assert len(refused) == 4 * 40 - 100
    assert ledgers[0].task_cost("team-a", "task-1")["refunded"] == 100
    assert ledgers[0].breakdown("team-a", "1d", now=NOW)["total_cost"] == 0
