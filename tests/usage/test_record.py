"""Recording, refunding and reading back one task's cost, on both backends."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

import celprice
from celprice.usage import Forbidden, Ledger, LedgerError, TaskNotFound
from celprice.values import INT64_MAX

from .helpers import fees, utc

DOCUMENTED_COST = ("total", "discount", "charged", "refunded")  # D4, in its order

AT = utc(2026, 6, 4, 9, 30)
GPU = {"tier": "cloud", "type": "gpu", "model": "sdxl", "seconds": 12}


def test_task_cost_has_the_documented_fields_then_the_components(ledger: Ledger) -> None:
    assert ledger.record_task("team-a", "task-1", "acme/upscaler", AT, fees(1000, 100, 200, 300, 400), [GPU])
    cost = ledger.task_cost("team-a", "task-1")
    assert cost == {
        "total": 1000,
        "charged": 1000,
        # beyond the documented response
        "task_id": "task-1",
        "app_endpoint": "acme/upscaler",
        "resource_fee": 100,
        "inference_fee": 200,
        "royalty_fee": 300,
        "partner_fee": 400,
    }
    assert list(cost)[:2] == ["total", "charged"]


def test_the_documented_task_cost_example(ledger: Ledger) -> None:
    # D4's example response: no discount and no refund, so both are omitted.
    ledger.record_task("team-a", "task_abc123", "infsh/echo", AT, fees(50000, inference=50000))
    cost = ledger.task_cost("team-a", "task_abc123")
    assert {key: cost[key] for key in DOCUMENTED_COST if key in cost} == {"total": 50000, "charged": 50000}


def test_a_discount_is_taken_off_the_charge(ledger: Ledger) -> None:
    ledger.record_task("team-a", "task-1", "acme/x", AT, fees(1000, inference=1000), [GPU], discount=250)
    cost = ledger.task_cost("team-a", "task-1")
    assert {key: cost[key] for key in DOCUMENTED_COST if key in cost} == {"total": 1000, "discount": 250, "charged": 750}
    assert list(cost)[:3] == ["total", "discount", "charged"]
    assert ledger.breakdown("team-a", "1d", now=AT)["total_cost"] == 750
    ledger.record_task("team-a", "task-2", "acme/x", AT, fees(1000, inference=1000), discount=1000)
    free = ledger.task_cost("team-a", "task-2")
    assert (free["discount"], free["charged"]) == (1000, 0)
    answer = ledger.breakdown("team-a", "1d", now=AT)
    assert answer["per_model"] == [{"app_endpoint": "acme/x", "call_count": 2, "cost": 750}]


@pytest.mark.parametrize(
    ("discount", "message"),
    [
        (1001, r"discount must be between 0 and the task's total \(1000 microcents\), got 1001"),
        (-1, r"discount must be between 0 and the task's total \(1000 microcents\), got -1"),
        (2.5, r"discount must be an integer number of microcents, got 2\.5"),
        (True, r"discount must be an integer number of microcents, got true"),
        ("5", r"discount must be an integer number of microcents, got \"5\""),
    ],
)
def test_bad_discounts_are_refused_and_nothing_is_written(ledger: Ledger, discount, message: str) -> None:
    with pytest.raises(LedgerError, match=message):
        ledger.record_task("team-a", "task-1", "acme/x", AT, fees(1000), [GPU], discount=discount)
    with pytest.raises(TaskNotFound):
        ledger.task_cost("team-a", "task-1")


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
    assert (cost["resource_fee"], cost["inference_fee"], cost["total"], cost["charged"]) == (112500, 400000, 512500, 512500)


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


def test_a_full_refund_removes_the_task_from_analytics(ledger: Ledger) -> None:
    ledger.record_task("team-a", "task-1", "acme/x", AT, fees(1000, inference=1000), [GPU])
    ledger.record_task("team-a", "task-2", "acme/x", AT, fees(300, inference=300), [{**GPU, "seconds": 3}])
    ledger.refund("team-a", "task-1")
    cost = ledger.task_cost("team-a", "task-1")
    assert {key: cost[key] for key in DOCUMENTED_COST if key in cost} == {"total": 1000, "charged": 1000, "refunded": 1000}
    answer = ledger.breakdown("team-a", "1d", now=AT)
    assert answer["total_cost"] == 300
    assert answer["per_model"] == [{"app_endpoint": "acme/x", "call_count": 1, "cost": 300}]
    assert ledger.summary("team-a") == {
        "tier_usage": {"cloud": 3},
        "type_usage": {"gpu": 3},
        "model_usage": {"sdxl": 3},
        "total_usage": 3,
    }


def test_partial_refunds_add_up_to_at_most_the_charge(ledger: Ledger) -> None:
    ledger.record_task("team-a", "task-1", "acme/x", AT, fees(1000), [GPU], discount=100)
    ledger.refund("team-a", "task-1", amount=200, refund_id="re-1")
    ledger.refund("team-a", "task-1", amount=300)
    cost = ledger.task_cost("team-a", "task-1")
    assert {key: cost[key] for key in DOCUMENTED_COST if key in cost} == {
        "total": 1000, "discount": 100, "charged": 900, "refunded": 500,
    }
    assert list(cost)[:4] == list(DOCUMENTED_COST)
    # Net of refunds in the breakdown; its usage still counts, as it is not refunded in full.
    answer = ledger.breakdown("team-a", "1d", now=AT)
    assert answer["per_model"] == [{"app_endpoint": "acme/x", "call_count": 1, "cost": 400}]
    assert ledger.summary("team-a")["total_usage"] == 12
    with pytest.raises(LedgerError, match=r"a refund of 401 microcents exceeds what is left to refund of "
                                          r"task 'task-1': 400 of the 900 it charged"):
        ledger.refund("team-a", "task-1", amount=401)
    ledger.refund("team-a", "task-1", amount=400)  # exactly the rest: refunded in full
    assert ledger.task_cost("team-a", "task-1")["refunded"] == 900
    assert ledger.breakdown("team-a", "1d", now=AT)["per_model"] == []
    assert ledger.summary("team-a")["total_usage"] == 0
    with pytest.raises(LedgerError, match=r"a refund of 1 microcents exceeds .* 0 of the 900"):
        ledger.refund("team-a", "task-1", amount=1)
    ledger.refund("team-a", "task-1")  # a full refund again: nothing to do
    assert ledger.task_cost("team-a", "task-1")["refunded"] == 900


def test_the_rest_of_a_partly_refunded_charge(ledger: Ledger) -> None:
    ledger.record_task("team-a", "task-1", "acme/x", AT, fees(1000), [GPU])
    ledger.refund("team-a", "task-1", amount=250)
    ledger.refund("team-a", "task-1", refund_id="re-rest")
    assert ledger.task_cost("team-a", "task-1")["refunded"] == 1000
    assert ledger.summary("team-a")["total_usage"] == 0


def test_a_refund_id_applies_once(ledger: Ledger) -> None:
    ledger.record_task("team-a", "task-1", "acme/x", AT, fees(1000))
    ledger.record_task("team-a", "task-2", "acme/x", AT, fees(1000))
    for _ in range(3):
        ledger.refund("team-a", "task-1", amount=100, refund_id="re-1")
    ledger.refund("team-a", "task-1", refund_id="re-1")  # None: "the same refund, whatever it was"
    assert ledger.task_cost("team-a", "task-1")["refunded"] == 100
    with pytest.raises(LedgerError, match=r"refund_id 're-1' refunded 100 microcents, not 150; "
                                          r"a new refund needs a new refund_id"):
        ledger.refund("team-a", "task-1", amount=150, refund_id="re-1")
    with pytest.raises(LedgerError, match=r"refund_id 're-1' was used for task 'task-1', not 'task-2'"):
        ledger.refund("team-a", "task-2", amount=100, refund_id="re-1")
    # A full refund with an id, repeated after it emptied the charge, is still the same refund.
    ledger.refund("team-a", "task-2", refund_id="re-2")
    ledger.refund("team-a", "task-2", refund_id="re-2")
    assert ledger.task_cost("team-a", "task-2")["refunded"] == 1000
    # Refund ids are a team's own: another team may use the same one.
    ledger.record_task("team-b", "task-1", "acme/x", AT, fees(10))
    ledger.refund("team-b", "task-1", amount=5, refund_id="re-1")
    assert ledger.task_cost("team-b", "task-1")["refunded"] == 5


def test_refunding_a_free_task_in_full(ledger: Ledger) -> None:
    ledger.record_task("team-a", "task-1", "acme/x", AT, fees(0), [GPU])
    ledger.refund("team-a", "task-1")
    assert "refunded" not in ledger.task_cost("team-a", "task-1")  # an amount of 0 is omitted
    assert ledger.breakdown("team-a", "1d", now=AT)["per_model"] == []
    assert ledger.summary("team-a")["total_usage"] == 0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"amount": 0}, r"amount must be between 1 and 9223372036854775807 microcents, got 0"),
        ({"amount": -5}, r"amount must be between 1 and .* got -5"),
        ({"amount": 1.0}, r"amount must be an integer number of microcents, got 1\.0"),
        ({"amount": True}, r"amount must be an integer number of microcents, got true"),
        ({"refund_id": ""}, r"refund_id must have 1 to 1024 characters, got 0"),
        ({"refund_id": 7}, r"refund_id must be a string, got 7"),
    ],
)
def test_bad_refunds_are_refused_and_nothing_is_written(ledger: Ledger, kwargs, message: str) -> None:
    ledger.record_task("team-a", "task-1", "acme/x", AT, fees(1000))
    with pytest.raises(LedgerError, match=message):
        ledger.refund("team-a", "task-1", **kwargs)
    assert "refunded" not in ledger.task_cost("team-a", "task-1")


def test_a_refund_that_fails_writes_nothing(ledger: Ledger) -> None:
    ledger.record_task("team-a", "task-1", "acme/x", AT, fees(1000))
    with pytest.raises(LedgerError, match="exceeds"):
        ledger.refund("team-a", "task-1", amount=1001, refund_id="re-1")
    ledger.refund("team-a", "task-1", amount=10, refund_id="re-1")  # the id was not taken
    assert ledger.task_cost("team-a", "task-1")["refunded"] == 10


def test_refund_of_an_unknown_task_is_not_found(ledger: Ledger) -> None:
    with pytest.raises(TaskNotFound, match=r"no task 'task-9' recorded for team 'team-a'"):
        ledger.refund("team-a", "task-9")


def test_a_refunded_task_is_not_recorded_again(ledger: Ledger) -> None:
    ledger.record_task("team-a", "task-1", "acme/x", AT, fees(1000))
    ledger.refund("team-a", "task-1")
    assert ledger.record_task("team-a", "task-1", "acme/x", AT, fees(1000)) is False
    assert ledger.task_cost("team-a", "task-1")["refunded"] == 1000
    assert ledger.breakdown("team-a", "1d", now=AT)["total_cost"] == 0


def test_another_teams_task_is_not_found_like_a_task_nobody_recorded(ledger: Ledger) -> None:
    # A key of team-a must not learn that some other team has a task id: the
    # answer for team-b's task is exactly the answer for an id nobody used.
    ledger.record_task("team-b", "task-2", "acme/y", AT, fees(9))
    with pytest.raises(TaskNotFound) as elsewhere:
        ledger.task_cost("team-a", "task-2")
    with pytest.raises(TaskNotFound) as nowhere:
        ledger.task_cost("team-a", "task-3")
    assert isinstance(elsewhere.value, LookupError) and not isinstance(elsewhere.value, Forbidden)
    assert str(elsewhere.value) == str(nowhere.value).replace("task-3", "task-2")
    with pytest.raises(TaskNotFound):
        ledger.refund("team-a", "task-2")
    assert "refunded" not in ledger.task_cost("team-b", "task-2")


def test_teams_are_isolated(ledger: Ledger) -> None:
    # The same task id in two teams is two tasks.
    ledger.record_task("team-a", "task-1", "acme/x", AT, fees(1000), [GPU])
    ledger.record_task("team-b", "task-1", "acme/y", AT, fees(7), [{**GPU, "tier": "private", "seconds": 1}])
    ledger.record_task("team-b", "task-2", "acme/y", AT, fees(9))
    assert ledger.task_cost("team-a", "task-1")["total"] == 1000
    assert ledger.task_cost("team-b", "task-1")["total"] == 7
    ledger.refund("team-a", "task-1", amount=1)  # refunds team-a's task-1, not team-b's
    assert "refunded" not in ledger.task_cost("team-b", "task-1")

    a = ledger.breakdown("team-a", "1d", now=AT)
    assert (a["models"], a["total_cost"]) == (["acme/x"], 999)
    b = ledger.breakdown("team-b", "1d", now=AT)
    assert (b["models"], b["total_cost"]) == (["acme/y"], 16)
    assert ledger.summary("team-a")["tier_usage"] == {"cloud": 12}
    assert ledger.summary("team-b")["tier_usage"] == {"private": 1}
    nobody = ledger.breakdown("team-c", "1d", now=AT)
    assert (nobody["models"], nobody["total_cost"]) == ([], 0)


@pytest.mark.parametrize(
    "field,args",
    [
        ("team_id", ("team-\ud800", "task-1", "acme/upscaler")),
        ("task_id", ("team-a", "task-\udfff", "acme/upscaler")),
        ("app_endpoint", ("team-a", "task-1", "acme/up\ud83dscaler")),
    ],
)
def test_lone_surrogates_in_ids_are_ledger_errors(ledger: Ledger, field: str, args: tuple) -> None:
    # JSON "\ud800" decodes to a lone surrogate, which UTF-8 cannot encode: the
    # driver would raise UnicodeEncodeError.
    with pytest.raises(LedgerError, match=field):
        ledger.record_task(*args, AT, fees(1000, 1000))
    with pytest.raises(LedgerError, match="team_id"):
        ledger.summary("team-\ud800")
    assert ledger.record_task("team-a", "task-é", "acme/upscaler", AT, fees(1000, 1000))
