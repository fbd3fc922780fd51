"""Ledger.record_tasks on both backends: the same ledger as record_task one
task at a time, idempotent per task, all or nothing on a bad item."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from types import MappingProxyType
from typing import Any

import pytest

from celprice.usage import Ledger, LedgerError, TaskNotFound
from celprice.usage import ledger as ledger_module
from celprice.values import INT64_MAX

from .helpers import fees, utc

NOW = utc(2026, 6, 4, 12)


def item(team: str, number: int, **extra: Any) -> dict[str, Any]:
    task = {
        "team_id": team, "task_id": f"task-{number}", "app_endpoint": f"acme/app-{number % 3}",
        "completed_at": utc(2026, 6, 4, number % 12, number % 60), "fees": fees(1000 + number, inference=number),
        "usage_events": [{"tier": "cloud", "type": "gpu", "model": f"m{number % 2}", "seconds": number / 4}],
    }
    task.update(extra)
    return task


def everything(ledger: Ledger, team: str, tasks: int) -> list[Any]:
    out: list[Any] = [ledger.summary(team)]
    out += [ledger.breakdown(team, range_, now=NOW) for range_ in ("1h", "1d", "7d")]
    out += [{**ledger.task_cost(team, f"task-{n}"), "task_id": None} for n in range(tasks)]
    return out


def test_a_batch_records_what_record_task_records_one_at_a_time(ledger: Ledger) -> None:
    tasks = [item("team-b", n, discount=n % 5) for n in range(40)]
    assert ledger.record_tasks(tasks) == 40
    for task in tasks:
        assert ledger.record_task(**{**task, "team_id": "team-1"}) is True
    assert everything(ledger, "team-b", 40) == everything(ledger, "team-1", 40)
    assert ledger.breakdown("team-b", "1d", now=NOW)["total_cost"] == sum(1000 + n - n % 5 for n in range(40))


def test_tasks_already_recorded_or_repeated_in_the_batch_count_once(ledger: Ledger) -> None:
    ledger.record_task(**item("team-a", 0))
    batch = [item("team-a", 0, fees=fees(1)), item("team-a", 1), item("team-a", 1, fees=fees(2)), item("team-a", 2)]
    assert ledger.record_tasks(batch) == 2
    assert ledger.record_tasks(batch) == 0
    # The first record stands, as with record_task.
    assert [ledger.task_cost("team-a", f"task-{n}")["total"] for n in range(3)] == [1000, 1001, 1002]
    answer = ledger.breakdown("team-a", "1d", now=NOW)
    assert (answer["total_cost"], sum(row["call_count"] for row in answer["per_model"])) == (3003, 3)
    assert ledger.summary("team-a")["tier_usage"] == {"cloud": 0.75}


def test_the_same_task_id_in_two_teams_is_two_tasks(ledger: Ledger) -> None:
    assert ledger.record_tasks([item("team-a", 0), item("team-b", 0)]) == 2


def test_a_generator_and_an_empty_batch(ledger: Ledger) -> None:
    assert ledger.record_tasks(item("team-a", n) for n in range(5)) == 5
    assert ledger.record_tasks([]) == 0


@pytest.mark.parametrize("bad, message", [
    ({"fees": fees(10) | {"total": {"error": "boom"}}}, r"tasks\[2\]: fees.total failed and cannot be charged: boom"),
    ({"discount": 2000}, r"tasks\[2\]: discount must be between 0 and the task's total \(1002 microcents\)"),
    ({"usage_events": [{"tier": "cloud", "type": "gpu", "secs": 1}]}, r"tasks\[2\]: usage_events\[0\] has unknown key"),
    ({"completd_at": NOW}, r"tasks\[2\] has unknown key 'completd_at' \(a task has team_id, task_id, "),
    ({"team_id": 7}, r"tasks\[2\]: team_id must be a string, got 7"),
])
def test_a_bad_item_is_named_and_nothing_of_the_batch_is_written(ledger: Ledger, bad, message) -> None:
    batch = [item("team-a", 0), item("team-a", 1), item("team-a", 2, **bad), item("team-a", 3)]
    with pytest.raises(LedgerError, match=message):
        ledger.record_tasks(batch)
    with pytest.raises(TaskNotFound):
        ledger.task_cost("team-a", "task-0")
    assert ledger.breakdown("team-a", "1d", now=NOW)["total_cost"] == 0


def test_a_missing_argument_and_an_item_that_is_no_mapping(ledger: Ledger) -> None:
    missing = item("team-a", 1)
    del missing["completed_at"]
    with pytest.raises(LedgerError, match=r"tasks\[1\] is missing 'completed_at'"):
        ledger.record_tasks([item("team-a", 0), missing])
    with pytest.raises(LedgerError, match=r"tasks\[0\] must be a mapping of record_task's arguments, got an array"):
        ledger.record_tasks([["team-a"]])
    with pytest.raises(LedgerError, match="tasks must be a list of record_task arguments"):
        ledger.record_tasks(item("team-a", 0))


def test_a_bad_item_after_written_chunks_still_writes_nothing(ledger: Ledger, monkeypatch) -> None:
    monkeypatch.setattr(ledger_module, "_BATCH_CHUNK", 3)

    def tasks() -> Iterator[dict[str, Any]]:
        yield from (item("team-a", n) for n in range(10))
        yield item("team-a", 10, fees={})

    with pytest.raises(LedgerError, match=r"tasks\[10\]: fees.resource_fee is missing"):
        ledger.record_tasks(tasks())
    assert ledger.breakdown("team-a", "1d", now=NOW)["total_cost"] == 0
    assert ledger.record_tasks(item("team-a", n) for n in range(10)) == 10
    assert ledger.summary("team-a")["total_usage"] == round(sum(n / 4 for n in range(10)))


def test_batches_from_two_ledgers_on_one_database(open_ledger) -> None:
    first, second = open_ledger(), open_ledger()
    assert first.record_tasks([item("team-a", n) for n in range(0, 6)]) == 6
    assert second.record_tasks([item("team-a", n) for n in range(3, 9)]) == 3
    assert first.breakdown("team-a", "1d", now=NOW)["total_cost"] == sum(1000 + n for n in range(9))


def _event(**change: Any) -> list[dict[str, Any]]:
    return [{"tier": "cloud", "type": "gpu", "model": "m", "seconds": 3} | change]


# Items at the edges of what record_tasks checks in one pass (plain dicts,
# UTC datetimes, int seconds) and what it leaves to record_task's checks.
_EDGES: dict[str, dict[str, Any]] = {
    "naive time": {"completed_at": datetime(2026, 6, 4, 10)},
    "another offset": {"completed_at": datetime(2026, 6, 4, 10, tzinfo=timezone(timedelta(hours=2)))},
    "before 1900": {"completed_at": utc(1899, 12, 31)},
    "float seconds": {"usage_events": _event(seconds=0.5)},
    "bool seconds": {"usage_events": _event(seconds=True)},
    "negative seconds": {"usage_events": _event(seconds=-1)},
    "seconds past int64": {"usage_events": _event(seconds=INT64_MAX // 1_000_000 + 1)},
    "no model": {"usage_events": _event(model=None)},
    "empty model": {"usage_events": _event(model="")},
    "NUL in a tier": {"usage_events": _event(tier="a\x00b")},
    "events as a tuple": {"usage_events": tuple(_event())},
    "events from a generator": {"usage_events": "a generator"},
    "an event as a mapping proxy": {"usage_events": [MappingProxyType(_event()[0])]},
    "bool discount": {"discount": True},
    "negative discount": {"discount": -1},
    "discount of the total": {"discount": 1002},
    "longest id": {"task_id": "t" * 1024},
    "id too long": {"task_id": "t" * 1025},
    "empty app": {"app_endpoint": ""},
    "bool fee": {"fees": fees(1002) | {"inference_fee": {"value": True}}},
    "fee past int64": {"fees": fees(1002) | {"partner_fee": {"value": INT64_MAX + 1}}},
    "fees as a mapping proxy": {"fees": MappingProxyType(fees(1002))},
    "a fee as a mapping proxy": {"fees": fees(1002) | {"total": MappingProxyType({"value": 1002})}},
}


def _outcome(call: Any) -> Any:
    try:
        return call()
    except LedgerError as exc:
        return str(exc).split(": ", 1)[-1] if str(exc).startswith("tasks[") else str(exc)


@pytest.mark.parametrize("edge", list(_EDGES))
def test_a_batch_accepts_and_refuses_what_record_task_does(ledger: Ledger, edge: str) -> None:
    def edge_item(team: str) -> dict[str, Any]:
        task = item(team, 2, **_EDGES[edge])
        if task["usage_events"] == "a generator":
            task["usage_events"] = (event for event in _event())
        return task

    one = edge_item("team-one")
    alone = _outcome(lambda: ledger.record_task(**one))
    again = edge_item("team-batch")
    batched = _outcome(lambda: ledger.record_tasks([again]))
    assert batched == (1 if alone is True else alone)
    if alone is True:
        assert ledger.task_cost("team-batch", again["task_id"]) == ledger.task_cost("team-one", one["task_id"])
        assert ledger.summary("team-batch") == ledger.summary("team-one")
        assert ledger.breakdown("team-batch", "90d", now=NOW) == ledger.breakdown("team-one", "90d", now=NOW)


def test_a_batch_that_would_carry_a_rollup_past_int64_writes_nothing(ledger: Ledger) -> None:
    at = utc(2026, 6, 4, 10)
    two = [{"team_id": "team-a", "task_id": f"task-{n}", "app_endpoint": "acme/x", "completed_at": at + timedelta(seconds=n),
            "fees": fees(INT64_MAX)} for n in (1, 2)]
    with pytest.raises(LedgerError, match="overflows int64"):
        ledger.record_tasks(two)  # the batch's own two tasks share every bucket
    assert ledger.record_tasks(two[:1]) == 1
    with pytest.raises(LedgerError, match="overflows int64"):
        ledger.record_tasks(two[1:])  # the bucket already holds INT64_MAX
    answer = ledger.breakdown("team-a", "1d", now=utc(2026, 6, 4, 12))
    assert answer["per_model"] == [{"app_endpoint": "acme/x", "call_count": 1, "cost": INT64_MAX}]
