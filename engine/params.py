"""Typed, bounded parameters shared by surfaces, optimizers, schedules and datasets.

One `Param` row describes a number the user may set: its default, its closed range
and what it means. `resolve` validates user values against a table of rows and raises
a `ValueError` that names the parameter and its allowed range, which the API turns
into a 422.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Param:
    name: str
    default: Any
    min: float | None = None
    max: float | None = None
    description: str = ""
    kind: str = "float"  # "float" | "int" | "bool" | "pair" (two floats, e.g. Adam's betas) | "choice"
    log: bool = False  # a slider for it is best on a log axis
    exclusive_min: bool = False  # min is a strict bound (e.g. lam_min > 0)
    choices: tuple[str, ...] = ()

    def describe(self) -> dict[str, Any]:
        cast = int if self.kind == "int" else (lambda v: v)
        out = {
            "name": self.name,
            "default": list(self.default) if isinstance(self.default, tuple) else self.default,
            "min": None if self.min is None else cast(self.min),
            "max": None if self.max is None else cast(self.max),
            "description": self.description,
            "type": self.kind,
            "log": self.log,
        }
        if self.choices:
            out["choices"] = list(self.choices)
        return out

    def range_text(self) -> str:
        if self.kind == "bool":
            return "true or false"
        if self.kind == "choice":
            return "one of " + ", ".join(self.choices)
        lo = "-inf" if self.min is None else f"{self.min:g}"
        hi = "inf" if self.max is None else f"{self.max:g}"
        left = "(" if self.exclusive_min or self.min is None else "["
        return f"{left}{lo}, {hi}]"

    def check(self, value: Any, owner: str) -> Any:
        """Return the value coerced to this parameter's kind, or raise ValueError."""
        where = f"{owner}: parameter '{self.name}'"
        if self.kind == "bool":
            if isinstance(value, (bool, np.bool_)):
                return bool(value)
            raise ValueError(f"{where} must be true or false, got {value!r}")
        if self.kind == "choice":
            if value in self.choices:
                return value
            raise ValueError(f"{where} must be {self.range_text()}, got {value!r}")
        if self.kind == "pair":
            if not (isinstance(value, Sequence) and len(value) == 2):
                raise ValueError(f"{where} must be a pair of numbers in {self.range_text()}, got {value!r}")
            return tuple(self._check_number(v, where) for v in value)
        number = self._check_number(value, where)
        if self.kind == "int":
            if float(number) != int(number):
                raise ValueError(f"{where} must be an integer, got {value!r}")
            return int(number)
        return number

    def _check_number(self, value: Any, where: str) -> float:
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
            raise ValueError(f"{where} must be a number in {self.range_text()}, got {value!r}")
        number = float(value)
        below = self.min is not None and (number <= self.min if self.exclusive_min else number < self.min)
        above = self.max is not None and number > self.max
        if not np.isfinite(number) or below or above:
            raise ValueError(f"{where} = {value!r} is out of range {self.range_text()}")
        return number


def resolve(table: Sequence[Param], given: Mapping[str, Any] | None, owner: str) -> dict[str, Any]:
    """Defaults overlaid with validated user values; unknown names are an error."""
    given = dict(given or {})
    known = {p.name: p for p in table}
    unknown = sorted(set(given) - set(known))
    if unknown:
        allowed = ", ".join(known) or "none"
        raise ValueError(f"{owner}: unknown parameter(s) {', '.join(unknown)}; allowed: {allowed}")
    return {p.name: (p.check(given[p.name], owner) if p.name in given else p.default) for p in table}
