"""Load and fault run: `python bench/load.py [--clients 20] [--rounds 10] [--round-seconds 12] [--json FILE]`.

Starts uvicorn (one worker, as the Dockerfile runs it, MALLOC_ARENA_MAX=2) on 127.0.0.1, warms it
up, then runs `--rounds` rounds; each round runs `--clients` concurrent clients for
`--round-seconds` seconds, then a burst of concurrent streams (`--burst` run streams, half read to
the end and half abandoned, and a fifth as many network-training streams), then samples the
server's RSS: the report lists RSS per round (targets: under 300 MiB, and at most 10 % growth
from the end of the first round to the last). The clients loop over a weighted mix of
every endpoint in the OpenAPI schema: the catalogues, point, grids up to n = 501, runs up to
12 optimizers × 8000 steps, streams read to the end and streams abandoned after a few lines,
custom formulas, basins/phase/tune at their largest accepted sizes, every documented request
example, and deliberate faults (an unknown name → 422, a body over 1 MiB → 413). A 503 (the
server shedding load, with Retry-After) is counted as shed, not as an error. A separate
prober calls /api/health every 50 ms throughout. Reports errors (an exception or an unexpected
status; the target is 0), p50/p99 latency per endpoint, /api/health p99 overall and per 10 s
window (target < 100 ms), and the server's RSS (VmRSS from /proc) after warm-up, at its peak
and after the run (target: growth < 10 %). Bounded: ≤ 64 clients, ≤ 600 s, loopback only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.schemas.runs import DEFAULT_SCENE  # noqa: E402
from bench.bench_http import server  # noqa: E402

MAX_CLIENTS, MAX_DURATION = 64, 600
ALL_OPTIMIZERS = ["gd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw", "adadelta", "newton",
                  "gd", "adam", "momentum"]  # 12: the per-request maximum
SURFACES = ["quadratic", "saddle", "monkey_saddle", "rosenbrock", "himmelblau", "rastrigin", "beale",
            "six_hump_camel", "styblinski_tang"]


@dataclass
class Req:
    """One request kind: `make(rng)` gives (method, path, body); mode json | stream | abandon."""

    name: str
    weight: float
    make: Callable[[random.Random], tuple[str, str, object]]
    mode: str = "json"
    expect: tuple[int, ...] = (200,)


@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    health: list[tuple[float, float]] = field(default_factory=list)  # (t since start, latency)
    rss_kb: list[tuple[float, int]] = field(default_factory=list)
    shed: dict[str, int] = field(default_factory=lambda: defaultdict(int))  # 503 answers per kind


def fixed(method: str, path: str, body: object = None):
    return lambda rng: (method, path, body)


def mix(schema: dict, base_names: set[str], limits: dict) -> list[Req]:
    """The weighted request mix: explicit kinds plus every request example the schema documents."""
    scene = DEFAULT_SCENE
    reqs = [
        Req("GET /api/health", 4, fixed("GET", "/api/health")),
        Req("GET /api/surfaces", 2, fixed("GET", "/api/surfaces")),
        Req("GET /api/optimizers", 2, fixed("GET", "/api/optimizers")),
        Req("POST /api/point", 10, lambda r: ("POST", "/api/point", {
            "surface": {"name": r.choice(SURFACES)}, "point": [r.uniform(-3, 3), r.uniform(-3, 3)]})),
        Req("POST /api/grid n=101", 6, lambda r: ("POST", "/api/grid", {"surface": {"name": r.choice(SURFACES)}})),
        Req("POST /api/grid n=501 (max)", 2, lambda r: ("POST", "/api/grid", {
            "surface": {"name": r.choice(SURFACES)}, "n": 501})),
        Req("POST /api/run default scene", 8, fixed("POST", "/api/run", scene)),
        Req("POST /api/run custom formula", 3, lambda r: ("POST", "/api/run", {
            "surface": {"name": "custom", "expr": f"x**2 + {r.randint(1, 20)}*y**2 - 0.5*sin(3*x*y)"},
            "optimizers": [{"name": "adam", "lr": 0.1}], "start": [2.0, 1.5], "steps": 500})),
        Req("POST /api/run 12 opt × 8000", 0.5, fixed("POST", "/api/run", {
            "surface": {"name": "rosenbrock"}, "steps": 8000, "optimizers": [{"name": n} for n in ALL_OPTIMIZERS]})),
        Req("POST /api/run/stream (read all)", 4, fixed("POST", "/api/run/stream", scene), "stream"),
        Req("POST /api/run/stream 12 × 8000, abandoned", 5, fixed("POST", "/api/run/stream", {
            "surface": {"name": "himmelblau"}, "steps": 8000, "optimizers": [{"name": n} for n in ALL_OPTIMIZERS]}),
            "abandon"),
        Req("fault: unknown surface → 422", 1.5, fixed("POST", "/api/run", {
            "surface": {"name": "nope"}, "optimizers": [{"name": "gd"}]}), expect=(422,)),
        Req("fault: 1.1 MiB body → 413", 1, fixed("POST", "/api/grid", {
            "surface": {"name": "quadratic"}, "pad": "x" * (1_150_000)}), expect=(413,)),
    ]
    paths = schema.get("paths", {})
    work = limits.get("max_batch_work", 20_000_000)  # start-steps per batched request
    if "/api/basins" in paths:
        n = limits.get("max_basin_n", 301)
        reqs.append(Req(f"POST /api/basins {n}² × {work // n**2} (max)", 0.5, fixed("POST", "/api/basins", {
            "surface": {"name": "himmelblau"}, "optimizer": {"name": "gd", "lr": 0.01}, "n": n,
            "steps": work // n**2})))
    if "/api/phase" in paths:
        n = limits.get("max_phase_n", 101)
        reqs.append(Req(f"POST /api/phase {n}² × {work // n**2} (max)", 0.5, fixed("POST", "/api/phase", {
            "surface": {"name": "quadratic", "params": {"kappa": 10}}, "start": [-4.0, 2.0], "steps": work // n**2,
            "optimizer": {"name": "momentum"}, "axes": {"lr": {"min": 0.001, "max": 1.0, "n": n, "log": True},
                                                        "momentum": {"min": 0.0, "max": 0.95, "n": n}}})))
    # every documented request example of every operation (the endpoints this file does not know too)
    for path, ops in paths.items():
        for method, op in ops.items():
            name = f"{method.upper()} {path} (schema example)"
            if "{" in path:
                reqs += _path_param_kinds(path, method, base_names)
                continue
            examples = _examples(schema, op)
            if method == "get" and f"GET {path}" not in {r.name for r in reqs}:
                reqs.append(Req(f"GET {path}", 1, fixed("GET", path)))
            elif examples:
                mode = "stream" if path.endswith("/stream") else "json"
                reqs.append(Req(name, 2, lambda r, p=path, m=method, ex=examples: (m.upper(), p, r.choice(ex)), mode))
    return reqs


def _examples(schema: dict, op: dict) -> list:
    media = op.get("requestBody", {}).get("content", {}).get("application/json", {})
    found = list(media.get("examples", {}).values()) if isinstance(media.get("examples"), dict) else []
    found = [e.get("value", e) for e in found] + ([media["example"]] if "example" in media else [])
    ref = media.get("schema", {}).get("$ref", "")
    if ref.startswith("#/components/schemas/"):
        found += schema["components"]["schemas"][ref.rsplit("/", 1)[1]].get("examples", [])
    return found


def _path_param_kinds(path: str, method: str, values: set[str]) -> list[Req]:
    """GET /x/{slug}: one kind whose slug is drawn from the listing at /x (filled in by `discover`)."""
    parent = path.split("/{", 1)[0]
    choices = sorted(v.split("|", 1)[1] for v in values if v.startswith(parent + "|"))
    if not choices or method != "get":
        return []
    return [Req(f"GET {path}", 1, lambda r, c=choices, p=path: ("GET", p.split("{", 1)[0] + r.choice(c), None))]


def discover(base: str, schema: dict) -> set[str]:
    """'parent|value' pairs for path parameters, read from the parent listing (e.g. lesson slugs)."""
    out: set[str] = set()
    for path in schema.get("paths", {}):
        if "{" not in path:
            continue
        parent, param = path.split("/{", 1)[0], path.split("{", 1)[1].rstrip("}")
        try:
            listing = httpx.get(base + parent, timeout=10).json()
        except (httpx.HTTPError, ValueError):
            continue
        items = next((v for v in listing.values() if isinstance(v, list)), []) if isinstance(listing, dict) else listing
        out |= {f"{parent}|{item[param]}" for item in items if isinstance(item, dict) and param in item}
    return out


async def one(client: httpx.AsyncClient, req: Req, rng: random.Random, stats: Stats) -> None:
    method, path, body = req.make(rng)
    began = time.perf_counter()
    try:
        if req.mode == "json":
            response = await client.request(method, path, json=body)
            status, ok_body = response.status_code, response.content[:1] in (b"{", b"[")
        else:
            async with client.stream(method, path, json=body) as response:
                status, lines, keep = response.status_code, 0, rng.randint(2, 6)
                done = False
                async for line in response.aiter_lines():
                    lines += bool(line)
                    done = done or line.startswith('{"type":"done"')
                    if line.startswith('{"type":"error"'):
                        raise RuntimeError(f"in-band error line: {line[:200]}")
                    if req.mode == "abandon" and lines >= keep:
                        break  # leaving the block closes the connection midway
                ok_body = done or req.mode == "abandon" or status != 200
        if status == 503:
            stats.shed[req.name] += 1
        elif status not in req.expect or not ok_body:
            stats.errors[req.name].append(f"status {status}")
    except Exception as exc:  # noqa: BLE001 - every failure is a reported error, not a crash
        stats.errors[req.name].append(f"{type(exc).__name__}: {exc}"[:300])
    stats.latencies[req.name].append(time.perf_counter() - began)


async def client_loop(base: str, reqs: list[Req], seed: int, stop_at: float, stats: Stats) -> None:
    rng = random.Random(seed)
    weights = [r.weight for r in reqs]
    async with httpx.AsyncClient(base_url=base, timeout=180) as client:
        while time.monotonic() < stop_at:
            await one(client, rng.choices(reqs, weights)[0], rng, stats)


async def health_prober(base: str, t0: float, done: asyncio.Event, stats: Stats, period: float = 0.05) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        while not done.is_set():
            began = time.perf_counter()
            try:
                response = await client.get("/api/health")
                if response.status_code != 200 or response.json().get("status") != "ok":
                    stats.errors["health prober"].append(f"status {response.status_code}")
            except Exception as exc:  # noqa: BLE001
                stats.errors["health prober"].append(f"{type(exc).__name__}: {exc}"[:300])
            stats.health.append((time.monotonic() - t0, time.perf_counter() - began))
            await asyncio.sleep(max(0.0, period - (time.perf_counter() - began)))


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


async def rss_sampler(pid: int, t0: float, done: asyncio.Event, stats: Stats) -> None:
    while not done.is_set():
        stats.rss_kb.append((time.monotonic() - t0, rss_kb(pid)))
        await asyncio.sleep(1.0)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))] if ordered else float("nan")


def loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def burst_kinds() -> list[Req]:
    """The end-of-round burst: run streams read to the end or abandoned, and network streams."""
    run = {"surface": {"name": "himmelblau"}, "steps": 2000, "optimizers": [{"name": n} for n in ALL_OPTIMIZERS]}
    net = {"dataset": {"name": "moons", "n": 300}, "model": {"hidden": [16, 16]}, "steps": 300,
           "optimizers": [{"name": "adam", "lr": 0.01}, {"name": "momentum", "lr": 0.1, "momentum": 0.9}]}
    return [Req("burst: run stream (read all)", 1, fixed("POST", "/api/run/stream", run), "stream"),
            Req("burst: run stream (abandoned)", 1, fixed("POST", "/api/run/stream", run), "abandon"),
            Req("burst: network stream (read all)", 1, fixed("POST", "/api/network/train/stream", net), "stream")]


async def burst(base: str, size: int, seed: int, stats: Stats) -> None:
    read, abandon, net = burst_kinds()
    kinds = [read, abandon] * (size // 2) + [net] * max(1, size // 5)
    rng = random.Random(seed)
    async with httpx.AsyncClient(base_url=base, timeout=180,
                                 limits=httpx.Limits(max_connections=len(kinds) + 4)) as client:
        await asyncio.gather(*(one(client, kind, rng, stats) for kind in kinds))


async def run(clients: int, rounds: int, round_seconds: float, burst_size: int, seed: int, warmup: float,
              thread_limit: int = 0, switch_interval: float = 0.0) -> dict:
    duration = rounds * round_seconds
    with server(thread_limit=thread_limit, switch_interval=switch_interval) as (base, proc):
        schema = httpx.get(base + "/openapi.json", timeout=30).json()
        limits = httpx.get(base + "/api/health", timeout=30).json().get("limits", {})
        reqs = mix(schema, discover(base, schema), limits)
        stats, warm_stats = Stats(), Stats()
        async with httpx.AsyncClient(base_url=base, timeout=180) as warm:  # every kind twice, not measured
            for req in reqs * 2:
                await one(warm, req, random.Random(seed), warm_stats)
        rss_fresh = rss_kb(proc.pid)
        # then the same mix, concurrently, not measured: the allocator's per-thread arenas and the
        # threadpool reach their working size, so what is measured after it is growth, not start-up
        stop_warm = time.monotonic() + warmup
        await asyncio.gather(*(client_loop(base, reqs, 10_000 + seed + i, stop_warm, warm_stats)
                               for i in range(clients)))
        await asyncio.sleep(2.0)
        rss_start, load_before = rss_kb(proc.pid), loadavg()
        t0 = time.monotonic()
        done = asyncio.Event()  # the prober and the sampler run until the last in-flight request ends
        rounds_rss: list[int] = []

        async def rounds_then_done() -> None:
            for r in range(rounds):
                stop_at = time.monotonic() + round_seconds
                await asyncio.gather(*(client_loop(base, reqs, seed + 1000 * r + i, stop_at, stats)
                                       for i in range(clients)))
                await burst(base, burst_size, seed + r, stats)
                await asyncio.sleep(2.0)  # abandoned streams notice their disconnect
                rounds_rss.append(rss_kb(proc.pid))
                print(f"round {r + 1}/{rounds}: RSS {rounds_rss[-1] / 1024:.0f} MiB", file=sys.stderr)
            done.set()

        await asyncio.gather(health_prober(base, t0, done, stats), rss_sampler(proc.pid, t0, done, stats),
                             rounds_then_done())
        elapsed = time.monotonic() - t0
        await asyncio.sleep(2.0)  # let abandoned streams notice their disconnect
        after = httpx.get(base + "/api/health", timeout=10).json()
        rss_end = rss_kb(proc.pid)
    return {"clients": clients, "duration": duration, "elapsed": elapsed, "warmup": warmup,
            "thread_limit": thread_limit, "switch_interval": switch_interval, "rss_timeline": stats.rss_kb,
            "kinds": [r.name for r in reqs], "loadavg_before": load_before, "loadavg_after": loadavg(),
            "latencies": dict(stats.latencies), "errors": dict(stats.errors), "health": stats.health,
            "warmup_errors": dict(warm_stats.errors), "rss_fresh_kb": rss_fresh,
            "rss_start_kb": rss_start, "rss_peak_kb": max([k for _, k in stats.rss_kb] + [rss_end]),
            "rss_end_kb": rss_end, "active_streams_after": after.get("active_streams"),
            "rounds_rss_kb": rounds_rss, "round_seconds": round_seconds, "burst": burst_size,
            "shed": dict(stats.shed)}


def report(res: dict) -> str:
    total = sum(len(v) for v in res["latencies"].values())
    n_err = sum(len(v) for v in res["errors"].values())
    tuned = ""
    if res["thread_limit"] or res["switch_interval"]:
        tuned = f" [experiment: threadpool {res['thread_limit'] or 'default'}, switch interval " \
                f"{res['switch_interval'] or 0.005} s]"
    lines = [f"{res['clients']} clients × {res['duration']:.0f} s on 127.0.0.1 (uvicorn, one worker){tuned}, after a "
             f"{res['warmup']:.0f} s concurrent warm-up: {total:,} requests, {n_err} errors (the last in-flight "
             f"request ended at {res['elapsed']:.0f} s); load average {res['loadavg_before']} before, "
             f"{res['loadavg_after']} after", "",
             "| endpoint | requests | errors | p50 | p99 | max |", "|---|---:|---:|---:|---:|---:|"]
    for name in sorted(res["latencies"], key=lambda k: -len(res["latencies"][k])):
        lat = res["latencies"][name]
        lines.append(f"| {name} | {len(lat):,} | {len(res['errors'].get(name, []))} | {pct(lat, 50) * 1e3:,.1f} ms "
                     f"| {pct(lat, 99) * 1e3:,.0f} ms | {max(lat) * 1e3:,.0f} ms |")
    health = [h for _, h in res["health"]]
    windows = defaultdict(list)
    for t, h in res["health"]:
        windows[int(t // 10)].append(h)
    worst = max((pct(v, 99) for v in windows.values()), default=float("nan"))
    per_round = res["rounds_rss_kb"]
    growth = (per_round[-1] - per_round[0]) / per_round[0] if per_round else float("nan")
    steady = max(per_round, default=0) / 1024
    lines += ["", f"/api/health prober (every 50 ms, {len(health):,} probes): p50 {pct(health, 50) * 1e3:.1f} ms, "
              f"p99 {pct(health, 99) * 1e3:.1f} ms, worst 10 s-window p99 {worst * 1e3:.1f} ms, "
              f"max {max(health, default=float('nan')) * 1e3:.0f} ms",
              f"server RSS: {res['rss_fresh_kb'] / 1024:.0f} MiB after one request of each kind, "
              f"{res['rss_start_kb'] / 1024:.0f} MiB after the concurrent warm-up, "
              f"peak {res['rss_peak_kb'] / 1024:.0f} MiB, "
              f"{res['rss_end_kb'] / 1024:.0f} MiB after the run",
              f"RSS (MiB) at the end of each round ({res['round_seconds']:.0f} s of mixed load, then "
              f"{res['burst']} concurrent streams): " + " ".join(f"{k / 1024:.0f}" for k in per_round)
              + f"; growth from round 1 to round {len(per_round)}: {growth:+.1%}",
              "shed with 503 + Retry-After: " + (", ".join(f"{k}: {v}" for k, v in sorted(res["shed"].items()))
                                                 or "none"),
              "RSS (MiB) every 10 s: " + " ".join(f"{k / 1024:.0f}" for t, k in res["rss_timeline"][::10]),
              f"streams still computing 2 s after the run: {res['active_streams_after']}",
              f"targets: errors = 0 {'PASS' if n_err == 0 else 'FAIL'}; health p99 < 100 ms "
              f"{'PASS' if pct(health, 99) < 0.1 else 'FAIL'}; "
              f"RSS growth ≤ 10 % {'PASS' if growth <= 0.1 else 'FAIL'}; "
              f"RSS < 300 MiB {'PASS' if steady < 300 else 'FAIL'}"]
    for name, errs in res["warmup_errors"].items():
        lines.append(f"warm-up errors of {name}: {len(errs)}, e.g. {sorted(set(errs))[:3]}")
    for name, errs in res["errors"].items():
        lines.append(f"errors of {name}: {len(errs)}, e.g. {sorted(set(errs))[:3]}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=20, help=f"concurrent clients (1..{MAX_CLIENTS})")
    parser.add_argument("--rounds", type=int, default=10, help="rounds of load + stream burst (1..50)")
    parser.add_argument("--round-seconds", type=float, default=12.0, help="seconds of mixed load per round")
    parser.add_argument("--burst", type=int, default=50, help="concurrent run streams at the end of a round (≤ 100)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--warmup", type=float, default=20.0, help="seconds of unmeasured concurrent load first")
    parser.add_argument("--json", type=Path, help="also write the raw results here")
    parser.add_argument("--thread-limit", type=int, default=0,
                        help="experiment: cap the server's threadpool at N (0: the server as shipped)")
    parser.add_argument("--switch-interval", type=float, default=0.0,
                        help="experiment: the server's sys.setswitchinterval in seconds (0: Python's 5 ms)")
    args = parser.parse_args(argv)
    if not (1 <= args.clients <= MAX_CLIENTS and 1 <= args.rounds <= 50 and 0 <= args.burst <= 100
            and 1 <= args.rounds * args.round_seconds <= MAX_DURATION and 0 <= args.warmup <= MAX_DURATION):
        parser.error(f"--clients must be in 1..{MAX_CLIENTS}, --rounds 1..50, --burst ≤ 100, "
                     f"rounds × round-seconds and --warmup at most {MAX_DURATION}")
    os.environ.setdefault("MALLOC_ARENA_MAX", "2")  # as the Dockerfile and `losslab serve` run the server
    res = asyncio.run(run(args.clients, args.rounds, args.round_seconds, args.burst, args.seed, args.warmup,
                          args.thread_limit, args.switch_interval))
    print(report(res))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({k: v for k, v in res.items() if k != "health"}, default=str, indent=1))


if __name__ == "__main__":
    main()
