"""Response compression and immutable static assets (issue 20: first load).

- `CompressionMiddleware`: gzip for GET answers (the page, scripts, styles, catalogues) when the client
  accepts it. A POST answer (a run, a scene's grid: computed per request, latency-bound) is compressed at
  level 1, in a worker thread, only when it goes over a network and is large: a default scene is 348 kB,
  170 kB gzipped, for ~5 ms of CPU, which a classroom's shared Wi-Fi repays many times over, while on the
  loopback (a teacher's own laptop, the page's latency benchmark) the bytes cost nothing and the 5 ms would
  be added to every κ step. NDJSON streams are never compressed: each line must leave at once. Responses marked
  `Cache-Control: ... immutable` (versioned static files, the vendored Plotly bundle) are compressed
  once, at level 9, and kept in memory: thirty laptops loading the page cost one compression of the
  4.8 MB Plotly bundle, not thirty.
- `ImmutableStaticFiles`: StaticFiles under a versioned URL (/static/<ASSET_VERSION>/...), answered
  with a year-long immutable Cache-Control. The version is a hash of the static tree's contents, so
  any edit gives new URLs; ES modules import each other by relative paths, so one versioned entry
  point versions the whole module graph.
"""

from __future__ import annotations

import gzip
import hashlib
import ipaddress
from functools import lru_cache
from pathlib import Path

import anyio.to_thread
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import Headers, MutableHeaders
from starlette.middleware.gzip import DEFAULT_EXCLUDED_CONTENT_TYPES, GZipMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

STATIC = Path(__file__).resolve().parent.parent / "static"
IMMUTABLE = "public, max-age=31536000, immutable"
MAX_CACHED_BYTES = 64 * 1024 * 1024  # bound on the compressed-asset cache
POST_MIN_BYTES = 32 * 1024  # smaller answers cross a LAN in about a round trip: not worth the CPU
POST_LEVEL = 1  # ~2x on JSON floats at ~1.5 ms per 100 kB; level 6 saves 8% more for 5x the time


def on_loopback(scope: Scope) -> bool:
    """Whether the request came from this machine (a bare name such as TestClient's counts as remote)."""
    client = scope.get("client")
    try:
        return client is not None and ipaddress.ip_address(client[0]).is_loopback
    except ValueError:
        return False


@lru_cache
def asset_version() -> str:
    """12 hex digits of a hash over every static file's path and bytes (computed once per process)."""
    h = hashlib.sha256()
    for p in sorted(STATIC.rglob("*")):
        if p.is_file():
            h.update(p.relative_to(STATIC).as_posix().encode())
            h.update(p.read_bytes())
    return h.hexdigest()[:12]


class ImmutableStaticFiles(StaticFiles):
    """StaticFiles whose successful answers may be cached forever (the URL carries the content version)."""

    def file_response(self, *args, **kwargs):  # noqa: ANN002, ANN003 — StaticFiles' own signature
        response = super().file_response(*args, **kwargs)
        if response.status_code == 200:
            response.headers["cache-control"] = IMMUTABLE
        return response


class CompressionMiddleware:
    def __init__(self, app: ASGIApp, minimum_size: int = 1000, level: int = 6) -> None:
        self.app = app
        self.gzip = GZipMiddleware(app, minimum_size=minimum_size, compresslevel=level,
                                   exclude_content_types=(*DEFAULT_EXCLUDED_CONTENT_TYPES, "application/x-ndjson"))
        self.cache: dict[str, tuple[list[tuple[bytes, bytes]], bytes]] = {}
        self.cached_bytes = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or "gzip" not in Headers(scope=scope).get("accept-encoding", ""):
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        if scope["method"] != "GET":
            if on_loopback(scope):
                await self.app(scope, receive, send)
            else:
                await self._post(scope, receive, send)
            return
        if not path.startswith((f"/static/{asset_version()}/", "/vendor/")):
            await self.gzip(scope, receive, send)
            return
        key = path + "?" + scope.get("query_string", b"").decode("latin-1")
        hit = self.cache.get(key)
        if hit is None:
            hit = await self._fetch(key, scope, receive, send)
            if hit is None:  # not immutable: already sent as it was
                return
        headers, body = hit
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def _post(self, scope: Scope, receive: Receive, send: Send) -> None:
        """A computed answer to a remote client: a large JSON 200 leaves gzipped, anything else as it came."""
        def whole(h: Headers) -> bool:  # streams (NDJSON) and errors go out untouched, as they come
            return "content-encoding" not in h and h.get("content-type", "").startswith("application/json")

        held = await self._hold(scope, receive, send, whole)
        if held is None:
            return
        headers, body = held
        if len(body) >= POST_MIN_BYTES:
            headers, body = await _gzipped(headers, body, POST_LEVEL)
        else:
            headers.add_vary_header("Accept-Encoding")
        await send({"type": "http.response.start", "status": 200, "headers": headers.raw})
        await send({"type": "http.response.body", "body": body})

    async def _fetch(self, key: str, scope: Scope, receive: Receive, send: Send):
        """Run the app; an immutable 200 is compressed whole and cached, anything else is sent as it came."""
        def immutable(h: Headers) -> bool:
            return "immutable" in h.get("cache-control", "") and "content-encoding" not in h

        held = await self._hold(scope, receive, send, immutable)
        if held is None:
            return None
        headers, packed = await _gzipped(*held, 9)
        hit = (headers.raw, packed)
        if self.cached_bytes + len(packed) <= MAX_CACHED_BYTES:
            self.cache[key] = hit
            self.cached_bytes += len(packed)
        return hit

    async def _hold(self, scope: Scope, receive: Receive, send: Send, wanted) -> tuple[MutableHeaders, bytes] | None:
        """Run the app. A 200 whose headers are `wanted` is held back whole and returned (headers, body);
        any other answer is forwarded message by message as it comes, and None returned."""
        start: Message = {}
        chunks: list[bytes] = []
        forward = False

        async def capture(message: Message) -> None:
            nonlocal start, forward
            if message["type"] == "http.response.start":
                forward = message["status"] != 200 or not wanted(Headers(raw=message.get("headers", [])))
                if forward:
                    await send(message)
                else:
                    start = message
            elif forward:
                await send(message)
            else:
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, capture)
        if forward or not start:
            return None
        return MutableHeaders(raw=list(start.get("headers", []))), b"".join(chunks)


async def _gzipped(headers: MutableHeaders, body: bytes, level: int) -> tuple[MutableHeaders, bytes]:
    """The body gzipped in a worker thread (it releases the GIL), with its headers updated."""
    packed = await anyio.to_thread.run_sync(lambda: gzip.compress(body, compresslevel=level, mtime=0))
    headers["content-encoding"] = "gzip"
    headers["content-length"] = str(len(packed))
    headers.add_vary_header("Accept-Encoding")
    return headers, packed
