"""The end of a test run: one line per report by default, the tables with --tables, and a line
saying so when the conformance data is missing (rather than one more "skipped")."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# A few fast adversarial cases are enough to see the report.
ADVERSARIAL = ["tests/adversarial/test_regex.py", "-k", "invalid_or_oversized"]


def pytest_run(*args: str, codes: tuple[int, ...] = (0,), **env: str) -> str:
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, **env},
        timeout=600,
    )
    assert run.returncode in codes, run.stdout[-3000:]
    return run.stdout


def test_the_adversarial_timings_are_one_line_unless_asked():
    lines = pytest_run(*ADVERSARIAL).splitlines()
    (summary,) = [line for line in lines if line.startswith("adversarial: ")]
    assert "cases," in summary and "s in total, slowest" in summary and summary.endswith("(--tables for every case)")
    assert not any(" ms  passed " in line for line in lines)

    full = pytest_run(*ADVERSARIAL, "--tables").splitlines()
    cases = [line for line in full if " ms  passed    test_regex.py::" in line]
    count = int(next(line for line in full if line.startswith("adversarial: ")).split()[1])
    assert len(cases) == count > 1


def test_missing_conformance_data_is_said_in_a_line_of_its_own(tmp_path):
    # Exit code 5: nothing ran, as the only module skipped itself.
    out = pytest_run("tests/conformance/test_conformance.py", codes=(5,), CELPRICE_CONFORMANCE_DIR=str(tmp_path / "none"))
    assert f"conformance: NOT RUN: conformance data not found at {tmp_path / 'none'}" in out
    assert "(set CELPRICE_CONFORMANCE_DIR to the cel-spec json folder)" in out


def test_the_conformance_table_is_one_line_unless_asked():
    data = Path(os.environ.get("CELPRICE_CONFORMANCE_DIR") or ROOT.parent / "shared" / "cel-spec" / "json")
    if not data.is_dir():
        pytest.skip(f"no conformance data at {data}")
    some = ["tests/conformance/test_conformance.py", "-k", "basic/"]
    lines = pytest_run(*some).splitlines()
    (summary,) = [line for line in lines if line.startswith("conformance: ")]
    assert "in-scope tests passed" in summary and summary.endswith("(--tables for the per-file table)")
    assert not any(line.startswith("file ") for line in lines)
    full = pytest_run(*some, "--tables").splitlines()
    assert any(line.split()[:2] == ["file", "passed"] for line in full)
    assert any(line.startswith("basic ") for line in full)
