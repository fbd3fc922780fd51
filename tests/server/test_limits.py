"""What a request may cost the server: body size, JSON nesting, the per-key
rate limit, evaluation limits, and a database that is down (503)."""
from __future__ import annotations

import asyncio
import math
from typing import Any

import pytest

from celprice import Limits
from celprice.server import create_app
from celprice.server.limits import RateLimiter, ServerLimits
from celprice.server.openapi import openapi_document
from celprice.usage import Ledger
from celprice.usage.errors import LedgerUnavailable
from celprice.usage.keys import KeyStore

from .conftest import Client, bearer
from .openapi_check import assert_documented
from .test_app import D3_EVALUATE

DOC = openapi_document()
EVALUATE = "/usage/cel/evaluate"


def problem(response: Any) -> tuple[int, str]:
    return response.status_code, response.json()["type"].rsplit("/", 1)[1]


@pytest.fixture
def key(sqlite_ledger: Ledger) -> str:
    return KeyStore(sqlite_ledger).create("team-a", "k")[1]


def app_client(ledger: Ledger, **limits: Any) -> Client:
    return Client(create_app(ledger, limits=ServerLimits(**limits)))


# --- body size ---------------------------------------------------------------------


def test_a_body_over_the_limit_is_413_payload_too_large(sqlite_ledger: Ledger, key: str) -> None:
    client = app_client(sqlite_ledger, max_body_bytes=1000)
    small = client.post(EVALUATE, json=D3_EVALUATE, headers=bearer(key))
    assert small.status_code == 200
    big = {**D3_EVALUATE, "task_inputs": {"prompt": "x" * 2000}}
    response = client.post(EVALUATE, json=big, headers=bearer(key))
    assert_documented(DOC, EVALUATE, response)
    assert problem(response) == (413, "payload_too_large")
    assert response.json()["detail"] == "request body: larger than the limit of 1000 bytes"
    client.close()


def test_an_endless_chunked_body_is_refused_while_it_is_read(sqlite_ledger: Ledger, key: str) -> None:
    """No Content-Length and a body that never ends: the server answers 413
    after reading just past the limit, never waiting for the end."""
    app = create_app(sqlite_ledger, limits=ServerLimits(max_body_bytes=100_000))
    chunks_read = 0
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        nonlocal chunks_read
        chunks_read += 1
        return {"type": "http.request", "body": b" " * 65536, "more_body": True}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
        "path": EVALUATE, "raw_path": EVALUATE.encode(), "query_string": b"", "root_path": "",
        "headers": [(b"authorization", f"Bearer {key}".encode()), (b"content-type", b"application/json")],
        "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80),
    }
    asyncio.run(asyncio.wait_for(app(scope, receive, send), timeout=30))
    assert sent[0]["status"] == 413
    assert chunks_read == math.ceil(100_000 / 65536)


# --- nesting -----------------------------------------------------------------------


@pytest.mark.parametrize("depth", [65, 100_000])
def test_json_nested_past_the_limit_is_invalid_request(sqlite_ledger: Ledger, key: str, depth: int) -> None:
    client = app_client(sqlite_ledger, max_json_depth=64, max_body_bytes=1_000_000)
    body = '{"pricing": {"prices": {}}, "task_inputs": {"a": ' + "[" * (depth - 2) + "]" * (depth - 2) + "}}"
    response = client.post(EVALUATE, content=body, headers=bearer(key))
    assert_documented(DOC, EVALUATE, response)
    assert problem(response) == (400, "invalid_request")
    assert response.json()["detail"] == "request body: JSON nested deeper than 64 levels"
    client.close()


def test_json_nested_to_the_limit_is_answered(sqlite_ledger: Ledger, key: str) -> None:
    client = app_client(sqlite_ledger, max_json_depth=64)
    body = '{"pricing": {"prices": {}}, "task_inputs": {"a": ' + "[" * 62 + "]" * 62 + "}}"
    assert client.post(EVALUATE, content=body, headers=bearer(key)).status_code == 200
    # Brackets inside strings are text, not nesting: a shallow body full of them is answered.
    text = '{"pricing": {"prices": {}}, "task_inputs": {"a": "' + "[{" * 100 + '"}}'
    assert client.post(EVALUATE, content=text, headers=bearer(key)).status_code == 200
    client.close()


# --- rate limit --------------------------------------------------------------------


def test_a_key_past_its_rate_limit_is_429_with_retry_after(sqlite_ledger: Ledger) -> None:
    keys = KeyStore(sqlite_ledger)
    _, first = keys.create("team-a", "first")
    _, second = keys.create("team-a", "second")
    client = app_client(sqlite_ledger, rate_limit=3, rate_window=3600)
    remaining = []
    for _ in range(3):
        response = client.get("/usage/summary", headers=bearer(first))
        assert response.status_code == 200
        remaining.append(response.headers["x-ratelimit-remaining"])
    assert remaining == ["2", "1", "0"]
    refused = client.get("/usage/summary", headers=bearer(first))
    assert_documented(DOC, "/usage/summary", refused)
    assert problem(refused) == (429, "rate_limited")
    reset = int(refused.headers["x-ratelimit-reset"])
    assert reset % 3600 == 0 and 0 < int(refused.headers["retry-after"]) <= 3600
    assert refused.headers["x-ratelimit-remaining"] == "0"
    # Per key: another key of the same team still has its own.
    assert client.get("/usage/summary", headers=bearer(second)).headers["x-ratelimit-remaining"] == "2"
    client.close()


def test_the_rate_limit_is_on_by_default_and_can_be_turned_off(sqlite_ledger: Ledger, key: str) -> None:
    default = Client(create_app(sqlite_ledger))
    assert default.get("/usage/summary", headers=bearer(key)).headers["x-ratelimit-limit"] == "600"
    default.close()
    off = app_client(sqlite_ledger, rate_limit=None)
    assert "x-ratelimit-remaining" not in off.get("/usage/summary", headers=bearer(key)).headers
    off.close()


def test_a_new_window_starts_every_count_again() -> None:
    now = [1000.0]
    limiter = RateLimiter(2, 60, now=lambda: now[0])
    assert [limiter.take("k")[0] for _ in range(3)] == [True, True, False]
    allowed, headers = limiter.take("k")
    assert not allowed and headers["Retry-After"] == "20" and headers["X-RateLimit-Reset"] == "1020"
    now[0] = 1020.0
    assert limiter.take("k") == (True, {"X-RateLimit-Limit": "2", "X-RateLimit-Remaining": "1", "X-RateLimit-Reset": "1080"})


# --- evaluation limits -------------------------------------------------------------


def test_the_evaluation_limits_are_the_servers(sqlite_ledger: Ledger, key: str) -> None:
    body = {"pricing": {"prices": {}, "inference_expression": "size([1, 2, 3].map(x, [x, x, x, x]))"}}
    library = app_client(sqlite_ledger).post(EVALUATE, json=body, headers=bearer(key)).json()["data"]
    assert library["inference_fee"] == {"value": 3}
    tight = app_client(sqlite_ledger, evaluation=Limits(max_cost=5)).post(EVALUATE, json=body, headers=bearer(key))
    assert tight.status_code == 200
    assert "cost" in tight.json()["data"]["inference_fee"]["error"]


# --- a database that is down -------------------------------------------------------


def test_a_database_that_is_down_is_503_with_retry_after(sqlite_ledger: Ledger, key: str) -> None:
    class Down(Ledger):
        def summary(self, team_id: str) -> Any:
            raise LedgerUnavailable("cannot connect to PostgreSQL postgresql://db/x: connection refused")

    client = app_client(sqlite_ledger, retry_after=7)
    original = sqlite_ledger.__class__
    sqlite_ledger.__class__ = Down
    try:
        response = client.get("/usage/summary", headers=bearer(key))
    finally:
        sqlite_ledger.__class__ = original
    assert_documented(DOC, "/usage/summary", response)
    assert problem(response) == (503, "service_unavailable")
    assert response.headers["retry-after"] == "7"
    assert response.json()["detail"] == "the database is unavailable; retry after 7 seconds"
    assert "connection refused" not in response.text
    # Back: the next request is answered.
    assert client.get("/usage/summary", headers=bearer(key)).status_code == 200
    client.close()


def test_server_limits_refuse_nonsense() -> None:
    with pytest.raises(ValueError, match="rate_limit"):
        ServerLimits(rate_limit=0)
    with pytest.raises(ValueError, match="max_body_bytes"):
        ServerLimits(max_body_bytes=0)
