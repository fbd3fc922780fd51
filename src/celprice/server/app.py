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
from starlette.routing import BaseRoute, Mount, Route
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.types import Message as ASGIMessage

from ..pricing import Message, RequestError, evaluate_pricing, request_warnings
from ..pricing.request import describe
from ..usage import RANGES, Forbidden, Ledger, LedgerError, TaskNotFound
from ..usage.errors import LedgerUnavailable
from ..usage.keys import ApiKey, KeyStore
from .console import console_app, estimate_request, explain_request
from .ingest import refund_request, task_record
from .limits import RateLimiter, ServerLimits, read_json_body
from .openapi import API_VERSION, ROUTES, openapi_document
from .problems import Problem, problem_response

__all__ = ["create_app", "API_VERSION"]

log = logging.getLogger("celprice.server")

Clock = Callable[[], datetime]
# (data, messages), or (data, messages, status) for an answer other than 200.
Result = tuple[Any, ...]
Handler = Callable[[Request, Any], Awaitable[Result]]  # the key: an ApiKey, None on a route without scopes

_MAX_ID = 1024  # the ledger's limit on a team or task id


def _now() -> datetime:
    return datetime.now(timezone.utc)


def create_app(
    ledger: Ledger | str | None = None, *, clock: Clock = _now, limits: ServerLimits | None = None
) -> Starlette:
    """The usage API over `ledger` (a Ledger, or a URL to open one; None: an
    in-memory SQLite ledger). A ledger opened here is closed at shutdown; one
    passed in stays the caller's. `clock` is the current time (tests fix it);
    `limits` the body, nesting, rate and evaluation limits (ServerLimits()'s
    defaults when None)."""
    owned = not isinstance(ledger, Ledger)
    opened = ledger if isinstance(ledger, Ledger) else Ledger(ledger)
    service = _Service(opened, KeyStore(opened), clock, limits or ServerLimits())

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
        "/usage/cel/explain": service.draft(explain_request),
        "/usage/cel/estimate": service.draft(estimate_request),
        "/usage/tasks": service.record_task,
        "/usage/tasks/{taskID}/refunds": service.refund,
    }
    routes: list[BaseRoute] = [Route("/openapi.json", service.public(service.openapi), methods=["GET"])]
    routes += [
        # `{appId}` is `namespace/name`: URL-encoded its slash arrives decoded, so it takes a path segment or two.
        Route(path.replace("{appId}", "{appId:path}"), service.route(path, handlers[path]), methods=[route["method"].upper()])
        for path, route in ROUTES.items()
    ]
    routes.append(Mount("/console", console_app(), name="console"))
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
    def __init__(self, ledger: Ledger, keys: KeyStore, clock: Clock, limits: ServerLimits) -> None:
        self.ledger = ledger
        self.keys = keys
        self.clock = clock
        self.limits = limits
        self.rate = None if limits.rate_limit is None else RateLimiter(limits.rate_limit, limits.rate_window)
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
        """The endpoint of a route: version, key, rate and scope checks (a
        route without scopes needs no key), the envelope, and every failure as
        problem+json."""
        scopes = ROUTES[path]["scopes"]

        async def endpoint(request: Request) -> Response:
            limited: dict[str, str] = {}
            try:
                _check_version(request)
                key = None
                if scopes:
                    key = await run_in_threadpool(self.authenticate, request)
                    request.scope.setdefault("state", {})["key_id"] = key.id
                if self.rate is not None:
                    client = key.id if key is not None else f"address {request.client.host if request.client else '-'}"
                    allowed, limited = self.rate.take(client)
                    if not allowed:
                        raise Problem(
                            "rate_limited",
                            f"more than {self.rate.limit} requests in {self.rate.window:g} seconds; "
                            f"retry after {limited['Retry-After']} seconds",
                        )
                if key is not None and not any(key.grants(scope) for scope in scopes):
                    needed = " or ".join(scopes)
                    raise Problem("forbidden", f"this API key lacks the scope {needed}")
                data, messages, *status = await handler(request, key)
                return JSONResponse({"data": data, "messages": messages}, status_code=status[0] if status else 200, headers=limited)
            except Problem as problem:
                return problem_response(problem, limited)
            except LedgerUnavailable as down:
                log.warning("%s %s: the database is unavailable: %s", request.method, request.url.path, down)
                return problem_response(
                    Problem(
                        "service_unavailable",
                        f"the database is unavailable; retry after {self.limits.retry_after} seconds",
                        {"Retry-After": str(self.limits.retry_after)},
                    ),
                    limited,
                )
            except Exception:
                log.exception("%s %s failed", request.method, request.url.path)
                return problem_response(Problem("internal_error", "internal server error; see the server's log"), limited)

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
        body = await read_json_body(request, self.limits)
        try:
            # On the event loop, not in a thread: a cached pricing evaluates in
            # about 0.1 ms, CPU-bound under the GIL, and the hop to a worker
            # thread and back cost more than that (measured: p50 at one
            # connection 8.8 ms -> 1.3 ms, docs/performance.md). The
            # evaluation limits bound how long one formula can hold the loop.
            data = evaluate_pricing(body, limits=self.limits.evaluation)
        except RequestError as error:
            raise Problem("invalid_request", str(error)) from None
        # Fields the store ignores (`ouput_meta`): answered anyway, and said so.
        return data, messages + [message.to_json() for message in request_warnings(body)]

    def draft(self, compute: Callable[[dict[str, Any]], Any]) -> Handler:
        """A route answering for a draft pricing in an evaluate-shaped body (the console's extensions)."""

        async def handler(request: Request, key: ApiKey) -> Result:
            messages = _unknown_parameters(request, ())
            body = await read_json_body(request, self.limits)
            try:
                data = await run_in_threadpool(compute, body)
            except RequestError as error:
                raise Problem("invalid_request", str(error)) from None
            return data, messages

        return handler

    async def record_task(self, request: Request, key: ApiKey) -> Result:
        """The platform records a completed task: 201 the first time, 200 (the
        first record standing) when the task id was recorded before."""
        messages = _unknown_parameters(request, ())
        record, warnings = task_record(await read_json_body(request, self.limits), self.clock())

        def work() -> tuple[bool, dict[str, Any]]:
            if record.fees is None:
                raise Problem("invalid_request", "fees: required (the fee components /usage/cel/evaluate answers)")
            created = self.ledger.record_task(
                key.team_id, record.task_id, record.app_endpoint, record.completed_at, record.fees,
                record.usage_events, discount=record.discount,
            )
            return created, self.ledger.task_cost(key.team_id, record.task_id)

        created, cost = await run_in_threadpool(_refused_as_invalid, work)
        return cost, messages + warnings, 201 if created else 200

    async def refund(self, request: Request, key: ApiKey) -> Result:
        """Refund (part of) a recorded task, once per refund id; answers the task's cost after it."""
        messages = _unknown_parameters(request, ())
        task_id = request.path_params["taskID"]
        wanted, warnings = refund_request(await read_json_body(request, self.limits))

        def work() -> dict[str, Any]:
            self.ledger.refund(key.team_id, task_id, amount=wanted.amount, refund_id=wanted.refund_id)
            return self.ledger.task_cost(key.team_id, task_id)

        try:
            cost = await run_in_threadpool(_refused_as_invalid, work)
        except TaskNotFound:
            raise Problem("not_found", f"no cost recorded for task {task_id[:100]!r}") from None
        return cost, messages + warnings


def _refused_as_invalid(work: Callable[[], Any]) -> Any:
    """`work()`, with what the ledger refuses (a bad id, fees, amount) as
    invalid_request; a missing task and an unreachable database go on up."""
    try:
        return work()
    except (TaskNotFound, LedgerUnavailable):
        raise
    except LedgerError as refused:
        raise Problem("invalid_request", str(refused)) from None


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
