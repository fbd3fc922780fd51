"""The platform's ingestion routes on both backends: a completed task is
recorded once per task id, a refund once per refund id, behind billing:write."""
from __future__ import annotations

from typing import Any

import pytest

from celprice.pricing import evaluate_pricing
from celprice.server.openapi import openapi_document
from celprice.usage import Ledger
from celprice.usage.audit import NotAuditable
from celprice.usage.keys import KeyStore

from .conftest import NOW, Client, bearer
from .openapi_check import assert_documented
from .test_app import fees

DOC = openapi_document()
TASKS = "/usage/tasks"
REFUNDS = "/usage/tasks/{taskID}/refunds"
GPU = [{"tier": "cloud", "type": "gpu", "model": "A100", "seconds": 30}]


def task(task_id: str = "task-1", **extra: Any) -> dict[str, Any]:
    return {
        "task_id": task_id,
        "app_endpoint": "acme/flux",
        "completed_at": "2026-06-04T11:00:00Z",
        "fees": fees(50000, 20000),
        "usage_events": GPU,
        **extra,
    }


@pytest.fixture
def writer(keys: KeyStore) -> dict[str, str]:
    return bearer(keys.create("team-a", "platform", ["billing:write"])[1])


def test_a_task_is_recorded_once_201_then_200(client: Client, writer: dict[str, str], ledger: Ledger) -> None:
    first = client.post(TASKS, json=task(), headers=writer)
    assert_documented(DOC, TASKS, first)
    assert first.status_code == 201
    assert first.json() == {"data": ledger.task_cost("team-a", "task-1"), "messages": []}
    assert first.json()["data"]["total"] == 50000
    # A retry (say after a 503 whose commit had landed) changes nothing: the first record stands.
    again = client.post(TASKS, json=task(), headers=writer)
    assert_documented(DOC, TASKS, again)
    assert again.status_code == 200 and again.json() == first.json()
    assert ledger.summary("team-a")["total_usage"] == 30
    assert ledger.breakdown("team-a", "1d", NOW)["total_cost"] == 50000


@pytest.mark.parametrize(
    ("changed", "detail"),
    [
        (
            {"fees": fees(1)},
            "fees.resource_fee 30000 (this request: 1), fees.inference_fee 20000 (this request: 0), "
            "fees.total 50000 (this request: 1)",
        ),
        ({"app_endpoint": "acme/echo"}, 'app_endpoint "acme/flux" (this request: "acme/echo")'),
        ({"discount": 5}, "discount 0 (this request: 5)"),
    ],
)
def test_the_same_task_id_with_other_content_is_409_and_the_first_record_stands(
    client: Client, writer: dict[str, str], ledger: Ledger, changed: dict[str, Any], detail: str
) -> None:
    client.post(TASKS, json=task(), headers=writer)
    response = client.post(TASKS, json=task(**changed), headers=writer)
    assert_documented(DOC, TASKS, response)
    assert response.status_code == 409
    assert response.json()["detail"] == (
        f"task 'task-1' was recorded before with {detail}; the first record stands: "
        "correct a charge with a refund, or record the task under a new task_id"
    )
    assert ledger.task_cost("team-a", "task-1")["total"] == 50000
    assert ledger.breakdown("team-a", "1d", NOW)["total_cost"] == 50000


# --- priced by the app's published pricing ------------------------------------------

# A cent per requested image, and the GPU time at a rate.
PUBLISHED = {
    "prices": {"per_image": 1000000, "per_second": 2000},
    "resource_expression": "int(usage_seconds) * prices.per_second",
    "inference_expression": "task_inputs.n * prices.per_image",
}


def priced(task_id: str = "task-p", n: int = 2, **extra: Any) -> dict[str, Any]:
    return {
        "task_id": task_id, "app_endpoint": "acme/flux", "completed_at": "2026-06-04T11:00:00Z",
        "usage_events": GPU, "task_inputs": {"n": n}, "usage_seconds": 30, **extra,
    }


def test_without_fees_a_task_is_priced_by_the_published_pricing_in_force(
    client: Client, writer: dict[str, str], ledger: Ledger
) -> None:
    ledger.publish_pricing("acme/flux", PUBLISHED)
    version = ledger.patch_pricing("acme/flux", {"prices": {"per_second": 3000}})
    response = client.post(TASKS, json=priced(), headers=writer)
    assert_documented(DOC, TASKS, response)
    assert response.status_code == 201
    cost = ledger.task_cost("team-a", "task-p")
    assert response.json()["data"] == cost
    # Version 2's rate: 30 s at 3000, and two images at a cent.
    assert (cost["resource_fee"], cost["inference_fee"], cost["total"]) == (90000, 2000000, 2090000)
    assert cost["pricing_version"] == version == 2
    # What evaluate_pricing answers for the published pricing and these inputs.
    fees = evaluate_pricing({"pricing": ledger.pricing("acme/flux", 2), "task_inputs": {"n": 2}, "usage_seconds": 30})
    assert all(cost[name] == fees[name]["value"] for name in ("resource_fee", "inference_fee", "royalty_fee", "partner_fee"))


def test_a_task_the_server_priced_keeps_its_inputs_and_explain_reproduces_its_charge(
    client: Client, writer: dict[str, str], ledger: Ledger
) -> None:
    ledger.publish_pricing("acme/flux", PUBLISHED)
    assert client.post(TASKS, json=priced(n=3), headers=writer).status_code == 201
    explanation = ledger.explain("team-a", "task-p")
    assert explanation.reproduced and explanation.pricing_version == 1
    assert explanation.inputs["task_inputs"] == {"n": 3}
    # Fees given without a version say nothing of what priced them: nothing to re-price by.
    assert client.post(TASKS, json=task("task-given"), headers=writer).status_code == 201
    with pytest.raises(NotAuditable):
        ledger.explain("team-a", "task-given")


def test_a_priced_task_retried_is_200_even_after_a_new_version_and_other_inputs_are_409(
    client: Client, writer: dict[str, str], ledger: Ledger
) -> None:
    ledger.publish_pricing("acme/flux", PUBLISHED)
    assert client.post(TASKS, json=priced(), headers=writer).status_code == 201
    # Its answer was lost, and meanwhile the app published a new price: the
    # same inputs are the same task, priced by the version that priced it.
    ledger.patch_pricing("acme/flux", {"prices": {"per_image": 5}})
    retry = client.post(TASKS, json=priced(), headers=writer)
    assert (retry.status_code, retry.json()["data"]["pricing_version"], retry.json()["data"]["total"]) == (200, 1, 2060000)
    other = client.post(TASKS, json=priced(n=3), headers=writer)
    assert_documented(DOC, TASKS, other)
    assert other.status_code == 409
    assert "fees.inference_fee 2000000 (this request: 3000000)" in other.json()["detail"]
    pinned = client.post(TASKS, json=priced(pricing_version=2), headers=writer)
    assert pinned.status_code == 409 and "pricing_version 1 (this request: 2)" in pinned.json()["detail"]
    assert ledger.task_cost("team-a", "task-p")["total"] == 2060000


def test_a_retry_the_recorded_version_cannot_price_is_409_saying_why(
    client: Client, writer: dict[str, str], ledger: Ledger
) -> None:
    ledger.publish_pricing("acme/flux", PUBLISHED)
    assert client.post(TASKS, json=priced(), headers=writer).status_code == 201
    ledger.patch_pricing("acme/flux", {"inference_expression": "task_inputs.m * prices.per_image"})
    # Version 2 prices it, version 1 (which priced the task) reads task_inputs.n,
    # which this retry lacks: there are no fees to compare.
    retry = client.post(TASKS, json=priced(task_inputs={"m": 1}), headers=writer)
    assert_documented(DOC, TASKS, retry)
    assert retry.status_code == 409
    detail = retry.json()["detail"]
    assert "priced by version 1 of 'acme/flux', which cannot price this request" in detail
    assert "no such key: 'n'" in detail and "null" not in detail
    assert ledger.task_cost("team-a", "task-p")["total"] == 2060000


def test_pricing_version_prices_by_an_earlier_version_or_names_the_one_that_priced_the_fees(
    client: Client, writer: dict[str, str], ledger: Ledger
) -> None:
    ledger.publish_pricing("acme/flux", PUBLISHED)
    ledger.patch_pricing("acme/flux", {"prices": {"per_image": 5}})
    by_first = client.post(TASKS, json=priced(pricing_version=1), headers=writer)
    assert (by_first.status_code, by_first.json()["data"]["total"], by_first.json()["data"]["pricing_version"]) == (201, 2060000, 1)
    given = client.post(TASKS, json=task("task-f", pricing_version=2), headers=writer)
    assert (given.status_code, given.json()["data"]["total"], given.json()["data"]["pricing_version"]) == (201, 50000, 2)
    missing = client.post(TASKS, json=task("task-g", pricing_version=7), headers=writer)
    assert (missing.status_code, missing.json()["detail"]) == (400, "app 'acme/flux' has no pricing version 7 (its versions are 1 to 2)")


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        (priced(app_endpoint="acme/none"), "fees: required, or publish a pricing to price the task by: no pricing published for app 'acme/none'"),
        (priced(task_inputs={}), "the published pricing of 'acme/flux' (version 1) cannot price this task: inference_fee: inference_expression:1:12: no such key: 'n'"),
        (priced(task_inputs=[1]), "task_inputs: must be an object, got an array"),
        (priced(pricing_version="1"), 'pricing_version: must be a published version number from 1; got "1"'),
        (priced(pricing_version=True), "pricing_version: must be a published version number from 1; got true"),
        (priced(pricing_version=4), "fees: required, or publish a pricing to price the task by: app 'acme/flux' has no pricing version 4 (its versions are 1 to 1)"),
    ],
)
def test_a_task_its_pricing_cannot_price_is_invalid_request_and_nothing_is_written(
    client: Client, writer: dict[str, str], ledger: Ledger, body: dict[str, Any], detail: str
) -> None:
    ledger.publish_pricing("acme/flux", PUBLISHED)
    response = client.post(TASKS, json=body, headers=writer)
    assert_documented(DOC, TASKS, response)
    assert (response.status_code, response.json()["detail"]) == (400, detail)
    assert ledger.breakdown("team-a", "30d", NOW)["total_cost"] == 0


def test_recording_needs_billing_write(client: Client, keys: KeyStore, ledger: Ledger) -> None:
    _, reader = keys.create("team-a", "dashboard", ["billing:read"])
    response = client.post(TASKS, json=task(), headers=bearer(reader))
    assert_documented(DOC, TASKS, response)
    assert response.status_code == 403
    assert response.json()["detail"] == "this API key lacks the scope billing:write"
    _, billing = keys.create("team-a", "all-billing", ["billing"])
    assert client.post(TASKS, json=task(), headers=bearer(billing)).status_code == 201


@pytest.mark.parametrize(
    "body, detail",
    [
        ({"app_endpoint": "acme/flux", "fees": fees(1)}, "task_id: required, a non-empty string; got null"),
        (task(completed_at="yesterday"), 'completed_at: not an RFC 3339 date-time: "yesterday"'),
        (task(completed_at="2026-06-04T11:00:00"), 'completed_at: needs a timezone (2026-06-04T11:00:00Z); got "2026-06-04T11:00:00"'),
        (task(fees={**fees(10), "total": {"value": -1}}), "fees.total.value must be between 0 and 9223372036854775807 microcents, got -1"),
        (task(fees={**fees(10), "inference_fee": {"value": 0, "error": "boom"}}), "fees.inference_fee failed and cannot be charged: boom"),
        (task(discount=60000), "discount must be between 0 and the task's total (50000 microcents), got 60000"),
        (task(usage_events=[{"tier": "cloud", "type": "gpu", "secs": 1}]), "usage_events[0] has unknown key 'secs' (an event has tier, type, model, seconds)"),
    ],
)
def test_a_task_the_ledger_refuses_is_invalid_request_and_nothing_is_written(
    client: Client, writer: dict[str, str], ledger: Ledger, body: dict[str, Any], detail: str
) -> None:
    response = client.post(TASKS, json=body, headers=writer)
    assert_documented(DOC, TASKS, response)
    assert (response.status_code, response.json()["detail"]) == (400, detail)
    assert ledger.summary("team-a")["total_usage"] == 0
    assert ledger.breakdown("team-a", "30d", NOW)["total_cost"] == 0


def test_an_unknown_field_is_recorded_anyway_with_a_warning(client: Client, writer: dict[str, str]) -> None:
    response = client.post(TASKS, json=task(dicount=5), headers=writer)
    assert response.status_code == 201
    assert response.json()["messages"] == [
        {"level": "warning", "code": "unknown_field", "message": "unknown field 'dicount'; did you mean 'discount'?",
         "meta": {"suggestion": "discount", "path": "dicount"}}
    ]


def test_a_refund_applies_once_per_refund_id(client: Client, writer: dict[str, str], ledger: Ledger) -> None:
    client.post(TASKS, json=task(), headers=writer)
    url = "/usage/tasks/task-1/refunds"
    first = client.post(url, json={"refund_id": "r-1", "amount": 20000}, headers=writer)
    assert_documented(DOC, REFUNDS, first)
    assert first.status_code == 200
    assert (first.json()["data"]["charged"], first.json()["data"]["refunded"]) == (50000, 20000)
    again = client.post(url, json={"refund_id": "r-1", "amount": 20000}, headers=writer)
    assert again.json()["data"]["refunded"] == 20000
    rest = client.post(url, json={"refund_id": "r-2"}, headers=writer)
    assert rest.json()["data"]["refunded"] == 50000
    assert ledger.breakdown("team-a", "1d", NOW)["total_cost"] == 0


@pytest.mark.parametrize(
    "body, detail",
    [
        ({"amount": 5}, "refund_id: required, a non-empty string; got null"),
        ({"refund_id": "r-1", "amount": 60000}, "a refund of 60000 microcents exceeds what is left to refund of task 'task-1': 50000 of the 50000 it charged"),
        ({"refund_id": "r-1", "amount": "5"}, 'amount must be an integer number of microcents, got "5"'),
    ],
)
def test_a_refund_the_ledger_refuses_is_invalid_request(
    client: Client, writer: dict[str, str], ledger: Ledger, body: dict[str, Any], detail: str
) -> None:
    client.post(TASKS, json=task(), headers=writer)
    response = client.post("/usage/tasks/task-1/refunds", json=body, headers=writer)
    assert_documented(DOC, REFUNDS, response)
    assert (response.status_code, response.json()["detail"]) == (400, detail)
    assert "refunded" not in ledger.task_cost("team-a", "task-1")


def test_refunding_another_teams_or_a_missing_task_is_not_found(client: Client, writer: dict[str, str], ledger: Ledger) -> None:
    ledger.record_task("team-b", "task-b", "other/app", NOW, fees(999))
    for task_id in ("task-b", "task-z"):
        response = client.post(f"/usage/tasks/{task_id}/refunds", json={"refund_id": "r"}, headers=writer)
        assert_documented(DOC, REFUNDS, response)
        assert (response.status_code, response.json()["detail"]) == (404, f"no cost recorded for task {task_id!r}")
    assert "refunded" not in ledger.task_cost("team-b", "task-b")
