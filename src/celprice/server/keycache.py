"""Recently accepted API keys of one server process, so that a request whose
key was accepted moments ago skips the database lookup and the hop to a
worker thread it needs (docs/performance.md, HTTP server under load).

Only keys the ledger accepted are kept, each for `seconds` after its lookup:
an unknown key is looked up every time (so random keys cannot fill the cache),
and a revocation is seen by every process within `seconds`. The expiry of a
key is still checked on every request, by the caller. The plaintext is not
kept: entries are keyed by the key's SHA-256 digest.
"""
from __future__ import annotations

import hashlib
import time
from collections.abc import Callable

from ..usage.keys import ApiKey

__all__ = ["KeyCache"]


class KeyCache:
    """Accepted keys by digest, for `seconds` each (0: nothing is kept).

    At most `size` entries: when full, it starts empty again (a server has few
    keys in use at once; the bound only stops growth without end)."""

    def __init__(self, seconds: float, size: int = 10_000, now: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self.size = size
        self._now = now
        self._keys: dict[bytes, tuple[ApiKey, float]] = {}

    @staticmethod
    def _digest(presented: str) -> bytes:
        return hashlib.sha256(presented.encode("utf-8", "surrogatepass")).digest()

    def get(self, presented: str) -> ApiKey | None:
        """The key accepted for `presented` less than `seconds` ago, or None."""
        if self.seconds <= 0:
            return None
        entry = self._keys.get(self._digest(presented))
        if entry is None:
            return None
        key, until = entry
        if self._now() >= until:
            return None
        return key

    def put(self, presented: str, key: ApiKey) -> None:
        if self.seconds <= 0:
            return
        if len(self._keys) >= self.size:
            self._keys = {}
        # Dict assignment is atomic under the GIL: worker threads may put while the loop reads.
        self._keys[self._digest(presented)] = (key, self._now() + self.seconds)
