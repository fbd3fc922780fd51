"""The docs' console examples print exactly what they show (run `doc_examples.py --update` to refresh)."""
from __future__ import annotations

import shutil

import pytest
from doc_examples import DOCS, check, parse_block


@pytest.mark.skipif(shutil.which("bash") is None, reason="the examples are shell sessions")
@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_console_examples_print_what_the_docs_show(doc):
    assert doc.is_file(), doc
    problems = check(doc, update=False)
    assert not problems, "\n".join(problems) + "\nrefresh with: python tests/cli/doc_examples.py --update"


def test_every_command_is_shown_in_the_docs():
    text = DOCS[0].read_text("utf-8")
    for command in ("preview", "estimate", "eval", "check", "test", "explain", "repl"):
        assert f"$ celprice {command}" in text or f"| celprice {command}" in text, command


def test_blocks_parse_commands_and_outputs():
    examples = parse_block("$ celprice eval '1'\n1\n$ echo $?\n0\n")
    assert [(e.command, e.output) for e in examples] == [("celprice eval '1'", "1\n"), ("echo $?", "0\n")]


def test_the_pytest_example_in_the_docs_runs(monkeypatch):
    import re

    from clihelpers import ROOT

    (code,) = re.findall(r"```python\n(.*?)```", DOCS[0].read_text("utf-8"), flags=re.S)
    monkeypatch.chdir(ROOT)  # it reads examples/cli/ relative to the repository
    namespace: dict = {}
    exec(compile(code, "docs/cli.md", "exec"), namespace)
    tests = [f for name, f in namespace.items() if name.startswith("test_")]
    assert len(tests) == 2
    for test in tests:
        test()


@pytest.mark.skipif(shutil.which("bash") is None, reason="the examples are shell sessions")
@pytest.mark.parametrize("flow", ["llm", "video"])
def test_an_author_flow_runs_as_written_from_a_blank_directory(flow, tmp_path):
    # The flow's files are written from what the doc shows (`cat ...`) into an empty
    # directory, then its commands run there: nothing else of the repository is needed.
    import re

    from doc_examples import _BLOCK, Example, run_block

    text = DOCS[0].read_text("utf-8").split("## Two author flows", 1)[1].split("\n## ", 1)[0]
    prefix = f"examples/cli/{flow}/"
    (block,) = [m.group(1) for m in _BLOCK.finditer(text) if f"cat {prefix}" in m.group(1)]
    examples = [Example(e.command.replace(prefix, ""), e.output.replace(prefix, "")) for e in parse_block(block)]
    written = []
    for e in examples:
        match = re.fullmatch(r"cat (\S+)", e.command)
        if match:
            (tmp_path / match.group(1)).write_text(e.output, "utf-8")
            written.append(match.group(1))
    assert sorted(written) == ["cases.yaml", "pricing.yaml", "task.yaml"]
    commands = [e.command for e in examples]
    assert any(c.startswith("celprice test ") for c in commands)
    assert any("--pricing-file pricing.yaml --task task.yaml" in c for c in commands)
    outputs = run_block(examples, cwd=tmp_path)
    assert [(e.command, o) for e, o in zip(examples, outputs)] == [(e.command, e.output) for e in examples]
    assert outputs[-1].endswith("2 passed, 0 failed\n")
