"""Pydantic fields and models generated from the engine's `Param` tables (the one declaration).

Every surface, optimizer, schedule and dataset parameter is declared once, as an `engine.params.Param`
row: its default, closed (or half-open) range, kind and description. This module turns a row into
a pydantic field with exactly those bounds, and a table into a strict model, so validation,
OpenAPI and the catalogue endpoints (which publish `Param.describe()`) cannot disagree. Request
members are then put together as discriminated unions by `name` (app/schemas/common.py,
network.py): each member offers only its own parameters, with its own ranges.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, BeforeValidator, Discriminator, Field, Tag, ValidationError, WrapValidator, create_model
from pydantic_core import InitErrorDetails, PydanticCustomError

from engine.params import Param


def _integral(value: Any) -> Any:
    """An integral float as that integer: JSON does not tell 500 from 500.0, and JSON Schema's
    "integer" admits both; anything else goes on to strict validation (`true`, "5", 2.5: a 422)."""
    if type(value) is float and value.is_integer():
        return int(value)
    return value


INTEGRAL = BeforeValidator(_integral)
Int = Annotated[int, INTEGRAL]
"""Every integer of a request: an int, or a float with no fractional part (500.0 is 500). Bounds go in
the field's Field(...), or before INTEGRAL (`Annotated[int, Field(ge=1), INTEGRAL]`): after a
validator pydantic cannot write them as OpenAPI's minimum/maximum."""


def _bounds(p: Param) -> dict[str, Any]:
    cast = int if p.kind == "int" else float
    out: dict[str, Any] = {}
    if p.min is not None:
        out["gt" if p.exclusive_min else "ge"] = cast(p.min)
    if p.max is not None:
        out["le"] = cast(p.max)
    return out


def param_type(p: Param) -> Any:
    """The JSON type of a Param row with its bounds (pair: two numbers; choice: one of its strings)."""
    if p.kind == "bool":
        return bool
    if p.kind == "choice":
        return Literal[p.choices]  # type: ignore[valid-type]
    if p.kind == "int":
        return Annotated[int, Field(**_bounds(p)), INTEGRAL]
    if p.kind == "pair":
        return Annotated[list[Annotated[float, Field(**_bounds(p))]], Field(min_length=2, max_length=2)]
    return Annotated[float, Field(**_bounds(p))]


def param_field(p: Param) -> tuple[Any, Any]:
    """(type, Field) for create_model: the default is the table's (so OpenAPI shows it)."""
    default = list(p.default) if isinstance(p.default, tuple) else p.default
    extra = {"x-log-scale": True} if p.log else None
    kind = param_type(p) if default is not None else param_type(p) | None  # None: the engine decides
    return kind, Field(default=default, description=p.description, json_schema_extra=extra)


def table_fields(table: Sequence[Param]) -> dict[str, tuple[Any, Any]]:
    return {p.name: param_field(p) for p in table}


def model_name(name: str, suffix: str) -> str:
    return "".join(part.capitalize() for part in name.split("_")) + suffix


def params_model(base: type[BaseModel], name: str, table: Sequence[Param], doc: str = "") -> type[BaseModel]:
    """A strict model with one field per row of `table` (an empty table gives an empty model)."""
    return create_model(name, __base__=base, __doc__=doc or None, **table_fields(table))


def tagged_union(members: dict[str, type[BaseModel]], kind: str, tables: dict[str, Sequence[Param]] | None = None,
                 default: str | None = None) -> Any:
    """Annotated union of `members` discriminated by their `name` field. `default` is the tag taken
    when `name` is omitted (schedules: constant); otherwise a missing or unknown name is a 422
    listing the allowed names. `tables` (tag -> Param rows) lets messages say the allowed range."""
    rows = {tag: {p.name: p for p in table} for tag, table in (tables or {}).items()}

    def tag(value: Any) -> str | None:
        name = value.get("name", default) if isinstance(value, dict) else getattr(value, "name", None)
        return name if isinstance(name, str) and name in members else None  # {"name": {}} is a 422, not a 500

    def message(err: dict[str, Any], member: str | None, loc: tuple) -> str:
        if err["type"] == "invalid_name":
            given = err.get("input", {}).get("name") if isinstance(err.get("input"), dict) else None
            return f"unknown {kind} {given!r}; allowed: {', '.join(members)}"
        if member is None or err["type"] == "formula_error":  # a formula's message starts "column N: "
            return err["msg"]
        owner = f"{kind} '{member}'"
        field = next((part for part in reversed(loc) if isinstance(part, str)), None)
        table = rows.get(member, {})
        if err["type"] == "extra_forbidden":
            allowed = ", ".join(table) if member in rows else ", ".join(
                k for k in members[member].model_fields if k != "name")
            return f"{owner}: unknown parameter(s) {field}; allowed: {allowed or 'none'}"
        if err["type"] == "missing":
            return f"{owner}: '{field}' is required"
        if field in table:
            return f"{owner}: parameter '{field}' must be {table[field].range_text()}: {err['msg']}"
        return f"{owner}: {err['msg']}"

    def flat_locations(value: Any, handler: Callable[[Any], Any]) -> Any:
        # pydantic puts the member's tag into the error location ([..., "gd", "lr"]); the contract
        # names the field as the client wrote it ([..., "lr"]), an unknown name at [..., "name"],
        # and the message names the owner, the parameter and its range (as the engine's tables say)
        try:
            return handler(value)
        except ValidationError as exc:
            details = []
            for err in exc.errors():
                loc = tuple(err["loc"])
                member = loc[0] if loc and loc[0] in members else None
                if member is not None:
                    loc = loc[1:]
                if err["type"] == "invalid_name":
                    loc = (*loc, "name")
                # no braces to escape: pydantic fills only {keys} of the context, which stays as it was
                error = PydanticCustomError(err["type"], message(err, member, loc), err.get("ctx"))
                details.append(InitErrorDetails(type=error, loc=loc, input=err.get("input")))
            raise ValidationError.from_exception_data(exc.title, details) from None

    union = Union[tuple(Annotated[m, Tag(n)] for n, m in members.items())]  # noqa: UP007 - built at runtime
    return Annotated[union, Discriminator(tag, custom_error_type="invalid_name",
                                          custom_error_message=f"unknown {kind}; allowed: {', '.join(members)}"),
                     WrapValidator(flat_locations)]


def literal_name(name: str, description: str, default: bool = False) -> tuple[Any, Any]:
    """The `name` field of a union member: exactly this name."""
    field = Field(default=name, description=description) if default else Field(description=description)
    return Literal[name], field  # type: ignore[valid-type]


Builder = Callable[[str], type[BaseModel]]
