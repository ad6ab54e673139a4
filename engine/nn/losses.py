"""Per-example losses and activations with their first and second derivatives.

Everything here is elementwise on arrays of any shape; the network averages the
per-example loss over the N examples: E = (1/N) Σ_n ℓ(f_n, y_n).

| loss  | ℓ(f, y)                                   | ∂ℓ/∂f      | ∂²ℓ/∂f²    |
|-------|-------------------------------------------|------------|------------|
| mse   | ½ (f − y)²                                | f − y      | 1          |
| bce   | max(f, 0) − f·y + log1p(exp(−|f|))        | σ(f) − y   | σ(1 − σ)   |

`mse` keeps Bishop's ½ (so E = (1/2N)‖f − y‖², the same convention as the
`least_squares` surface; torch's MSELoss is twice this). `bce` is binary
cross-entropy on logits f, written so that exp never overflows
(torch.nn.BCEWithLogitsLoss).
"""

from __future__ import annotations

import numpy as np

from engine.nn import kernel

LOSSES = ("mse", "bce")
ACTIVATIONS = ("tanh", "relu", "sigmoid")


def sigmoid(z: np.ndarray) -> np.ndarray:
    """σ(z) = 1/(1 + e^−z), evaluated through e^−|z| so it never overflows."""
    z = np.asarray(z, dtype=float)
    e = np.abs(z)
    np.negative(e, out=e)
    np.exp(e, out=e)
    out = np.where(z >= 0, 1.0, e)  # σ = [1 or e^−|z|] / (1 + e^−|z|)
    e += 1.0
    out /= e
    return out


def loss_terms(name: str, f: np.ndarray, y: np.ndarray, order: int = 1):
    """(ℓ, ℓ') for order 1, (ℓ, ℓ', ℓ'') for order 2; ℓ is per example (not averaged)."""
    if name == "mse":
        r = f - y
        out = (0.5 * r * r, r)
        return out if order == 1 else (*out, np.ones_like(r))
    if name == "bce":
        value = np.maximum(f, 0.0) - f * y + np.log1p(np.exp(-np.abs(f)))
        s = sigmoid(f)
        out = (value, s - y)
        return out if order == 1 else (*out, s * (1.0 - s))
    raise ValueError(f"loss must be one of {', '.join(LOSSES)}, got {name!r}")


def activate(name: str, z: np.ndarray) -> np.ndarray:
    """φ(z) for tanh (`engine.nn.kernel.tanh`, within 2 ulp), relu (max(z, 0)) and sigmoid."""
    if name == "tanh":  # the network's one tanh (numpy's and libm's differ in the last bit): engine.nn.kernel
        return kernel.tanh(z)
    if name == "relu":
        return np.maximum(z, 0.0)
    if name == "sigmoid":
        return sigmoid(z)
    raise ValueError(f"activation must be one of {', '.join(ACTIVATIONS)}, got {name!r}")


def activation_derivs(name: str, z: np.ndarray, a: np.ndarray, order: int = 1):
    """φ'(z) (order 1) or (φ'(z), φ''(z)) (order 2), reusing a = φ(z).

    tanh: φ' = 1 − a², φ'' = −2a φ';  sigmoid: φ' = a(1 − a), φ'' = φ'(1 − 2a);
    relu: φ' = [z > 0], φ'' = 0 (almost everywhere: the kink has measure zero).
    """
    # in-place arithmetic on purpose: every fresh temporary of this size costs page faults
    if name == "tanh":
        d1 = a * a
        np.subtract(1.0, d1, out=d1)
        if order == 1:
            return d1
        d2 = a * d1
        d2 *= -2.0
    elif name == "sigmoid":
        d1 = np.subtract(1.0, a)
        d1 *= a
        if order == 1:
            return d1
        d2 = a * -2.0
        d2 += 1.0
        d2 *= d1
    elif name == "relu":
        d1 = np.greater(z, 0.0).astype(float)
        if order == 1:
            return d1
        d2 = np.zeros_like(z)
    else:
        raise ValueError(f"activation must be one of {', '.join(ACTIVATIONS)}, got {name!r}")
    return d1, d2
