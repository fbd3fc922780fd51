"""The static type checker: deduced types, every error kind with its position, dyn
flowing through, custom overloads, the pricing dialect, and the switch that turns it off.

docs/checker.md's table of authoring mistakes is re-generated here (MISTAKES) and
compared with the file, so it cannot drift. To rewrite it after a deliberate change:
`PYTHONPATH=src python tests/test_checker.py --write`.
"""
from __future__ import annotations

import pathlib
import sys

import pytest

import celprice
from celprice import CELCheckError, Environment, Function, Overload
from celprice.checker import check, check_source, parse_type
from celprice.parser import parse
from celprice.pricing import check_pricing, pricing_environment

CHECKED = Environment(check=True)


def typeof(source: str, env: Environment = CHECKED) -> str:
    return check_source(source, env).result_type


def errors(source: str, env: Environment = CHECKED) -> list[str]:
    """Each problem as `line:column: message`."""
    with pytest.raises(CELCheckError) as info:
        check_source(source, env)
    return [p.located() for p in info.value.problems]


# --- deduced types ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "source, expected",
    [
        ("true", "bool"),
        ("42", "int"),
        ("42u", "uint"),
        ("0.5", "double"),
        ("'s'", "string"),
        ("b'x'", "bytes"),
        ("null", "null_type"),
        ("[1, 2]", "list(int)"),
        ("[]", "list(dyn)"),
        ("[1, 'a']", "list(dyn)"),
        ("[[1], []]", "list(list(int))"),
        ("{'a': 1}", "map(string, int)"),
        ("{'a': 1, 'b': 'x'}", "map(string, dyn)"),
        ("{}", "map(dyn, dyn)"),
        ("['a'][0]", "string"),
        ("{'a': [1]}['a']", "list(int)"),
        ("{'a': {'b': 2u}}.a.b", "uint"),
        ("1 + 2", "int"),
        ("1.0 / 2.0", "double"),
        ("'a' + 'b'", "string"),
        ("[1] + [2]", "list(int)"),
        ("[] + [2]", "list(int)"),
        ("1 < 2.0", "bool"),
        ("1 == 1u", "bool"),
        ("[1] == [1.0]", "bool"),
        ("2 in [1, 2]", "bool"),
        ("'a' in {'a': 1}", "bool"),
        ("!true", "bool"),
        ("-1", "int"),
        ("size('abc')", "int"),
        ("'abc'.size()", "int"),
        ("int('1')", "int"),
        ("string(1)", "string"),
        ("double(1)", "double"),
        ("dyn(1)", "dyn"),
        ("dyn(1) + 1", "int"),
        ("type(1)", "type(int)"),
        ("type(1) == int", "bool"),
        ("'a,b'.split(',')", "list(string)"),
        ("['a'].join(',')", "string"),
        ("'abc'.substring(1)", "string"),
        ("'%d'.format([1])", "string"),
        ("timestamp('2024-01-01T00:00:00Z')", "timestamp"),
        ("timestamp('2024-01-01T00:00:00Z') - timestamp('2023-01-01T00:00:00Z')", "duration"),
        ("timestamp('2024-01-01T00:00:00Z').getHours('UTC')", "int"),
        ("duration('1h').getMinutes()", "int"),
        ("math.ceil(1.5)", "double"),
        ("math.abs(-1)", "int"),
        ("math.greatest(1, 2)", "int"),
        ("math.greatest(1, 2.0)", "dyn"),
        ("math.least([1.0, 2.0])", "double"),
        ("math.bitShiftLeft(1u, 2)", "uint"),
        ("base64.encode(b'x')", "string"),
        ("optional.of(1)", "optional_type(int)"),
        ("optional.none()", "optional_type(dyn)"),
        ("optional.of(1).value()", "int"),
        ("optional.of(1).orValue(2)", "int"),
        ("optional.none().or(optional.of('a'))", "optional_type(string)"),
        ("{'a': 1}.?a", "optional_type(int)"),
        ("[1][?0]", "optional_type(int)"),
        ("[?optional.of(1)]", "list(int)"),
        ("optional.of(2).optMap(x, x * 2)", "optional_type(int)"),
        ("true ? 1 : 2", "int"),
        ("true ? 1 : dyn('a')", "dyn"),
        ("[1, 2].map(x, double(x) * 2.0)", "list(double)"),
        ("[1, 2].map(x, x > 1, string(x))", "list(string)"),
        ("[1, 2].filter(x, x > 1)", "list(int)"),
        ("{'a': 1}.filter(k, k == 'a')", "list(string)"),
        ("[1, 2].all(x, x > 0)", "bool"),
        ("[1, 2].exists_one(x, x > 0)", "bool"),
        ("[1, 2].transformList(i, v, v + i)", "list(int)"),
        ("{'a': 1}.transformMap(k, v, v * 2)", "map(string, int)"),
        ("[1].transformMapEntry(i, v, {string(v): i})", "map(string, int)"),
        ("cel.bind(x, 'a', x + x)", "string"),
        ("has({'a': 1}.a)", "bool"),
        ("[[], [[]], [[[]]]]", "list(list(list(list(dyn))))"),
        ("[optional.none(), optional.of(1)]", "list(optional_type(int))"),
        ("[optional.of(1), null][0]", "optional_type(int)"),
    ],
)
def test_deduced_types(source, expected):
    assert typeof(source) == expected


def test_types_of_variables_and_dyn_flowing_through():
    env = Environment(variables={"m": "map(string, list(int))", "d": "dyn", "o": "optional_type(string)", "ts": "google.protobuf.Timestamp"})
    assert typeof("m.a", env) == "list(int)"
    assert typeof("m['a'][0] + 1", env) == "int"
    assert typeof("m.a.map(x, x * 2)", env) == "list(int)"
    assert typeof("d", env) == "dyn"
    assert typeof("d.x.y[3] + d.z", env) == "dyn"
    assert typeof("d.size()", env) == "int"
    assert typeof("d.startsWith('a')", env) == "bool"
    assert typeof("d ? d : d", env) == "dyn"
    assert typeof("d.all(x, x)", env) == "bool"
    assert typeof("o.orValue('x')", env) == "string"
    assert typeof("ts + duration('1s')", env) == "timestamp"
    assert typeof("ts.getFullYear()", env) == "int"


def test_per_node_types_for_the_compiler():
    env = Environment(variables={"x": "int"})
    node = parse("x + 1.0 > 2.0 ? 'a' : 'b'")
    with pytest.raises(CELCheckError):
        check(node, env, "x + 1.0 > 2.0 ? 'a' : 'b'")
    source = "[x, 2].map(y, y * 2 > 1)"
    node = parse(source)
    result = check(node, env, source)
    assert result.result_type == "list(bool)"
    types = result.node_types()
    assert types[id(node)] == "list(bool)"
    assert types[id(node.range)] == "list(int)"
    assert result.type_of(node.body) == "bool"


# --- errors, with line and column ----------------------------------------------------------


def test_no_matching_overload():
    assert errors("'a' + 1") == ["1:5: found no matching overload for '_+_' applied to '(string, int)'"]
    assert errors("size(1)") == ["1:5: found no matching overload for 'size' applied to '(int)'"]
    assert errors("math.ceil('x')") == ["1:10: found no matching overload for 'math.ceil' applied to '(string)'"]
    assert errors("'a'.startsWith(1)") == [
        "1:15: found no matching overload for 'startsWith' applied to 'string.(int)'"
    ]
    assert errors("[1][0] + 'x'") == ["1:8: found no matching overload for '_+_' applied to '(int, string)'"]


def test_the_error_text_is_the_reference_format():
    with pytest.raises(CELCheckError) as info:
        celprice.compile("1 +\n  'a'", CHECKED)
    assert str(info.value) == (
        "ERROR: <input>:1:3: found no matching overload for '_+_' applied to '(int, string)'\n"
        " | 1 +\n"
        " | ..^"
    )
    (problem,) = info.value.problems
    assert (problem.line, problem.column) == (1, 3)


def test_wrong_argument_count():
    assert errors("size('a', 'b')") == ["1:5: function 'size' takes 1 argument, got 2"]
    assert errors("'a'.size(1)") == ["1:9: method 'size' takes 0 arguments, got 1"]
    assert errors("'a'.indexOf()") == ["1:12: method 'indexOf' takes 1 or 2 arguments, got 0"]


def test_undeclared_references():
    env = Environment(variables={"x": "int"})
    assert errors("x + y", env) == ["1:5: undeclared reference to 'y'"]
    assert errors("a.b.c", env) == ["1:1: undeclared reference to 'a.b.c'"]
    assert errors("nope(1)", env) == ["1:5: undeclared reference to function 'nope'"]
    assert errors("x.nope()", env) == ["1:7: undeclared reference to method 'nope'"]
    env = Environment(container="pkg", variables={"pkg.v": "int"})
    assert typeof("v + 1", env) == "int"
    assert errors("w", env) == ["1:1: undeclared reference to 'w' (in container 'pkg')"]


def test_comparisons_of_incompatible_types():
    assert errors("1 < 'a'") == ["1:3: found no matching overload for '_<_' applied to '(int, string)'"]
    assert errors("1 == 'a'") == ["1:3: found no matching overload for '_==_' applied to '(int, string)'"]
    assert errors("[1] != {}") == ["1:5: found no matching overload for '_!=_' applied to '(list(int), map(dyn, dyn))'"]
    assert errors("1 in ['a']") == ["1:3: found no matching overload for '@in' applied to '(int, list(string))'"]


def test_non_bool_conditions():
    assert errors("1 ? 2 : 3") == ["1:3: found no matching overload for '_?_:_' applied to '(int, int, int)'"]
    assert errors("1 && true") == ["1:3: found no matching overload for '_&&_' applied to '(int, bool)'"]
    assert errors("true || 'a'") == ["1:6: found no matching overload for '_||_' applied to '(bool, string)'"]
    assert errors("[1].filter(x, x)") == ["1:11: filter() predicate must be bool, got 'int'"]
    assert errors("[1].all(x, x + 1)") == ["1:8: all() condition must be bool, got 'int'"]
    assert errors("[1].map(x, 'a', x)") == ["1:8: map() predicate must be bool, got 'string'"]


def test_other_errors():
    assert errors("1.foo") == ["1:2: type 'int' does not support field selection (field 'foo')"]
    assert errors("'abc'[0]") == ["1:6: found no matching overload for '_[_]' applied to '(string, int)'"]
    assert errors("{'a': 1}[0]") == ["1:9: found no matching overload for '_[_]' applied to '(map(string, int), int)'"]
    assert errors("1.map(x, x)") == [
        "1:1: expression of type 'int' cannot be the range of a comprehension (must be list, map, or dynamic)"
    ]
    assert errors("{1.5: 1}") == ["1:2: unsupported key type 'double' in map literal"]
    assert errors("Msg{a: 1}") == ["1:4: undeclared reference to message type 'Msg'"]


def test_every_problem_is_reported_once_in_source_order():
    env = Environment(variables={"x": "int"})
    assert errors("(x + 'a') * 2 + y + size(x)", env) == [
        "1:4: found no matching overload for '_+_' applied to '(int, string)'",
        "1:17: undeclared reference to 'y'",
        "1:25: found no matching overload for 'size' applied to '(int)'",
    ]


# --- custom overloads -------------------------------------------------------------------


def _impl(*args):
    return args[0]


def test_custom_overloads_are_checked():
    env = Environment(
        variables={"n": "int"},
        functions=[
            Function("twice", [Overload(["int"], "int", _impl), Overload(["string"], "string", _impl)]),
            Function("first", [Overload(["list(T)"], "T", _impl)]),
            Function("pick", [Overload(["map(K, V)", "K"], "V", _impl)]),
            Function("shout", [Overload(["string"], "string", _impl, member=True)]),
            # a new overload of a standard function
            Function("size", [Overload(["int"], "int", _impl)]),
        ],
    )
    assert typeof("twice(n)", env) == "int"
    assert typeof("twice('a')", env) == "string"
    assert errors("twice(1.5)", env) == ["1:6: found no matching overload for 'twice' applied to '(double)'"]
    assert typeof("first(['a'])", env) == "string"
    assert typeof("first([n, 2])", env) == "int"
    assert typeof("pick({'a': [1]}, 'a')", env) == "list(int)"
    assert errors("pick({'a': 1}, 2)", env) == [
        "1:5: found no matching overload for 'pick' applied to '(map(string, int), int)'"
    ]
    assert typeof("'a'.shout()", env) == "string"
    assert typeof("size(n)", env) == "int"
    assert celprice.compile("size(n) + twice(n)", env).evaluate({"n": 3}) == 6


def test_the_checker_types_exactly_what_the_registry_declares():
    from celprice.checker import declarations
    from celprice.stdlib import STANDARD

    decls = declarations(celprice.program.default_environment())
    assert set(decls.functions) == set(STANDARD.functions)
    assert set(decls.methods) == set(STANDARD.methods)
    for entry in STANDARD.entries():
        typed = (decls.methods if entry.member else decls.functions)[entry.name]
        assert sum(map(len, typed.by_arity.values())) == len(entry.overloads), entry.name


def test_functions_the_runtime_has_but_the_table_does_not_type_are_dyn():
    env = Environment(functions=[Function("raw", [Overload(["dyn"], "dyn", _impl)])], check=True)
    assert typeof("raw(1)", env) == "dyn"
    assert typeof("raw(1) + 1", env) == "int"


# --- compile(), Program.result_type, and the switch -----------------------------------------


def test_compile_checks_when_variables_are_declared():
    env = Environment(variables={"x": "int"})
    assert env.checks
    program = celprice.compile("x * 2", env)
    assert program.result_type == "int"
    assert program.evaluate({"x": 4}) == 8
    with pytest.raises(CELCheckError, match="found no matching overload for '_\\*_' applied to '\\(int, string\\)'"):
        celprice.compile("x * 'a'", env)


def test_check_false_turns_type_checking_off():
    env = Environment(variables={"x": "int"}, check=False)
    assert not env.checks
    program = celprice.compile("x * 'a'", env)
    assert program.result_type is None and program.checked is None
    with pytest.raises(celprice.CELEvaluationError, match="found no matching overload"):
        program.evaluate({"x": 4})
    # undeclared names are still compile errors while variables are declared
    with pytest.raises(CELCheckError, match="undeclared reference to 'y'"):
        celprice.compile("y", env)


def test_no_declarations_means_no_checking_unless_asked():
    program = celprice.compile("1 + 1")
    assert program.result_type is None
    assert celprice.compile("1 + 1", Environment(check=True)).result_type == "int"
    with pytest.raises(CELCheckError):
        celprice.compile("x", Environment(check=True))


def test_type_names():
    assert parse_type("map(string, list(int))") == ("map", "string", ("list", "int"))
    assert parse_type("google.protobuf.Timestamp") == "timestamp"
    assert parse_type("list") == ("list", "dyn")
    with pytest.raises(ValueError):
        parse_type("list(int")


# --- the pricing dialect ----------------------------------------------------------------------


def test_pricing_arithmetic_and_comparisons():
    env = pricing_environment("total")
    assert typeof("double(usage_seconds) * 1.5", env) == "double"
    assert typeof("prices.per_image / 2", env) == "int"
    assert typeof("double(text_tokens(outputs)) / 1000000.0 * double(prices.per_million)", env) == "double"
    assert typeof("usage_seconds > 1.5 && 1u < usage_seconds", env) == "bool"
    assert typeof("image_count(outputs) * prices.per_image", env) == "int"
    # Only int * int fits a dyn times an int in standard CEL.
    assert typeof("sum(resources.map(r, r.price_per_second)) * elapsed_ms / 1000", env) == "int"
    assert typeof("output_meta.outputs[0].tokens", env) == "dyn"
    assert typeof("outputs[0].tokens", env) == "int"
    assert typeof("inputs[0].seconds", env) == "double"
    assert errors("usage_seconds % 2.5", env) == ["1:15: found no matching overload for '_%_' applied to '(int, double)'"]
    assert errors("usage_seconds + 1u", env) == ["1:15: found no matching overload for '_+_' applied to '(int, uint)'"]
    assert errors("ceil('x')", env) == ["1:5: found no matching overload for 'ceil' applied to '(string)'"]
    assert errors("usage_seconds * 1.5", env) == [
        "1:15: found no matching overload for '_*_' applied to '(int, double)': "
        "wrap the int in double(): double(usage_seconds) * 1.5"
    ]
    promoted = pricing_environment("total", nonstandard_promotion=True)
    assert typeof("usage_seconds * 1.5", promoted) == "double"
    assert typeof("text_tokens(outputs) / 1000000.0 * prices.per_million", promoted) == "double"


def test_records_type_the_fields_they_list():
    env = celprice.Environment(
        variables={"items": "list(Item)", "plain": "list(map(string, dyn))"},
        records={"Item": {"seconds": "double", "count": "int"}},
    )
    assert typeof("items[0].seconds", env) == "double"
    assert typeof("items[0].count", env) == "int"
    assert typeof("items[0].other", env) == "dyn"  # a key the record does not list
    assert typeof("items.map(i, i.seconds)", env) == "list(double)"
    assert typeof("has(items[0].seconds)", env) == "bool"
    assert typeof("items[0]", env) == "map(string, dyn)"  # a map to everything but selection
    assert typeof("plain[0].seconds", env) == "dyn"
    # A record joined with another map is a plain map: the other's fields may differ.
    assert typeof("[items[0], {'seconds': 1}][1].seconds", env) == "dyn"
    assert errors("items[0].seconds * 2", env) == [
        "1:18: found no matching overload for '_*_' applied to '(double, int)': write the int as a double: "
        "items[0].seconds * 2.0"
    ]
    with pytest.raises(celprice.CELError, match="record 'Item', field 'n'"):
        celprice.Environment(records={"Item": {"n": "integer"}})


def test_check_pricing_result_types():
    problems = check_pricing(
        {
            "inference_expression": "'free'",
            "royalty_expression": "[1, 2]",
            "partner_expression": "get(task_inputs, 'x', 0)",
            "total_expression": "usage_seconds > 1",
            "description": '"$" + string(prices.per_image)',
            "estimate": "'soon'",
        }
    )
    assert [p.headline() for p in problems] == [
        "inference_expression:1:1: fee must be a number, got string",
        "royalty_expression:1:1: fee must be a number, got list(int)",
        "total_expression:1:1: fee must be a number, got bool",
        "estimate:1:1: estimate must be a number or a {min, max} map, got string",
    ]
    (problem,) = check_pricing({"description": '"x" == "y"'})
    assert problem.headline() == "description:1:1: description must be a string, got bool"
    assert check_pricing({"estimate": "{'min': 1, 'max': 2}"}) == []
    (problem,) = check_pricing({"inference_expression": "usage_seconds * 'x'"})
    assert str(problem) == (
        "inference_expression:1:15: found no matching overload for '_*_' applied to '(int, string)'\n"
        " | usage_seconds * 'x'\n"
        " | ..............^"
    )


# --- docs/checker.md: twenty authoring mistakes --------------------------------------------

MISTAKES = [
    ("a string where a number is needed", "prices.per_image * '2'"),
    ("a number compared with a string", "usage_seconds > '60'"),
    ("a string compared with a number", "task_function == 1"),
    ("adding text to a fee", "image_count(outputs) * prices.per_image + task_function"),
    ("int mixed with uint", "usage_seconds + 1u"),
    ("`%` with a double", "usage_seconds % 2.5"),
    ("a misspelt variable", "inference_fee + royalty_fee + partner_fees"),
    ("a misspelt function", "image_counts(outputs) * prices.per_image"),
    ("a method that does not exist", "task_function.lower() == 'x'"),
    ("a helper given the wrong kind of argument", "ceil('1.5')"),
    ("a helper given too many arguments", "round(usage_seconds / 60, 2)"),
    ("a list helper given a number", "sum(usage_seconds)"),
    ("size() of a number", "size(usage_seconds)"),
    ("a string method with a number", "task_function.startsWith(1)"),
    ("a field of a number", "prices.per_image.amount"),
    ("indexing a map with a number", "prices[0]"),
    ("a non-bool condition in ?:", "usage_seconds ? 100 : 0"),
    ("a non-bool operand of &&", "usage_seconds && elapsed_ms > 0"),
    ("a non-bool filter predicate", "outputs.filter(o, 1).size()"),
    ("iterating over a number", "usage_seconds.map(s, s * 2)"),
    ("`in` with a string", "'image' in task_function"),
    ("a duration from a number", "duration(usage_seconds)"),
]

DOC = pathlib.Path(__file__).resolve().parents[1] / "docs" / "checker.md"
BEGIN, END = "<!-- mistakes:begin -->", "<!-- mistakes:end -->"


def _cell(text: str) -> str:
    return "`" + text.replace("|", "\\|") + "`"


def render_mistakes() -> str:
    env = pricing_environment("total")
    lines = ["| mistake | expression | message |", "|---|---|---|"]
    for what, source in MISTAKES:
        try:
            celprice.compile(source, env, cache=False)
            message = "(no error)"
        except CELCheckError as e:
            message = " / ".join(p.located() for p in e.problems)
        lines.append(f"| {what} | {_cell(source)} | {_cell(message)} |")
    return "\n".join(lines)


def test_docs_table_of_mistakes_is_current():
    text = DOC.read_text()
    table = text.split(BEGIN, 1)[1].split(END, 1)[0].strip()
    assert table == render_mistakes()
    assert "(no error)" not in table
    assert len(MISTAKES) >= 20


def _write_doc() -> None:
    text = DOC.read_text()
    start, rest = text.split(BEGIN, 1)
    _, end = rest.split(END, 1)
    DOC.write_text(f"{start}{BEGIN}\n{render_mistakes()}\n{END}{end}")


if __name__ == "__main__" and "--write" in sys.argv:
    _write_doc()


def test_pricing_min_max_pixels_have_precise_result_types():
    from celprice.pricing import pricing_environment

    env = pricing_environment("total")
    assert celprice.compile("min(1, 2)", env).result_type == "int"
    assert celprice.compile("max(1, 2.5)", env).result_type == "double"
    assert celprice.compile("pixels(2, 3)", env).result_type == "int"
    with pytest.raises(celprice.CELCheckError, match="'_\\+_' applied to '\\(int, string\\)'"):
        celprice.compile("min(1, 2) + 'x'", env)
