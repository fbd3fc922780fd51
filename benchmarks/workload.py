"""Shared helpers for the benchmarks: the pricing workload, result checks, and
access to the (optional) pricing environment.

Used both by the pytest-benchmark suite (``benchmarks/test_*.py``) and by the
stand-alone ``benchmarks/compare_peers.py`` script.
"""
from __future__ import annotations

import json
import math
import os
import sys
from pathlib import Path
from typing import Any, Callable

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
WORKLOAD_PATH = HERE / "pricing_workload.json"
EXAMPLES_DIR = REPO / "examples"


def ensure_celprice_importable() -> None:
    """Let the benchmarks run from a checkout without installing the package."""
    try:
        import celprice  # noqa: F401
    except ImportError:
        sys.path.insert(0, str(REPO / "src"))
        import celprice  # noqa: F401


def load_workload(path: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    with open(path or WORKLOAD_PATH, encoding="utf-8") as f:
        data = json.load(f)
    if data.get("schema_version") != 1:
        raise ValueError(f"unsupported workload schema_version {data.get('schema_version')!r}")
    return data


def cel_kind(value: Any) -> str:
    """The CEL type a Python result stands for (also for cel-python's celtypes)."""
    name = type(value).__name__
    if isinstance(value, bool) or name == "BoolType":
        return "bool"
    if isinstance(value, int):
        return "uint" if name in ("UInt", "UintType") else "int"
    if isinstance(value, float):
        return "double"
    if isinstance(value, str):
        return "string"
    if value is None:
        return "null"
    return name


def same_result(got: Any, expected: Any) -> bool:
    """Equal value and the same CEL kind (a JSON int is a CEL int, a JSON float a double)."""
    if cel_kind(got) != cel_kind(expected):
        return False
    if isinstance(expected, float):
        return got == expected or (math.isnan(got) and math.isnan(expected))
    return got == expected


def describe_mismatch(got: Any, expected: Any) -> str:
    return f"got {got!r} ({cel_kind(got)}), expected {expected!r} ({cel_kind(expected)})"


def example_requests() -> list[tuple[str, dict[str, Any]]]:
    """The example pricing requests in examples/*.json (request objects with 'pricing')."""
    out = []
    if EXAMPLES_DIR.is_dir():
        for p in sorted(EXAMPLES_DIR.glob("*.json")):
            try:
                data = json.loads(p.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            if isinstance(data, dict) and "request" in data and isinstance(data["request"], dict):
                data = data["request"]
            if isinstance(data, dict) and isinstance(data.get("pricing"), dict):
                out.append((p.stem, data))
    return out


# ---------------------------------------------------------------------------
# The pricing environment (celprice.pricing), written in parallel with these
# benchmarks. Everything below probes for it and returns None when it is not
# there yet, so the benchmarks that need it skip instead of failing.
# TODO(issue 4): once celprice.pricing has settled, replace the probing with
# direct calls to its public API.
# ---------------------------------------------------------------------------

def pricing_module() -> Any | None:
    try:
        import celprice.pricing as pricing
    except ImportError:
        return None
    return pricing


def pricing_compiler() -> Callable[[str], Any] | None:
    """A function source -> object with .evaluate(activation), in the pricing dialect."""
    pricing = pricing_module()
    if pricing is None:
        return None
    import celprice

    for name in ("pricing_environment", "PRICING_ENVIRONMENT", "PRICING_ENV", "pricing_env", "environment"):
        obj = getattr(pricing, name, None)
        if obj is None:
            continue
        env = obj
        if not isinstance(env, celprice.Environment) and callable(env):
            try:
                env = env()
            except TypeError:
                continue
        if isinstance(env, celprice.Environment):
            return lambda source, _env=env: celprice.compile(source, _env)
    engine_cls = getattr(pricing, "PricingEngine", None)
    if engine_cls is not None:
        try:
            engine = engine_cls()
        except TypeError:
            return None
        for meth in ("compile", "compile_expression"):
            fn = getattr(engine, meth, None)
            if callable(fn):
                return fn
        env = getattr(engine, "env", None) or getattr(engine, "environment", None)
        if isinstance(env, celprice.Environment):
            return lambda source, _env=env: celprice.compile(source, _env)
    return None


def evaluate_pricing_function() -> Callable[[dict[str, Any]], dict[str, Any]] | None:
    pricing = pricing_module()
    fn = getattr(pricing, "evaluate_pricing", None) if pricing is not None else None
    if fn is None:
        try:
            import celprice

            fn = getattr(celprice, "evaluate_pricing", None)
        except ImportError:
            fn = None
    return fn
