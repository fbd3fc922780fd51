"""Recording, refunding and reading back one task's cost, on both backends."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

import celprice
from celprice.usage import Ledger, LedgerError, TaskNotFound
from celprice.values import INT64_MAX

from .helpers import fees, utc

AT = utc(2026, 6, 4, 9, 30)
GPU = {"tier": "cloud", "type": "gpu", "model": "sdxl", "seconds": 12}


def test_task_cost_returns_the_charged_components(ledger: Ledger) -> None:
    assert ledger.record_task("team-a", "task-1", "acme/upscaler", AT, fees(1000, 100, 200, 300, 400), [GPU])
    assert ledger.task_cost("team-a", "task-1") == {
        "task_id": "task-1",
        "resource_fee": 100,
        "inference_fee": 200,
        "royalty_fee": 300,
        "partner_fee": 400,
        "total": 1000,
        "refunded": False,
    }


def test_records_what_evaluate_pricing_returned(ledger: Ledger) -> None:
    response = celprice.evaluate_pricing(
        {
            "pricing": {"prices": {"per_image": 200000}, "inference_expression": "image_count(outputs) * prices.per_image"},
            "output_meta": {"outputs": [{"type": "image", "count": 2}]},
            "resources": [{"name": "gpu-a100", "price_per_second": 2500}],
            "usage_seconds": 45,
        }
    )
    ledger.record_task("team-a", "task-1", "acme/images", AT, response)
    cost = ledger.task_cost("team-a", "task-1")
    assert (cost["resource_fee"], cost["inference_fee"], cost["total"]) == (112500, 400000, 512500)


def test_largest_int64_fee_round_trips(ledger: Ledger) -> None:
    ledger.record_task("team-a", "task-1", "acme/x", AT, fees(INT64_MAX))
    assert ledger.task_cost("team-a", "task-1")["total"] == INT64_MAX


def test_recording_again_keeps_the_first_record_and_counts_once(ledger: Ledger) -> None:
    assert ledger.record_task("team-a", "task-1", "acme/x", AT, fees(1000), [GPU]) is True
    assert ledger.record_task("team-a", "task-1", "acme/other", AT + timedelta(days=1), fees(5), [GPU, GPU]) is False
    assert ledger.task_cost("team-a", "task-1")["total"] == 1000
    answer = ledger.breakdown("team-a", "7d", now=AT)
    assert answer["total_cost"] == 1000
    assert answer["per_model"] == [{"app_endpoint": "acme/x", "call_count": 1, "cost": 1000}]
    assert ledger.summary("team-a")["total_usage"] == 12


def test_a_failed_component_is_refused_and_nothing_is_written(ledger: Ledger) -> None:
    response = fees(1000)
    response["royalty_fee"] = {"error": "no such key: 'royalty'"}
    with pytest.raises(LedgerError, match=r"fees\.royalty_fee failed and cannot be charged: no such key: 'royalty'"):
        ledger.record_task("team-a", "task-1", "acme/x", AT, response, [GPU])
    with pytest.raises(TaskNotFound):
        ledger.task_cost("team-a", "task-1")
    assert ledger.summary("team-a")["total_usage"] == 0


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda f: f.pop("partner_fee"), r"fees\.partner_fee is missing"),
        (lambda f: f.update(total=5), r"fees\.total must be \{\"value\": microcents\}, got 5"),
        (lambda f: f.update(total={"value": "5"}), r"fees\.total\.value must be an integer number of microcents, got \"5\""),
        (lambda f: f.update(total={"value": 5.0}), r"fees\.total\.value must be an integer .* got 5\.0"),
        (lambda f: f.update(total={"value": True}), r"fees\.total\.value must be an integer .* got true"),
        (lambda f: f.update(total={"value": -1}), r"fees\.total\.value must be between 0 and 9223372036854775807 microcents, got -1"),
        (lambda f: f.update(total={"value": INT64_MAX + 1}), r"fees\.total\.value must be between 0 and"),
    ],
)
def test_bad_fees_are_refused(ledger: Ledger, change, message: str) -> None:
    response = fees(1000)
    change(response)
    with pytest.raises(LedgerError, match=message):
        ledger.record_task("team-a", "task-1", "acme/x", AT, response)
    with pytest.raises(TaskNotFound):
        ledger.task_cost("team-a", "task-1")


def test_fees_must_be_an_object(ledger: Ledger) -> None:
    with pytest.raises(LedgerError, match="fees must be the object evaluate_pricing returns, got an array"):
        ledger.record_task("team-a", "task-1", "acme/x", AT, [1, 2])  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("events", "message"),
    [
        ({"tier": "cloud"}, r"usage_events must be a list of events, got an object"),
        ([5], r"usage_events\[0\] must be an object \{tier, type, model, seconds\}, got 5"),
        ([{**GPU, "secs": 1}], r"usage_events\[0\] has unknown key 'secs' \(an event has tier, type, model, seconds\)"),
        ([GPU, {"type": "gpu", "seconds": 1}], r"usage_events\[1\]\.tier must be a string, got null"),
        ([{**GPU, "type": ""}], r"usage_events\[0\]\.type must have 1 to 1024 characters, got 0"),
        ([{**GPU, "seconds": -1}], r"usage_events\[0\]\.seconds must be between 0 and"),
        ([{**GPU, "seconds": float("nan")}], r"usage_events\[0\]\.seconds must be a number of seconds, got NaN"),
        ([{**GPU, "seconds": "12"}], r"usage_events\[0\]\.seconds must be a number of seconds, got \"12\""),
        ([{**GPU, "seconds": True}], r"usage_events\[0\]\.seconds must be a number of seconds, got true"),
        ([{**GPU, "model": 7}], r"usage_events\[0\]\.model must be a string, got 7"),
    ],
)
def test_bad_usage_events_are_refused_and_nothing_is_written(ledger: Ledger, events, message: str) -> None:
    with pytest.raises(LedgerError, match=message):
        ledger.record_task("team-a", "task-1", "acme/x", AT, fees(1000), events)
    with pytest.raises(TaskNotFound):
        ledger.task_cost("team-a", "task-1")


@pytest.mark.parametrize(
    ("when", "message"),
    [
        (datetime(2026, 6, 4, 9, 30), r"completed_at is a naive datetime \(2026-06-04T09:30:00\); give it a timezone"),
        ("2026-06-04T09:30:00Z", r"completed_at must be a timezone-aware datetime, got str"),
        (datetime(1800, 1, 1, tzinfo=timezone.utc), r"completed_at must be between 1900-01-01 and 9999-01-01"),
    ],
)
def test_completed_at_must_be_an_aware_datetime(ledger: Ledger, when, message: str) -> None:
    with pytest.raises(LedgerError, match=message):
        ledger.record_task("team-a", "task-1", "acme/x", when, fees(1000))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((7, "task-1", "acme/x"), r"team_id must be a string, got 7"),
        (("team-a", "", "acme/x"), r"task_id must have 1 to 1024 characters, got 0"),
        (("team-a", "task-1", "acme/\x00x"), r"app_endpoint must not contain NUL characters"),
        (("team-a", "t" * 1025, "acme/x"), r"task_id must have 1 to 1024 characters, got 1025"),
    ],
)
def test_identifiers_are_checked(ledger: Ledger, args, message: str) -> None:
    with pytest.raises(LedgerError, match=message):
        ledger.record_task(*args, AT, fees(1000))


def test_times_in_any_timezone_are_the_same_instant(ledger: Ledger) -> None:
    plus_two = timezone(timedelta(hours=2))
    ledger.record_task("team-a", "task-1", "acme/x", datetime(2026, 6, 4, 1, 30, tzinfo=plus_two), fees(700))
    answer = ledger.breakdown("team-a", "1d", now=utc(2026, 6, 4, 0, 0))
    # 01:30 at +02:00 is 23:30 UTC the day before: the hour bucket labelled 23:00Z.
    assert [point for point in answer["timeseries"] if point["per_app"]] == [
        {"date": "2026-06-03T23:00:00Z", "per_app": {"acme/x": 700}}
    ]


def test_refund_marks_the_task_and_removes_it_from_analytics(ledger: Ledger) -> None:
    ledger.record_task("team-a", "task-1", "acme/x", AT, fees(1000, inference=1000), [GPU])
    ledger.record_task("team-a", "task-2", "acme/x", AT, fees(300, inference=300), [{**GPU, "seconds": 3}])
    ledger.refund("team-a", "task-1")
    assert ledger.task_cost("team-a", "task-1") == {
        "task_id": "task-1",
        "resource_fee": 0,
        "inference_fee": 1000,
        "royalty_fee": 0,
        "partner_fee": 0,
        "total": 1000,
        "refunded": True,
    }
    answer = ledger.breakdown("team-a", "1d", now=AT)
    assert answer["total_cost"] == 300
    assert answer["per_model"] == [{"app_endpoint": "acme/x", "call_count": 1, "cost": 300}]
    assert ledger.summary("team-a") == {
        "tier_usage": {"cloud": 3},
        "type_usage": {"gpu": 3},
        "model_usage": {"sdxl": 3},
        "total_usage": 3,
    }


def test_refunding_twice_changes_nothing(ledger: Ledger) -> None:
    ledger.record_task("team-a", "task-1", "acme/x", AT, fees(1000))
    ledger.refund("team-a", "task-1")
    ledger.refund("team-a", "task-1")
    assert ledger.task_cost("team-a", "task-1")["refunded"] is True


def test_refund_of_an_unknown_task_is_not_found(ledger: Ledger) -> None:
    with pytest.raises(TaskNotFound, match=r"no task 'task-9' recorded for team 'team-a'"):
        ledger.refund("team-a", "task-9")


def test_a_refunded_task_is_not_recorded_again(ledger: Ledger) -> None:
    ledger.record_task("team-a", "task-1", "acme/x", AT, fees(1000))
    ledger.refund("team-a", "task-1")
    assert ledger.record_task("team-a", "task-1", "acme/x", AT, fees(1000)) is False
    assert ledger.task_cost("team-a", "task-1")["refunded"] is True
    assert ledger.breakdown("team-a", "1d", now=AT)["total_cost"] == 0


def test_teams_are_isolated(ledger: Ledger) -> None:
    # The same task id in two teams is two tasks.
    ledger.record_task("team-a", "task-1", "acme/x", AT, fees(1000), [GPU])
    ledger.record_task("team-b", "task-1", "acme/y", AT, fees(7), [{**GPU, "tier": "private", "seconds": 1}])
    ledger.record_task("team-b", "task-2", "acme/y", AT, fees(9))
    assert ledger.task_cost("team-a", "task-1")["total"] == 1000
    assert ledger.task_cost("team-b", "task-1")["total"] == 7
    with pytest.raises(TaskNotFound):
        ledger.task_cost("team-a", "task-2")
    with pytest.raises(TaskNotFound):
        ledger.refund("team-a", "task-2")
    assert ledger.task_cost("team-b", "task-2")["refunded"] is False

    a = ledger.breakdown("team-a", "1d", now=AT)
    assert (a["models"], a["total_cost"]) == (["acme/x"], 1000)
    b = ledger.breakdown("team-b", "1d", now=AT)
    assert (b["models"], b["total_cost"]) == (["acme/y"], 16)
    assert ledger.summary("team-a")["tier_usage"] == {"cloud": 12}
    assert ledger.summary("team-b")["tier_usage"] == {"private": 1}
    nobody = ledger.breakdown("team-c", "1d", now=AT)
    assert (nobody["models"], nobody["total_cost"]) == ([], 0)
