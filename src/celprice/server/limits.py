"""What one request may cost the server: its body size, its JSON nesting, how
many requests a key may make per window, and the evaluation limits of the
formulas it carries (the library's `Limits`)."""
from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.requests import ClientDisconnect, Request

from ..env import Limits
from ..pricing.request import describe
from .problems import Problem

__all__ = ["ServerLimits", "RateLimiter", "read_json_body"]


@dataclass(frozen=True)
class ServerLimits:
    """The limits of one server process.

    `max_body_bytes`: a larger body is 413 `payload_too_large`, found while it
    is read (from `Content-Length`, or while the chunks arrive), never after
    buffering it. `max_json_depth`: arrays and objects nested deeper are 400.
    `rate_limit` requests per `rate_window` seconds per API key (per client
    address on the routes without a key); None turns it off. `evaluation`:
    the limits of every formula evaluated (None: the library's defaults).
    `retry_after`: the seconds a 503 tells the client to wait.
    `key_cache_seconds`: how long an accepted API key is trusted without
    looking it up again (server/keycache.py): a revoked key is refused by
    every process within this time; 0 looks every request's key up.
    """

    max_body_bytes: int = 1_048_576
    max_json_depth: int = 64
    rate_limit: int | None = 600
    rate_window: float = 60.0
    evaluation: Limits | None = None
    retry_after: int = 5
    key_cache_seconds: float = 1.0

    def __post_init__(self) -> None:
        if self.max_body_bytes < 1 or self.max_json_depth < 1:
            raise ValueError("max_body_bytes and max_json_depth must be at least 1")
        if self.rate_limit is not None and self.rate_limit < 1:
            raise ValueError(f"rate_limit must be at least 1 or None (off), got {self.rate_limit}")
        if not self.rate_window > 0 or self.retry_after < 1:
            raise ValueError("rate_window must be positive and retry_after at least 1 second")
        if not 0 <= self.key_cache_seconds <= 3600:
            raise ValueError(f"key_cache_seconds must be between 0 and 3600, got {self.key_cache_seconds}")


class RateLimiter:
    """A fixed window per key: `limit` requests in each `window` seconds of the
    clock, counted in this process only (docs/server.md, Deployment)."""

    def __init__(self, limit: int, window: float, now: Callable[[], float] = time.time) -> None:
        self.limit = limit
        self.window = window
        self._now = now
        self._lock = threading.Lock()
        self._start = 0.0
        self._counts: dict[str, int] = {}

    def take(self, key: str) -> tuple[bool, dict[str, str]]:
        """Count one request of `key`: whether it may go on, and the headers to answer with."""
        now = self._now()
        start = math.floor(now / self.window) * self.window
        with self._lock:
            if start != self._start:
                # A new window: every key starts again, and the old counts go.
                self._start = start
                self._counts = {}
            used = self._counts.get(key, 0) + 1
            self._counts[key] = used
        reset = start + self.window
        headers = {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(max(self.limit - used, 0)),
            "X-RateLimit-Reset": str(math.ceil(reset)),
        }
        if used <= self.limit:
            return True, headers
        headers["Retry-After"] = str(max(math.ceil(reset - now), 1))
        return False, headers


async def read_body(request: Request, limit: int) -> bytes:
    """The body, refused with 413 as soon as it is known to exceed `limit` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.strip().isdigit() and int(declared) > limit:
        raise _too_large(limit)
    # The ASGI messages themselves rather than `request.stream()`, whose async
    # generator is extra work on every request (part of what the evaluate
    # route saved, docs/performance.md, "The evaluate route's own cost").
    chunks: list[bytes] = []
    size = 0
    receive = request.receive
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
        if not message.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def _too_large(limit: int) -> Problem:
    return Problem("payload_too_large", f"request body: larger than the limit of {limit} bytes")


def _too_deep(limit: int) -> Problem:
    return Problem("invalid_request", f"request body: JSON nested deeper than {limit} levels")


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


# Built once: json.loads with an option builds a decoder per call.
_DECODER = json.JSONDecoder(parse_constant=_reject_constant)


def _depth_exceeds(value: Any, limit: int) -> bool:
    """Whether arrays and objects nest more than `limit` deep (iteratively: no recursion to exhaust)."""
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children: Any = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


async def read_json_body(request: Request, limits: ServerLimits) -> dict[str, Any]:
    """The request body as a strict JSON object (no NaN or Infinity) within the
    limits, or the problem saying what is wrong and where it broke."""
    raw = await read_body(request, limits.max_body_bytes)
    if not raw or raw.isspace():
        raise Problem("invalid_request", "request body: expected a JSON object, got an empty body")
    try:
        body = _DECODER.decode(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise Problem("invalid_request", "request body: not UTF-8 text") from None
    except json.JSONDecodeError as e:
        raise Problem("invalid_request", f"request body: invalid JSON: {e.msg} (line {e.lineno}, column {e.colno})") from None
    except ValueError as e:
        raise Problem("invalid_request", f"request body: invalid JSON: {e}") from None
    except RecursionError:
        raise _too_deep(limits.max_json_depth) from None
    if not isinstance(body, dict):
        raise Problem("invalid_request", f"request body: must be a JSON object, got {describe(body)}")
    # Containers nest no deeper than there are `[` and `{` in the text (those in
    # strings only add to the count): most bodies need no walk at all.
    if raw.count(b"[") + raw.count(b"{") > limits.max_json_depth and _depth_exceeds(body, limits.max_json_depth):
        raise _too_deep(limits.max_json_depth)
    return body
