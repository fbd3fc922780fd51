"""The web console (`/console`) and the two routes it needs beyond the store's API.

- `POST /usage/cel/explain`: the explanation tree (celprice.explanation, the
  one `celprice explain` prints) of one component of a draft AppPricing,
  evaluated against the request's sample task;
- `POST /usage/cel/estimate`: `celprice.estimate_pricing` of a draft, passed
  through unchanged (so the answer is whatever shape the pricing module gives).

Both take the request body of `/usage/cel/evaluate` and are marked
`x-celprice-extension` in the OpenAPI document. The console itself is static
files shipped in the package (`server/static/`), served with a policy that
lets the page load nothing but its own files and talk only to this server.
"""
from __future__ import annotations

from dataclasses import asdict
from importlib import resources
from typing import Any

from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..explanation import explain
from ..pricing import RequestError, estimate_pricing
from ..pricing.components import FEE_FIELDS, compile_field, is_plain_text
from ..pricing.evaluator import engine_for, split_request
from ..pricing.explain import explain_fee
from ..pricing.request import describe, task_activation

__all__ = ["COMPONENTS", "SCHEMAS", "explain_request", "estimate_request", "console_app"]

# What `component` may name: the five fee expressions and the description.
COMPONENTS: tuple[str, ...] = (*FEE_FIELDS, "description")


def explain_request(body: dict[str, Any]) -> dict[str, Any]:
    """The explain route's data for an evaluate request plus `component`
    (RequestError for a bad request; a formula's own error is in the answer)."""
    component = body.get("component")
    if component not in COMPONENTS:
        raise RequestError("component", f"must be one of {', '.join(COMPONENTS)}; got {describe(component)}")
    rest = {name: value for name, value in body.items() if name != "component"}
    pricing, task = split_request(rest)
    engine = engine_for(pricing)
    act = task_activation(engine.prices, **task)
    # Run the whole pricing first: the total sees the other fees' values.
    response = engine.run(act)
    if component == "description":
        source = engine.pricing.expressions["description"]
        source = engine.defaults.description if source is None else source
        result = response["description"]
        if is_plain_text(source):
            return _answer(component, source, None, None, result)
        program, problems = compile_field("description", source)
        tree = None if program is None else explain(program, {"prices": engine.prices})[0]
    else:
        index = FEE_FIELDS.index(component)
        part = engine.components[index]
        source, result = part.source, response[part.name]
        tree = explain_fee(engine, act, index)
        # The engine keeps a compile error's headline; the console shows the first problem whole.
        problems = [] if tree is not None else compile_field(component, source)[1]
    if tree is None:
        return _answer(component, source, None, asdict(problems[0]) if problems else None, result)
    return _answer(component, source, tree.to_json(), None, result)


def _answer(
    component: str, source: str, tree: dict[str, Any] | None, problem: dict[str, Any] | None, result: dict[str, Any]
) -> dict[str, Any]:
    return {"component": component, "source": source, "result": result, "tree": tree, "problem": problem}


def estimate_request(body: dict[str, Any]) -> dict[str, Any]:
    """The estimate route's data: the pricing module's answer as it is."""
    answer: dict[str, Any] = estimate_pricing(body)
    return answer


# --- OpenAPI schemas of the two routes (openapi.py adds them to the document) ------------

_TREE_NODE = {
    "type": "object",
    "required": ["text", "literal", "children"],
    "properties": {
        "text": {"type": "string", "description": "the sub-expression, rendered back to CEL"},
        "value": {"description": "its value (CEL values as JSON, as `celprice eval` prints them)"},
        "error": {"type": "string", "description": "why it failed"},
        "note": {"type": "string", "description": "why it was not evaluated (or how its children are)"},
        "literal": {"type": "boolean"},
        "children": {"type": "array", "items": {"$ref": "#/components/schemas/ExplainNode"}},
    },
}

SCHEMAS: dict[str, Any] = {
    "ExplainRequest": {
        "allOf": [
            {"$ref": "#/components/schemas/EvaluateRequest"},
            {
                "type": "object",
                "required": ["component"],
                "properties": {"component": {"type": "string", "enum": list(COMPONENTS)}},
            },
        ]
    },
    "ExplainNode": _TREE_NODE,
    "ExplainResponse": {
        "type": "object",
        "required": ["component", "source", "result", "tree", "problem"],
        "properties": {
            "component": {"type": "string", "enum": list(COMPONENTS)},
            "source": {"type": "string", "description": "the expression explained (the default when the draft has none)"},
            "result": {"type": "object", "description": "this component's entry of the evaluate response"},
            "tree": {
                "oneOf": [{"$ref": "#/components/schemas/ExplainNode"}, {"type": "null"}],
                "description": "null when the expression does not compile, or is a plain-text description",
            },
            "problem": {
                "oneOf": [
                    {
                        "type": "object",
                        "required": ["component", "line", "column", "message", "snippet"],
                        "properties": {
                            "component": {"type": "string"},
                            "line": {"type": ["integer", "null"]},
                            "column": {"type": ["integer", "null"]},
                            "message": {"type": "string"},
                            "snippet": {"type": "string", "description": "the source line and a caret under the column"},
                        },
                    },
                    {"type": "null"},
                ],
            },
        },
    },
    # The store's estimate answer (openapi.py), for a draft instead of the published pricing.
    "EstimateResponse": {"$ref": "#/components/schemas/EstimateCostResponse"},
}


# --- the static page ------------------------------------------------------------------

# The page loads only its own files and calls only this server; it may not be framed.
_HEADERS = [
    (
        b"content-security-policy",
        b"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        b"connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'",
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-cache"),
]


def console_app() -> ASGIApp:
    """The static files of the console, with the headers above."""
    files = StaticFiles(directory=str(resources.files("celprice.server") / "static"), html=True)

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *_HEADERS]
            await send(message)

        await files(scope, receive, sending)

    return app
