"""/api/network/train (+ /stream): the request with its limits and work bound, and the response shapes.

The request models validate against the engine's own tables (dataset registry, activations,
losses, inits, plane methods), so a bad name is a 422 listing the allowed values. The
response models document the JSON the routes build (app/api/routes/network.py).

The work bound is documented on `NetworkTrainRequest` (it shows in /docs).
"""

from __future__ import annotations

from math import ceil
from typing import Annotated, Literal

from pydantic import BaseModel, Field, PrivateAttr, create_model, field_validator, model_validator

from app.errors import EngineInputError
from app.limits import AtMost, AtMostItems
from app.schemas.common import OptimizerSpec, ScheduleSpec, Strict, default_schedule
from app.schemas.params import INTEGRAL, Int, literal_name, model_name, params_model, tagged_union
from app.schemas.runs import check_closure_evals
from app.settings import Limits
from engine.nn import MLP, Dataset, make_dataset
from engine.nn.datasets import REGISTRY as DATASETS
from engine.nn.losses import ACTIVATIONS, LOSSES
from engine.nn.mlp import INITS
from engine.nn.planes import METHODS

MAX_DECISION_N = 101
MAX_SNAPSHOTS = 20
MAX_WORK = 2 * 10**10  # multiply-adds per request (see the module docstring)
MAX_RECORDED = 10**7  # recorded weight floats (K·R·d), 80 MB
AUTO_RECORDS = 500  # record_every = null records at most this many steps per run...
AUTO_RECORDED = 2 * 10**6  # ...and at most this many weight floats in all (keeps the PCA cheap)
HVP_COST = 5  # one Hessian-vector product ≈ 5 forward passes (R-operator forward + backward)
ACTIVATION_COST = 20  # one hidden unit of one example ≈ 20 multiply-adds (φ, φ', temporaries), measured

SEED = Field(default=0, ge=0, le=2**32 - 1)
Width = Annotated[int, Field(ge=1), *AtMost("max_hidden_width"), INTEGRAL]
Positive = Annotated[int, Field(ge=1), INTEGRAL]  # inside Optional: its bound must be on the int itself


class _DatasetSpecBase(Strict):
    """A generated dataset (see GET /api/network/datasets); omitted params take their defaults."""

    name: str
    n: Annotated[Int, *AtMost("max_dataset_n")] = Field(default=200, ge=4,
                                                         description="number of examples (4..max_dataset_n)")
    seed: Int = SEED
    params: dict[str, float] = Field(default_factory=dict)
    _data: Dataset | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _build(self) -> _DatasetSpecBase:
        self._data = make_dataset(self.name, self.n, self.seed, **self.params)
        return self

    @property
    def data(self) -> Dataset:
        assert self._data is not None
        return self._data


def _as_dict(cls, value):
    return value.model_dump() if isinstance(value, BaseModel) else value


def _dataset_member(name: str) -> type[_DatasetSpecBase]:
    """{"name", "n", "seed", "params"}: `params` holds only this generator's own parameters (so `n` or
    `seed` there is a 422 naming it, not a clash with the arguments)."""
    params = params_model(Strict, model_name(name, "DatasetParams"), DATASETS[name].params,
                          f"parameters of dataset '{name}'")
    return create_model(model_name(name, "Dataset"), __base__=_DatasetSpecBase, __doc__=_DatasetSpecBase.__doc__,
                        name=literal_name(name, f"dataset '{name}'", default=name == "moons"),
                        params=(params, Field(default_factory=params, validate_default=True,
                                              description="generator parameters; omitted ones take their defaults")),
                        __validators__={"_params_as_dict": field_validator("params")(_as_dict)})


DATASET_SPECS = {name: _dataset_member(name) for name in DATASETS}
DatasetSpec = tagged_union(DATASET_SPECS, "dataset", {n: i.params for n, i in DATASETS.items()}, default="moons")


def default_dataset() -> _DatasetSpecBase:
    return DATASET_SPECS["moons"](name="moons")


class ModelSpec(Strict):
    """2 inputs → hidden widths (activation) → 1 linear output; weights from `init` and `seed`."""

    model_config = {"json_schema_extra": {"examples": [
        {"hidden": [16, 16], "activation": "tanh", "loss": "bce", "init": "he", "seed": 0},
        {"hidden": [], "loss": "mse", "init": "normal", "sigma": 0.5}]}}

    hidden: Annotated[list[Width], *AtMostItems("max_depth")] = Field(default=[16, 16], description=(
        "hidden layer widths (0 to max_depth layers, each 1..max_hidden_width); [] is linear"))
    activation: Literal[ACTIVATIONS] = Field(default="tanh", description="hidden activation φ")  # type: ignore[valid-type]
    loss: Literal[LOSSES] | None = Field(default=None, description=(  # type: ignore[valid-type]
        "mse: E = (1/2N)·Σ(f − y)², Bishop's ½ (torch's MSELoss is twice this); bce: binary cross-entropy "
        "on the logit f (classification only). Default: bce for classification sets, mse for regression"))
    init: Literal[INITS] = Field(default="he", description=(  # type: ignore[valid-type]
        "initial weights: he N(0, 2/fan_in), xavier U(±√(6/(fan_in+fan_out))), normal N(0, σ²); biases 0"))
    sigma: float = Field(default=0.1, gt=0, le=10, description="σ of the normal init")
    seed: Int = SEED


class PlaneSpec(Strict):
    """A 2D slice w(α, β) = c + α·d₁ + β·d₂ of weight space, with the loss over an n×n grid."""

    model_config = {"json_schema_extra": {"examples": [
        {"method": "pca", "n": 31}, {"method": "random", "n": 41, "span": 1.0, "seed": 3},
        {"method": "hessian", "n": 31, "center": "final", "run": 1}]}}

    method: Literal[METHODS] = Field(default="pca", description=(  # type: ignore[valid-type]
        "random: filter-normalized random directions (Li et al. 2018; α, β in units of each neuron's weight "
        "norm); hessian: top two Hessian eigenvectors at the centre (unit, with eigenvalues); pca: top two "
        "principal directions of all recorded trajectories (unit, with explained-variance ratios)"))
    n: Annotated[Int, *AtMost("max_plane_n")] = Field(default=31, ge=2, description="grid points per axis")
    span: float | None = Field(default=None, gt=0, le=1000, description=(
        "the grid covers [−span, span]²; null: just cover every projected path (×1.25), or 1 without paths"))
    center: Literal["final", "init"] = Field(default="final", description=(
        "final: the last recorded weights of optimizer `run`; init: the common initial weights"))
    run: Annotated[Int, *AtMost("max_optimizers", -1)] = Field(default=0, ge=0, description=(
        "index of the optimizer whose final weights are the centre (with center final: below the number of "
        "optimizers of the request, else a 422)"))
    seed: Int = Field(default=0, ge=0, le=2**32 - 1, description="seed of the random directions / Lanczos start")
    iters: Int = Field(default=30, ge=2, le=100, description="Lanczos iterations (Hessian plane)")


class DecisionSpec(Strict):
    """P(class 1 | x) over a grid covering the data (classification sets only)."""

    n: Int = Field(default=51, ge=2, le=MAX_DECISION_N, description=f"grid points per axis (2..{MAX_DECISION_N})")
    snapshots: Int = Field(default=0, ge=0, le=MAX_SNAPSHOTS, description=(
        "also the grid at this many recorded steps per optimizer, evenly spaced from step 0 to the end"))


EXAMPLE = {
    "dataset": {"name": "moons", "n": 200, "seed": 0, "params": {"noise": 0.1}},
    "model": {"hidden": [16, 16], "activation": "tanh", "loss": "bce", "init": "he", "seed": 0},
    "optimizers": [{"name": "gd", "lr": 0.5}, {"name": "momentum", "lr": 0.1, "momentum": 0.9},
                   {"name": "adam", "lr": 0.01}],
    "steps": 300, "batch_size": None, "schedule": {"name": "constant"}, "sharpness_every": 25,
    "plane": {"method": "pca", "n": 31}, "decision": {"n": 51, "snapshots": 4},
}


class NetworkTrainRequest(Strict):
    """Train a small MLP with several optimizers from the same initial weights.

    Work bound. Every request is priced before anything runs and refused with a 422 naming the
    limit when the total is over MAX_WORK = 2e10. The unit is one multiply-add; one example through one
    weight vector costs c = d + 20·H (d parameters, H = hidden units + 1 output: each activation
    costs about as much as 20 weights, measured), and with K optimizers, N examples, batch B,
    R recorded and S sharpness steps:

        train      2·K·steps·B·c          (forward + backward)
        record     K·R·N·c                (full-data loss and accuracy)
        sharpness  5·K·S·iters·N·c        (`iters` Hessian-vector products per λmax)
        plane      n²·N·c  (+ 5·iters·N·c for a Hessian plane, + T·d·min(T, d) for a PCA plane, T = K·R)
        decision   K·(1 + snapshots)·n_dec²·c

    At the limit a request takes roughly 5–15 s on one core. Recorded weights (K·R·d floats) are
    bounded by 1e7 (memory).
    """

    model_config = {"json_schema_extra": {"examples": [EXAMPLE]}}

    dataset: DatasetSpec = Field(default_factory=default_dataset, description="the data (generated from a seed)")
    model: ModelSpec = Field(default_factory=ModelSpec, description="the network and its initial weights")
    optimizers: Annotated[list[OptimizerSpec], *AtMostItems("max_optimizers")] = Field(min_length=1, description=(
        "1 to max_optimizers optimizer specs (as /api/run; newton is not available for networks), all from the same "
        "initial weights and the same minibatch sequence"))
    steps: Annotated[Int, *AtMost("max_network_steps")] = Field(
        default=300, ge=1, description="updates per optimizer (1..max_network_steps)")
    batch_size: Annotated[Positive | None, *AtMost("max_dataset_n")] = Field(default=None, description=(
        "minibatch size (a fresh seeded permutation each epoch, last batch may be smaller); null = full batch"))
    schedule: ScheduleSpec = Field(default_factory=default_schedule, description="lr schedule for every optimizer")
    shuffle_seed: Int = Field(default=0, ge=0, le=2**32 - 1, description="seed of the minibatch permutations")
    record_every: Annotated[Positive | None, *AtMost("max_network_steps")] = Field(default=None, description=(
        "record loss, accuracy and weights every k steps (and at the last step); null: the smallest k giving "
        f"≤ {AUTO_RECORDS} records per run, ≤ {AUTO_RECORDED:.0e} recorded weight floats and recording at most "
        "a quarter of the work bound"))
    sharpness_every: Annotated[Positive | None, *AtMost("max_network_steps")] = Field(default=None, description=(
        "measure λmax of the full-data Hessian every k steps (and at the last step), to compare with 2/η; "
        "null = off"))
    sharpness_iters: Int = Field(default=20, ge=2, le=50, description="Lanczos iterations per λmax")
    plane: PlaneSpec | None = Field(default=None, description="the landscape plane and projected paths; null = none")
    decision: DecisionSpec | None = Field(default_factory=DecisionSpec, description=(
        "decision-boundary grids (ignored for regression); null = none"))
    _model: MLP | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _check(self) -> NetworkTrainRequest:
        for index, spec in enumerate(self.optimizers):
            if spec.name == "newton" or spec.optimizer.needs_hessian:
                raise ValueError(f"optimizers[{index}]: newton is not available for networks (it needs the full "
                                 "d×d Hessian); use any other optimizer")
        check_closure_evals(self.optimizers, self.steps)
        task = self.dataset.data.task
        if self.model.loss is None:
            self.model.loss = "bce" if task == "classification" else "mse"
        if self.model.loss == "bce" and task != "classification":
            raise ValueError(f"model.loss 'bce' needs a classification dataset; '{self.dataset.name}' is a "
                             "regression set: use 'mse'")
        if self.plane is not None and self.plane.center == "final" and self.plane.run >= len(self.optimizers):
            raise ValueError(f"plane.run = {self.plane.run} but there are {len(self.optimizers)} optimizers "
                             f"(allowed 0..{len(self.optimizers) - 1})")
        self._model = MLP(self.model.hidden, self.model.activation, self.model.loss)
        if self.record_every is None:
            K, d = len(self.optimizers), self._model.d
            self.record_every = auto_record_every(self.steps, K, d, K * self.dataset.n * self.unit_cost())
        return self

    @property
    def mlp(self) -> MLP:
        assert self._model is not None
        return self._model

    @property
    def classification(self) -> bool:
        return self.dataset.data.task == "classification"

    def unit_cost(self) -> int:
        """c = d + 20·H: one example through one weight vector, in multiply-adds."""
        return self.mlp.d + ACTIVATION_COST * (sum(self.model.hidden) + 1)

    def records(self) -> int:
        """Recorded steps per run: 0, k, 2k, … and the last."""
        return records(self.steps, self.record_every or 1)

    def work(self) -> dict[str, int]:
        """The estimated cost of each part in multiply-adds (see the class docstring)."""
        K, N, d, steps = len(self.optimizers), self.dataset.n, self.mlp.d, self.steps
        c = self.unit_cost()
        B = min(self.batch_size or N, N)
        R = self.records()
        parts = {"train": 2 * K * steps * B * c, "record": K * R * N * c, "sharpness": 0, "plane": 0, "decision": 0}
        if self.sharpness_every:
            parts["sharpness"] = HVP_COST * K * records(steps, self.sharpness_every) * self.sharpness_iters * N * c
        if self.plane is not None:
            parts["plane"] = self.plane.n ** 2 * N * c
            if self.plane.method == "hessian":
                parts["plane"] += HVP_COST * self.plane.iters * N * c
            elif self.plane.method == "pca":
                T = K * R
                parts["plane"] += T * d * min(T, d)
        if self.decision is not None and self.classification:
            parts["decision"] = K * (1 + self.decision.snapshots) * self.decision.n ** 2 * c
        return {**parts, "total": sum(parts.values()), "limit": MAX_WORK}

    def check_limits(self, limits: Limits) -> None:
        """422 for what the settings forbid or what would cost too much (named, with the limit)."""
        # the settings' limits (widths, depth, dataset n, optimizers, steps) are checked by the schema
        # (app/limits.py); what is left is the cost of the whole request
        recorded = len(self.optimizers) * self.records() * self.mlp.d
        if recorded > MAX_RECORDED:
            raise EngineInputError(["body", "record_every"], (
                f"too many recorded weights: {len(self.optimizers)} optimizers × {self.records()} records × "
                f"{self.mlp.d} parameters = {recorded} floats; the limit is {MAX_RECORDED}; raise record_every"))
        work = self.work()
        if work["total"] > MAX_WORK:
            parts = ", ".join(f"{k} {v:.2e}" for k, v in work.items() if k not in ("total", "limit") and v)
            raise EngineInputError(["body"], (
                f"too much work: about {work['total']:.2e} multiply-adds ({parts}); the limit is "
                f"{MAX_WORK:.0e}; lower steps, dataset n, widths, optimizers, batch_size, plane n, decision n "
                "or the sharpness/record frequency"))


def records(steps: int, every: int) -> int:
    """Number of t in {0, every, 2·every, …} ∪ {steps}."""
    return steps // every + 1 + (steps % every != 0)


def auto_record_every(steps: int, K: int, d: int, record_cost: int) -> int:
    """The smallest k with ≤ AUTO_RECORDS records per run, K·records·d ≤ AUTO_RECORDED weight floats
    and records·record_cost ≤ MAX_WORK/4 (recording never dominates the budget); at least 1."""
    k = max(1, ceil(steps / AUTO_RECORDS))
    while k < steps and (K * records(steps, k) * d > AUTO_RECORDED or records(steps, k) * record_cost > MAX_WORK // 4):
        k = max(k + 1, ceil(k * 1.25))
    return min(k, steps)
