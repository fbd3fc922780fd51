"""The README's Python examples run as written (doctest over its fenced blocks)."""
from __future__ import annotations

import doctest
import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_python_examples_run_as_written():
    text = README.read_text("utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert blocks, "the README has Python examples"
    parser = doctest.DocTestParser()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    globs: dict = {}
    for i, block in enumerate(blocks):
        # Blocks build on each other, as a reader's session would.
        test = parser.get_doctest(block, globs, f"README block {i + 1}", str(README), 0)
        runner.run(test, clear_globs=False)
        globs = test.globs
    results = runner.summarize(verbose=False)
    assert results.failed == 0, f"{results.failed} README example(s) failed; see output above"
