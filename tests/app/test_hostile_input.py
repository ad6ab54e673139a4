"""Hostile input never becomes a 500, and every answer (200, 413, 422, 500) carries the security
headers: lone surrogates are a 422 naming the field on every POST endpoint; the error handlers
answer even when the failure is in rendering."""

from __future__ import annotations

import warnings

import pytest
from api_helpers import strict_json

from app.main import create_app

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

SECURITY = ("content-security-policy", "x-content-type-options", "x-frame-options", "referrer-policy")
JSON = {"content-type": "application/json"}


def post_paths(client) -> list[str]:
    paths = client.get("/openapi.json").json()["paths"]
    return sorted(p for p, ops in paths.items() if "post" in ops)


def assert_secure(response) -> None:
    missing = [h for h in SECURITY if h not in response.headers]
    assert not missing, (response.status_code, missing)
    assert response.headers["x-content-type-options"] == "nosniff"


def test_every_post_endpoint_refuses_a_lone_surrogate_with_a_422(client):
    paths = post_paths(client)
    assert len(paths) >= 11, paths
    for path in paths:
        # a label (optimizer), a name and an unknown field: wherever it sits, it is found
        for body, loc in ((b'{"label": "ab\\ud800"}', ["body", "label"]),
                          (b'{"surface": {"name": "custom", "expr": "x + \\udfff"}}', ["body", "surface", "expr"]),
                          (b'{"a": [1, {"b": "\\uDBFF"}]}', ["body", "a", 1, "b"])):
            response = client.post(path, content=body, headers=JSON)
            assert response.status_code == 422, (path, response.text)
            (err,) = strict_json(response.text)["detail"]
            assert err["loc"] == loc and "surrogate" in err["msg"], (path, err)
            assert_secure(response)


def test_a_valid_surrogate_pair_and_an_escaped_backslash_pass(client):
    body = (b'{"surface": {"name": "quadratic"}, "steps": 2, "optimizers": '
            b'[{"name": "gd", "label": "\\ud83d\\ude00 \\\\ud800"}]}')
    response = client.post("/api/run", content=body, headers=JSON)
    assert response.status_code == 200, response.text
    assert strict_json(response.text)["runs"][0]["optimizer"]["label"] == "\U0001f600 \\ud800"


def test_a_surrogate_in_a_key_is_a_422(client):
    response = client.post("/api/point", content=b'{"surface": {"\\ud800": 1}, "point": [0, 0]}', headers=JSON)
    assert response.status_code == 422
    assert strict_json(response.text)["detail"][0]["loc"][:2] == ["body", "surface"]


def test_413_and_422_carry_the_security_headers(client):
    too_big = client.post("/api/run", content=b"x" * ((1 << 20) + 1), headers=JSON)
    assert too_big.status_code == 413
    assert_secure(too_big)
    bad = client.post("/api/run", json={"surface": {"name": "nope"}})
    assert bad.status_code == 422
    assert_secure(bad)
    assert_secure(client.get("/api/health"))
    assert_secure(client.get("/no/such/page"))


@pytest.fixture
def failing_client():
    app = create_app()

    async def boom():
        raise RuntimeError("a bug")

    async def unrenderable():
        from app.errors import EngineInputError
        raise EngineInputError(["body", object()], "x" * 10)  # a loc orjson cannot write

    app.add_api_route("/boom", boom)
    app.add_api_route("/unrenderable", unrenderable)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def test_a_500_is_json_and_carries_the_security_headers(failing_client):
    response = failing_client.get("/boom")
    assert response.status_code == 500
    assert strict_json(response.text) == {"detail": "internal server error"}
    assert_secure(response)


def test_an_error_that_cannot_be_rendered_still_answers(failing_client):
    response = failing_client.get("/unrenderable")
    assert response.status_code == 422
    assert strict_json(response.text)["detail"][0]["msg"] == "invalid input"
    assert_secure(response)


def test_parameter_name_collisions_are_422s(client):
    cases = [("/api/point", {"surface": {"name": "quadratic", "params": {"self": 1.0}}, "point": [0, 0]}),
             ("/api/network/train", {"dataset": {"name": "moons", "params": {"self": 1}},
                                     "optimizers": [{"name": "gd"}], "steps": 3}),
             ("/api/network/train", {"dataset": {"name": "moons", "params": {"n": 5, "seed": 1}},
                                     "optimizers": [{"name": "gd"}], "steps": 3})]
    for path, body in cases:
        response = client.post(path, json=body)
        assert response.status_code == 422, (path, response.text)
        assert_secure(response)
