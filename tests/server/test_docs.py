"""The console examples of docs/server.md and the README's "Serving the API"
run against a live `celprice serve` and print what the pages show."""
from __future__ import annotations

import doctest
import json
import re
import shutil
import stat
import subprocess
import sys
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from celprice.usage import Ledger

from .conftest import ROOT, Server, celprice, cli_env

pytestmark = pytest.mark.skipif(shutil.which("curl") is None, reason="the examples use curl")

_CONSOLE = re.compile(r"^```console\n(.*?)^```$", re.M | re.S)
_MARK = "@@celprice-server-example@@"
_DOC_PORT = "127.0.0.1:8000"


def console_examples(text: str) -> list[tuple[str, str]]:
    """(command, documented output) of every `$ ` line of the page's console blocks, in order."""
    examples: list[tuple[str, str]] = []
    for block in _CONSOLE.findall(text):
        for line in block.splitlines(keepends=True):
            if line.startswith("$ "):
                examples.append((line[2:].rstrip("\n"), ""))
            else:
                command, output = examples[-1]
                examples[-1] = (command, output + line)
    return examples


def run_session(commands: list[str], cwd: Path, port: int) -> list[str]:
    """Each command's output (stdout and stderr), run in order in one shell,
    with `celprice` running this checkout and the page's port replaced."""
    bin_dir = cwd / "bin"
    bin_dir.mkdir(exist_ok=True)
    shim = bin_dir / "celprice"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m celprice "$@"\n')
    shim.chmod(shim.stat().st_mode | stat.S_IEXEC)
    # Output goes through a file so that commands run in this shell (export
    # sticks) and a body without a final newline (curl's) still ends a line.
    out = cwd / "output"
    script = "".join(
        f"echo '{_MARK}'\n{{ {command.replace(_DOC_PORT, f'127.0.0.1:{port}')} ; }} > {out} 2>&1\n"
        f'cat {out}; if [ -s {out} ] && [ -n "$(tail -c1 {out})" ]; then echo; fi\n'
        for command in commands
    )
    env = cli_env()
    env["PATH"] = f"{bin_dir}:{env['PATH']}"
    done = subprocess.run(["bash", "-c", script], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    return done.stdout.split(_MARK + "\n")[1:]


def seed(path: Path) -> None:
    """The ledger of the page's examples: two tasks of team t, an hour ago, and acme/flux's pricing."""
    hour_ago = datetime.now(timezone.utc) - timedelta(hours=1)

    def fees(resource: int, inference: int) -> dict[str, Any]:
        values = (resource, inference, 0, 0, resource + inference)
        names = ("resource_fee", "inference_fee", "royalty_fee", "partner_fee", "total")
        return {**{n: {"value": v} for n, v in zip(names, values)}, "description": {"value": ""}}

    with Ledger(f"sqlite:///{path}") as ledger:
        gpu = [{"tier": "cloud", "type": "gpu", "model": "A100", "seconds": 30}]
        ledger.record_task("t", "task-1", "acme/flux", hour_ago, fees(30000, 20000), gpu)
        ledger.record_task("t", "task-2", "acme/echo", hour_ago, fees(7000, 0))
        ledger.publish_pricing("acme/flux", PUBLISHED)


# The published pricing of the page's store examples: task-1's fees are what it charges for two images in 30 s.
PUBLISHED = {
    "prices": {"per_image": 10000, "per_gpu_second": 1000},
    "resource_expression": "int(usage_seconds) * prices.per_gpu_second",
    "inference_expression": "task_inputs.num_images * prices.per_image",
    "estimate": "{'min': task_inputs.num_images * prices.per_image + 10 * prices.per_gpu_second, "
    "'max': task_inputs.num_images * prices.per_image + 60 * prices.per_gpu_second}",
    "description": "$0.0001 per image, plus $0.00001 per GPU second",
}


def test_every_console_example_of_docs_server_md(tmp_path: Path, start_server: Callable[..., Server]) -> None:
    examples = console_examples((ROOT / "docs" / "server.md").read_text("utf-8"))
    assert len(examples) >= 10
    commands = "\n".join(command for command, _ in examples)
    for route in ("/usage/breakdown", "/usage/summary", "/usage/cel/evaluate", "/usage/tasks/task-1/cost", "/openapi.json"):
        assert f"{_DOC_PORT}{route}" in commands, f"docs/server.md has no curl example of {route}"
    seed(tmp_path / "celprice.db")
    server = start_server(cwd=tmp_path)  # the default --db: celprice.db in the working directory
    outputs = run_session([command for command, _ in examples], tmp_path, server.port)
    assert len(outputs) == len(examples)
    checker = doctest.OutputChecker()
    for (command, documented), actual in zip(examples, outputs):
        assert checker.check_output(documented, actual, doctest.ELLIPSIS), (
            f"$ {command}\ndocumented:\n{documented}actual:\n{actual}"
        )
    log = server.log()
    assert "POST /usage/cel/evaluate 200 " in log and "GET /usage/summary 401 " in log


def _readme_section() -> str:
    text = (ROOT / "README.md").read_text("utf-8")
    match = re.search(r"^## Serving the API\n(.*?)^## ", text, re.M | re.S)
    assert match, "README.md has a 'Serving the API' section"
    return match.group(1)


def test_readme_serving_the_api_on_a_fresh_directory(tmp_path: Path, start_server: Callable[..., Server]) -> None:
    section = _readme_section()
    blocks = re.findall(r"^```(\w+)\n(.*?)^```$", section, re.M | re.S)
    shell = "".join(body for kind, body in blocks if kind == "sh")
    commands = [line.split("#")[0].strip() for line in shell.splitlines()]
    create = "celprice keys create --team t --name k --scopes billing:read"
    assert create in commands and "celprice serve" in commands

    made = celprice(*create.split()[1:], cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    key = made.stdout.strip()
    server = start_server(cwd=tmp_path)  # `celprice serve`, on a free port instead of 8000

    (curl,) = [body for kind, body in blocks if kind == "sh" and body.lstrip().startswith("curl")]
    assert "http://127.0.0.1:8000/usage/cel/evaluate" in curl and "inf_your_key" in curl
    command = curl.strip().replace(_DOC_PORT, f"127.0.0.1:{server.port}").replace("inf_your_key", key)
    done = subprocess.run(["bash", "-c", command + " -s -w '\n%{http_code}'"], capture_output=True, text=True, timeout=60)
    body, status = done.stdout.rsplit("\n", 1)
    assert status == "200", done.stdout + done.stderr
    (documented,) = [body for kind, body in blocks if kind == "json"]
    assert json.loads(body) == json.loads(documented)
    assert json.loads(body)["data"]["inference_fee"] == {"value": 400000}
