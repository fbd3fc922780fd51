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
