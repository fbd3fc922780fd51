"""pytest-benchmark: Ledger.breakdown over 1,000,000 records of one team on SQLite
(the fixture builds the file once, through record_tasks, about two minutes),
and record_tasks itself. Details, larger ledgers and PostgreSQL: ledger_breakdown.py."""
from __future__ import annotations

import pytest

from ledger_breakdown import NOW, TEAM, sqlite_ledger, tasks
from celprice.usage import RANGES, Ledger


@pytest.fixture(scope="module")
def big_ledger(tmp_path_factory):
    with sqlite_ledger(1_000_000, tmp_path_factory.mktemp("ledger")) as ledger:
        yield ledger


@pytest.mark.parametrize("range_", list(RANGES))
def test_breakdown_1m_records(benchmark, big_ledger, range_):
    answer = benchmark(big_ledger.breakdown, TEAM, range_, NOW)
    assert answer["total_cost"] > 0


def test_record_tasks_10k(benchmark):
    def setup():
        return (Ledger(), list(tasks(10_000, 30, events=True))), {}

    def ingest(ledger, items):
        assert ledger.record_tasks(items) == len(items)
        ledger.close()

    benchmark.pedantic(ingest, setup=setup, rounds=5)
