"""Long schema fuzz: `python bench/fuzz_long.py [--requests 10000] [--seed 0] [--max-minutes 90]`.

Generates requests for every operation of the OpenAPI schema with schemathesis (valid and
invalid bodies, half and half); half the bodies are then made hostile (`hostile`): a lone UTF-16
surrogate in a string, parameter-name collisions (dataset params n/seed/name, a surface param
`self`), huge or tiny numbers (1e308, 2**64, 10**30, 5e-324). Sends them to the ASGI app
in-process (no network), and counts
- server errors: a 5xx answer or an exception escaping the app (target: 0);
- contract breaks: a JSON body (or NDJSON line) holding NaN/Infinity, or that is not JSON, or a
  response without the security headers (CSP, nosniff, X-Frame-Options, Referrer-Policy).
Rounds with fresh seeds repeat until `--requests` requests were sent (operations with a small
input space, such as GET /api/health, stop early within a round), bounded by `--max-minutes`.
The short version of this run is in the test suite; this one is for the README's figure.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import time
import warnings
import zlib
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import schemathesis
    from hypothesis import HealthCheck, Phase, given, seed, settings
    from hypothesis.errors import Unsatisfiable
    from schemathesis import GenerationMode

from app.main import app  # noqa: E402


def _reject_constant(name: str):
    raise ValueError(f"{name} in a JSON body")


def contract_break(response) -> str | None:
    """None if the body is JSON (or NDJSON) without NaN/Infinity, else what is wrong."""
    ctype = response.headers.get("content-type", "")
    texts = response.text.splitlines() if "ndjson" in ctype else [response.text]
    if "json" not in ctype:
        return None  # the page and static files are not JSON
    for text in texts:
        if not text.strip():
            continue
        try:
            json.loads(text, parse_constant=_reject_constant)
        except ValueError as exc:
            return f"{exc}"[:200]
    return None


SECURITY_HEADERS = ("content-security-policy", "x-content-type-options", "x-frame-options", "referrer-policy")
HUGE = [1e308, -1e308, 2**64, -(2**63) - 1, 10**30, 5e-324, -0.0, 1e-300]
SURROGATES = ["\ud800", "x\udfff", "\udbff\udbff", "a\ud83d"]  # lone halves (a valid pair is not hostile)
COLLISIONS = [("dataset", "params", {"n": 5, "seed": 1, "name": "moons"}), ("surface", "params", {"self": 1.0}),
              ("surface", "params", {"name": "x", "expr": "x"}), ("model", "params", {"hidden": 3})]


def _paths(value, prefix=()):
    """Every (path, leaf) of a JSON value."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _paths(item, (*prefix, i))
    yield prefix, value


def _set(body, path, new) -> None:
    target = body
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = new


def hostile(body, rng: random.Random):
    """The body with one hostile change (in place where possible), or the body unchanged."""
    if not isinstance(body, dict):
        return body
    kind = rng.choice(["surrogate", "collision", "huge", "label"])
    leaves = [(p, v) for p, v in _paths(body) if p]
    if kind == "surrogate":
        strings = [p for p, v in leaves if isinstance(v, str)]
        if strings:
            _set(body, rng.choice(strings), rng.choice(SURROGATES))
            return body
        kind = "label"
    if kind == "label":
        body[rng.choice(["label", "name", "expr"])] = rng.choice(SURROGATES)
    elif kind == "collision":
        top, key, params = rng.choice(COLLISIONS)
        if isinstance(body.get(top), dict):
            body[top][key] = dict(params)
        else:
            body[top] = {"name": "moons" if top == "dataset" else "quadratic", key: dict(params)}
    else:
        numbers = [p for p, v in leaves if isinstance(v, (int, float)) and not isinstance(v, bool)]
        if numbers:
            _set(body, rng.choice(numbers), rng.choice(HUGE))
    return body


def fuzz_operation(operation, mode, examples: int, round_seed: int, tally: dict) -> None:
    rng = random.Random(round_seed * 7919 + zlib.crc32(operation.path.encode()))
    @seed(round_seed)
    @settings(max_examples=examples, deadline=None, database=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case) -> None:
        key = f"{operation.method.upper()} {operation.path}"
        tally["requests"][key] += 1
        if rng.random() < 0.5 and isinstance(case.body, dict):
            case.body = hostile(case.body, rng)
            tally["hostile"] += 1
        try:
            response = case.call()
        except Exception as exc:  # noqa: BLE001 - an exception escaping the app is a server error
            tally["server_errors"].append(f"{key}: {type(exc).__name__}: {exc}"[:300])
            return
        tally["status"][f"{key} {response.status_code}"] += 1
        if response.status_code >= 500:
            tally["server_errors"].append(f"{key} {response.status_code}: {case.as_curl_command()[:300]}")
        missing = [h for h in SECURITY_HEADERS if h not in response.headers]
        if missing:
            tally["contract"].append(f"{key} {response.status_code}: no {', '.join(missing)} header")
        problem = contract_break(response)
        if problem:
            tally["contract"].append(f"{key}: {problem}")

    try:
        run()
    except Unsatisfiable:  # e.g. no invalid request exists for a GET without parameters
        tally["unsatisfiable"].add(f"{operation.method.upper()} {operation.path} ({mode.value})")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=10_000, help="at least this many (≤ 200 000)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--max-minutes", type=float, default=90.0)
    args = parser.parse_args(argv)
    if not 1 <= args.requests <= 200_000:
        parser.error("--requests must be in 1..200000")
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    per_op = math.ceil(args.requests / len(operations) / 2)  # per operation and mode, in the first round
    tally = {"requests": Counter(), "status": Counter(), "server_errors": [], "contract": [],
             "unsatisfiable": set(), "hostile": 0}
    began = time.monotonic()
    deadline = began + 60 * args.max_minutes
    rounds = 0
    while sum(tally["requests"].values()) < args.requests and time.monotonic() < deadline:
        missing = args.requests - sum(tally["requests"].values())
        examples = per_op if rounds == 0 else max(10, math.ceil(missing / len(operations) / 2))
        for operation in operations:
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                if time.monotonic() < deadline:
                    fuzz_operation(operation, mode, examples, args.seed * 1000 + rounds, tally)
        rounds += 1
        print(f"round {rounds}: {sum(tally['requests'].values()):,} requests, "
              f"{time.monotonic() - began:.0f} s", file=sys.stderr)
    total = sum(tally["requests"].values())
    codes: dict[str, Counter] = defaultdict(Counter)
    for key, count in tally["status"].items():
        op, code = key.rsplit(" ", 1)
        codes[op][code] += count
    print(f"schemathesis {schemathesis.__version__ if hasattr(schemathesis, '__version__') else ''}: "
          f"{total:,} generated requests over {len(operations)} operations in {time.monotonic() - began:.0f} s "
          f"({rounds} rounds; {tally['hostile']:,} made hostile: surrogates, collisions, huge numbers); "
          f"server errors: {len(tally['server_errors'])}; "
          f"NaN/non-JSON bodies: {len(tally['contract'])}")
    print()
    print("| operation | requests | status codes |")
    print("|---|---:|---|")
    for op in sorted(tally["requests"]):
        spread = ", ".join(f"{code}: {n}" for code, n in sorted(codes[op].items()))
        print(f"| {op} | {tally['requests'][op]:,} | {spread} |")
    if tally["unsatisfiable"]:
        print(f"no cases could be generated for: {', '.join(sorted(tally['unsatisfiable']))}")
    for line in (tally["server_errors"] + tally["contract"])[:20]:
        print("  !", line)
    sys.exit(1 if tally["server_errors"] or tally["contract"] else 0)


if __name__ == "__main__":
    main()
