"""Error handling: engine ValueErrors become 422s naming the problem; nothing becomes a 500 silently."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from app.responses import SafeJSONResponse

log = logging.getLogger("losslab")


class EngineInputError(ValueError):
    """Raised by routes for input the schema could not catch (e.g. a limit set in settings)."""

    def __init__(self, loc: list[str | int], message: str) -> None:
        super().__init__(message)
        self.loc, self.message = loc, message


def engine_call(work):
    """Run `work()`, turning an engine ValueError (bad input the schema let through) into a 422."""
    try:
        return work()
    except EngineInputError:
        raise
    except ValueError as exc:
        raise EngineInputError(["body"], str(exc)) from exc


def unprocessable(loc: list[str | int], message: str) -> JSONResponse:
    return SafeJSONResponse({"detail": [{"loc": loc, "msg": message, "type": "value_error"}]}, status_code=422)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(EngineInputError)
    async def _engine_input(_: Request, exc: EngineInputError) -> JSONResponse:
        return unprocessable(exc.loc, exc.message)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        # FastAPI's usual body, but with ctx stripped of exception objects (not JSON).
        errors = [{k: v for k, v in err.items() if k in ("loc", "msg", "type", "input")} for err in exc.errors()]
        return SafeJSONResponse({"detail": _jsonable(errors)}, status_code=422)


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return repr(value)
