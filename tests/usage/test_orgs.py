"""Organisation workspaces on both backends: member teams, the organisation's
breakdown with `per_team` and the `team_id` filter (D3), and `celprice orgs set`."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from celprice.usage import Forbidden, Ledger, LedgerError

from .helpers import fees, utc

AT = utc(2026, 6, 4, 9)
NOW = utc(2026, 6, 4, 12)
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def org(ledger: Ledger) -> Ledger:
    """org-1 pays for team-a and team-b; team-z is on its own."""
    ledger.set_members("org-1", ["team-b", "team-a"])
    ledger.record_task("team-a", "a1", "acme/img", AT, fees(300))
    ledger.record_task("team-a", "a2", "acme/llm", AT, fees(100))
    ledger.record_task("team-b", "b1", "acme/img", AT, fees(1000), discount=200)
    ledger.record_task("team-b", "b2", "acme/img", AT, fees(500))
    ledger.refund("team-b", "b2")  # refunded in full: not a call any more
    ledger.record_task("org-1", "o1", "acme/llm", AT, fees(400))  # the organisation's own task
    ledger.record_task("team-z", "z1", "acme/img", AT, fees(7))
    return ledger


def test_an_organisation_breakdown_covers_its_members_with_per_team(org: Ledger) -> None:
    answer = org.breakdown("org-1", "1d", now=NOW)
    assert answer["per_team"] == [
        {"team_id": "team-b", "call_count": 1, "cost": 800},
        {"team_id": "org-1", "call_count": 1, "cost": 400},
        {"team_id": "team-a", "call_count": 2, "cost": 400},
    ]
    assert answer["total_cost"] == 1600 == sum(team["cost"] for team in answer["per_team"])
    assert answer["per_model"] == [
        {"app_endpoint": "acme/img", "call_count": 2, "cost": 1100},
        {"app_endpoint": "acme/llm", "call_count": 2, "cost": 500},
    ]
    assert [point["per_app"] for point in answer["timeseries"] if point["per_app"]] == [
        {"acme/img": 1100, "acme/llm": 500}
    ]


def test_team_id_narrows_an_organisation_to_one_member(org: Ledger) -> None:
    answer = org.breakdown("org-1", "1d", now=NOW, team_id="team-a")
    assert answer["per_team"] == []
    assert answer["total_cost"] == 400
    assert answer["models"] == ["acme/img", "acme/llm"]
    assert answer == org.breakdown("team-a", "1d", now=NOW)  # what the member sees of itself
    assert org.breakdown("org-1", "1d", now=NOW, team_id="org-1")["total_cost"] == 400


def test_a_members_own_breakdown_is_unchanged(org: Ledger) -> None:
    answer = org.breakdown("team-b", "1d", now=NOW)
    assert (answer["total_cost"], answer["per_team"]) == (800, [])
    assert org.breakdown("team-z", "1d", now=NOW)["total_cost"] == 7


def test_filtering_by_a_team_that_is_not_a_member_is_forbidden(org: Ledger) -> None:
    with pytest.raises(Forbidden, match=r"team 'team-z' is not a member of organisation 'org-1'") as caught:
        org.breakdown("org-1", "1d", now=NOW, team_id="team-z")
    assert isinstance(caught.value, PermissionError)
    # D3: "Other teams cannot filter by another team's id."
    with pytest.raises(Forbidden, match=r"workspace 'team-a' is not an organisation: "
                                        r"it cannot filter by another team's id \('team-b'\)"):
        org.breakdown("team-a", "1d", now=NOW, team_id="team-b")
    assert org.breakdown("team-a", "1d", now=NOW, team_id="team-a")["total_cost"] == 400


def test_per_team_ties_go_by_team_id_and_the_trend_covers_the_members(ledger: Ledger) -> None:
    ledger.set_members("org-1", ["t-c", "t-a", "t-b"])
    for team in ("t-c", "t-a", "t-b"):
        ledger.record_task(team, "now", "acme/x", AT, fees(50))
    ledger.record_task("t-b", "before", "acme/x", utc(2026, 6, 3, 1), fees(75))
    answer = ledger.breakdown("org-1", "1d", now=NOW)
    assert [team["team_id"] for team in answer["per_team"]] == ["t-a", "t-b", "t-c"]
    assert answer["trend_percent"] == 100.0  # 150 against the 75 of t-b the window before


def test_set_members_replaces_and_clears(org: Ledger) -> None:
    org.set_members("org-1", ["team-a"])
    assert org.breakdown("org-1", "1d", now=NOW)["per_team"] == [
        {"team_id": "org-1", "call_count": 1, "cost": 400},
        {"team_id": "team-a", "call_count": 2, "cost": 400},
    ]
    with pytest.raises(Forbidden):
        org.breakdown("org-1", "1d", now=NOW, team_id="team-b")
    org.set_members("org-2", ["team-b"])  # free again, so another organisation may take it
    org.set_members("org-1", [])
    answer = org.breakdown("org-1", "1d", now=NOW)
    assert (answer["total_cost"], answer["per_team"]) == (400, [])  # a team like any other


@pytest.mark.parametrize(
    ("org_id", "teams", "message"),
    [
        ("org-2", ["team-a"], r"team 'team-a' already belongs to organisation 'org-1'; remove it there first"),
        ("org-1", ["org-1"], r"organisation 'org-1' cannot be a member of itself"),
        ("team-a", ["team-q"], r"'team-a' is a member team of organisation 'org-1'; organisations do not nest"),
        ("org-2", ["org-1"], r"'org-1' is an organisation itself; organisations do not nest"),
        ("org-2", "team-q", r"team_ids must be a list of team ids, got \"team-q\""),
        ("org-2", ["team-q", ""], r"team_ids\[1\] must have 1 to 1024 characters, got 0"),
        ("", ["team-q"], r"org_id must have 1 to 1024 characters, got 0"),
    ],
)
def test_bad_memberships_are_refused_and_nothing_is_written(org: Ledger, org_id, teams, message: str) -> None:
    with pytest.raises(LedgerError, match=message):
        org.set_members(org_id, teams)
    assert [team["team_id"] for team in org.breakdown("org-1", "1d", now=NOW)["per_team"]] == [
        "team-b", "org-1", "team-a"
    ]


def test_duplicate_members_count_once(ledger: Ledger) -> None:
    ledger.set_members("org-1", ["team-a", "team-a"])
    ledger.record_task("team-a", "a1", "acme/x", AT, fees(5))
    assert ledger.breakdown("org-1", "1d", now=NOW)["per_team"] == [{"team_id": "team-a", "call_count": 1, "cost": 5}]


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "celprice", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=120, env={"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"})


def test_celprice_orgs_set(shared_url: str, tmp_path: Path) -> None:
    done = _cli("orgs", "set", "--db", shared_url, "org-1", "team-b", "team-a", cwd=tmp_path)
    assert (done.returncode, done.stdout, done.stderr) == (0, "org-1 pays for 2 teams: team-a, team-b\n", "")
    refused = _cli("orgs", "set", "--db", shared_url, "org-2", "team-a", cwd=tmp_path)
    assert refused.returncode == 1
    assert refused.stderr == "team 'team-a' already belongs to organisation 'org-1'; remove it there first\n"
    with Ledger(shared_url) as ledger:
        ledger.record_task("team-a", "a1", "acme/x", AT, fees(5))
        assert ledger.breakdown("org-1", "1d", now=NOW)["per_team"] == [{"team_id": "team-a", "call_count": 1, "cost": 5}]
    cleared = _cli("orgs", "set", "--db", shared_url, "org-1", cwd=tmp_path)
    assert (cleared.returncode, cleared.stdout) == (0, "org-1 pays for no member teams\n")


def test_celprice_orgs_set_defaults_to_a_file_in_the_working_directory(tmp_path: Path) -> None:
    done = _cli("orgs", "set", "org-1", "team-a", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    with Ledger(f"sqlite:///{tmp_path / 'celprice.db'}") as ledger:
        with pytest.raises(Forbidden):
            ledger.breakdown("org-1", "1d", now=NOW, team_id="team-z")
    usage = _cli("orgs", "set", cwd=tmp_path)
    assert usage.returncode == 2 and "usage: celprice orgs set [-h] [--db URL] ORG [TEAM ...]" in usage.stderr
