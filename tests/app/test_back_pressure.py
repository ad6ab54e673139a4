"""A live server under a burst: /api/health keeps answering while worst-case formulas compile and
while maximum-cost requests are queued; what does not fit in the queue is refused at once with
503 and Retry-After, never left to time out. Orders of events are asserted, never durations.

The server runs with a small budget (1 s per request, 1 s of queue per worker) so a burst of
near-maximum requests takes seconds, not minutes; the mechanism is the same at the defaults."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from api_helpers import strict_json

from tests.live_server import serving

ENV = {"LOSSLAB_MAX_REQUEST_SECONDS": "1", "LOSSLAB_MAX_QUEUE_SECONDS": "1", "LOSSLAB_WORKERS": "2"}


def nested(k: int) -> str:
    """11 nested arctans (a slow compile), made distinct by +k so no cache helps."""
    expr = "x"
    for i in range(11):
        expr = f"arctan({expr} + {i})"
    return f"{expr} + {k}"


@pytest.fixture(scope="module")
def small_budget_server():
    with serving(attempts=200, env=ENV) as base:
        yield base


async def burst(base: str, requests: list[tuple[str, dict]]) -> tuple[list[tuple[str, httpx.Response]], list[str]]:
    """Send every request at once and poll /api/health meanwhile; return the answers in the order
    they completed, and the order of completions ("req" / "health")."""
    answers: list[tuple[str, httpx.Response]] = []
    order: list[str] = []
    pending = len(requests)
    async with httpx.AsyncClient(base_url=base, timeout=120) as work, \
            httpx.AsyncClient(base_url=base, timeout=120) as small:

        async def send(path: str, body: dict) -> None:
            nonlocal pending
            response = await work.post(path, json=body)
            answers.append((path, response))
            order.append(f"req{response.status_code}")
            pending -= 1

        async def poll() -> None:
            while pending:
                await asyncio.sleep(0.05)  # spacing only: nothing asserts on time
                response = await small.get("/api/health")
                assert response.status_code == 200
                order.append("health")

        await asyncio.gather(poll(), *(send(p, b) for p, b in requests))
    return answers, order


def check_refusals(answers) -> None:
    statuses = [r.status_code for _, r in answers]
    assert set(statuses) <= {200, 503}, statuses
    for _, response in answers:
        if response.status_code == 503:
            retry = response.headers["retry-after"]
            assert retry.isdigit() and int(retry) >= 1
            assert "busy" in strict_json(response.text)["detail"]
            assert response.headers["x-content-type-options"] == "nosniff"


def test_health_answers_while_ten_distinct_worst_case_formulas_compile(small_budget_server):
    requests = [("/api/formula", {"expr": nested(k)}) for k in range(10)]
    answers, order = asyncio.run(burst(small_budget_server, requests))
    check_refusals(answers)
    assert any(r.status_code == 200 for _, r in answers)
    last_done = max(i for i, event in enumerate(order) if event == "req200")
    assert "health" in order[:last_done], order


def test_a_burst_of_maximum_cost_requests_is_queued_or_refused_at_once(small_budget_server):
    probe = {"surface": {"name": "quadratic"}, "start": [-4, 2], "steps": 20000,
             "optimizers": [{"name": "adamax", "lr": 0.01}] * 12}  # not a compiled pair: priced as it runs
    with httpx.Client(base_url=small_budget_server, timeout=60) as client:
        msg = strict_json(client.post("/api/run", json=probe).text)["detail"][0]["msg"]
    estimate = float(msg.split("take about ")[1].split(" s")[0])
    steps = int(20000 * 0.9 / max(estimate, 0.9))  # about 90 % of the budget
    requests = [("/api/run", {**probe, "steps": steps})] * 20
    answers, order = asyncio.run(burst(small_budget_server, requests))
    check_refusals(answers)
    statuses = [r.status_code for _, r in answers]
    assert 1 <= statuses.count(200) <= 6 and statuses.count(503) >= 14, statuses
    # refusals come at once: every 503 is answered before the last accepted request completes,
    # and health is answered while accepted work is still queued
    last_ok = max(i for i, event in enumerate(order) if event == "req200")
    assert max(i for i, event in enumerate(order) if event == "req503") < last_ok, order
    assert "health" in order[:last_ok], order
    with httpx.Client(base_url=small_budget_server, timeout=60) as client:  # the queue drained
        assert client.post("/api/run", json={**probe, "steps": steps}).status_code == 200
