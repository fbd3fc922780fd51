"""`/usage/summary` on both backends: resource time by tier, type and model."""
from __future__ import annotations

from celprice.usage import Ledger

from .helpers import fees, utc

AT = utc(2026, 6, 4, 9)


def test_seconds_by_tier_type_and_model(ledger: Ledger) -> None:
    ledger.record_task("team-a", "t1", "acme/img", AT, fees(1), [
        {"tier": "cloud", "type": "gpu", "model": "sdxl", "seconds": 30},
        {"tier": "cloud", "type": "cpu", "model": "sdxl", "seconds": 4},
    ])
    ledger.record_task("team-a", "t2", "acme/llm", AT, fees(1), [
        {"tier": "private", "type": "gpu", "model": "llama-3-70b", "seconds": 120},
    ])
    ledger.record_task("team-a", "t3", "acme/img", AT, fees(1), [
        {"tier": "cloud", "type": "gpu", "model": "sdxl", "seconds": 6},
        {"tier": "cloud", "type": "cpu", "seconds": 10},  # no model
    ])
    assert ledger.summary("team-a") == {
        "tier_usage": {"cloud": 50, "private": 120},
        "type_usage": {"cpu": 14, "gpu": 156},
        "model_usage": {"llama-3-70b": 120, "sdxl": 40},
        "total_usage": 170,
    }


def test_fractional_seconds_add_exactly(ledger: Ledger) -> None:
    # 0.1 + 0.2 in floats is 0.30000000000000004; stored as microseconds it is 0.3.
    ledger.record_task("team-a", "t1", "acme/x", AT, fees(1), [
        {"tier": "cloud", "type": "gpu", "model": "m", "seconds": 0.1},
        {"tier": "cloud", "type": "gpu", "model": "m", "seconds": 0.2},
        {"tier": "cloud", "type": "cpu", "model": "m", "seconds": 1.5},
        {"tier": "cloud", "type": "cpu", "model": "m", "seconds": 0.5},
    ])
    assert ledger.summary("team-a") == {
        "tier_usage": {"cloud": 2.3},
        "type_usage": {"cpu": 2, "gpu": 0.3},
        "model_usage": {"m": 2.3},
        "total_usage": 2,  # an int64 of seconds: 2.3 rounded once
    }


def test_a_team_without_usage(ledger: Ledger) -> None:
    ledger.record_task("team-a", "t1", "acme/x", AT, fees(1))  # a task with no events
    empty = {"tier_usage": {}, "type_usage": {}, "model_usage": {}, "total_usage": 0}
    assert ledger.summary("team-a") == empty
    assert ledger.summary("team-z") == empty


def test_total_usage_rounds_the_exact_sum_once_halves_up(ledger: Ledger) -> None:
    # Ten events of 0.4 s: rounding each would give 0; the sum, 4 s, is rounded once.
    ledger.record_task("team-a", "t1", "acme/x", AT, fees(1), [
        {"tier": "cloud", "type": "gpu", "seconds": 0.4} for _ in range(10)
    ])
    assert ledger.summary("team-a")["total_usage"] == 4
    ledger.record_task("team-a", "t2", "acme/x", AT, fees(1), [{"tier": "cloud", "type": "gpu", "seconds": 0.5}])
    summary = ledger.summary("team-a")
    assert (summary["tier_usage"], summary["total_usage"]) == ({"cloud": 4.5}, 5)  # 4.5 s: halves up
    ledger.record_task("team-a", "t3", "acme/x", AT, fees(1), [{"tier": "cloud", "type": "gpu", "seconds": 0.499999}])
    assert ledger.summary("team-a")["total_usage"] == 5  # 4.999999 s
    assert type(ledger.summary("team-a")["total_usage"]) is int
