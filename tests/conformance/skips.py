"""Known conformance gaps: the ONE list of in-scope tests that are skipped.

Each entry maps a test id (`file/section/name`, with `#2`, `#3` for a name
repeated in a section) to the reason it is skipped. Tests outside the data's
in-scope rule are not listed here: `out_of_scope_reason` in test_conformance.py
skips them. `test_skips_list_is_current` fails when an id here no longer names
an in-scope test, so the list stays honest.
"""
from __future__ import annotations

SKIPS: dict[str, str] = {}
