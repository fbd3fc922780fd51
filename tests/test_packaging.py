"""The wheel carries the grammar: install a real wheel into a fresh venv and parse with it."""
from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.timeout(600)
def test_wheel_installs_into_a_fresh_venv_and_parses(tmp_path):
    pytest.importorskip("hatchling")
    wheels = tmp_path / "wheels"
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-w", str(wheels), str(ROOT)],
        capture_output=True,
        text=True,
    )
    assert build.returncode == 0, build.stderr[-2000:]
    (wheel,) = wheels.glob("celprice-*.whl")

    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", str(wheel)], capture_output=True, text=True
    )
    assert install.returncode == 0, install.stderr[-2000:]

    # Run from a neutral directory so the checkout's sources cannot be imported.
    code = (
        "import celprice, importlib.resources as r;"
        "assert r.files('celprice').joinpath('cel.lark').is_file();"
        # The pricing JSON Schemas, which /openapi.json embeds.
        "assert r.files('celprice').joinpath('schema', 'request.schema.json').is_file();"
        "print(celprice.compile('[1, 2].map(x, x * k)').evaluate({'k': 3}))"
    )
    run = subprocess.run([str(python), "-c", code], capture_output=True, text=True, cwd=tmp_path)
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.strip() == "[3, 6]"
