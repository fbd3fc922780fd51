"""`/usage/breakdown` on both backends, against hand-computed windows."""
from __future__ import annotations

import itertools
import json
from datetime import datetime, timedelta, timezone

import pytest

from celprice.usage import Ledger, LedgerError
from celprice.values import INT64_MAX

from .helpers import fees, utc

US = timedelta(microseconds=1)
NOW = utc(2026, 6, 4, 12, 34, 56)


_TASK_IDS = itertools.count(1)


def record(ledger: Ledger, when: datetime, total: int, app: str = "acme/x") -> None:
    ledger.record_task("team-a", f"task-{next(_TASK_IDS)}", app, when, fees(total))


def dates(answer: dict) -> list[str]:
    return [point["date"] for point in answer["timeseries"]]


def spent(answer: dict) -> dict[str, dict[str, int]]:
    """The non-empty buckets."""
    return {point["date"]: point["per_app"] for point in answer["timeseries"] if point["per_app"]}


@pytest.mark.parametrize(
    ("range_", "start", "count", "first", "second", "last"),
    [
        # now - 1h = 11:34:56, down to the minute; 11:34 ... 12:34 is 61 minutes.
        ("1h", "2026-06-04T11:34:00Z", 61, "2026-06-04T11:34:00Z", "2026-06-04T11:35:00Z", "2026-06-04T12:34:00Z"),
        # now - 1d = 06-03 12:34:56, down to the hour; 06-03 12:00 ... 06-04 12:00 is 25 hours.
        ("1d", "2026-06-03T12:00:00Z", 25, "2026-06-03T12:00:00Z", "2026-06-03T13:00:00Z", "2026-06-04T12:00:00Z"),
        ("7d", "2026-05-28T00:00:00Z", 8, "2026-05-28", "2026-05-29", "2026-06-04"),
        # now - 30d = 05-05; 05-05 ... 06-04 is 31 days.
        ("30d", "2026-05-05T00:00:00Z", 31, "2026-05-05", "2026-05-06", "2026-06-04"),
        # now - 90d = 03-06 (June 4 - 30 = May 5, - 30 = April 5, - 30 = March 6); 91 days.
        ("90d", "2026-03-06T00:00:00Z", 91, "2026-03-06", "2026-03-07", "2026-06-04"),
    ],
)
def test_every_range_has_its_window_and_buckets(ledger: Ledger, range_, start, count, first, second, last) -> None:
    answer = ledger.breakdown("team-a", range_, now=NOW)
    assert answer["period_start"] == start
    assert answer["period_end"] == "2026-06-04T12:34:56Z"
    labels = dates(answer)
    assert (len(labels), labels[0], labels[1], labels[-1]) == (count, first, second, last)
    assert len(set(labels)) == count and labels == sorted(labels)


def test_the_documented_seven_day_example(ledger: Ledger) -> None:
    now = utc(2026, 6, 4, 12)
    record(ledger, utc(2026, 5, 28), 100)  # exactly period_start: first bucket
    record(ledger, utc(2026, 5, 30, 18), 7, app="zeta/video")
    record(ledger, now, 20)  # exactly period_end: last bucket
    record(ledger, now + US, 1000)  # after now: nowhere
    # The previous window lasts 7.5 days too: [05-20 12:00, 05-28 00:00).
    record(ledger, utc(2026, 5, 28) - US, 40)
    record(ledger, utc(2026, 5, 20, 12), 10)
    record(ledger, utc(2026, 5, 20, 12) - US, 5000)  # before the previous window
    answer = ledger.breakdown("team-a", "7d", now=now)
    assert answer == {
        "timeseries": [
            {"date": "2026-05-28", "per_app": {"acme/x": 100}},
            {"date": "2026-05-29", "per_app": {}},
            {"date": "2026-05-30", "per_app": {"zeta/video": 7}},
            {"date": "2026-05-31", "per_app": {}},
            {"date": "2026-06-01", "per_app": {}},
            {"date": "2026-06-02", "per_app": {}},
            {"date": "2026-06-03", "per_app": {}},
            {"date": "2026-06-04", "per_app": {"acme/x": 20}},
        ],
        "per_model": [
            {"app_endpoint": "acme/x", "call_count": 2, "cost": 120},
            {"app_endpoint": "zeta/video", "call_count": 1, "cost": 7},
        ],
        "models": ["acme/x", "zeta/video"],
        "total_cost": 127,
        "period_start": "2026-05-28T00:00:00Z",
        "period_end": "2026-06-04T12:00:00Z",
        # (127 - 50) / 50 = 154%
        "trend_percent": 154.0,
        "per_team": [],  # a team's breakdown, not an organisation's
    }
    assert json.loads(json.dumps(answer)) == answer


def test_minute_buckets_are_half_open(ledger: Ledger) -> None:
    record(ledger, utc(2026, 6, 4, 11, 34), 1)  # the window's start
    record(ledger, utc(2026, 6, 4, 11, 35) - US, 2)  # still the first minute
    record(ledger, utc(2026, 6, 4, 11, 35), 4)  # the second minute
    record(ledger, utc(2026, 6, 4, 11, 34) - US, 8)  # before the window
    record(ledger, NOW, 16)  # now, in the last (partial) minute
    answer = ledger.breakdown("team-a", "1h", now=NOW)
    assert spent(answer) == {
        "2026-06-04T11:34:00Z": {"acme/x": 3},
        "2026-06-04T11:35:00Z": {"acme/x": 4},
        "2026-06-04T12:34:00Z": {"acme/x": 16},
    }
    assert answer["total_cost"] == 23


def test_hour_buckets_group_by_app(ledger: Ledger) -> None:
    record(ledger, utc(2026, 6, 3, 12), 5, app="b/app")
    record(ledger, utc(2026, 6, 3, 12, 59, 59), 6, app="a/app")
    record(ledger, utc(2026, 6, 3, 13), 7, app="b/app")
    record(ledger, utc(2026, 6, 4, 12, 0), 8, app="b/app")
    answer = ledger.breakdown("team-a", "1d", now=NOW)
    assert spent(answer) == {
        "2026-06-03T12:00:00Z": {"a/app": 6, "b/app": 5},
        "2026-06-03T13:00:00Z": {"b/app": 7},
        "2026-06-04T12:00:00Z": {"b/app": 8},
    }
    assert list(spent(answer)["2026-06-03T12:00:00Z"]) == ["a/app", "b/app"]
    assert answer["per_model"] == [
        {"app_endpoint": "b/app", "call_count": 3, "cost": 20},
        {"app_endpoint": "a/app", "call_count": 1, "cost": 6},
    ]


def test_an_empty_window(ledger: Ledger) -> None:
    record(ledger, utc(2026, 1, 1), 100)  # long before
    assert ledger.breakdown("team-a", "7d", now=utc(2026, 6, 4, 12)) == {
        "timeseries": [
            {"date": "2026-05-28", "per_app": {}},
            {"date": "2026-05-29", "per_app": {}},
            {"date": "2026-05-30", "per_app": {}},
            {"date": "2026-05-31", "per_app": {}},
            {"date": "2026-06-01", "per_app": {}},
            {"date": "2026-06-02", "per_app": {}},
            {"date": "2026-06-03", "per_app": {}},
            {"date": "2026-06-04", "per_app": {}},
        ],
        "per_model": [],
        "models": [],
        "total_cost": 0,
        "period_start": "2026-05-28T00:00:00Z",
        "period_end": "2026-06-04T12:00:00Z",
        "per_team": [],
    }


def test_a_now_on_a_bucket_boundary_starts_a_bucket(ledger: Ledger) -> None:
    record(ledger, utc(2026, 6, 4), 3)
    answer = ledger.breakdown("team-a", "7d", now=utc(2026, 6, 4))
    assert answer["period_start"] == "2026-05-28T00:00:00Z"
    assert dates(answer)[-1] == "2026-06-04"
    assert len(dates(answer)) == 8
    assert spent(answer) == {"2026-06-04": {"acme/x": 3}}


@pytest.mark.parametrize(
    ("previous", "current", "trend"),
    [
        (200, 300, 50.0),
        (400, 100, -75.0),
        (3, 4, 33.33),  # 33.333...% rounded to two places
        (300, 0, -100.0),
        (5, 5, 0.0),
    ],
)
def test_trend_against_the_previous_window(ledger: Ledger, previous: int, current: int, trend: float) -> None:
    now = utc(2026, 6, 4, 12)
    record(ledger, utc(2026, 5, 25), previous)
    record(ledger, utc(2026, 6, 1), current)
    assert ledger.breakdown("team-a", "7d", now=now)["trend_percent"] == trend


def test_trend_is_omitted_when_the_previous_window_cost_nothing(ledger: Ledger) -> None:
    now = utc(2026, 6, 4, 12)
    record(ledger, utc(2026, 6, 1), 500)
    assert "trend_percent" not in ledger.breakdown("team-a", "7d", now=now)
    record(ledger, utc(2026, 5, 25), 0)  # a free task: the previous total is still 0
    assert "trend_percent" not in ledger.breakdown("team-a", "7d", now=now)


def test_a_refund_in_the_previous_window_leaves_the_trend(ledger: Ledger) -> None:
    now = utc(2026, 6, 4, 12)
    record(ledger, utc(2026, 6, 1), 500)
    ledger.record_task("team-a", "old", "acme/x", utc(2026, 5, 25), fees(250))
    assert ledger.breakdown("team-a", "7d", now=now)["trend_percent"] == 100.0
    ledger.refund("team-a", "old")
    assert "trend_percent" not in ledger.breakdown("team-a", "7d", now=now)


def test_top_ten_apps_by_cost_then_name(ledger: Ledger) -> None:
    costs = {"app-a": 10, "app-b": 50, "app-c": 50, "app-d": 5, "app-e": 40, "app-f": 30,
             "app-g": 20, "app-h": 60, "app-i": 1, "app-j": 2, "app-k": 3, "app-l": 50}
    for app, cost in costs.items():
        record(ledger, utc(2026, 6, 4, 10), cost, app=app)
    record(ledger, utc(2026, 6, 4, 11), 0, app="app-i")
    answer = ledger.breakdown("team-a", "1d", now=NOW)
    assert answer["per_model"] == [
        {"app_endpoint": "app-h", "call_count": 1, "cost": 60},
        {"app_endpoint": "app-b", "call_count": 1, "cost": 50},
        {"app_endpoint": "app-c", "call_count": 1, "cost": 50},
        {"app_endpoint": "app-l", "call_count": 1, "cost": 50},
        {"app_endpoint": "app-e", "call_count": 1, "cost": 40},
        {"app_endpoint": "app-f", "call_count": 1, "cost": 30},
        {"app_endpoint": "app-g", "call_count": 1, "cost": 20},
        {"app_endpoint": "app-a", "call_count": 1, "cost": 10},
        {"app_endpoint": "app-d", "call_count": 1, "cost": 5},
        {"app_endpoint": "app-k", "call_count": 1, "cost": 3},
    ]
    assert answer["models"] == sorted(costs)  # all twelve, not only the top ten
    assert answer["total_cost"] == 321


def test_default_range_and_now(ledger: Ledger) -> None:
    record(ledger, datetime.now(timezone.utc) - timedelta(minutes=1), 42)
    last_hour = ledger.breakdown("team-a", "1h")
    assert last_hour["total_cost"] == 42
    assert len(last_hour["timeseries"]) == 61
    for default in (ledger.breakdown("team-a"), ledger.breakdown("team-a", None)):
        assert len(default["timeseries"]) == 31  # 30d: daily buckets
        assert default["total_cost"] == 42


@pytest.mark.parametrize("bad", ["2d", "", "30D", " 7d", 7])
def test_an_unknown_range_lists_the_valid_ones(ledger: Ledger, bad) -> None:
    with pytest.raises(LedgerError, match=r"range must be one of 1h, 1d, 7d, 30d, 90d; got "):
        ledger.breakdown("team-a", bad, now=NOW)


def test_now_must_be_aware(ledger: Ledger) -> None:
    with pytest.raises(LedgerError, match="now is a naive datetime"):
        ledger.breakdown("team-a", "7d", now=datetime(2026, 6, 4))


def test_now_in_another_timezone_gives_utc_labels(ledger: Ledger) -> None:
    answer = ledger.breakdown("team-a", "1d", now=datetime(2026, 6, 4, 14, 34, 56, tzinfo=timezone(timedelta(hours=2))))
    assert (answer["period_start"], answer["period_end"]) == ("2026-06-03T12:00:00Z", "2026-06-04T12:34:56Z")


def test_fractional_seconds_show_in_period_end(ledger: Ledger) -> None:
    answer = ledger.breakdown("team-a", "1h", now=NOW + 250 * US)
    assert answer["period_end"] == "2026-06-04T12:34:56.000250Z"


def test_sums_beyond_int64_are_errors_not_wrong_numbers(ledger: Ledger) -> None:
    for app in ("acme/x", "acme/y"):
        record(ledger, utc(2026, 6, 4, 10), INT64_MAX, app=app)
    with pytest.raises(LedgerError, match="overflows int64"):
        ledger.breakdown("team-a", "1d", now=NOW)


def test_an_app_whose_bucket_would_pass_int64_is_refused_at_record(ledger: Ledger) -> None:
    # The rollups hold an app's spend per bucket: a task that would overflow
    # one is refused, and the ledger stays as it was.
    ledger.record_task("team-a", "task-1", "acme/x", utc(2026, 6, 4, 10), fees(INT64_MAX))
    with pytest.raises(LedgerError, match="overflows int64"):
        ledger.record_task("team-a", "task-2", "acme/x", utc(2026, 6, 4, 10, 30), fees(1))
    answer = ledger.breakdown("team-a", "1d", now=NOW)
    assert answer["total_cost"] == INT64_MAX
    assert answer["per_model"] == [{"app_endpoint": "acme/x", "call_count": 1, "cost": INT64_MAX}]
    with pytest.raises(LedgerError, match="no task 'task-2'"):
        ledger.task_cost("team-a", "task-2")
