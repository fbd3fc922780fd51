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


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "serve",
        help="serve the usage API (/usage/...) over HTTP",
        description="Serve GET /usage/breakdown, GET /usage/summary, POST /usage/cel/evaluate, "
        "GET /usage/tasks/{taskID}/cost and GET /openapi.json until SIGINT or SIGTERM; requests in "
        "flight finish first. One log line per request goes to stderr. Keys: 'celprice keys create'.",
    )
    add_db_option(p)
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    p.add_argument("--port", type=_port, default=8000, help="port to listen on (default: 8000)")
    p.add_argument("--workers", type=_workers, default=1, metavar="N", help="worker processes (default: 1)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    try:
        import uvicorn  # noqa: F401

        from ..server.run import serve
    except ImportError as e:
        missing = e.name or getattr(e.__cause__, "name", None) or "a dependency"
        raise UsageError(f"{missing} is not installed; the server needs the extra: pip install 'celprice[server]'") from None
    from ..usage import Ledger

    # Open (and upgrade) the ledger once here, so that a bad --db fails now
    # with one message instead of in every worker.
    Ledger(args.db).close()
    try:
        serve(args.db, args.host, args.port, args.workers)
    except SystemExit as stop:
        # uvicorn exits when it cannot start (its log says why: a port in use...).
        if stop.code not in (None, 0):
            error(f"celprice serve: the server could not start (uvicorn exit status {stop.code})")
            return FAILED
    return OK
