"""A battery of malformed and out-of-range requests across the endpoints: each gets its 4xx
(422, or 413 for a body over 1 MiB) with a message naming the offending field (and, for a
name, the allowed values); none gives a 500."""

from __future__ import annotations

import importlib.util
import json
from dataclasses import dataclass, field

import pytest
from api_helpers import strict_json

QUAD = {"name": "quadratic"}
GD = [{"name": "gd"}]
HAS_CUSTOM = importlib.util.find_spec("engine.surfaces.custom") is not None
SURFACE_NAMES = ["quadratic", "saddle", "monkey_saddle", "rosenbrock", "himmelblau", "rastrigin", "beale",
                 "six_hump_camel", "styblinski_tang", "custom"]
OPTIMIZER_NAMES = ["gd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw", "adadelta", "newton"]
SCHEDULE_NAMES = ["constant", "step", "exponential", "power", "cosine", "linear"]


@dataclass
class Bad:
    path: str
    body: object = None  # a JSON value, or bytes sent as they are
    loc: tuple = ("body",)  # the offending field's loc must start with this
    says: tuple = ()  # fragments the message of that error must contain
    status: int = 422
    headers: dict = field(default_factory=lambda: {"content-type": "application/json"})


def point(**overrides):
    return {"surface": QUAD, "point": [1.0, 2.0], **overrides}


def grid(**overrides):
    return {"surface": QUAD, "n": 11, **overrides}


def run(**overrides):
    return {"surface": QUAD, "optimizers": GD, "steps": 10, **overrides}


def opt(**spec):
    return run(optimizers=[spec])


def sched(**spec):
    return run(schedule=spec)


def quad(**params):
    return run(surface={"name": "quadratic", "params": params})


BIG = b'{"surface": {"name": "quadratic"}, "optimizers": [{"name": "gd"}], "pad": "' + b"x" * (1 << 20) + b'"}'

CASES = {
    # ---- names: 422 listing the allowed values
    "unknown surface": Bad("/api/point", point(surface={"name": "bowl"}), ("body", "surface"),
                           ("bowl", *SURFACE_NAMES)),
    "unknown optimizer": Bad("/api/run", opt(name="sgdd"), ("body", "optimizers", 0), ("sgdd", *OPTIMIZER_NAMES)),
    "unknown schedule": Bad("/api/run", sched(name="cyclic"), ("body", "schedule"), ("cyclic", *SCHEDULE_NAMES)),
    "unknown surface on grid": Bad("/api/grid", grid(surface={"name": "Quadratic"}), ("body", "surface"),
                                   ("quadratic, saddle",)),
    "unknown surface on run": Bad("/api/run", run(surface={"name": ""}), ("body", "surface"), ("allowed",)),
    "unknown optimizer on stream": Bad("/api/run/stream", opt(name="conjugate_gradient"), ("body", "optimizers", 0),
                                       ("conjugate_gradient", "adam")),
    # ---- unknown fields and parameters (extra="forbid", typos caught)
    "unknown top-level field": Bad("/api/run", run(stepz=10), ("body", "stepz"), ("Extra inputs",)),
    "unknown field on point": Bad("/api/point", point(pont=[1, 2]), ("body", "pont")),
    "unknown field in surface ref": Bad("/api/grid", grid(surface={"name": "quadratic", "colour": 1}),
                                        ("body", "surface", "colour")),
    "unknown surface param": Bad("/api/run", quad(kapa=5), ("body", "surface"), ("kapa", "kappa, theta, lam_min")),
    "gd with momentum": Bad("/api/run", opt(name="gd", momentum=0.9), ("body", "optimizers", 0),
                            ("momentum", "allowed: lr, weight_decay")),
    "adam with momentum": Bad("/api/run", opt(name="adam", momentum=0.9), ("body", "optimizers", 0), ("momentum",)),
    "newton with weight_decay": Bad("/api/run", opt(name="newton", weight_decay=0.1), ("body", "optimizers", 0),
                                    ("weight_decay", "lr, damping")),
    "unknown optimizer field": Bad("/api/run", opt(name="gd", learning_rate=0.1),
                                   ("body", "optimizers", 0, "learning_rate")),
    "schedule param of another schedule": Bad("/api/run", sched(name="step", t_max=10), ("body", "schedule"),
                                              ("t_max", "step_size, gamma")),
    "unknown noise field": Bad("/api/run", run(noise={"sigma": 0.1, "seeds": 1}), ("body", "noise", "seeds")),
    # ---- missing fields
    "point without surface": Bad("/api/point", {"point": [0, 0]}, ("body", "surface"), ("Field required",)),
    "point without point": Bad("/api/point", {"surface": QUAD}, ("body", "point"), ("Field required",)),
    "grid without surface": Bad("/api/grid", {"n": 11}, ("body", "surface")),
    "run without optimizers": Bad("/api/run", {"surface": QUAD}, ("body", "optimizers"), ("Field required",)),
    "run without surface": Bad("/api/run", {"optimizers": GD}, ("body", "surface")),
    "optimizer without name": Bad("/api/run", run(optimizers=[{"lr": 0.1}]), ("body", "optimizers", 0, "name")),
    "surface without name": Bad("/api/point", point(surface={"params": {}}), ("body", "surface", "name")),
    "domain without y": Bad("/api/grid", grid(domain={"x": [0, 1]}), ("body", "domain", "y")),
    "empty body": Bad("/api/run", b"", ("body",), ("Field required",)),
    # ---- wrong types
    "surface name a number": Bad("/api/point", point(surface={"name": 5}), ("body", "surface", "name")),
    "point of strings": Bad("/api/point", point(point=["a", 1]), ("body", "point", 0)),
    "point an object": Bad("/api/point", point(point={"x": 1, "y": 2}), ("body", "point")),
    "n a string": Bad("/api/grid", grid(n="many"), ("body", "n")),
    "n fractional": Bad("/api/grid", grid(n=10.5), ("body", "n")),
    "steps a bool": Bad("/api/run", run(steps=True), ("body", "steps")),
    "steps a numeric string": Bad("/api/run", run(steps="100"), ("body", "steps")),
    "lr a string": Bad("/api/run", opt(name="gd", lr="fast"), ("body", "optimizers", 0, "lr")),
    "amsgrad a number": Bad("/api/run", opt(name="adam", amsgrad=1), ("body", "optimizers", 0, "amsgrad")),
    "surface param a string": Bad("/api/run", quad(kappa="ten"), ("body", "surface", "params", "kappa")),
    "surface param a bool": Bad("/api/run", quad(theta=True), ("body", "surface"), ("theta",)),
    "optimizers an object": Bad("/api/run", run(optimizers={"name": "gd"}), ("body", "optimizers")),
    "body a list": Bad("/api/run", [1, 2], ("body",), ("dictionary",)),
    # ---- out of range
    "steps 0": Bad("/api/run", run(steps=0), ("body", "steps"), ("greater than or equal to 1",)),
    "steps 20001": Bad("/api/run", run(steps=20001), ("body", "steps"), ("less than or equal to 20000",)),
    "steps 0 on stream": Bad("/api/run/stream", run(steps=0), ("body", "steps")),
    "no optimizers": Bad("/api/run", run(optimizers=[]), ("body", "optimizers"), ("at least 1",)),
    "13 optimizers": Bad("/api/run", run(optimizers=GD * 13), ("body", "optimizers"), ("at most 12",)),
    "13 optimizers on stream": Bad("/api/run/stream", run(optimizers=GD * 13), ("body", "optimizers")),
    "n 1": Bad("/api/grid", grid(n=1), ("body", "n"), ("greater than or equal to 2",)),
    "n 502": Bad("/api/grid", grid(n=502), ("body", "n"), ("less than or equal to 501",)),
    "kappa 0": Bad("/api/run", quad(kappa=0), ("body", "surface"), ("kappa", "[1, 10000]")),
    "kappa 1e5": Bad("/api/point", point(surface={"name": "quadratic", "params": {"kappa": 1e5}}),
                     ("body", "surface"), ("kappa",)),
    "lam_min 0 (exclusive)": Bad("/api/run", quad(lam_min=0), ("body", "surface"), ("lam_min", "(0, 1000]")),
    "theta 200": Bad("/api/run", quad(theta=200), ("body", "surface"), ("theta", "[-180, 180]")),
    "rosenbrock b negative": Bad("/api/grid", grid(surface={"name": "rosenbrock", "params": {"b": -1}}),
                                 ("body", "surface"), ("'b'",)),
    "lr 0": Bad("/api/run", opt(name="gd", lr=0), ("body", "optimizers", 0, "lr"), ("greater than 0",)),
    "lr negative": Bad("/api/run", opt(name="adam", lr=-0.1), ("body", "optimizers", 0, "lr")),
    "lr 1e9": Bad("/api/run", opt(name="gd", lr=1e9), ("body", "optimizers", 0, "lr"), ("less than or equal to 100",)),
    "momentum 1.5": Bad("/api/run", opt(name="momentum", momentum=1.5), ("body", "optimizers", 0, "momentum")),
    "betas of length 1": Bad("/api/run", opt(name="adam", betas=[0.9]), ("body", "optimizers", 0, "betas")),
    "beta2 = 1": Bad("/api/run", opt(name="adam", betas=[0.9, 1.0]), ("body", "optimizers", 0, "betas", 1)),
    "eps negative": Bad("/api/run", opt(name="rmsprop", eps=-1e-8), ("body", "optimizers", 0, "eps")),
    "label too long": Bad("/api/run", opt(name="gd", label="x" * 81), ("body", "optimizers", 0, "label")),
    "schedule gamma 0": Bad("/api/run", sched(name="exponential", gamma=0), ("body", "schedule", "gamma")),
    "schedule step_size 0": Bad("/api/run", sched(name="step", step_size=0), ("body", "schedule", "step_size")),
    "power c negative": Bad("/api/run", sched(name="power", c=-1), ("body", "schedule", "c")),
    "noise sigma negative": Bad("/api/run", run(noise={"sigma": -0.1}), ("body", "noise", "sigma")),
    "noise seed negative": Bad("/api/run", run(noise={"sigma": 0.1, "seed": -1}), ("body", "noise", "seed")),
    "noise seed 2^40": Bad("/api/run", run(noise={"seed": 2**40}), ("body", "noise", "seed")),
    "start of length 1": Bad("/api/run", run(start=[1.0]), ("body", "start"), ("at least 2",)),
    "start of length 3": Bad("/api/run", run(start=[1.0, 2.0, 3.0]), ("body", "start"), ("at most 2",)),
    "start beyond 1e6": Bad("/api/run", run(start=[1e7, 0.0]), ("body", "start", 0)),
    "point beyond 1e6": Bad("/api/point", point(point=[0.0, -2e6]), ("body", "point", 1)),
    "domain lo = hi": Bad("/api/grid", grid(domain={"x": [1, 1], "y": [0, 1]}), ("body", "domain"), ("domain.x",)),
    "domain lo > hi": Bad("/api/grid", grid(domain={"x": [0, 1], "y": [3, -3]}), ("body", "domain"), ("domain.y",)),
    "domain of length 3": Bad("/api/grid", grid(domain={"x": [0, 1, 2], "y": [0, 1]}), ("body", "domain", "x")),
    "details beyond its step limit": Bad("/api/run", run(details=True, steps=20000), ("body",),
                                         ("details", "steps")),
    # ---- non-JSON numbers and bodies
    "NaN lr": Bad("/api/run", b'{"surface": {"name": "quadratic"}, "optimizers": [{"name": "gd", "lr": NaN}]}',
                  ("body", "optimizers", 0, "lr")),
    "Infinity start": Bad("/api/run", b'{"surface": {"name": "quadratic"}, "start": [Infinity, 0],'
                                      b' "optimizers": [{"name": "gd"}]}', ("body", "start", 0)),
    "NaN surface param": Bad("/api/point", b'{"surface": {"name": "quadratic", "params": {"kappa": NaN}},'
                                           b' "point": [0, 0]}', ("body", "surface"), ("kappa",)),
    "-Infinity point": Bad("/api/point", b'{"surface": {"name": "quadratic"}, "point": [0, -Infinity]}',
                           ("body", "point", 1)),
    "non-JSON body": Bad("/api/run", b"steps=10&surface=quadratic", ("body",), ("JSON",)),
    "truncated JSON": Bad("/api/grid", b'{"surface": {"name": "quadratic"', ("body",), ("JSON",)),
    "wrong content-type": Bad("/api/run", json.dumps(run()).encode(), ("body",),
                              headers={"content-type": "text/plain"}),
    "form content-type": Bad("/api/point", b"surface=quadratic", ("body",),
                             headers={"content-type": "application/x-www-form-urlencoded"}),
    # ---- sizes
    "body over 1 MiB": Bad("/api/run", BIG, status=413, says=("exceeds",)),
    "body over 1 MiB on stream": Bad("/api/run/stream", BIG, status=413),
    "body over 1 MiB on point": Bad("/api/point", BIG, status=413),
    # ---- custom surfaces
    "custom without expr": Bad("/api/point", point(surface={"name": "custom"}), ("body", "surface"), ("expr",)),
    "expr on a non-custom surface": Bad("/api/grid", grid(surface={"name": "saddle", "expr": "x**2"}),
                                        ("body", "surface"), ("expr", "custom")),
    "custom with params": Bad("/api/run", run(surface={"name": "custom", "expr": "x**2", "params": {"a": 1}}),
                              ("body", "surface"), ("params",)),
    "expr too long": Bad("/api/point", point(surface={"name": "custom", "expr": "x+" * 300 + "y"}),
                         ("body", "surface", "expr")),
}
if HAS_CUSTOM:  # formula errors come from the formula module, once it exists
    CASES |= {
        "custom calling Python": Bad("/api/point", point(surface={"name": "custom", "expr": "__import__('os')"}),
                                     ("body", "surface"), ("__import__", "allowed")),
        "custom with a syntax error": Bad("/api/grid", grid(surface={"name": "custom", "expr": "x**"}),
                                          ("body", "surface")),
        "custom with an unknown variable": Bad("/api/run", run(surface={"name": "custom", "expr": "x + z"}),
                                               ("body", "surface"), ("z",)),
    }


def send(client, case: Bad):
    if isinstance(case.body, bytes):
        return client.post(case.path, content=case.body, headers=case.headers)
    return client.post(case.path, content=json.dumps(case.body).encode(), headers=case.headers)


def test_the_battery_is_large():
    assert len(CASES) >= 50


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_request_gets_its_4xx_naming_the_field(client, name):
    case = CASES[name]
    response = send(client, case)
    assert response.status_code == case.status, response.text[:500]
    assert response.headers["content-type"] == "application/json"
    detail = strict_json(response.content)["detail"]  # FastAPI's usual body, never NaN/Infinity
    if case.status == 413:
        assert all(fragment in detail for fragment in case.says)
        return
    assert isinstance(detail, list) and detail
    matching = [err for err in detail if tuple(err["loc"][:len(case.loc)]) == case.loc]
    assert matching, f"no error at {case.loc}: {detail}"
    assert any(all(fragment in err["msg"] for fragment in case.says) for err in matching), matching


def test_oversized_chunked_body_is_413_before_parsing(client):
    """No Content-Length (chunked upload): the body is counted as it arrives."""

    def chunks():
        for _ in range(20):
            yield b" " * 100_000

    response = client.post("/api/run", content=chunks(), headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert "exceeds" in strict_json(response.content)["detail"]


def test_a_body_just_under_the_limit_is_parsed(client):
    body = json.dumps(run()).encode()
    padded = body[:-1] + b" " * ((1 << 20) - len(body)) + b"}"
    assert len(padded) == 1 << 20
    assert client.post("/api/run", content=padded, headers={"content-type": "application/json"}).status_code == 200


@pytest.mark.parametrize("method, path, status", [
    ("post", "/api/health", 405), ("get", "/api/run", 405), ("put", "/api/grid", 405),
    ("get", "/api/nowhere", 404), ("post", "/api/run/streams", 404),
])
def test_wrong_methods_and_paths_are_4xx(client, method, path, status):
    assert client.request(method.upper(), path).status_code == status
