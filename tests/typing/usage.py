"""The public API as README.md and docs/*.md use it, for the type checkers only.

`.ci/run` runs `mypy` (strict) and `pyright` (strict) on this file: a public
signature that is untyped, or typed `object`, breaks the build here. pytest
does not collect it (its name does not start with `test_`), and nothing runs
it; `assert_type` states what a caller gets.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from typing_extensions import assert_type

import celprice
from celprice import (
    CELCheckError,
    CELError,
    CELEvaluationError,
    CELLimitError,
    CELSyntaxError,
    Duration,
    Environment,
    ErrorValue,
    Function,
    Limits,
    Optional,
    Overload,
    Program,
    Timestamp,
    Type,
    UInt,
    Value,
)
from celprice.ast import Node
from celprice.pricing import Problem
from celprice.usage import Ledger

# README: compile once, evaluate many times.
program = celprice.compile("outputs.filter(o, o.type == 'image').size() * prices.per_image")
assert_type(program, Program)
result: Value = program.evaluate({"outputs": [{"type": "image"}], "prices": {"per_image": 200000}})
total: int = celprice.evaluate("prices.per_image * 2", {"prices": {"per_image": 1}})
uncached = celprice.compile("1 + 2", cache=False)
assert_type(uncached.source, str)
assert_type(uncached.env, Environment)
assert_type(uncached.ast, Node)
assert_type(uncached.result_type, "str | None")
low, high = program.cost_estimate()
assert_type(low, int)
assert_type(high, "int | None")

# docs/api.md: environments, limits, records, custom functions.
env = Environment(
    container="",
    variables={"prices": "map(string, int)", "outputs": "list(map(string, dyn))"},
    functions=[],
    limits=Limits(max_cost=100_000),
)
checked = celprice.compile("prices.base + 1", env)
if checked.result_type is not None:
    print(checked.result_type.upper())
records = Environment(variables={"items": "list(Item)"}, records={"Item": {"seconds": "double"}}, check=True)
assert_type(Limits().max_nesting_depth, int)


def per_unit(count: int, price: int) -> int:
    return count * price


def shout(s: str) -> str:
    return s.upper()


custom = Environment(
    functions=[
        Function("per_unit", [Overload(["int", "int"], "int", per_unit), Overload(["double", "int"], "double", per_unit)]),
        Function("shout", [Overload(["string"], "string", shout, member=True)]),
    ]
)
celprice.evaluate("per_unit(3, 5) + size('x'.shout())", env=custom)

# docs/api.md: how values cross the API.
uint = UInt(3)
assert_type(uint + 1, int)
stamp = Timestamp(1_700_000_000, 5)
assert_type(stamp.seconds, int)
assert_type(Timestamp.from_datetime(datetime(2026, 6, 4, tzinfo=timezone.utc)), Timestamp)
assert_type(stamp.to_datetime(), datetime)
span = Duration(90, 0)
assert_type(Duration.from_timedelta(timedelta(seconds=3)), Duration)
assert_type(span.to_timedelta(), timedelta)
assert_type(Optional.of(1).has_value(), bool)
assert_type(Optional.none(), Optional)
name: str = celprice.evaluate("type(1)").name
missing = ErrorValue(CELEvaluationError("no such key"))
celprice.evaluate("false && x", {"x": missing})
assert isinstance(celprice.evaluate("int"), Type)

# docs/api.md: errors.
try:
    celprice.compile("prices.a * )")
except CELSyntaxError as e:
    assert_type(e.line, "int | None")
    assert_type(e.column, "int | None")
    assert_type(e.message, str)
    assert_type(e.snippet, str)
    assert_type(e.located(), str)
except CELCheckError as e:
    for problem in e.problems:
        print(problem.message)
except CELLimitError as e:
    print(e.message)
except CELEvaluationError as e:
    print(e.message, e.line, e.column)
except CELError as e:
    print(e)

# README and docs/pricing.md: the pricing evaluator, reachable from the top level.
request: dict[str, Any] = {
    "pricing": {"prices": {"per_image": 200000}, "inference_expression": "image_count(outputs) * prices.per_image"},
    "output_meta": {"outputs": [{"type": "image", "count": 2}]},
}
response = celprice.evaluate_pricing(request)
assert_type(response, "dict[str, dict[str, Any]]")
fee: Any = response["total"]["value"]
engine = celprice.PricingEngine(request["pricing"], defaults=celprice.PricingDefaults(resource_expression="0"))
per_task = engine.evaluate(output_meta={"outputs": []}, resources=[], usage_seconds=1)
assert_type(per_task, "dict[str, dict[str, Any]]")
problems = celprice.check_pricing(request["pricing"])
assert_type(problems, "list[Problem]")
for found in problems:
    assert_type(found.line, "int | None")
estimate = celprice.estimate_pricing({"pricing": request["pricing"], "input": {}})
assert_type(estimate, "dict[str, Any]")
try:
    celprice.evaluate_pricing({"pricing": []})
except celprice.RequestError as e:
    print(str(e))

# README and docs/usage.md: the usage ledger.
with Ledger() as ledger:
    completed = datetime(2026, 6, 4, 9, 30, tzinfo=timezone.utc)
    new: bool = ledger.record_task("team-7", "task-1", "acme/images", completed, celprice.evaluate_pricing(request))
    cost: Any = ledger.breakdown("team-7", "7d", now=datetime(2026, 6, 4, 12, tzinfo=timezone.utc))["total_cost"]
