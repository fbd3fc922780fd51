"""`celprice serve` on its own throwaway PostgreSQL server, which is stopped
and started again while clients ingest tasks: every 2xx is recorded exactly
once, every other answer is 503, and retrying those succeeds once the
database is back, without restarting the HTTP server."""
from __future__ import annotations

import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from celprice.usage import Ledger

from .conftest import Server, celprice
from .test_app import fees

SCRIPT = Path(__file__).resolve().parents[2] / ".ci" / "postgres"
CLIENTS = 4
TASKS_EACH = 60
GPU = [{"tier": "cloud", "type": "gpu", "model": "A100", "seconds": 2}]


@pytest.fixture
def own_postgres() -> Iterator[tuple[str, Callable[[str], None]]]:
    """A PostgreSQL server of this test alone (it is stopped mid-test), and a way to halt or resume it."""
    pytest.importorskip("psycopg")
    directory = Path(tempfile.gettempdir()) / f"celprice-pg-restart-{uuid.uuid4().hex[:12]}"
    started = subprocess.run([str(SCRIPT), "start", str(directory)], capture_output=True, text=True, timeout=180)
    if started.returncode != 0:
        pytest.skip(f"no PostgreSQL server could be started: {started.stderr.strip()[-200:]}")

    def control(action: str) -> None:
        done = subprocess.run([str(SCRIPT), action, str(directory)], capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr

    try:
        yield started.stdout.strip(), control
    finally:
        subprocess.run([str(SCRIPT), "stop", str(directory)], capture_output=True, timeout=120)


def test_a_database_restart_while_ingesting_loses_and_doubles_nothing(
    own_postgres: tuple[str, Callable[[str], None]], start_server: Callable[..., Server]
) -> None:
    url, control = own_postgres
    created = celprice("keys", "create", "--db", url, "--team", "t", "--name", "platform", "--scopes", "billing:write")
    assert created.returncode == 0, created.stderr
    key = created.stdout.strip()
    server = start_server("--db", url, "--rate-limit", "0")

    first_answers: list[int] = []
    retried: dict[str, int] = {}
    lock = threading.Lock()
    failures: list[BaseException] = []

    def ingest(client_index: int) -> None:
        try:
            with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {key}"}, timeout=30) as http:
                for n in range(TASKS_EACH):
                    task_id = f"task-{client_index}-{n}"
                    body = {"task_id": task_id, "app_endpoint": "acme/flux", "fees": fees(1000), "usage_events": GPU}
                    response = http.post("/usage/tasks", json=body)
                    with lock:
                        first_answers.append(response.status_code)
                    attempts = 0
                    while response.status_code == 503:
                        assert response.headers["content-type"] == "application/problem+json"
                        assert int(response.headers["retry-after"]) >= 1
                        attempts += 1
                        assert attempts < 400, f"{task_id}: still 503 after {attempts} retries"
                        time.sleep(0.05)  # shorter than Retry-After: the test has no time to lose
                        response = http.post("/usage/tasks", json=body)
                    assert response.status_code in (200, 201), response.text
                    assert response.json()["data"]["total"] == 1000
                    if attempts:
                        with lock:
                            retried[task_id] = response.status_code
                    time.sleep(0.01)
        except BaseException as exc:  # reported by the main thread
            failures.append(exc)

    threads = [threading.Thread(target=ingest, args=(index,)) for index in range(CLIENTS)]
    for thread in threads:
        thread.start()
    time.sleep(0.5)
    control("halt")
    time.sleep(1.5)
    control("resume")
    for thread in threads:
        thread.join(timeout=240)
    assert not failures, failures[0]

    statuses = set(first_answers)
    assert statuses <= {200, 201, 503}, statuses
    assert 200 not in statuses  # no task was sent twice but on a retry
    assert first_answers.count(503) > 0, "no request met the database down: the test proved nothing"
    assert retried, "no 503 was retried"
    with Ledger(url) as ledger:
        total_tasks = CLIENTS * TASKS_EACH
        for index in range(CLIENTS):
            for n in range(TASKS_EACH):
                assert ledger.task_cost("t", f"task-{index}-{n}")["total"] == 1000
        # Each task and each usage event once: nothing doubled by a retry.
        assert ledger.breakdown("t", "1d")["total_cost"] == 1000 * total_tasks
        assert ledger.summary("t")["total_usage"] == 2 * total_tasks
    assert "the database is unavailable" in server.log()
