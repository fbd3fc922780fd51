"""The rollups behind breakdowns and summaries, on both backends: kept with
every record and refund (one at a time and in batches) they equal what a
rebuild from the records computes; a version 2 ledger gets them when it
upgrades; a rebuild repairs them."""
from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from celprice.usage import Ledger
from celprice.usage.backends import open_backend
from celprice.usage.migrations import LATEST, STEPS, VERSION_TABLE, upgrade

from .helpers import fees, utc
from .test_migrations import query, run_sql
from .test_model import BASE, nows, records

ROLLUPS = "SELECT team_id, step, bucket, app_endpoint, calls, net FROM celprice_rollups WHERE calls > 0"
USAGE_ROLLUPS = "SELECT team_id, kind, name, events, micros FROM celprice_usage_rollups WHERE events > 0"


def rollups(ledger: Ledger) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """Every rollup row that counts (rows whose tasks were all refunded in full stay, empty)."""
    with ledger._db.transaction(write=False) as tx:  # noqa: SLF001 - the tables under test
        return sorted(tx.rows(ROLLUPS, ())), sorted(tx.rows(USAGE_ROLLUPS, ()))


def answers(ledger: Ledger, teams: list[str], now) -> list[Any]:
    out: list[Any] = [ledger.summary(team) for team in teams]
    out += [ledger.breakdown(team, range_, now=now) for team in teams for range_ in ("1h", "1d", "7d", "30d", "90d")]
    return out


@pytest.fixture(params=["sqlite", "postgresql"])
def shared_ledger(request: pytest.FixtureRequest):
    """One ledger for every example of a test; each example uses new teams."""
    url = None if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    with Ledger(url) as opened:
        yield opened


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=records, now=nows, batched=st.lists(st.booleans(), min_size=25, max_size=25))
def test_rebuild_equals_the_rollups_kept_incrementally(shared_ledger: Ledger, rows, now, batched) -> None:
    run = uuid.uuid4().hex
    name = {team: f"{team}-{run}" for team in ("org", "member-1", "member-2", "outsider")}
    shared_ledger.set_members(name["org"], [name["member-1"], name["member-2"]])
    items = []
    for index, (app, offset, total, discount, _, team, usage) in enumerate(rows):
        items.append({
            "team_id": name[team], "task_id": f"task-{index}", "app_endpoint": app, "completed_at": now - offset,
            "fees": fees(total), "discount": discount % (total + 1),
            "usage_events": [{"tier": t, "type": k, "model": m, "seconds": s} for t, k, m, s in usage],
        })
    # Some tasks in one batch, the others one at a time; a repeat of each changes nothing.
    in_batch = [item for item, flag in zip(items, batched) if flag]
    assert shared_ledger.record_tasks(in_batch) == len(in_batch)
    for item, flag in zip(items, batched):
        if not flag:
            assert shared_ledger.record_task(**item) is True
    assert shared_ledger.record_tasks(items) == 0
    for index, (*_, refund_ops, team, _usage) in enumerate(rows):
        left = items[index]["fees"]["total"]["value"] - items[index]["discount"]
        for number, (kind, pick, with_id, _retry) in enumerate(refund_ops):
            if kind == "part" and left == 0:
                continue
            amount = None if kind == "rest" else 1 + pick % left
            shared_ledger.refund(name[team], f"task-{index}", amount=amount,
                                 refund_id=f"re-{index}-{number}" if with_id else None)
            left = 0 if amount is None else left - amount
    teams = sorted(name.values())
    kept, answered = rollups(shared_ledger), answers(shared_ledger, teams, now)
    shared_ledger.rebuild_rollups()
    assert rollups(shared_ledger) == kept
    assert answers(shared_ledger, teams, now) == answered


def test_breakdown_reads_whole_buckets_and_the_records_at_the_edges(ledger: Ledger) -> None:
    # Tasks in the last partial minute, the last hours of the window's day, and
    # at the first instant of a 1d window: each counted once, in its bucket.
    now = utc(2026, 6, 4, 12, 34, 56)
    times = [utc(2026, 6, 4, 12, 34, 10), utc(2026, 6, 4, 12, 33, 59), utc(2026, 6, 4, 11), utc(2026, 6, 3, 12),
             utc(2026, 6, 3, 11, 59, 59), now, now + timedelta(microseconds=1)]
    for number, at in enumerate(times):
        ledger.record_task("team-a", f"task-{number}", "acme/x", at, fees(10 ** number))
    answer = ledger.breakdown("team-a", "1d", now=now)
    assert answer["total_cost"] == 1 + 10 + 100 + 1000 + 100000
    assert [point["per_app"] for point in answer["timeseries"]][0] == {"acme/x": 1000}
    assert answer["timeseries"][-1]["per_app"] == {"acme/x": 1 + 10 + 100000}
    assert answer["trend_percent"] == round((101111 - 10000) * 100 / 10000, 2)
    hour = ledger.breakdown("team-a", "1h", now=now)
    assert [point["per_app"] for point in hour["timeseries"] if point["per_app"]] == [
        {"acme/x": 10}, {"acme/x": 1 + 100000},
    ]


def test_a_rebuild_repairs_rollups_changed_by_hand(ledger: Ledger) -> None:
    ledger.record_task("team-a", "task-1", "acme/x", BASE - timedelta(days=2), fees(700),
                       [{"tier": "cloud", "type": "gpu", "model": "m", "seconds": 4}])
    ledger.refund("team-a", "task-1", amount=100)
    before = (ledger.breakdown("team-a", "7d", now=BASE), ledger.summary("team-a"))
    with ledger._db.transaction(write=True) as tx:  # noqa: SLF001 - damage on purpose
        tx.change("DELETE FROM celprice_rollups", ())
        tx.change("UPDATE celprice_usage_rollups SET micros = 1", ())
    assert ledger.breakdown("team-a", "7d", now=BASE)["total_cost"] == 0
    ledger.rebuild_rollups()
    assert (ledger.breakdown("team-a", "7d", now=BASE), ledger.summary("team-a")) == before
    assert before[0]["total_cost"] == 600 and before[1]["total_usage"] == 4


V2_TASKS = [
    # team, task, app, completed_at, day, four fees, total, discount, refunded_amount, refunded
    ("team-a", "task-1", "acme/x", 1780563600 * 10**6, 1780563600 // 86400, 0, 0, 0, 0, 900, 100, 300, 0),
    ("team-a", "task-2", "acme/y", 1780567200 * 10**6, 1780567200 // 86400, 0, 0, 0, 0, 500, 0, 500, 1),
    ("team-a", "task-3", "acme/y", -86400 * 10**6 - 1, -2, 0, 0, 0, 0, 70, 0, 0, 0),  # before 1970
]
V2_EVENTS = [
    ("team-a", "task-1", 0, "cloud", "gpu", "sdxl", 2_000_000),
    ("team-a", "task-2", 0, "cloud", "gpu", "sdxl", 9_000_000),
]


def test_a_version_2_ledger_gets_its_rollups_when_it_upgrades(shared_url: str) -> None:
    db = open_backend(shared_url)
    try:
        upgrade(db, STEPS[:2])
    finally:
        db.close()
    run_sql(shared_url, [], [
        ("INSERT INTO celprice_tasks (team_id, task_id, app_endpoint, completed_at, completed_day, resource_fee, "
         "inference_fee, royalty_fee, partner_fee, total, discount, refunded_amount, refunded) "
         "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", V2_TASKS),
        ("INSERT INTO celprice_usage VALUES (?, ?, ?, ?, ?, ?, ?)", V2_EVENTS),
    ])
    with Ledger(shared_url) as ledger:
        assert query(shared_url, f"SELECT version FROM {VERSION_TABLE}") == [(LATEST,)]
        answer = ledger.breakdown("team-a", "1d", now=utc(2026, 6, 4, 12))
        assert answer["per_model"] == [{"app_endpoint": "acme/x", "call_count": 1, "cost": 500}]
        assert ledger.summary("team-a")["tier_usage"] == {"cloud": 2}
        old = ledger.breakdown("team-a", "1d", now=utc(1969, 12, 31))
        assert old["per_model"] == [{"app_endpoint": "acme/y", "call_count": 1, "cost": 70}]
        assert old["timeseries"][-1]["date"] == "1969-12-31T00:00:00Z" and not old["timeseries"][-1]["per_app"]
        kept = rollups(ledger)
        ledger.rebuild_rollups()
        assert rollups(ledger) == kept
