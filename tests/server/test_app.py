"""The usage API in-process (httpx over ASGI) on both backends: every route,
scope and error code, each answer checked against /openapi.json."""
from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import pytest

from celprice import evaluate_pricing
from celprice.server import create_app
from celprice.server.limits import ServerLimits
from celprice.server.openapi import openapi_document
from celprice.usage import Ledger
from celprice.usage.keys import KeyStore

from .conftest import NOW, Client, Clock, bearer
from .openapi_check import assert_documented

DOC = openapi_document()

# D3's example request (the usage page's curl -d).
D3_EVALUATE: dict[str, Any] = {
    "pricing": {
        "prices": {"per_image": 200000},
        "inference_expression": "image_count(output_meta.outputs) * prices.per_image",
    },
    "output_meta": {"inputs": [], "outputs": [{"type": "image", "count": 2}]},
    "usage_seconds": 45,
}
# Enough for each route: (method, path, body).
CALLS: dict[str, tuple[str, str, dict[str, Any] | None]] = {
    "breakdown": ("GET", "/usage/breakdown", None),
    "summary": ("GET", "/usage/summary", None),
    "evaluate": ("POST", "/usage/cel/evaluate", D3_EVALUATE),
    "task_cost": ("GET", "/usage/tasks/task-1/cost", None),
}
PATHS = {
    "breakdown": "/usage/breakdown",
    "summary": "/usage/summary",
    "evaluate": "/usage/cel/evaluate",
    "task_cost": "/usage/tasks/{taskID}/cost",
}


def fees(total: int, inference: int = 0) -> dict[str, Any]:
    values = {"resource_fee": total - inference, "inference_fee": inference, "royalty_fee": 0, "partner_fee": 0, "total": total}
    return {**{name: {"value": value} for name, value in values.items()}, "description": {"value": ""}}


def call(client: Client, route: str, key: str | None, **headers: str) -> Any:
    method, path, body = CALLS[route]
    if key is not None:
        headers = {**bearer(key), **headers}
    response = client.request(method, path, json=body, headers=headers)
    assert_documented(DOC, PATHS[route], response)
    return response


@pytest.fixture
def recorded(ledger: Ledger) -> Ledger:
    """team-a has two tasks an hour before NOW, team-b one."""
    gpu = [{"tier": "cloud", "type": "gpu", "model": "A100", "seconds": 30}]
    ledger.record_task("team-a", "task-1", "acme/flux", NOW - timedelta(hours=1), fees(50000, 20000), gpu)
    ledger.record_task("team-a", "task-2", "acme/echo", NOW - timedelta(hours=1), fees(7000))
    ledger.record_task("team-b", "task-b", "other/app", NOW - timedelta(hours=1), fees(999))
    return ledger


# --- evaluate ----------------------------------------------------------------------


def test_d3_evaluate_example_answers_the_fee_components_in_the_envelope(client: Client, keys: KeyStore) -> None:
    _, key = keys.create("team-a", "ci", ["billing:read"])
    response = call(client, "evaluate", key, **{"X-API-Version": "2"})
    assert response.status_code == 200
    assert response.json() == {"data": evaluate_pricing(D3_EVALUATE), "messages": []}
    data = response.json()["data"]
    assert (data["inference_fee"], data["resource_fee"], data["total"]) == ({"value": 400000}, {"value": 0}, {"value": 400000})


def test_a_failing_formula_is_a_component_with_an_error_not_an_http_error(client: Client, keys: KeyStore) -> None:
    _, key = keys.create("team-a", "ci", ["billing:read"])
    request = {**D3_EVALUATE, "pricing": {**D3_EVALUATE["pricing"], "royalty_expression": "output_meta.outputs[0].tokens"}}
    response = client.post("/usage/cel/evaluate", json=request, headers=bearer(key))
    assert_documented(DOC, "/usage/cel/evaluate", response)
    assert response.status_code == 200
    royalty = response.json()["data"]["royalty_fee"]
    assert royalty["value"] == 0 and royalty["error"].startswith("royalty_expression:")


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        (b'{"pricing": {"prices": {"per_image": "abc"}}}', 'pricing.prices.per_image: must be a non-negative integer, got "abc"'),
        (b'{"pricing": ', "request body: invalid JSON: Expecting value (line 1, column 13)"),
        (b'{"pricing": {"prices": {"x": NaN}}}', "request body: invalid JSON: NaN is not valid JSON"),
        (b"[1, 2]", "request body: must be a JSON object, got an array"),
        (b"", "request body: expected a JSON object, got an empty body"),
        (b"\xff\xfe", "request body: not UTF-8 text"),
    ],
)
def test_an_invalid_request_is_invalid_request_naming_the_path(client: Client, keys: KeyStore, body: bytes, detail: str) -> None:
    _, key = keys.create("team-a", "ci", ["billing:read"])
    response = client.post("/usage/cel/evaluate", content=body, headers={**bearer(key), "Content-Type": "application/json"})
    assert_documented(DOC, "/usage/cel/evaluate", response)
    assert response.json() == {
        "type": "https://api.inference.sh/errors/invalid_request",
        "title": "Bad Request",
        "status": 400,
        "detail": detail,
    }


def test_unknown_request_fields_are_evaluated_anyway_with_warnings(client: Client, keys: KeyStore) -> None:
    _, key = keys.create("team-a", "ci", ["billing:read"])
    request = {**D3_EVALUATE, "usage_second": 45, "output_meta": {**D3_EVALUATE["output_meta"], "outputz": []}}
    response = client.post("/usage/cel/evaluate", json=request, headers=bearer(key))
    assert_documented(DOC, "/usage/cel/evaluate", response)
    assert response.json() == {
        "data": evaluate_pricing(request),
        "messages": [
            {
                "level": "warning",
                "code": "unknown_field",
                "message": "unknown field 'usage_second'; did you mean 'usage_seconds'?",
                "meta": {"suggestion": "usage_seconds", "path": "usage_second"},
            },
            {
                "level": "warning",
                "code": "unknown_field",
                "message": "unknown field 'outputz'; did you mean 'outputs'?",
                "meta": {"suggestion": "outputs", "path": "output_meta.outputz"},
            },
        ],
    }


# --- versions and headers ----------------------------------------------------------


@pytest.mark.parametrize("route", list(CALLS))
def test_api_version_2_is_accepted_and_another_is_invalid_request(
    client: Client, keys: KeyStore, recorded: Ledger, route: str
) -> None:
    _, key = keys.create("team-a", "ci")
    assert call(client, route, key, **{"X-API-Version": "2"}).status_code == 200
    refused = call(client, route, key, **{"X-API-Version": "1"})
    assert refused.status_code == 400
    assert refused.json()["detail"] == 'X-API-Version: unsupported version "1"; this server speaks version 2'


def test_x_team_id_is_ignored_for_api_keys(client: Client, keys: KeyStore, recorded: Ledger) -> None:
    _, key = keys.create("team-a", "ci")
    own = client.get("/usage/breakdown?range=1d", headers=bearer(key)).json()
    retargeted = client.get("/usage/breakdown?range=1d", headers={**bearer(key), "X-Team-ID": "team-b"}).json()
    assert retargeted == own
    assert own["data"]["total_cost"] == 57000
    assert client.get("/usage/tasks/task-b/cost", headers={**bearer(key), "X-Team-ID": "team-b"}).status_code == 404


# --- keys and scopes ---------------------------------------------------------------

# route -> does a key with these scopes get it?
SCOPES: list[tuple[list[str], set[str]]] = [
    (["billing:read"], {"breakdown", "summary", "evaluate", "task_cost"}),
    (["apps:read"], {"task_cost"}),
    (["billing"], {"breakdown", "summary", "evaluate", "task_cost"}),
    (["apps"], {"task_cost"}),
    (["*"], {"breakdown", "summary", "evaluate", "task_cost"}),
    ([], {"breakdown", "summary", "evaluate", "task_cost"}),
    (["billing:write", "apps:write", "apps:execute"], set()),
    (["agents:read", "teams"], set()),
]


@pytest.mark.parametrize(("scopes", "allowed"), SCOPES, ids=lambda v: ",".join(sorted(v)) or "none")
def test_each_route_needs_its_documented_scope(
    client: Client, keys: KeyStore, recorded: Ledger, scopes: list[str], allowed: set[str]
) -> None:
    _, key = keys.create("team-a", "k", scopes)
    for route in CALLS:
        response = call(client, route, key)
        if route in allowed:
            assert response.status_code == 200, (route, response.text)
        else:
            assert response.status_code == 403, route
            needed = "apps:read or billing:read" if route == "task_cost" else "billing:read"
            assert response.json() == {
                "type": "https://api.inference.sh/errors/forbidden",
                "title": "Forbidden",
                "status": 403,
                "detail": f"this API key lacks the scope {needed}",
            }


@pytest.mark.parametrize(
    ("authorization", "detail"),
    [
        (None, "missing API key: send Authorization: Bearer inf_..."),
        ("Basic dXNlcjpwYXNz", "the Authorization header must be 'Bearer inf_...'"),
        ("Bearer", "the Authorization header must be 'Bearer inf_...'"),
        ("Bearer inf_not-a-key", "invalid or revoked API key"),
        ("Bearer sk_something_else", "invalid or revoked API key"),
    ],
)
@pytest.mark.parametrize("route", list(CALLS))
def test_a_missing_or_unknown_key_is_unauthorized(
    client: Client, keys: KeyStore, route: str, authorization: str | None, detail: str
) -> None:
    keys.create("team-a", "k")
    headers = {} if authorization is None else {"Authorization": authorization}
    response = call(client, route, None, **headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.json() == {
        "type": "https://api.inference.sh/errors/unauthorized",
        "title": "Unauthorized",
        "status": 401,
        "detail": detail,
    }


def test_a_revoked_key_is_unauthorized_once_the_key_cache_lets_it_go(ledger: Ledger, keys: KeyStore, clock: Clock) -> None:
    record, key = keys.create("team-a", "k", ["billing:read"])
    _, other_key = keys.create("team-a", "kept", ["billing:read"])
    # 0: every request looks its key up; an hour: a key accepted once is trusted for that long.
    uncached = Client(create_app(ledger, clock=clock, limits=ServerLimits(key_cache_seconds=0)))
    cached = Client(create_app(ledger, clock=clock, limits=ServerLimits(key_cache_seconds=3600)))
    assert call(uncached, "summary", key).status_code == call(cached, "summary", key).status_code == 200
    keys.revoke(record.id)
    response = call(uncached, "summary", key)
    assert response.status_code == 401 and response.json()["detail"] == "invalid or revoked API key"
    assert call(cached, "summary", key).status_code == 200
    assert call(uncached, "summary", other_key).status_code == 200
    # A key the cache never accepted is looked up: revoked before its first use, it is refused at once.
    refused = call(cached, "summary", "inf_" + "x" * 43)
    assert refused.status_code == 401
    uncached.close()
    cached.close()


def test_an_expired_key_is_unauthorized(client: Client, keys: KeyStore, clock: Clock) -> None:
    _, key = keys.create("team-a", "k", expires_at=NOW + timedelta(minutes=15), now=NOW)
    assert call(client, "summary", key).status_code == 200
    clock.now = NOW + timedelta(minutes=15)
    response = call(client, "summary", key)
    assert response.status_code == 401
    assert response.json()["detail"] == "this API key expired at 2026-06-04T12:15:00Z"


# --- the ledger routes -------------------------------------------------------------


@pytest.mark.parametrize("range_", [None, "1h", "1d", "7d", "30d", "90d"])
def test_breakdown_answers_the_ledger_breakdown_of_the_key_team(
    client: Client, keys: KeyStore, recorded: Ledger, range_: str | None
) -> None:
    _, key = keys.create("team-a", "dash", ["billing:read"])
    query = "" if range_ is None else f"?range={range_}"
    response = client.get("/usage/breakdown" + query, headers=bearer(key))
    assert_documented(DOC, "/usage/breakdown", response)
    assert response.json() == {"data": recorded.breakdown("team-a", range_ or "30d", NOW), "messages": []}
    assert response.json()["data"]["total_cost"] == 57000


@pytest.mark.parametrize(
    ("query", "detail"),
    [
        ("range=2d", 'range: must be one of 1h, 1d, 7d, 30d, 90d; got "2d"'),
        ("range=", 'range: must be one of 1h, 1d, 7d, 30d, 90d; got ""'),
        ("range=1d&range=7d", "range: given 2 times; give it once"),
    ],
)
def test_a_bad_range_is_invalid_request(client: Client, keys: KeyStore, query: str, detail: str) -> None:
    _, key = keys.create("team-a", "dash", ["billing:read"])
    response = client.get(f"/usage/breakdown?{query}", headers=bearer(key))
    assert_documented(DOC, "/usage/breakdown", response)
    assert response.status_code == 400 and response.json()["detail"] == detail


def test_an_unknown_query_parameter_is_ignored_with_a_warning(client: Client, keys: KeyStore, recorded: Ledger) -> None:
    _, key = keys.create("team-a", "dash", ["billing:read"])
    response = client.get("/usage/breakdown?rnage=7d", headers=bearer(key))
    assert_documented(DOC, "/usage/breakdown", response)
    assert response.json() == {
        "data": recorded.breakdown("team-a", "30d", NOW),
        "messages": [
            {
                "level": "warning",
                "code": "unknown_parameter",
                "message": "unknown query parameter 'rnage' was ignored (this route takes range, team_id)",
                "meta": {"parameter": "rnage"},
            }
        ],
    }


def test_summary_answers_the_ledger_summary_of_the_key_team(client: Client, keys: KeyStore, recorded: Ledger) -> None:
    _, key = keys.create("team-a", "dash", ["billing:read"])
    response = call(client, "summary", key)
    assert response.json() == {"data": recorded.summary("team-a"), "messages": []}
    assert response.json()["data"]["total_usage"] == 30


def test_task_cost_answers_the_ledger_task_cost(client: Client, keys: KeyStore, recorded: Ledger) -> None:
    _, key = keys.create("team-a", "apps", ["apps:read"])
    response = call(client, "task_cost", key)
    assert response.json() == {"data": recorded.task_cost("team-a", "task-1"), "messages": []}
    assert (response.json()["data"]["total"], response.json()["data"]["charged"]) == (50000, 50000)


def test_another_teams_task_is_not_found_like_a_missing_one(client: Client, keys: KeyStore, recorded: Ledger) -> None:
    _, key = keys.create("team-a", "apps", ["apps:read"])
    theirs = client.get("/usage/tasks/task-b/cost", headers=bearer(key))
    assert_documented(DOC, "/usage/tasks/{taskID}/cost", theirs)
    recorded.record_task("team-c", "task-c", "x/y", NOW, fees(1))
    missing = client.get("/usage/tasks/task-z/cost", headers=bearer(key))
    assert theirs.status_code == missing.status_code == 404
    assert theirs.json() == {
        "type": "https://api.inference.sh/errors/not_found",
        "title": "Not Found",
        "status": 404,
        "detail": "no cost recorded for task 'task-b'",
    }
    assert missing.json() == {**theirs.json(), "detail": "no cost recorded for task 'task-z'"}
    # Alike but for the rate limit's count, which says nothing of the task.
    def alike(headers: Any) -> dict[str, str]:
        return {name: value for name, value in headers.items() if name != "x-ratelimit-remaining"}

    assert alike(theirs.headers) == alike(missing.headers)


def test_a_task_id_the_ledger_cannot_hold_is_not_found(client: Client, keys: KeyStore) -> None:
    _, key = keys.create("team-a", "apps", ["apps:read"])
    for task in ("x" * 2000, "a%00b"):
        response = client.get(f"/usage/tasks/{task}/cost", headers=bearer(key))
        assert response.status_code == 404 and response.json()["type"].endswith("/not_found")


# --- routing, failures, the document, the log ----------------------------------------


def test_an_unknown_route_is_not_found_and_a_wrong_method_is_405(client: Client) -> None:
    missing = client.get("/usage/nothing")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    assert missing.json()["type"] == "https://api.inference.sh/errors/not_found"
    wrong = client.post("/usage/summary")
    assert wrong.status_code == 405 and wrong.headers["allow"] == "GET, HEAD"
    assert wrong.json()["type"] == "https://api.inference.sh/errors/method_not_allowed"


def test_a_failing_database_is_internal_error_without_its_details(
    sqlite_ledger: Ledger, caplog: pytest.LogCaptureFixture
) -> None:
    keys = KeyStore(sqlite_ledger)
    _, key = keys.create("team-a", "k")

    class Broken(Ledger):
        def summary(self, team_id: str) -> Any:
            raise RuntimeError("connection to 10.0.0.7 lost")

    sqlite_ledger.__class__ = Broken
    client = Client(create_app(sqlite_ledger))
    with caplog.at_level(logging.ERROR, "celprice.server"):
        response = client.get("/usage/summary", headers=bearer(key))
    assert_documented(DOC, "/usage/summary", response)
    assert response.json() == {
        "type": "https://api.inference.sh/errors/internal_error",
        "title": "Internal Server Error",
        "status": 500,
        "detail": "internal server error; see the server's log",
    }
    assert "connection to 10.0.0.7 lost" in caplog.text
    client.close()


def test_openapi_needs_no_key_is_not_wrapped_and_is_valid_openapi_3_1(client: Client) -> None:
    from openapi_spec_validator import validate

    response = client.get("/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"] == "3.1.0" and "data" not in document
    validate(document)
    app = create_app()
    # `{appId:path}` is served as `{appId}`: a namespace/name whose slash arrives decoded.
    served = {route.path.replace(":path}", "}") for route in app.routes}  # type: ignore[attr-defined]
    # Every route but the console's static page is an API operation.
    assert served == set(document["paths"]) | {"/console"}
    for path, operations in document["paths"].items():
        for operation in operations.values():
            if path != "/openapi.json":
                assert {"200", "400", "500"} <= set(operation["responses"])
                # The store's routes need no key; every other route does.
                needs_key = {"401", "403"} <= set(operation["responses"])
                assert needs_key == (not path.startswith("/store/")) == bool(operation["security"])
    assert "404" in document["paths"]["/usage/tasks/{taskID}/cost"]["get"]["responses"]


def test_one_log_line_per_request_with_the_key_id_and_never_the_key(
    client: Client, keys: KeyStore, caplog: pytest.LogCaptureFixture
) -> None:
    record, key = keys.create("team-a", "k", ["apps:read"])
    with caplog.at_level(logging.INFO, "celprice.server"):
        client.get("/usage/summary", headers=bearer(key))
        client.get("/usage/tasks/nope/cost", headers=bearer(key))
        client.get("/usage/summary")
    lines = [r.getMessage() for r in caplog.records if r.name == "celprice.server"]
    assert len(lines) == 3
    assert lines[0].startswith("GET /usage/summary 403 ") and lines[0].endswith(f"ms key={record.id}")
    assert lines[1].startswith("GET /usage/tasks/nope/cost 404 ") and lines[1].endswith(f"key={record.id}")
    assert lines[2].startswith("GET /usage/summary 401 ") and lines[2].endswith("key=-")
    assert key not in caplog.text and key[4:] not in caplog.text


def test_openapi_refuses_another_api_version_too(client: Client) -> None:
    response = client.get("/openapi.json", headers={"X-API-Version": "3"})
    assert_documented(DOC, "/openapi.json", response)
    assert response.status_code == 400
    assert client.get("/openapi.json", headers={"X-API-Version": "2"}).status_code == 200


# --- organisations and the task-cost shape (the ledger's, passed through) -------------


@pytest.fixture
def organisation(recorded: Ledger) -> Ledger:
    """org-1 pays for team-a and team-b; team-c is outside."""
    recorded.set_members("org-1", ["team-a", "team-b"])
    recorded.record_task("team-c", "task-c", "c/app", NOW - timedelta(hours=1), fees(5))
    return recorded


def test_an_organisation_breakdown_has_spend_per_member_team(
    client: Client, keys: KeyStore, organisation: Ledger
) -> None:
    _, key = keys.create("org-1", "finance", ["billing:read"])
    response = client.get("/usage/breakdown?range=1d", headers=bearer(key))
    assert_documented(DOC, "/usage/breakdown", response)
    data = response.json()["data"]
    assert data == organisation.breakdown("org-1", "1d", NOW)
    assert data["total_cost"] == 57999
    assert data["per_team"] == [
        {"team_id": "team-a", "call_count": 2, "cost": 57000},
        {"team_id": "team-b", "call_count": 1, "cost": 999},
    ]


def test_team_id_narrows_an_organisation_breakdown_to_one_member(
    client: Client, keys: KeyStore, organisation: Ledger
) -> None:
    _, key = keys.create("org-1", "finance", ["billing:read"])
    response = client.get("/usage/breakdown?range=1d&team_id=team-b", headers=bearer(key))
    assert_documented(DOC, "/usage/breakdown", response)
    data = response.json()["data"]
    assert (data["total_cost"], data["per_team"], data["models"]) == (999, [], ["other/app"])


@pytest.mark.parametrize(
    ("workspace", "team", "detail"),
    [
        ("org-1", "team-c", "team 'team-c' is not a member of organisation 'org-1'"),
        ("team-a", "team-b", "workspace 'team-a' is not an organisation: it cannot filter by another team's id ('team-b')"),
    ],
)
def test_filtering_by_a_team_the_workspace_does_not_pay_for_is_forbidden(
    client: Client, keys: KeyStore, organisation: Ledger, workspace: str, team: str, detail: str
) -> None:
    _, key = keys.create(workspace, "k", ["billing:read"])
    response = client.get(f"/usage/breakdown?team_id={team}", headers=bearer(key))
    assert_documented(DOC, "/usage/breakdown", response)
    assert response.status_code == 403 and response.json()["detail"] == detail


def test_a_member_team_sees_its_own_breakdown_unchanged(client: Client, keys: KeyStore, organisation: Ledger) -> None:
    _, key = keys.create("team-a", "k", ["billing:read"])
    own = client.get("/usage/breakdown?range=1d", headers=bearer(key)).json()["data"]
    assert (own["total_cost"], own["per_team"]) == (57000, [])
    assert client.get("/usage/breakdown?range=1d&team_id=team-a", headers=bearer(key)).json()["data"] == own


@pytest.mark.parametrize("team", ["", "x" * 1025])
def test_a_team_id_the_ledger_cannot_hold_is_invalid_request(client: Client, keys: KeyStore, team: str) -> None:
    _, key = keys.create("org-1", "k", ["billing:read"])
    response = client.get("/usage/breakdown", params={"team_id": team}, headers=bearer(key))
    assert response.status_code == 400
    assert response.json()["detail"] == "team_id: must have 1 to 1024 characters and no NUL"


def test_task_cost_has_the_documented_shape_with_discounts_and_refunds(
    client: Client, keys: KeyStore, ledger: Ledger
) -> None:
    _, key = keys.create("team-a", "apps", ["apps:read"])
    ledger.record_task("team-a", "plain", "acme/flux", NOW, fees(50000))
    ledger.record_task("team-a", "deal", "acme/flux", NOW, fees(80000, 30000), discount=20000)
    ledger.refund("team-a", "deal", amount=15000, refund_id="r-1")
    plain = client.get("/usage/tasks/plain/cost", headers=bearer(key))
    assert_documented(DOC, "/usage/tasks/{taskID}/cost", plain)
    data = plain.json()["data"]
    # D4's example, then what celprice adds beyond the docs.
    assert {k: data[k] for k in ("total", "charged")} == {"total": 50000, "charged": 50000}
    assert "discount" not in data and "refunded" not in data
    deal = client.get("/usage/tasks/deal/cost", headers=bearer(key)).json()["data"]
    assert {k: deal[k] for k in ("total", "discount", "charged", "refunded")} == {
        "total": 80000, "discount": 20000, "charged": 60000, "refunded": 15000,
    }
    assert deal == ledger.task_cost("team-a", "deal")


def test_an_organisation_key_cannot_read_a_member_teams_task(client: Client, keys: KeyStore, organisation: Ledger) -> None:
    # The breakdown covers members; a task belongs to the team that ran it.
    _, key = keys.create("org-1", "k", ["apps:read"])
    response = client.get("/usage/tasks/task-1/cost", headers=bearer(key))
    assert response.status_code == 404 and response.json()["detail"] == "no cost recorded for task 'task-1'"
