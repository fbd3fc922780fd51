"""The breakdown, the summary and task costs against a plain-Python model of
their rules, on random ledgers (discounts, partial and repeated refunds, an
organisation with two members and an outsider), on both backends.

The model works with datetimes and timedeltas (truncating with
`datetime.replace`, stepping bucket by bucket), not with the ledger's integer
microseconds, so the two are independent computations of the same rules.
"""
from __future__ import annotations

import math
import random
import uuid
from datetime import datetime, timedelta, timezone
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from celprice.usage import Forbidden, Ledger

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
    # Within a few of the rollups' ten-second, minute and ten-minute buckets of an edge.
    st.tuples(st.sampled_from(_EDGES), st.integers(-1800 * 10**6, 1800 * 10**6)).map(
        lambda e: e[0] + timedelta(microseconds=e[1])
    ),
)
# A refund is ("rest",) (amount=None), or ("part", n): n picks an amount from
# 1 to what is left; each may carry a refund_id and be retried.
refunds = st.lists(
    st.tuples(st.sampled_from(["rest", "part"]), st.integers(0, 10**12), st.booleans(), st.booleans()),
    max_size=3,
)
records = st.lists(
    st.tuples(
        st.sampled_from(["a/one", "b/two", "c/three"] + [f"app-{n:02d}" for n in range(10)]),
        offsets,
        st.integers(0, 10**12),
        st.one_of(st.just(0), st.integers(0, 10**12)),  # the discount, taken modulo total + 1
        refunds,
        st.sampled_from(["org", "member-1", "member-2", "outsider"]),
        st.lists(st.tuples(st.sampled_from(["cloud", "private"]), st.sampled_from(["gpu", "cpu"]),
                           st.sampled_from([None, "m1", "m2"]),
                           st.integers(0, 10**13).map(lambda us: us / 10**6)), max_size=3),
    ),
    max_size=25,
)
nows = st.one_of(
    st.just(BASE),  # on a day, hour and minute boundary
    st.integers(0, 23).map(lambda hour: BASE.replace(hour=hour)),
    st.integers(0, 86400 * 10**6 - 1).map(lambda us: BASE + timedelta(microseconds=us)),
)


def model_breakdown(rows: list[dict[str, Any]], teams: set[str], range_: str, now: datetime,
                    per_team: bool) -> dict[str, Any]:
    length, step, truncate, label = RANGES[range_]
    start = (now - length).replace(**truncate)
    buckets = []
    moment = start
    while moment <= now:
        buckets.append(moment)
        moment += step
    kept = [row for row in rows if row["team"] in teams and not row["in_full"]]
    counted = [row for row in kept if start <= row["at"] <= now]
    per_bucket: list[dict[str, int]] = [{} for _ in buckets]
    spend: dict[str, int] = {}
    calls: dict[str, int] = {}
    team_spend: dict[str, int] = {}
    team_calls: dict[str, int] = {}
    for row in counted:
        app, net = row["app"], row["charged"] - row["refunded"]
        index = max(i for i, b in enumerate(buckets) if b <= row["at"])
        per_bucket[index][app] = per_bucket[index].get(app, 0) + net
        spend[app] = spend.get(app, 0) + net
        calls[app] = calls.get(app, 0) + 1
        team_spend[row["team"]] = team_spend.get(row["team"], 0) + net
        team_calls[row["team"]] = team_calls.get(row["team"], 0) + 1
    duration = now - start
    previous = sum(row["charged"] - row["refunded"] for row in kept if start - duration <= row["at"] < start)
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
    answer["per_team"] = [
        {"team_id": team, "call_count": team_calls[team], "cost": team_spend[team]}
        for team in sorted(team_spend, key=lambda t: (-team_spend[t], t))
    ] if per_team else []
    return answer


def model_summary(events: list[tuple]) -> dict[str, Any]:
    """Seconds summed exactly (as Fractions of the microseconds given)."""
    by: dict[str, dict[str, Fraction]] = {"tier_usage": {}, "type_usage": {}, "model_usage": {}}
    for tier, kind, model, seconds in events:
        exact = Fraction(round(seconds * 10**6), 10**6)
        for key, name in (("tier_usage", tier), ("type_usage", kind), ("model_usage", model)):
            if name is not None:
                by[key][name] = by[key].get(name, Fraction(0)) + exact
    answer: dict[str, Any] = {
        key: {name: int(v) if v.denominator == 1 else float(v) for name, v in sorted(values.items())}
        for key, values in by.items()
    }
    total = sum((Fraction(round(seconds * 10**6), 10**6) for *_, seconds in events), Fraction(0))
    answer["total_usage"] = math.floor(total + Fraction(1, 2))  # to the nearest second, halves up
    return answer


def model_cost(row: dict[str, Any]) -> dict[str, int]:
    cost = {"total": row["total"], "discount": row["total"] - row["charged"], "charged": row["charged"],
            "refunded": row["refunded"]}
    return {key: value for key, value in cost.items() if value or key in ("total", "charged")}


@pytest.fixture(params=["sqlite", "postgresql"])
def model_ledger(request: pytest.FixtureRequest):
    """One ledger for every example of a test; each example uses new teams."""
    url = None if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    with Ledger(url) as opened:
        yield opened


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=records, range_=st.sampled_from(list(RANGES)), now=nows)
def test_breakdown_summary_and_cost_follow_the_model(model_ledger: Ledger, rows, range_: str, now: datetime) -> None:
    run = uuid.uuid4().hex
    name = {team: f"{team}-{run}" for team in ("org", "member-1", "member-2", "outsider")}
    model_ledger.set_members(name["org"], [name["member-1"], name["member-2"]])
    recorded: list[dict[str, Any]] = []
    events: dict[str, list[tuple]] = {team: [] for team in name.values()}
    for index, (app, offset, total, discount, refund_ops, team, usage) in enumerate(rows):
        row = {"app": app, "at": now - offset, "team": name[team], "task": f"task-{index}", "total": total,
               "charged": total - discount % (total + 1), "refunded": 0, "in_full": False}
        model_ledger.record_task(row["team"], row["task"], app, row["at"], fees(total),
                                 [{"tier": t, "type": k, "model": m, "seconds": s} for t, k, m, s in usage],
                                 discount=total - row["charged"])
        for number, (kind, pick, with_id, retry) in enumerate(refund_ops):
            rest = row["charged"] - row["refunded"]
            amount = None if kind == "rest" else 1 + pick % rest if rest else None
            if kind == "part" and amount is None:
                continue  # nothing left to refund in part
            refund_id = f"re-{index}-{number}" if with_id else None
            for _ in range(2 if retry and with_id else 1):
                model_ledger.refund(row["team"], row["task"], amount=amount, refund_id=refund_id)
            if kind == "rest" and row["in_full"]:
                continue
            row["refunded"] += rest if amount is None else amount
            row["in_full"] = row["refunded"] == row["charged"]
        recorded.append(row)
        if not row["in_full"]:
            events[row["team"]].extend(usage)
    org, member, outsider = name["org"], name["member-1"], name["outsider"]
    everyone = {org, member, name["member-2"]}
    assert model_ledger.breakdown(org, range_, now=now) == model_breakdown(recorded, everyone, range_, now, True)
    narrowed = model_breakdown(recorded, {member}, range_, now, False)
    assert model_ledger.breakdown(org, range_, now=now, team_id=member) == narrowed
    assert model_ledger.breakdown(member, range_, now=now) == narrowed
    assert model_ledger.breakdown(outsider, range_, now=now) == model_breakdown(recorded, {outsider}, range_, now, False)
    with pytest.raises(Forbidden):
        model_ledger.breakdown(org, range_, now=now, team_id=outsider)
    for team, team_events in events.items():
        assert model_ledger.summary(team) == model_summary(team_events)
    for row in recorded:
        cost = model_ledger.task_cost(row["team"], row["task"])
        assert {key: cost[key] for key in ("total", "discount", "charged", "refunded") if key in cost} == model_cost(row)


# Bucket lengths at which a ledger might keep sums (ten seconds to a day):
# each is a place where whole buckets meet the records they summarise.
_BOUNDARIES = [timedelta(seconds=10), timedelta(minutes=1), timedelta(minutes=10), timedelta(hours=1), timedelta(days=1)]


def _floor(moment: datetime, length: timedelta) -> datetime:
    epoch = datetime(1970, 1, 1, tzinfo=timezone.utc)
    return epoch + (moment - epoch) // length * length


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(range_=st.sampled_from(list(RANGES)), now=nows, seed=st.integers(0, 2**32))
def test_every_bucket_boundary_at_a_window_edge_is_counted_once(model_ledger: Ledger, range_: str, now: datetime,
                                                                 seed: int) -> None:
    """Tasks on either side of every bucket boundary next to each edge of the
    window and of the one before it (the last instants of the window, its
    first, and the first of the previous one), each with its own charge."""
    rng = random.Random(seed)
    length, _, truncate, _ = RANGES[range_]
    start = (now - length).replace(**truncate)
    edges = [now + timedelta(microseconds=1), start, start - (now - start)]
    team = f"edges-{uuid.uuid4().hex}"
    recorded = []
    for edge in edges:
        for bucket in _BOUNDARIES:
            for boundary in (_floor(edge, bucket), _floor(edge, bucket) - bucket):
                for delta in (-1, 0, 1):
                    at = boundary + timedelta(microseconds=delta)
                    total = rng.randrange(1, 10**9)
                    row = {"app": rng.choice(["a/one", "b/two"]), "at": at, "team": team,
                           "task": f"task-{len(recorded)}", "total": total, "charged": total, "refunded": 0,
                           "in_full": False}
                    model_ledger.record_task(team, row["task"], row["app"], at, fees(total))
                    recorded.append(row)
    assert model_ledger.breakdown(team, range_, now=now) == model_breakdown(recorded, {team}, range_, now, False)
