"""evaluate_pricing and PricingEngine: order, defaults, the total's dependency rule,
descriptions, variable visibility, caching."""
from __future__ import annotations

import json

import pytest

import celprice
from celprice.pricing import PricingDefaults, PricingEngine, evaluate_pricing
from celprice.pricing import evaluator as evaluator_module

KEYS = ["resource_fee", "inference_fee", "royalty_fee", "partner_fee", "total", "description"]


def run(pricing, **task):
    return evaluate_pricing({"pricing": pricing, **task})


def test_response_shape_and_key_order():
    response = run({"inference_expression": "3"})
    assert list(response) == KEYS
    assert response == {
        "resource_fee": {"value": 0},
        "inference_fee": {"value": 3},
        "royalty_fee": {"value": 0},
        "partner_fee": {"value": 0},
        "total": {"value": 3},
        "description": {"value": ""},
    }
    assert json.loads(json.dumps(response)) == response  # plain JSON data
    failed = run({"inference_expression": "'x'"})["inference_fee"]
    assert list(failed) == ["value", "error"]


def test_default_resource_expression():
    resources = [{"name": "gpu-a100", "price_per_second": 2500}, {"name": "cpu", "price_per_second": 100}]
    assert run({}, resources=resources, usage_seconds=45)["resource_fee"] == {"value": 117000}
    assert run({}, resources=resources, elapsed_ms=1500)["resource_fee"] == {"value": 3900}
    assert run({}, resources=[], usage_seconds=45)["resource_fee"] == {"value": 0}


@pytest.mark.parametrize("blank", [None, "", "   ", "\n\t"])
def test_missing_null_and_blank_expressions_use_the_default(blank):
    pricing = {"inference_expression": "7", "resource_expression": blank, "total_expression": blank}
    if blank is None:
        del pricing["resource_expression"]
    response = run(pricing, resources=[{"price_per_second": 10}], usage_seconds=2)
    assert response["resource_fee"] == {"value": 20}
    assert response["total"] == {"value": 27}


def test_resource_fee_is_seen_by_components_and_total():
    response = run(
        {
            "inference_expression": "resource_fee * 2",
            "royalty_expression": "resource_cost + 1",
            "partner_expression": "resource_fee / 2",
            "total_expression": "resource_fee + inference_fee + royalty_fee + partner_fee + resource_cost",
        },
        resources=[{"price_per_second": 10}],
        usage_seconds=10,
    )
    assert [response[k]["value"] for k in KEYS[:5]] == [100, 200, 101, 50, 551]


@pytest.mark.parametrize(
    "field, source, undeclared",
    [
        ("resource_expression", "resource_fee", "resource_fee"),
        ("resource_expression", "resource_cost", "resource_cost"),
        ("inference_expression", "inference_fee", "inference_fee"),
        ("royalty_expression", "partner_fee + 1", "partner_fee"),
        ("partner_expression", "1 + royalty_fee", "royalty_fee"),
        ("total_expression", "total", "total"),
        ("inference_expression", "description", "description"),
    ],
)
def test_names_outside_their_expressions_are_undeclared(field, source, undeclared):
    response = run({field: source})
    name = {"resource_expression": "resource_fee", "inference_expression": "inference_fee",
            "royalty_expression": "royalty_fee", "partner_expression": "partner_fee",
            "total_expression": "total"}[field]
    column = source.index(undeclared) + 1
    why = {
        "resource_fee": "resource_expression computes it; the other expressions can read it",
        "resource_cost": "resource_expression computes it; the other expressions can read it",
        "description": None,
        "total": None,
    }.get(undeclared, "only total_expression can read it")
    reason = f" ({why})" if why else ""
    assert response[name] == {"value": 0, "error": f"{field}:1:{column}: undeclared reference to '{undeclared}'{reason}"}


def test_undeclared_reference_is_found_at_compile_time_not_evaluated():
    # `false && x` would absorb a run-time error; a compile-time error is not absorbed.
    response = run({"inference_expression": "false && inference_fee > 0 ? 1 : 2"})
    assert response["inference_fee"]["error"] == (
        "inference_expression:1:10: undeclared reference to 'inference_fee' (only total_expression can read it)"
    )
    engine = PricingEngine({"inference_expression": "inference_fee"})
    assert engine.components[1].program is None


def test_default_total_fails_naming_the_first_failed_component():
    response = run({"royalty_expression": "'x'", "partner_expression": "1/0"})
    assert response["royalty_fee"]["error"] == "royalty_expression: must be a number, got string"
    assert response["partner_fee"]["error"] == "partner_expression:1:2: divide by zero"
    assert response["total"] == {"value": 0, "error": "total_expression: depends on royalty_fee, which failed"}
    response = run({"resource_expression": "-1", "inference_expression": "'x'"})
    assert response["total"]["error"] == "total_expression: depends on resource_fee, which failed"


def test_custom_total_fails_only_if_it_uses_a_failed_value():
    failing = {"inference_expression": "outputs[0].tokens", "partner_expression": "5"}
    # The spec's example: `false && inference_fee > 0` evaluates (to a bool, not money).
    response = run({**failing, "total_expression": "false && inference_fee > 0"})
    assert response["total"] == {"value": 0, "error": "total_expression: must be a number, got bool"}
    response = run({**failing, "total_expression": "(false && inference_fee > 0) ? inference_fee : partner_fee * 2"})
    assert response["total"] == {"value": 10}
    response = run({**failing, "total_expression": "partner_fee + inference_fee"})
    assert response["total"]["value"] == 0
    assert response["total"]["error"].endswith("depends on inference_fee, which failed")
    assert response["total"]["error"].startswith("total_expression:")


def test_a_failed_resource_component_is_an_error_value_for_later_formulas():
    response = run(
        {
            "resource_expression": "outputs[5]",
            "inference_expression": "true || resource_fee > 0 ? 3 : 4",
            "royalty_expression": "resource_cost * 2",
        }
    )
    assert response["resource_fee"]["error"] == "resource_expression:1:8: index out of range: index 5, list size 0"
    assert response["inference_fee"] == {"value": 3}
    assert response["royalty_fee"]["value"] == 0
    assert response["royalty_fee"]["error"].endswith("depends on resource_cost, which failed")


def test_errors_are_one_line():
    response = run({"inference_expression": "1 +\n\n  'a'", "description": '"a" +\n 1'})
    error = response["inference_fee"]["error"]
    assert "\n" not in error and error.startswith("inference_expression:1:3: ")
    syntax = run({"inference_expression": "1 +\n+"})["inference_fee"]["error"]
    assert "\n" not in syntax and syntax.startswith("inference_expression:2:")
    assert "\n" not in response["description"]["error"]
    # No caret snippet in the response.
    assert "^" not in syntax


def test_compile_errors_report_the_first_problem_and_how_many_more():
    response = run({"inference_expression": "a + b + c"})
    assert response["inference_fee"]["error"] == (
        "inference_expression:1:1: undeclared reference to 'a' (and 2 more)"
    )


def test_plain_text_and_cel_descriptions():
    prices = {"per_image": 2500000}
    assert run({"prices": prices, "description": "$0.025 per image"})["description"] == {"value": "$0.025 per image"}
    # Plain text is returned unchanged, surrounding white space included.
    assert run({"description": "  2 + 2 "})["description"] == {"value": "  2 + 2 "}
    assert run({"description": "'single quotes are plain text'"})["description"] == {
        "value": "'single quotes are plain text'"
    }
    cel = run({"prices": prices, "description": '  "$" + to_dollars(prices.per_image) + " per image"'})
    assert cel["description"] == {"value": "$0.025 per image"}
    assert run({"description": '"a" + "b"'})["description"] == {"value": "ab"}
    assert run({"description": '"""triple"""'})["description"] == {"value": "triple"}


def test_description_errors():
    assert run({"description": '"n=" + 1'})["description"] == {
        "value": "",
        "error": "description:1:6: found no matching overload for operator '+' applied to '(string, int)'",
    }
    assert run({"description": '"x".size()'})["description"] == {
        "value": "",
        "error": "description: must be a string, got int",
    }
    # The description sees only prices.
    assert run({"description": '"x" + task_function'}, task_function="f")["description"] == {
        "value": "",
        "error": "description:1:7: undeclared reference to 'task_function' (a description can read only prices)",
    }
    assert run({"description": '"$" + to_dollars(prices.missing)'})["description"]["error"] == (
        "description:1:24: no such key: 'missing'"
    )


def test_description_failure_changes_no_fee():
    good = run({"inference_expression": "5", "description": '"ok"'})
    bad = run({"inference_expression": "5", "description": '"ok" + 1'})
    assert {k: good[k] for k in KEYS[:5]} == {k: bad[k] for k in KEYS[:5]}


def test_replaceable_defaults():
    defaults = PricingDefaults(resource_expression="usage_seconds * 7", description="Priced by the second")
    response = evaluate_pricing({"pricing": {}, "usage_seconds": 3}, defaults=defaults)
    assert response["resource_fee"] == {"value": 21}
    assert response["description"] == {"value": "Priced by the second"}
    # The dependency rule holds for a replaced default total as well.
    defaults = PricingDefaults(total_expression="inference_fee")
    response = evaluate_pricing({"pricing": {"resource_expression": "'x'", "inference_expression": "4"}}, defaults=defaults)
    assert response["total"]["error"] == "total_expression: depends on resource_fee, which failed"
    response = evaluate_pricing({"pricing": {"inference_expression": "4"}}, defaults=defaults)
    assert response["total"] == {"value": 4}
    with pytest.raises(TypeError):
        PricingDefaults(total_expression=None)  # type: ignore[arg-type]


def test_arithmetic_is_standard_cel_unless_promotion_is_asked_for():
    pricing = {"inference_expression": "3 * 1.5"}
    strict = evaluate_pricing({"pricing": pricing})["inference_fee"]
    assert strict == {
        "value": 0,
        "error": "inference_expression:1:3: found no matching overload for operator '*' applied to '(int, double)': "
        "write the int as a double: 3.0 * 1.5",
    }
    promoted = evaluate_pricing({"pricing": pricing}, nonstandard_promotion=True)["inference_fee"]
    assert promoted == {"value": 5}  # 4.5 rounds to 5
    # The old switch is gone rather than silently meaning something else.
    with pytest.raises(TypeError):
        evaluate_pricing({"pricing": pricing}, promotion=True)  # type: ignore[call-arg]


def test_mixed_numbers_at_run_time_say_how_to_fix_them():
    # A dyn value (a task input) escapes the checker; the run-time error still names the fix.
    response = evaluate_pricing(
        {"pricing": {"inference_expression": "get(task_inputs, 'n', 1) * 2.5"}, "task_inputs": {"n": 2}}
    )
    assert response["inference_fee"] == {
        "value": 0,
        "error": "inference_expression:1:26: found no matching overload for operator '*' applied to '(int, double)': "
        "wrap the int in double()",
    }


@pytest.mark.parametrize(
    "source, expected",
    [
        ("3 * 1.5 == 4.5", True),
        ("1 + 0.5", 1.5),
        ("0.5 + 1", 1.5),
        ("10 - 0.5", 9.5),
        ("1.0 / 4", 0.25),
        ("1 / 4.0", 0.25),
        ("7 / 2", 3),  # int / int stays integer division
        ("1u * 2.5", 2.5),
        ("2.5 - 1u", 1.5),
        ("1 / 0.0", float("inf")),
        ("1 < 1.5 && 2u > 1.5 && 1 == 1.0", True),
    ],
)
def test_nonstandard_promotion(source, expected):
    env = celprice.pricing.pricing_environment("total", nonstandard_promotion=True)
    value = celprice.compile(source, env).evaluate({})
    assert value == expected and type(value) is type(expected)


@pytest.mark.parametrize("source", ["5 % 2.0", "1 + 1u", "1u - 1", "'a' * 2.0"])
def test_promotion_keeps_cel_errors(source):
    # The checker knows the promotion overloads: the rest are type errors at compile time...
    env = celprice.pricing.pricing_environment("total", nonstandard_promotion=True)
    with pytest.raises(celprice.CELCheckError, match="found no matching overload"):
        celprice.compile(source, env)
    # ...and still errors at run time when checking is off.
    env = celprice.pricing.pricing_environment("total", nonstandard_promotion=True, check=False)
    with pytest.raises(celprice.CELEvaluationError, match="found no matching overload"):
        celprice.compile(source, env).evaluate({})


def test_engine_evaluates_many_tasks_and_reads_data_in_place():
    engine = PricingEngine({"prices": {"per_image": 100}, "inference_expression": "image_count(outputs) * prices.per_image"})
    outputs = [{"type": "image", "count": 2}]
    meta = {"inputs": [], "outputs": outputs}
    assert engine.evaluate(output_meta=meta)["inference_fee"] == {"value": 200}
    outputs[0]["count"] = 5  # the engine keeps no copy of task data
    assert engine.evaluate(output_meta=meta)["inference_fee"] == {"value": 500}
    assert meta == {"inputs": [], "outputs": [{"type": "image", "count": 5}]}  # and does not change it
    first = engine.evaluate(output_meta=meta)
    first["total"]["value"] = -1  # responses are fresh objects
    assert engine.evaluate(output_meta=meta)["total"] == {"value": 500}


def test_engine_copies_prices():
    prices = {"p": 10}
    engine = PricingEngine({"prices": prices, "inference_expression": "prices.p"})
    prices["p"] = 20
    assert engine.evaluate()["inference_fee"] == {"value": 10}


def test_evaluate_pricing_caches_engines_per_pricing():
    evaluator_module.clear_engine_cache()
    pricing = {"prices": {"a": 1}, "inference_expression": "prices.a"}
    evaluate_pricing({"pricing": pricing})
    evaluate_pricing({"pricing": dict(pricing)})
    assert evaluator_module.engine_cache_info().engines == 1
    # 1 and 1.0 are the same price; true (equal to 1 in Python) is not a price at all.
    assert evaluate_pricing({"pricing": {"prices": {"a": 1.0}, "inference_expression": "prices.a"}})["total"] == {
        "value": 1
    }
    assert evaluator_module.engine_cache_info().engines == 1
    for bad in (True, 1.5, float("nan"), -1, "1"):
        with pytest.raises(celprice.pricing.RequestError):
            evaluate_pricing({"pricing": {"prices": {"a": bad}, "inference_expression": "prices.a"}})
    assert evaluator_module.engine_cache_info().engines == 1
    # A different description or estimate is a different engine.
    evaluate_pricing({"pricing": {**pricing, "description": "x"}})
    evaluate_pricing({"pricing": {**pricing, "estimate": "1"}})
    assert evaluator_module.engine_cache_info().engines == 3
    # Other settings are part of the key.
    evaluate_pricing({"pricing": pricing}, nonstandard_promotion=True)
    evaluate_pricing({"pricing": pricing}, defaults=PricingDefaults(royalty_expression="1"))
    assert evaluator_module.engine_cache_info().engines == 5


def test_limits_make_a_component_fail():
    limits = celprice.Limits(max_cost=1000)
    response = evaluate_pricing(
        {"pricing": {"inference_expression": "size(outputs.map(x, outputs.map(y, 1)))"},
         "output_meta": {"outputs": [{}] * 200}},
        limits=limits,
    )
    assert response["inference_fee"]["value"] == 0
    assert "max_cost" in response["inference_fee"]["error"]
    long = run({"inference_expression": "1" + " + 1" * 5000})["inference_fee"]["error"]
    assert long.startswith("inference_expression:") and "10000" in long


def test_the_cache_is_bounded():
    evaluator_module.clear_engine_cache()
    bound = evaluator_module.engine_cache_info().max_engines
    first = evaluator_module.engine_for({"inference_expression": "0"})
    second = evaluator_module.engine_for({"inference_expression": "1"})
    for i in range(2, bound + 10):
        evaluate_pricing({"pricing": {"inference_expression": str(i)}})
    assert evaluator_module.engine_cache_info().engines == bound
    # The oldest went first, in the order they were cached; the newest stay.
    assert evaluator_module.engine_for({"inference_expression": "0"}) is not first
    assert evaluator_module.engine_for({"inference_expression": "1"}) is not second
    newest = {"inference_expression": str(bound + 9)}
    assert evaluator_module.engine_for(newest) is evaluator_module.engine_for(newest)
    assert evaluator_module.engine_cache_info().engines == bound


def test_clearing_the_cache_forgets_its_engines_and_their_text():
    evaluate_pricing({"pricing": {"inference_expression": "1 + 2"}})
    assert evaluator_module.engine_cache_info().text_held > 0
    evaluator_module.clear_engine_cache()
    info = evaluator_module.engine_cache_info()
    assert (info.engines, info.text_held) == (0, 0)
