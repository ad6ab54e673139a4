"""Surface values on a regular grid, in the layout Plotly's contour/surface traces take."""

from __future__ import annotations

from typing import Any

import numpy as np

from engine.surfaces import Surface


def grid(surface: Surface, n: int, domain=None) -> dict[str, Any]:
    """x (n,), y (n,), z (n, n) with z[i][j] = f(x[j], y[i]); zmin/zmax over the finite values."""
    (xlo, xhi), (ylo, yhi) = domain or surface.domain
    x = np.linspace(xlo, xhi, n)
    y = np.linspace(ylo, yhi, n)
    z = surface.value(np.stack(np.meshgrid(x, y), axis=-1))
    finite = z[np.isfinite(z)]
    return {
        "x": x, "y": y, "z": z,
        "zmin": float(finite.min()) if finite.size else None,
        "zmax": float(finite.max()) if finite.size else None,
    }
