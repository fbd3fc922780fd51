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
from ..usage import RANGES, Forbidden, Ledger, LedgerError, TaskNotFound, published
from ..usage.errors import LedgerUnavailable, PricingNotFound
from ..usage.keys import ApiKey, KeyStore
from .console import console_app, estimate_request, explain_request
from .ingest import TaskRecord, conflict, field_warnings, priced_fees, refund_request, task_record
from .keycache import KeyCache
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
        "/store/apps/{appId}/pricing": service.app_pricing,
        "/store/apps/{appId}/estimate": service.app_estimate,
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
        self.key_cache = KeyCache(limits.key_cache_seconds)
        # Rendered once: the document never changes while the server runs.
        self._openapi = JSONResponse(openapi_document()).body

    # --- the parts every route shares -------------------------------------------

    def public(self, handler: Callable[[Request], Response]) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            try:
                _read_headers(request)
                return handler(request)
            except Problem as problem:
                return problem_response(problem)

        return endpoint

    def route(self, path: str, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        """The endpoint of a route: version, key, rate and scope checks (a
        route without scopes needs no key), the envelope, and every failure as
        problem+json."""
        scopes = ROUTES[path]["scopes"]

        # Whether a key's scopes grant this route, by scopes: few distinct
        # tuples exist, and the answer never changes (bounded all the same).
        granted: dict[tuple[str, ...], bool] = {}

        async def endpoint(request: Request) -> Response:
            limited: dict[str, str] = {}
            try:
                authorization = _read_headers(request)
                key: ApiKey | None = None
                if scopes:
                    presented = _presented(authorization)
                    # A key accepted moments ago skips the lookup and its hop to a thread.
                    key = self.key_cache.get(presented)
                    if key is None:
                        key = await run_in_threadpool(self.look_up, presented)
                    if key.expires_at is not None and key.expired(self.clock()):
                        raise Problem("unauthorized", f"this API key expired at {key.to_json()['expires_at']}", _CHALLENGE)
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
                if key is not None:
                    allowed_here = granted.get(key.scopes)
                    if allowed_here is None:
                        if len(granted) >= 256:
                            granted.clear()
                        allowed_here = granted[key.scopes] = any(key.grants(scope) for scope in scopes)
                    if not allowed_here:
                        needed = " or ".join(scopes)
                        raise Problem("forbidden", f"this API key lacks the scope {needed}")
                data, messages, *status = await handler(request, key)
                return _Envelope({"data": data, "messages": messages}, status_code=status[0] if status else 200, headers=limited)
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

    def look_up(self, presented: str) -> ApiKey:
        """The ledger's key for `presented` (in a worker thread: it reads the database)."""
        key = self.keys.authenticate(presented)
        if key is None:
            raise Problem("unauthorized", "invalid or revoked API key", _CHALLENGE)
        self.key_cache.put(presented, key)
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

    async def app_pricing(self, request: Request, key: None) -> Result:
        """The store's `GET /store/apps/{appId}/pricing`: the published AppPricing."""
        messages = _unknown_parameters(request, ("version",))
        app = _app_id(request)
        version = _single(request, "version")
        wanted = None
        if version is not None:
            # ASCII digits only: str.isdigit() also takes "²", which int() refuses.
            if not (version.isascii() and version.isdigit()) or not 1 <= int(version) <= 2**31 - 1:
                raise Problem("invalid_request", f"version: must be a published version number from 1; got {describe(version)}")
            wanted = int(version)
        data = await run_in_threadpool(_app_found, lambda: self.ledger.pricing(app, wanted))
        return data, messages

    async def app_estimate(self, request: Request, key: None) -> Result:
        """The store's `POST /store/apps/{appId}/estimate`: the published
        pricing's estimate for `{"input": {...}, "function": "..."}`."""
        messages = _unknown_parameters(request, ())
        app = _app_id(request)
        body = await read_json_body(request, self.limits)
        # Evaluated in a worker thread: the pricing is read from the database first.
        data = await run_in_threadpool(_app_found, lambda: self.ledger.estimate(app, body))
        return data, messages + field_warnings(body, ("input", "function"))

    async def record_task(self, request: Request, key: ApiKey) -> Result:
        """The platform records a completed task, with its fees or priced by
        the app's published pricing: 201 the first time; 200 when the task id
        was recorded before with the same app, fees and discount (a retry: the
        first record stands); 409 when it was recorded with others."""
        messages = _unknown_parameters(request, ())
        record, warnings = task_record(await read_json_body(request, self.limits), self.clock())

        def work() -> tuple[bool, dict[str, Any]]:
            fees, version = record.fees, record.pricing_version
            if fees is None:
                version, fees = self.price(record, version)
            # Kept for audit (Ledger.explain, backtest) when the version that
            # priced the task is known and there are inputs to re-price it by.
            audited = version is not None and (record.fees is None or bool(record.pricing_inputs))
            created = self.ledger.record_task(
                key.team_id, record.task_id, record.app_endpoint, record.completed_at, fees,
                record.usage_events, discount=record.discount, pricing_version=version,
                pricing_inputs=record.pricing_inputs if audited else None,
            )
            cost = self.ledger.task_cost(key.team_id, record.task_id)
            if not created:
                recorded = cost.get("pricing_version")
                if record.fees is None and record.pricing_version is None and recorded not in (None, version):
                    # A retry after a newer version was published: the same
                    # inputs are the same task if the version that priced it says so.
                    try:
                        _, fees = self.price(record, recorded)
                    except Problem as unpriced:
                        # No fees to compare: say why rather than list them as null.
                        raise Problem(
                            "conflict",
                            f"task {record.task_id[:100]!r} was recorded before, priced by version {recorded} of "
                            f"{record.app_endpoint!r}, which cannot price this request ({unpriced.detail}); the first "
                            "record stands: correct a charge with a refund, or record the task under a new task_id",
                        ) from None
                differs = conflict(cost, record, fees, record.pricing_version)
                if differs is not None:
                    raise differs
            return created, cost

        created, cost = await run_in_threadpool(_refused_as_invalid, work)
        return cost, messages + warnings, 201 if created else 200

    def price(self, record: TaskRecord, version: int | None) -> tuple[int, dict[str, Any]]:
        """(version, fees) of a task priced by its app's published pricing: the
        version in force, or `version`."""
        try:
            found, pricing = published.from_answer(self.ledger.pricing(record.app_endpoint, version))
        except PricingNotFound as missing:
            raise Problem(
                "invalid_request",
                f"fees: required, or publish a pricing to price the task by: {missing}",
            ) from None
        return found, priced_fees(record.app_endpoint, found, pricing, record.pricing_inputs, self.limits.evaluation)

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


# JSONResponse's own settings, in an encoder built once (json.dumps with options builds one per call).
_ENCODER = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":"))


class _Envelope(JSONResponse):
    def render(self, content: Any) -> bytes:
        return _ENCODER.encode(content).encode("utf-8")


def _refused_as_invalid(work: Callable[[], Any]) -> Any:
    """`work()`, with what the ledger refuses (a bad id, fees, amount) as
    invalid_request; a missing task and an unreachable database go on up."""
    try:
        return work()
    except (TaskNotFound, LedgerUnavailable):
        raise
    except LedgerError as refused:
        raise Problem("invalid_request", str(refused)) from None


def _app_id(request: Request) -> str:
    """The `{appId}` of a store route: `namespace/name`, its slash URL-encoded or not."""
    app = request.path_params["appId"]
    try:
        return published.app_endpoint(app)
    except LedgerError:
        # A name no app can have names no app.
        raise Problem(
            "not_found", f"no app {app[:100]!r}: an app id is its namespace/name, URL-encoded (acme%2Fflux)"
        ) from None


def _app_found(work: Callable[[], Any]) -> Any:
    """`work()` over an app's published pricing: an app without one (or
    without the version asked for) is not found; a bad body is invalid_request."""
    try:
        return work()
    except PricingNotFound as missing:
        raise Problem("not_found", str(missing)) from None
    except LedgerUnavailable:
        raise
    except LedgerError as refused:
        raise Problem("invalid_request", str(refused)) from None


_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="celprice"'}


def _presented(header: str | None) -> str:
    """The key of `Authorization: Bearer inf_...`, or the problem with the header."""
    if header is None:
        raise Problem("unauthorized", "missing API key: send Authorization: Bearer inf_...", _CHALLENGE)
    scheme, _, presented = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not presented.strip():
        raise Problem("unauthorized", "the Authorization header must be 'Bearer inf_...'", _CHALLENGE)
    return presented.strip()


def _read_headers(request: Request) -> str | None:
    """Refuse an `X-API-Version` other than ours; returns the `Authorization`
    header (both read in one pass over the headers, which every request makes)."""
    authorization = version = None
    for name, value in request.scope["headers"]:
        # ASGI servers give header names in lower case; the first of a repeated one counts, as in Starlette.
        if name == b"authorization":
            if authorization is None:
                authorization = value.decode("latin-1")
        elif name == b"x-api-version" and version is None:
            version = value.decode("latin-1")
    if version is not None and version.strip() != API_VERSION:
        raise Problem(
            "invalid_request",
            f"X-API-Version: unsupported version {describe(version)}; this server speaks version {API_VERSION}",
        )
    return authorization


def _single(request: Request, name: str) -> str | None:
    values = request.query_params.getlist(name)
    if len(values) > 1:
        raise Problem("invalid_request", f"{name}: given {len(values)} times; give it once")
    return values[0] if values else None


def _unknown_parameters(request: Request, known: tuple[str, ...]) -> list[dict[str, Any]]:
    """A warning for each query parameter the route does not read (ignored, as the store does)."""
    if not request.scope.get("query_string"):
        return []  # most requests: no parsing of an empty query
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
