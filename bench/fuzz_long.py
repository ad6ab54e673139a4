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


_CLIENT = None


def _direct():
    """An in-process client for the hostile bodies (schemathesis would encode them as UTF-8 and fail)."""
    global _CLIENT
    if _CLIENT is None:
        from fastapi.testclient import TestClient

        _CLIENT = TestClient(app, raise_server_exceptions=False)
    return _CLIENT


def fuzz_operation(operation, mode, examples: int, round_seed: int, tally: dict) -> None:
    rng = random.Random(round_seed * 7919 + zlib.crc32(operation.path.encode()))
    @seed(round_seed)
    @settings(max_examples=examples, deadline=None, database=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case) -> None:
        key = f"{operation.method.upper()} {operation.path}"
        tally["requests"][key] += 1
        total = sum(tally["requests"].values())
        if total % 500 == 0:
            print(f"  {total:,} requests, {tally['hostile']:,} hostile, server errors {len(tally['server_errors'])}, "
                  f"contract breaks {len(tally['contract'])}", file=sys.stderr, flush=True)
        made_hostile = rng.random() < 0.5 and isinstance(case.body, dict)
        if made_hostile:
            case.body = hostile(case.body, rng)
            tally["hostile"] += 1
        try:
            if made_hostile:  # sent as ASCII JSON: a lone surrogate travels as its \u escape, as a client sends it
                response = _direct().request(operation.method.upper(), case.formatted_path,
                                             content=json.dumps(case.body).encode(),
                                             headers={"content-type": "application/json"})
            else:
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


ODD = [None, "", [], {}, True, -1, 0, "1e999", 1e9, [1e308, -1e308], {"name": "\ud800"}, "x" * 600]


def _examples(schema: dict, op: dict) -> list:
    media = op.get("requestBody", {}).get("content", {}).get("application/json", {})
    found = [media["example"]] if "example" in media else []
    found += [e.get("value", e) for e in (media.get("examples") or {}).values()]
    ref = media.get("schema", {}).get("$ref", "")
    if ref.startswith("#/components/schemas/"):
        found += schema["components"]["schemas"][ref.rsplit("/", 1)[1]].get("examples", [])
    return [e for e in found if isinstance(e, dict)]


def mutate(body: dict, rng: random.Random) -> dict:
    """1-3 random changes: a hostile one (`hostile`), an odd value at a random place, a dropped key
    or an unknown one."""
    for _ in range(rng.randint(1, 3)):
        leaves = [p for p, _ in _paths(body) if p]
        kind = rng.random()
        if kind < 0.5 or not leaves:
            body = hostile(body, rng)
        elif kind < 0.8:
            _set(body, rng.choice(leaves), rng.choice(ODD))
        elif kind < 0.9:
            path = rng.choice(leaves)
            target = body
            for key in path[:-1]:
                target = target[key]
            if isinstance(target, dict):
                target.pop(path[-1], None)
        else:
            body[rng.choice(["extra", "self", "__class__", "constructor"])] = rng.choice(ODD)
    return body


def mutational(requests: int, seed_value: int) -> int:
    """`--mutate`: documented examples of every POST operation, mutated (see `mutate`), sent in
    process; much faster than schema generation, so 10 000 requests take minutes."""
    import copy

    from fastapi.testclient import TestClient

    client = TestClient(app, raise_server_exceptions=False)
    schema = client.get("/openapi.json").json()
    ops = [(path, ex) for path, item in schema["paths"].items() if "post" in item
           for ex in _examples(schema, item["post"])]
    rng = random.Random(seed_value)
    tally: Counter = Counter()
    problems: list[str] = []
    began = time.monotonic()
    for i in range(requests):
        path, example = rng.choice(ops)
        body = mutate(copy.deepcopy(example), rng)
        text = json.dumps(body)  # ASCII with \u escapes: a lone surrogate reaches the server as sent
        response = client.post(path, content=text.encode(), headers={"content-type": "application/json"})
        tally[f"{path} {response.status_code}"] += 1
        if response.status_code >= 500:
            problems.append(f"{path} {response.status_code}: {text[:300]}")
        missing = [h for h in SECURITY_HEADERS if h not in response.headers]
        broken = contract_break(response)
        if missing or broken:
            problems.append(f"{path} {response.status_code}: {missing or broken}")
        if (i + 1) % 1000 == 0:
            print(f"  {i + 1:,} requests, {len(problems)} problems, {time.monotonic() - began:.0f} s",
                  file=sys.stderr, flush=True)
    fives = sum(n for k, n in tally.items() if k.rsplit(" ", 1)[1].startswith("5"))
    print(f"mutational fuzz: {requests:,} requests over {len({p for p, _ in ops})} POST operations "
          f"({len(ops)} documented examples, each mutated 1-3 times: surrogates, collisions, huge numbers, odd "
          f"values, dropped and unknown keys) in {time.monotonic() - began:.0f} s; 5xx: {fives}; "
          f"problems (5xx, missing security headers, NaN/non-JSON): {len(problems)}")
    print()
    print("| operation | status codes |")
    print("|---|---|")
    per_op: dict[str, Counter] = defaultdict(Counter)
    for key, n in tally.items():
        op, code = key.rsplit(" ", 1)
        per_op[op][code] += n
    for op in sorted(per_op):
        print(f"| POST {op} | {', '.join(f'{c}: {n}' for c, n in sorted(per_op[op].items()))} |")
    for line in problems[:20]:
        print("  !", line)
    return 1 if problems else 0


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=10_000, help="at least this many (≤ 200 000)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--max-minutes", type=float, default=90.0)
    parser.add_argument("--mutate", action="store_true",
                        help="mutate the documented examples instead of generating from the schema (fast)")
    args = parser.parse_args(argv)
    if not 1 <= args.requests <= 200_000:
        parser.error("--requests must be in 1..200000")
    if args.mutate:
        sys.exit(mutational(args.requests, args.seed))
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
