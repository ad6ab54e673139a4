"""Beyond single runs: basins of attraction, hyperparameter phase diagrams and fair lr tuning.

Each analysis steps many runs at once with `engine.run.run_batch` (starts, or hyperparameters,
along the batch axis), so its cost is a few numpy operations per update, not a Python loop per run.
"""

from engine.analysis.basins import DIVERGED, NOT_CONVERGED, BasinMap, basins, label_points
from engine.analysis.phase import Axis, PhaseResult, axis_params, batched_optimizer, check_axes, phase_diagram
from engine.analysis.tune import METHODS, TuneResult, halving_plan, pick_best, tune

__all__ = [
    "DIVERGED", "METHODS", "NOT_CONVERGED", "Axis", "BasinMap", "PhaseResult", "TuneResult", "axis_params",
    "basins", "batched_optimizer", "check_axes", "halving_plan", "label_points", "phase_diagram", "pick_best",
    "tune",
]
