"""Run the console examples of the CLI docs and compare (or paste) their output.

A ```console block holds commands (`$ celprice ...`, also `$ echo $?` and
pipes) each followed by the output it prints, stdout and stderr merged as a
terminal shows them. The commands of one block run in one shell, in the
repository root, with `celprice` on PATH running this checkout.

    python tests/cli/doc_examples.py            # check: exit 1 and a diff if a doc is stale
    python tests/cli/doc_examples.py --update   # rerun and paste the output as printed
"""
from __future__ import annotations

import difflib
import os
import re
import stat
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from clihelpers import ROOT, cli_env  # noqa: E402

DOCS = [ROOT / "docs" / "cli.md", ROOT / "README.md"]
_BLOCK = re.compile(r"^```console\n(.*?)^```$", re.M | re.S)
_MARK = "@@celprice-doc-example@@"


@dataclass
class Example:
    command: str
    output: str  # expected, as the doc shows it


def parse_block(text: str) -> list[Example]:
    examples: list[Example] = []
    for line in text.splitlines(keepends=True):
        if line.startswith("$ "):
            examples.append(Example(line[2:].rstrip("\n"), ""))
        elif examples:
            examples[-1].output += line
        elif line.strip():
            raise ValueError(f"console block must start with a '$ ' command, got {line!r}")
    return examples


def run_block(examples: list[Example], cwd: Path = ROOT) -> list[str]:
    """The output of each command, run in order in one shell (in `cwd`)."""
    with tempfile.TemporaryDirectory() as tmp:
        shim = Path(tmp) / "celprice"
        shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m celprice "$@"\n')
        shim.chmod(shim.stat().st_mode | stat.S_IEXEC)
        # The marker's echo must not hide the previous command's status from `echo $?`.
        script = "".join(f"s=$?; echo '{_MARK}'; (exit $s)\n{e.command} 2>&1\n" for e in examples)
        env = cli_env(PYTHONUNBUFFERED="1", COLUMNS="80", HOME=tmp)  # unbuffered: terminal-like interleaving
        env["PATH"] = tmp + os.pathsep + env.get("PATH", "")
        done = subprocess.run(
            ["bash", "-c", script], cwd=cwd, env=env, capture_output=True, text=True, encoding="utf-8", timeout=300
        )
    parts = done.stdout.split(_MARK + "\n")
    return parts[1:]


def check(path: Path, update: bool) -> list[str]:
    """Differences between the doc and the real output (rewriting the doc when updating)."""
    text = path.read_text("utf-8")
    problems: list[str] = []
    pieces: list[str] = []
    last = 0
    for match in _BLOCK.finditer(text):
        examples = parse_block(match.group(1))
        actual = run_block(examples)
        block = "".join(f"$ {e.command}\n{out}" for e, out in zip(examples, actual))
        if block != match.group(1):
            diff = difflib.unified_diff(
                match.group(1).splitlines(keepends=True), block.splitlines(keepends=True), "documented", "actual"
            )
            problems.append(f"{path.name}: a console block differs from the real output:\n{''.join(diff)}")
        pieces.append(text[last : match.start(1)] + block)
        last = match.end(1)
    pieces.append(text[last:])
    if update:
        path.write_text("".join(pieces), "utf-8")
    return problems


def main(argv: list[str]) -> int:
    update = "--update" in argv
    problems = [p for doc in DOCS for p in check(doc, update)]
    for p in problems:
        print(p)
    if update:
        print(f"updated {len(problems)} block(s)")
        return 0
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
