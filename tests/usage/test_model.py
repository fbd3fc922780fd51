"""The breakdown and the summary against a plain-Python model of their rules,
on random ledgers, on both backends.

The model works with datetimes and timedeltas (truncating with
`datetime.replace`, stepping bucket by bucket), not with the ledger's integer
microseconds, so the two are independent computations of the same rules.
"""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from celprice.usage import Ledger

from .helpers import fees

BASE = datetime(2026, 6, 4, 12, 0, tzinfo=timezone.utc)
RANGES = {
    "1h": (timedelta(hours=1), timedelta(minutes=1), {"second": 0, "microsecond": 0}, "%Y-%m-%dT%H:%M:00Z"),
    "1d": (timedelta(days=1), timedelta(hours=1), {"minute": 0, "second": 0, "microsecond": 0}, "%Y-%m-%dT%H:00:00Z"),
    "7d": (timedelta(days=7), timedelta(days=1), {"hour": 0, "minute": 0, "second": 0, "microsecond": 0}, "%Y-%m-%d"),
    "30d": (timedelta(days=30), timedelta(days=1), {"hour": 0, "minute": 0, "second": 0, "microsecond": 0}, "%Y-%m-%d"),
    "90d": (timedelta(days=90), timedelta(days=1), {"hour": 0, "minute": 0, "second": 0, "microsecond": 0}, "%Y-%m-%d"),
}

# Offsets cluster near the window edges of every range, where mistakes live.
_EDGES = [timedelta(0), timedelta(hours=1), timedelta(days=1), timedelta(days=7), timedelta(days=30),
          timedelta(days=90), timedelta(days=15), timedelta(days=60), timedelta(days=180)]
offsets = st.one_of(
    st.sampled_from(_EDGES),
    st.integers(min_value=-10 * 86400 * 10**6, max_value=200 * 86400 * 10**6).map(lambda us: timedelta(microseconds=us)),
    st.tuples(st.sampled_from(_EDGES), st.integers(-3, 3)).map(lambda e: e[0] + timedelta(microseconds=e[1])),
    st.tuples(st.sampled_from(_EDGES), st.integers(-1, 1)).map(lambda e: e[0] + timedelta(hours=12 * e[1])),
)
records = st.lists(
    st.tuples(
        st.sampled_from(["a/one", "b/two", "c/three"] + [f"app-{n:02d}" for n in range(10)]),
        offsets,
        st.integers(0, 10**12),
        st.booleans(),
        st.lists(st.tuples(st.sampled_from(["cloud", "private"]), st.sampled_from(["gpu", "cpu"]),
                           st.sampled_from([None, "m1", "m2"]), st.integers(0, 10**7)), max_size=3),
    ),
    max_size=25,
)
nows = st.one_of(
    st.just(BASE),  # on a day, hour and minute boundary
    st.integers(0, 23).map(lambda hour: BASE.replace(hour=hour)),
    st.integers(0, 86400 * 10**6 - 1).map(lambda us: BASE + timedelta(microseconds=us)),
)


def model_breakdown(rows: list[tuple], range_: str, now: datetime) -> dict[str, Any]:
    length, step, truncate, label = RANGES[range_]
    start = (now - length).replace(**truncate)
    buckets = []
    moment = start
    while moment <= now:
        buckets.append(moment)
        moment += step
    counted = [(app, at, total) for app, at, total, refunded in rows if not refunded and start <= at <= now]
    per_bucket: list[dict[str, int]] = [{} for _ in buckets]
    spend: dict[str, int] = {}
    calls: dict[str, int] = {}
    for app, at, total in counted:
        index = max(i for i, b in enumerate(buckets) if b <= at)
        per_bucket[index][app] = per_bucket[index].get(app, 0) + total
        spend[app] = spend.get(app, 0) + total
        calls[app] = calls.get(app, 0) + 1
    duration = now - start
    previous = sum(total for app, at, total, refunded in rows
                   if not refunded and start - duration <= at < start)
    total = sum(spend.values())
    answer: dict[str, Any] = {
        "timeseries": [{"date": b.strftime(label), "per_app": dict(sorted(p.items()))} for b, p in zip(buckets, per_bucket)],
        "per_model": [{"app_endpoint": app, "call_count": calls[app], "cost": spend[app]}
                      for app in sorted(spend, key=lambda a: (-spend[a], a))[:10]],
        "models": sorted(spend),
        "total_cost": total,
        "period_start": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "period_end": now.isoformat().replace("+00:00", "Z"),
    }
    if previous:
        answer["trend_percent"] = round((total - previous) * 100 / previous, 2)
    return answer


def model_summary(events: list[tuple]) -> dict[str, Any]:
    by: dict[str, dict[str, int]] = {"tier_usage": {}, "type_usage": {}, "model_usage": {}}
    for tier, kind, model, seconds in events:
        for key, name in (("tier_usage", tier), ("type_usage", kind), ("model_usage", model)):
            if name is not None:
                by[key][name] = by[key].get(name, 0) + seconds
    answer: dict[str, Any] = {key: dict(sorted(values.items())) for key, values in by.items()}
    answer["total_usage"] = sum(seconds for *_, seconds in events)
    return answer


@pytest.fixture(params=["sqlite", "postgresql"])
def model_ledger(request: pytest.FixtureRequest):
    """One ledger for every example of a test; each example uses a new team."""
    url = None if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    with Ledger(url) as opened:
        yield opened


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=records, range_=st.sampled_from(list(RANGES)), now=nows)
def test_breakdown_and_summary_follow_the_model(model_ledger: Ledger, rows, range_: str, now: datetime) -> None:
    team = f"team-{uuid.uuid4().hex}"
    recorded, events = [], []
    for index, (app, offset, total, refunded, usage) in enumerate(rows):
        at = now - offset
        task = f"task-{index}"
        model_ledger.record_task(team, task, app, at, fees(total),
                                 [{"tier": t, "type": k, "model": m, "seconds": s} for t, k, m, s in usage])
        if refunded:
            model_ledger.refund(team, task)
        else:
            events.extend(usage)
        recorded.append((app, at, total, refunded))
    assert model_ledger.breakdown(team, range_, now=now) == model_breakdown(recorded, range_, now)
    assert model_ledger.summary(team) == model_summary(events)
