"""The console's routes in-process: the two extension endpoints (explain,
estimate), their place in /openapi.json, and the static page itself."""
from __future__ import annotations

from typing import Any

import pytest

from celprice import estimate_pricing
from celprice.server.openapi import openapi_document

from .conftest import Client, bearer
from .openapi_check import assert_documented

DOC = openapi_document()

DRAFT: dict[str, Any] = {
    "pricing": {
        "prices": {"per_image": 200000},
        "inference_expression": "image_count(outputs) * prices.per_image",
        "total_expression": "inference_fee > 300000 ? inference_fee : 300000",
    },
    "output_meta": {"outputs": [{"type": "image", "count": 2}]},
    "task_inputs": {"num_images": 2},
}


@pytest.fixture
def key(keys: Any) -> str:
    return keys.create("t", "console", ["billing:read"])[1]


def post(client: Client, path: str, body: Any, key: str) -> Any:
    response = client.post(path, json=body, headers=bearer(key))
    assert_documented(DOC, path, response)
    return response


def walk(node: dict[str, Any]) -> list[dict[str, Any]]:
    return [node, *(n for child in node["children"] for n in walk(child))]


def test_explain_shows_each_sub_expression_with_its_value(client: Client, key: str) -> None:
    response = post(client, "/usage/cel/explain", {**DRAFT, "component": "inference_expression"}, key)
    assert response.status_code == 200
    data = response.json()["data"]
    assert data["result"] == {"value": 400000}
    assert data["problem"] is None
    values = {node["text"]: node.get("value") for node in walk(data["tree"])}
    assert values["image_count(outputs) * prices.per_image"] == 400000
    assert values["image_count(outputs)"] == 2
    assert values["prices.per_image"] == 200000


def test_explain_of_the_total_sees_the_other_fees_and_marks_the_branch_not_taken(client: Client, key: str) -> None:
    data = post(client, "/usage/cel/explain", {**DRAFT, "component": "total_expression"}, key).json()["data"]
    root = data["tree"]
    assert root["value"] == 400000
    condition, then, otherwise = root["children"]
    assert condition["value"] is True and then["value"] == 400000
    assert otherwise["note"] == "not evaluated: the condition is true"


def test_explain_of_a_formula_reading_fees_sees_only_the_fees_computed_before_it(client: Client, key: str) -> None:
    pricing = {**DRAFT["pricing"], "inference_expression": "'partner_fee' in fees ? 1 : 2", "partner_expression": "5"}
    data = post(client, "/usage/cel/explain", {**DRAFT, "pricing": pricing, "component": "inference_expression"}, key)
    data = data.json()["data"]
    # The tree agrees with the fee: partner_fee is computed after inference_fee.
    assert data["result"] == {"value": 2}
    assert data["tree"]["value"] == 2
    assert data["tree"]["children"][0]["value"] is False


@pytest.mark.parametrize(
    ("inference", "royalty", "partner"),
    [
        ("image_count(outputs) * prices.per_image", {"value": 40000}, {"value": 44000}),
        # A failed fee reads as an error in `fees`, in the tree as in the fee.
        ("prices.per_video", {"value": 0, "error": "royalty_expression: depends on inference_fee, which failed"},
         {"value": 0, "error": "partner_expression: depends on royalty_fee, which failed"}),
    ],
)
def test_explain_of_formulas_reading_earlier_fees_agrees_with_their_fees(
    client: Client, key: str, inference: str, royalty: dict[str, Any], partner: dict[str, Any]
) -> None:
    pricing = {
        **DRAFT["pricing"], "inference_expression": inference,
        "royalty_expression": "fees.inference_fee / 10",
        "partner_expression": "fees.royalty_fee + fees.inference_fee / 100",
    }
    for component, fee in (("royalty_expression", royalty), ("partner_expression", partner)):
        data = post(client, "/usage/cel/explain", {**DRAFT, "pricing": pricing, "component": component}, key)
        data = data.json()["data"]
        assert data["result"] == fee
        if "error" in fee:
            assert "value" not in data["tree"] and "depends on" in data["tree"]["error"]
        else:
            assert data["tree"]["value"] == fee["value"]


def test_explain_of_a_formula_that_does_not_compile_gives_line_column_and_caret(client: Client, key: str) -> None:
    body = {**DRAFT, "pricing": {**DRAFT["pricing"], "royalty_expression": "1 +\n  (2 *"}, "component": "royalty_expression"}
    data = post(client, "/usage/cel/explain", body, key).json()["data"]
    assert data["tree"] is None
    problem = data["problem"]
    assert (problem["component"], problem["line"]) == ("royalty_expression", 2)
    assert "^" in problem["snippet"]
    assert data["result"]["error"].startswith("royalty_expression:2:")


def test_explain_of_a_type_error_carries_the_suggested_fix(client: Client, key: str) -> None:
    body = {**DRAFT, "pricing": {**DRAFT["pricing"], "partner_expression": "prices.per_image * 1.5"}, "component": "partner_expression"}
    problem = post(client, "/usage/cel/explain", body, key).json()["data"]["problem"]
    # The checker's message names the fix (a conversion); the console shows it as it is.
    assert "double(" in problem["message"] or "int(" in problem["message"], problem


def test_explain_of_a_plain_text_description_has_no_tree(client: Client, key: str) -> None:
    body = {**DRAFT, "pricing": {**DRAFT["pricing"], "description": "Per image"}, "component": "description"}
    data = post(client, "/usage/cel/explain", body, key).json()["data"]
    assert data["tree"] is None and data["problem"] is None and data["result"] == {"value": "Per image"}


def test_explain_refuses_an_unknown_component_naming_the_choices(client: Client, key: str) -> None:
    response = post(client, "/usage/cel/explain", {**DRAFT, "component": "fee"}, key)
    assert response.status_code == 400
    assert "component: must be one of resource_expression" in response.json()["detail"]


def test_estimate_passes_the_pricing_modules_answer_through(client: Client, key: str) -> None:
    body = {**DRAFT, "pricing": {**DRAFT["pricing"], "estimate": "task_inputs.num_images * prices.per_image"}}
    response = post(client, "/usage/cel/estimate", body, key)
    assert response.status_code == 200
    assert response.json()["data"] == estimate_pricing(body)


@pytest.mark.parametrize("path", ["/usage/cel/explain", "/usage/cel/estimate"])
def test_extension_routes_need_billing_read(client: Client, keys: Any, path: str) -> None:
    assert client.post(path, json=DRAFT).status_code == 401
    apps_only = keys.create("t", "apps", ["apps:read"])[1]
    response = client.post(path, json={**DRAFT, "component": "total_expression"}, headers=bearer(apps_only))
    assert response.status_code == 403
    assert "billing:read" in response.json()["detail"]


def test_the_extension_routes_are_marked_in_the_openapi_document() -> None:
    marked = {
        path for path, operations in DOC["paths"].items() for op in operations.values() if op.get("x-celprice-extension")
    }
    assert marked == {"/usage/cel/explain", "/usage/cel/estimate"}


def test_the_console_page_is_served_with_a_policy_that_loads_nothing_from_elsewhere(client: Client) -> None:
    page = client.get("/console/")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert "connect-src 'self'" in page.headers["content-security-policy"]
    for asset in ("console.js", "console.css"):
        assert f'"{asset}"' in page.text
        assert client.get(f"/console/{asset}").status_code == 200
    # Nothing in the page or its files names another origin.
    for text in (page.text, client.get("/console/console.js").text, client.get("/console/console.css").text):
        assert "http://" not in text.replace("http://www.w3.org/2000/svg", "")
        assert "https://" not in text


def test_the_console_without_its_slash_redirects_to_the_page(client: Client) -> None:
    response = client.get("/console", follow_redirects=False)
    assert response.status_code in (307, 308)
    assert response.headers["location"].endswith("/console/")
    missing = client.get("/console/nothing.js")
    assert missing.status_code == 404 and missing.headers["content-type"].startswith("application/problem+json")
