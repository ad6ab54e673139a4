"""Request limits built from the serving app's Settings: one declaration drives the 422, OpenAPI
and GET /api/limits.

A schema field bounded by a setting is annotated with `AtMost("max_steps")` (a number) or
`AtMostItems("max_optimizers")` (a list). Validation reads the limit of the app handling the
request (a context variable that `LimitsContext` sets per request; outside a request, e.g. a model
built in a test, the process settings), and `apply_to_openapi` writes the same numbers into the
OpenAPI schema as `maximum` / `maxItems` when the app builds it. So `LOSSLAB_MAX_STEPS=100`
changes the 422, /openapi.json and /api/limits together.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

from pydantic import AfterValidator, Field
from pydantic_core import PydanticCustomError

from app.settings import LIMIT_FIELDS, Limits, get_settings

_current: ContextVar[Limits | None] = ContextVar("losslab_limits", default=None)
MARK_VALUE, MARK_ITEMS = "x-limit", "x-limit-items"


def current_limits() -> Limits:
    limits = _current.get()
    return limits if limits is not None else get_settings().limits


def _check_value(name: str, offset: int = 0):
    def check(value):
        limit = getattr(current_limits(), name) + offset
        if value is not None and value > limit:
            setting = f"LOSSLAB_{name.upper()}" + (f" {offset:+d}" if offset else "")
            raise PydanticCustomError("less_than_equal", "Input should be less than or equal to {limit} "
                                      "(the limit {setting})", {"value": value, "limit": limit, "setting": setting})
        return value
    return check


def _check_items(name: str):
    def check(items):
        limit = getattr(current_limits(), name)
        if items is not None and len(items) > limit:
            raise PydanticCustomError("too_long", "List should have at most {limit} items, not {count} "
                                      "(the limit {setting})",
                                      {"count": len(items), "limit": limit, "setting": f"LOSSLAB_{name.upper()}"})
        return items
    return check


def AtMost(name: str, offset: int = 0) -> tuple[Any, ...]:  # noqa: N802 - reads like a type in Annotated[...]
    """Annotated metadata: value ≤ the setting `name` + `offset` (and `maximum` in OpenAPI); e.g. an
    index into the optimizers is `AtMost("max_optimizers", -1)`."""
    assert name in LIMIT_FIELDS, name
    mark = f"{name}{offset:+d}" if offset else name
    return Field(json_schema_extra={MARK_VALUE: mark}), AfterValidator(_check_value(name, offset))


def AtMostItems(name: str) -> tuple[Any, ...]:  # noqa: N802
    """Annotated metadata: at most `name` items (and `maxItems` in OpenAPI)."""
    assert name in LIMIT_FIELDS, name
    return Field(json_schema_extra={MARK_ITEMS: name}), AfterValidator(_check_items(name))


def apply_to_openapi(node: Any, limits: Limits) -> None:
    """Replace the limit markers in an OpenAPI document by the numbers (in place)."""
    if isinstance(node, dict):
        mark = node.pop(MARK_VALUE, None)
        if mark is not None:  # "name" or "name-1"
            name, sign, offset = mark.partition("-") if "-" in mark else mark.partition("+")
            _set(node, "maximum", getattr(limits, name) + (int(sign + offset) if offset else 0))
        name = node.pop(MARK_ITEMS, None)
        if name is not None:
            _set(node, "maxItems", getattr(limits, name))
        for value in node.values():
            apply_to_openapi(value, limits)
    elif isinstance(node, list):
        for value in node:
            apply_to_openapi(value, limits)


def _set(node: dict, key: str, value: int) -> None:
    # an Optional field is {"anyOf": [{...}, {"type": "null"}]}: the bound goes on the non-null member
    targets = [m for m in node.get("anyOf", []) if m.get("type") != "null"] or [node]
    for target in targets:
        target[key] = value


class LimitsContext:
    """ASGI middleware: requests to this app validate against this app's limits."""

    def __init__(self, app, limits: Limits) -> None:
        self.app, self.limits = app, limits

    async def __call__(self, scope, receive, send) -> None:
        token = _current.set(self.limits)
        try:
            await self.app(scope, receive, send)
        finally:
            _current.reset(token)


def install(app, limits: Limits) -> None:
    """Per-request limits and the OpenAPI schema's bounds for `app`."""
    app.add_middleware(LimitsContext, limits=limits)
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            apply_to_openapi(build(), limits)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
