"""What app.client returns and sends: its errors, result types (numpy arrays) and the request
conveniences that turn names, pairs and dicts into the API's JSON bodies (re-exported by app.client)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

RUN_ARRAYS = ("path", "loss", "grad_norm", "lr")


class ApiError(Exception):
    """An error answer of the API: `status` (HTTP code) and `detail` (the body's `detail`, as sent)."""

    def __init__(self, status: int, detail: Any) -> None:
        self.status, self.detail = status, detail
        super().__init__(f"{status}: {format_detail(detail)}")


class StreamError(ApiError):
    """An `{"type": "error"}` line inside a stream that had started fine (status is the stream's, 200)."""


class TruncatedStream(StreamError):
    """A stream that ended without its `done` line (a server fault or a broken connection cut it
    off): what was received is incomplete."""


def format_detail(detail: Any) -> str:
    """FastAPI's list of `{loc, msg}` as `"body.steps: Input should be ..."` lines; anything else as text."""
    if isinstance(detail, list):
        parts = []
        for err in detail:
            if isinstance(err, Mapping) and "msg" in err:
                loc = ".".join(str(p) for p in err.get("loc", []))
                parts.append(f"{loc}: {err['msg']}" if loc else str(err["msg"]))
            else:
                parts.append(str(err))
        return "; ".join(parts)
    return str(detail)


def _floats(values: Any, width: int | None = None) -> np.ndarray:
    """A JSON list (nulls allowed) as a float array; an empty path keeps its (0, width) shape."""
    array = np.array(values if values is not None else [], dtype=float)
    if width is not None and array.size == 0:
        array = array.reshape(0, width)
    return array


@dataclass
class Run:
    """One optimizer's run: path (k+1, 2), loss/grad_norm (k+1,), lr (k,), status, steps_taken."""

    optimizer: dict[str, Any]
    path: np.ndarray
    loss: np.ndarray
    grad_norm: np.ndarray
    lr: np.ndarray
    status: str
    steps_taken: int

    @classmethod
    def from_json(cls, run: Mapping[str, Any]) -> Run:
        return cls(run["optimizer"], _floats(run["path"], 2), _floats(run["loss"]), _floats(run["grad_norm"]),
                   _floats(run["lr"]), run["status"], int(run["steps_taken"]))


@dataclass
class RunResult:
    """`/api/run`'s answer: `runs` in request order, plus the echoed request and the theory block."""

    runs: list[Run]
    surface: dict[str, Any] = field(default_factory=dict)
    start: np.ndarray | None = None
    steps: int = 0
    schedule: dict[str, Any] = field(default_factory=dict)
    theory: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> RunResult:
        return cls([Run.from_json(r) for r in body["runs"]], body.get("surface", {}), _floats(body.get("start")),
                   int(body.get("steps", 0)), body.get("schedule", {}), body.get("theory", {}))

    @property
    def statuses(self) -> list[str]:
        return [r.status for r in self.runs]

    @property
    def labels(self) -> list[str]:
        return [r.optimizer.get("label", r.optimizer.get("name", "")) for r in self.runs]

    def __getitem__(self, index: int) -> Run:
        return self.runs[index]

    def __len__(self) -> int:
        return len(self.runs)

    def __iter__(self) -> Iterator[Run]:
        return iter(self.runs)


@dataclass
class Grid:
    """`/api/grid`'s answer: x (n,), y (n,), z (n, n) with z[i, j] = f(x[j], y[i])."""

    x: np.ndarray
    y: np.ndarray
    z: np.ndarray
    zmin: float | None
    zmax: float | None


# ---- request conveniences ---------------------------------------------------------------

def surface_ref(surface: str | Sequence | Mapping[str, Any]) -> dict[str, Any]:
    """"name" | (name, params) | {"name": ..., ...} -> the API's surface reference."""
    if isinstance(surface, str):
        return {"name": surface}
    if isinstance(surface, Mapping):
        return dict(surface)
    name, params = surface
    return {"name": name, "params": dict(params)}


def _named_spec(spec: str | Sequence | Mapping[str, Any]) -> dict[str, Any]:
    """"name" | (name, hyperparameters) | {"name": ..., ...} -> a flat `{"name", ...}` spec."""
    if isinstance(spec, str):
        return {"name": spec}
    if isinstance(spec, Mapping):
        return dict(spec)
    name, params = spec
    return {"name": name, **dict(params)}


def _is_single_spec(value: Any) -> bool:
    return (isinstance(value, (str, Mapping))
            or (isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], str)
                and isinstance(value[1], Mapping)))


def optimizer_specs(optimizers: Any) -> list[dict[str, Any]]:
    """One spec (name, pair or dict) or a list of them -> the API's list of optimizer specs."""
    if _is_single_spec(optimizers):
        return [_named_spec(optimizers)]
    return [_named_spec(o) for o in optimizers]


def noise_spec(noise: float | Sequence | Mapping[str, Any]) -> dict[str, Any]:
    """σ | (σ, seed) | {"sigma", "seed"} -> the API's noise object."""
    if isinstance(noise, Mapping):
        return dict(noise)
    if isinstance(noise, (int, float)):
        return {"sigma": float(noise), "seed": 0}
    sigma, seed = noise
    return {"sigma": float(sigma), "seed": int(seed)}


def _point(values: Any) -> list[float]:
    return [float(v) for v in np.asarray(values, dtype=float).reshape(-1)]


def run_body(surface, optimizers, start=None, steps=200, schedule=None, noise=None) -> dict[str, Any]:
    """The JSON body of `/api/run` and `/api/run/stream` from the conveniences above."""
    body: dict[str, Any] = {"surface": surface_ref(surface), "optimizers": optimizer_specs(optimizers),
                            "steps": int(steps)}
    if start is not None:
        body["start"] = _point(start)
    if schedule is not None:
        body["schedule"] = _named_spec(schedule)
    if noise is not None:
        body["noise"] = noise_spec(noise)
    return body


def chunk_arrays(line: dict[str, Any]) -> dict[str, Any]:
    """A stream line with its path/loss/grad_norm/lr lists turned into float arrays (others as sent)."""
    if line.get("type") == "chunk":
        line = dict(line)
        line["path"] = _floats(line["path"], 2)
        for key in ("loss", "grad_norm", "lr"):
            line[key] = _floats(line[key])
    return line
