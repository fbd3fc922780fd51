"""The usage API over HTTP: the store's `/usage/...` routes, API keys with
scopes, its envelope and its problem+json errors (docs/server.md).

Needs the `server` extra (`pip install 'celprice[server]'`); the rest of
celprice never imports this package.

    >>> from celprice.server import create_app
    >>> app = create_app("sqlite:///celprice.db")   # doctest: +SKIP
"""
from __future__ import annotations

try:
    import starlette  # noqa: F401
except ImportError as exc:  # pragma: no cover - exercised without the extra
    raise ImportError(
        "celprice.server needs the server extra: pip install 'celprice[server]'"
    ) from exc

from .app import API_VERSION, create_app

__all__ = ["create_app", "API_VERSION"]
