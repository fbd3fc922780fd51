"""Errors as the store answers them: RFC 9457 `application/problem+json` with
`type` (a URI ending in the code), `title`, `status` and `detail`."""
from __future__ import annotations

import json
from collections.abc import Mapping
from http import HTTPStatus

from starlette.responses import Response

__all__ = ["Problem", "CODES", "TYPE_BASE", "MEDIA_TYPE", "problem_body", "problem_response"]

MEDIA_TYPE = "application/problem+json"
# The store's own type URIs, so that clients written against it tell errors
# apart the same way here.
TYPE_BASE = "https://api.inference.sh/errors/"

# The documented codes (REST overview, D5) and their statuses; method_not_allowed,
# conflict, payload_too_large and service_unavailable are ours: the store
# documents no answer for a wrong method, an ingestion retried with other
# content, a body too large or a database that is down.
CODES: dict[str, int] = {
    "invalid_request": 400,
    "unauthorized": 401,
    "forbidden": 403,
    "not_found": 404,
    "method_not_allowed": 405,
    "conflict": 409,
    "payload_too_large": 413,
    "rate_limited": 429,
    "internal_error": 500,
    "service_unavailable": 503,
}


class Problem(Exception):
    """An error answer: raise it from a handler and the client gets its problem+json."""

    def __init__(self, code: str, detail: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(detail)
        self.code = code
        self.status = CODES[code]
        self.detail = detail
        self.headers = dict(headers or {})


def problem_body(code: str, detail: str) -> dict[str, object]:
    status = CODES[code]
    return {"type": TYPE_BASE + code, "title": HTTPStatus(status).phrase, "status": status, "detail": detail}


def problem_response(problem: Problem, headers: Mapping[str, str] | None = None) -> Response:
    """The problem's answer, with `headers` (the rate limit's) and its own."""
    body = json.dumps(problem_body(problem.code, problem.detail), ensure_ascii=False, separators=(",", ":"))
    return Response(body, status_code=problem.status, headers={**(headers or {}), **problem.headers}, media_type=MEDIA_TYPE)
