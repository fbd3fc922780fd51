"""Environments for the opt-in extension libraries."""
from __future__ import annotations

from typing import Any

import pytest

import celprice

ALL = ("sets", "lists", "regex")


@pytest.fixture(scope="session")
def ext() -> celprice.Environment:
    """Every opt-in library on, nothing declared (CEL's dynamic mode)."""
    return celprice.Environment(extensions=ALL)


@pytest.fixture(scope="session")
def checked() -> celprice.Environment:
    """Every opt-in library on, with declared variables (type-checked)."""
    return celprice.Environment(
        variables={"xs": "list(int)", "names": "list(string)", "s": "string", "n": "int", "d": "dyn"},
        extensions=ALL,
    )


def run(source: str, env: celprice.Environment, activation: dict[str, Any] | None = None) -> Any:
    return celprice.compile(source, env, cache=False).evaluate(activation or {})
