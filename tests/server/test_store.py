"""The store's routes (D6) on both backends: `GET /store/apps/{appId}/pricing`
and `POST /store/apps/{appId}/estimate` over the published pricings, without
a key, in the envelope, with problem+json errors."""
from __future__ import annotations

from typing import Any

import pytest

from celprice.server import create_app
from celprice.server.limits import ServerLimits
from celprice.server.openapi import openapi_document
from celprice.usage import Ledger

from .conftest import Client
from .openapi_check import assert_documented

DOC = openapi_document()
PRICING = "/store/apps/{appId}/pricing"
ESTIMATE = "/store/apps/{appId}/estimate"
APP = "acme/flux"
# Half a cent per requested image: exact before the run.
IMAGES = {
    "prices": {"per_image": 500000},
    "resource_expression": "0",
    "inference_expression": "task_inputs.n * prices.per_image",
    "description": "$0.005 per image",
}
# Priced by the tokens produced: only the estimate expression can say something before.
TOKENS = {
    "prices": {"per_output_token": 150},
    "resource_expression": "0",
    "inference_expression": "text_tokens(outputs) * prices.per_output_token",
    "estimate": "{'min': 100 * prices.per_output_token, 'max': task_inputs.max_tokens * prices.per_output_token}",
}


@pytest.fixture
def published(ledger: Ledger) -> Ledger:
    ledger.publish_pricing(APP, IMAGES)
    ledger.publish_pricing("acme/chat", TOKENS)
    return ledger


def problem(response: Any) -> tuple[int, str, str]:
    body = response.json()
    return response.status_code, body["type"].rsplit("/", 1)[1], body["detail"]


# --- GET /store/apps/{appId}/pricing -------------------------------------------------


@pytest.mark.parametrize("app_id", ["acme%2Fflux", "acme/flux", "acme%2fflux"])
def test_the_published_pricing_needs_no_key_and_is_the_ledgers(client: Client, published: Ledger, app_id: str) -> None:
    response = client.get(f"/store/apps/{app_id}/pricing")
    assert_documented(DOC, PRICING, response)
    assert response.status_code == 200
    assert response.json() == {"data": published.pricing(APP), "messages": []}
    data = response.json()["data"]
    # As the store saves it: every field, the plain description as a CEL literal, and rendered.
    assert data["description"] == '"$0.005 per image"' and data["description_rendered"] == "$0.005 per image"
    assert (data["royalty_expression"], data["version"], data["app_endpoint"]) == ("", 1, APP)


def test_the_pricing_in_force_is_the_latest_and_version_reads_an_earlier_one(client: Client, published: Ledger) -> None:
    published.patch_pricing(APP, {"prices": {"per_image": 700000}})
    latest = client.get("/store/apps/acme%2Fflux/pricing").json()["data"]
    assert (latest["version"], latest["prices"]) == (2, {"per_image": 700000})
    first = client.get("/store/apps/acme%2Fflux/pricing?version=1")
    assert_documented(DOC, PRICING, first)
    assert (first.json()["data"]["version"], first.json()["data"]["prices"]) == (1, {"per_image": 500000})


@pytest.mark.parametrize(
    ("url", "detail"),
    [
        ("/store/apps/acme%2Fnone/pricing", "no pricing published for app 'acme/none'"),
        ("/store/apps/acme%2Fflux/pricing?version=9", "app 'acme/flux' has no pricing version 9 (its versions are 1 to 1)"),
        ("/store/apps/flux/pricing", "no app 'flux': an app id is its namespace/name, URL-encoded (acme%2Fflux)"),
        ("/store/apps/a%2Fb%2Fc/pricing", "no app 'a/b/c': an app id is its namespace/name, URL-encoded (acme%2Fflux)"),
        ("/store/apps/%2F/pricing", "no app '/': an app id is its namespace/name, URL-encoded (acme%2Fflux)"),
    ],
)
def test_an_app_without_a_pricing_is_not_found(client: Client, published: Ledger, url: str, detail: str) -> None:
    response = client.get(url)
    assert_documented(DOC, PRICING, response)
    assert problem(response) == (404, "not_found", detail)


@pytest.mark.parametrize("version", ["0", "x", "-1", "2147483648", "²", "1.0"])
def test_a_bad_version_is_invalid_request(client: Client, published: Ledger, version: str) -> None:
    response = client.get(f"/store/apps/acme%2Fflux/pricing?version={version}")
    assert_documented(DOC, PRICING, response)
    assert problem(response) == (400, "invalid_request", f'version: must be a published version number from 1; got "{version}"')


def test_an_unknown_query_parameter_is_answered_with_a_warning(client: Client, published: Ledger) -> None:
    response = client.get("/store/apps/acme%2Fflux/pricing?verison=1")
    assert response.status_code == 200 and response.json()["data"]["version"] == 1
    assert [message["code"] for message in response.json()["messages"]] == ["unknown_parameter"]


# --- POST /store/apps/{appId}/estimate -----------------------------------------------


def estimate(client: Client, app: str, body: Any) -> Any:
    response = client.post(f"/store/apps/{app.replace('/', '%2F')}/estimate", json=body)
    assert_documented(DOC, ESTIMATE, response)
    return response


def test_an_input_only_pricing_is_an_exact_estimate(client: Client, published: Ledger) -> None:
    response = estimate(client, APP, {"input": {"n": 4}})
    assert response.status_code == 200
    assert response.json() == {
        "data": {"confidence": "exact", "microcents": 2000000, "pricing_description": "$0.005 per image"},
        "messages": [],
    }
    # The ledger's estimate of the published pricing, as `celprice estimate` computes it.
    assert response.json()["data"] == published.estimate(APP, {"input": {"n": 4}})


def test_an_output_priced_app_is_a_range_from_its_estimate_or_unknown(client: Client, published: Ledger) -> None:
    ranged = estimate(client, "acme/chat", {"input": {"max_tokens": 1000}})
    assert ranged.json()["data"] == {"confidence": "range", "min": 15000, "max": 150000}
    failed = estimate(client, "acme/chat", {"input": {"prompt": "hi"}})
    assert failed.status_code == 200
    assert failed.json()["data"] == {
        "confidence": "unknown", "estimate_error": "no such key: max_tokens", "depends_on": ["outputs"],
    }
    published.patch_pricing("acme/chat", {"estimate": ""})
    assert estimate(client, "acme/chat", {"input": {}}).json()["data"] == {"confidence": "unknown", "depends_on": ["outputs"]}


def test_a_multi_function_app_is_estimated_for_its_function(client: Client, published: Ledger) -> None:
    published.publish_pricing(
        "acme/multi",
        {"resource_expression": "0", "inference_expression": "task_function == 'upscale' ? 300 : 100"},
    )
    assert estimate(client, "acme/multi", {"function": "upscale"}).json()["data"]["microcents"] == 300
    assert estimate(client, "acme/multi", {}).json()["data"]["microcents"] == 100


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ({"input": 4}, "input: must be an object, got 4"),
        ({"input": [1]}, "input: must be an object, got an array"),
        ({"function": 3}, "function: must be a string, got 3"),
        ([], "request body: must be a JSON object, got an array"),
    ],
)
def test_a_bad_body_is_invalid_request(client: Client, published: Ledger, body: Any, detail: str) -> None:
    response = estimate(client, APP, body)
    assert problem(response) == (400, "invalid_request", detail)


def test_a_body_that_is_not_json_is_invalid_request(client: Client, published: Ledger) -> None:
    response = client.post("/store/apps/acme%2Fflux/estimate", content=b"{input")
    assert_documented(DOC, ESTIMATE, response)
    assert problem(response)[:2] == (400, "invalid_request")
    assert problem(response)[2].startswith("request body: invalid JSON: ")


def test_estimating_an_app_without_a_pricing_is_not_found(client: Client, published: Ledger) -> None:
    assert problem(estimate(client, "acme/none", {})) == (404, "not_found", "no pricing published for app 'acme/none'")
    assert problem(estimate(client, "none", {}))[:2] == (404, "not_found")


def test_a_misspelt_field_is_estimated_anyway_with_a_warning(client: Client, published: Ledger) -> None:
    response = estimate(client, APP, {"inputs": {"n": 1}})
    assert response.status_code == 200
    # `input` was never given, so the formula's read of task_inputs.n fails: the warning says why.
    assert response.json()["data"]["confidence"] == "unknown"
    assert response.json()["messages"] == [
        {"level": "warning", "code": "unknown_field", "message": "unknown field 'inputs'; did you mean 'input'?",
         "meta": {"suggestion": "input", "path": "inputs"}}
    ]


def test_the_store_routes_are_limited_per_client_address(published: Ledger) -> None:
    client = Client(create_app(published, limits=ServerLimits(rate_limit=2, rate_window=3600, max_body_bytes=200)))
    assert client.get("/store/apps/acme%2Fflux/pricing").headers["x-ratelimit-remaining"] == "1"
    too_large = client.post("/store/apps/acme%2Fflux/estimate", json={"input": {"prompt": "x" * 300}})
    assert_documented(DOC, ESTIMATE, too_large)
    assert problem(too_large)[:2] == (413, "payload_too_large")
    refused = client.get("/store/apps/acme%2Fflux/pricing")
    assert_documented(DOC, PRICING, refused)
    assert problem(refused)[:2] == (429, "rate_limited") and "retry-after" in refused.headers
    client.close()


def test_a_database_that_is_down_is_503(published: Ledger) -> None:
    from celprice.usage.errors import LedgerUnavailable

    class Down(Ledger):
        def pricing(self, *args: Any, **kwargs: Any) -> Any:
            raise LedgerUnavailable("connection refused")

        def estimate(self, *args: Any, **kwargs: Any) -> Any:
            raise LedgerUnavailable("connection refused")

    client = Client(create_app(published))
    original = published.__class__
    published.__class__ = Down
    try:
        answers = [client.get("/store/apps/acme%2Fflux/pricing"), client.post("/store/apps/acme%2Fflux/estimate", json={})]
    finally:
        published.__class__ = original
    for path, response in zip((PRICING, ESTIMATE), answers):
        assert_documented(DOC, path, response)
        assert problem(response)[:2] == (503, "service_unavailable")
    assert client.get("/store/apps/acme%2Fflux/pricing").status_code == 200
    client.close()


def test_a_failure_inside_is_internal_error(published: Ledger) -> None:
    class Broken(Ledger):
        def estimate(self, *args: Any, **kwargs: Any) -> Any:
            raise RuntimeError("a bug")

    client = Client(create_app(published))
    original = published.__class__
    published.__class__ = Broken
    try:
        response = client.post("/store/apps/acme%2Fflux/estimate", json={})
    finally:
        published.__class__ = original
    assert_documented(DOC, ESTIMATE, response)
    assert problem(response) == (500, "internal_error", "internal server error; see the server's log")
    client.close()


def test_a_wrong_method_is_405(client: Client, published: Ledger) -> None:
    response = client.post("/store/apps/acme%2Fflux/pricing", json={})
    assert problem(response)[:2] == (405, "method_not_allowed") and response.headers["allow"] == "GET, HEAD"
