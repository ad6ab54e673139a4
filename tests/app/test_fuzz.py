"""Schemathesis over the whole OpenAPI schema, in-process: no input the schema admits (or
nearly admits) gives a server error, and documented responses match their schemas.

Endpoints other modules add are covered as they appear; nothing here names them. Work per
example is capped (large but valid `steps`, `n`, ... are lowered; out-of-range ones are kept,
so they still exercise the 422 path) to keep the run within a CI budget.
"""

from __future__ import annotations

from typing import Any

import schemathesis
from api_helpers import strict_json
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from app.main import app

# Integer fields that scale a request's work: lowered to a cap (or, for the "every k steps"
# ones, raised to a floor) when the value is in range; out-of-range values stay as generated.
WORK_CAPS = {"steps": 60, "n": 15, "budget": 4, "hidden": 16, "iters": 10, "sharpness_iters": 5, "snapshots": 2}
WORK_FLOORS = {"sharpness_every": 100, "record_every": 10}
LIMIT = 20000  # no size field of the contract allows more, so anything larger is left as is


def _bounded(key: str, item: Any) -> Any:
    if type(item) is not int:  # bool is not a size
        return item
    if key in WORK_CAPS and WORK_CAPS[key] < item <= LIMIT:
        return WORK_CAPS[key]
    if key in WORK_FLOORS and 1 <= item < WORK_FLOORS[key]:
        return WORK_FLOORS[key]
    return item


def cap_work(value: Any) -> Any:
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if isinstance(item, list) and key in WORK_CAPS:  # e.g. hidden layer widths
                item = [_bounded(key, v) for v in item]
            out[key] = cap_work(_bounded(key, item))
        return out
    if isinstance(value, list):
        return [cap_work(item) for item in value]
    return value


# The coverage phase enumerates every boundary case of every field (thousands here, with no way
# to bound them); the fuzzing phase, positive and negative, gives a bounded number per operation.
CONFIG = schemathesis.Config.from_dict({"seed": 20240601, "phases": {"coverage": {"enabled": False}}})
schema = schemathesis.openapi.from_asgi("/openapi.json", app, config=CONFIG)


@schema.parametrize()
@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_errors_and_conforming_responses(case):
    if isinstance(case.body, (dict, list)):
        case.body = cap_work(case.body)
    response = case.call()
    case.validate_response(response, checks=[not_a_server_error, response_schema_conformance,
                                              content_type_conformance])
    content_type = response.headers.get("content-type") or [""]  # schemathesis: header -> list of values
    if content_type[0].startswith("application/json"):
        strict_json(response.content)  # never NaN or Infinity, even in a 422 echoing the input


def test_openapi_lists_every_endpoint_with_its_errors(client):
    spec = strict_json(client.get("/openapi.json").content)
    paths = spec["paths"]
    for path, method in [("/api/health", "get"), ("/api/surfaces", "get"), ("/api/optimizers", "get"),
                         ("/api/point", "post"), ("/api/grid", "post"), ("/api/run", "post"),
                         ("/api/run/stream", "post")]:
        assert method in paths[path], (path, method)
    for path, item in paths.items():
        if not path.startswith("/api/"):
            continue
        for method, operation in item.items():
            if method == "post":  # every JSON-body endpoint documents its 4xx answers
                assert {"413", "422"} <= set(operation["responses"]), (path, method)
            assert operation.get("summary") or operation.get("description"), (path, method)
    stream = paths["/api/run/stream"]["post"]["responses"]["200"]["content"]
    assert "application/x-ndjson" in stream


def test_request_models_carry_descriptions_and_examples(client):
    components = strict_json(client.get("/openapi.json").content)["components"]["schemas"]
    run = components["RunRequest"]
    assert run.get("examples"), "RunRequest has an example for /docs"
    assert run["additionalProperties"] is False  # extra="forbid" is visible in the schema
    steps = run["properties"]["steps"]
    assert (steps["minimum"], steps["maximum"]) == (1, 20000) and steps["description"]
    optimizers = run["properties"]["optimizers"]
    assert (optimizers["minItems"], optimizers["maxItems"]) == (1, 12)
    grid_n = components["GridRequest"]["properties"]["n"]
    assert (grid_n["minimum"], grid_n["maximum"]) == (2, 501)
