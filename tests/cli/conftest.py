"""Fixtures for the CLI tests (helpers live in clihelpers.py, importable by name)."""
from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from clihelpers import run_cli


@pytest.fixture
def cli() -> Callable[..., subprocess.CompletedProcess]:
    return run_cli


@pytest.fixture
def write(tmp_path: Path) -> Callable[[str, Any], str]:
    """write(name, data): a file in tmp_path, JSON-encoded unless data is already text; returns its path."""

    def write_file(name: str, data: Any) -> str:
        path = tmp_path / name
        path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
        return str(path)

    return write_file
