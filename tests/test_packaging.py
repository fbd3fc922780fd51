"""What we ship works: the wheel carries the grammar, the sdist carries what its tests read."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
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
    metadata = subprocess.run(
        [str(python), "-c", "import importlib.metadata as m; print('\\n'.join(m.metadata('celprice').get_all('Project-URL')))"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert metadata.returncode == 0, metadata.stderr[-2000:]
    assert {line.split(",")[0] for line in metadata.stdout.splitlines()} >= {"CEL specification", "Store pricing documentation"}


def _sdist(tmp_path: Path) -> Path:
    pytest.importorskip("hatchling")
    out = tmp_path / "dist"
    build = subprocess.run(
        [sys.executable, "-m", "hatchling", "build", "-t", "sdist", "-d", str(out)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert build.returncode == 0, build.stderr[-2000:]
    (sdist,) = out.glob("celprice-*.tar.gz")
    return sdist


def _members(sdist: Path) -> set[str]:
    with tarfile.open(sdist) as tar:
        return {name.split("/", 1)[1] for name in tar.getnames() if "/" in name}


@pytest.mark.skipif(shutil.which("git") is None or not (ROOT / ".git").exists(), reason="needs a git checkout")
def test_the_sdist_holds_every_file_of_the_repository(tmp_path):
    tracked = subprocess.run(["git", "ls-files"], capture_output=True, text=True, cwd=ROOT, check=True)
    files = {f for f in tracked.stdout.splitlines() if (ROOT / f).is_file()}  # not files deleted but uncommitted
    missing = sorted(files - _members(_sdist(tmp_path)))
    assert not missing, f"not in the sdist (add them to [tool.hatch.build.targets.sdist] include): {missing}"


# The tests that read files outside tests/ and src/: the docs they run, the examples
# they evaluate, the benchmark workload they replay.
_READERS = [
    "tests/test_readme.py",
    "tests/test_checker.py",
    "tests/cli/test_cli_docs.py",
    "tests/cli/test_cli_test_command.py",
    "tests/cli/test_cli_testing_module.py",
    "tests/pricing/test_docs.py",
    "tests/pricing/test_examples.py",
    "tests/pricing/test_workload.py",
]


@pytest.mark.timeout(900)
def test_the_tests_pass_in_the_unpacked_sdist(tmp_path):
    sdist = _sdist(tmp_path)
    with tarfile.open(sdist) as tar:
        if hasattr(tarfile, "data_filter"):
            tar.extractall(tmp_path / "unpacked", filter="data")
        else:  # a Python without extraction filters; the archive is our own, just built
            tar.extractall(tmp_path / "unpacked")
    (root,) = (tmp_path / "unpacked").iterdir()
    env = {**os.environ, "PYTHONPATH": str(root / "src")}
    where = subprocess.run(
        [sys.executable, "-c", "import celprice; print(celprice.__file__)"], capture_output=True, text=True, cwd=root, env=env
    )
    assert Path(where.stdout.strip()).is_relative_to(root), where  # the sdist's code, not the checkout's
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *_READERS],
        capture_output=True,
        text=True,
        cwd=root,
        env=env,
    )
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
