"""A small Python client for the losslab JSON API, returning numpy arrays.

    from app.client import Client
    with Client("http://127.0.0.1:8000") as api:
        result = api.run("quadratic", ["gd", ("momentum", {"lr": 0.01})], start=[-4, 2], steps=200)
        print(result.statuses, result[0].loss[-1])

Surfaces may be given as a name (`"himmelblau"`), a `(name, params)` pair
(`("quadratic", {"kappa": 50})`) or the API's dict (`{"name": "custom", "expr": ...}`).
Optimizers likewise: `"adam"`, `("adam", {"lr": 0.1})` or `{"name": "adam", "lr": 0.1}`,
alone or in a list. A schedule is a name, a pair or a dict; noise is σ, `(σ, seed)` or a dict.
Nulls in a response (non-finite numbers) become NaN in the arrays. Any 4xx/5xx raises
`ApiError(status, detail)` whose message is the API's own; a 503 (the server's compute queue is
full) is first retried after its Retry-After, `busy_retries` times. A stream that ends without its
`done` line raises `TruncatedStream`.

Requires httpx. To talk to an app in-process (tests, notebooks), pass an httpx client:
`Client(http=starlette.testclient.TestClient(app))`, or use `Client.for_app(app)`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import httpx
import numpy as np

from app.client_data import (
    RUN_ARRAYS,
    ApiError,
    Grid,
    Run,
    RunResult,
    StreamError,
    TruncatedStream,
    _floats,
    _point,
    chunk_arrays,
    format_detail,
    noise_spec,
    optimizer_specs,
    run_body,
    surface_ref,
)

__all__ = ["ApiError", "Client", "Grid", "Run", "RunResult", "StreamError", "TruncatedStream", "chunk_arrays",
           "format_detail", "noise_spec", "optimizer_specs", "run_body", "surface_ref"]


# ---- the client ------------------------------------------------------------------------

class Client:
    """Client(base_url="http://127.0.0.1:8000", timeout=60.0, http=None).

    `http` may be any `httpx.Client` (its own base_url is then used), e.g. a starlette
    `TestClient(app)` to call the app in-process. Use as a context manager or call `close()`.
    """

    def __init__(self, base_url: str = "http://127.0.0.1:8000", timeout: float = 60.0,
                 http: httpx.Client | None = None, busy_retries: int = 3) -> None:
        self._owns = http is None
        self.busy_retries = busy_retries
        self.http = http if http is not None else httpx.Client(base_url=base_url, timeout=timeout)

    @classmethod
    def for_app(cls, app) -> Client:
        """A client calling an ASGI app in-process (no server, no network)."""
        import warnings

        with warnings.catch_warnings():  # newer starlette prefers httpx2 for its test client; httpx works
            warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
            from starlette.testclient import TestClient

        return cls(http=TestClient(app))

    def close(self) -> None:
        if self._owns:
            self.http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ---- transport ----
    @staticmethod
    def _raise_for(response: httpx.Response) -> None:
        if response.status_code < 400:
            return
        try:
            detail = response.json().get("detail", response.text)
        except (ValueError, AttributeError):
            detail = response.text
        raise ApiError(response.status_code, detail)

    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """One request; a 503 is retried after its Retry-After (at most 30 s), `busy_retries` times."""
        import time

        for attempt in range(self.busy_retries + 1):
            response = self.http.request(method, path, **kwargs)
            if response.status_code != 503 or attempt == self.busy_retries:
                return response
            retry = response.headers.get("retry-after", "1")
            time.sleep(min(30.0, max(0.0, float(retry) if retry.isdigit() else 1.0)))
        raise AssertionError("unreachable")

    def get(self, path: str) -> Any:
        response = self._send("GET", path)
        self._raise_for(response)
        return response.json()

    def post(self, path: str, body: Mapping[str, Any]) -> Any:
        """POST any endpoint (e.g. `/api/basins`) and return the parsed JSON."""
        response = self._send("POST", path, json=dict(body))
        self._raise_for(response)
        return response.json()

    # ---- endpoints ----
    def health(self) -> dict[str, Any]:
        return self.get("/api/health")

    def surfaces(self) -> list[dict[str, Any]]:
        """Every surface: name, title, formula, params, domain, minima, saddles."""
        return self.get("/api/surfaces")["surfaces"]

    def optimizers(self) -> list[dict[str, Any]]:
        """Every optimizer: name, title, torch equivalent, LaTeX rule, params."""
        return self.get("/api/optimizers")["optimizers"]

    def schedules(self) -> list[dict[str, Any]]:
        return self.get("/api/optimizers")["schedules"]

    def point(self, surface, point) -> dict[str, Any]:
        """f, grad (2,), hessian (2, 2), eigenvalues (2,) ascending, eigenvectors (2, 2) (rows), curvature."""
        body = self.post("/api/point", {"surface": surface_ref(surface), "point": _point(point)})
        out = dict(body)
        for key in ("grad", "hessian", "eigenvalues", "eigenvectors"):
            out[key] = _floats(body[key])
        out["f"] = np.nan if body["f"] is None else float(body["f"])
        return out

    def grid(self, surface, n: int = 101, domain: Mapping[str, Sequence[float]] | None = None) -> Grid:
        body: dict[str, Any] = {"surface": surface_ref(surface), "n": int(n)}
        if domain is not None:
            body["domain"] = {axis: _point(domain[axis]) for axis in ("x", "y")}
        out = self.post("/api/grid", body)
        return Grid(_floats(out["x"]), _floats(out["y"]), _floats(out["z"]), out["zmin"], out["zmax"])

    def run(self, surface, optimizers, start=None, steps: int = 200, schedule=None, noise=None) -> RunResult:
        """Run 1–12 optimizers from one start (`start=None`: the surface's default start)."""
        return RunResult.from_json(self.post("/api/run", run_body(surface, optimizers, start, steps, schedule, noise)))

    def stream(self, surface, optimizers, start=None, steps: int = 200, schedule=None,
               noise=None) -> Iterator[dict[str, Any]]:
        """Yield the NDJSON lines of `/api/run/stream` as dicts (chunks with numpy arrays).

        Stopping the iteration early (break, or closing the generator) closes the connection,
        which stops the server's computation. An in-band error line raises `StreamError`; a
        stream that ends without its `done` line (cut off) raises `TruncatedStream`.
        """
        body = run_body(surface, optimizers, start, steps, schedule, noise)
        yield from self.stream_lines("/api/run/stream", body, chunk_arrays)

    def stream_lines(self, path: str, body: Mapping[str, Any], convert=lambda line: line) -> Iterator[dict[str, Any]]:
        """The NDJSON lines of any streaming endpoint, each passed through `convert`."""
        with self.http.stream("POST", path, json=dict(body)) as response:
            if response.status_code >= 400:
                response.read()
                self._raise_for(response)
            done = False
            try:
                for raw in response.iter_lines():
                    if not raw.strip():
                        continue
                    try:
                        line = json.loads(raw)
                    except ValueError:  # a line cut in the middle
                        break
                    if line.get("type") == "error":
                        raise StreamError(response.status_code, line.get("detail"))
                    done = done or line.get("type") == "done"
                    yield convert(line)
            except (httpx.RemoteProtocolError, httpx.ReadError) as exc:
                raise TruncatedStream(response.status_code, f"the stream was cut off: {exc}") from exc
            if not done:
                raise TruncatedStream(response.status_code,
                                      "the stream ended without its done line: the result is incomplete")

    def stream_run(self, surface, optimizers, start=None, steps: int = 200, schedule=None,
                   noise=None) -> RunResult:
        """Consume a whole stream and join its chunks: the same arrays `run` returns."""
        meta: dict[str, Any] = {}
        parts: dict[int, list[dict[str, Any]]] = {}
        final: list[dict[str, Any]] = []
        for line in self.stream(surface, optimizers, start, steps, schedule, noise):
            if line["type"] == "meta":
                meta = line
            elif line["type"] == "chunk":
                parts.setdefault(line["run"], []).append(line)
            elif line["type"] == "done":
                final = line["runs"]
        runs = []
        for i, (head, end) in enumerate(zip(meta.get("runs", []), final, strict=True)):
            chunks = parts.get(i, [])
            joined = [np.concatenate([c[key] for c in chunks]) if chunks else _floats([], 2 if key == "path" else None)
                      for key in RUN_ARRAYS]
            runs.append(Run(head["optimizer"], *joined, end["status"], int(end["steps_taken"])))
        return RunResult(runs, meta.get("surface", {}), _floats(meta.get("start")), int(meta.get("steps", 0)),
                         meta.get("schedule", {}), meta.get("theory", {}))

    def sweep(self, request: Mapping[str, Any], axes: Sequence[Mapping[str, Any]], seeds: int = 1,
              vary: Sequence[str] | None = None, target_loss: float | None = None, kind: str = "network",
              on_cell=None):
        """Run a sweep through `/api/sweep/stream` and return its table (app/sweep/table.py): one row
        per (cell, replicate) with the axis values, per-seed results and cell aggregates, as a pandas
        DataFrame when pandas is installed, else a list of dicts. `request` is a `/api/network/train`
        (kind "network") or `/api/run` (kind "run") body with one optimizer; `axes` are
        `{"path", "values"}` or `{"path", "range": {min, max, n, log}}`; `on_cell(cell, done, total)`
        is called as cells arrive (progress)."""
        from app.sweep.table import rows, table

        body: dict[str, Any] = {"base": {"kind": kind, "request": dict(request)}, "axes": [dict(a) for a in axes],
                                "seeds": {"count": int(seeds)}}
        if vary is not None:
            body["seeds"]["vary"] = list(vary)
        if target_loss is not None:
            body["target_loss"] = float(target_loss)
        meta: dict[str, Any] = {}
        cells: list[dict[str, Any]] = []
        finished = False
        with self.http.stream("POST", "/api/sweep/stream", json=body) as response:
            if response.status_code >= 400:
                response.read()
                self._raise_for(response)
            for raw in response.iter_lines():
                if not raw.strip():
                    continue
                line = json.loads(raw)
                if line["type"] == "meta":
                    meta = line
                elif line["type"] == "cell":
                    cells.append(line)
                    if on_cell is not None:
                        on_cell(line, len(cells), meta.get("cells", 0))
                elif line["type"] == "error":
                    raise StreamError(response.status_code, line.get("detail"))
                elif line["type"] == "done":
                    finished = True
        if not finished:
            raise StreamError(200, f"the sweep stream was cut off after {len(cells)} of {meta.get('cells')} cells")
        return table(rows(meta["axes"], cells))

