"""Pure ASGI middleware: request body limit (413 before parsing), text checks (a body that is not
UTF-8, or holds a lone surrogate: 422) and security headers (outermost, so that 413, 422 and 500
answers carry them too)."""

from __future__ import annotations

import json
import re
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.responses import SafeJSONResponse

# Plotly injects inline styles (so style-src needs 'unsafe-inline'); scripts and connections are self only.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
       "connect-src 'self'; font-src 'self' data:; object-src 'none'; base-uri 'self'; frame-ancestors 'none'")
# /docs (Swagger UI) and /redoc are served with their bundles from the installed fastapi-offline
# package (no CDN: the whole app works offline), but both pages start with an inline script, so
# they get a policy that admits inline scripts; they carry no user data.
DOCS_CSP = ("default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data:; worker-src 'self' blob:; connect-src 'self'; font-src 'self' data:; "
            "object-src 'none'; base-uri 'self'; frame-ancestors 'none'")
DOCS_PATHS = frozenset({"/docs", "/docs/oauth2-redirect", "/redoc"})
OTHER_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
]
SECURITY_HEADERS = [(b"content-security-policy", CSP.encode()), *OTHER_HEADERS]
DOCS_HEADERS = [(b"content-security-policy", DOCS_CSP.encode()), *OTHER_HEADERS]


class BodyLimitMiddleware:
    """Answer 413 for a body over `max_bytes`, by Content-Length or by counting a chunked body.

    The body is read here, in full (at most `max_bytes`), before the app sees the request:
    an oversized chunked body must be refused before parsing, and raising from inside the
    app's `receive` would be caught by FastAPI's body reader and turned into a 400. The
    buffered body is then replayed to the app as one message; later `receive` calls go to
    the server, so a streaming response still hears the client's disconnect.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope.get("headers", [])).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_bytes:
            await self._too_large(scope, receive, send)
            return
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client left before sending its body
                return
            body += message.get("body", b"")
            if len(body) > self.max_bytes:
                await self._too_large(scope, receive, send)
                return
            if not message.get("more_body", False):
                break
        data = bytes(body)
        if not _utf8(data):
            await self._not_utf8(scope, receive, send)
            return
        culprit = lone_surrogate(data)
        if culprit is not None:
            await self._surrogate(culprit, scope, receive, send)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": data, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    @staticmethod
    async def _not_utf8(scope: Scope, receive: Receive, send: Send) -> None:
        # FastAPI would answer 400 "There was an error parsing the body" (json.loads raises
        # UnicodeDecodeError, not JSONDecodeError); a body that is not JSON text is bad input like
        # any other: the documented 422, with the type FastAPI gives a body that is not JSON
        detail = [{"loc": ["body"], "msg": "the body is not JSON: it is not valid UTF-8 text", "type": "json_invalid"}]
        await SafeJSONResponse({"detail": detail}, status_code=422)(scope, receive, send)

    @staticmethod
    async def _surrogate(loc: list[str | int], scope: Scope, receive: Receive, send: Send) -> None:
        message = ("the text holds a lone UTF-16 surrogate (an escape such as \\ud800 without its pair), "
                   "which is not valid Unicode")
        detail = [{"loc": ["body", *loc], "msg": message, "type": "string_unicode"}]
        await SafeJSONResponse({"detail": detail}, status_code=422)(scope, receive, send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = SafeJSONResponse({"detail": f"request body exceeds {self.max_bytes} bytes"}, status_code=413)
        await response(scope, receive, send)


def _utf8(body: bytes) -> bool:
    if body.isascii():  # nearly every body: no decoding needed
        return True
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


# a JSON escape of a high or low surrogate; decoded strings are checked only when one occurs
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


def lone_surrogate(body: bytes) -> list[str | int] | None:
    """The path (keys and indices) to the first string holding a lone surrogate, else None.

    json.loads accepts "\\ud800" and makes a str that cannot be encoded as UTF-8: echoing it back
    (a label, a formula in a 422) would make the response fail. Bodies without such an escape
    (nearly all) are not parsed here; a body that is not JSON is left to the app's 422.
    """
    if not _SURROGATE_ESCAPE.search(body):
        return None
    try:
        value = json.loads(body)
    except (ValueError, RecursionError):
        return None
    return _find_surrogate(value, [])


def _bad_text(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _find_surrogate(value: Any, path: list[str | int]) -> list[str | int] | None:
    stack = [(value, path)]
    while stack:  # iterative: deep nesting cannot overflow the stack
        item, where = stack.pop()
        if isinstance(item, str):
            if _bad_text(item):
                return where
        elif isinstance(item, dict):
            for key, sub in item.items():
                if _bad_text(key):
                    return [*where, key.encode("utf-8", "backslashreplace").decode()]
                stack.append((sub, [*where, key]))
        elif isinstance(item, list):
            stack.extend((sub, [*where, i]) for i, sub in enumerate(item))
    return None


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        extra = DOCS_HEADERS if scope.get("path") in DOCS_PATHS else SECURITY_HEADERS

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                headers += [(k, v) for k, v in extra if k not in present]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)
