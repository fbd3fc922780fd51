"""`GET /openapi.json`: the OpenAPI 3.1 document of every route, and the scopes
each route needs (read from here by the app, so the two cannot drift).

The evaluate request and response are the JSON Schemas of `docs/schema/`,
shipped in the wheel as `celprice/schema/`.
"""
from __future__ import annotations

import json
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from .. import __version__
from ..pricing.estimate import CONFIDENCES
from ..usage.published import TEXT_FIELDS
from .console import SCHEMAS as CONSOLE_SCHEMAS
from .problems import CODES, MEDIA_TYPE, TYPE_BASE

__all__ = ["API_VERSION", "ROUTES", "openapi_document"]

API_VERSION = "2"

_INT64 = {"type": "integer", "format": "int64", "minimum": 0, "maximum": 9223372036854775807}
_MICROCENTS = {**_INT64, "description": "microcents (1 USD = 100,000,000)"}

# path -> what its operation needs and answers. `scopes`: any one grants it.
ROUTES: dict[str, dict[str, Any]] = {
    "/usage/breakdown": {
        "operation_id": "getUsageBreakdown",
        "method": "get",
        "scopes": ("billing:read",),
        "summary": "Spend over time by app (and by member team on an organisation workspace)",
        "data": "Breakdown",
        "errors": ("invalid_request", "unauthorized", "forbidden", "internal_error"),
    },
    "/usage/summary": {
        "operation_id": "getUsageSummary",
        "method": "get",
        "scopes": ("billing:read",),
        "summary": "Resource time in seconds by tier, event type and model",
        "data": "Summary",
        "errors": ("invalid_request", "unauthorized", "forbidden", "internal_error"),
    },
    "/usage/cel/evaluate": {
        "operation_id": "evaluateCelPricing",
        "method": "post",
        "scopes": ("billing:read",),
        "summary": "Preview a draft AppPricing against sample task data",
        "request": "EvaluateRequest",
        "data": "EvaluateResponse",
        "errors": ("invalid_request", "unauthorized", "forbidden", "internal_error"),
    },
    "/usage/tasks/{taskID}/cost": {
        "operation_id": "getTaskCost",
        "method": "get",
        "scopes": ("apps:read", "billing:read"),
        "summary": "What one task of the key's team cost",
        "data": "TaskCost",
        "errors": ("invalid_request", "unauthorized", "forbidden", "not_found", "internal_error"),
    },
    # celprice's own routes (the web console's): `extension` marks them in the document.
    "/usage/cel/explain": {
        "operation_id": "explainCelPricing",
        "method": "post",
        "scopes": ("billing:read",),
        "summary": "The value of every sub-expression of one component of a draft AppPricing (celprice extension)",
        "request": "ExplainRequest",
        "data": "ExplainResponse",
        "errors": ("invalid_request", "unauthorized", "forbidden", "internal_error"),
        "extension": True,
    },
    "/usage/cel/estimate": {
        "operation_id": "estimateCelPricing",
        "method": "post",
        "scopes": ("billing:read",),
        "summary": "The estimate of a draft AppPricing for the given task inputs (celprice extension)",
        "request": "EvaluateRequest",
        "data": "EstimateResponse",
        "errors": ("invalid_request", "unauthorized", "forbidden", "internal_error"),
        "extension": True,
    },
    # The store's routes (D6): no key, over the published pricings.
    "/store/apps/{appId}/pricing": {
        "operation_id": "getAppPricing",
        "method": "get",
        "scopes": (),
        "summary": "The app's published AppPricing (the version in force, or `version`) with its rendered description",
        "data": "AppPricing",
        "errors": ("invalid_request", "not_found", "internal_error"),
    },
    "/store/apps/{appId}/estimate": {
        "operation_id": "estimateAppCost",
        "method": "post",
        "scopes": (),
        "summary": "What a run of the app would cost for these inputs, before it runs (its published pricing)",
        "request": "EstimateCostRequest",
        "data": "EstimateCostResponse",
        "errors": ("invalid_request", "not_found", "internal_error"),
    },
    # The platform's ingestion: not in the store's public docs (docs/server.md).
    "/usage/tasks": {
        "operation_id": "recordTask",
        "method": "post",
        "scopes": ("billing:write",),
        "summary": "Record a completed task's fees and usage (the platform's ingestion; idempotent by task id)",
        "request": "TaskRecord",
        "data": "TaskCost",
        "created": "The task was recorded by this call (200: it was recorded before, with the same app, fees and "
        "discount, and that record stands)",
        "errors": ("invalid_request", "unauthorized", "forbidden", "conflict", "internal_error"),
    },
    "/usage/tasks/{taskID}/refunds": {
        "operation_id": "refundTask",
        "method": "post",
        "scopes": ("billing:write",),
        "summary": "Refund (part of) a recorded task (the platform's ingestion; idempotent by refund id)",
        "request": "Refund",
        "data": "TaskCost",
        "errors": ("invalid_request", "unauthorized", "forbidden", "not_found", "internal_error"),
    },
}

_ERROR_TEXT = {
    "invalid_request": "Malformed request: `detail` names the parameter or the JSON path of the bad field",
    "unauthorized": "Missing, invalid, expired or revoked API key",
    "forbidden": "The API key lacks the scope this route needs",
    "not_found": "No such resource for the key's team (another team's is not found either)",
    "method_not_allowed": "The route exists but not with this method",
    "conflict": "The task id was recorded before with another app, other fees or another discount; "
    "that record stands (a correction is a refund, or a new task id)",
    "payload_too_large": "The request body is larger than the server's limit",
    "rate_limited": "Too many requests from this key in the current window (with Retry-After)",
    "internal_error": "Server error",
    "service_unavailable": "The database is unavailable; retry after Retry-After seconds",
}


def _pricing_schema(name: str, prefix: str) -> dict[str, Any]:
    """A schema of docs/schema as components: the schema itself under `prefix`
    and each of its $defs under `prefix` + `_` + its name. Generators and
    validators resolve `#/$defs/...` against the whole document, not the
    embedded schema's `$id`, so the references are rewritten to components."""
    try:
        text = resources.files("celprice").joinpath("schema", name).read_text("utf-8")
    except (FileNotFoundError, OSError):
        # A source checkout (editable install): the schemas live in docs/.
        text = (Path(__file__).resolve().parents[3] / "docs" / "schema" / name).read_text("utf-8")
    text = text.replace('"#/$defs/', f'"#/components/schemas/{prefix}_')
    schema: dict[str, Any] = json.loads(text)
    for key in ("$schema", "$id"):
        schema.pop(key, None)
    defs = schema.pop("$defs", {})
    return {prefix: schema, **{f"{prefix}_{key}": value for key, value in defs.items()}}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _object(properties: dict[str, Any], required: tuple[str, ...], **extra: Any) -> dict[str, Any]:
    return {"type": "object", "required": list(required), "properties": properties, **extra}


def _schemas() -> dict[str, Any]:
    count = {"type": "integer", "minimum": 0}
    seconds = {"type": "object", "additionalProperties": {"type": "number", "minimum": 0}}
    return {
        "Message": _object(
            {
                "level": {"type": "string", "enum": ["info", "warning"]},
                "code": {"type": "string"},
                "message": {"type": "string"},
                "meta": {"type": "object"},
            },
            ("level", "code", "message"),
            description="A notice attached to a successful answer (a warning about the request).",
        ),
        "Problem": _object(
            {
                "type": {"type": "string", "format": "uri", "description": f"{TYPE_BASE}<code>"},
                "title": {"type": "string"},
                "status": {"type": "integer"},
                "detail": {"type": "string"},
            },
            ("type", "title", "status", "detail"),
            description="RFC 9457 problem details.",
        ),
        "Breakdown": _object(
            {
                "timeseries": {
                    "type": "array",
                    "items": _object(
                        {
                            "date": {"type": "string", "description": "the bucket: a day, or an hour or minute in UTC"},
                            "per_app": {"type": "object", "additionalProperties": _MICROCENTS},
                        },
                        ("date", "per_app"),
                    ),
                },
                "per_model": {
                    "type": "array",
                    "description": "Top apps by spend (the name is historical: the values are app paths)",
                    "items": _object(
                        {"app_endpoint": {"type": "string"}, "call_count": count, "cost": _MICROCENTS},
                        ("app_endpoint", "call_count", "cost"),
                    ),
                },
                "models": {"type": "array", "items": {"type": "string"}},
                "total_cost": _MICROCENTS,
                "period_start": {"type": "string", "format": "date-time"},
                "period_end": {"type": "string", "format": "date-time"},
                "trend_percent": {"type": "number", "description": "change against the previous window; omitted when that was 0"},
                "per_team": {
                    "type": "array",
                    "description": "An organisation's spend by member team, costliest first; empty otherwise",
                    "items": _object(
                        {"team_id": {"type": "string"}, "call_count": count, "cost": _MICROCENTS},
                        ("team_id", "call_count", "cost"),
                    ),
                },
            },
            ("timeseries", "per_model", "models", "total_cost", "period_start", "period_end"),
        ),
        "Summary": _object(
            {"tier_usage": seconds, "type_usage": seconds, "model_usage": seconds, "total_usage": _INT64},
            ("tier_usage", "type_usage", "model_usage", "total_usage"),
        ),
        "TaskCost": _object(
            {
                "total": _MICROCENTS,
                "charged": _MICROCENTS,
                "discount": {**_MICROCENTS, "description": "omitted when 0"},
                "refunded": {**_MICROCENTS, "description": "the amount refunded; omitted when 0"},
            },
            ("total", "charged"),
            description="The documented fields; celprice adds the fee components and the app (docs/usage.md).",
        ),
        "TaskRecord": _object(
            {
                "task_id": {"type": "string", "minLength": 1, "maxLength": 1024},
                "app_endpoint": {"type": "string", "minLength": 1, "maxLength": 1024, "description": "namespace/name"},
                "completed_at": {"type": "string", "format": "date-time", "description": "default: now"},
                "fees": {
                    "type": "object",
                    "description": "The fee components as /usage/cel/evaluate answers them; "
                    "without them the task is priced by the app's published pricing",
                },
                "usage_events": {
                    "type": "array",
                    "items": _object(
                        {
                            "tier": {"type": "string"},
                            "type": {"type": "string"},
                            "model": {"type": ["string", "null"]},
                            "seconds": {"type": "number", "minimum": 0},
                        },
                        ("tier", "type", "seconds"),
                    ),
                },
                "discount": {**_MICROCENTS, "description": "taken off the total; default 0"},
                "pricing_version": {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": 2147483647,
                    "description": "The version of the app's published pricing: with fees, the one that priced them; "
                    "without, the one to price by (default: the version in force)",
                },
                "output_meta": {"type": "object"},
                "resources": {"type": "array"},
                "usage_seconds": {"type": "number"},
                "elapsed_ms": {"type": "number"},
                "task_inputs": {"type": "object"},
                "task_function": {"type": "string"},
            },
            ("task_id", "app_endpoint"),
            description="A completed task for the key's team; the pricing inputs are those of /usage/cel/evaluate.",
        ),
        "AppPricing": _object(
            {
                "prices": {"type": "object", "additionalProperties": _MICROCENTS},
                **{field: {"type": "string", "description": "CEL; \"\" for the platform's default"} for field in TEXT_FIELDS},
                "description_rendered": {"type": "string", "description": "the description evaluated over the prices"},
                "app_endpoint": {"type": "string", "description": "namespace/name (beyond the store's docs)"},
                "version": {"type": "integer", "minimum": 1, "description": "the published version (beyond the store's docs)"},
            },
            ("prices", *TEXT_FIELDS, "description_rendered", "app_endpoint", "version"),
            description="An AppPricing as the store publishes it (D1, D6).",
        ),
        "EstimateCostRequest": _object(
            {
                "input": {"type": ["object", "null"], "description": "the task input map (as POST /run takes it)"},
                "function": {"type": ["string", "null"], "description": "the function of a multi-function app"},
            },
            (),
        ),
        "EstimateCostResponse": _object(
            {
                "confidence": {"type": "string", "enum": list(CONFIDENCES)},
                "microcents": {**_MICROCENTS, "description": "when exact"},
                "min": {**_MICROCENTS, "description": "when range"},
                "max": {**_MICROCENTS, "description": "when range"},
                "depends_on": {
                    "type": "array",
                    "items": {"type": "string"},
                    "description": "the post-execution variables needed, when unknown",
                },
                "estimate_error": {"type": "string", "description": "the estimate expression (or an input-only fee) failed"},
                "pricing_description": {"type": "string", "description": "the rendered description, when not empty"},
            },
            ("confidence",),
            description="The store's EstimateCostResponse (D6; docs/pricing.md, Estimates).",
        ),
        "Refund": _object(
            {
                "refund_id": {"type": "string", "minLength": 1, "maxLength": 1024, "description": "applied once"},
                "amount": {**_MICROCENTS, "minimum": 1, "description": "default: the rest of what the task charged"},
            },
            ("refund_id",),
        ),
        **_pricing_schema("request.schema.json", "EvaluateRequest"),
        **_pricing_schema("response.schema.json", "EvaluateResponse"),
        **CONSOLE_SCHEMAS,
    }


def _envelope(data: str) -> dict[str, Any]:
    return _object({"data": _ref(data), "messages": {"type": "array", "items": _ref("Message")}}, ("data", "messages"))


def _operation(path: str, route: dict[str, Any]) -> dict[str, Any]:
    parameters: list[dict[str, Any]] = [{"$ref": "#/components/parameters/ApiVersion"}]
    if path == "/usage/breakdown":
        parameters += [
            {
                "name": "range",
                "in": "query",
                "schema": {"type": "string", "enum": ["1h", "1d", "7d", "30d", "90d"], "default": "30d"},
                "description": "Window: minute buckets for 1h, hourly for 1d, daily otherwise",
            },
            {
                "name": "team_id",
                "in": "query",
                "schema": {"type": "string"},
                "description": "On an organisation workspace only: narrow to one member team",
            },
        ]
    if "{taskID}" in path:
        parameters.append({"name": "taskID", "in": "path", "required": True, "schema": {"type": "string"}})
    if "{appId}" in path:
        parameters.append(
            {
                "name": "appId",
                "in": "path",
                "required": True,
                "schema": {"type": "string"},
                "description": "The app's namespace/name, URL-encoded (acme%2Fflux)",
            }
        )
    if path == "/store/apps/{appId}/pricing":
        parameters.append(
            {
                "name": "version",
                "in": "query",
                "schema": {"type": "integer", "minimum": 1},
                "description": "A published version instead of the one in force (beyond the store's docs)",
            }
        )
    scopes = route["scopes"]
    success = {"description": "OK", "content": {"application/json": {"schema": _envelope(route["data"])}}}
    # Every route may meet the rate limit and a database that is down; a body may be too large.
    errors = (*route["errors"], *(("payload_too_large",) if "request" in route else ()), "rate_limited", "service_unavailable")
    operation: dict[str, Any] = {
        "operationId": route["operation_id"],
        "summary": route["summary"],
        "description": f"Requires the scope {' or '.join(scopes)} (or its resource, `*`, or a key without scopes)."
        if scopes
        else "No key needed.",
        "security": [{"bearer": [scope]} for scope in scopes],
        "parameters": parameters,
        "responses": {
            "200": success,
            **({"201": {**success, "description": route["created"]}} if "created" in route else {}),
            **{str(CODES[code]): {"$ref": f"#/components/responses/{code}"} for code in sorted(errors, key=CODES.__getitem__)},
        },
    }
    if "request" in route:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": _ref(route["request"])}},
        }
    if route.get("extension"):
        operation["x-celprice-extension"] = True
    return operation


@cache
def _document_text() -> str:
    paths: dict[str, Any] = {
        "/openapi.json": {
            "get": {
                "operationId": "openapi",
                "summary": "This document (no key needed, not wrapped in the envelope)",
                "security": [],
                "parameters": [{"$ref": "#/components/parameters/ApiVersion"}],
                "responses": {
                    "200": {"description": "OpenAPI 3.1", "content": {"application/json": {"schema": {"type": "object"}}}},
                    "400": {"$ref": "#/components/responses/invalid_request"},
                },
            }
        }
    }
    for path, route in ROUTES.items():
        paths[path] = {route["method"]: _operation(path, route)}
    document = {
        "openapi": "3.1.0",
        "info": {
            "title": "celprice usage API",
            "version": __version__,
            "description": "The store's usage routes, served by celprice. Success answers are "
            "`{\"data\": ..., \"messages\": [...]}`; errors are RFC 9457 problem+json. "
            "Money is int64 microcents (1 USD = 100,000,000).",
        },
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "description": "An API key, inf_..."}
            },
            "parameters": {
                "ApiVersion": {
                    "name": "X-API-Version",
                    "in": "header",
                    "schema": {"type": "string", "enum": [API_VERSION]},
                    "description": f"Optional; any other value than {API_VERSION} is invalid_request",
                }
            },
            "responses": {
                code: {
                    "description": _ERROR_TEXT[code],
                    "content": {MEDIA_TYPE: {"schema": _ref("Problem")}},
                }
                for code in CODES
            },
            "schemas": _schemas(),
        },
    }
    return json.dumps(document)


def openapi_document() -> dict[str, Any]:
    """A fresh copy of the document (callers may change theirs)."""
    document: dict[str, Any] = json.loads(_document_text())
    return document
