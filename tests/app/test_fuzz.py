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
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from app.main import app

# Integer fields that scale a request's work: lowered to a cap (or, for the "every k steps"
# ones, raised to a floor) when the value is in range; out-of-range values stay as generated.
WORK_CAPS = {"steps": 60, "n": 15, "budget": 4, "hidden": 16, "iters": 10, "sharpness_iters": 5, "snapshots": 2}
WORK_FLOORS = {"sharpness_every": 100, "record_every": 10}
LIMIT = 20000  # no size field of the contract allows more, so anything larger is left as is


def _bounded(key: str, item: Any) -> Any:
    if type(item) is float and item.is_integer():  # 500.0 is the integer 500 (app.schemas.params.Int)
        item = int(item)
    elif type(item) is not int:  # bool is not a size
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


# What JSON Schema cannot state (the 422 description in OpenAPI lists them): a formula's syntax, the
# compute budget, orders inside one value (a domain's lo < hi, lr_range's min < max, Rprop's etas) and
# rules across fields (plane.run below the number of optimizers, phase axes that this optimizer has,
# the loss against the data set's kind, sweep paths). Those 422s are value_error or formula_error; a
# request the schema admits that gets any other 422 (int_type, missing, extra_forbidden, ...) means
# the schema promises what validation refuses. schemathesis.toml allows the 422 for the CLI's
# positive_data_acceptance check; this check is the finer one.
SEMANTIC_422 = {"value_error", "formula_error"}


def check_positive_422(case, response) -> None:
    meta = getattr(case, "meta", None)
    if response.status_code != 422 or meta is None or not meta.generation.mode.is_positive:
        return
    types = {err.get("type") for err in strict_json(response.content)["detail"]}
    assert types <= SEMANTIC_422, (case.path, case.body, response.content[:600])


@schema.parametrize()
@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_errors_and_conforming_responses(case):
    if isinstance(case.body, (dict, list)):
        case.body = cap_work(case.body)
    response = case.call()
    case.validate_response(response, checks=[not_a_server_error, response_schema_conformance,
                                              content_type_conformance, status_code_conformance])
    content_type = response.headers.get("content-type") or [""]  # schemathesis: header -> list of values
    if content_type[0].startswith("application/json"):
        strict_json(response.content)  # never NaN or Infinity, even in a 422 echoing the input
    check_positive_422(case, response)


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


def test_openapi_bounds_are_json_schema_keywords(client):
    # pydantic writes a bound it cannot place on the type (after a validator) as a raw "ge"/"le", which
    # JSON Schema tools ignore: schemathesis then sent -1 as valid data for a field with ge=0
    text = client.get("/openapi.json").text
    for raw in ('"ge":', '"le":', '"gt":', '"lt":'):
        assert raw not in text, raw


def test_an_integral_float_is_an_integer(client):
    # JSON does not tell 500 from 500.0 (JSON Schema's "integer" admits both); 2.5, true or "5" stay a 422
    body = {"surface": {"name": "quadratic"}, "optimizers": [{"name": "sgd_schedulefree", "warmup_steps": 3.0}],
            "schedule": {"name": "step", "step_size": 2.0}}
    response = client.post("/api/run", json={**body, "steps": 5.0})
    assert response.status_code == 200, response.text
    assert response.json()["steps"] == 5 and len(response.json()["runs"][0]["lr"]) == 5
    for bad in (5.5, True, "5"):
        (err,) = client.post("/api/run", json={**body, "steps": bad}).json()["detail"]
        assert err["loc"] == ["body", "steps"] and err["type"] == "int_type", err
