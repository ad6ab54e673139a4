"""A stream that ends without its `done` line was cut off: the Python client says so (TruncatedStream)
and the manual tells every client to treat it that way; a 503 is retried after its Retry-After."""

from __future__ import annotations

import json

import httpx
import pytest

from app.client import Client, StreamError, TruncatedStream

META = {"type": "meta", "surface": {"name": "quadratic"}, "start": [1.0, 1.0], "steps": 2, "schedule": {},
        "runs": [{"optimizer": {"name": "gd"}}], "theory": {}}
CHUNK = {"type": "chunk", "run": 0, "offset": 0, "path": [[1.0, 1.0]], "loss": [1.0], "grad_norm": [1.0], "lr": []}
DONE = {"type": "done", "runs": [{"status": "max_steps", "steps_taken": 0}]}


def client_for(body: bytes, status: int = 200, calls: list | None = None) -> Client:
    def handler(request: httpx.Request) -> httpx.Response:
        if calls is not None:
            calls.append(request.url.path)
            if len(calls) == 1:
                return httpx.Response(503, headers={"retry-after": "0"}, json={"detail": "busy"})
        return httpx.Response(status, content=body, headers={"content-type": "application/x-ndjson"})

    return Client(http=httpx.Client(transport=httpx.MockTransport(handler), base_url="http://losslab"))


def lines(*objs) -> bytes:
    return b"".join(json.dumps(o).encode() + b"\n" for o in objs)


def test_a_complete_stream_joins():
    result = client_for(lines(META, CHUNK, DONE)).stream_run("quadratic", "gd", steps=2)
    assert result.statuses == ["max_steps"]


@pytest.mark.parametrize("body", [lines(META, CHUNK), lines(META) + b'{"type": "chunk", "run": 0, "pa'],
                         ids=["no done line", "cut mid-line"])
def test_a_stream_without_its_done_line_is_truncated(body):
    with pytest.raises(TruncatedStream, match="done line|cut off"):
        client_for(body).stream_run("quadratic", "gd", steps=2)


def test_an_error_line_is_a_stream_error_not_a_truncation():
    with pytest.raises(StreamError) as info:
        client_for(lines(META, {"type": "error", "detail": "boom"})).stream_run("quadratic", "gd")
    assert not isinstance(info.value, TruncatedStream) and "boom" in str(info.value)


def test_a_busy_answer_is_retried():
    calls: list = []
    api = client_for(json.dumps({"status": "ok"}).encode(), calls=calls)
    assert api.health() == {"status": "ok"}
    assert calls == ["/api/health", "/api/health"]


def test_the_manual_says_a_missing_done_line_is_a_truncation(client):
    spec = client.get("/openapi.json").json()
    for path in ("/api/run/stream", "/api/network/train/stream"):
        text = spec["paths"][path]["post"]["responses"]["200"]["description"]
        assert "without a done or error line was cut off" in text, path
        assert "503" in spec["paths"][path]["post"]["responses"]
    assert "Retry-After" in spec["info"]["description"] and "cut off" in spec["info"]["description"]
