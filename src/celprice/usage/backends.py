"""Where the ledger's rows live: SQLite (the standard library's) or PostgreSQL
(psycopg 3), behind one small interface.

A backend runs the statements of `sql.py` inside transactions; it knows
nothing of tasks or fees. Every database error leaves as a LedgerError, after
the transaction has been rolled back; a database that cannot be reached
(down, restarting, locked past the busy timeout) as LedgerUnavailable.
"""
from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

from .errors import LedgerError, LedgerUnavailable

__all__ = ["Backend", "Transaction", "open_backend", "CLOSED", "OVERFLOW", "SQLiteOnly"]

Params = Sequence[Any]


class SQLiteOnly(str):
    """A schema statement for SQLite's storage alone (`WITHOUT ROWID` tables,
    say), which PostgreSQL has no use for: its schema transaction skips it.
    The tables' columns, keys and meaning stay the same on both backends."""

    __slots__ = ()


class Transaction(Protocol):
    def rows(self, sql: str, params: Params) -> list[tuple[Any, ...]]: ...

    def change(self, sql: str, params: Params) -> int:
        """Run a write; the number of rows it changed."""
        ...

    def change_many(self, sql: str, rows: Sequence[Params]) -> None: ...

    def load(self, table: str, columns: Sequence[str], rows: Sequence[Params]) -> None:
        """Append rows to a table, by the fastest way the database has."""
        ...

    def insert_new(self, table: str, columns: Sequence[str], key: int, rows: Sequence[Params]) -> list[int] | None:
        """Insert the rows whose key (their first `key` columns, distinct
        within `rows`) is not in `table` yet; the indexes of those inserted,
        or None when all of them were."""
        ...

    def merge(self, table: str, columns: Sequence[str], key: int, rows: Sequence[Params]) -> None:
        """Add each row's columns after the key (its first `key` columns,
        distinct within `rows`) to the row of `table` with that key, or insert it."""
        ...


class Backend(Protocol):
    description: str
    sqlite: bool

    def transaction(self, write: bool) -> Any:
        """A context manager yielding a Transaction; commits on success, rolls back on error."""
        ...

    def schema_transaction(self) -> Any:
        """A write transaction that no other process's schema_transaction overlaps."""
        ...

    def close(self) -> None: ...


def open_backend(url: str | None) -> Backend:
    """The backend for a ledger URL: None or `sqlite://` (in memory),
    `sqlite:///path.db`, or `postgresql://...`."""
    if url is None or url in ("sqlite://", "sqlite:///:memory:"):
        return SQLiteBackend(":memory:")
    if not isinstance(url, str):
        raise LedgerError(f"ledger url must be a string or None, got {type(url).__name__}")
    if url.startswith("sqlite:///"):
        return SQLiteBackend(url[len("sqlite:///"):])
    if url.startswith(("postgresql://", "postgres://")):
        return PostgresBackend(url)
    raise LedgerError(
        f"unsupported ledger url {_redacted(url)!r}: use None (in-memory SQLite), "
        "'sqlite:///path/to/ledger.db' or 'postgresql://user@host/dbname'"
    )


def _redacted(url: str) -> str:
    """The URL with any password replaced, for error messages."""
    try:
        parts = urlsplit(url)
        if parts.password is None:
            return url
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
        return urlunsplit(parts._replace(netloc=netloc))
    except ValueError:
        return "<unparsable url>"


class _Closed:
    """What a ledger holds after close(): every call is refused the same way."""

    description = "nothing (closed)"
    sqlite = False

    def transaction(self, write: bool) -> Any:
        raise LedgerError("this ledger is closed")

    def schema_transaction(self) -> Any:
        raise LedgerError("this ledger is closed")

    def close(self) -> None:
        pass


CLOSED: Backend = _Closed()


class _Cursor:
    """A DB-API cursor seen through the Transaction protocol."""

    __slots__ = ("_cursor", "_sql")

    def __init__(self, cursor: Any, sql: Any) -> None:
        self._cursor = cursor
        self._sql = sql

    def rows(self, sql: str, params: Params) -> list[tuple[Any, ...]]:
        self._cursor.execute(self._sql(sql), params)
        rows: list[tuple[Any, ...]] = self._cursor.fetchall()
        return rows

    def change(self, sql: str, params: Params) -> int:
        self._cursor.execute(self._sql(sql), params)
        changed: int = self._cursor.rowcount
        return changed

    def change_many(self, sql: str, rows: Sequence[Params]) -> None:
        if rows:
            self._cursor.executemany(self._sql(sql), rows)

    def load(self, table: str, columns: Sequence[str], rows: Sequence[Params]) -> None:
        if rows:
            self._cursor.executemany(self._sql(_insert(table, columns)), rows)

    def insert_new(self, table: str, columns: Sequence[str], key: int, rows: Sequence[Params]) -> list[int] | None:
        # Optimistic: a batch is almost always all new, and then one pass of
        # inserts is all it costs. When some of it was there, the savepoint
        # undoes the pass and the rows are sorted out the slow way.
        if not rows:
            return None
        self._cursor.execute("SAVEPOINT celprice_insert_new")
        if self._insert_all(table, columns, key, rows):
            self._cursor.execute("RELEASE SAVEPOINT celprice_insert_new")
            return None
        self._cursor.execute("ROLLBACK TO SAVEPOINT celprice_insert_new")
        self._cursor.execute("RELEASE SAVEPOINT celprice_insert_new")
        there = self._existing(table, columns[:key], [row[:key] for row in rows])
        fresh = [index for index, row in enumerate(rows) if tuple(row[:key]) not in there]
        self.load(table, columns, [rows[index] for index in fresh])
        return fresh

    def _insert_all(self, table: str, columns: Sequence[str], key: int, rows: Sequence[Params]) -> bool:
        """Insert the rows, skipping those already there; whether none was."""
        conflict = f" ON CONFLICT ({', '.join(columns[:key])}) DO NOTHING"
        self._cursor.executemany(self._sql(_insert(table, columns) + conflict), rows)
        return int(self._cursor.rowcount) == len(rows)

    def _existing(self, table: str, key: Sequence[str], keys: list[Params]) -> set[tuple[Any, ...]]:
        found: set[tuple[Any, ...]] = set()
        names = ", ".join(key)
        for first in range(0, len(keys), _KEYS_PER_QUERY):
            part = keys[first:first + _KEYS_PER_QUERY]
            values = ", ".join(["(" + ", ".join("?" * len(key)) + ")"] * len(part))
            self._cursor.execute(
                self._sql(f"SELECT {names} FROM {table} WHERE ({names}) IN (VALUES {values})"),
                [value for row in part for value in row],
            )
            found.update(tuple(row) for row in self._cursor.fetchall())
        return found

    def merge(self, table: str, columns: Sequence[str], key: int, rows: Sequence[Params]) -> None:
        if rows:
            self._cursor.executemany(self._sql(_insert(table, columns) + _add_on_conflict(table, columns, key)), rows)


def _insert(table: str, columns: Sequence[str]) -> str:
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"


def _add_on_conflict(table: str, columns: Sequence[str], key: int) -> str:
    sums = ", ".join(f"{column} = {table}.{column} + excluded.{column}" for column in columns[key:])
    return f" ON CONFLICT ({', '.join(columns[:key])}) DO UPDATE SET {sums}"


# Keys per query when looking up which of a batch are there: few statements,
# well within both databases' limits on parameters.
_KEYS_PER_QUERY = 400


class _PostgresCursor(_Cursor):
    __slots__ = ()

    def load(self, table: str, columns: Sequence[str], rows: Sequence[Params]) -> None:
        if rows:
            with self._cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)

    def _insert_all(self, table: str, columns: Sequence[str], key: int, rows: Sequence[Params]) -> bool:
        # COPY has no ON CONFLICT: a row already there (or being recorded by
        # another connection, whose commit this waits for) fails all of it.
        import psycopg

        try:
            self.load(table, columns, rows)
        except psycopg.errors.UniqueViolation:
            return False
        return True

    def merge(self, table: str, columns: Sequence[str], key: int, rows: Sequence[Params]) -> None:
        # Staged with COPY, then merged in one statement, in key order: two
        # batches merging into the same rows lock them in the same order.
        if not rows:
            return
        stage = f"celprice_stage_{table}"
        names = ", ".join(columns)
        self._cursor.execute(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {stage} (LIKE {table}) ON COMMIT DELETE ROWS"
        )
        self._cursor.execute(f"DELETE FROM {stage}")
        self.load(stage, columns, rows)
        self._cursor.execute(
            f"INSERT INTO {table} ({names}) SELECT {names} FROM {stage} ORDER BY {', '.join(columns[:key])}"
            + _add_on_conflict(table, columns, key)
        )


# A rollup's CHECK (SQLite), BIGINT arithmetic (PostgreSQL) or a SUM refused it.
OVERFLOW = "a sum overflows int64 microcents"


def _same(sql: str) -> str:
    return sql


class SQLiteBackend:
    """One connection shared under a lock (an in-memory database exists only in
    its connection). Files use WAL, so readers never block the writer, and a
    busy timeout, so several processes may write the same file."""

    def __init__(self, path: str) -> None:
        self.description = "SQLite in memory" if path == ":memory:" else f"SQLite {path}"
        self.sqlite = True
        self._lock = threading.Lock()
        try:
            self._conn = sqlite3.connect(path, timeout=30.0, isolation_level=None, check_same_thread=False)
            if path != ":memory:":
                self._conn.execute("PRAGMA busy_timeout = 30000")
                mode = self._conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
                if str(mode).lower() != "wal":
                    raise LedgerError(f"cannot use WAL journaling for {path} (got {mode})")
        except sqlite3.Error as exc:
            raise LedgerError(f"cannot open SQLite database {path!r}: {exc}") from exc

    @contextmanager
    def transaction(self, write: bool) -> Iterator[Transaction]:
        with self._lock:
            cursor = self._conn.cursor()
            try:
                # IMMEDIATE takes the write lock up front: two writers never both
                # read and then deadlock on the upgrade.
                cursor.execute("BEGIN IMMEDIATE" if write else "BEGIN")
                yield _Cursor(cursor, _same)
                cursor.execute("COMMIT")
            except BaseException as exc:
                if self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")
                if isinstance(exc, sqlite3.Error):
                    if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc):
                        raise LedgerUnavailable(f"{self.description}: {exc}") from exc
                    if "integer overflow" in str(exc) or "_int64" in str(exc):
                        raise LedgerError(OVERFLOW) from exc
                    raise LedgerError(f"{self.description}: {exc}") from exc
                raise
            finally:
                cursor.close()

    def schema_transaction(self) -> Any:
        # BEGIN IMMEDIATE already excludes every other writer of the file.
        return self.transaction(write=True)

    def close(self) -> None:
        with self._lock:
            self._conn.close()


def _pg_sql(sql: str) -> str:
    return sql.replace("?", "%s")


class PostgresBackend:
    """One psycopg 3 connection shared under a lock. Reads run in a read-only
    REPEATABLE READ transaction, so the queries of one answer see one snapshot.
    A connection the server dropped fails the call that finds out, and the
    next call connects again."""

    def __init__(self, url: str) -> None:
        self.description = f"PostgreSQL {_redacted(url)}"
        self.sqlite = False
        try:
            import psycopg
        except ImportError as exc:
            raise LedgerError(
                "a postgresql:// ledger needs psycopg 3: pip install 'celprice[postgres]'"
            ) from exc
        self._psycopg = psycopg
        self._url = url
        self._lock = threading.Lock()
        self._conn: Any = None
        self._conn = self._connect()

    def _connect(self) -> Any:
        try:
            # No server-side prepared statements: after five runs PostgreSQL may
            # switch a prepared breakdown to a generic plan that ignores how wide
            # the window is (measured: 90d over 1M records went 0.3 s -> 1.3 s).
            return self._psycopg.connect(self._url, autocommit=True, connect_timeout=10, prepare_threshold=None)
        except self._psycopg.Error as exc:
            raise LedgerUnavailable(f"cannot connect to {self.description}: {exc}") from exc

    @contextmanager
    def transaction(self, write: bool) -> Iterator[Transaction]:
        with self._lock:
            if self._conn is None or self._conn.broken or self._conn.closed:
                # Lost earlier (the server went away): connect again, or stay
                # unavailable until it is back.
                if self._conn is not None:
                    self._conn.close()
                    self._conn = None
                self._conn = self._connect()
            try:
                with self._conn.transaction(), self._conn.cursor() as cursor:
                    if not write:
                        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                    yield _PostgresCursor(cursor, _pg_sql)
            except (self._psycopg.OperationalError, self._psycopg.InterfaceError) as exc:
                # The connection, not the statement, failed: a write whose
                # COMMIT was cut off may or may not have landed, which the
                # idempotent writes (task ids, refund ids) make safe to retry.
                raise LedgerUnavailable(f"{self.description}: {exc}") from exc
            except self._psycopg.Error as exc:
                if isinstance(exc, self._psycopg.errors.NumericValueOutOfRange):
                    raise LedgerError(OVERFLOW) from exc
                raise LedgerError(f"{self.description}: {exc}") from exc

    @contextmanager
    def schema_transaction(self) -> Iterator[Transaction]:
        with self.transaction(write=True) as tx:
            # Two processes upgrading at once would race on the catalog despite
            # IF NOT EXISTS; a transaction-scoped lock orders them, and the
            # second then finds the version the first wrote.
            tx.rows("SELECT pg_advisory_xact_lock(4242000001)", ())
            yield tx

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
