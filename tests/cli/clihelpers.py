"""Helpers for the CLI tests: run the real command line in a subprocess (real exit codes, stdout, stderr)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src"


def cli_env(**extra: str) -> dict[str, str]:
    """The environment for the child: the checkout's sources first, so it works installed or not.

    A PYTHONPATH in `extra` goes in front of that rather than replacing it.
    """
    env = os.environ.copy()
    paths = (extra.pop("PYTHONPATH", ""), str(SRC), env.get("PYTHONPATH", ""))
    env["PYTHONPATH"] = os.pathsep.join(p for p in paths if p)
    env["PYTHONIOENCODING"] = "utf-8"
    env.update(extra)
    return env


def run_cli(*args: str, input: str | None = None, cwd: Path | None = None, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "celprice", *args],
        input=input,
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=cli_env(**env),
        cwd=cwd or ROOT,
        timeout=120,
    )


def assert_no_traceback(result: subprocess.CompletedProcess) -> None:
    assert "Traceback" not in result.stderr, result.stderr
    assert "Traceback" not in result.stdout, result.stdout
