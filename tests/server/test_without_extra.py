"""The core library imports and works without the server extra, and says how
to get it when a server part is asked for."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from .conftest import ROOT, cli_env


def run(code: str, *, block: Path | None = None, args: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
    env = cli_env()
    if block is not None:
        env["PYTHONPATH"] = f"{block}:{env['PYTHONPATH']}"
    command = [sys.executable, *(("-c", code) if code else ("-m", "celprice", *args))]
    return subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)


def test_importing_celprice_does_not_import_the_server_framework() -> None:
    result = run(
        "import sys, celprice, celprice.usage, celprice.pricing, celprice.cli\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('starlette', 'uvicorn', 'celprice.server'))\n"
        "loaded += [m for m in sys.modules if m.startswith('celprice.server')]\n"
        "print(loaded)"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def _blocked(tmp_path: Path) -> Path:
    """A path entry on which `starlette` and `uvicorn` fail to import, as when the extra is missing."""
    for name in ("starlette", "uvicorn"):
        (tmp_path / f"{name}.py").write_text(f"raise ModuleNotFoundError(\"No module named '{name}'\", name='{name}')\n")
    return tmp_path


def test_the_library_and_cli_work_without_the_extra(tmp_path: Path) -> None:
    block = _blocked(tmp_path)
    works = run(
        "import celprice\n"
        "r = celprice.evaluate_pricing({'pricing': {'prices': {'p': 5}, 'inference_expression': 'prices.p'}})\n"
        "print(r['total'])",
        block=block,
    )
    assert works.returncode == 0, works.stderr
    assert works.stdout.strip() == "{'value': 5}"
    assert run("", block=block, args=("eval", "1 + 2")).stdout == "3\n"


def test_serve_and_the_server_package_say_how_to_install_the_extra(tmp_path: Path) -> None:
    block = _blocked(tmp_path)
    serve = run("", block=block, args=("serve", "--db", f"sqlite:///{tmp_path / 'x.db'}"))
    assert serve.returncode == 2
    assert "pip install 'celprice[server]'" in serve.stderr and "Traceback" not in serve.stderr
    imported = run("import celprice.server", block=block)
    assert imported.returncode == 1
    assert "ImportError: celprice.server needs the server extra: pip install 'celprice[server]'" in imported.stderr
