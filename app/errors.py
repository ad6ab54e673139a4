"""Error handling: engine ValueErrors become 422s naming the problem; nothing becomes a 500 silently."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.responses import Response

from app.responses import SafeJSONResponse

log = logging.getLogger("losslab")


class EngineInputError(ValueError):
    """Raised by routes for input the schema could not catch (e.g. a limit set in settings)."""

    def __init__(self, loc: list[str | int], message: str, kind: str = "value_error",
                 extra: dict | None = None) -> None:
        super().__init__(message)
        self.loc, self.message, self.kind, self.extra = loc, message, kind, extra or {}


class Busy(Exception):
    """The compute queue is full (app/compute.py): answered at once as 503 with Retry-After."""

    def __init__(self, retry_after: int, backlog: float) -> None:
        super().__init__(f"the server is busy: about {backlog:.0f} s of work is queued per worker; "
                         f"retry in {retry_after} s")
        self.retry_after = retry_after


def engine_call(work):
    """Run `work()`, turning an engine ValueError (bad input the schema let through) into a 422."""
    try:
        return work()
    except EngineInputError:
        raise
    except ValueError as exc:
        raise EngineInputError(["body"], str(exc)) from exc


def unprocessable(loc: list[str | int], message: str, kind: str = "value_error",
                  extra: dict | None = None) -> JSONResponse:
    error = {"loc": loc, "msg": message, "type": kind, **(extra or {})}
    return SafeJSONResponse({"detail": [error]}, status_code=422)


# Prebuilt bytes: answering a failure must not be able to fail itself.
INTERNAL_ERROR = b'{"detail":"internal server error"}'
INVALID_INPUT = b'{"detail":[{"loc":["body"],"msg":"invalid input","type":"value_error"}]}'


def internal_error() -> Response:
    return Response(INTERNAL_ERROR, status_code=500, media_type="application/json")


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(EngineInputError)
    async def _engine_input(_: Request, exc: EngineInputError) -> Response:
        try:
            return unprocessable(exc.loc, exc.message, exc.kind, exc.extra)
        except Exception:  # noqa: BLE001 - the answer must never fail
            return Response(INVALID_INPUT, status_code=422, media_type="application/json")

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> Response:
        # FastAPI's usual body, but with ctx stripped of exception objects (not JSON).
        try:
            errors = [{k: v for k, v in err.items() if k in ("loc", "msg", "type", "input")}
                      for err in exc.errors()]
            return SafeJSONResponse({"detail": _jsonable(errors)}, status_code=422)
        except Exception:  # noqa: BLE001 - e.g. an echoed input too deep to copy
            log.exception("could not render a validation error")
            return Response(INVALID_INPUT, status_code=422, media_type="application/json")

    @app.exception_handler(Busy)
    async def _busy(_: Request, exc: Busy) -> Response:
        return SafeJSONResponse({"detail": str(exc), "retry_after": exc.retry_after}, status_code=503,
                                headers={"Retry-After": str(exc.retry_after)})

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        # Starlette's ServerErrorMiddleware calls this for anything unhandled (then re-raises it
        # for the server's log); the body is fixed bytes, so this cannot fail.
        try:
            log.error("unhandled %s on %s %s", type(exc).__name__, request.method, request.url.path, exc_info=exc)
        except Exception:  # noqa: BLE001, S110
            pass
        return internal_error()


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return repr(value)
