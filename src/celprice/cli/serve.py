"""`celprice serve`: the usage API over HTTP (docs/server.md)."""
from __future__ import annotations

import argparse
from typing import Any

from .common import FAILED, OK, UsageError, add_db_option, error

__all__ = ["add_parser", "run"]


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port must be 1 to 65535, got {port}")
    return port


def _workers(text: str) -> int:
    try:
        workers = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of workers: {text!r}") from None
    if workers < 1:
        raise argparse.ArgumentTypeError(f"workers must be at least 1, got {workers}")
    return workers


def _count(what: str, minimum: int) -> Any:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number of {what}: {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{what} must be at least {minimum}, got {value}")
        return value

    return parse


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "serve",
        help="serve the usage API (/usage/...) over HTTP",
        description="Serve the usage API (GET /usage/breakdown, GET /usage/summary, POST /usage/cel/evaluate, "
        "GET /usage/tasks/{taskID}/cost, the ingestion routes), the store's GET /store/apps/{appId}/pricing "
        "and POST /store/apps/{appId}/estimate, and GET /openapi.json until SIGINT or SIGTERM; requests in "
        "flight finish first. One log line per request goes to stderr. Keys: 'celprice keys create'.",
    )
    add_db_option(p)
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    p.add_argument("--port", type=_port, default=8000, help="port to listen on (default: 8000)")
    p.add_argument("--workers", type=_workers, default=1, metavar="N", help="worker processes (default: 1)")
    p.add_argument(
        "--rate-limit", type=_count("requests", 0), default=600, metavar="N",
        help="requests per key (per client address without a key) per window, in each worker; 0: off (default: 600)",
    )
    p.add_argument(
        "--rate-window", type=_count("seconds", 1), default=60, metavar="SECONDS", help="the rate limit's window (default: 60)"
    )
    p.add_argument(
        "--max-body", type=_count("bytes", 1), default=1_048_576, metavar="BYTES",
        help="largest request body; a larger one is 413 (default: 1048576)",
    )
    p.add_argument(
        "--key-cache", type=_count("seconds", 0), default=1, metavar="SECONDS",
        help="how long an accepted API key is trusted before it is looked up again (a revocation takes "
        "effect within this time); 0: look every request's key up (default: 1)",
    )
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    try:
        import uvicorn  # noqa: F401

        from ..server.run import serve
    except ImportError as e:
        missing = e.name or getattr(e.__cause__, "name", None) or "a dependency"
        raise UsageError(f"{missing} is not installed; the server needs the extra: pip install 'celprice[server]'") from None
    from ..server.limits import ServerLimits
    from ..usage import Ledger

    # Open (and upgrade) the ledger once here, so that a bad --db fails now
    # with one message instead of in every worker.
    Ledger(args.db).close()
    try:
        limits = ServerLimits(
            max_body_bytes=args.max_body, rate_limit=args.rate_limit or None, rate_window=float(args.rate_window),
            key_cache_seconds=float(args.key_cache),
        )
        serve(args.db, args.host, args.port, args.workers, limits)
    except SystemExit as stop:
        # uvicorn exits when it cannot start (its log says why: a port in use...).
        if stop.code not in (None, 0):
            error(f"celprice serve: the server could not start (uvicorn exit status {stop.code})")
            return FAILED
    return OK
