"""Properties of evaluate_pricing over generated requests (hypothesis)."""
from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from celprice.pricing import RequestError, check_pricing, estimate_pricing, evaluate_pricing

FEES = ["resource_fee", "inference_fee", "royalty_fee", "partner_fee"]
FIELDS = ["resource_expression", "inference_expression", "royalty_expression", "partner_expression"]
INT64_MAX = 2**63 - 1

# Formulas that may or may not fail depending on the data, for any fee field.
FORMULAS = [
    "0", "1", "2.5", "prices.a", "prices.a * prices.b", "image_count(outputs) * prices.a",
    "text_tokens(inputs) * prices.b / 1000000.0", "video_seconds(outputs) * prices.a",
    "usage_seconds * prices.b", "elapsed_ms / 1000 * prices.a", "size(resources) * 3",
    "get(task_inputs, 'n', 1) * prices.a", "max(prices.a - prices.b, 0)", "ceil(audio_seconds(inputs) / 60.0)",
    "sum(resources.map(r, r.price_per_second)) * elapsed_ms / 1000", "9223372036854775807",
    "prices.a + 9223372036854775000", "-1", "'text'", "outputs[0].tokens", "1 / 0", "task_inputs.missing",
    "0.0 / 0.0", "1e300", "first(outputs, 'image').width * 2", "count_type(outputs, 'video')",
]
COMPONENT_ONLY = ["resource_fee * 2", "resource_cost + 1", "true || resource_fee > 0 ? 5 : 6"]
FAILING = ["'x'", "-7", "outputs[99]", "1 / 0", "undeclared_name", "1 +", "0.0 / 0.0", "[1]",
           "9223372036854775807 + 1", "prices.no_such_price"]

numbers = st.one_of(st.integers(min_value=0, max_value=10**6), st.integers(min_value=0, max_value=INT64_MAX),
                    st.floats(min_value=0, max_value=1e6, allow_nan=False))
items = st.fixed_dictionaries(
    {"type": st.sampled_from(["image", "text", "video", "audio", "raw"])},
    optional={"count": st.integers(0, 5), "tokens": st.integers(0, 10**6), "seconds": numbers,
              "width": st.integers(1, 4096), "cost": numbers},
)
task_data = st.fixed_dictionaries(
    {},
    optional={
        "output_meta": st.fixed_dictionaries({}, optional={"inputs": st.lists(items, max_size=3),
                                                          "outputs": st.lists(items, max_size=3)}),
        "resources": st.lists(st.fixed_dictionaries({}, optional={"price_per_second": numbers}), max_size=3),
        "usage_seconds": st.integers(0, 10**6),
        "elapsed_ms": st.integers(0, 10**9),
        "task_inputs": st.dictionaries(st.sampled_from(["n", "x"]), st.integers(0, 100)),
    },
)
prices = st.fixed_dictionaries({"a": st.integers(0, 10**9), "b": st.integers(0, INT64_MAX)})


def _pricing(draw_fields: dict[str, str], price_values: dict) -> dict:
    return {"prices": price_values, **draw_fields}


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.fixed_dictionaries(
        {
            "resource_expression": st.sampled_from(FORMULAS),
            "inference_expression": st.sampled_from(FORMULAS + COMPONENT_ONLY),
            "royalty_expression": st.sampled_from(FORMULAS + COMPONENT_ONLY),
            "partner_expression": st.sampled_from(FORMULAS + COMPONENT_ONLY),
        }
    ),
    prices,
    task_data,
)
def test_default_total_is_the_sum_when_nothing_failed(formulas, price_values, task):
    response = evaluate_pricing({"pricing": _pricing(formulas, price_values), **task})
    failed = [name for name in FEES if "error" in response[name]]
    values = [response[name]["value"] for name in FEES]
    assert all(type(v) is int and 0 <= v <= INT64_MAX for v in values)
    if not failed:
        total = sum(values)
        if total <= INT64_MAX:
            assert response["total"] == {"value": total}
        else:
            assert "int64 overflow" in response["total"]["error"]
    else:
        assert response["total"] == {"value": 0, "error": f"total_expression: depends on {failed[0]}, which failed"}
    for name in failed:
        assert response[name]["value"] == 0
        error = response[name]["error"]
        field = FIELDS[FEES.index(name)]
        assert error.startswith(field + ":") and "\n" not in error


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.fixed_dictionaries(
        {
            "resource_expression": st.sampled_from(FORMULAS),
            "inference_expression": st.sampled_from(FORMULAS),
            "royalty_expression": st.sampled_from(FORMULAS),
            "partner_expression": st.sampled_from(FORMULAS),
        }
    ),
    st.sampled_from(FIELDS),
    st.sampled_from(FAILING),
    prices,
    task_data,
    st.sampled_from(["", "resource_fee + inference_fee + royalty_fee + partner_fee", "max(resource_fee, 1)"]),
)
def test_a_failing_component_changes_no_other_component(formulas, field, failing, price_values, task, total):
    base = _pricing(formulas, price_values) | {"total_expression": total, "description": '"d" + string(prices.a)'}
    broken = base | {field: failing}
    before = evaluate_pricing({"pricing": base, **task})
    after = evaluate_pricing({"pricing": broken, **task})
    name = FEES[FIELDS.index(field)]
    assert after[name]["value"] == 0 and "error" in after[name]
    for other in FEES + ["description"]:
        if other != name:
            assert after[other] == before[other], other
    # The custom total that does not read the broken value is unaffected too.
    if total == "max(resource_fee, 1)" and name != "resource_fee":
        assert after["total"] == before["total"]


json_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=20),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=12,
)
expressions = st.one_of(st.sampled_from(FORMULAS + FAILING + COMPONENT_ONLY), st.text(max_size=30), json_values)
pricing_objects = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {},
        optional={
            "prices": st.one_of(json_values, st.dictionaries(st.sampled_from(["a", "b", "c d"]), json_values)),
            "resource_expression": expressions,
            "inference_expression": expressions,
            "royalty_expression": expressions,
            "partner_expression": expressions,
            "total_expression": expressions,
            "description": st.one_of(expressions, st.sampled_from(['"x" + string(prices.a)', '"unterminated', "plain"])),
            "estimate": expressions,
            "upstream_pricing": json_values,
        },
    ),
)
requests = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {},
        optional={
            "pricing": pricing_objects,
            "output_meta": st.one_of(json_values, st.fixed_dictionaries(
                {}, optional={"inputs": st.one_of(json_values, st.lists(json_values, max_size=3)),
                              "outputs": st.one_of(json_values, st.lists(json_values, max_size=3))})),
            "resources": json_values,
            "usage_seconds": json_values,
            "elapsed_ms": json_values,
            "task_inputs": json_values,
            "task_function": json_values,
        },
    ),
)


@settings(max_examples=600, suppress_health_check=[HealthCheck.too_slow])
@given(requests)
def test_no_request_raises_anything_but_request_error(request):
    try:
        response = evaluate_pricing(request)
    except RequestError as e:
        assert str(e).split(":")[0]  # starts with a path
    else:
        assert list(response) == FEES + ["total", "description"]
        for name, entry in response.items():
            assert type(entry["value"]) is (str if name == "description" else int)
            assert set(entry) <= {"value", "error"}
            if "error" in entry:
                assert "\n" not in entry["error"] and entry["value"] in (0, "")
    try:
        estimate_pricing(request)
    except RequestError:
        pass
    if isinstance(request, dict) and "pricing" in request:
        assert all(str(p) for p in check_pricing(request["pricing"]))
