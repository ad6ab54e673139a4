"""Helpers shared by the API tests: a strict JSON parser (NaN/Infinity are errors), NDJSON
splitting and request builders. Plain functions, imported by the test modules."""

from __future__ import annotations

import json
from typing import Any

# Every optimizer once (nine) plus three repeats: the contract's maximum of 12 per request, with
# steps such that the run stays well inside the per-request compute budget (app/cost.py).
ALL_OPTIMIZERS = ["gd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw", "adadelta", "newton"]
MAX_RUN = {
    "surface": {"name": "rosenbrock"},
    "start": [-1.5, 2.0],
    "steps": 8000,  # 12 optimizers on Rosenbrock, streamed, stays under the default 4.5 s budget
    "optimizers": [{"name": n, "lr": 1e-4} for n in ALL_OPTIMIZERS + ["gd", "momentum", "adam"]],
}


def strict_json(text: str | bytes) -> Any:
    """json.loads that rejects NaN, Infinity and -Infinity (which are not JSON)."""

    def reject(constant: str) -> None:
        raise ValueError(f"non-JSON constant {constant} in a response body")

    return json.loads(text, parse_constant=reject)


def ndjson(text: str) -> list[dict[str, Any]]:
    """The objects of an NDJSON body, each parsed strictly; the body must end with a newline."""
    assert text.endswith("\n"), "an NDJSON body ends each line with a newline"
    return [strict_json(line) for line in text.splitlines()]


def run_body(surface: dict | None = None, optimizers: list[dict] | None = None, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"surface": surface or {"name": "quadratic"},
                            "optimizers": optimizers or [{"name": "gd", "lr": 0.1}]}
    body.update(extra)
    return body
