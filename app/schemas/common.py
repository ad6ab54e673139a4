"""Request pieces shared by every endpoint: surface references, optimizer and schedule specs, noise.

Each model forbids unknown fields (typos are caught) and validates against the engine's own
tables in a model validator, so a bad name or value is a 422 that names the field and, for a
name, the allowed values. The engine objects built during validation are kept on the model.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    TypeAdapter,
    ValidationInfo,
    create_model,
    field_validator,
    model_validator,
)
from pydantic.json_schema import SkipJsonSchema
from pydantic_core import PydanticCustomError

from app.schemas.params import Int, literal_name, model_name, params_model, table_fields, tagged_union
from engine.lru import LRU
from engine.optimizers import REGISTRY as OPTIMIZERS
from engine.optimizers import Optimizer, make_optimizer
from engine.run import Noise
from engine.schedules import REGISTRY as SCHEDULES
from engine.schedules import Schedule, make_schedule
from engine.surfaces import REGISTRY as SURFACES
from engine.surfaces import Surface
from engine.surfaces.resolve import check_custom_ref, surface_from_ref, surface_names

Coordinate = Annotated[float, Field(ge=-1e6, le=1e6)]
Point = Annotated[list[Coordinate], Field(min_length=2, max_length=2, description="a point [x, y]")]
Interval = Annotated[list[Coordinate], Field(min_length=2, max_length=2, description="[lo, hi] with lo < hi")]


class Strict(BaseModel):
    """Base of every request model: unknown fields are errors (typos are caught), and so are
    wrong JSON types (strict: `"steps": true` or `"lr": "0.1"` is a 422, not silently 1 or 0.1)."""

    model_config = ConfigDict(extra="forbid", strict=True)


class Domain(Strict):
    x: Interval = Field(description="x range [lo, hi]", examples=[[-5, 5]])
    y: Interval = Field(description="y range [lo, hi]", examples=[[-5, 5]])

    @model_validator(mode="after")
    def _ordered(self) -> Domain:
        for axis in ("x", "y"):
            lo, hi = getattr(self, axis)
            if not lo < hi:
                raise ValueError(f"domain.{axis} must be [lo, hi] with lo < hi, got {[lo, hi]}")
        return self

    def as_tuple(self) -> tuple[tuple[float, float], tuple[float, float]]:
        return (tuple(self.x), tuple(self.y))


class SurfaceRefBase(Strict):
    """A registered surface with optional params, or `custom` with a formula (the members of the
    `SurfaceRef` union below subclass this, each with its own `name`, `params` and `expr`)."""

    name: str = Field(description="surface name: " + ", ".join(surface_names()), examples=["quadratic"],
                      json_schema_extra={"enum": surface_names()})
    params: dict[str, float | bool] = Field(
        default_factory=dict, description="surface parameters (see GET /api/surfaces); omitted ones take defaults",
        examples=[{"kappa": 50, "theta": 30}])
    # max 500 characters: checked by the formula parser so the 422 names the column (501), as every formula error does
    expr: str | None = Field(default=None, json_schema_extra={"maxLength": 500},
                             description="for name 'custom': f(x, y) in Python syntax, e.g. 'x**2 + 10*y**2' "
                                         "(at most 500 characters; a bad formula is a 422 at loc [..., 'expr'] "
                                         "whose msg starts with 'column N: ')")
    domain: Domain | None = Field(default=None, description="plot domain; defaults to the surface's own")
    _surface: Surface | None = PrivateAttr(default=None)
    _nominal_start: tuple[float, float] | None = PrivateAttr(default=None)

    @field_validator("expr")
    @classmethod
    def _check_expr(cls, expr: str | None, info: ValidationInfo) -> str | None:
        # cheap syntax/whitelist/size checks only (no sympy): a bad formula's 422 sits at loc
        # [..., "surface", "expr"] and its msg starts with "column N: " (no "Value error, " prefix).
        # Compiling is `compile()`, which routes run in a compute worker (app.compute.prepare).
        if expr is None or info.data.get("name") != "custom":
            return expr
        from engine.surfaces.formula import check_formula
        from engine.surfaces.formula_limits import FormulaError

        try:
            check_formula(expr)
        except FormulaError as exc:
            raise PydanticCustomError("formula_error", str(exc), {"column": exc.column}) from None
        return expr

    @model_validator(mode="after")
    def _build(self) -> SurfaceRefBase:
        if self.name not in surface_names():
            raise ValueError(f"unknown surface '{self.name}'; allowed: {', '.join(surface_names())}")
        if self.name == "custom":  # compiled later, off the event loop
            check_custom_ref(self.params, self.expr)
            try:
                from engine.surfaces.custom import check_domain
            except ImportError as exc:  # a build without the formula module: a 422 that says so, not a 500
                raise ValueError(f"surface 'custom' is not available in this build ({exc})") from exc
            check_domain(self._domain())
            return self
        self._surface = registered_surface(self.name, self.params, self.expr, self._domain())
        return self

    def _domain(self) -> tuple[tuple[float, float], tuple[float, float]] | None:
        return self.domain.as_tuple() if self.domain else None

    @property
    def compiled(self) -> bool:
        return self.__pydantic_private__["_surface"] is not None

    def compile(self) -> Surface:
        """Build the surface (for a formula: parse, differentiate, compile; up to a second, so run
        it in a compute worker). Raises FormulaError / ValueError."""
        if self._surface is None:
            self._surface = surface_from_ref(self.name, self.params, self.expr, self._domain())
        return self._surface

    def fix_start(self, start: list[float] | None) -> list[float] | None:
        """After compiling: a start defaulted from the nominal one becomes the surface's own."""
        if self._nominal_start is not None and start == list(self._nominal_start):
            return list(self.compile().default_start)
        return start

    @property
    def surface(self) -> Surface:
        # private attributes read from their dict: `self._surface` goes through pydantic's __getattr__
        # (~2 µs; the engine objects are read dozens of times per /api/run)
        surface = self.__pydantic_private__["_surface"]
        if surface is None:
            return _PendingCustom(self)  # type: ignore[return-value]
        return surface


def _shared(cache: LRU, key: tuple, build: Callable[[], Any]) -> Any:
    """One engine object per distinct request value, shared by requests (an LRU of 256).

    Surfaces and optimizers do not change once built (optimizers are pure functions and their
    hyperparameters; a surface's derived values are kept on it: the divergence rule's view range,
    the theory block's eigenvalues), so a slider's requests skip building them and that work."""
    try:
        hash(key)
    except TypeError:  # not a value the schemas let through: built as it is, not kept
        return build()
    return cache.get(key, build)  # a build that raises (a 422) keeps nothing


def _exact(value: Any) -> Any:
    """A value as a key that tells apart what == does not (0.0 and -0.0 build different matrices,
    and 1 == 1.0 == True)."""
    if isinstance(value, (tuple, list)):
        return tuple(_exact(v) for v in value)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return (type(value).__name__, value)
    return float(value).hex()


def _exact_items(values: dict[str, Any]) -> tuple:
    return tuple(sorted((k, _exact(v)) for k, v in values.items()))


_SURFACES, _OPTIMIZERS = LRU(256), LRU(256)


def registered_surface(name: str, params: dict[str, Any], expr: str | None,
                       domain: tuple[tuple[float, float], tuple[float, float]] | None) -> Surface:
    """The registered surface `name` with these params and domain, one object per distinct reference."""
    if expr is not None:  # refused by surface_from_ref (only 'custom' takes a formula)
        return surface_from_ref(name, params, expr, domain)
    key = (name, _exact_items(params), None if domain is None else _exact(domain))
    return _shared(_SURFACES, key, lambda: surface_from_ref(name, params, None, domain))


def shared_optimizer(name: str, hparams: dict[str, Any]) -> Optimizer:
    """`make_optimizer(name, hparams)`, one object per distinct spec (its checks run once)."""
    return _shared(_OPTIMIZERS, (name, _exact_items(hparams)), lambda: make_optimizer(name, hparams))


class _PendingCustom:
    """A formula surface not compiled yet: its domain is known without sympy, and its default
    start is the nominal one (20% in from the corner) until it is compiled, when
    `SurfaceRef.fix_start` moves a request's defaulted start to the formula's own (a finite
    point); anything else compiles it (routes compile first, in a worker: app.compute.prepare)."""

    def __init__(self, ref: SurfaceRef) -> None:
        from engine.surfaces.custom import check_domain

        self._ref = ref
        self.default_domain = self.domain = check_domain(ref._domain())

    @property
    def default_start(self) -> tuple[float, float]:
        from engine.surfaces.custom import default_start

        self._ref._nominal_start = default_start(self.domain)
        return self._ref._nominal_start

    def __getattr__(self, name: str) -> Any:
        return getattr(self._ref.compile(), name)


class _OptimizerSpecBase(Strict):
    """`{"name": ..., <hyperparameters>}`; omitted hyperparameters take torch's defaults."""

    name: str
    label: str | None = Field(default=None, max_length=80, description="display name (defaults to the name)")
    _optimizer: Optimizer | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _build(self) -> _OptimizerSpecBase:
        given = self.model_dump(exclude={"name", "label"}, exclude_none=True)
        for key, value in given.items():
            if isinstance(value, list):
                given[key] = tuple(value)
        self._optimizer = shared_optimizer(self.name, given)
        return self

    @property
    def optimizer(self) -> Optimizer:
        optimizer = self.__pydantic_private__["_optimizer"]  # a dict read (see SurfaceRefBase.surface)
        assert optimizer is not None
        return optimizer

    def describe(self) -> dict[str, Any]:
        """{name, label, every effective hyperparameter}: what a run reports back."""
        hp = {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.optimizer.hparams.items()}
        return {"name": self.name, "label": self.label or self.name, **hp}


# One member per registered optimizer, its fields generated from the optimizer's Param table: a new
# optimizer module brings its own fields and ranges to validation and OpenAPI without touching this file.
OPTIMIZER_SPECS = {
    name: create_model(model_name(name, "Spec"), __base__=_OptimizerSpecBase,
                       __doc__=f"{info.title}, {info.torch}; omitted hyperparameters take their defaults.",
                       name=literal_name(name, f"{info.title}"), **table_fields(info.params))
    for name, info in OPTIMIZERS.items()
}
OptimizerSpec = tagged_union(OPTIMIZER_SPECS, "optimizer", {n: i.params for n, i in OPTIMIZERS.items()})
OPTIMIZER_ADAPTER = TypeAdapter(OptimizerSpec)  # OPTIMIZER_ADAPTER.validate_python({...}) parses one spec


class _ScheduleSpecBase(Strict):
    """Flat like an optimizer spec, e.g. {"name": "step", "step_size": 100, "gamma": 0.5}."""

    name: str
    _schedule: Schedule | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _build(self) -> _ScheduleSpecBase:
        self._schedule = make_schedule(self.name, self.model_dump(exclude={"name"}))
        return self

    @property
    def schedule(self) -> Schedule:
        schedule = self.__pydantic_private__["_schedule"]  # a dict read (see SurfaceRefBase.surface)
        assert schedule is not None
        return schedule

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, **self.schedule.params}


# one member per schedule with only its own parameters; `name` may be omitted for constant only
SCHEDULE_SPECS = {
    name: create_model(model_name(name, "Schedule"), __base__=_ScheduleSpecBase,
                       __doc__=f"lr schedule '{name}'; omitted parameters take their defaults.",
                       name=literal_name(name, f"schedule '{name}'", default=name == "constant"),
                       **table_fields(info.params))
    for name, info in SCHEDULES.items()
}
ScheduleSpec = tagged_union(SCHEDULE_SPECS, "schedule", {n: i.params for n, i in SCHEDULES.items()},
                            default="constant")


def default_schedule() -> _ScheduleSpecBase:
    return SCHEDULE_SPECS["constant"](name="constant")


class NoiseSpec(Strict):
    sigma: float = Field(default=0.0, ge=0, le=100, description="σ of the Gaussian gradient noise σ·ξ_t")
    seed: Int = Field(default=0, ge=0, le=2**32 - 1, description="seed of ξ (same for every optimizer)")

    def to_engine(self) -> Noise:
        return Noise(self.sigma, self.seed)



def _as_dict(cls, value: Any) -> Any:
    """A member's params model becomes the plain dict the engine takes (every value, defaults filled)."""
    return value.model_dump() if isinstance(value, BaseModel) else value


def _surface_member(name: str) -> type[SurfaceRefBase]:
    cls = SURFACES[name]
    params = params_model(Strict, model_name(name, "Params"), cls.PARAMS, f"parameters of surface '{name}'")
    return create_model(
        model_name(name, "Ref"), __base__=SurfaceRefBase, __doc__=f"{cls.title}: f = {cls.formula} (LaTeX)",
        name=literal_name(name, cls.title),
        params=(params, Field(default_factory=params, validate_default=True,
                              description="omitted parameters take their defaults")),
        # not offered (SkipJsonSchema): only 'custom' takes a formula; one sent anyway is a 422 saying so
        expr=(SkipJsonSchema[str | None], Field(default=None)),
        __validators__={"_params_as_dict": field_validator("params")(_as_dict)},
    )


# The formula checker's first rules (1 to 500 characters, printable ASCII but #, ; and backslash),
# stated for OpenAPI only: the checker enforces them, with a message that names the column
FORMULA_SCHEMA = {"minLength": 1, "maxLength": 500, "pattern": r"^[\x20-\x22\x24-\x3A\x3C-\x5B\x5D-\x7E]*$"}


class CustomRef(SurfaceRefBase):
    """A formula f(x, y), parsed safely (never evaluated), with exact symbolic derivatives."""

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"name": "custom", "expr": "x**2 + 10*y**2 - 0.5*sin(3*x*y)", "domain": {"x": [-3, 3], "y": [-3, 3]}}]})

    name: Literal["custom"] = Field(description="a user-typed formula")
    # max 500 characters: checked by the formula parser so the 422 names the column (501), as every formula error does
    expr: str = Field(json_schema_extra=FORMULA_SCHEMA,
                      description="f(x, y) in Python syntax, e.g. 'x**2 + 10*y**2' (at most 500 characters; a bad "
                                  "formula is a 422 at loc [..., 'expr'] whose msg starts with 'column N: ')")
    params: SkipJsonSchema[dict[str, float | bool]] = Field(default_factory=dict)  # none: numbers go into expr


# {"name", "params", "domain"} for a registered surface, {"name": "custom", "expr", "domain"} for a
# formula: a union discriminated by name, each registered member with its own parameter table
SURFACE_REFS: dict[str, type[SurfaceRefBase]] = {**{n: _surface_member(n) for n in SURFACES}, "custom": CustomRef}
SurfaceRef = tagged_union(SURFACE_REFS, "surface", {n: c.PARAMS for n, c in SURFACES.items()})
