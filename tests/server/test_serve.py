"""A real `celprice serve` in a subprocess on a free 127.0.0.1 port, on a
SQLite file and on PostgreSQL: every route over a socket, revocation seen by
every worker, a clean stop on SIGTERM and SIGINT with the request in flight
answered."""
from __future__ import annotations

import json
import signal
import socket
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest

from celprice.usage import Ledger

from .conftest import Server, celprice

EVALUATE = {
    "pricing": {"prices": {"per_image": 200000}, "inference_expression": "image_count(output_meta.outputs) * prices.per_image"},
    "output_meta": {"inputs": [], "outputs": [{"type": "image", "count": 2}]},
    "usage_seconds": 45,
}


def fees(total: int) -> dict[str, Any]:
    names = ("resource_fee", "inference_fee", "royalty_fee", "partner_fee")
    return {**{n: {"value": 0} for n in names}, "total": {"value": total}, "description": {"value": ""}}


@pytest.fixture(params=["sqlite-file", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite-file":
        return f"sqlite:///{tmp_path / 'ledger.db'}"
    url: str = request.getfixturevalue("postgres_database")
    return url


def make_key(db: str, *scopes: str, team: str = "team-a") -> str:
    made = celprice("keys", "create", "--db", db, "--team", team, "--name", "test", "--scopes", ",".join(scopes))
    assert made.returncode == 0, made.stderr
    return made.stdout.strip()


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}", "X-API-Version": "2"}


def test_every_route_over_a_socket(db: str, start_server: Callable[..., Server]) -> None:
    now = datetime.now(timezone.utc)
    with Ledger(db) as ledger:
        ledger.record_task("team-a", "task-1", "acme/flux", now - timedelta(minutes=5), fees(50000),
                           [{"tier": "cloud", "type": "gpu", "model": "A100", "seconds": 12}])
        ledger.record_task("team-b", "task-b", "other/app", now - timedelta(minutes=5), fees(1))
        expected_cost = ledger.task_cost("team-a", "task-1")
        expected_summary = ledger.summary("team-a")
    key = make_key(db, "billing:read")
    apps_key = make_key(db, "apps:read")
    server = start_server("--db", db)
    with httpx.Client(base_url=server.url, timeout=30) as client:
        breakdown = client.get("/usage/breakdown", params={"range": "1d"}, headers=auth(key))
        assert breakdown.status_code == 200
        assert breakdown.json()["data"]["total_cost"] == 50000
        assert breakdown.json()["data"]["per_model"] == [{"app_endpoint": "acme/flux", "call_count": 1, "cost": 50000}]
        assert client.get("/usage/summary", headers=auth(key)).json() == {"data": expected_summary, "messages": []}
        evaluated = client.post("/usage/cel/evaluate", json=EVALUATE, headers=auth(key))
        assert evaluated.status_code == 200 and evaluated.json()["data"]["total"] == {"value": 400000}
        cost = client.get("/usage/tasks/task-1/cost", headers=auth(apps_key))
        assert cost.json() == {"data": expected_cost, "messages": []}
        assert client.get("/usage/tasks/task-b/cost", headers=auth(apps_key)).status_code == 404
        assert client.get("/usage/summary", headers=auth(apps_key)).status_code == 403
        assert client.get("/usage/summary").status_code == 401
        assert client.get("/openapi.json").json()["openapi"] == "3.1.0"
    log = server.log()
    assert "GET /usage/breakdown 200 " in log and "GET /usage/summary 403 " in log
    assert key not in log and apps_key not in log


def test_a_revoked_key_is_refused_by_every_worker(db: str, start_server: Callable[..., Server]) -> None:
    key = make_key(db, "billing:read")
    server = start_server("--db", db, "--workers", "2")
    deadline = time.monotonic() + 60
    while server.log().count("Application startup complete") < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert server.log().count("Started server process") == 2, server.log()

    def statuses() -> set[int]:
        # A new connection per request, so that the kernel spreads them over the workers.
        return {httpx.get(server.url + "/usage/summary", headers=auth(key), timeout=30).status_code for _ in range(30)}

    assert statuses() == {200}
    (listed,) = json.loads(celprice("keys", "list", "--db", db, "--team", "team-a", "--json").stdout)
    assert celprice("keys", "revoke", "--db", db, listed["id"]).returncode == 0
    # Each worker trusts a key it accepted for --key-cache seconds (1 by
    # default, docs/server.md): past that, the revocation holds in every worker.
    time.sleep(1.1)
    assert statuses() == {401}
    pids = {line.rsplit("[", 1)[1].rstrip("]") for line in server.log().splitlines() if "Started server process" in line}
    assert len(pids) == 2
    assert server.stop() == 0
    assert server.log().count("Finished server process") == 2 and "Stopping parent process" in server.log()


def _in_flight(server: Server, key: str) -> tuple[socket.socket, bytes]:
    """A POST whose headers and first half of the body are sent: the app is
    already waiting for the rest. Returns the socket and the rest."""
    body = json.dumps(EVALUATE).encode()
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=30)
    head = (
        f"POST /usage/cel/evaluate HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {key}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode()
    sock.sendall(head + body[: len(body) // 2])
    return sock, body[len(body) // 2 :]


def _read_response(sock: socket.socket) -> bytes:
    data = b""
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            return data
        data += chunk


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_stops_the_server_after_the_request_in_flight(
    tmp_path: Path, start_server: Callable[..., Server], sig: signal.Signals
) -> None:
    db = f"sqlite:///{tmp_path / 'ledger.db'}"
    key = make_key(db, "billing:read")
    server = start_server("--db", db)
    sock, rest = _in_flight(server, key)
    time.sleep(0.5)  # the server has read the headers and started the request
    server.process.send_signal(sig)
    deadline = time.monotonic() + 30
    while "Shutting down" not in server.log() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "Shutting down" in server.log()
    # Shutting down, it accepts no new connection...
    with pytest.raises(httpx.TransportError):
        httpx.get(server.url + "/openapi.json", timeout=5)
    # ...but answers the request it had started.
    sock.sendall(rest)
    response = _read_response(sock)
    sock.close()
    head, _, body = response.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200"), response
    assert json.loads(body)["data"]["inference_fee"] == {"value": 400000}
    assert server.process.wait(timeout=30) == 0
    log = server.log()
    assert "POST /usage/cel/evaluate 200 " in log and "Finished server process" in log
    assert "Traceback" not in log


def test_a_bad_db_or_a_busy_port_fails_with_a_message(tmp_path: Path) -> None:
    bad = celprice("serve", "--db", "mysql://x/y", cwd=tmp_path)
    assert bad.returncode == 1 and "unsupported ledger url 'mysql://x/y'" in bad.stderr
    assert "Traceback" not in bad.stderr
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        taken = celprice("serve", "--port", str(port), cwd=tmp_path)
    assert taken.returncode == 1 and "address already in use" in taken.stderr.lower()
    assert "Traceback" not in taken.stderr


def test_the_limit_options_reach_the_server(tmp_path: Path, start_server: Callable[..., Server]) -> None:
    db = f"sqlite:///{tmp_path / 'ledger.db'}"
    created = celprice("keys", "create", "--db", db, "--team", "t", "--name", "k")
    headers = {"Authorization": f"Bearer {created.stdout.strip()}"}
    server = start_server("--db", db, "--rate-limit", "2", "--rate-window", "3600", "--max-body", "500")
    big = httpx.post(server.url + "/usage/cel/evaluate", headers=headers, json={**EVALUATE, "task_inputs": {"p": "x" * 600}})
    assert big.status_code == 413
    answered = httpx.get(server.url + "/usage/summary", headers=headers)
    assert answered.status_code == 200 and answered.headers["x-ratelimit-remaining"] == "0"
    refused = httpx.get(server.url + "/usage/summary", headers=headers)
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
    assert refused.json()["type"] == "https://api.inference.sh/errors/rate_limited"


def test_bad_limit_options_exit_2(tmp_path: Path) -> None:
    done = celprice("serve", "--db", f"sqlite:///{tmp_path / 'l.db'}", "--rate-limit", "-1")
    assert done.returncode == 2
    assert "requests must be at least 0, got -1" in done.stderr


def test_key_cache_0_refuses_a_revoked_key_at_its_next_request(tmp_path: Path, start_server: Callable[..., Server]) -> None:
    db = f"sqlite:///{tmp_path / 'ledger.db'}"
    created = json.loads(celprice("keys", "create", "--db", db, "--team", "t", "--name", "k", "--json").stdout)
    headers = {"Authorization": f"Bearer {created['key']}"}
    server = start_server("--db", db, "--key-cache", "0")
    assert httpx.get(server.url + "/usage/summary", headers=headers).status_code == 200
    assert celprice("keys", "revoke", "--db", db, created["id"]).returncode == 0
    assert httpx.get(server.url + "/usage/summary", headers=headers).status_code == 401
