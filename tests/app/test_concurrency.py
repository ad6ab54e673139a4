"""A live uvicorn server: the event loop stays free while a maximum-size run computes, and a
client that leaves a stream stops its computation. Orders of events are asserted, never durations."""

from __future__ import annotations

import asyncio
import time

import httpx
from api_helpers import MAX_RUN, strict_json


def test_health_completes_before_a_concurrent_maximum_run(live_server):
    """12 optimizers × 10000 steps compute in the threadpool; /api/health, sent after the run, is
    answered before it. Several health calls are spread over the run's lifetime so that at least
    some of them are surely sent while it computes."""
    completed: list[str] = []

    async def scenario() -> None:
        async with httpx.AsyncClient(base_url=live_server, timeout=120) as big, \
                httpx.AsyncClient(base_url=live_server, timeout=120) as small:

            async def run_big() -> None:
                response = await big.post("/api/run", json=MAX_RUN)
                assert response.status_code == 200
                body = strict_json(response.content)
                assert [r["steps_taken"] for r in body["runs"]] == [MAX_RUN["steps"]] * 12
                completed.append("run")

            async def poll_health() -> None:
                for i in range(5):
                    await asyncio.sleep(0.1)  # spacing only: nothing asserts on time
                    response = await small.get("/api/health")
                    assert response.status_code == 200 and response.json()["status"] == "ok"
                    completed.append(f"health{i}")

            await asyncio.gather(run_big(), poll_health())

    asyncio.run(scenario())
    assert completed[-1] == "run", completed
    assert completed == [f"health{i}" for i in range(5)] + ["run"]


def test_disconnect_stops_the_stream_computation(live_server):
    """Read the first lines of a maximum-size stream, close the connection, then poll /api/health:
    active_streams returns to 0 within a bounded number of short polls, far fewer than the full
    stream would need (it takes several seconds to compute; 20 polls of 50 ms cover about one)."""
    with httpx.Client(base_url=live_server, timeout=60) as watcher:
        assert watcher.get("/api/health").json()["active_streams"] == 0
        with httpx.Client(base_url=live_server, timeout=60) as streamer:
            with streamer.stream("POST", "/api/run/stream", json=MAX_RUN) as response:
                assert response.status_code == 200
                assert response.headers["content-type"].startswith("application/x-ndjson")
                lines = response.iter_lines()
                meta = strict_json(next(lines))
                assert meta["type"] == "meta" and len(meta["runs"]) == 12
                first_chunk = strict_json(next(lines))
                assert first_chunk["type"] == "chunk" and first_chunk["offset"] == 0
                assert watcher.get("/api/health").json()["active_streams"] == 1
            # leaving both blocks closes the socket mid-stream
        polls = []
        for _ in range(20):
            active = watcher.get("/api/health").json()["active_streams"]
            polls.append(active)
            if active == 0:
                break
            time.sleep(0.05)
        assert polls[-1] == 0, f"the stream kept computing after the client left: {polls}"
