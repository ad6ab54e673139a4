"""Small networks on 2D datasets: exact backprop, Hessian-vector products, training, landscape planes.

    data = make_dataset("moons", n=500, seed=0, noise=0.1)
    model = MLP(hidden=(16, 16), activation="tanh", loss="bce")
    result = train(model, data, [{"name": "adam", "lr": 0.01}], steps=500, init_seed=0)
    plane, paths = make_plane(model, data, result.runs[0].weights[-1], "pca",
                              paths=[r.weights for r in result.runs])

numpy only; every array is shaped (..., d) so batches of weight vectors run in one pass.
"""

from engine.nn.datasets import REGISTRY as DATASETS
from engine.nn.datasets import Dataset, make_dataset
from engine.nn.hessian import hvp, lam_max, lanczos, top_eigenpairs
from engine.nn.mlp import MLP
from engine.nn.planes import (
    Plane,
    Projection,
    decision_grid,
    filter_normalized_directions,
    hessian_directions,
    make_plane,
    pca_directions,
    plane_loss,
    project,
)
from engine.nn.train import RunTrace, TrainChunk, TrainResult, build_optimizers, train, train_iter

__all__ = [
    "DATASETS", "MLP", "Dataset", "Plane", "Projection", "RunTrace", "TrainChunk", "TrainResult",
    "build_optimizers", "decision_grid", "filter_normalized_directions", "hessian_directions", "hvp",
    "lam_max", "lanczos", "make_dataset", "make_plane", "pca_directions", "plane_loss", "project",
    "top_eigenpairs", "train", "train_iter",
]
