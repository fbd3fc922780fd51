"""Replay (`celprice backtest`) on both backends: the report against a plain
model (evaluate_pricing task by task), the same report however the work is
cut (in this process, a process pool, a Dask cluster), and the command's
JSON, summary and chart."""
from __future__ import annotations

import json
import random
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

import celprice
from celprice.usage import InvalidPricing, Ledger, LedgerError
from celprice.usage.replay import backtest, parse_range

from .helpers import fees, utc

ROOT = Path(__file__).resolve().parents[2]
NOW = utc(2026, 6, 30, 12)
APP = "acme/img"
COMPONENTS = ("resource_fee", "inference_fee", "royalty_fee", "partner_fee", "total")
PRICING = {"prices": {"per_image": 250000}, "inference_expression": "image_count(outputs) * prices.per_image"}
# Dearer images, and a formula that fails on tasks of more than 4 images.
DRAFT = {
    "prices": {"per_image": 300000},
    "inference_expression": "image_count(outputs) > 4 ? int(task_inputs.missing) : image_count(outputs) * prices.per_image",
}


def task_inputs(rnd: random.Random) -> dict[str, Any]:
    return {
        "output_meta": {"outputs": [{"type": "image", "count": rnd.randint(0, 5)}]},
        "resources": [{"name": "gpu", "price_per_second": 2500}],
        "usage_seconds": rnd.randint(1, 30),
    }


def fill(ledger: Ledger, count: int, seed: int = 7) -> list[tuple[str, str, Any, dict[str, Any]]]:
    """`count` tasks of APP over 40 days (some outside a 30d window), and a few that
    cannot be replayed: another app's, and one recorded without its inputs."""
    rnd = random.Random(seed)
    version = ledger.publish_pricing(APP, PRICING)
    tasks = []
    for number in range(count):
        inputs = task_inputs(rnd)
        at = NOW - timedelta(minutes=rnd.randint(0, 40 * 24 * 60))
        team = f"team-{number % 3}"
        response = celprice.evaluate_pricing({"pricing": PRICING, **inputs})
        ledger.record_task(team, f"task-{number}", APP, at, response, pricing_version=version, pricing_inputs=inputs)
        tasks.append((team, f"task-{number}", at, inputs))
    ledger.record_task("team-0", "other-app", "acme/other", NOW, fees(5), pricing=PRICING, pricing_inputs={})
    ledger.record_task("team-0", "no-inputs", APP, NOW, fees(5))
    return tasks


def model(tasks: list[tuple[str, str, Any, dict[str, Any]]], draft: dict[str, Any], days: int) -> dict[str, Any]:
    """The report's numbers, task by task through evaluate_pricing."""
    start = NOW - timedelta(days=days)
    per_day: dict[str, dict[str, Any]] = {}
    changes, failures = [], []
    for team, task, at, inputs in tasks:
        if not start <= at <= NOW:
            continue
        old = celprice.evaluate_pricing({"pricing": PRICING, **inputs})
        new = celprice.evaluate_pricing({"pricing": draft, **inputs})
        day = per_day.setdefault(at.date().isoformat(), {
            "tasks": 0, "failed": 0, "recorded": dict.fromkeys(COMPONENTS, 0), "draft": dict.fromkeys(COMPONENTS, 0)})
        day["tasks"] += 1
        for name in COMPONENTS:
            day["recorded"][name] += old[name]["value"]
        errors = [new[name]["error"] for name in COMPONENTS if "error" in new[name]]
        if errors:
            day["failed"] += 1
            failures.append((at, team, task, errors[0]))
            continue
        for name in COMPONENTS:
            day["draft"][name] += new[name]["value"]
        if new["total"]["value"] != old["total"]["value"]:
            changes.append((-abs(new["total"]["value"] - old["total"]["value"]), team, task))
    return {"days": per_day, "changes": sorted(changes), "failures": sorted(failures)}


@pytest.fixture
def filled(ledger: Ledger) -> tuple[Ledger, list[Any]]:
    return ledger, fill(ledger, 400)


def test_the_report_is_what_the_draft_charges_task_by_task(filled) -> None:
    ledger, tasks = filled
    report = backtest(ledger, APP, DRAFT, range="30d", now=NOW, workers=1)
    expected = model(tasks, DRAFT, 30)
    assert report["app_endpoint"] == APP
    assert (report["period_start"], report["period_end"]) == ("2026-05-31T12:00:00Z", "2026-06-30T12:00:00Z")
    assert [day["date"] for day in report["days"]] == [
        (NOW - timedelta(days=30 - n)).date().isoformat() for n in range(31)]
    assert {day.pop("date"): day for day in report["days"] if day["tasks"]} == expected["days"]
    assert report["tasks"] == sum(day["tasks"] for day in expected["days"].values())
    assert report["failed"] == len(expected["failures"]) > 0
    for name in COMPONENTS:
        recorded = sum(day["recorded"][name] for day in expected["days"].values())
        drafted = sum(day["draft"][name] for day in expected["days"].values())
        assert report["components"][name] == {"recorded": recorded, "draft": drafted, "change": drafted - recorded}
    assert [(-abs(c["change"]), c["team_id"], c["task_id"]) for c in report["biggest_changes"]] == expected["changes"][:20]
    listed = [(f["team_id"], f["task_id"], f["error"]) for f in report["failures"]["tasks"]]
    assert listed == [(team, task, error) for _, team, task, error in expected["failures"][:100]]
    assert report["failures"]["errors"] == [{
        "error": "inference_expression:1:43: no such key: 'missing'", "tasks": len(expected["failures"])}]


def test_the_report_is_the_same_however_the_work_is_cut(filled) -> None:
    ledger, _ = filled
    alone = backtest(ledger, APP, DRAFT, now=NOW, workers=1)
    seen: list[tuple[int, int]] = []
    pooled = backtest(ledger, APP, DRAFT, now=NOW, workers=2, chunk_size=37,
                      progress=lambda done, total: seen.append((done, total)))
    assert pooled == alone
    assert seen[0] == (0, alone["tasks"]) and seen[-1] == (alone["tasks"], alone["tasks"])
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)


def test_the_distributed_path_gives_the_same_report_as_the_local_one(tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    with Ledger(f"sqlite:///{tmp_path / 'ledger.db'}") as ledger:
        fill(ledger, 300)
        local = backtest(ledger, APP, DRAFT, now=NOW, workers=2, chunk_size=50)
        with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                      dashboard_address=None) as cluster, distributed.Client(cluster) as client:
            remote = backtest(ledger, APP, DRAFT, now=NOW, executor=client.get_executor(pure=False), chunk_size=50)
            # The work ran in the cluster's worker processes, each compiling the draft once.
            compiled = client.run(lambda: sorted(__import__("celprice.usage.replay").usage.replay._ENGINES))
    assert remote == local
    assert sum(len(drafts) for drafts in compiled.values()) >= 1


def test_a_draft_with_problems_is_refused_before_anything_runs(ledger: Ledger) -> None:
    with pytest.raises(InvalidPricing, match="the draft pricing of 'acme/img' cannot be replayed: 1 problem: inference_expression:1:10: undeclared reference to 'nope'"):
        backtest(ledger, APP, {"inference_expression": "prices + nope"}, now=NOW)
    with pytest.raises(LedgerError, match="range must be a number of days or hours such as 30d or 12h, got \"2w\""):
        backtest(ledger, APP, PRICING, range="2w", now=NOW)
    assert parse_range("12h") == 12 * 3600 * 10**6


def test_an_app_without_replayable_tasks_has_an_empty_report(ledger: Ledger) -> None:
    ledger.record_task("team-0", "no-inputs", APP, NOW, fees(5))
    report = backtest(ledger, APP, PRICING, range="7d", now=NOW)
    assert (report["tasks"], report["failed"], len(report["days"])) == (0, 0, 8)
    assert report["components"]["total"] == {"recorded": 0, "draft": 0, "change": 0}


def test_the_backtest_command(shared_url: str, tmp_path: Path) -> None:
    with Ledger(shared_url) as ledger:
        fill(ledger, 60)
        expected = backtest(ledger, APP, DRAFT, now=NOW)
    draft = tmp_path / "draft.json"
    draft.write_text(json.dumps(DRAFT))
    command = [sys.executable, "-m", "celprice", "backtest", "--db", shared_url, "--app", APP, str(draft),
               "--now", "2026-06-30T12:00:00Z"]
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert (done.returncode, done.stderr) == (0, "")  # no progress bar off a terminal
    assert json.loads(done.stdout) == expected
    out, chart = tmp_path / "report.json", tmp_path / "chart.html"
    done = subprocess.run([*command, "--out", str(out), "--chart", str(chart), "--workers", "2"],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(out.read_text()) == expected
    lines = done.stdout.splitlines()
    assert lines[0] == f"{APP}: {expected['tasks']} tasks from 2026-05-31T12:00:00Z to 2026-06-30T12:00:00Z, " \
                       f"{expected['failed']} failed with the draft"
    assert f"  {expected['failed']} tasks: inference_expression:1:43: no such key: 'missing'" in lines
    page = chart.read_text()
    assert page.startswith("<!DOCTYPE html>") and page.count("<polyline") == 2 and "<script" not in page
    assert page.count("<circle") == 2 * len(expected["days"])
    bad = tmp_path / "bad.json"
    bad.write_text('{"inference_expression": "1 +"}')
    refused = subprocess.run([*command[:8], str(bad)], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert refused.returncode == 2 and "has problems: inference_expression:1:4" in refused.stderr
