"""`celprice explain`: the value of each sub-expression as a tree."""
from __future__ import annotations

from clihelpers import assert_no_traceback, run_cli

VARS = {
    "prices": {"per_image": 200000, "per_token": 3},
    "outputs": [{"type": "image", "count": 2}, {"type": "text", "tokens": 10}],
    "premium": False,
}
PRICING_VARS = {k: v for k, v in VARS.items() if k != "premium"}  # only names a formula can read


def test_tree_of_a_formula_shows_every_sub_expression_with_its_value(write):
    result = run_cli(
        "explain", "outputs[0].count * prices.per_image + outputs[1].tokens * prices.per_token",
        "--vars", write("v.json", VARS),
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout == """\
outputs[0].count * prices.per_image + outputs[1].tokens * prices.per_token = 400030
├── outputs[0].count * prices.per_image = 400000
│   ├── outputs[0].count = 2
│   │   └── outputs[0] = {"type": "image", "count": 2}
│   │       ├── outputs = [{"type": "image", "count": 2}, {"type": "text", "tokens": 10}]
│   │       └── 0
│   └── prices.per_image = 200000
│       └── prices = {"per_image": 200000, "per_token": 3}
└── outputs[1].tokens * prices.per_token = 30
    ├── outputs[1].tokens = 10
    │   └── outputs[1] = {"type": "text", "tokens": 10}
    │       ├── outputs = [{"type": "image", "count": 2}, {"type": "text", "tokens": 10}]
    │       └── 1
    └── prices.per_token = 3
        └── prices = {"per_image": 200000, "per_token": 3}
"""


def test_a_failing_sub_expression_shows_its_error_and_the_command_exits_1(write):
    result = run_cli("explain", "prices.per_image + prices.per_video", "--vars", write("v.json", VARS))
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        "prices.per_image + prices.per_video = error: no such key: 'per_video'",
        "├── prices.per_image = 200000",
        '│   └── prices = {"per_image": 200000, "per_token": 3}',
        "└── prices.per_video = error: no such key: 'per_video'",
        '    └── prices = {"per_image": 200000, "per_token": 3}',
    ]
    # the full error, as eval prints it, goes to stderr
    assert result.stderr == (
        "ERROR: <input>:1:26: no such key: 'per_video'\n"
        " | prices.per_image + prices.per_video\n"
        " | .........................^\n"
    )


def test_the_branch_not_taken_is_not_evaluated(write):
    result = run_cli("explain", "premium ? prices.per_video : 1", "--vars", write("v.json", VARS))
    assert result.returncode == 0
    assert result.stdout.splitlines() == [
        "premium ? prices.per_video : 1 = 1",
        "├── premium = false",
        "├── prices.per_video  (not evaluated: the condition is false)",
        "└── 1",
    ]


def test_comprehension_bodies_show_their_value_for_each_element(write):
    result = run_cli("explain", "outputs.filter(o, o.type == 'image').size()", "--vars", write("v.json", VARS))
    assert result.returncode == 0
    assert result.stdout.splitlines() == [
        'outputs.filter(o, o.type == "image").size() = 1',
        '└── outputs.filter(o, o.type == "image") = [{"type": "image", "count": 2}]',
        '    ├── outputs = [{"type": "image", "count": 2}, {"type": "text", "tokens": 10}]',
        '    └── o.type == "image"  (for each element of outputs)',
        "        ├── [0] = true",
        "        └── [1] = false",
    ]


def test_the_element_that_fails_shows_its_index():
    result = run_cli("explain", "--var", 'xs=[{"t": 1}, {"u": 2}]', "xs.map(x, x.t * 2)")
    assert result.returncode == 1
    assert result.stdout.splitlines()[-3:] == [
        "└── x.t * 2  (for each element of xs)",
        "    ├── [0] = 2",
        "    └── [1] = error: no such key: 't'",
    ]


def test_per_element_values_are_bounded_and_skip_what_a_filter_leaves_out():
    result = run_cli("explain", "--var", f"xs={list(range(12))}", "xs.transformList(i, v, v > 0, i * v)")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    body = lines.index("└── i * v  (for each element of xs)")
    assert lines[body + 1] == "    ├── [0]  (not evaluated: the filter is false)"
    assert lines[body + 2] == "    ├── [1] = 1"
    assert lines[body + 10] == "    ├── [9] = 81"
    assert lines[body + 11:] == ["    └── ... 2 more  (not shown)"]


def test_a_comprehension_over_a_map_is_shown_not_evaluated():
    result = run_cli("explain", "--var", 'm={"a": 1}', "m.all(k, m[k] > 0)")
    assert result.stdout.splitlines()[-1] == "└── m[k] > 0  (evaluated for each element)"


def test_bind_bodies_are_evaluated_inside_the_binding():
    result = run_cli("explain", "cel.bind(n, 2 + 3, n * n)")
    assert result.returncode == 0
    assert result.stdout.splitlines() == [
        "cel.bind(n, 2 + 3, n * n) = 25",
        "├── 2 + 3 = 5",
        "│   ├── 2",
        "│   └── 3",
        "└── n * n = 25",
        "    ├── n = 5",
        "    └── n = 5",
    ]


def test_function_namespaces_are_not_shown_as_failing_values():
    result = run_cli("explain", "math.greatest(1, 2) + optional.of(3).value()")
    assert result.returncode == 0, result.stdout
    assert "error" not in result.stdout
    assert "├── math.greatest(1, 2) = 2" in result.stdout


def test_long_values_are_shortened_to_the_width(write):
    path = write("v.json", {"xs": list(range(100))})
    short = run_cli("explain", "xs.size()", "--vars", path, "--width", "20")
    assert short.stdout.splitlines()[1] == "└── xs = [0, 1, 2, 3, 4, 5..."  # 20 characters
    full = run_cli("explain", "xs.size()", "--vars", path, "--width", "0")
    assert full.stdout.splitlines()[1].endswith("98, 99]")


def test_a_literal_expression_still_shows_its_value():
    result = run_cli("explain", "-5")
    assert result.stdout == "-5 = -5\n"


def test_syntax_error_exits_2_without_a_tree():
    result = run_cli("explain", "1 +* 2")
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith("ERROR: <input>:1:4: Syntax error")
    assert_no_traceback(result)


def test_missing_vars_file_exits_2():
    result = run_cli("explain", "x", "--vars", "missing.json")
    assert result.returncode == 2
    assert result.stderr == "celprice explain: cannot read missing.json: No such file or directory\n"


def test_ascii_tree_when_the_output_cannot_show_box_drawing(write):
    result = run_cli("explain", "1 + 2", PYTHONIOENCODING="ascii")
    assert result.returncode == 0
    assert result.stdout.splitlines() == ["1 + 2 = 3", "|-- 1", "`-- 2"]


def test_explain_a_pricing_formula(write):
    result = run_cli(
        "explain", "--pricing", "image_count(outputs) * prices.per_image", "--vars", write("v.json", PRICING_VARS)
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[:3] == [
        "image_count(outputs) * prices.per_image = 400000",
        "├── image_count(outputs) = 2",
        '│   └── outputs = [{"type": "image", "count": 2}, {"type": "text", "tokens": 10}]',
    ]


def test_no_branch_is_evaluated_when_the_condition_fails_or_is_not_a_bool():
    failed = run_cli("explain", "missing.flag ? 1 : 2")
    assert failed.returncode == 1
    assert failed.stdout.splitlines()[-2:] == [
        "├── 1  (not evaluated: the condition failed)",
        "└── 2  (not evaluated: the condition failed)",
    ]
    not_bool = run_cli("explain", "'yes' ? 1 : 2")
    assert not_bool.returncode == 1
    assert not_bool.stdout.splitlines()[-1] == "└── 2  (not evaluated: the condition is not a bool)"


def test_a_literal_condition_decides_too():
    result = run_cli("explain", "true ? 1 : nope")
    assert result.returncode == 0
    assert result.stdout.splitlines()[-1] == "└── nope  (not evaluated: the condition is true)"
