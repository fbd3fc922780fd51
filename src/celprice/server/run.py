"""Serving the app with uvicorn: one process or several workers over one ledger.

Workers are separate processes that each build the app from the environment
(`CELPRICE_SERVE_DB`), so the ledger URL travels by name, never pickled.
uvicorn handles SIGINT and SIGTERM: it stops accepting connections and lets
the requests in flight finish (for at most GRACE seconds); serve() then returns.
"""
from __future__ import annotations

import json
import os
import signal
from dataclasses import asdict
from typing import Any

from starlette.applications import Starlette

from .app import create_app
from .limits import ServerLimits

__all__ = ["serve", "app_from_environment", "DB_ENV", "LIMITS_ENV", "GRACE"]

DB_ENV = "CELPRICE_SERVE_DB"
LIMITS_ENV = "CELPRICE_SERVE_LIMITS"  # ServerLimits' fields as JSON (the evaluation limits are the library's)
GRACE = 30

LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "line": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s", "datefmt": "%Y-%m-%dT%H:%M:%S%z"},
    },
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "line", "stream": "ext://sys.stderr"}},
    "loggers": {
        "uvicorn": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
        "celprice.server": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
    },
}


def _stopped(signum: int, frame: object) -> None:
    pass


def app_from_environment() -> Starlette:
    """The app of one worker process (uvicorn's factory)."""
    limits = json.loads(os.environ.get(LIMITS_ENV, "{}"))
    return create_app(os.environ[DB_ENV], limits=ServerLimits(**limits))


def serve(db: str, host: str, port: int, workers: int = 1, limits: ServerLimits | None = None) -> None:
    """Run until SIGINT or SIGTERM. uvicorn's access log is off: the app logs
    each request itself, with the key id that uvicorn cannot know."""
    import uvicorn

    os.environ[DB_ENV] = db
    settings = asdict(limits or ServerLimits())
    settings.pop("evaluation")
    os.environ[LIMITS_ENV] = json.dumps(settings)
    # uvicorn catches the signal, shuts down, then restores the handler it
    # found and raises the signal again; a handler that ignores it makes the
    # stop an ordinary return (exit 0) instead of a death by signal or a
    # KeyboardInterrupt after a clean shutdown.
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, _stopped)
    uvicorn.run(
        "celprice.server.run:app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers if workers > 1 else None,
        access_log=False,
        log_config=LOGGING,
        timeout_graceful_shutdown=GRACE,
        server_header=False,
    )
