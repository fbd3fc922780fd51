"""The server's cache of accepted API keys: how long a key is trusted without a lookup."""
from __future__ import annotations

from datetime import datetime, timezone

from celprice.server.keycache import KeyCache
from celprice.usage.keys import ApiKey


def key(name: str) -> ApiKey:
    return ApiKey(
        id=f"key_{name}", name=name, team_id="t", scopes=("billing:read",), last_four="abcd",
        created_at=datetime(2026, 6, 4, tzinfo=timezone.utc), expires_at=None,
    )


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_an_accepted_key_is_trusted_for_its_seconds_then_looked_up_again() -> None:
    clock = Clock()
    cache = KeyCache(2.0, now=clock)
    assert cache.get("inf_a") is None
    cache.put("inf_a", key("a"))
    assert cache.get("inf_a") == key("a")
    assert cache.get("inf_b") is None
    clock.now += 1.9
    assert cache.get("inf_a") == key("a")
    clock.now += 0.1
    assert cache.get("inf_a") is None


def test_zero_seconds_keeps_nothing() -> None:
    cache = KeyCache(0)
    cache.put("inf_a", key("a"))
    assert cache.get("inf_a") is None


def test_a_full_cache_starts_again_instead_of_growing() -> None:
    cache = KeyCache(60, size=3)
    for name in "abc":
        cache.put(f"inf_{name}", key(name))
    cache.put("inf_d", key("d"))
    assert [cache.get(f"inf_{name}") is not None for name in "abcd"] == [False, False, False, True]
