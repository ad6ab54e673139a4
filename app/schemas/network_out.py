"""Response shapes of /api/network/train (documentation of what the routes return)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from app.schemas.network import MAX_WORK
from engine.divergence import RULE as DIVERGENCE_RULE

Floats = list[float | None]
Grid = list[list[float | None]]


class DatasetOut(BaseModel):
    name: str
    title: str
    task: Literal["classification", "regression"]
    params: dict[str, Any] = Field(description="every generator parameter as used, plus n and seed")
    X: list[list[float]] = Field(description="the n points [x₁, x₂] (for the scatter plot)")
    y: list[float] = Field(description="labels 0/1 (classification) or targets (regression)")


class ModelOut(BaseModel):
    hidden: list[int]
    activation: str
    loss: str = Field(description="mse (E = (1/2N)·Σ(f − y)², Bishop's ½) or bce (on logits)")
    n_in: int
    n_params: int = Field(description="d, the length of the flat weight vector")
    layout: list[dict[str, Any]] = Field(description=(
        "per layer: W shape [out, in] and the offsets of W (row-major, row i = neuron i's incoming weights) "
        "and b in the flat vector"))
    init: dict[str, Any] = Field(description="{scheme, sigma, seed} of the initial weights")


class SharpnessOut(BaseModel):
    steps: list[int] = Field(description="steps at which λmax was measured")
    lam_max: Floats = Field(description="largest Hessian eigenvalue of the full-data loss (Lanczos on exact HVPs)")
    eta: Floats = Field(description="the scheduled lr η_t of the update at that step")
    two_over_eta: Floats = Field(description="2/η_t: GD on a quadratic with λmax above it diverges (edge of stability)")


class FinalOut(BaseModel):
    step: int = Field(description="the last recorded step (the last finite one if the run diverged)")
    loss: float | None
    accuracy: float | None = Field(description="share of correctly classified examples; null for regression")


class NetworkRunOut(BaseModel):
    optimizer: dict[str, Any] = Field(description="{name, label, every effective hyperparameter}")
    status: Literal["ok", "diverged"] = Field(description=(
        "\"diverged\" if the training stopped early by the divergence rule (a non-finite loss or gradient counts "
        "too), else \"ok\". " + DIVERGENCE_RULE))
    diverged_at: int | None = Field(description="the step whose weights broke the divergence rule; null if none")
    steps: list[int] = Field(description="recorded steps: 0, k, 2k, … and the last (loss[t] belongs to steps[t])")
    loss: Floats = Field(description="full-data loss E(w) at each recorded step")
    accuracy: Floats | None = Field(description="full-data accuracy at each recorded step; null for regression")
    sharpness: SharpnessOut
    final: FinalOut


class PathOut(BaseModel):
    run: int = Field(description="index of the optimizer")
    steps: list[int] = Field(description="the recorded steps of the path")
    alpha: Floats = Field(description="plane coordinate α of each recorded weight vector (least squares)")
    beta: Floats = Field(description="plane coordinate β")
    residual: Floats = Field(description="distance ‖w − c − α·d₁ − β·d₂‖ of the true weights from the plane")
    explained_variance: float | None = Field(description=(
        "share of this path's variance (about its mean) lying in the plane, 0..1: how much of the path "
        "the picture shows"))


class PlaneOut(BaseModel):
    method: Literal["random", "hessian", "pca"]
    center: dict[str, Any] = Field(description="{kind: final|init, run, step} of the centre c")
    n: int
    span: float = Field(description="the grid covers [−span, span]²")
    alpha: Floats = Field(description="n coordinates along d₁ (x axis)")
    beta: Floats = Field(description="n coordinates along d₂ (y axis)")
    loss: Grid = Field(description="loss[i][j] = E(c + alpha[j]·d₁ + beta[i]·d₂), Plotly's z layout")
    zmin: float | None
    zmax: float | None
    eigenvalues: Floats | None = Field(description="hessian: the two eigenvalues of d₁, d₂ (descending)")
    explained_variance: Floats | None = Field(description="pca: explained-variance ratios of d₁, d₂")
    direction_norms: Floats = Field(description="‖d₁‖, ‖d₂‖ (1 for hessian and pca)")
    paths: list[PathOut] = Field(description="every run projected on the plane, in request order")


class SnapshotOut(BaseModel):
    step: int
    prob: Grid


class DecisionRunOut(BaseModel):
    run: int
    step: int = Field(description="the step of the final weights")
    prob: Grid = Field(description="prob[i][j] = P(class 1 | (x[j], y[i])) for the final weights")
    snapshots: list[SnapshotOut] = Field(description="the same grid at evenly spaced recorded steps")


class DecisionOut(BaseModel):
    x: list[float] = Field(description="n grid x-coordinates (data bounding box + 10 %)")
    y: list[float] = Field(description="n grid y-coordinates")
    runs: list[DecisionRunOut]


class NetworkTrainResponse(BaseModel):
    model_config = {"json_schema_extra": {"examples": [{
        "dataset": {"name": "moons", "title": "Two moons", "task": "classification",
                    "params": {"noise": 0.1, "n": 4, "seed": 0},
                    "X": [[0.98, 0.21], [1.9, 0.02], [-0.95, 0.3], [0.1, -0.2]], "y": [0, 1, 0, 1]},
        "model": {"hidden": [2], "activation": "tanh", "loss": "bce", "n_in": 2, "n_params": 9,
                  "layout": [{"W": [2, 2], "w_start": 0, "b_start": 4}, {"W": [1, 2], "w_start": 6, "b_start": 8}],
                  "init": {"scheme": "he", "sigma": 0.1, "seed": 0}},
        "steps": 2, "batch_size": None, "schedule": {"name": "constant"}, "shuffle_seed": 0, "record_every": 1,
        "sharpness_every": 1, "sharpness_iters": 20,
        "work": {"train": 216, "record": 108, "sharpness": 10800, "plane": 1305, "decision": 81,
                 "total": 12510, "limit": MAX_WORK},
        "runs": [{"optimizer": {"name": "gd", "label": "gd", "lr": 0.5, "weight_decay": 0.0},
                  "status": "ok", "diverged_at": None, "steps": [0, 1, 2], "loss": [0.71, 0.65, 0.61],
                  "accuracy": [0.5, 0.75, 0.75],
                  "sharpness": {"steps": [0, 1, 2], "lam_max": [0.42, 0.4, 0.39], "eta": [0.5, 0.5, 0.5],
                                "two_over_eta": [4.0, 4.0, 4.0]},
                  "final": {"step": 2, "loss": 0.61, "accuracy": 0.75}}],
        "plane": {"method": "pca", "center": {"kind": "final", "run": 0, "step": 2}, "n": 3, "span": 0.3,
                  "alpha": [-0.3, 0, 0.3], "beta": [-0.3, 0, 0.3],
                  "loss": [[0.7, 0.66, 0.63], [0.66, 0.61, 0.58], [0.64, 0.6, 0.57]], "zmin": 0.57, "zmax": 0.7,
                  "eigenvalues": None, "explained_variance": [0.99, 0.01], "direction_norms": [1.0, 1.0],
                  "paths": [{"run": 0, "steps": [0, 1, 2], "alpha": [-0.24, -0.09, 0.0], "beta": [0.0, 0.0, 0.0],
                             "residual": [0.0, 0.0, 0.0], "explained_variance": 1.0}]},
        "decision": {"x": [-1.2, 0.5, 2.2], "y": [-0.4, 0.1, 0.6],
                     "runs": [{"run": 0, "step": 2, "prob": [[0.6, 0.5, 0.4], [0.5, 0.5, 0.5], [0.4, 0.5, 0.6]],
                               "snapshots": []}]},
    }]}}

    dataset: DatasetOut
    model: ModelOut
    steps: int
    batch_size: int | None
    schedule: dict[str, Any]
    shuffle_seed: int
    record_every: int = Field(description="the recording interval used (resolved when the request gave null)")
    sharpness_every: int | None
    sharpness_iters: int
    work: dict[str, int] = Field(description="estimated cost per part in multiply-adds, total and limit (see /docs)")
    runs: list[NetworkRunOut] = Field(description="one per optimizer, in request order")
    plane: PlaneOut | None
    decision: DecisionOut | None = Field(description="null for regression sets or when not requested")
