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
    """Import this checkout's celprice (its src/), installed or not: a
    benchmark run from a baseline checkout, in a virtual environment where
    another checkout is installed, measures the baseline. A celprice that
    PYTHONPATH names wins, so that one checkout's script can time another's
    code."""
    named = os.environ.get("PYTHONPATH", "").split(os.pathsep)
    if not any(entry and (Path(entry) / "celprice").is_dir() for entry in named):
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


def example_requests() -> list[tuple[str, dict[str, Any], dict[str, Any] | None]]:
    """(name, request, expected response or None) for examples/NAME.json (+ NAME.expected.json)."""
    out = []
    if EXAMPLES_DIR.is_dir():
        for p in sorted(EXAMPLES_DIR.glob("*.json")):
            if p.name.endswith(".expected.json"):
                continue
            try:
                data = json.loads(p.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            if not (isinstance(data, dict) and isinstance(data.get("pricing"), dict)):
                continue
            expected = None
            ep = p.with_name(p.stem + ".expected.json")
            if ep.is_file():
                try:
                    expected = json.loads(ep.read_text(encoding="utf-8"))
                except ValueError:
                    expected = None
            out.append((p.stem, data, expected))
    return out


def same_response(got: dict[str, Any], expected: dict[str, Any]) -> bool:
    """Values equal; error messages only need to be present where expected (their text may change)."""
    if not isinstance(got, dict) or set(got) != set(expected):
        return False
    for key, exp in expected.items():
        g = got[key]
        if not isinstance(g, dict) or g.get("value") != exp.get("value"):
            return False
        if ("error" in g) != ("error" in exp):
            return False
    return True


# ---------------------------------------------------------------------------
# The pricing environment (celprice.pricing). It was written in parallel with
# these benchmarks: everything below returns None when it is missing, so the
# benchmarks that need it skip instead of failing.
# ---------------------------------------------------------------------------

def pricing_module() -> Any | None:
    try:
        import celprice.pricing as pricing
    except ImportError:
        return None
    return pricing


def pricing_compiler() -> Callable[[str], Any] | None:
    """source -> Program in the pricing dialect ('total' kind: sees every variable)."""
    pricing = pricing_module()
    make_env = getattr(pricing, "pricing_environment", None) if pricing is not None else None
    if make_env is None:
        return None
    import celprice

    env = make_env("total")
    return lambda source: celprice.compile(source, env)


def decoded(activation: dict[str, Any]) -> dict[str, Any]:
    """The activation with its output-meta items decoded as a request's are (`cost` a double)."""
    pricing = pricing_module()
    decode = getattr(pricing, "decode_activation", None) if pricing is not None else None
    return activation if decode is None else decode(activation)


def evaluate_pricing_function() -> Callable[[dict[str, Any]], dict[str, Any]] | None:
    pricing = pricing_module()
    return getattr(pricing, "evaluate_pricing", None) if pricing is not None else None
