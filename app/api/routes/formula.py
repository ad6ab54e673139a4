"""POST /api/formula: check a user-typed f(x, y) and show its exact derivatives (the page's formula box).

The text goes through the engine's safe parser (an AST whitelist; never eval or sympify) and is
differentiated symbolically in a compute worker, admitted like any other work (503 when the queue
is full); compiled formulas are cached per text, so the page can call this as the user types.
A rejected formula is a 422 whose detail names the 1-based column of the offending part.
The same formula is used elsewhere as the surface reference
`{"name": "custom", "expr": "...", "domain": {"x": [lo, hi], "y": [lo, hi]}}`.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from app.api.errors_doc import ERRORS
from app.compute import admit, compute_json
from app.errors import unprocessable
from app.responses import SafeJSONResponse
from app.schemas.common import FORMULA_SCHEMA, Domain, Strict

router = APIRouter(prefix="/api", tags=["geometry"])

EXAMPLE_EXPR = "x**2 + 10*y**2 - 0.5*sin(3*x*y)"


class FormulaRequest(Strict):
    model_config = {"json_schema_extra": {"examples": [
        {"expr": EXAMPLE_EXPR, "domain": {"x": [-3, 3], "y": [-3, 3]}},
        {"expr": "x**2 + 10*y**2"},
        {"expr": "log(x) + y**2", "domain": {"x": [-1, 1], "y": [-1, 1]}},
    ]}}

    expr: str = Field(json_schema_extra=FORMULA_SCHEMA, examples=[EXAMPLE_EXPR],
                      description="f(x, y) in Python syntax: numbers, x, y, pi, e, + - * / ** and the functions "
                                  "sin cos tan exp log sqrt abs tanh sinh cosh arctan arcsin arccos sigmoid; "
                                  "at most 500 characters")
    domain: Domain | None = Field(default=None, description="plot domain; default [-5, 5] × [-5, 5]")


class Derivatives(BaseModel):
    f: str = Field(description="f itself, as sympy prints it")
    fx: str = Field(description="∂f/∂x")
    fy: str = Field(description="∂f/∂y")
    fxx: str = Field(description="∂²f/∂x²")
    fxy: str = Field(description="∂²f/∂x∂y")
    fyy: str = Field(description="∂²f/∂y²")


class StationaryPoint(BaseModel):
    x: float
    y: float
    f: float | None
    kind: Literal["minimum", "saddle", "maximum"]


class FormulaResponse(BaseModel):
    model_config = {"json_schema_extra": {"examples": [{
        "ok": True, "expr": "x**2 + 10*y**2", "latex": "x^{2} + 10 y^{2}",
        "derivatives": {"f": "x**2 + 10*y**2", "fx": "2*x", "fy": "20*y", "fxx": "2", "fxy": "0", "fyy": "20"},
        "derivatives_latex": {"f": "x^{2} + 10 y^{2}", "fx": "2 x", "fy": "20 y", "fxx": "2", "fxy": "0",
                              "fyy": "20"},
        "constant_hessian": True, "stationary": [{"x": 0.0, "y": 0.0, "f": 0.0, "kind": "minimum"}],
        "domain": {"x": [-5.0, 5.0], "y": [-5.0, 5.0]}, "default_start": [-3.0, 3.0],
        "surface": {"name": "custom", "expr": "x**2 + 10*y**2", "domain": {"x": [-5.0, 5.0], "y": [-5.0, 5.0]}},
    }]}}

    ok: Literal[True] = True
    expr: str = Field(description="the formula as given (trimmed)")
    latex: str = Field(description="f in LaTeX")
    derivatives: Derivatives = Field(description="f and its exact first and second derivatives (sympy text)")
    derivatives_latex: Derivatives = Field(description="the same in LaTeX")
    constant_hessian: bool = Field(description="true for a quadratic: the run's theory block then applies")
    stationary: list[StationaryPoint] = Field(
        description="the stationary point when the Hessian is constant and non-singular; otherwise the "
                    "stationary points inside the domain found by multi-start Newton (minima first)")
    domain: dict[str, list[float]] = Field(description="{x: [lo, hi], y: [lo, hi]}")
    default_start: list[float] = Field(description="the start the page uses for this domain")
    surface: dict[str, Any] = Field(description="the surface reference to send to /api/point, /api/run, ...")


class FormulaError422(BaseModel):
    model_config = {"json_schema_extra": {"examples": [{"detail": [{
        "loc": ["body", "expr"], "msg": "column 8: function '__import__' is not allowed; allowed functions: sin, …",
        "type": "formula_error", "column": 8, "message": "function '__import__' is not allowed; …",
        "input": "x**2 + __import__('os')"}]}]}}

    detail: list[dict[str, Any]] = Field(
        description="[{loc, msg, type, column (1-based, formula errors only), message, input}]")


def _describe(expr: str, domain) -> dict[str, Any]:
    """Parse, differentiate and compile (cached), then describe. Raises FormulaError / ValueError."""
    from engine.surfaces.custom import make_custom  # sympy is imported only when needed

    surface = make_custom(expr, domain)
    info = surface.describe()
    stationary = [{"x": p.x, "y": p.y, "f": p.f, "kind": p.kind} for p in surface.stationary_points()]
    return {
        "ok": True, "expr": surface.expr_text, "latex": surface.formula,
        "derivatives": info["derivatives"], "derivatives_latex": info["derivatives_latex"],
        "constant_hessian": bool(surface.constant_hessian), "stationary": stationary,
        "domain": info["domain"], "default_start": info["default_start"],
        "surface": {"name": "custom", "expr": surface.expr_text, "domain": info["domain"]},
    }


@router.post("/formula", response_model=FormulaResponse,
             responses={**ERRORS, 422: {"model": FormulaError422,
                                        "description": "a rejected formula: `column` points at the offending part"}},
             summary="Check a formula f(x, y) and return its exact derivatives (or a 422 naming the column)")
async def formula(body: FormulaRequest, request: Request) -> SafeJSONResponse:
    from engine.surfaces.formula import check_formula
    from engine.surfaces.formula_compile import is_cached
    from engine.surfaces.formula_limits import FormulaError

    domain = body.domain.as_tuple() if body.domain else None
    limits = request.app.state.settings.budget
    try:
        check_formula(body.expr)  # cheap checks on the loop; compiling goes through the compute queue
        ticket = admit(0.0 if is_cached(body.expr) else limits.cost_compile_seconds, limits)
        try:
            return await compute_json(_describe, body.expr, domain)
        finally:
            ticket.release()
    except FormulaError as exc:
        return SafeJSONResponse({"detail": [{
            "loc": ["body", "expr"], "msg": str(exc), "type": "formula_error",
            "column": exc.column, "message": exc.message, "input": body.expr[:500]}]}, status_code=422)
    except ValueError as exc:  # a domain the engine refuses (pydantic already checked lo < hi)
        return unprocessable(["body", "domain"], str(exc))
