"""check_pricing: every problem of every expression, with positions, nothing evaluated."""
from __future__ import annotations

from celprice.pricing import PricingDefaults, Problem, check_pricing


def test_a_good_pricing_has_no_problems():
    assert check_pricing(
        {
            "prices": {"per_image": 2500000},
            "inference_expression": "image_count(outputs) * prices.per_image",
            "total_expression": "max(resource_fee + inference_fee + royalty_fee + partner_fee, 100)",
            "description": '"$" + to_dollars(prices.per_image)',
            "estimate": "get(task_inputs, 'num_images', 1) * prices.per_image",
        }
    ) == []
    assert check_pricing({}) == []


def test_every_problem_of_every_expression_at_once():
    problems = check_pricing(
        {
            "prices": {"per_image": "abc", "ok": 1},
            "inference_expression": "image_count(outputs) * inference_fee",
            "royalty_expression": "1 +",
            "total_expression": "foo +\n  bar",
            "description": '"$" + task_inputs.x',
            "estimate": "outputs.size()",
        }
    )
    assert [(p.component, p.line, p.column, p.message) for p in problems] == [
        ("pricing.prices.per_image", None, None, 'must be a non-negative integer, got "abc"'),
        ("inference_expression", 1, 24, "undeclared reference to 'inference_fee' (only total_expression can read it)"),
        ("royalty_expression", 1, 4, problems[2].message),
        ("total_expression", 1, 1, "undeclared reference to 'foo'"),
        ("total_expression", 2, 3, "undeclared reference to 'bar'"),
        ("description", 1, 7, "undeclared reference to 'task_inputs.x' (a description can read only prices)"),
        ("estimate", 1, 1, "undeclared reference to 'outputs' (an estimate can read only task_inputs, prices and task_function: the task has not run yet)"),
    ]
    assert problems[2].message.startswith("Syntax error:")


def test_problem_text_and_snippet():
    (problem,) = check_pricing({"inference_expression": "image_count(outputs) * inference_fee"})
    assert problem.snippet == " | image_count(outputs) * inference_fee\n | .......................^"
    assert str(problem) == (
        "inference_expression:1:24: undeclared reference to 'inference_fee' (only total_expression can read it)\n"
        " | image_count(outputs) * inference_fee\n"
        " | .......................^"
    )
    (second_line,) = check_pricing({"total_expression": "1 +\n  bar"})
    assert str(second_line).splitlines() == ["total_expression:2:3: undeclared reference to 'bar'", " |   bar", " | ..^"]
    (shape,) = check_pricing({"prices": {"x": -1}})
    assert str(shape) == "pricing.prices.x: must be a non-negative integer, got -1"
    assert shape == Problem("pricing.prices.x", None, None, "must be a non-negative integer, got -1")


def test_nothing_is_evaluated():
    # Run-time errors (division by zero, missing keys, a dyn value of the wrong type) are not check problems.
    assert check_pricing(
        {"inference_expression": "1 / 0", "royalty_expression": "outputs[3].x", "partner_expression": "get(task_inputs, 'x', 1)"}
    ) == []


def test_plain_text_description_is_not_compiled():
    assert check_pricing({"description": "$0.025 per image (unbalanced ("}) == []
    (problem,) = check_pricing({"description": '"unterminated'})
    assert problem.component == "description" and problem.line == 1


def test_shape_problems():
    assert [str(p) for p in check_pricing([1])] == ["pricing: must be an object, got an array"]
    problems = check_pricing({"inference_expression": 3, "prices": {"a": 1.5, "b": -2}})
    assert [str(p) for p in problems] == [
        "pricing.prices.a: must be a non-negative integer, got 1.5",
        "pricing.prices.b: must be a non-negative integer, got -2",
        "pricing.inference_expression: must be a string, got 3",
    ]


def test_effective_defaults_are_checked():
    defaults = PricingDefaults(resource_expression="inference_fee")
    (problem,) = check_pricing({}, defaults=defaults)
    assert problem.headline() == "resource_expression:1:1: undeclared reference to 'inference_fee' (only total_expression can read it)"
    assert check_pricing({"resource_expression": "0"}, defaults=defaults) == []


def test_promotion_flag_changes_type_checks_only():
    assert check_pricing({"inference_expression": "3 * 1.5"}, nonstandard_promotion=True) == []
    (problem,) = check_pricing({"inference_expression": "3 * 1.5"})
    assert problem.headline() == (
        "inference_expression:1:3: found no matching overload for operator '*' applied to '(int, double)': "
        "write the int as a double: 3.0 * 1.5"
    )
    (problem,) = check_pricing({"inference_expression": "3 * nope"}, nonstandard_promotion=True)
    assert problem.message == "undeclared reference to 'nope'"


def test_parse_limits_are_problems():
    (problem,) = check_pricing({"inference_expression": "1" + " + 1" * 5000})
    assert problem.component == "inference_expression" and "10000" in problem.message
