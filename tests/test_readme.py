"""The Python examples of the README and docs/usage.md run as written (doctest
over their fenced blocks, each file as one session)."""
from __future__ import annotations

import doctest
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = ["README.md", "docs/usage.md"]


@pytest.mark.parametrize("name", DOCUMENTS)
def test_python_examples_run_as_written(name: str) -> None:
    path = ROOT / name
    blocks = re.findall(r"```python\n(.*?)```", path.read_text("utf-8"), flags=re.S)
    assert blocks, f"{name} has Python examples"
    parser = doctest.DocTestParser()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    globs: dict = {}
    for i, block in enumerate(blocks):
        # Blocks build on each other, as a reader's session would.
        test = parser.get_doctest(block, globs, f"{name} block {i + 1}", str(path), 0)
        runner.run(test, clear_globs=False)
        globs = test.globs
    results = runner.summarize(verbose=False)
    assert results.failed == 0, f"{results.failed} example(s) of {name} failed; see output above"
