"""Check an answer against what /openapi.json says the route answers."""
from __future__ import annotations

from typing import Any

import jsonschema


def _rewrite(node: Any) -> Any:
    # Component references become $defs of one JSON Schema document; the
    # pricing schemas' own `#/$defs/...` stay relative to their `$id`.
    if isinstance(node, dict):
        return {
            key: (value.replace("#/components/schemas/", "#/$defs/") if key == "$ref" else _rewrite(value))
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_rewrite(item) for item in node]
    return node


def response_schema(document: dict[str, Any], path: str, method: str, status: int) -> tuple[str, dict[str, Any]]:
    """(media type, JSON Schema) of the documented answer."""
    responses = document["paths"][path][method.lower()]["responses"]
    assert str(status) in responses, f"{method} {path} does not document {status}"
    response = responses[str(status)]
    if "$ref" in response:
        response = document["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
    ((media_type, content),) = response["content"].items()
    schema = {"$defs": _rewrite(document["components"]["schemas"]), **_rewrite(content["schema"])}
    return media_type, schema


def assert_documented(document: dict[str, Any], path: str, response: Any) -> None:
    """The answer has the status, media type and body shape /openapi.json documents."""
    media_type, schema = response_schema(document, path, response.request.method, response.status_code)
    assert response.headers["content-type"].split(";")[0] == media_type
    jsonschema.Draft202012Validator(schema).validate(response.json())
