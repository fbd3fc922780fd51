"""The static type checker: deduces types, resolves overloads, reports located errors.

    from celprice.checker import check
    result = check(node, env, source)   # raises CELCheckError
    result.result_type                  # "int", "list(string)", "dyn", ...
    result.type_of(node); result.node_types()

`compile()` runs it for environments that check (see Environment(check=...));
the standard library's signatures are data in `decls.py`, the type
representation in `types.py`.
"""
from __future__ import annotations

from ..env import default_environment
from ..parser import parse
from .checker import CheckResult, Declarations, check, declarations
from ..celtypes import format_type, parse_type

__all__ = ["CheckResult", "Declarations", "check", "declarations", "format_type", "parse_type", "check_source"]


def check_source(source: str, env: object = None) -> CheckResult:
    """Parse and check `source` (in `env`, default: the standard environment)."""
    if env is None:
        env = default_environment()
    limits = env.limits  # type: ignore[attr-defined]
    node = parse(source, max_length=limits.max_expression_length, max_depth=limits.max_nesting_depth)
    return check(node, env, source)
