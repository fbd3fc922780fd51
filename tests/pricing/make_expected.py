"""Rewrite examples/*.expected.json from the current evaluator.

Run only after checking by hand that every changed value is right:
    PYTHONPATH=src python tests/pricing/make_expected.py
"""
from __future__ import annotations

import json
import pathlib

from celprice.pricing import evaluate_pricing

EXAMPLES = pathlib.Path(__file__).resolve().parents[2] / "examples"


def main() -> None:
    for request_path in sorted(EXAMPLES.glob("*.json")):
        if request_path.name.endswith(".expected.json"):
            continue
        response = evaluate_pricing(json.loads(request_path.read_text()))
        out = request_path.with_name(request_path.stem + ".expected.json")
        text = json.dumps(response, indent=2, ensure_ascii=False) + "\n"
        if not out.exists() or out.read_text() != text:
            out.write_text(text)
            print("wrote", out.name)


if __name__ == "__main__":
    main()
