"""Property-based fuzzing of every route from /openapi.json (schemathesis):
requests generated from the document, valid and not, never get a 5xx, and
every answer has a status, media type and body the document declares."""
from __future__ import annotations

from datetime import timedelta

import pytest

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, settings  # noqa: E402
from schemathesis.checks import (  # noqa: E402
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from celprice.server import create_app  # noqa: E402
from celprice.server.limits import ServerLimits  # noqa: E402
from celprice.usage import Ledger  # noqa: E402
from celprice.usage.keys import KeyStore  # noqa: E402

from .conftest import NOW, bearer  # noqa: E402
from .test_app import fees  # noqa: E402

# Bounded, so that the default run stays short; raise it locally to look harder.
EXAMPLES = 30

_ledger = Ledger()
_ledger.record_task("team-a", "task-1", "acme/flux", NOW - timedelta(hours=1), fees(50000, 20000))
# A published pricing, so that the store's routes can answer more than 404.
_ledger.publish_pricing(
    "acme/flux",
    {"prices": {"per_image": 500000}, "inference_expression": "get(task_inputs, 'n', 1) * prices.per_image"},
)
_KEY = KeyStore(_ledger).create("team-a", "fuzz")[1]
# The rate limit off: the fuzzer would meet it, not the routes.
_app = create_app(_ledger, clock=lambda: NOW, limits=ServerLimits(rate_limit=None))
schema = schemathesis.openapi.from_asgi("/openapi.json", _app)


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
def test_no_route_answers_5xx_or_outside_its_schema(case: schemathesis.Case) -> None:
    case.call_and_validate(
        headers=bearer(_KEY),
        checks=[not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance],
    )
