"""The ASGI application: the store's usage routes over a Ledger.

Every route but `/openapi.json` needs `Authorization: Bearer inf_...` with a
scope that grants it; the key's team is the workspace every answer is about
(`X-Team-ID` is not read: a key cannot be pointed at another team). Success is
the envelope `{"data": ..., "messages": [...]}`, failure problem+json
(problems.py). Reference: docs/server.md.
"""
from __future__ import annotations

import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import datetime, timezone
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.types import Message as ASGIMessage

from ..pricing import Message, RequestError, evaluate_pricing, request_warnings
from ..pricing.request import describe
from ..usage import RANGES, Forbidden, Ledger, TaskNotFound
from ..usage.keys import ApiKey, KeyStore
from .openapi import API_VERSION, ROUTES, openapi_document
from .problems import Problem, problem_response

__all__ = ["create_app", "API_VERSION"]

log = logging.getLogger("celprice.server")

Clock = Callable[[], datetime]
Result = tuple[Any, list[dict[str, Any]]]
Handler = Callable[[Request, ApiKey], Awaitable[Result]]

_MAX_ID = 1024  # the ledger's limit on a team or task id


def _now() -> datetime:
    return datetime.now(timezone.utc)


def create_app(ledger: Ledger | str | None = None, *, clock: Clock = _now) -> Starlette:
    """The usage API over `ledger` (a Ledger, or a URL to open one; None: an
    in-memory SQLite ledger). A ledger opened here is closed at shutdown; one
    passed in stays the caller's. `clock` is the current time (tests fix it)."""
    owned = not isinstance(ledger, Ledger)
    opened = ledger if isinstance(ledger, Ledger) else Ledger(ledger)
    service = _Service(opened, KeyStore(opened), clock)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        if owned:
            opened.close()

    handlers: dict[str, Handler] = {
        "/usage/breakdown": service.breakdown,
        "/usage/summary": service.summary,
        "/usage/cel/evaluate": service.evaluate,
        "/usage/tasks/{taskID}/cost": service.task_cost,
    }
    routes = [Route("/openapi.json", service.public(service.openapi), methods=["GET"])]
    routes += [
        Route(path, service.route(path, handlers[path]), methods=[route["method"].upper()])
        for path, route in ROUTES.items()
    ]
    app = Starlette(
        routes=routes,
        exception_handlers={HTTPException: _routing_problem},
        lifespan=lifespan,
    )
    app.state.ledger = opened
    app.state.keys = service.keys
    app.add_middleware(_RequestLog)
    return app


class _Service:
    def __init__(self, ledger: Ledger, keys: KeyStore, clock: Clock) -> None:
        self.ledger = ledger
        self.keys = keys
        self.clock = clock
        # Rendered once: the document never changes while the server runs.
        self._openapi = JSONResponse(openapi_document()).body

    # --- the parts every route shares -------------------------------------------

    def public(self, handler: Callable[[Request], Response]) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            try:
                _check_version(request)
                return handler(request)
            except Problem as problem:
                return problem_response(problem)

        return endpoint

    def route(self, path: str, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        """The endpoint of a keyed route: version, key and scope checks, the
        envelope, and every failure as problem+json."""
        scopes = ROUTES[path]["scopes"]

        async def endpoint(request: Request) -> Response:
            try:
                _check_version(request)
                key = await run_in_threadpool(self.authenticate, request)
                request.scope.setdefault("state", {})["key_id"] = key.id
                if not any(key.grants(scope) for scope in scopes):
                    needed = " or ".join(scopes)
                    raise Problem("forbidden", f"this API key lacks the scope {needed}")
                data, messages = await handler(request, key)
                return JSONResponse({"data": data, "messages": messages})
            except Problem as problem:
                return problem_response(problem)
            except Exception:
                log.exception("%s %s failed", request.method, request.url.path)
                return problem_response(Problem("internal_error", "internal server error; see the server's log"))

        return endpoint

    def authenticate(self, request: Request) -> ApiKey:
        header = request.headers.get("authorization")
        challenge = {"WWW-Authenticate": 'Bearer realm="celprice"'}
        if header is None:
            raise Problem("unauthorized", "missing API key: send Authorization: Bearer inf_...", challenge)
        scheme, _, presented = header.strip().partition(" ")
        if scheme.lower() != "bearer" or not presented.strip():
            raise Problem("unauthorized", "the Authorization header must be 'Bearer inf_...'", challenge)
        key = self.keys.authenticate(presented.strip())
        if key is None:
            raise Problem("unauthorized", "invalid or revoked API key", challenge)
        if key.expired(self.clock()):
            raise Problem("unauthorized", f"this API key expired at {key.to_json()['expires_at']}", challenge)
        return key

    # --- the routes ------------------------------------------------------------

    def openapi(self, request: Request) -> Response:
        return Response(self._openapi, media_type="application/json")

    async def breakdown(self, request: Request, key: ApiKey) -> Result:
        messages = _unknown_parameters(request, ("range", "team_id"))
        range_ = _single(request, "range")
        if range_ is not None and range_ not in RANGES:
            raise Problem("invalid_request", f"range: must be one of {', '.join(RANGES)}; got {describe(range_)}")
        team_filter = _single(request, "team_id")
        if team_filter is not None and (not 0 < len(team_filter) <= _MAX_ID or "\x00" in team_filter):
            raise Problem("invalid_request", f"team_id: must have 1 to {_MAX_ID} characters and no NUL")
        try:
            data = await run_in_threadpool(
                lambda: self.ledger.breakdown(key.team_id, range_, self.clock(), team_id=team_filter)
            )
        except Forbidden as refused:
            # A team filtering by a team its workspace does not pay for.
            raise Problem("forbidden", str(refused)) from None
        return data, messages

    async def summary(self, request: Request, key: ApiKey) -> Result:
        messages = _unknown_parameters(request, ())
        return await run_in_threadpool(self.ledger.summary, key.team_id), messages

    async def task_cost(self, request: Request, key: ApiKey) -> Result:
        messages = _unknown_parameters(request, ())
        task_id = request.path_params["taskID"]
        not_found = Problem("not_found", f"no cost recorded for task {task_id[:100]!r}")
        # An id the ledger cannot hold names no task: the same answer as a
        # missing one (and as another team's, which must be indistinguishable).
        if len(task_id) > _MAX_ID or "\x00" in task_id:
            raise not_found
        try:
            data = await run_in_threadpool(self.ledger.task_cost, key.team_id, task_id)
        except TaskNotFound:
            # Also another team's task: the ledger does not tell them apart,
            # so a key cannot probe other teams' task ids.
            raise not_found from None
        return data, messages

    async def evaluate(self, request: Request, key: ApiKey) -> Result:
        messages = _unknown_parameters(request, ())
        body = _json_body(await request.body())
        try:
            data = await run_in_threadpool(evaluate_pricing, body)
        except RequestError as error:
            raise Problem("invalid_request", str(error)) from None
        # Fields the store ignores (`ouput_meta`): answered anyway, and said so.
        return data, messages + [message.to_json() for message in request_warnings(body)]


def _check_version(request: Request) -> None:
    version = request.headers.get("x-api-version")
    if version is not None and version.strip() != API_VERSION:
        raise Problem(
            "invalid_request",
            f"X-API-Version: unsupported version {describe(version)}; this server speaks version {API_VERSION}",
        )


def _single(request: Request, name: str) -> str | None:
    values = request.query_params.getlist(name)
    if len(values) > 1:
        raise Problem("invalid_request", f"{name}: given {len(values)} times; give it once")
    return values[0] if values else None


def _unknown_parameters(request: Request, known: tuple[str, ...]) -> list[dict[str, Any]]:
    """A warning for each query parameter the route does not read (ignored, as the store does)."""
    takes = f"this route takes {', '.join(known)}" if known else "this route takes none"
    return [
        Message(
            "unknown_parameter",
            f"unknown query parameter {name!r} was ignored ({takes})",
            meta={"parameter": name},
        ).to_json()
        for name in dict.fromkeys(request.query_params.keys())
        if name not in known
    ]


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _json_body(raw: bytes) -> Any:
    """The request body as strict JSON (no NaN or Infinity), or invalid_request saying where it broke."""
    if not raw.strip():
        raise Problem("invalid_request", "request body: expected a JSON object, got an empty body")
    try:
        body = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except UnicodeDecodeError:
        raise Problem("invalid_request", "request body: not UTF-8 text") from None
    except json.JSONDecodeError as e:
        raise Problem("invalid_request", f"request body: invalid JSON: {e.msg} (line {e.lineno}, column {e.colno})") from None
    except ValueError as e:
        raise Problem("invalid_request", f"request body: invalid JSON: {e}") from None
    except RecursionError:
        raise Problem("invalid_request", "request body: invalid JSON: nested too deeply") from None
    if not isinstance(body, dict):
        raise Problem("invalid_request", f"request body: must be a JSON object, got {describe(body)}")
    return body


async def _routing_problem(request: Request, exc: Exception) -> Response:
    """Starlette's own 404 and 405, as problems."""
    assert isinstance(exc, HTTPException)
    if exc.status_code == 405:
        # Starlette builds Allow from a set; sorted, the answer is the same every time.
        allowed = ", ".join(sorted(m.strip() for m in dict(exc.headers or {}).get("Allow", "").split(",") if m.strip()))
        problem = Problem(
            "method_not_allowed", f"{request.method} is not allowed on {request.url.path}; use {allowed}",
            {"Allow": allowed},
        )
    else:
        problem = Problem("not_found", f"no route {request.url.path}")
    return problem_response(problem)


class _RequestLog:
    """One log line per request: method, path, status, milliseconds, key id
    (`-` when none was accepted). The key itself is never logged."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500
        state = scope.setdefault("state", {})

        async def sending(message: ASGIMessage) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            elapsed = (time.perf_counter() - started) * 1000
            log.info(
                "%s %s %d %.1fms key=%s", scope["method"], scope["path"], status, elapsed, state.get("key_id", "-")
            )
