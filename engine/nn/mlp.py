"""A small multilayer perceptron on flat weight vectors, with hand-written backprop.

Architecture: n_in inputs → hidden widths h₁ … h_k (activation φ) → 1 linear output f.
For classification f is a logit (loss `bce`, p = σ(f)); for regression f is the
prediction (loss `mse`).

Flat parameter layout (length d): for each layer l = 1 … k+1 in order, first its
weight matrix W_l of shape (out, in) flattened row-major (row i = the incoming
weights of neuron i), then its bias b_l of shape (out,). So for hidden (3,) and
n_in = 2: w = [W₁ (3×2: 6), b₁ (3), W₂ (1×3: 3), b₂ (1)], d = 13.

Every method takes either one weight vector w of shape (d,) or a batch W of shape
(B, d) and then returns one result per row: the B networks run as one compiled
loop per layer (`engine.nn.kernel`: each row alone, in one fixed order, so a row's
numbers never depend on the batch), never a Python loop over rows. Large batches
are evaluated in blocks of rows (and of examples) so that no activation array holds
more than `BLOCK_ELEMENTS` numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from engine.nn import kernel
from engine.nn.losses import ACTIVATIONS, LOSSES, activate, loss_terms, sigmoid
from engine.params import Param, resolve

MAX_WIDTH = 256
MAX_DEPTH = 4
INITS = ("he", "xavier", "normal")
BLOCK_ELEMENTS = 1 << 18  # examples per block at most this / width (2 MB of float64 per activation block)
ROW_ELEMENTS = 1 << 15  # rows per block: 256 KB activation arrays stay in cache (2-8-8-1 steps ~2× faster than 2 MB)

INIT_PARAMS = (
    Param("seed", 0, 0, 2**32 - 1, "seed of the initial weights", kind="int"),
    Param("scheme", "he", description="He N(0, 2/fan_in), Xavier U(±√(6/(fan_in+fan_out))) or N(0, σ²)",
          kind="choice", choices=INITS),
    Param("sigma", 0.1, 0.0, 10.0, "σ of the N(0, σ²) scheme", exclusive_min=True, log=True),
)


class Layer(NamedTuple):
    n_out: int
    n_in: int
    w_start: int  # offset of W (n_out × n_in, row-major) in the flat vector
    b_start: int  # offset of b (n_out,)

    @property
    def end(self) -> int:
        return self.b_start + self.n_out


class MLP:
    """MLP(hidden=(16, 16), activation="tanh", loss="bce", n_in=2); see the module docstring."""

    def __init__(self, hidden: Sequence[int] = (16, 16), activation: str = "tanh", loss: str = "bce",
                 n_in: int = 2) -> None:
        hidden = tuple(hidden)
        if len(hidden) > MAX_DEPTH:
            raise ValueError(f"model: parameter 'hidden' has {len(hidden)} layers; allowed depth 0..{MAX_DEPTH}")
        for width in hidden:
            if isinstance(width, bool) or not isinstance(width, (int, np.integer)) or not 1 <= width <= MAX_WIDTH:
                raise ValueError(f"model: parameter 'hidden' widths must be integers in [1, {MAX_WIDTH}], "
                                 f"got {width!r}")
        if activation not in ACTIVATIONS:
            raise ValueError(f"model: parameter 'activation' must be one of {', '.join(ACTIVATIONS)}, "
                             f"got {activation!r}")
        if loss not in LOSSES:
            raise ValueError(f"model: parameter 'loss' must be one of {', '.join(LOSSES)}, got {loss!r}")
        if isinstance(n_in, bool) or not isinstance(n_in, (int, np.integer)) or n_in < 1:
            raise ValueError(f"model: parameter 'n_in' must be a positive integer, got {n_in!r}")
        self.hidden = tuple(int(h) for h in hidden)
        self.activation = activation
        self.loss_name = loss
        self.n_in = int(n_in)
        self.sizes = (self.n_in, *self.hidden, 1)
        layers, start = [], 0
        for n_i, n_o in zip(self.sizes[:-1], self.sizes[1:], strict=True):
            layers.append(Layer(n_o, n_i, start, start + n_o * n_i))
            start += n_o * n_i + n_o
        self.layers: tuple[Layer, ...] = tuple(layers)
        self.d = start

    def describe(self) -> dict:
        return {"hidden": list(self.hidden), "activation": self.activation, "loss": self.loss_name,
                "n_in": self.n_in, "n_params": self.d,
                "layout": [{"W": [lay.n_out, lay.n_in], "w_start": lay.w_start, "b_start": lay.b_start}
                           for lay in self.layers]}

    # ---- weights -------------------------------------------------------------
    def init(self, seed: int = 0, scheme: str = "he", sigma: float = 0.1) -> np.ndarray:
        """Initial weights (d,): He N(0, 2/fan_in), Xavier U(±√(6/(fan_in + fan_out))) or N(0, σ²)
        for every weight matrix (Bishop 7.2.5, docs/theory.md); biases start at 0."""
        p = resolve(INIT_PARAMS, {"seed": seed, "scheme": scheme, "sigma": sigma}, "init")
        rng = np.random.default_rng(p["seed"])
        w = np.zeros(self.d)
        for lay in self.layers:
            shape = lay.n_out * lay.n_in
            if p["scheme"] == "he":
                block = rng.normal(0.0, np.sqrt(2.0 / lay.n_in), shape)
            elif p["scheme"] == "xavier":
                bound = np.sqrt(6.0 / (lay.n_in + lay.n_out))
                block = rng.uniform(-bound, bound, shape)
            else:
                block = rng.normal(0.0, p["sigma"], shape)
            w[lay.w_start:lay.b_start] = block
        return w

    def as_batch(self, W: np.ndarray) -> tuple[np.ndarray, bool]:
        """(B, d) float array and whether the input was a single vector."""
        W = np.asarray(W, dtype=float)
        if W.ndim not in (1, 2) or W.shape[-1] != self.d:
            raise ValueError(f"weights must have shape ({self.d},) or (B, {self.d}), got {W.shape}")
        return (W[None], True) if W.ndim == 1 else (W, False)

    def unpack(self, W: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        """Views [(W_l (B, out, in), b_l (B, out)) …] of a (B, d) batch."""
        B = W.shape[0]
        return [(W[:, lay.w_start:lay.b_start].reshape(B, lay.n_out, lay.n_in), W[:, lay.b_start:lay.end])
                for lay in self.layers]

    # ---- forward -------------------------------------------------------------
    def forward_cache(self, W: np.ndarray, X: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Pre-activations zs[l] (B, N, out_l) and layer inputs acts[l] (acts[0] = X (N, in)) of a (B, d) batch.

        Each layer's a Wᵀ + b is `kernel.forward` (one fixed operation order per row, never BLAS), φ is
        `losses.activate` (tanh: `kernel.tanh`, fused into the layer's pass)."""
        W = np.ascontiguousarray(W, dtype=float)
        acts, zs = [X], []
        for index, lay in enumerate(self.layers):
            hidden = index < len(self.layers) - 1
            if hidden and self.activation == "tanh":  # φ fused into the layer's pass (same bits as activate)
                z, a = kernel.forward(acts[-1], W, lay.w_start, lay.b_start, lay.n_out, lay.n_in, with_tanh=True)
                zs.append(z)
                acts.append(a)
                continue
            z = kernel.forward(acts[-1], W, lay.w_start, lay.b_start, lay.n_out, lay.n_in)
            zs.append(z)
            if hidden:
                acts.append(activate(self.activation, z))
        return zs, acts

    def _blocks(self, B: int, N: int) -> tuple[int, int]:
        """Rows and examples per block: B_blk · N · max width ≤ ROW_ELEMENTS (at least one row), and the
        examples cut into blocks only when N · max width > BLOCK_ELEMENTS. Rows are independent, so
        their blocking never changes a number; the examples' blocking is the loss's summation order."""
        width = max(self.sizes)
        if N * width <= BLOCK_ELEMENTS:
            return max(1, ROW_ELEMENTS // (N * width)), N
        return 1, max(1, BLOCK_ELEMENTS // width)

    def _reduce(self, W: np.ndarray, X: np.ndarray, y: np.ndarray, fn, k: int) -> np.ndarray:
        """Σ_n fn(f, y) over the examples, (B, k), computed block by block."""
        X, y = _check_data(X, y, self.n_in)
        B, N = W.shape[0], X.shape[0]
        rows, cols = self._blocks(B, N)
        out = np.zeros((B, k))
        with np.errstate(all="ignore"):  # a diverging run yields inf/nan, reported by the caller
            for i in range(0, B, rows):
                for j in range(0, N, cols):
                    f = self.forward_cache(W[i:i + rows], X[j:j + cols])[0][-1][..., 0]
                    out[i:i + rows] += fn(f, y[j:j + cols])
        return out

    def outputs(self, W: np.ndarray, X: np.ndarray) -> np.ndarray:
        """Network outputs f (logits for bce), (N,) for one vector or (B, N) for a batch."""
        Wb, single = self.as_batch(W)
        X, _ = _check_data(X, None, self.n_in)
        rows, cols = self._blocks(Wb.shape[0], X.shape[0])
        out = np.empty((Wb.shape[0], X.shape[0]))
        with np.errstate(all="ignore"):
            for i in range(0, Wb.shape[0], rows):
                for j in range(0, X.shape[0], cols):
                    out[i:i + rows, j:j + cols] = self.forward_cache(Wb[i:i + rows], X[j:j + cols])[0][-1][..., 0]
        return out[0] if single else out

    def predict_proba(self, W: np.ndarray, X: np.ndarray) -> np.ndarray:
        """P(class 1 | x): σ(f) for bce; for mse (a regression output used on 0/1 labels) f clipped to [0, 1]."""
        f = self.outputs(W, X)
        return sigmoid(f) if self.loss_name == "bce" else np.clip(f, 0.0, 1.0)

    def loss(self, W: np.ndarray, X: np.ndarray, y: np.ndarray) -> np.ndarray | float:
        """E(w) = (1/N) Σ ℓ(f_n, y_n): a float for one vector, (B,) for a batch (one vectorized pass)."""
        Wb, single = self.as_batch(W)
        N = np.asarray(X).shape[0]
        total = self._reduce(Wb, X, y, lambda f, t: loss_terms(self.loss_name, f, t)[0].sum(-1)[:, None], 1)
        out = total[:, 0] / N
        return float(out[0]) if single else out

    def evaluate(self, W: np.ndarray, X: np.ndarray, y: np.ndarray):
        """(loss, accuracy) from one forward pass; accuracy = share of examples with the predicted
        class (f > 0 for bce, f > ½ for mse) equal to y ∈ {0, 1}."""
        Wb, single = self.as_batch(W)
        N = np.asarray(X).shape[0]
        cut = 0.0 if self.loss_name == "bce" else 0.5

        def fn(f, t):
            return np.stack([loss_terms(self.loss_name, f, t)[0].sum(-1), ((f > cut) == (t > 0.5)).sum(-1)], -1)

        total = self._reduce(Wb, X, y, fn, 2) / N
        return (float(total[0, 0]), float(total[0, 1])) if single else (total[:, 0], total[:, 1])

    def accuracy(self, W: np.ndarray, X: np.ndarray, y: np.ndarray) -> np.ndarray | float:
        return self.evaluate(W, X, y)[1]

    # ---- backward ------------------------------------------------------------
    def loss_and_grad(self, W: np.ndarray, X: np.ndarray, y: np.ndarray):
        """(E, ∇E) by backpropagation: (float, (d,)) for one vector, ((B,), (B, d)) for a batch.

        δ_L = ℓ'(f, y)/N;  ∂E/∂W_l = δ_lᵀ a_{l−1};  ∂E/∂b_l = Σ_n δ_l;
        δ_{l−1} = (δ_l W_l) ⊙ φ'(z_{l−1}).
        """
        Wb, single = self.as_batch(W)
        X, y = _check_data(X, y, self.n_in)
        rows, _ = self._blocks(Wb.shape[0], X.shape[0])
        loss, grad = np.empty(Wb.shape[0]), np.empty_like(Wb)
        with np.errstate(all="ignore"):
            for i in range(0, Wb.shape[0], rows):
                loss[i:i + rows], grad[i:i + rows] = self._backprop(Wb[i:i + rows], X, y)
        return (float(loss[0]), grad[0]) if single else (loss, grad)

    def _backprop(self, W: np.ndarray, X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        zs, acts = self.forward_cache(W, X)
        ell, d_ell = loss_terms(self.loss_name, zs[-1][..., 0], y)
        return ell.mean(-1), self.grad_from_cache(W, zs, acts, d_ell)

    def grad_from_cache(self, W: np.ndarray, zs: list[np.ndarray], acts: list[np.ndarray],
                        d_ell: np.ndarray) -> np.ndarray:
        """∇E (B, d) from `forward_cache`'s arrays and ℓ'(f, y) (B, N), layer by layer (`kernel.backward`)."""
        W = np.ascontiguousarray(W, dtype=float)
        delta = (d_ell / acts[0].shape[0])[..., None]  # (B, N, 1)
        grad = np.empty_like(W)
        for index in range(len(self.layers) - 1, -1, -1):
            lay = self.layers[index]
            delta = kernel.backward(delta, acts[index], zs[index - 1] if index else None, W, lay.w_start,
                                    lay.b_start, lay.n_out, lay.n_in, self.activation, grad, index > 0)
        return grad


def _transposed(W_l: np.ndarray) -> np.ndarray:
    """W_lᵀ as a contiguous (B, in, out) array: numpy's stacked matmul is ~4× faster on it than on a view."""
    return np.ascontiguousarray(np.swapaxes(W_l, -1, -2))


def _check_data(X, y, n_in: int):
    X = np.asarray(X, dtype=float)
    if X.ndim != 2 or X.shape[1] != n_in or X.shape[0] < 1:
        raise ValueError(f"X must have shape (N, {n_in}) with N ≥ 1, got {X.shape}")
    if y is not None:
        y = np.asarray(y, dtype=float)
        if y.shape != (X.shape[0],):
            raise ValueError(f"y must have shape ({X.shape[0]},), got {y.shape}")
    return X, y
