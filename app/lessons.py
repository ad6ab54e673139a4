"""Guided lessons: preset scenes with a question and a "what to notice" note.

Pure data. Each lesson is a dict

    {"slug", "number", "title", "question" (two sentences), "notice" (the numbers, per docs/theory.md),
     "scene": a complete POST /api/run body (= scenes[0]["request"]),
     "scenes": [{"caption", "request"}, ...]   (≥ 1; more where one request cannot show the
                                               contrast: noise is per request, a surface is per request),
     "view": hints for the page (see VIEW_DEFAULTS), "url": "/#lesson=<slug>"}

Every number quoted in a notice is checked through the API by tests/app/test_lessons.py, so a
change in the engine that makes a lesson untrue fails a test.

Lesson 8 uses the `least_squares` surface when it is registered and otherwise a quadratic
before/after a diagonal rescaling; the choice is made once, at import time.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np

from engine.surfaces import REGISTRY as SURFACES
from engine.surfaces import make_surface
from engine.theory import quadratic_summary

VIEW_DEFAULTS: dict[str, Any] = {
    "show_eigenvectors": False,  # draw H's eigenvectors (quadratics)
    "eta_slider_for": None,  # index into scene["optimizers"] whose η gets a slider with its stability band
    "step_through": None,  # index of the run opened in step-by-step mode
    "log_loss": True,  # loss chart on a log scale
}


def scene(surface: dict[str, Any], start: list[float], steps: int, optimizers: list[dict[str, Any]],
          sigma: float = 0.0, seed: int = 0) -> dict[str, Any]:
    """A complete /api/run body (constant schedule, noise spelled out)."""
    return {"surface": surface, "start": start, "steps": steps, "optimizers": optimizers,
            "schedule": {"name": "constant"}, "noise": {"sigma": sigma, "seed": seed}}


def lesson(slug: str, title: str, question: str, notice: str, scenes: list[tuple[str, dict[str, Any]]],
           **view: Any) -> dict[str, Any]:
    unknown = set(view) - set(VIEW_DEFAULTS)
    if unknown:
        raise ValueError(f"lesson '{slug}': unknown view hints {sorted(unknown)}; allowed: {sorted(VIEW_DEFAULTS)}")
    return {"slug": slug, "title": title, "question": question, "notice": notice,
            "scene": scenes[0][1], "scenes": [{"caption": c, "request": r} for c, r in scenes],
            "view": {**VIEW_DEFAULTS, **view}, "url": f"/#lesson={slug}"}


def quadratic(kappa: float, theta: float = 0.0) -> dict[str, Any]:
    return {"name": "quadratic", "params": {"kappa": kappa, "theta": theta}}


# ---- 1. ill-conditioning ------------------------------------------------------------------
ILL_CONDITIONING = lesson(
    "ill-conditioning", "Ill-conditioning: the zig-zag",
    "Why does gradient descent zig-zag across a long, narrow valley instead of walking down its floor? "
    "How fast can it possibly go when the valley is 50 times steeper across than along?",
    "At η* = 2/(λmin + λmax) = 2/51 ≈ 0.0392 each step multiplies the offset along the steep eigenvector by "
    "1 − η*λmax = −49/51 ≈ −0.961, so it flips sign every step (the zig-zag), and the offset along the valley "
    "floor by 1 − η*λmin = +49/51. Both shrink by (κ − 1)/(κ + 1) = 0.961 per step, the best worst-case rate "
    "any fixed η can guarantee, and the measured rate matches it: ten orders of magnitude take about 575 steps. "
    "The second run's smaller η = 0.03 damps the zig-zag at once (1 − 0.03·50 = −0.5), so from this start, "
    "which lies mostly across the valley, it is lower for the first 248 steps; but along the floor it crawls "
    "at 0.970 per step. η* overtakes it at step 249 and ends 816× lower after 600 steps (5.0e−19 vs 4.1e−16): "
    "\"optimal\" is about the rate in the long run from any start, not about every step.",
    [("GD at η* and at a smaller η on a κ = 50 valley",
      scene(quadratic(50, 30), [-4.0, 2.0], 600,
            [{"name": "gd", "lr": 2 / 51, "label": "GD η* = 2/51"},
             {"name": "gd", "lr": 0.03, "label": "GD η = 0.03"}]))],
    show_eigenvectors=True, eta_slider_for=0, step_through=0)

# ---- 2. the 2/λmax cliff ------------------------------------------------------------------
STABILITY_CLIFF = lesson(
    "stability-cliff", "The 2/λmax cliff",
    "How large may the learning rate be before gradient descent blows up? "
    "What happens just below and just above that limit?",
    "Here λmax = 10, so the limit is 2/λmax = 0.2. At η = 0.196 (2 % below) the steep coordinate is multiplied "
    "by 1 − ηλmax = −0.96 per step: it oscillates but shrinks, and the loss falls at every step. At η = 0.204 "
    "(2 % above) the factor is −1.04: the oscillation grows by 4 % per step and the run diverges after 141 "
    "updates (its loss passes 10⁴ times the highest value in view), although the shallow direction "
    "(λmin = 1) still converges. Only λmax sets the limit.",
    [("GD 2 % below and 2 % above 2/λmax",
      scene(quadratic(10), [-4.0, 2.0], 600,
            [{"name": "gd", "lr": 0.98 * 0.2, "label": "GD η = 0.98·2/λmax"},
             {"name": "gd", "lr": 1.02 * 0.2, "label": "GD η = 1.02·2/λmax"}]))],
    show_eigenvectors=True, eta_slider_for=0, step_through=1)

# ---- 3. momentum as acceleration ----------------------------------------------------------
MOMENTUM = lesson(
    "momentum-acceleration", "Momentum as acceleration",
    "Can a heavy ball that remembers its previous steps get down a κ = 100 valley faster than gradient descent "
    "at its best step size? By how much?",
    "GD at its best η* = 2/101 ≈ 0.0198 contracts by (κ − 1)/(κ + 1) = 99/101 ≈ 0.980 per step and needs "
    "625 steps to bring the loss below 1e−8. Momentum (heavy ball) with Polyak's "
    "η* = 4/(√λmax + √λmin)² = 4/121 ≈ 0.0331 "
    "and μ* = ((√κ − 1)/(√κ + 1))² = (9/11)² ≈ 0.669 contracts by √μ* = 9/11 ≈ 0.818 and needs 88: about "
    "7× fewer. Per step, −log(rate) is √κ = 10 times larger (0.201 vs 0.020), the √κ speed-up; the start-up "
    "transient keeps the ratio of step counts below 10.",
    [("GD at η* vs Momentum (heavy ball) at Polyak's (η*, μ*) on a κ = 100 valley",
      scene(quadratic(100, 30), [-4.0, 2.0], 700,
            [{"name": "gd", "lr": 2 / 101, "label": "GD η* = 2/101"},
             {"name": "momentum", "lr": 4 / 121, "momentum": (9 / 11) ** 2, "label": "Momentum (η*, μ*)"}]))],
    eta_slider_for=1, step_through=1)

# ---- 4. Nesterov vs heavy ball ------------------------------------------------------------
NESTEROV = lesson(
    "nesterov-vs-heavy-ball", "Nesterov vs heavy ball at the stability edge",
    "Nesterov's look-ahead gradient usually tames the oscillations of heavy-ball momentum. "
    "Is it also stable for every learning rate that heavy ball tolerates?",
    "On this κ = 10 valley (λmax = 10) with μ = 0.9, Momentum (heavy ball) is stable for ηλmax < 2(1 + μ) = 3.8, i.e. "
    "η < 0.38, but Nesterov only for ηλmax < 2(1 + μ)/(1 + 2μ) ≈ 1.357, i.e. η < 0.1357. At η = 0.2 heavy ball "
    "converges at rate √μ ≈ 0.949 while Nesterov's steep mode grows by 2.29 per step and it diverges after 6 "
    "updates. Just inside its band, at η = 0.13, Nesterov converges at 0.885, faster than heavy ball at 0.2.",
    [("Momentum (heavy ball) and Nesterov at η = 0.2, Nesterov at η = 0.13 (μ = 0.9)",
      scene(quadratic(10), [-4.0, 2.0], 400,
            [{"name": "momentum", "lr": 0.2, "momentum": 0.9, "label": "Momentum η = 0.2"},
             {"name": "nesterov", "lr": 0.2, "momentum": 0.9, "label": "Nesterov η = 0.2"},
             {"name": "nesterov", "lr": 0.13, "momentum": 0.9, "label": "Nesterov η = 0.13"}]))],
    eta_slider_for=1, step_through=1)

# ---- 5. saddles ---------------------------------------------------------------------------
SADDLE = {"name": "saddle", "params": {"a": 1, "b": 1}}
NEAR_MANIFOLD = [-2.5, 1e-10]
SADDLES = lesson(
    "saddles", "Saddles: stalling, escaping, and Newton's trap",
    "A saddle point has zero gradient but is not a minimum. "
    "Does gradient descent get stuck there, and what do noise and Newton's method do?",
    "On f = ½(x² − y²), GD with η = 0.1 multiplies x by 0.9 and y by 1.1 per step. Started at y = 1e−10, "
    "almost on the stable manifold (the x-axis), it slides into the saddle and sits there: the gradient norm "
    "stays below 1e−3 for 76 steps and after 150 steps |y| is still only 1.6e−4. The same start with gradient "
    "noise σ = 0.001 never stalls: the noise kicks y off the axis, the 1.1× growth takes over, and |y| passes 1 "
    "at step 95. Newton's step −H⁻¹g goes to the stationary point of the local quadratic model, here the saddle "
    "itself: from (−2, 1.5) it lands exactly on (0, 0) in one step and stays there, while GD escapes.",
    [("GD from y₀ = 1e−10, no noise", scene(SADDLE, NEAR_MANIFOLD, 150, [{"name": "gd", "lr": 0.1, "label": "GD"}])),
     ("the same start with gradient noise σ = 0.001",
      scene(SADDLE, NEAR_MANIFOLD, 150, [{"name": "gd", "lr": 0.1, "label": "GD, σ = 0.001"}], sigma=1e-3)),
     ("Newton vs GD from a generic start",
      scene(SADDLE, [-2.0, 1.5], 50, [{"name": "newton", "lr": 1.0, "label": "Newton"},
                                       {"name": "gd", "lr": 0.1, "label": "GD"}]))],
    step_through=0)

# ---- 6. many minima -----------------------------------------------------------------------
MANY_MINIMA = lesson(
    "many-minima", "Many minima: which basin?",
    "Himmelblau's function has four minima of equal height. "
    "Started at the same point, do gradient descent, momentum and Adam end up in the same one?",
    "From (0, −3), just below a ridge, the first gradient is (4, −52). GD (η = 0.01) climbs almost straight up, "
    "turns right near y ≈ −2 and settles in the minimum at (3.584, −1.848). Momentum with the same η and "
    "μ = 0.9 starts the same way, but its velocity carries it up past that turn, across the middle, and it "
    "settles in (3, 2). Adam's first step is sign-like, (−0.1, +0.1) for η = 0.1: it moves left as much as up, "
    "crosses the ridge and ends in (−3.779, −3.283). Near a basin boundary small changes matter: move the "
    "start by 0.1 and the assignments change.",
    [("GD, momentum and Adam from (0, −3)",
      scene({"name": "himmelblau"}, [0.0, -3.0], 500,
            [{"name": "gd", "lr": 0.01, "label": "GD"},
             {"name": "momentum", "lr": 0.01, "momentum": 0.9, "label": "Momentum"},
             {"name": "adam", "lr": 0.1, "label": "Adam"}]))],
    step_through=2, log_loss=True)

# ---- 7. Adam and rotations ----------------------------------------------------------------
_C45 = float(np.cos(np.pi / 4))  # the 45° start is R(45°)·(−4, 2)
ADAM_ROTATION = lesson(
    "adam-rotation", "Adam is not rotation invariant",
    "Gradient descent only sees the geometry of the valley, not the direction of the coordinate axes. "
    "Does Adam behave the same when the same valley is turned by 45°?",
    "The two scenes are one problem turned by 45° (κ = 10, the start turned with it). GD's paths are exact "
    "rotations of each other, with the same loss at every step. Adam's first step is ≈ η·sign(g) per "
    "coordinate, so it depends on the axes: at 0° it moves 0.1 along the valley floor and 0.1 across, at 45° "
    "it moves 0.141 (η√2) straight across the valley and not at all along it. The runs never line up again: "
    "after 50 steps Adam's loss is 0.055 at 0° but 2.24 at 45°, and it needs 149 vs 172 steps to get below 1e−6.",
    [("θ = 0°", scene(quadratic(10, 0), [-4.0, 2.0], 200,
                      [{"name": "gd", "lr": 0.15, "label": "GD"}, {"name": "adam", "lr": 0.1, "label": "Adam"}])),
     ("θ = 45°, start rotated by 45°",
      scene(quadratic(10, 45), [-6 * _C45, -2 * _C45], 200,
            [{"name": "gd", "lr": 0.15, "label": "GD"}, {"name": "adam", "lr": 0.1, "label": "Adam"}]))],
    show_eigenvectors=True, step_through=1)


# ---- 8. normalization ---------------------------------------------------------------------
def _gd_summary(surface_ref: dict[str, Any]) -> dict[str, Any]:
    """κ, η* = 2/(λmin + λmax) and GD's best rate of a constant-Hessian surface (engine.theory)."""
    surf = make_surface(surface_ref["name"], surface_ref.get("params"))
    return quadratic_summary(np.linalg.eigvalsh(surf.hessian(np.zeros(2))))


def _least_squares_lesson() -> dict[str, Any]:
    refs = [{"name": "least_squares", "params": {"normalize": norm}} for norm in (False, True)]
    raw, normed = (_gd_summary(ref) for ref in refs)
    eta_raw, eta_normed = (float(f"{s['eta_opt_gd']:.4g}") for s in (raw, normed))  # readable in URLs and labels
    surfaces = [make_surface(r["name"], r["params"]) for r in refs]
    starts = [[round(v, 3) for v in surf.default_start] for surf in surfaces]  # each view is centred on its w*
    rho, ratio = surfaces[0].p["rho"], surfaces[0].p["scale_ratio"]
    return lesson(
        "normalization", "Normalization: why z-scoring features speeds up GD",
        "The same least-squares fit is run on raw features and on z-normalized ones (mean 0, variance 1). "
        "Why does gradient descent converge so much faster on the second?",
        f"The Hessian of E = (1/2N)‖Xw − t‖² is H = XᵀX/N, so the features' scales set its eigenvalues. Raw "
        f"(feature 2's spread {ratio:g}× feature 1's, correlation ρ = {rho:g}): κ = {raw['kappa']:.1f}, "
        f"and GD at its η* = {raw['eta_opt_gd']:.3f} contracts by only (κ − 1)/(κ + 1) = "
        f"{raw['rate_opt_gd']:.3f} per step. "
        f"Normalized: κ = {normed['kappa']:.2f}, η* = {normed['eta_opt_gd']:.3f} and the rate is "
        f"{normed['rate_opt_gd']:.3f}, which is exactly the sample correlation r of the two features "
        "(H is then their correlation matrix, eigenvalues 1 ± r). Scaling removes the different widths but "
        "not the correlation; the minimum moves because each weight now multiplies a unit-spread feature.",
        [(f"raw features, GD at η* = {raw['eta_opt_gd']:.3f}",
          scene(refs[0], starts[0], 600, [{"name": "gd", "lr": eta_raw, "label": "GD η*"}])),
         (f"z-normalized features, GD at η* = {normed['eta_opt_gd']:.3f}",
          scene(refs[1], starts[1], 600, [{"name": "gd", "lr": eta_normed, "label": "GD η*"}]))],
        show_eigenvectors=True, step_through=0)


def _rescaled_quadratic_lesson() -> dict[str, Any]:
    return lesson(
        "normalization", "Normalization: rescaling the coordinates",
        "The second scene is the first valley with the steep coordinate stretched by 10 (w₂ → 10·w₂), as "
        "normalizing a feature does. Why does gradient descent converge so much faster there?",
        "H = diag(1, 100) has κ = 100, so GD at its η* = 2/101 ≈ 0.0198 contracts by 99/101 ≈ 0.980 per step and "
        "needs 876 steps to bring the gradient norm below 1e−6. Stretching w₂ by √(λmax/λmin) = 10 turns H into "
        "the identity: κ = 1, η* = 1, and GD lands on the minimum in one step. A diagonal rescaling fixes "
        "different widths along the axes; it cannot fix a valley that is tilted (correlated features).",
        [("H = diag(1, 100), GD at η* = 2/101",
          scene(quadratic(100), [-4.0, 0.4], 1000, [{"name": "gd", "lr": 2 / 101, "label": "GD η*"}])),
         ("after w₂ → 10·w₂: H = I, GD at η* = 1",
          scene(quadratic(1), [-4.0, 4.0], 1000, [{"name": "gd", "lr": 1.0, "label": "GD η*"}]))],
        show_eigenvectors=True, step_through=0)


def normalization_lesson(use_least_squares: bool | None = None) -> dict[str, Any]:
    """Lesson 8: on `least_squares` when registered (or when asked), else the rescaled quadratic."""
    if use_least_squares is None:
        use_least_squares = "least_squares" in SURFACES
    return _least_squares_lesson() if use_least_squares else _rescaled_quadratic_lesson()


LESSONS: list[dict[str, Any]] = [
    {**entry, "number": i}
    for i, entry in enumerate([ILL_CONDITIONING, STABILITY_CLIFF, MOMENTUM, NESTEROV, SADDLES, MANY_MINIMA,
                               ADAM_ROTATION, normalization_lesson()], start=1)
]
BY_SLUG: dict[str, dict[str, Any]] = {entry["slug"]: entry for entry in LESSONS}


def lesson_slugs() -> list[str]:
    return [entry["slug"] for entry in LESSONS]


def get_lesson(slug: str) -> dict[str, Any] | None:
    """A deep copy (callers may modify it), or None for an unknown slug."""
    entry = BY_SLUG.get(slug)
    return copy.deepcopy(entry) if entry is not None else None


def all_lessons() -> list[dict[str, Any]]:
    return copy.deepcopy(LESSONS)
