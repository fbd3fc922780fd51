"""`celprice usage ...` on both backends: the commands print what the ledger
answers (JSON, or tables with --pretty), record a JSON Lines file all or
nothing, and rebuild the rollups."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from celprice.usage import Ledger

from .helpers import utc

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "usage" / "tasks.jsonl"
NOW = "2026-06-04T12:00:00Z"


def cli(*args: str, input: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "celprice", "usage", *args], capture_output=True, text=True,
                          input=input, cwd=ROOT, timeout=120)


@pytest.fixture
def recorded(shared_url: str) -> str:
    done = cli("record", "--db", shared_url, str(EXAMPLE))
    assert (done.returncode, done.stdout, done.stderr) == (0, "recorded 4 new tasks\n", "")
    return shared_url


def test_the_queries_print_what_the_ledger_answers(recorded: str) -> None:
    with Ledger(recorded) as ledger:
        for range_ in ("1d", "7d"):
            done = cli("breakdown", "--db", recorded, "--team", "team-7", "--range", range_, "--now", NOW)
            assert done.returncode == 0, done.stderr
            assert json.loads(done.stdout) == ledger.breakdown("team-7", range_, now=utc(2026, 6, 4, 12))
        summary = cli("summary", "--db", recorded, "--team", "team-7")
        assert json.loads(summary.stdout) == ledger.summary("team-7")
        cost = cli("task-cost", "--db", recorded, "--team", "team-7", "task-103")
        assert json.loads(cost.stdout) == ledger.task_cost("team-7", "task-103")


def test_pretty_tables(recorded: str) -> None:
    done = cli("breakdown", "--db", recorded, "--team", "team-7", "--range", "7d", "--now", NOW, "--pretty")
    assert done.stdout.splitlines()[:5] == [
        "2026-05-28T00:00:00Z to 2026-06-04T12:00:00Z: 2,070,000 microcents",
        "",
        "app              calls  microcents",
        "acme/sdxl-turbo      2   1,545,000",
        "acme/llm-chat        2     525,000",
    ]
    assert "2026-06-03  acme/llm-chat       250,000" in done.stdout.splitlines()
    summary = cli("summary", "--db", recorded, "--team", "team-7", "--pretty").stdout.splitlines()
    assert "type   cpu             1.5" in summary and summary[-1] == "total: 78 s"
    cost = cli("task-cost", "--db", recorded, "--team", "team-7", "task-103", "--pretty").stdout.splitlines()
    assert "discount           25,000" in cost and cost[-1] == "task task-103 of acme/llm-chat"


def test_recording_again_skips_what_is_there(recorded: str) -> None:
    done = cli("record", "--db", recorded, "-", input=EXAMPLE.read_text())
    assert done.stdout == "recorded 0 new tasks\n"


def test_a_refused_task_writes_nothing_of_the_file(shared_url: str) -> None:
    lines = EXAMPLE.read_text().splitlines()
    bad = json.loads(lines[1]) | {"discount": 10**9}
    done = cli("record", "--db", shared_url, "-", input="\n".join([lines[0], json.dumps(bad), *lines[2:]]))
    assert done.returncode == 1
    assert done.stderr.startswith("tasks[1]: discount must be between 0 and the task's total (515000 microcents)")
    with Ledger(shared_url) as ledger:
        assert ledger.breakdown("team-7", "90d", now=utc(2026, 6, 4, 12))["total_cost"] == 0


def test_bad_input_is_a_usage_error(shared_url: str) -> None:
    first = EXAMPLE.read_text().splitlines()[0]
    broken = cli("record", "--db", shared_url, "-", input=first + "\n{nope\n")
    assert broken.returncode == 2 and broken.stderr.startswith("celprice usage: <stdin>:2: invalid JSON")
    naive = cli("record", "--db", shared_url, "-", input=first.replace("09:15:00Z", "09:15:00"))
    assert naive.returncode == 2 and "<stdin>:1: completed_at '2026-05-28T09:15:00' has no time zone" in naive.stderr
    now = cli("breakdown", "--db", shared_url, "--team", "team-7", "--now", "yesterday")
    assert now.returncode == 2 and "--now 'yesterday' is not an RFC 3339 time" in now.stderr
    missing = cli("summary", "--db", shared_url)
    assert missing.returncode == 2 and "the following arguments are required: --team" in missing.stderr


def test_an_unknown_task_and_a_forbidden_filter_exit_1(recorded: str) -> None:
    unknown = cli("task-cost", "--db", recorded, "--team", "team-7", "task-9")
    assert (unknown.returncode, unknown.stderr) == (1, "no task 'task-9' recorded for team 'team-7'\n")
    forbidden = cli("breakdown", "--db", recorded, "--team", "team-7", "--member", "team-8")
    assert forbidden.returncode == 1 and "is not an organisation" in forbidden.stderr


def test_rebuild_recomputes_the_rollups(recorded: str) -> None:
    with Ledger(recorded) as ledger:
        before = ledger.breakdown("team-7", "30d", now=utc(2026, 6, 4, 12))
        with ledger._db.transaction(write=True) as tx:  # noqa: SLF001 - damage on purpose
            tx.change("DELETE FROM celprice_rollups", ())
    done = cli("rebuild", "--db", recorded)
    assert (done.returncode, done.stdout) == (0, "rebuilt the rollups from the records\n")
    with Ledger(recorded) as ledger:
        assert ledger.breakdown("team-7", "30d", now=utc(2026, 6, 4, 12)) == before
        assert before["total_cost"] == 2_070_000
