"""Fixtures of the HTTP tests: the app in-process (httpx over ASGI) on both
backends, keys of every scope, and `celprice serve` in a subprocess on a free
127.0.0.1 port."""
from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("starlette", reason="the server extra is not installed (pip install -e '.[dev]')")
httpx = pytest.importorskip("httpx")

# The PostgreSQL server of the ledger tests (one per session, or CELPRICE_POSTGRES_URL).
from usage.conftest import postgres_server, postgres_url  # noqa: F401

from celprice.server import create_app
from celprice.usage import Ledger
from celprice.usage.keys import KeyStore

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 6, 4, 12, 0, tzinfo=timezone.utc)


class Client:
    """httpx over the ASGI app, called synchronously from tests."""

    def __init__(self, app: Any) -> None:
        self._loop = asyncio.new_event_loop()
        self._client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        return self._loop.run_until_complete(self._client.request(method, url, **kwargs))

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", url, **kwargs)

    def close(self) -> None:
        self._loop.run_until_complete(self._client.aclose())
        self._loop.close()


@pytest.fixture
def postgres_database(postgres_url: str) -> str:  # noqa: F811
    """This session's scratch database, emptied: no table of an earlier test is left."""
    import psycopg

    with psycopg.connect(postgres_url, autocommit=True) as conn:
        # Faster than a database per test (CREATE DATABASE takes about a second here).
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")
    return postgres_url


@pytest.fixture(params=["sqlite", "postgresql"])
def ledger(request: pytest.FixtureRequest) -> Iterator[Ledger]:
    url = None if request.param == "sqlite" else request.getfixturevalue("postgres_database")
    with Ledger(url) as opened:
        yield opened


@pytest.fixture
def sqlite_ledger() -> Iterator[Ledger]:
    with Ledger() as opened:
        yield opened


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def keys(ledger: Ledger) -> KeyStore:
    return KeyStore(ledger)


@pytest.fixture
def client(ledger: Ledger, clock: Clock) -> Iterator[Client]:
    opened = Client(create_app(ledger, clock=clock))
    yield opened
    opened.close()


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


# --- a real server -----------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def cli_env() -> dict[str, str]:
    env = os.environ.copy()
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT / "src"), env.get("PYTHONPATH", "")) if p)
    env["PYTHONIOENCODING"] = "utf-8"
    return env


def celprice(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "celprice", *args], capture_output=True, text=True, env=cli_env(), cwd=cwd, timeout=120
    )


class Server:
    """`celprice serve` in a subprocess; stopped with SIGTERM at the end of its test."""

    def __init__(self, *args: str, cwd: Path | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = Path(cwd or ROOT) / f"serve-{self.port}.log"
        self._log = open(self.log_path, "w+", encoding="utf-8")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celprice", "serve", "--port", str(self.port), *args],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=cli_env(),
            cwd=cwd,
        )
        self._wait_until_up()

    def _wait_until_up(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"celprice serve exited {self.process.returncode}:\n{self.log()}")
            try:
                if httpx.get(self.url + "/openapi.json", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        self.stop()
        raise AssertionError(f"celprice serve did not answer within 60 s:\n{self.log()}")

    def log(self) -> str:
        if not self._log.closed:
            self._log.flush()
        return self.log_path.read_text("utf-8")

    def stop(self, sig: int = signal.SIGTERM) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()
        return self.process.returncode


@pytest.fixture
def start_server(tmp_path: Path) -> Iterator[Callable[..., Server]]:
    started: list[Server] = []

    def start(*args: str, cwd: Path | None = None) -> Server:
        started.append(Server(*args, cwd=cwd or tmp_path))
        return started[-1]

    yield start
    for server in started:
        server.stop()
