"""Every ledger test runs against both backends: in-memory SQLite, and a
PostgreSQL database created for this run.

PostgreSQL: `CELPRICE_POSTGRES_URL` names a server to use (a scratch database
is created on it and dropped afterwards); without it, `.ci/postgres` starts a
throwaway server for the session. Where neither works the PostgreSQL cases
skip, saying why.
"""
from __future__ import annotations

import importlib.util
import os
import subprocess
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from celprice.usage import Ledger

ROOT = Path(__file__).resolve().parents[2]
SERVER_SCRIPT = ROOT / ".ci" / "postgres"
URL_ENV = "CELPRICE_POSTGRES_URL"

# What became of the PostgreSQL cases, for the line at the end of the run.
_postgres_status: list[str] = []


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _postgres_status:
        terminalreporter.write_sep("=", "usage ledger")
        terminalreporter.write_line(f"PostgreSQL cases: {_postgres_status[-1]}")


def _skip(reason: str) -> None:
    _postgres_status.append(f"skipped: {reason}")
    pytest.skip(f"PostgreSQL cases skipped: {reason}")


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A URL of a PostgreSQL server on which this session may create databases."""
    if importlib.util.find_spec("psycopg") is None:
        _skip("psycopg is not installed (pip install -e '.[dev]')")
    url = os.environ.get(URL_ENV)
    if url:
        _postgres_status.append(f"ran on the server of {URL_ENV}")
        yield url
        return
    if not SERVER_SCRIPT.exists():
        _skip(f"{URL_ENV} is not set and {SERVER_SCRIPT} is missing")
    directory = Path(tempfile.gettempdir()) / f"celprice-pg-{uuid.uuid4().hex[:12]}"
    try:
        started = subprocess.run(
            [str(SERVER_SCRIPT), "start", str(directory)], capture_output=True, text=True, timeout=180
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        _skip(f"{SERVER_SCRIPT} could not run ({exc}); set {URL_ENV} to use a server")
    if started.returncode != 0:
        why = (started.stderr.strip().splitlines() or ["no reason given"])[-1]
        _skip(f"no server could be started ({why}); set {URL_ENV} to use one")
    _postgres_status.append("ran on a throwaway server started by .ci/postgres")
    try:
        yield started.stdout.strip()
    finally:
        subprocess.run([str(SERVER_SCRIPT), "stop", str(directory)], capture_output=True, timeout=120)


@pytest.fixture(scope="session")
def postgres_url(postgres_server: str) -> Iterator[str]:
    """A scratch database of this session, dropped at its end."""
    import psycopg

    name = f"celprice_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_server, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield _with_database(postgres_server, name)
    finally:
        with psycopg.connect(postgres_server, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def empty_postgres(postgres_url: str) -> str:
    """The scratch database, without the ledger's tables of earlier tests
    (every table whose name starts with celprice_, the version table too)."""
    import psycopg

    with psycopg.connect(postgres_url, autocommit=True) as conn:
        tables = [row[0] for row in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() AND tablename LIKE 'celprice\\_%'"
        )]
        if tables:
            conn.execute("DROP TABLE " + ", ".join(f'"{table}"' for table in tables))
    return postgres_url


@pytest.fixture(params=["sqlite", "postgresql"])
def ledger_url(request: pytest.FixtureRequest) -> str | None:
    """The URL of an empty ledger database on each backend (None: in-memory SQLite)."""
    if request.param == "sqlite":
        return None
    return request.getfixturevalue("empty_postgres")


@pytest.fixture
def ledger(ledger_url: str | None) -> Iterator[Ledger]:
    with Ledger(ledger_url) as opened:
        yield opened


@pytest.fixture(params=["sqlite-file", "postgresql"])
def shared_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database several Ledger objects (and processes) can open at once."""
    if request.param == "sqlite-file":
        return f"sqlite:///{tmp_path / 'ledger.db'}"
    return request.getfixturevalue("empty_postgres")


@pytest.fixture
def open_ledger(shared_url: str) -> Iterator[Callable[[], Ledger]]:
    opened: list[Ledger] = []

    def make() -> Ledger:
        opened.append(Ledger(shared_url))
        return opened[-1]

    yield make
    for each in opened:
        each.close()
